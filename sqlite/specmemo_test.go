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

func TestSpecMemoDecodesAsJSON(t *testing.T) {
	want, raw := filledSpec(t)
	memo := &specMemo[ackscale.NodePoolSpec]{max: 2}
	var first, second ackscale.NodePoolSpec
	require.NoError(t, memo.decode(raw, &first))
	require.NoError(t, memo.decode(raw, &second)) // from the memo
	require.Equal(t, want, first)
	require.Equal(t, want, second)
	require.Len(t, memo.m, 1)
	// Each answer is the caller's own: the memo's and the first caller's
	// values share nothing with the second's.
	requireDisjoint(t, "first and second", reflect.ValueOf(first), reflect.ValueOf(second))
	requireDisjoint(t, "memo and second", reflect.ValueOf(memo.m[raw]), reflect.ValueOf(second))

	var other ackscale.NodePoolSpec
	require.NoError(t, memo.decode(`{"name":"other"}`, &other))
	require.Equal(t, "other", other.Name)
	require.Error(t, memo.decode(`{"name":`, &other))
	require.NoError(t, memo.decode(`{"name":"third"}`, &other)) // past max: starts over
	require.Len(t, memo.m, 1)
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
		memo := &specMemo[ackscale.NodePoolSpec]{max: 2}
		for b.Loop() {
			var s ackscale.NodePoolSpec
			_ = memo.decode(raw, &s)
		}
	})
}
