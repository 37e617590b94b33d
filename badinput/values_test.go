package badinput

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/ackscale/ackscale/rules"
)

// A body is a decoded JSON object whose numbers are json.Number; values
// set by mutations may also be json.RawMessage (literals such as 7.0).
type body = map[string]any

func decode(s string) body {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var b body
	if err := dec.Decode(&b); err != nil {
		panic(fmt.Sprintf("base body: %v", err))
	}
	return b
}

func clone(b body) body {
	return decode(string(encode(b)))
}

func encode(b body) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(b); err != nil {
		panic(err)
	}
	return bytes.TrimSpace(buf.Bytes())
}

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func num(n int) json.Number { return json.Number(strconv.Itoa(n)) }

// oversizeLen is the length of the oversize strings: 64 KiB.
const oversizeLen = 64 << 10

// oversize is a 64 KiB string that no format accepts: one character
// class plus "!" is no password, and "!" is in no CIDR, name, label,
// Base64 or digit string.
var oversize = strings.Repeat("a", oversizeLen-1) + "!"

// validValue is a value of f that passes every rule of f itself, and is
// not empty (ruling 14 ignores empty values of SDK-model fields).
func validValue(f rules.Field) any {
	switch f.Type {
	case rules.Int, rules.IntOrString:
		return num(validInt(f))
	case rules.Bool:
		return len(f.Enum) == 0 || f.Enum[0] == "true"
	case rules.String:
		return validString(f, 0)
	case rules.Strings:
		return []any{validString(f, 0)}
	case rules.Object:
		return validObject(f.Fields, 0)
	case rules.Objects:
		return []any{validObject(f.Fields, 0)}
	case rules.Number:
		return num(1)
	}
	panic("unknown type " + f.Type)
}

// validInt is the first allowed value that is not 0.
func validInt(f rules.Field) int {
	if len(f.Enum) > 0 {
		n, _ := strconv.Atoi(f.Enum[0])
		return n
	}
	if f.Range == nil {
		return 1
	}
	n := f.Range.Min
	if f.MultipleOf > 0 && n%f.MultipleOf != 0 {
		n += f.MultipleOf - n%f.MultipleOf
	}
	if n == 0 {
		n = max(f.MultipleOf, 1)
	}
	return n
}

// validString is the i-th of distinct valid strings for f.
func validString(f rules.Field, i int) string {
	if len(f.Enum) > 0 {
		return f.Enum[i%len(f.Enum)]
	}
	s := fmt.Sprintf("badinput-%d", i)
	switch f.Format {
	case rules.FormatPassword:
		s = fmt.Sprintf("Badinput%d!", i)
	case rules.FormatCIDR:
		s = fmt.Sprintf("10.%d.0.0/16", i%256)
	case rules.FormatBase64:
		s = "YmFkaW5wdXQ="
	case rules.FormatInteger:
		s = strconv.Itoa(f.Range.Min + i)
	case rules.FormatNodeName:
		s = fmt.Sprintf("cn-beijing.192.168.%d.%d", i/200, 10+i%200)
	}
	if f.Len != nil && len(s) < f.Len.Min {
		s += strings.Repeat("x", f.Len.Min-len(s))
	}
	return s
}

// validObject has every required sub-field, each valid.
func validObject(fs []rules.Field, i int) map[string]any {
	m := map[string]any{}
	for _, f := range fs {
		if f.Required {
			m[f.Name] = validValue(f)
			if f.Type == rules.String {
				m[f.Name] = validString(f, i)
			}
		}
	}
	return m
}

// variant is a named value for a mutation; item is the index of the array
// item the error names, or -1 for the field itself.
type variant struct {
	name  string
	value any
	item  int
}

func v(name string, value any) variant { return variant{name: name, value: value, item: -1} }

// wrongTypes are values of every JSON type that f's type does not take
// (ruling 13, R2). null is not among them: it is absence (R3).
func wrongTypes(t rules.Type) []variant {
	str, number, boolean, object := v("type:string", "x"), v("type:number", num(7)), v("type:bool", true), v("type:object", map[string]any{})
	switch t {
	case rules.Int:
		return []variant{v("type:digit-string", "7"), v("type:fraction", raw("7.0")), v("type:exponent", raw("7e0")),
			boolean, v("type:array", []any{num(7)}), object}
	case rules.IntOrString:
		return []variant{v("type:letter-string", "x"), v("type:fraction-string", "200.0"), v("type:fraction", raw("200.0")),
			v("type:exponent", raw("2e2")), boolean, v("type:array", []any{num(200)}), object}
	case rules.String:
		return []variant{number, boolean, v("type:array", []any{"x"}), object}
	case rules.Bool:
		return []variant{v("type:string", "true"), v("type:number", num(1)), v("type:array", []any{true}), object}
	case rules.Strings:
		return []variant{str, number, boolean, object, {name: "type:number-item", value: []any{num(7)}, item: 0},
			{name: "type:null-item", value: []any{nil}, item: 0}}
	case rules.Object:
		return []variant{str, number, boolean, v("type:array", []any{map[string]any{}})}
	case rules.Objects:
		return []variant{str, number, boolean, object, {name: "type:string-item", value: []any{"x"}, item: 0},
			{name: "type:number-item", value: []any{num(7)}, item: 0}, {name: "type:null-item", value: []any{nil}, item: 0}}
	case rules.Number:
		return []variant{v("type:digit-string", "7"), boolean, v("type:array", []any{num(7)}), object}
	}
	panic("unknown type " + t)
}

// rangeVariants are the integers just outside f's range and step, as
// decimal literals.
func rangeVariants(f rules.Field) []variant {
	r, step := f.Range, f.MultipleOf
	var out []variant
	add := func(name string, n int) {
		// 0 is allowed by ZeroOK and absent by EmptyIsAbsent (R14): not
		// out of range.
		if n == 0 && (f.ZeroOK || f.EmptyIsAbsent) {
			return
		}
		if !slices.ContainsFunc(out, func(o variant) bool { return o.value == strconv.Itoa(n) }) {
			out = append(out, v(name, strconv.Itoa(n)))
		}
	}
	add("min-1", r.Min-1)
	if r.Min-1 == 0 && (f.ZeroOK || f.EmptyIsAbsent) {
		add("negative", -1)
	}
	if r.Max != rules.NoMax {
		add("max+1", r.Max+1)
	}
	if step > 1 {
		add("min-step", r.Min-step)
		if r.Max != rules.NoMax {
			add("max+step", r.Max+step)
		}
		if r.Min+1 <= r.Max && (r.Min+1)%step != 0 {
			add("off-step", r.Min+1)
		}
	}
	return out
}

// overflow is beyond a 64-bit integer (R2).
const overflow = "99999999999999999999"

// nearMisses are strings that differ from s in case, spacing or one
// letter, and are not in enum (ruling 15 compares exactly).
func nearMisses(s string, enum []string) []variant {
	cands := []variant{
		v("enum:upper-case", strings.ToUpper(s)), v("enum:lower-case", strings.ToLower(s)),
		v("enum:leading-space", " "+s), v("enum:trailing-space", s+" "), v("enum:one-letter", oneLetter(s)),
	}
	var out []variant
	for _, c := range cands {
		if !slices.Contains(enum, c.value.(string)) && !slices.ContainsFunc(out, func(o variant) bool { return o.value == c.value }) {
			out = append(out, c)
		}
	}
	return out
}

// oneLetter changes the last letter of s (or appends one).
func oneLetter(s string) string {
	r := []rune(s)
	for i := len(r) - 1; i >= 0; i-- {
		if unicode.IsLetter(r[i]) {
			if r[i] == 'q' {
				r[i] = 'x'
			} else {
				r[i] = 'q'
			}
			return string(r)
		}
	}
	return s + "q"
}

// nearInts are integers next to an integer enumeration's values that are
// not among them.
func nearInts(enum []string) []variant {
	var ns []int
	for _, e := range enum {
		n, _ := strconv.Atoi(e)
		ns = append(ns, n)
	}
	in := func(n int) bool { return slices.Contains(ns, n) }
	out := []variant{v("enum:below", num(slices.Min(ns)-1)), v("enum:above", num(slices.Max(ns)+1))}
	for _, n := range ns {
		if !in(n + 1) {
			if n+1 != slices.Max(ns)+1 {
				out = append(out, v("enum:gap", num(n+1)))
			}
			break
		}
	}
	return out
}

// formatViolations are strings of the wrong shape for each format whose
// shape is known (rules.Format's documentation, rulings 3, R9, R17, R18,
// R21, R23), none of them empty or too long for the field.
var formatViolations = map[rules.Format][]variant{
	rules.FormatPassword: {v("format:one-class", "abcdefgh"), v("format:two-classes", "abcd1234"),
		v("format:space", "Abc 1234!"), v("format:non-ascii", "Abcd1234é"), v("format:tab", "Abcd\t1234")},
	rules.FormatCIDR: {v("format:not-cidr", "not-a-cidr"), v("format:prefix-33", "10.0.0.0/33"), v("format:host-bits", "10.0.0.1/8"),
		v("format:public", "8.8.0.0/16"), v("format:wider-than-private", "10.0.0.0/7"), v("format:ipv6", "fd00::/8"), v("format:no-prefix", "10.0.0.0")},
	rules.FormatClusterName: {v("format:leading-dash", "-badinput"), v("format:leading-underscore", "_badinput"),
		v("format:space", "bad input"), v("format:dot", "bad.input"), v("format:emoji", "bad🙂")},
	rules.FormatLabelKey: {v("format:leading-dash", "-key"), v("format:space", "a key"), v("format:two-slashes", "a/b/c"),
		v("format:long-name", strings.Repeat("k", 64)), v("format:bad-prefix", "Upper_Case/key")},
	rules.FormatTagKey: {v("format:aliyun-prefix", "aliyun-key"), v("format:acs-prefix", "acs:key"), v("format:http-prefix", "http://key"),
		v("format:https-prefix", "https://key"), v("format:leading-dash", "-key"), v("format:space", "a key")},
	rules.FormatLabelValue: {v("format:leading-dash", "-value"), v("format:space", "a value"), v("format:long", strings.Repeat("v", 64))},
	rules.FormatBase64: {v("format:not-base64", "not base64!"), v("format:no-padding", "YmFkaW5wdXQ"), v("format:url-alphabet", "-_-_"),
		v("format:line-break", "YmFk\naW5wdXQ="), v("format:crlf", "YmFk\r\naW5wdXQ="), v("format:trailing-newline", "YmFkaW5wdXQ=\n")},
	rules.FormatInteger: {v("format:letters", "12a"), v("format:negative", "-40"), v("format:space", " 40"),
		v("format:exponent", "4e1"), v("format:fraction", "40.0")},
	rules.FormatNodeName: {v("format:upper-case", "CN-Beijing.192.168.0.10"), v("format:underscore", "cn_beijing.192.168.0.10"),
		v("format:leading-dash", "-cn-beijing.192.168.0.10"), v("format:space", "cn-beijing 192.168.0.10"), v("format:long", strings.Repeat("n", 254))},
	rules.FormatPoolName: {v("format:leading-dash", "-badinput"), v("format:underscore", "bad_input"), v("format:space", "bad input"),
		v("format:dot", "bad.input")},
	rules.FormatECSTagKey: {v("format:aliyun-prefix", "aliyun-key"), v("format:acs-prefix", "acs:key"), v("format:http", "a http://key"),
		v("format:https", "a https://key")},
	rules.FormatECSTagValue: {v("format:aliyun-prefix", "aliyun-value"), v("format:acs-prefix", "acs:value"), v("format:http", "a http://value")},
	rules.FormatNodeNameMode: {v("format:not-custom", "aliyun"), v("format:no-prefix", "customized,,ip,com"), v("format:upper-case", "customized,Node,ip,"),
		v("format:double-dot", "customized,a..b,ip,"), v("format:no-ip", "customized,a,host,b")},
}

// emptyAllowed says whether "" has each format's shape: a label value may
// be empty (rules.FormatLabelValue), and "" is standard Base64 of nothing;
// a password's and a name's length rule refuses "" before the format does.
var emptyAllowed = map[rules.Format]bool{
	rules.FormatLabelValue: true, rules.FormatBase64: true,
	rules.FormatPassword: false, rules.FormatCIDR: false, rules.FormatClusterName: false, rules.FormatLabelKey: false,
	rules.FormatTagKey: false, rules.FormatInteger: false, rules.FormatNodeName: false,
	rules.FormatPoolName: false, rules.FormatECSTagKey: false, rules.FormatECSTagValue: true, rules.FormatNodeNameMode: false,
}
