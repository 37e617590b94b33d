package badinput

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/rules"
)

// A query operation (RemoveNodePoolNodes) takes its parameters in the
// query, which the server makes into one JSON object for its table (R32,
// docs/api.md): a list parameter is a JSON array (or a comma-separated
// list), a flag true or false, anything else passed on as the string it
// is. Each generated case is sent as the query that says its body; a body
// no query can say (a string where a list goes, a null) is listed as not
// generated.

// maxURL is the longest request target sent: the server reads at most
// 64 KiB of request line and headers (net/http answers 431 beyond,
// before ackscale sees the request).
const maxURL = 60 << 10

// toQuery encodes a body as query parameters: strings as they are, lists
// and objects as JSON, numbers and booleans as their literals. ok is false
// for a value a query cannot carry: null (absent) and "" (absent too).
func toQuery(b body) (string, bool) {
	q := url.Values{}
	for k, v := range b {
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case bool:
			s = strconv.FormatBool(x)
		case json.Number:
			s = string(x)
		case json.RawMessage:
			s = string(x)
		case nil:
			return "", false
		default:
			s = compactJSON(x)
		}
		if s == "" {
			return "", false
		}
		q.Set(k, s)
	}
	return q.Encode(), true
}

func compactJSON(v any) string {
	b := encode(body{"v": v})
	return strings.TrimSuffix(strings.TrimPrefix(string(b), `{"v":`), "}")
}

// fromQuery is the object the documented reading of q gives, for the
// table's fields (a parameter the table lacks is refused whatever its
// value: left out).
func fromQuery(tab rules.Table, q url.Values) body {
	out := body{}
	for _, f := range tab.Fields {
		v := q.Get(f.Name)
		if v == "" {
			continue
		}
		switch f.Type {
		case rules.Strings:
			var list []any
			if strings.HasPrefix(strings.TrimSpace(v), "[") && json.Unmarshal([]byte(v), &list) == nil {
				out[f.Name] = list
			} else {
				items := []any{}
				for _, s := range strings.Split(v, ",") {
					items = append(items, s)
				}
				out[f.Name] = items
			}
		case rules.Bool:
			if v == "true" || v == "false" {
				out[f.Name] = v == "true"
			} else {
				out[f.Name] = v
			}
		default:
			out[f.Name] = v
		}
	}
	return clone(out)
}

// notBools replaces every value of a flag that is not a boolean by one
// marker: 1, [true] and {} reach the server as the strings "1", "[true]"
// and "{}", which are no booleans either (the same InvalidType).
func notBools(tab rules.Table, b body) body {
	for _, f := range tab.Fields {
		if v, ok := b[f.Name]; ok && f.Type == rules.Bool {
			if _, isBool := v.(bool); !isBool {
				b[f.Name] = "not a boolean"
			}
		}
	}
	return b
}

// asQueries turns the cases of a query table into requests with their
// query; the ones no query says are returned as not generated.
func asQueries(tab rules.Table, cases []badCase, path string) ([]badCase, []string) {
	var out []badCase
	var skipped []string
	known := func(b body) body {
		out := body{}
		for _, f := range tab.Fields {
			if v, ok := b[f.Name]; ok {
				out[f.Name] = v
			}
		}
		return notBools(tab, clone(out))
	}
	for _, c := range cases {
		b := decode(string(c.req.body))
		q, ok := toQuery(b)
		if ok {
			vals, _ := url.ParseQuery(q)
			ok = reflect.DeepEqual(notBools(tab, fromQuery(tab, vals)), known(b))
		}
		switch {
		case !ok:
			skipped = append(skipped, c.name+": a query cannot say this body (a list parameter is a list, a flag true or false, absent is empty)")
		case len(path)+1+len(q) > maxURL:
			skipped = append(skipped, fmt.Sprintf("%s: its URL would be %d KiB: net/http refuses it (431) before ackscale reads it", c.name, (len(path)+len(q))>>10))
		default:
			c.req = request{path: path + "?" + q}
			out = append(out, c)
		}
	}
	return out, skipped
}

// queryCases are the query-level cases of RemoveNodePoolNodes, around its
// base: lists that are not JSON arrays, flags that are not true or false,
// parameters sent empty.
func queryCases(base, path string) []badCase {
	b := decode(base)
	node := b["nodes"].([]any)[0].(string)
	with := func(set map[string]string, drop ...string) string {
		q := url.Values{}
		for k, v := range b {
			if !slices.Contains(drop, k) {
				q.Set(k, compactJSON(v))
			}
		}
		for k, v := range set {
			q.Set(k, v)
		}
		return path + "?" + q.Encode()
	}
	missing := want(ackscale.CodeMissingParameter, "nodes,instance_ids")
	return []badCase{
		// Not a JSON array: a comma-separated list, whose item is no node name.
		{name: "query/list-unclosed", req: request{path: with(map[string]string{"nodes": `["` + node + `"`})},
			want: want(ackscale.CodeInvalidFormat, "nodes[0]")},
		{name: "query/comma-list-bad-item", req: request{path: with(map[string]string{"nodes": node + ",Bad_Node"})},
			want: want(ackscale.CodeInvalidFormat, "nodes[1]")},
		{name: "query/comma-list-duplicate", req: request{path: with(map[string]string{"nodes": node + "," + node})},
			want: want(ackscale.CodeInvalidParameter, "nodes[1]")},
		{name: "query/comma-list-empty-item", req: request{path: with(map[string]string{"nodes": node + ","})},
			want: want(ackscale.CodeInvalidFormat, "nodes[1]")},
		{name: "query/instance-ids-duplicate", req: request{path: with(map[string]string{"instance_ids": "i-a,i-a"})},
			want: want(ackscale.CodeInvalidParameter, "instance_ids[1]")},
		// Flags are true or false, exactly.
		{name: "query/flag-upper-case", req: request{path: with(map[string]string{"release_node": "TRUE"})},
			want: want(ackscale.CodeInvalidType, "release_node")},
		{name: "query/flag-yes", req: request{path: with(map[string]string{"drain_node": "yes"})},
			want: want(ackscale.CodeInvalidType, "drain_node")},
		{name: "query/flag-t", req: request{path: with(map[string]string{"concurrency": "t"})},
			want: want(ackscale.CodeInvalidType, "concurrency")},
		// Empty is absent (R14): no node named.
		{name: "query/none", req: request{path: with(nil, "nodes")}, want: missing},
		{name: "query/nodes-empty", req: request{path: with(map[string]string{"nodes": ""})}, want: missing},
		{name: "query/nodes-empty-array", req: request{path: with(map[string]string{"nodes": "[]"})}, want: missing},
		{name: "query/nothing", req: request{path: path}, want: missing},
	}
}
