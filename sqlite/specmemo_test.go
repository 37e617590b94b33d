package sqlite

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// filledSpec is a pool spec with every slice, map and pointer set, as JSON.
func filledSpec(t testing.TB) (ackscale.NodePoolSpec, string) {
	var spec ackscale.NodePoolSpec
	fill(reflect.ValueOf(&spec).Elem())
	spec.Config = json.RawMessage(`{"scaling_group":{"key_pair":"k"}}`)
	raw, err := json.Marshal(spec)
	require.NoError(t, err)
	var want ackscale.NodePoolSpec // what encoding/json gives for raw
	require.NoError(t, json.Unmarshal(raw, &want))
	return want, string(raw)
}

// newSpecMemo is a pool-spec memo like poolSpecs, of max entries.
func newSpecMemo(max int) *keyedCache[ackscale.NodePoolSpec] {
	return &keyedCache[ackscale.NodePoolSpec]{clone: deepCopy[ackscale.NodePoolSpec], max: max}
}

func TestSpecMemoDecodesAsJSON(t *testing.T) {
	want, raw := filledSpec(t)
	memo := newSpecMemo(2)
	var first, second ackscale.NodePoolSpec
	require.NoError(t, decodeSpec(memo, raw, &first))
	require.NoError(t, decodeSpec(memo, raw, &second)) // from the memo
	require.Equal(t, want, first)
	require.Equal(t, want, second)
	require.Len(t, memo.rows, 1)
	// Each answer is the caller's own: the memo's and the first caller's
	// values share nothing with the second's.
	requireDisjoint(t, "first and second", reflect.ValueOf(first), reflect.ValueOf(second))
	requireDisjoint(t, "memo and first", reflect.ValueOf(memo.rows[raw]), reflect.ValueOf(first))
	requireDisjoint(t, "memo and second", reflect.ValueOf(memo.rows[raw]), reflect.ValueOf(second))

	var other ackscale.NodePoolSpec
	require.NoError(t, decodeSpec(memo, `{"name":"other"}`, &other))
	require.Equal(t, "other", other.Name)
	require.Error(t, decodeSpec(memo, `{"name":`, &other))
	require.NoError(t, decodeSpec(memo, `{"name":"third"}`, &other)) // past max: starts over
	require.Len(t, memo.rows, 1)
	require.Equal(t, "third", other.Name)
}

func BenchmarkSpecDecode(b *testing.B) {
	_, raw := filledSpec(b)
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			var s ackscale.NodePoolSpec
			_ = json.Unmarshal([]byte(raw), &s)
		}
	})
	b.Run("memo", func(b *testing.B) {
		memo := newSpecMemo(2)
		for b.Loop() {
			var s ackscale.NodePoolSpec
			_ = decodeSpec(memo, raw, &s)
		}
	})
}
