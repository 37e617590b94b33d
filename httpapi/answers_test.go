package httpapi_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/ops"
)

// TestKeptAnswers: the answers of DescribeClusterDetail, DescribeTaskInfo
// and DescribeClusterNodes are kept while the stores' number of changes
// stays, per account, request and form, and made again once it moves.
// The store here is changed behind the number's back, which the real
// stores never do, to show what is kept.
func TestKeptAnswers(t *testing.T) {
	t.Parallel()
	var changes atomic.Uint64
	b, st := setupMem(t, func(c *ops.Config) { c.Changes = changes.Load })
	ctx := context.Background()
	id, taskID := b.createFinished(st, b.alice, "kept")
	detail := "/clusters/" + id
	first := b.call(b.alice, "GET", detail, nil)
	require.Equal(t, 200, first.status, string(first.raw))
	require.NotContains(t, first.body["master_url"], "127.0.0.1:6443")

	require.NoError(t, st.ClusterSetAPIServer(ctx, ackscale.ClusterSetAPIServerParams{ID: id, Endpoint: "https://127.0.0.1:6443"}))
	require.Equal(t, first.raw, b.call(b.alice, "GET", detail, nil).raw, "kept while the number stays")
	refused := b.call(b.bob, "GET", detail, nil)
	require.Equal(t, 404, refused.status, "another account is not given alice's answer: %s", refused.raw)
	xml := b.call(b.alice, "GET", detail, nil, "Accept", "application/xml")
	require.Equal(t, 200, xml.status)
	require.True(t, strings.HasPrefix(string(xml.raw), "<?xml"), "the XML form is another answer: %s", xml.raw)
	require.Contains(t, string(xml.raw), "127.0.0.1:6443", "made now")

	changes.Add(1)
	again := b.call(b.alice, "GET", detail, nil)
	require.Equal(t, 200, again.status)
	require.Contains(t, again.body["master_url"], "127.0.0.1:6443", "made again once the number moved")

	task := b.call(b.alice, "GET", "/tasks/"+taskID, nil)
	require.IsType(t, []any{}, task.body["task_result"])
	old := b.call(b.alice, "GET", "/tasks/"+taskID, nil, "x-sdk-client", "golang/1.0")
	require.IsType(t, map[string]any{}, old.body["task_result"], "the old Go SDK's form is another answer")

	nodes := b.call(b.alice, "GET", "/clusters/"+id+"/nodes?pageSize=5", nil)
	require.Equal(t, 200, nodes.status, string(nodes.raw))
	require.Equal(t, 5.0, nodes.body["page"].(map[string]any)["page_size"])
	other := b.call(b.alice, "GET", "/clusters/"+id+"/nodes?pageSize=7", nil)
	require.Equal(t, 7.0, other.body["page"].(map[string]any)["page_size"], "another query is another answer")
	bad := b.call(b.alice, "GET", "/clusters/"+id+"/nodes?state=nope", nil)
	require.Equal(t, 400, bad.status, "refusals are answered as ever: %s", bad.raw)
}

// TestNoKeptAnswersWithoutChanges: without the stores' number (PostgreSQL)
// every answer is made anew.
func TestNoKeptAnswersWithoutChanges(t *testing.T) {
	t.Parallel()
	b, st := setupChanges(t)
	id, _ := b.createFinished(st, b.alice, "fresh")
	require.NotContains(t, b.call(b.alice, "GET", "/clusters/"+id, nil).body["master_url"], "127.0.0.1:6443")
	require.NoError(t, st.ClusterSetAPIServer(context.Background(), ackscale.ClusterSetAPIServerParams{ID: id, Endpoint: "https://127.0.0.1:6443"}))
	require.Contains(t, b.call(b.alice, "GET", "/clusters/"+id, nil).body["master_url"], "127.0.0.1:6443")
}
