package rules

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ackscale/ackscale"
)

// values are the checked values of an object's fields: int64, string, bool,
// []string, values (Object) or []values (Objects). Defaults are included.
type values map[string]any

// state is one validation in progress.
type state struct {
	tab   *Table
	t     Target
	c     Cloud
	v     values
	given map[string]bool            // fields the body set (not defaulted)
	obj   map[string]json.RawMessage // the body's top-level members, as sent
}

// eval runs the table on a decoded body: unknown fields, fields, checks,
// build — the order docs/api.md states.
func (tab *Table) eval(obj map[string]json.RawMessage, t Target, c Cloud) (any, error) {
	s, _, err := tab.check(obj, t, c)
	if err != nil {
		return nil, err
	}
	return tab.build(s)
}

// check runs the table's rules on a decoded body and returns the checked
// values, or the first error and, when one of the table's Checks made it,
// that check's index (else -1).
func (tab *Table) check(obj map[string]json.RawMessage, t Target, c Cloud) (*state, int, error) {
	s := &state{tab: tab, t: t, c: c, obj: obj}
	top := memberSet{known: tab.Fields, sdk: tab.SDKEmpty, loose: tab.LoosePrefixes, hint: tab.siblingHint}
	if err := top.unknown(obj, "", tab.where()); err != nil {
		return nil, -1, err
	}
	var err error
	if s.v, s.given, err = parseFields(tab.Fields, obj, ""); err != nil {
		return nil, -1, err
	}
	for i, ch := range tab.Checks {
		if err := ch.fn(s); err != nil {
			return nil, i, err
		}
	}
	return s, -1, nil
}

func (tab *Table) where() string {
	if tab.Profile == "" {
		return tab.Route
	}
	article := "a "
	if tab.Profile == ackscale.ProfileEdge {
		article = "an "
	}
	w := tab.Route + " on " + article + string(tab.Profile) + " cluster"
	switch {
	case tab.SelectedBy == "":
	case tab.SelectedWhen != "":
		w += " with " + tab.SelectedBy + " " + tab.SelectedWhen
	default:
		w += " without " + tab.SelectedBy + " true"
	}
	return w
}

// choose returns the table of op on profile p that validates obj: the only
// one, or the variant that the body's selecting field chooses (R37). A
// selecting field that is neither a boolean nor null is CodeInvalidType,
// before anything else is checked.
func choose(p ackscale.Profile, op Op, obj map[string]json.RawMessage) (*Table, error) {
	vs := variants(p, op)
	if len(vs) == 1 {
		return vs[0], nil
	}
	sel := vs[0].SelectedBy
	value := ""
	if raw, ok := obj[sel]; ok && !isNull(raw) {
		if value = string(raw); value != "true" && value != "false" {
			return nil, typeErr(sel, Bool, raw, "; it chooses the rules of the scale-out"+seeDocs("R37"))
		}
	}
	var other *Table
	for _, t := range vs {
		switch t.SelectedWhen {
		case value:
			return t, nil
		case "":
			other = t
		}
	}
	return other, nil
}

// siblingHint says which variant of the table takes a field it does not,
// and cites R37; "" when no variant does.
func (tab *Table) siblingHint(name string) (hint, src string) {
	if tab.SelectedBy == "" {
		return "", ""
	}
	for _, o := range variants(tab.Profile, tab.Op) {
		switch {
		case o == tab || !hasField(o.Fields, name):
		case o.SelectedWhen != "":
			return fmt.Sprintf("; it is a field of the scale-out with %s %s", o.SelectedBy, o.SelectedWhen), "R37"
		default:
			return fmt.Sprintf("; it is a field of the scale-out without %s true", o.SelectedBy), "R37"
		}
	}
	return "", ""
}

// memberSet are the members an object may have: its fields, and those that
// an official client's model holds and ackscale ignores when sent empty
// (ruling 14, R36) or, at the top level, accepts by prefix (R17).
type memberSet struct {
	known []Field
	sdk   []string
	loose []string
	// hint gives more advice for an unknown name and the further ruling
	// it follows; nil, or "" when there is none.
	hint func(name string) (hint, src string)
}

// tolerated reports whether an unknown member is accepted.
func (m memberSet) tolerated(name string, raw json.RawMessage) bool {
	for _, p := range m.loose {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return slices.Contains(m.sdk, name) && isEmptyJSON(raw)
}

// unknown reports the first (by name) member of obj that is neither known
// nor tolerated.
func (m memberSet) unknown(obj map[string]json.RawMessage, path, where string) error {
	var unknown []string
	for name, raw := range obj {
		if !hasField(m.known, name) && !m.tolerated(name, raw) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	name := unknown[0]
	msg := fmt.Sprintf("%s%s: unknown field; %s does not take it", path, name, where)
	if hint := similar(m.known, name); hint != "" {
		msg += "; did you mean " + hint + "?"
	}
	var src []string
	if slices.Contains(m.sdk, name) {
		msg += "; it is ignored only when sent empty"
		src = append(src, "R36")
	}
	if m.hint != nil {
		if hint, cites := m.hint(name); hint != "" {
			msg += hint
			src = append(src, cites)
		}
	}
	return ackscale.FieldErrorf(ackscale.CodeUnknownField, path+name, "%s%s", msg, seeDocs(strings.Join(src, ", ")))
}

func hasField(fs []Field, name string) bool {
	return slices.ContainsFunc(fs, func(f Field) bool { return f.Name == name })
}

// similar returns a known field that differs from name only in case, in -
// and _ (seed 001 itself spells ens_Internet_charge_type once) or in a
// plural s (worker_instance_type, worker_instance_types).
func similar(fs []Field, name string) string {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "-", "_")) }
	for _, f := range fs {
		if n := norm(f.Name); n == norm(name) || n == norm(name)+"s" || n+"s" == norm(name) {
			return f.Name
		}
	}
	return ""
}

// parseFields checks each field of fs in order.
func parseFields(fs []Field, obj map[string]json.RawMessage, path string) (values, map[string]bool, error) {
	v, given := values{}, map[string]bool{}
	for i := range fs {
		val, set, err := parseField(&fs[i], obj, path)
		if err != nil {
			return nil, nil, err
		}
		if val != nil {
			v[fs[i].Name] = val
		}
		given[fs[i].Name] = set
	}
	return v, given, nil
}

// parseField returns the checked value of one field (or its default, or
// nil) and whether the body set it.
func parseField(f *Field, obj map[string]json.RawMessage, path string) (any, bool, error) {
	name := path + f.Name
	if raw, ok := obj[f.Name]; ok && !isNull(raw) {
		val, err := decodeType(f, raw, name)
		if err != nil || f.Ignored {
			return val, err == nil, err
		}
		if !(f.EmptyIsAbsent && isZero(f, val)) && !(f.Required && isBlank(val)) {
			val, err = checkValue(f, val, name)
			return val, err == nil, err
		}
	}
	if f.Default != "" {
		val, err := decodeType(f, json.RawMessage(f.Default), name)
		if err == nil {
			val, err = checkValue(f, val, name)
		}
		return val, false, err
	}
	if f.Required {
		return nil, false, ackscale.FieldErrorf(ackscale.CodeMissingParameter, name,
			"%s: required, but absent, null or empty%s", name, seeDocs(f.Source))
	}
	return nil, false, nil
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

// isZero: "", 0, false, [] and {}, and an object each of whose members is
// absent (EmptyIsAbsent, R36).
func isZero(f *Field, val any) bool {
	switch x := val.(type) {
	case int64:
		return x == 0
	case bool:
		return !x
	case map[string]json.RawMessage:
		for name, raw := range x {
			if !memberAbsent(f, name, raw) {
				return false
			}
		}
		return true
	}
	return isBlank(val)
}

// memberAbsent reports whether a member of an object of field f counts as
// not sent: null (R3), a zero value of an empty = absent sub-field (R14), a
// required sub-field sent blank (R15), or a member of a client's model
// sent empty (ruling 14, R36). A value of the wrong type is sent.
func memberAbsent(f *Field, name string, raw json.RawMessage) bool {
	if isNull(raw) {
		return true
	}
	i := slices.IndexFunc(f.Fields, func(sf Field) bool { return sf.Name == name })
	if i < 0 {
		return slices.Contains(f.SDKEmpty, name) && isEmptyJSON(raw)
	}
	sf := &f.Fields[i]
	val, err := decodeType(sf, raw, name)
	return err == nil && (sf.EmptyIsAbsent && isZero(sf, val) || sf.Required && isBlank(val))
}

// isBlank: "" and empty arrays and objects (a required field sent blank).
func isBlank(val any) bool {
	switch x := val.(type) {
	case string:
		return x == ""
	case []string:
		return len(x) == 0
	case map[string]json.RawMessage:
		return len(x) == 0
	case []map[string]json.RawMessage:
		return len(x) == 0
	}
	return false
}

// isEmptyJSON: null, "", 0, false, [] or {}, or an object whose members
// are all empty (ruling 14's "empty value", R36).
func isEmptyJSON(raw json.RawMessage) bool {
	var x any
	if json.Unmarshal(raw, &x) != nil {
		return false
	}
	return isEmptyValue(x)
}

func isEmptyValue(x any) bool {
	switch x := x.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case float64:
		return x == 0
	case bool:
		return !x
	case []any:
		return len(x) == 0
	case map[string]any:
		for _, v := range x {
			if !isEmptyValue(v) {
				return false
			}
		}
		return true
	}
	return false
}

// show renders a value for a message: never a secret, never a long string.
func show(f *Field, val any) string {
	if f.Secret {
		return "the value"
	}
	if s, ok := val.(string); ok {
		if utf8.RuneCountInString(s) > 64 {
			s = string([]rune(s)[:64]) + "…"
		}
		return strconv.Quote(s)
	}
	return fmt.Sprint(val)
}

func fieldErr(code, name string, f *Field, format string, args ...any) error {
	return ackscale.FieldErrorf(code, name, "%s: %s%s", name, fmt.Sprintf(format, args...), seeDocs(f.Source))
}

// boundErr is an error about a length or item-count bound: it cites the
// bound's own Source when it has one.
func boundErr(code, name string, f *Field, b *Bounds, format string, args ...any) error {
	src := f.Source
	if b.Source != "" {
		src = b.Source
	}
	return ackscale.FieldErrorf(code, name, "%s: %s%s", name, fmt.Sprintf(format, args...), seeDocs(src))
}

// furtherRuling matches a further ruling's number in a Source: R1, R24.
var furtherRuling = regexp.MustCompile(`\bR\d+\b`)

// seeDocs is how a message cites a Source: by the further rulings it
// names, which docs/api.md states under "Further rulings", as
// " (see docs/api.md, R5, R24)"; "" when it names none. A message cites
// nothing else a Source may name (the seeds, decisions.md's numbered
// rulings, the SDK models): those say where a rule comes from, in
// documents outside this repository, and the rule tables of docs/api.md
// cite them.
func seeDocs(src string) string {
	var ids []string
	for _, id := range furtherRuling.FindAllString(src, -1) {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return ""
	}
	return " (see docs/api.md, " + strings.Join(ids, ", ") + ")"
}
