package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/cs"
	"github.com/spf13/cobra"
)

// node is the part of DescribeClusterNodes' nodes the CLI shows.
type node struct {
	InstanceID     string   `json:"instance_id"`
	NodeName       string   `json:"node_name"`
	IPAddress      []string `json:"ip_address"`
	InstanceType   string   `json:"instance_type"`
	ZoneID         string   `json:"zone_id"`
	State          string   `json:"state"`
	InstanceStatus string   `json:"instance_status"`
	NodeStatus     string   `json:"node_status"`
	NodepoolID     string   `json:"nodepool_id"`
	ErrorMessage   string   `json:"error_message"`
}

type nodePage struct {
	Nodes []json.RawMessage `json:"nodes"`
	Page  struct {
		TotalCount int `json:"total_count"`
	} `json:"page"`
}

// nodesPageSize is the largest page DescribeClusterNodes serves.
const nodesPageSize = 100

// listNodes reads every page of DescribeClusterNodes, filtered by pool and
// instance ids when set, each node as the server wrote it.
func (a *api) listNodes(clusterID, nodepoolID string, instanceIDs []string) ([]json.RawMessage, error) {
	var all []json.RawMessage
	for page := 1; ; page++ {
		req := cs.CreateDescribeClusterNodesRequest()
		a.roa(req.RoaRequest, nil)
		req.ClusterId, req.NodepoolId = clusterID, nodepoolID
		req.PageSize, req.PageNumber = itoa(nodesPageSize), itoa(page)
		if len(instanceIDs) > 0 {
			req.QueryParams["instanceIds"] = strings.Join(instanceIDs, ",")
		}
		var p nodePage
		if err := a.doJSON(req, &p); err != nil {
			return nil, err
		}
		all = append(all, p.Nodes...)
		if len(p.Nodes) < nodesPageSize || len(all) >= p.Page.TotalCount {
			return all, nil
		}
	}
}

// nodesByInstance returns the nodes of the given instances, asking for at
// most a page of them at a time.
func (a *api) nodesByInstance(clusterID string, ids []string) ([]node, error) {
	var out []node
	for len(ids) > 0 {
		n := min(len(ids), nodesPageSize)
		raw, err := a.listNodes(clusterID, "", ids[:n])
		if err != nil {
			return nil, err
		}
		ns, err := decodeNodes(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, ns...)
		ids = ids[n:]
	}
	return out, nil
}

func decodeNodes(raw []json.RawMessage) ([]node, error) {
	out := make([]node, 0, len(raw))
	for _, r := range raw {
		var n node
		if err := json.Unmarshal(r, &n); err != nil {
			return nil, fmt.Errorf("read DescribeClusterNodes: %w", err)
		}
		out = append(out, n)
	}
	return out, nil
}

func newNodes(g *clientFlags) *cobra.Command {
	var pool string
	cmd := &cobra.Command{
		Use:   "nodes CLUSTER_ID",
		Short: "List a cluster's nodes (DescribeClusterNodes, every page)",
		Example: `  ackscale nodes "$ID"
  ackscale nodes "$ID" --nodepool "$NP"
  ackscale nodes "$ID" -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.show(cmd, func(a *api) (any, printer, error) {
				raw, err := a.listNodes(args[0], pool, nil)
				return raw, func(w io.Writer) error { return printNodes(w, raw) }, err
			})
		},
	}
	cmd.Flags().StringVar(&pool, "nodepool", "", "only the nodes of this node pool")
	return cmd
}

// printNodes prints DescribeClusterNodes' nodes as a table.
func printNodes(w io.Writer, raw []json.RawMessage) error {
	nodes, err := decodeNodes(raw)
	if err != nil {
		return err
	}
	rows := make([][]string, 0, len(nodes))
	for _, n := range nodes {
		rows = append(rows, []string{n.NodeName, orDash(n.InstanceID), n.InstanceType, orDash(n.ZoneID),
			orDash(strings.Join(n.IPAddress, ",")), n.State, orDash(n.NodeStatus), n.NodepoolID})
	}
	return printTable(w, []string{"NAME", "INSTANCE", "TYPE", "ZONE", "IP", "STATE", "NODE", "NODEPOOL"}, rows)
}

func newKubeconfig(g *clientFlags) *cobra.Command {
	var private bool
	cmd := &cobra.Command{
		Use:   "kubeconfig CLUSTER_ID",
		Short: "Print a cluster's kubeconfig (DescribeClusterUserKubeconfig)",
		Long: `Print the kubeconfig of the cluster's kube-apiserver, for kubectl. A server
started with --kube=off (or without the binaries of make kube) runs no API
server, and the answer is an error.`,
		Example: `  ackscale kubeconfig "$ID" > kubeconfig
  ./bin/kubectl --kubeconfig kubeconfig get nodes`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.api()
			if err != nil {
				return err
			}
			req := cs.CreateDescribeClusterUserKubeconfigRequest()
			a.roa(req.RoaRequest, nil)
			req.ClusterId = args[0]
			if private {
				req.PrivateIpAddress = "true"
			}
			var out struct {
				Config string `json:"config"`
			}
			if err := a.doJSON(req, &out); err != nil {
				return err
			}
			_, err = fmt.Fprint(cmd.OutOrStdout(), out.Config)
			return err
		},
	}
	cmd.Flags().BoolVar(&private, "private", false, "the API server's private address (PrivateIpAddress)")
	return cmd
}
