package rules

import (
	"encoding/json"
	"fmt"
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
	given map[string]bool // fields the body set (not defaulted)
}

// eval decodes body and runs the table: unknown fields, fields, checks,
// build — the order docs/api.md states.
func (tab *Table) eval(body []byte, t Target, c Cloud) (any, error) {
	obj, err := Decode(body)
	if err != nil {
		return nil, err
	}
	s := &state{tab: tab, t: t, c: c}
	if err := unknownFields(obj, tab.Fields, "", tab.where(), tab.tolerate, tab.SDKEmpty); err != nil {
		return nil, err
	}
	if s.v, s.given, err = parseFields(tab.Fields, obj, ""); err != nil {
		return nil, err
	}
	for _, ch := range tab.Checks {
		if err := ch.fn(s); err != nil {
			return nil, err
		}
	}
	return tab.build(s)
}

func (tab *Table) where() string {
	if tab.Profile == "" {
		return tab.Route
	}
	article := "a "
	if tab.Profile == ackscale.ProfileEdge {
		article = "an "
	}
	return tab.Route + " on " + article + string(tab.Profile) + " cluster"
}

// tolerate reports whether an unknown top-level field is accepted (ruling 14).
func (tab *Table) tolerate(name string, raw json.RawMessage) bool {
	for _, p := range tab.LoosePrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return slices.Contains(tab.SDKEmpty, name) && isEmptyJSON(raw)
}

// unknownFields reports the first (by name) field of obj that fs lacks.
func unknownFields(obj map[string]json.RawMessage, fs []Field, path, where string, tolerate func(string, json.RawMessage) bool, sdk []string) error {
	var unknown []string
	for name, raw := range obj {
		if !hasField(fs, name) && (tolerate == nil || !tolerate(name, raw)) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	name := unknown[0]
	msg := fmt.Sprintf("%s%s: unknown field; %s does not take it", path, name, where)
	if hint := similar(fs, name); hint != "" {
		msg += "; did you mean " + hint + "?"
	}
	if slices.Contains(sdk, name) {
		msg += "; it is ignored only when sent empty"
	}
	return ackscale.FieldErrorf(ackscale.CodeUnknownField, path+name, "%s (ruling 14)", msg)
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
		if !(f.EmptyIsAbsent && isZero(val)) && !(f.Required && isBlank(val)) {
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
			"%s: required, but absent, null or empty (%s)", name, f.Source)
	}
	return nil, false, nil
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

// isZero: "", 0, false, [] and {} (EmptyIsAbsent).
func isZero(val any) bool {
	switch x := val.(type) {
	case int64:
		return x == 0
	case bool:
		return !x
	}
	return isBlank(val)
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

// isEmptyJSON: null, "", 0, false, [] or {} (ruling 14's "empty value").
func isEmptyJSON(raw json.RawMessage) bool {
	var x any
	if json.Unmarshal(raw, &x) != nil {
		return false
	}
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
		return len(x) == 0
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
	return ackscale.FieldErrorf(code, name, "%s: %s (%s)", name, fmt.Sprintf(format, args...), f.Source)
}

// boundErr is an error about a length or item-count bound: it cites the
// bound's own Source when it has one.
func boundErr(code, name string, f *Field, b *Bounds, format string, args ...any) error {
	src := f.Source
	if b.Source != "" {
		src = b.Source
	}
	return ackscale.FieldErrorf(code, name, "%s: %s (%s)", name, fmt.Sprintf(format, args...), src)
}
