package httpapi

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAnswersBounds: an answer is given only under the number it was kept
// under, and the cache starts over past its count or its bytes.
func TestAnswersBounds(t *testing.T) {
	t.Parallel()
	a := answers{max: 3, maxBytes: 10}
	key := func(uri string) answerKey { return answerKey{op: "DescribeTaskInfo", account: "1", uri: uri} }
	put := func(uri string, changes uint64, n int) {
		a.put(key(uri), &keptAnswer{changes: changes, status: 200, body: make([]byte, n)})
	}
	has := func(uri string, changes uint64) bool { _, ok := a.get(key(uri), changes); return ok }

	put("/a", 7, 2)
	require.True(t, has("/a", 7))
	require.False(t, has("/a", 8), "the number moved")
	require.False(t, has("/b", 7))

	put("/a", 8, 2) // the same request again: replaces, counts its bytes once
	require.Equal(t, 2, a.bytes)
	put("/b", 8, 2)
	put("/c", 8, 2)
	require.True(t, has("/a", 8) && has("/b", 8) && has("/c", 8))
	put("/d", 8, 2) // a fourth answer: starts over
	require.False(t, has("/a", 8))
	require.True(t, has("/d", 8))

	put("/e", 8, 7) // 2 + 7 bytes fit
	require.True(t, has("/d", 8) && has("/e", 8))
	put("/f", 8, 2) // 11 bytes would not
	require.False(t, has("/d", 8) || has("/e", 8))
	require.True(t, has("/f", 8))
	require.Equal(t, 2, a.bytes)
}
