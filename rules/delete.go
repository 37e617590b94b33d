package rules

import "github.com/ackscale/ackscale"

// deleteTable is DeleteClusterNodes and the deprecated RemoveClusterNodes
// (api.md §3): both models have exactly these fields.
func deleteTable() Table {
	src := "api.md §3"
	return Table{
		Op: OpDeleteNodes, Route: "POST /clusters/{id}/nodes",
		Title: "DeleteClusterNodes, and RemoveClusterNodes (POST /api/v2/clusters/{id}/nodes/remove)",
		Fields: []Field{
			{Name: "nodes", Type: Strings, Required: true, Unique: true, Len: own(nodeItems), ItemLen: upTo(253, "R18"),
				Format: FormatNodeName, Source: src + ", R18", Note: "workers of the cluster, each by its node name (REGION.IP; t-…-N for one whose instance was never created) or its instance id"},
			{Name: "release_node", Type: Bool, Default: "false", Source: src},
			{Name: "drain_node", Type: Bool, Default: "false", Source: src},
		},
		build: func(s *state) (any, error) {
			return ackscale.Removal{Nodes: s.v.strs("nodes"), ReleaseNode: s.v.bool("release_node"), DrainNode: s.v.bool("drain_node")}, nil
		},
	}
}
