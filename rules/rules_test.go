package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// row is one rule: a body (base, then set/del applied), the target and
// what must happen. Its name cites the seed or ruling it checks.
type row struct {
	name   string
	base   string         // a whole body; "" = the suite's base body
	set    map[string]any // top-level fields to set (json.RawMessage for raw JSON)
	del    []string       // top-level fields to remove
	target func(*Target)
	cloud  Cloud  // nil = fakeCloud{}
	code   string // "" = accepted
	field  string
	want   func(t *testing.T, out any)
}

// suite runs the rows of one operation on one profile.
type suite struct {
	base   string
	target func() Target
	op     func(Target, []byte, Cloud) (any, error)
	rows   []row
}

type raw = json.RawMessage

func (s suite) run(t *testing.T) {
	t.Helper()
	for _, r := range s.rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			tgt := Target{}
			if s.target != nil {
				tgt = s.target()
			}
			if r.target != nil {
				r.target(&tgt)
			}
			body := r.body(t, s.base)
			c := r.cloud
			if c == nil {
				c = fakeCloud{}
			}
			out, err := s.op(tgt, body, c)
			r.check(t, body, out, err)
		})
	}
}

func (r row) body(t *testing.T, base string) []byte {
	if r.base != "" {
		base = r.base
	}
	if r.set == nil && r.del == nil {
		return []byte(base)
	}
	if r.nested() {
		return r.nestedBody(t, base)
	}
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(base), &m))
	for k, v := range r.set {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		m[k] = b
	}
	for _, k := range r.del {
		delete(m, k)
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

func (r row) check(t *testing.T, body []byte, out any, err error) {
	if r.code == "" {
		require.NoError(t, err, "body %s", body)
		if r.want != nil {
			r.want(t, out)
		}
		return
	}
	require.Error(t, err, "body %s", body)
	var e *ackscale.Error
	require.True(t, errors.As(err, &e), "not an *ackscale.Error: %v", err)
	require.Equal(t, r.code, e.Code, "message: %s", e.Message)
	require.Equal(t, r.field, e.Field, "message: %s", e.Message)
	require.Contains(t, e.Message, r.field, "the message names the field")
	for _, pw := range passwordsIn(body) {
		require.NotContains(t, e.Message, pw, "a password in the message (ruling 3)")
	}
}

// nested reports whether the row sets or deletes a field inside an
// object: a dotted name such as scaling_group.desired_size.
func (r row) nested() bool {
	for k := range r.set {
		if strings.Contains(k, ".") {
			return true
		}
	}
	return slices.ContainsFunc(r.del, func(k string) bool { return strings.Contains(k, ".") })
}

// nestedBody applies set and del by dotted name, adding the objects on the
// way.
func (r row) nestedBody(t *testing.T, base string) []byte {
	m := decodeMap(t, base)
	at := func(path string) (map[string]any, string) {
		parts := strings.Split(path, ".")
		o := m
		for _, p := range parts[:len(parts)-1] {
			next, ok := o[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				o[p] = next
			}
			o = next
		}
		return o, parts[len(parts)-1]
	}
	for k, v := range r.set {
		o, name := at(k)
		o[name] = v
	}
	for _, k := range r.del {
		o, name := at(k)
		delete(o, name)
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

// passwordsIn returns the login_passwords sent in body, at any depth.
func passwordsIn(body []byte) []string {
	var v any
	_ = json.Unmarshal(body, &v)
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, it := range x {
				if s, ok := it.(string); ok && k == "login_password" && len(s) >= 4 {
					out = append(out, s)
				}
				walk(it)
			}
		case []any:
			for _, it := range x {
				walk(it)
			}
		}
	}
	walk(v)
	return out
}

func scaleOutOp(t Target, body []byte, c Cloud) (any, error) { return ScaleOut(t, body, c) }
func scaleOp(t Target, body []byte, c Cloud) (any, error)    { return Scale(t, body, c) }
func createOp(_ Target, body []byte, c Cloud) (any, error)   { return CreateCluster(body, c) }
func deleteOp(_ Target, body []byte, _ Cloud) (any, error)   { return DeleteNodes(body) }
func nodePoolOp(t Target, body []byte, c Cloud) (any, error) { return NodePool(t, body, c) }
func modifyPoolOp(_ Target, body []byte, _ Cloud) (any, error) {
	return ModifyNodePool(body)
}
func scalePoolOp(_ Target, body []byte, _ Cloud) (any, error)  { return ScaleNodePool(body) }
func removePoolOp(_ Target, body []byte, _ Cloud) (any, error) { return RemoveNodePoolNodes(body) }

// wantOut asserts on a ScaleOut result.
func wantOut(f func(t *testing.T, so ackscale.ScaleOut)) func(*testing.T, any) {
	return func(t *testing.T, out any) { f(t, out.(ackscale.ScaleOut)) }
}

func wantLegacy(f func(t *testing.T, ls LegacyScale)) func(*testing.T, any) {
	return func(t *testing.T, out any) { f(t, out.(LegacyScale)) }
}

func wantSpec(f func(t *testing.T, s ackscale.ClusterSpec)) func(*testing.T, any) {
	return func(t *testing.T, out any) { f(t, out.(ackscale.ClusterSpec)) }
}

func workers(n int) func(*Target) { return func(t *Target) { t.Workers = n } }

func repeat(s string, n int) string { return strings.Repeat(s, n) }

// distinct returns n different strings starting with prefix.
func distinct(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint(prefix, i)
	}
	return out
}

// distinctObjects returns n objects made by item.
func distinctObjects[T any](n int, item func(int) T) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = item(i)
	}
	return out
}

// list returns n copies of v.
func list(v any, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = v
	}
	return out
}
