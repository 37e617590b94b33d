package badinput

import (
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
}

// generate returns the field, unknown-field and check cases of tab,
// mutating base.
func generate(tab rules.Table, base string, all []rules.Table) *gen {
	g := &gen{tab: tab, base: decode(base)}
	for _, o := range all {
		if o.Profile != tab.Profile || o.Op != tab.Op {
			g.others = append(g.others, o)
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
// first item) of a parent field.
type loc struct {
	parent *rules.Field
}

// name is the field's path as errors name it (runtime.name, tags[0].key).
func (l loc) name(f rules.Field) string {
	switch {
	case l.parent == nil:
		return f.Name
	case l.parent.Type == rules.Objects:
		return l.parent.Name + "[0]." + f.Name
	}
	return l.parent.Name + "." + f.Name
}

// container returns the object of b the field sits in, adding a valid
// parent when the base has none.
func (l loc) container(b body) map[string]any {
	if l.parent == nil {
		return b
	}
	p := l.parent
	if p.Type == rules.Object {
		m, ok := b[p.Name].(map[string]any)
		if !ok {
			m = validObject(p.Fields, 0)
			b[p.Name] = m
		}
		return m
	}
	items, _ := b[p.Name].([]any)
	if len(items) == 0 {
		items = []any{validObject(p.Fields, 0)}
		b[p.Name] = items
	}
	m, ok := items[0].(map[string]any)
	if !ok {
		m = validObject(p.Fields, 0)
		items[0] = m
	}
	return m
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
			g.set(l, f, "enum:other", f.Enum[0] != "true", want(ackscale.CodeNotInEnum, name))
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
	g.add(name+"/absent", l, func(m map[string]any) { delete(m, f.Name) }, missing)
	g.set(l, f, "null", nil, missing)
	switch f.Type {
	case rules.String:
		g.set(l, f, "empty", "", missing)
	case rules.IntOrString:
		// R15 names strings and lists; "" is no integer nor a string of
		// digits, and the type is checked before presence (docs/api.md).
		g.set(l, f, "empty", "", want(ackscale.CodeInvalidType, name))
	case rules.Strings, rules.Objects:
		g.set(l, f, "empty", []any{}, missing)
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
		if items, ok := g.base[f.Name].([]any); ok && len(items) > 0 {
			first = items[0].(map[string]any)
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
	sub := loc{parent: &f}
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
	for _, f := range g.tab.Fields {
		if f.Name == name {
			return f, true
		}
		for _, sf := range f.Fields {
			if f.Name+"."+sf.Name == name {
				return sf, true
			}
		}
	}
	return rules.Field{}, false
}

// tableName is PROFILE/OP, or OP for operations without a profile.
func tableName(t rules.Table) string {
	if t.Profile == "" {
		return string(t.Op)
	}
	return string(t.Profile) + "/" + string(t.Op)
}

// order: bodies that break two rules get the error of the one checked
// first (docs/api.md, "How a body is checked"; R13).
func (g *gen) order() {
	first, last := g.tab.Fields[0], g.tab.Fields[len(g.tab.Fields)-1]
	bad := func(f rules.Field) any { return wrongTypes(f.Type)[0].value }
	g.mutate("order/unknown-field-before-fields", func(b body) { b[first.Name] = bad(first); b["ackscale_unknown"] = "x" },
		want(ackscale.CodeUnknownField, "ackscale_unknown"))
	w := want(ackscale.CodeUnknownField, "ackscale_aa")
	w.absent = []string{"ackscale_zz"}
	g.mutate("order/first-unknown-field-by-name", func(b body) { b["ackscale_zz"] = "x"; b["ackscale_aa"] = "x" }, w)
	w = want(ackscale.CodeInvalidType, first.Name)
	w.absent = []string{last.Name}
	g.mutate("order/fields-in-table-order", func(b body) { b[last.Name] = bad(last); b[first.Name] = bad(first) }, w)
	for _, c := range g.tab.Checks {
		if m := exactlyOne.FindStringSubmatch(c.Rule); m != nil {
			g.mutate("order/fields-before-checks", func(b body) { g.fill(b, m[2]); g.fill(b, m[3]); b[last.Name] = bad(last) },
				want(ackscale.CodeInvalidType, last.Name))
		}
	}
}
