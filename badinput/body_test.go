package badinput

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/rules"
)

// bodyCases are the body-level cases of one operation (R16, and the
// media types of "Error codes (all)"), built around its valid base body.
func bodyCases(base string) []badCase {
	b := []byte(strings.TrimSpace(base))
	b = b[:len(b):len(b)] // every append below copies
	// prepend inserts a member before the base's own.
	prepend := func(member string) []byte { return append([]byte("{"+member+","), b[1:]...) }
	key, val := firstMember(b)

	malformed := func(text string) expect {
		w := want(ackscale.CodeMalformedBody, "")
		w.text = text
		return w
	}
	jsonCase := func(name string, body []byte, w expect) badCase {
		return badCase{name: name, req: request{body: body, contentType: "application/json"}, want: w}
	}
	cases := []badCase{
		// Syntax: the message gives the byte offset (R16).
		jsonCase("body/truncated", bytes.Clone(b[:len(b)/2]), malformed("offset")),
		jsonCase("body/unclosed", bytes.Clone(b[:len(b)-1]), malformed("offset")),
		jsonCase("body/trailing-garbage", append(bytes.Clone(b), 'x'), malformed("offset")),
		jsonCase("body/trailing-object", append(bytes.Clone(b), "{}"...), malformed("offset")),
		jsonCase("body/duplicate-key", prepend(fmt.Sprintf("%q:%s", key, val)), malformed(fmt.Sprintf("%q", key))),
		jsonCase("body/duplicate-key-nested", prepend(`"ackscale_dup":{"a":1,"a":2}`), malformed(`"a"`)),
		jsonCase("body/duplicate-key-in-item", prepend(`"ackscale_dup":[{"a":1,"a":2}]`), malformed(`"a"`)),
		jsonCase("body/duplicate-key-escaped", prepend(fmt.Sprintf(`%q:%s,"\u%04x%s":%s`, "ackscale_dup", val, 'a', "ckscale_dup", val)),
			malformed(`"ackscale_dup"`)),
		jsonCase("body/top-level-array", append(append([]byte("["), b...), ']'), malformed("offset")),
		jsonCase("body/top-level-string", []byte(`"x"`), malformed("offset")),
		jsonCase("body/top-level-number", []byte(`1`), malformed("offset")),
		jsonCase("body/top-level-null", []byte(`null`), malformed("offset")),
		jsonCase("body/empty", nil, malformed("empty")),
		jsonCase("body/whitespace", []byte(" \r\n\t"), malformed("empty")),
		jsonCase("body/bare-key", prepend(`ackscale_bare:1`), malformed("offset")),
		jsonCase("body/single-quotes", prepend(`'ackscale_quote':1`), malformed("offset")),
		jsonCase("body/nan", prepend(`"ackscale_nan":NaN`), malformed("offset")),
		jsonCase("body/leading-zero", prepend(`"ackscale_zero":007`), malformed("offset")),
		jsonCase("body/trailing-comma", append(bytes.Clone(bytes.TrimSuffix(b, []byte("}"))), ",}"...), malformed("offset")),
		jsonCase("body/comment", append([]byte("// ackscale\n"), b...), malformed("offset")),
		jsonCase("body/byte-order-mark", append([]byte("\xef\xbb\xbf"), b...), malformed("offset")),
		// Invalid UTF-8, in a string and in a key (R16).
		jsonCase("body/invalid-utf8", prepend("\"ackscale_utf8\":\"\xff\""), malformed("offset")),
		jsonCase("body/invalid-utf8-key", prepend("\"ackscale_\xfe\":1"), malformed("offset")),
		jsonCase("body/invalid-utf8-overlong", prepend("\"ackscale_utf8\":\"\xc0\xaf\""), malformed("offset")),
		jsonCase("body/invalid-utf8-surrogate", prepend("\"ackscale_utf8\":\"\xed\xa0\x80\""), malformed("offset")),
		jsonCase("body/invalid-utf8-cut", prepend("\"ackscale_utf8\":\"\xe2\x82\""), malformed("offset")),
		// Depth: 32 levels pass R16 (and the field is unknown), 33 do not.
		jsonCase("body/depth-33", prepend(`"ackscale_deep":`+strings.Repeat("[", 32)+strings.Repeat("]", 32)), malformed("offset")),
		jsonCase("body/depth-32", prepend(`"ackscale_deep":`+strings.Repeat("[", 31)+strings.Repeat("]", 31)),
			want(ackscale.CodeUnknownField, "ackscale_deep")),
		// Size: 1 MiB passes R16 (and the padding field is unknown), one byte more does not.
		jsonCase("body/1MiB", padTo(prepend, rules.MaxBodyBytes), want(ackscale.CodeUnknownField, "ackscale_padding")),
		jsonCase("body/1MiB+1", padTo(prepend, rules.MaxBodyBytes+1), want(ackscale.CodeBodyTooLarge, "")),
		jsonCase("body/2MiB", padTo(prepend, 2<<20), want(ackscale.CodeBodyTooLarge, "")),
		{name: "body/2MiB-chunked", req: request{body: padTo(prepend, 2<<20), contentType: "application/json", chunked: true},
			want: want(ackscale.CodeBodyTooLarge, "")},
	}
	// Media types that are not JSON ("Error codes (all)": 415).
	for _, mt := range []struct{ name, contentType, body string }{
		{"form", "application/x-www-form-urlencoded", string(b)},
		{"form-encoded", "application/x-www-form-urlencoded", "count=1&key_pair=secrity-key"},
		{"multipart", "multipart/form-data; boundary=ackscale", "--ackscale\r\n\r\n" + string(b) + "\r\n--ackscale--\r\n"},
		{"xml", "application/xml", string(b)},
		{"xml-body", "application/xml", "<Request><count>1</count></Request>"},
		{"text-xml", "text/xml", string(b)},
		{"text", "text/plain", string(b)},
		{"html", "text/html; charset=utf-8", string(b)},
	} {
		w := want(ackscale.CodeUnsupportedMedia, "")
		w.text = "Content-Type"
		cases = append(cases, badCase{name: "content-type/" + mt.name, req: request{body: []byte(mt.body), contentType: mt.contentType}, want: w})
	}
	return cases
}

// padTo returns a body of exactly n bytes: the base with an unknown
// string field that fills it up.
func padTo(prepend func(string) []byte, n int) []byte {
	short := prepend(`"ackscale_padding":""`)
	return prepend(`"ackscale_padding":"` + strings.Repeat("p", n-len(short)) + `"`)
}

// firstMember returns the first key of a JSON object and its value's text
// (the bases start with a scalar member).
func firstMember(b []byte) (string, string) {
	m := decode(string(b))
	s := strings.TrimSpace(string(b[1:]))
	key := s[1 : 1+strings.IndexByte(s[1:], '"')]
	val := string(encode(body{"v": m[key]}))
	return key, strings.TrimSuffix(strings.TrimPrefix(val, `{"v":`), "}")
}

// mergedCases are ModifyClusterNodePool bodies that pass its own table but
// not the rules of the pool they would make: the pool's configuration
// with the body merged in is validated whole by CreateClusterNodePool's
// table (docs/api.md, R28), and the scale it asks for by R31's limit.
func mergedCases(base string) []badCase {
	b := decode(base)
	sg := b["scaling_group"].(map[string]any)
	size, _ := sg["desired_size"].(json.Number).Int64()
	with := func(set func(b body)) []byte {
		c := clone(b)
		set(c)
		return encode(c)
	}
	c := func(name string, set func(b body), w expect) badCase {
		return badCase{name: "merged/" + name, req: request{body: with(set), contentType: "application/json"}, want: w}
	}
	autoScaling := func(enable bool, min, max int) func(b body) {
		return func(b body) {
			b["auto_scaling"] = map[string]any{"enable": enable, "min_instances": num(min), "max_instances": num(max)}
		}
	}
	desired := func(n int) func(b body) {
		return func(b body) { b["scaling_group"].(map[string]any)["desired_size"] = num(n) }
	}
	return []badCase{
		c("auto_scaling.type-changed", func(b body) { b["auto_scaling"] = map[string]any{"type": "gpu"} },
			want(ackscale.CodeInvalidParameter, "auto_scaling.type")),
		c("auto-scaling-bounds", autoScaling(true, 2, 1), want(ackscale.CodeOutOfRange, "auto_scaling.max_instances")),
		c("desired-size-below-auto-scaling", autoScaling(true, int(size)+1, int(size)+2), want(ackscale.CodeOutOfRange, "scaling_group.desired_size")),
		c("desired-size-above-auto-scaling", autoScaling(true, 0, int(size)-1), want(ackscale.CodeOutOfRange, "scaling_group.desired_size")),
		c("prepaid-without-period", func(b body) { b["scaling_group"].(map[string]any)["instance_charge_type"] = "PrePaid" },
			want(ackscale.CodeMissingParameter, "scaling_group.period")),
		c("quota+1", desired(rules.DefaultMaxWorkers+1), want(ackscale.CodeQuotaExceeded, "scaling_group.desired_size")),
		c("more-than-500-at-once", desired(int(size)+500), want(ackscale.CodeOutOfRange, "scaling_group.desired_size")),
	}
}

// poolLimitCases are CreateClusterNodePool bodies that pass its table but
// ask for more nodes than one call may add (R31: 500).
func poolLimitCases(base string) []badCase {
	b := clone(decode(base))
	b["scaling_group"].(map[string]any)["desired_size"] = num(501)
	return []badCase{{name: "limit/more-than-500-at-once", req: request{body: encode(b), contentType: "application/json"},
		want: want(ackscale.CodeOutOfRange, "scaling_group.desired_size")}}
}
