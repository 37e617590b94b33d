package rules

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

func TestDeleteNodes(t *testing.T) {
	t.Parallel()
	suite{base: `{"nodes":["cn-beijing.192.168.0.10"],"release_node":true,"drain_node":true}`, op: deleteOp, rows: deleteRows()}.run(t)
}

func deleteRows() []row {
	type kv = map[string]any
	return []row{
		{name: "nodes with both flags accepted (api.md §3)", want: func(t *testing.T, out any) {
			require.Equal(t, ackscale.Removal{Nodes: []string{"cn-beijing.192.168.0.10"}, ReleaseNode: true, DrainNode: true}, out)
		}},
		{name: "flags default to false (api.md §3)", base: `{"nodes":["cn-beijing.192.168.0.10","cn-beijing.192.168.0.11"]}`, want: func(t *testing.T, out any) {
			require.Equal(t, ackscale.Removal{Nodes: []string{"cn-beijing.192.168.0.10", "cn-beijing.192.168.0.11"}}, out)
		}},
		{name: "nodes required (api.md §3)", del: []string{"nodes"}, code: ackscale.CodeMissingParameter, field: "nodes"},
		{name: "nodes empty (api.md §3, R15)", set: kv{"nodes": []string{}}, code: ackscale.CodeMissingParameter, field: "nodes"},
		{name: "node named twice (R18)", set: kv{"nodes": []string{"n.1", "n.1"}}, code: ackscale.CodeInvalidParameter, field: "nodes[1]"},
		{name: "node name not a DNS subdomain (R18)", set: kv{"nodes": []string{"Node 1"}}, code: ackscale.CodeInvalidFormat, field: "nodes[0]"},
		{name: "nodes as string (ruling 13)", set: kv{"nodes": "n.1"}, code: ackscale.CodeInvalidType, field: "nodes"},
		{name: "release_node as string (ruling 13)", set: kv{"release_node": "true"}, code: ackscale.CodeInvalidType, field: "release_node"},
		{name: "unknown field (ruling 14)", set: kv{"force": true}, code: ackscale.CodeUnknownField, field: "force"},
	}
}
