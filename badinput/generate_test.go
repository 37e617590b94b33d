package badinput

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/rules"
)

// expect is the documented answer to a case.
type expect struct {
	status int
	// codes holds the one code expected; a value that passes its field's
	// own rules gets the code of one of the table's checks that name the
	// field (docs/api.md: checks run after every field passed).
	codes []string
	// field is what the message must name; "" for body-level cases.
	field string
	// text is something else the message must say ("offset").
	text string
	// absent must not appear in the message: a password sent (ruling 3:
	// "Passwords never appear in messages"), or the field that a rule
	// checked earlier must have reported instead.
	absent []string
}

// statusOf is the HTTP status docs/api.md gives each code ("Error codes
// (all)"): 400 for every validation code but these two.
func statusOf(code string) int {
	switch code {
	case ackscale.CodeBodyTooLarge:
		return http.StatusRequestEntityTooLarge
	case ackscale.CodeUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	}
	return http.StatusBadRequest
}

func want(code, field string) expect {
	return expect{status: statusOf(code), codes: []string{code}, field: field}
}

// badCase is one bad request and its documented answer.
type badCase struct {
	name string
	req  request // method and path are the table's
	want expect
}

// gen derives the cases of one table from its rows.
type gen struct {
	tab     rules.Table
	base    body
	others  []rules.Table // every other table
	cases   []badCase
	skipped []string // mutations a documented rule accepts, with the rule
	query   bool     // the cases are sent as query parameters
	// sibling is the table of the same profile and operation that takes
	// the body when tab's selector (tab.SelectedBy) does not choose tab
	// (R37); nil when tab is not chosen by a value of a field.
	sibling *rules.Table
}

// selector reports whether f at l is the field that chooses tab among
// its variants, and the answer when a value does not choose tab: the body
// is the sibling table's, which takes the base's first field (by name) that
// it lacks as unknown (R37, ruling 14).
func (g *gen) selector(f rules.Field, l loc) (expect, bool) {
	if g.sibling == nil || len(l.parents) > 0 || f.Name != g.tab.SelectedBy {
		return expect{}, false
	}
	var names []string
	for k, v := range g.base {
		sib := g.sibling
		switch {
		case k == f.Name || slices.ContainsFunc(sib.Fields, func(sf rules.Field) bool { return sf.Name == k }):
		case slices.Contains(sib.SDKEmpty, k) && isEmpty(v):
		case slices.ContainsFunc(sib.LoosePrefixes, func(p string) bool { return strings.HasPrefix(k, p) }):
		default:
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return expect{}, false
	}
	slices.Sort(names)
	return want(ackscale.CodeUnknownField, names[0]), true
}

// isEmpty: null, "", 0, false, [] or {} (ruling 14's empty value).
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case json.Number:
		f, err := x.Float64()
		return err == nil && f == 0
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// generate returns the field, unknown-field and check cases of tab,
// mutating base; with query, for an operation that takes its parameters
// in the query (asQueries).
func generate(tab rules.Table, base string, all []rules.Table, query bool) *gen {
	g := &gen{tab: tab, base: decode(base), query: query}
	for _, o := range all {
		switch {
		case o.Profile != tab.Profile || o.Op != tab.Op:
			g.others = append(g.others, o)
		case o.Variant != tab.Variant && tab.SelectedWhen != "":
			g.sibling = &o
		}
	}
	for _, f := range tab.Fields {
		g.field(f, loc{})
	}
	g.unknown()
	g.checks()
	g.order()
	return g
}

// loc is where a field sits: at the top level, or in the object (or the
// first item) of each of its parents, outermost first
// (scaling_group.data_disks[0].size has two).
type loc struct {
	parents []rules.Field
}

// in is the loc of the sub-fields of f, which sits at l.
func (l loc) in(f rules.Field) loc {
	return loc{parents: append(slices.Clone(l.parents), f)}
}

// name is the field's path as errors name it (runtime.name, tags[0].key,
// scaling_group.data_disks[0].size).
func (l loc) name(f rules.Field) string {
	var b strings.Builder
	for _, p := range l.parents {
		b.WriteString(p.Name)
		if p.Type == rules.Objects {
			b.WriteString("[0]")
		}
		b.WriteString(".")
	}
	return b.String() + f.Name
}

// container returns the object of b the field sits in, adding a valid
// parent (or first item) at each level the body lacks one.
func (l loc) container(b body) map[string]any {
	m := b
	for _, p := range l.parents {
		m = child(m, p)
	}
	return m
}

// child returns the object of m's field p (its first item when p is a
// list of objects), adding a valid one when m has none.
func child(m map[string]any, p rules.Field) map[string]any {
	if p.Type == rules.Object {
		c, ok := m[p.Name].(map[string]any)
		if !ok {
			c = validObject(p.Fields, 0)
			m[p.Name] = c
		}
		return c
	}
	items, _ := m[p.Name].([]any)
	if len(items) == 0 {
		items = []any{validObject(p.Fields, 0)}
		m[p.Name] = items
	}
	c, ok := items[0].(map[string]any)
	if !ok {
		c = validObject(p.Fields, 0)
		items[0] = c
	}
	return c
}

// at is the loc and field of a dotted path of the table's fields
// (scaling_group.private_pool_options.id), as the checks name them.
func (g *gen) at(path string) (loc, rules.Field, bool) {
	var l loc
	fs := g.tab.Fields
	names := strings.Split(path, ".")
	for i, n := range names {
		j := slices.IndexFunc(fs, func(f rules.Field) bool { return f.Name == n })
		if j < 0 {
			return loc{}, rules.Field{}, false
		}
		if i == len(names)-1 {
			return l, fs[j], true
		}
		l, fs = l.in(fs[j]), fs[j].Fields
	}
	return loc{}, rules.Field{}, false
}

// setAt sets the field at path to val, adding its parents.
func (g *gen) setAt(b body, path string, val any) {
	l, f, ok := g.at(path)
	if !ok {
		panic("no field " + path + " in " + tableName(g.tab))
	}
	l.container(b)[f.Name] = val
}

// getAt returns the value of the field at path, if b has it; it adds
// nothing to b.
func (g *gen) getAt(b body, path string) (any, bool) {
	var cur any = map[string]any(b)
	for _, n := range strings.Split(path, ".") {
		if items, ok := cur.([]any); ok && len(items) > 0 {
			cur = items[0]
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[n]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// deleteAt removes the field at path, if b has it.
func (g *gen) deleteAt(b body, path string) {
	parent, name := "", path
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		parent, name = path[:i], path[i+1:]
	}
	var m map[string]any = b
	if parent != "" {
		v, _ := g.getAt(b, parent)
		if items, isList := v.([]any); isList && len(items) > 0 {
			v = items[0]
		}
		var ok bool
		if m, ok = v.(map[string]any); !ok {
			return
		}
	}
	delete(m, name)
}

// add records a case: the base, changed by mutate in the field's container.
func (g *gen) add(name string, l loc, mutate func(m map[string]any), w expect) {
	b := clone(g.base)
	mutate(l.container(b))
	g.cases = append(g.cases, badCase{name: name, req: request{body: encode(b), contentType: "application/json"}, want: w})
}

// set records a case that sets f to val.
func (g *gen) set(l loc, f rules.Field, mutation string, val any, w expect) {
	if f.Secret {
		if s, ok := val.(string); ok && len(s) >= 6 && len(s) < 1000 {
			w.absent = append(w.absent, strings.TrimSpace(s))
		}
	}
	g.add(l.name(f)+"/"+mutation, l, func(m map[string]any) { m[f.Name] = val }, w)
}

func (g *gen) skip(name, why string) {
	g.skipped = append(g.skipped, name+": "+why)
}

// current is f's value in the base, if it is a string.
func (g *gen) current(f rules.Field, l loc) string {
	if s, ok := l.container(clone(g.base))[f.Name].(string); ok && s != "" {
		return s
	}
	return validString(f, 0)
}

// passing is the answer to a value that passes every rule of the field
// itself: the table's checks decide (docs/api.md, step 4), so the code is
// one of those of the checks that name the field. ok is false when no
// check names it: the value is accepted.
func (g *gen) passing(field, at string) (expect, bool) {
	var codes []string
	for _, c := range g.tab.Checks {
		if slices.Contains(c.Fields, field) {
			for _, code := range c.Codes {
				if !slices.Contains(codes, code) {
					codes = append(codes, code)
				}
			}
		}
	}
	return expect{status: http.StatusBadRequest, codes: codes, field: at}, len(codes) > 0
}

// field derives the cases of one field (and its sub-fields) from its
// attributes, in the order docs/api.md checks them.
func (g *gen) field(f rules.Field, l loc) {
	name := l.name(f)
	for _, tv := range wrongTypes(f.Type) {
		at := name
		if tv.item >= 0 {
			at = fmt.Sprintf("%s[%d]", name, tv.item)
		}
		g.set(l, f, tv.name, tv.value, want(ackscale.CodeInvalidType, at))
	}
	if f.Type == rules.Int || f.Type == rules.IntOrString {
		g.set(l, f, "overflow", raw(overflow), want(ackscale.CodeOutOfRange, name)) // R2
	}
	if f.Ignored {
		g.skip(name+"/value", "ignored: only its type is checked (R17)")
		return
	}
	g.presence(f, l)
	switch f.Type {
	case rules.Int, rules.IntOrString:
		g.ints(f, l)
	case rules.Bool:
		if len(f.Enum) == 1 {
			w := want(ackscale.CodeNotInEnum, name)
			if other, ok := g.selector(f, l); ok { // the other value chooses the other table (R37)
				w = other
			}
			g.set(l, f, "enum:other", f.Enum[0] != "true", w)
		}
	case rules.String:
		g.strings(f, l)
	case rules.Strings:
		g.list(f, l)
	case rules.Object, rules.Objects:
		g.objects(f, l)
	}
}

// presence: a required field absent, null (R3), or "" / [] (R15).
func (g *gen) presence(f rules.Field, l loc) {
	name := l.name(f)
	switch {
	case !f.Required:
		g.skip(name+"/absent", "optional: absent and null take the default or stay unset (R3, ruling 8)")
		return
	case f.Default != "":
		g.skip(name+"/absent", "required with a default: absent and null take the default "+f.Default+" (ruling 8)")
		return
	}
	missing := want(ackscale.CodeMissingParameter, name)
	absent := missing
	if n := len(l.parents); n > 0 && l.parents[n-1].Type == rules.Object && l.parents[n-1].Required {
		if c := l.container(clone(g.base)); len(c) == 1 {
			// Its object is left {}: a required object sent empty is
			// missing itself (as "" and [] are, R15).
			absent = want(ackscale.CodeMissingParameter, loc{parents: l.parents[:n-1]}.name(l.parents[n-1]))
		}
	}
	nullW := missing
	if other, ok := g.selector(f, l); ok { // absent and null choose the other table (R37)
		absent, nullW = other, other
	}
	g.add(name+"/absent", l, func(m map[string]any) { delete(m, f.Name) }, absent)
	g.set(l, f, "null", nil, nullW)
	switch f.Type {
	case rules.String:
		g.set(l, f, "empty", "", missing)
	case rules.IntOrString:
		// R15 names strings and lists; "" is no integer nor a string of
		// digits, and the type is checked before presence (docs/api.md).
		g.set(l, f, "empty", "", want(ackscale.CodeInvalidType, name))
	case rules.Strings, rules.Objects:
		g.set(l, f, "empty", []any{}, missing)
	case rules.Object:
		g.set(l, f, "empty", map[string]any{}, missing) // like "" and [] (R15)
	}
}

// ints: range, step and enumeration of Int and IntOrString fields; the
// latter also as strings of digits (ruling 6).
func (g *gen) ints(f rules.Field, l loc) {
	name := l.name(f)
	if f.Range != nil {
		for _, rv := range rangeVariants(f) {
			lit := rv.value.(string)
			g.set(l, f, rv.name, raw(lit), want(ackscale.CodeOutOfRange, name))
			if f.Type == rules.IntOrString {
				g.set(l, f, rv.name+":string", lit, want(ackscale.CodeOutOfRange, name))
			}
		}
		if f.Type == rules.IntOrString {
			g.set(l, f, "overflow:string", overflow, want(ackscale.CodeOutOfRange, name))
		}
	}
	if len(f.Enum) > 0 {
		for _, nv := range nearInts(f.Enum) {
			if nv.value == num(0) && f.EmptyIsAbsent {
				continue
			}
			g.set(l, f, nv.name, nv.value, want(ackscale.CodeNotInEnum, name))
		}
	}
}

// stringCases are the values of a string (or of an item of a list of
// strings) that break its length, enumeration and format, each with the
// code of the first rule it breaks (checkString's order: length, enum,
// format, range of FormatInteger).
func stringCases(f rules.Field, current string) []struct {
	variant
	code string
} {
	type sc = struct {
		variant
		code string
	}
	var out []sc
	if r := f.Len; r != nil {
		out = append(out, sc{v("len:max+1", strings.Repeat("A", r.Max+1)), ackscale.CodeInvalidFormat}) // R21
		if r.Min > 1 {
			out = append(out, sc{v("len:min-1", strings.Repeat("A", r.Min-1)), ackscale.CodeInvalidFormat})
		}
	}
	if len(f.Enum) > 0 {
		for _, nm := range nearMisses(current, f.Enum) {
			out = append(out, sc{nm, ackscale.CodeNotInEnum}) // ruling 15
		}
		for _, u := range f.Unsupported {
			out = append(out, sc{v("enum:unsupported-"+u, u), ackscale.CodeNotInEnum})
		}
	}
	if f.Format != "" {
		for _, fv := range formatViolations[f.Format] {
			if s := fv.value.(string); f.Len == nil || len([]rune(s)) >= f.Len.Min && len([]rune(s)) <= f.Len.Max {
				out = append(out, sc{fv, ackscale.CodeInvalidFormat})
			}
		}
	}
	if f.Format == rules.FormatInteger && f.Range != nil {
		for _, rv := range rangeVariants(f) {
			if !strings.HasPrefix(rv.value.(string), "-") { // a minus sign is no digit: a format case
				out = append(out, sc{rv, ackscale.CodeOutOfRange})
			}
		}
		code := ackscale.CodeOutOfRange
		if f.Len != nil && len(overflow) > f.Len.Max {
			code = ackscale.CodeInvalidFormat // its length is checked first
		}
		out = append(out, sc{v("overflow", overflow), code})
	}
	return out
}

// oversizeCode is the code of a 64 KiB string: the first of length,
// enumeration and format the field has, or "" when it has none.
func oversizeCode(f rules.Field) string {
	switch {
	case f.Len != nil && f.Len.Max < oversizeLen:
		return ackscale.CodeInvalidFormat
	case len(f.Enum) > 0:
		return ackscale.CodeNotInEnum
	case f.Format != "":
		return ackscale.CodeInvalidFormat
	}
	return ""
}

func (g *gen) strings(f rules.Field, l loc) {
	name := l.name(f)
	for _, sc := range stringCases(f, g.current(f, l)) {
		g.set(l, f, sc.name, sc.value, want(sc.code, name))
	}
	// "": absent when EmptyIsAbsent (R14), missing when required (above),
	// else a value like any other.
	switch {
	case f.Required:
	case f.EmptyIsAbsent:
		g.skip(name+"/empty", `"" is absent (R14)`)
	case f.Len != nil && f.Len.Min > 0:
		g.set(l, f, "empty", "", want(ackscale.CodeInvalidFormat, name))
	case len(f.Enum) > 0:
		g.set(l, f, "empty", "", want(ackscale.CodeNotInEnum, name))
	case f.Format != "" && !emptyAllowed[f.Format]:
		g.set(l, f, "empty", "", want(ackscale.CodeInvalidFormat, name))
	default:
		g.skip(name+"/empty", `"" passes every rule of the field`)
	}
	if code := oversizeCode(f); code != "" {
		g.set(l, f, "oversize-64KiB", oversize, want(code, name))
	} else if w, ok := g.passing(name, name); ok {
		g.set(l, f, "oversize-64KiB", oversize, w)
	} else {
		g.skip(name+"/oversize-64KiB", "no rule bounds its length (docs/api.md lists none)")
	}
}

// list: a list of strings; its items get the string cases, at [0], with
// the bound of an item's length (ItemLen) as their Len.
func (g *gen) list(f rules.Field, l loc) {
	name, item := l.name(f), l.name(f)+"[0]"
	cur := g.current(f, l)
	if items, ok := l.container(clone(g.base))[f.Name].([]any); ok && len(items) > 0 {
		if s, ok := items[0].(string); ok && s != "" {
			cur = s
		}
	}
	itemField := rules.Field{Type: rules.String, Enum: f.Enum, Format: f.Format, Range: f.Range, Len: f.ItemLen}
	for _, sc := range stringCases(itemField, cur) {
		g.set(l, f, "item:"+sc.name, []any{sc.value}, want(sc.code, item))
	}
	g.set(l, f, "item:empty", []any{""}, want(ackscale.CodeInvalidFormat, item)) // an empty item is no value (R21)
	if code := oversizeCode(itemField); code != "" {
		g.set(l, f, "item:oversize-64KiB", []any{oversize}, want(code, item))
	} else if w, ok := g.passing(name, name); ok {
		g.set(l, f, "item:oversize-64KiB", []any{oversize}, w)
	} else {
		g.skip(name+"/item:oversize-64KiB", "no rule bounds an item's length")
	}
	if r := f.Len; r != nil {
		if r.Max != rules.NoMax {
			items := make([]any, r.Max+1)
			for i := range items {
				items[i] = validString(f, i)
			}
			g.set(l, f, "len:max+1", items, want(ackscale.CodeOutOfRange, name)) // R21
		}
		if r.Min > 1 {
			g.set(l, f, "len:min-1", []any{validString(f, 0)}, want(ackscale.CodeOutOfRange, name))
		} else if r.Min == 1 && f.EmptyIsAbsent {
			g.skip(name+"/len:min-1", "[] is absent (R14)")
		}
	}
	if f.Unique {
		g.set(l, f, "duplicate-item", []any{cur, cur}, want(ackscale.CodeInvalidParameter, name+"[1]")) // R21
	}
}

// objects: item counts, duplicates, an unknown sub-field, and each
// sub-field in the first item (or the object).
func (g *gen) objects(f rules.Field, l loc) {
	name := l.name(f)
	if f.Type == rules.Objects {
		first := validObject(f.Fields, 0)
		if items, ok := l.container(clone(g.base))[f.Name].([]any); ok && len(items) > 0 {
			if m, ok := items[0].(map[string]any); ok {
				first = m
			}
		}
		if r := f.Len; r != nil && r.Max != rules.NoMax {
			items := make([]any, r.Max+1)
			for i := range items {
				items[i] = validObject(f.Fields, i)
			}
			g.set(l, f, "len:max+1", items, want(ackscale.CodeOutOfRange, name)) // R21
		}
		if len(f.UniqueBy) > 0 {
			g.set(l, f, "duplicate-item", []any{first, first}, want(ackscale.CodeInvalidParameter, name+"[1]")) // R21
		}
	}
	sub := l.in(f)
	unknown := sub.name(rules.Field{Name: "ackscale_unknown"})
	g.add(unknown+"/unknown-field", sub, func(m map[string]any) { m["ackscale_unknown"] = "x" },
		want(ackscale.CodeUnknownField, unknown)) // ruling 14, also inside objects
	for _, sf := range f.Fields {
		g.field(sf, sub)
	}
}

// unknown: a field no table has, each field's name in upper case, the
// fields of the other tables this one lacks, and the SDK-model fields
// sent with a value (ruling 14).
func (g *gen) unknown() {
	top := loc{}
	unknownAt := func(name, mutation string, val any) {
		if g.loose(name) {
			g.skip(name+"/"+mutation, "accepted and ignored by its prefix (R17)")
			return
		}
		g.add(name+"/"+mutation, top, func(m map[string]any) { m[name] = val }, want(ackscale.CodeUnknownField, name))
	}
	unknownAt("ackscale_unknown", "unknown-field", "x")
	for _, f := range g.tab.Fields {
		if up := strings.ToUpper(f.Name); up != f.Name {
			unknownAt(up, "unknown-field:upper-case-name", validValue(f))
		}
	}
	seen := map[string]bool{}
	for _, o := range g.others {
		for _, f := range o.Fields {
			if g.has(f.Name) || seen[f.Name] {
				continue
			}
			seen[f.Name] = true
			unknownAt(f.Name, "unknown-field:from-"+tableName(o), validValue(f))
		}
	}
	for _, name := range g.tab.SDKEmpty {
		g.skip(name+"/sdk-empty", "sent empty it is ignored (ruling 14)")
		if !seen[name] {
			unknownAt(name, "unknown-field:sdk-model", "x")
		}
	}
}

func (g *gen) has(name string) bool {
	return slices.ContainsFunc(g.tab.Fields, func(f rules.Field) bool { return f.Name == name })
}

func (g *gen) loose(name string) bool {
	return slices.ContainsFunc(g.tab.LoosePrefixes, func(p string) bool { return strings.HasPrefix(name, p) })
}

func (g *gen) lookup(name string) (rules.Field, bool) {
	_, f, ok := g.at(name)
	return f, ok
}

// tableName is PROFILE/OP, or OP for operations without a profile, with
// :VARIANT for a table among variants (edge/scale_out:cloud).
func tableName(t rules.Table) string {
	name := string(t.Op)
	if t.Profile != "" {
		name = string(t.Profile) + "/" + name
	}
	if t.Variant != "" {
		name += ":" + t.Variant
	}
	return name
}

// order: bodies that break two rules get the error of the one checked
// first (docs/api.md, "How a body is checked"; R13).
func (g *gen) order() {
	// The field that chooses among variants is read before anything else
	// (R37): first and last are of the others.
	fields := slices.DeleteFunc(slices.Clone(g.tab.Fields), func(f rules.Field) bool { return f.Name == g.tab.SelectedBy })
	first, last := fields[0], fields[len(fields)-1]
	// A value of the wrong type; in a query, one a query can say: an item
	// of a list, a flag that is not true or false.
	bad := func(f rules.Field) any {
		vs := wrongTypes(f.Type)
		if g.query {
			for _, v := range vs {
				if _, isString := v.value.(string); v.item >= 0 || f.Type != rules.Strings && !isString {
					return v.value
				}
			}
		}
		return vs[0].value
	}
	g.mutate("order/unknown-field-before-fields", func(b body) { b[first.Name] = bad(first); b["ackscale_unknown"] = "x" },
		want(ackscale.CodeUnknownField, "ackscale_unknown"))
	w := want(ackscale.CodeUnknownField, "ackscale_aa")
	w.absent = []string{"ackscale_zz"}
	g.mutate("order/first-unknown-field-by-name", func(b body) { b["ackscale_zz"] = "x"; b["ackscale_aa"] = "x" }, w)
	if len(fields) > 1 {
		w = want(ackscale.CodeInvalidType, first.Name)
		w.absent = []string{last.Name}
		g.mutate("order/fields-in-table-order", func(b body) { b[last.Name] = bad(last); b[first.Name] = bad(first) }, w)
	}
	if sel := g.tab.SelectedBy; sel != "" {
		w = want(ackscale.CodeInvalidType, sel)
		w.absent = []string{"ackscale_aa", first.Name}
		g.mutate("order/selector-before-everything", func(b body) { b["ackscale_aa"] = "x"; b[first.Name] = bad(first); b[sel] = "true" }, w)
	}
	for _, c := range g.tab.Checks {
		if m := exactlyOne.FindStringSubmatch(c.Rule); m != nil {
			g.mutate("order/fields-before-checks", func(b body) { g.fill(b, m[2]); g.fill(b, m[3]); b[last.Name] = bad(last) },
				want(ackscale.CodeInvalidType, last.Name))
		}
	}
}
