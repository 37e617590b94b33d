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

// typeNames are how messages name the expected JSON type.
var typeNames = map[Type]string{
	Int:         "an integer",
	String:      "a string",
	Bool:        "a boolean (true or false)",
	Strings:     "an array of strings",
	Object:      "an object",
	Objects:     "an array of objects",
	IntOrString: "an integer or a string of digits",
	Number:      "a number",
}

// jsonKind names the JSON type of raw, which Decode has validated.
func jsonKind(raw json.RawMessage) string {
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func typeErr(name string, want Type, raw json.RawMessage, extra string) error {
	return ackscale.FieldErrorf(ackscale.CodeInvalidType, name, "%s: expected %s, got %s%s",
		name, typeNames[want], jsonKind(raw), extra)
}

// decodeType checks the JSON type of raw (ruling 13) and returns an int64,
// string, bool, []string, map[string]json.RawMessage or a slice of those maps.
func decodeType(f *Field, raw json.RawMessage, name string) (any, error) {
	switch f.Type {
	case Int:
		return decodeInt(raw, name, Int)
	case IntOrString:
		return decodeIntOrString(raw, name)
	case Number:
		if jsonKind(raw) == "a number" {
			n, err := strconv.ParseFloat(string(raw), 64)
			if err != nil {
				return nil, ackscale.FieldErrorf(ackscale.CodeOutOfRange, name, "%s: %s is beyond a 64-bit number%s", name, truncate(string(raw)), seeDocs("R2"))
			}
			return n, nil
		}
	case Bool:
		if s := string(raw); s == "true" || s == "false" {
			return s == "true", nil
		}
	case String:
		var s string
		if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
			return s, nil
		}
	case Strings:
		return decodeList(raw, name, Strings, String, '"', func(r json.RawMessage) (s string, err error) {
			return s, json.Unmarshal(r, &s)
		})
	case Object:
		var m map[string]json.RawMessage
		if raw[0] == '{' && json.Unmarshal(raw, &m) == nil {
			return m, nil
		}
	case Objects:
		return decodeList(raw, name, Objects, Object, '{', func(r json.RawMessage) (m map[string]json.RawMessage, err error) {
			return m, json.Unmarshal(r, &m)
		})
	}
	return nil, typeErr(name, f.Type, raw, "")
}

// decodeInt accepts integer literals only (R2): 2.0 and 1e3 are type errors.
func decodeInt(raw json.RawMessage, name string, want Type) (any, error) {
	lit := string(raw)
	if jsonKind(raw) != "a number" {
		return nil, typeErr(name, want, raw, "")
	}
	if strings.ContainsAny(lit, ".eE") {
		return nil, typeErr(name, want, raw, " "+truncate(lit)+" with a fraction or exponent; write integers as plain digits"+seeDocs("R2"))
	}
	n, err := strconv.ParseInt(lit, 10, 64)
	if err != nil {
		return nil, ackscale.FieldErrorf(ackscale.CodeOutOfRange, name, "%s: %s is beyond a 64-bit integer%s", name, truncate(lit), seeDocs("R2"))
	}
	return n, nil
}

// decodeIntOrString is ruling 6: a JSON integer or a string of digits.
func decodeIntOrString(raw json.RawMessage, name string) (any, error) {
	if raw[0] != '"' {
		return decodeInt(raw, name, IntOrString)
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	if checkInteger(s) != "" {
		return nil, typeErr(name, IntOrString, raw, " that is not only digits")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, ackscale.FieldErrorf(ackscale.CodeOutOfRange, name, "%s: %s is beyond a 64-bit integer%s", name, truncate(s), seeDocs("R2"))
	}
	return n, nil
}

// decodeList decodes a JSON array whose items must start with first.
func decodeList[T any](raw json.RawMessage, name string, want, itemType Type, first byte, dec func(json.RawMessage) (T, error)) (any, error) {
	var items []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		return nil, typeErr(name, want, raw, "")
	}
	out := make([]T, len(items))
	for i, it := range items {
		v, err := dec(it)
		if it[0] != first || err != nil {
			return nil, typeErr(fmt.Sprintf("%s[%d]", name, i), itemType, it, "")
		}
		out[i] = v
	}
	return out, nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// checkValue applies a field's value rules and returns the final value
// (values for objects).
func checkValue(f *Field, val any, name string) (any, error) {
	switch x := val.(type) {
	case int64:
		return x, firstErr(checkRange(f, x, name), checkEnum(f, strconv.FormatInt(x, 10), name, x))
	case bool:
		return x, checkEnum(f, strconv.FormatBool(x), name, x)
	case string:
		return x, checkString(f, x, name)
	case []string:
		return x, checkStrings(f, x, name)
	case map[string]json.RawMessage:
		return parseObject(f, x, name)
	case []map[string]json.RawMessage:
		return checkObjects(f, x, name)
	}
	return val, nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func checkRange(f *Field, n int64, name string) error {
	r := f.Range
	if r == nil || f.ZeroOK && n == 0 {
		return nil
	}
	in := n >= int64(r.Min) && (r.Max == NoMax || n <= int64(r.Max))
	if in && (f.MultipleOf == 0 || n%int64(f.MultipleOf) == 0) {
		return nil
	}
	return fieldErr(ackscale.CodeOutOfRange, name, f, "%d is %s", n, describeRange(f))
}

// describeRange says what a field's Range allows, e.g. "not a multiple of 10
// in [20, 100]".
func describeRange(f *Field) string {
	r := fmt.Sprintf("in [%d, %d]", f.Range.Min, f.Range.Max)
	if f.Range.Max == NoMax {
		if f.MultipleOf == 0 {
			return fmt.Sprintf("less than the minimum %d", f.Range.Min)
		}
		r = fmt.Sprintf("≥ %d", f.Range.Min)
	}
	switch {
	case f.MultipleOf != 0 && f.ZeroOK:
		return fmt.Sprintf("neither 0 nor a multiple of %d %s", f.MultipleOf, r)
	case f.MultipleOf != 0:
		return fmt.Sprintf("not a multiple of %d %s", f.MultipleOf, r)
	}
	return "not " + r
}

func checkEnum(f *Field, s, name string, val any) error {
	if len(f.Enum) == 0 || slices.Contains(f.Enum, s) {
		return nil
	}
	if slices.Contains(f.Unsupported, s) {
		return fieldErr(ackscale.CodeNotInEnum, name, f, "%s is valid in ACK but not supported by ackscale; valid values: %s",
			show(f, val), strings.Join(f.Enum, ", "))
	}
	if len(f.Enum) == 1 {
		return fieldErr(ackscale.CodeNotInEnum, name, f, "must be %s, got %s", f.Enum[0], show(f, val))
	}
	return fieldErr(ackscale.CodeNotInEnum, name, f, "%s is not one of %s", show(f, val), strings.Join(f.Enum, ", "))
}

func checkString(f *Field, s, name string) error {
	if err := checkLength(f, f.Len, s, name); err != nil {
		return err
	}
	if err := checkEnum(f, s, name, s); err != nil {
		return err
	}
	if err := checkFormat(f, s, name); err != nil {
		return err
	}
	if f.Format == FormatInteger {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fieldErr(ackscale.CodeOutOfRange, name, f, "%s is beyond a 64-bit integer", show(f, s))
		}
		return checkRange(f, n, name)
	}
	return nil
}

func checkFormat(f *Field, s, name string) error {
	if f.Format == "" {
		return nil
	}
	if problem := formats[f.Format](s); problem != "" {
		if f.Secret {
			return fieldErr(ackscale.CodeInvalidFormat, name, f, "%s", problem)
		}
		return fieldErr(ackscale.CodeInvalidFormat, name, f, "%s %s", show(f, s), problem)
	}
	return nil
}

// checkLength applies a bound on the length of a string in characters:
// the field's Len, or the ItemLen of a list's item (R21).
func checkLength(f *Field, l *Bounds, s, name string) error {
	if l == nil {
		return nil
	}
	n := utf8.RuneCountInString(s)
	if n >= l.Min && n <= l.Max {
		return nil
	}
	want := fmt.Sprintf("must be %d to %d characters long", l.Min, l.Max)
	if l.Min == 0 {
		want = fmt.Sprintf("must be at most %d characters long", l.Max)
	}
	if f.Secret {
		return boundErr(ackscale.CodeInvalidFormat, name, f, l, "%s", want)
	}
	return boundErr(ackscale.CodeInvalidFormat, name, f, l, "%s, got %d", want, n)
}

func checkCount(f *Field, n int, name string) error {
	l := f.Len
	if l == nil || n >= l.Min && (l.Max == NoMax || n <= l.Max) {
		return nil
	}
	switch {
	case l.Max == NoMax:
		return boundErr(ackscale.CodeOutOfRange, name, f, l, "must have at least %d items, got %d", l.Min, n)
	case l.Min == 0:
		return boundErr(ackscale.CodeOutOfRange, name, f, l, "must have at most %d items, got %d", l.Max, n)
	}
	return boundErr(ackscale.CodeOutOfRange, name, f, l, "must have %d to %d items, got %d", l.Min, l.Max, n)
}

func checkStrings(f *Field, items []string, name string) error {
	if err := checkCount(f, len(items), name); err != nil {
		return err
	}
	for i, s := range items {
		item := fmt.Sprintf("%s[%d]", name, i)
		if s == "" {
			return fieldErr(ackscale.CodeInvalidFormat, item, f, "must not be empty")
		}
		if err := firstErr(checkLength(f, f.ItemLen, s, item), checkEnum(f, s, item, s), checkFormat(f, s, item)); err != nil {
			return err
		}
		if j := slices.Index(items[:i], s); f.Unique && j >= 0 {
			return fieldErr(ackscale.CodeInvalidParameter, item, f, "%s is already listed at %s[%d]", show(f, s), name, j)
		}
	}
	return nil
}

// parseObject checks an object's fields: unknown ones first (ruling 14),
// then each in table order.
func parseObject(f *Field, m map[string]json.RawMessage, name string) (values, error) {
	where := f.Name
	if f.Type == Objects {
		where = "an item of " + f.Name
	}
	if err := (memberSet{known: f.Fields, sdk: f.SDKEmpty}).unknown(m, name+".", where); err != nil {
		return nil, err
	}
	v, _, err := parseFields(f.Fields, m, name+".")
	return v, err
}

func checkObjects(f *Field, items []map[string]json.RawMessage, name string) ([]values, error) {
	if err := checkCount(f, len(items), name); err != nil {
		return nil, err
	}
	out := make([]values, len(items))
	for i, m := range items {
		v, err := parseObject(f, m, fmt.Sprintf("%s[%d]", name, i))
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, uniqueBy(f, out, name)
}

func uniqueBy(f *Field, items []values, name string) error {
	if len(f.UniqueBy) == 0 {
		return nil
	}
	seen := map[string]int{}
	for i, v := range items {
		key := fmt.Sprint(keyValues(v, f.UniqueBy))
		if j, dup := seen[key]; dup {
			return fieldErr(ackscale.CodeInvalidParameter, fmt.Sprintf("%s[%d]", name, i), f,
				"same %s as %s[%d]", strings.Join(f.UniqueBy, " and "), name, j)
		}
		seen[key] = i
	}
	return nil
}

func keyValues(v values, keys []string) []any {
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = v[k]
	}
	return out
}
