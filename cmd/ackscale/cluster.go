package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/cs"
	"github.com/spf13/cobra"
)

// clusterView is the part of a cluster (DescribeClusterDetail, and each of
// DescribeClustersV1's) the tables show.
type clusterView struct {
	ClusterID      string            `json:"cluster_id"`
	Name           string            `json:"name"`
	RegionID       string            `json:"region_id"`
	State          string            `json:"state"`
	ClusterType    string            `json:"cluster_type"`
	Profile        string            `json:"profile"`
	CurrentVersion string            `json:"current_version"`
	Size           int               `json:"size"`
	Created        string            `json:"created"`
	VPCID          string            `json:"vpc_id"`
	VSwitchIDs     []string          `json:"vswitch_ids"`
	Parameters     map[string]string `json:"parameters"`
}

func newCluster(g *clientFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Create, list, describe and delete clusters",
		Example: `  ID=$(ackscale cluster create -q --name demo)
  ackscale cluster list
  ackscale cluster describe "$ID"
  ackscale cluster delete "$ID"`,
	}
	cmd.AddCommand(newClusterCreate(g), newClusterList(g), newClusterDescribe(g), newClusterDelete(g))
	return cmd
}

// Cluster kinds of --kind, each a CreateCluster body's fields.
var clusterKinds = map[string]map[string]any{
	"managed":   {"cluster_type": "ManagedKubernetes"},
	"edge":      {"cluster_type": "ManagedKubernetes", "profile": "Edge"},
	"sandbox":   {"cluster_type": "ManagedKubernetes", "runtime": map[string]any{"name": "Sandboxed-Container.runv"}},
	"dedicated": {"cluster_type": "Kubernetes"},
}

func newClusterCreate(g *clientFlags) *cobra.Command {
	o := &longOp{g: g, idOf: func(a accepted) string { return a.ClusterID }}
	var f struct {
		bodyFile, name, region, kind, version, keyPair, password string
		nodes                                                    int
		instanceTypes, vswitches                                 []string
		deletionProtection                                       bool
	}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a cluster (CreateCluster) and wait until it runs",
		Long: `Create a cluster. The body is --body FILE (a CreateCluster body, docs/api.md)
with the flags set on top; without --body, a managed cluster in cn-hangzhou.
--kind picks one of the four kinds: managed (ManagedKubernetes), edge
(profile Edge), sandbox (runtime Sandboxed-Container.runv) or dedicated
(cluster_type Kubernetes, which needs --login-password or --key-pair).`,
		Example: `  ackscale cluster create --name demo
  ID=$(ackscale cluster create -q --name demo)          # just the id, once it runs
  ackscale cluster create --name edge1 --kind edge --region cn-beijing
  ackscale cluster create --name legacy --kind dedicated --login-password 'Hello1234' \
    --nodes 2 --instance-type ecs.g6.large
  ackscale cluster create --body create.json --no-wait -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := readBody(f.bodyFile, cmd.InOrStdin())
			if err != nil {
				return err
			}
			kind, ok := clusterKinds[f.kind]
			if !ok {
				return fmt.Errorf("--kind %q: want managed, edge, sandbox or dedicated", f.kind)
			}
			fl := cmd.Flags()
			for k, v := range kind {
				if fl.Changed("kind") || !b.has(k) {
					b.set(k, v)
				}
			}
			for _, s := range []struct {
				flag, key string
				v         any
			}{{"name", "name", f.name}, {"region", "region_id", f.region}, {"kubernetes-version", "kubernetes_version", f.version},
				{"key-pair", "key_pair", f.keyPair}, {"login-password", "login_password", f.password},
				{"nodes", "num_of_nodes", f.nodes}, {"instance-type", "worker_instance_types", f.instanceTypes},
				{"vswitch-id", "vswitch_ids", f.vswitches}, {"deletion-protection", "deletion_protection", f.deletionProtection}} {
				if fl.Changed(s.flag) {
					b.set(s.key, s.v)
				}
			}
			if !b.has("region_id") {
				t, err := g.resolve()
				if err != nil {
					return err
				}
				b.set("region_id", t.RegionID)
			}
			if !b.has("name") {
				return fmt.Errorf("a cluster needs a name: --name, or name in --body")
			}
			return o.run(cmd, func(a *api) ([]byte, error) {
				req := cs.CreateCreateClusterRequest()
				a.roa(req.RoaRequest, b.json())
				return a.do(req)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.bodyFile, "body", "", "CreateCluster body (JSON file; - for stdin); flags override its fields")
	fl.StringVar(&f.name, "name", "", "cluster name (unique in the account)")
	fl.StringVar(&f.region, "region", "", "region_id (default: the profile's, else "+defaultRegion+")")
	fl.StringVar(&f.kind, "kind", "managed", "managed, edge, sandbox or dedicated")
	fl.StringVar(&f.version, "kubernetes-version", "", "kubernetes_version (default: the newest)")
	fl.StringVar(&f.keyPair, "key-pair", "", "key_pair of the workers")
	fl.StringVar(&f.password, "login-password", "", "login_password of the workers")
	fl.IntVar(&f.nodes, "nodes", 0, "num_of_nodes: workers made with the cluster (needs --instance-type)")
	fl.StringSliceVar(&f.instanceTypes, "instance-type", nil, "worker_instance_types (repeat or comma-separate)")
	fl.StringSliceVar(&f.vswitches, "vswitch-id", nil, "vswitch_ids (default: the region's default vSwitches)")
	fl.BoolVar(&f.deletionProtection, "deletion-protection", false, "deletion_protection")
	o.addFlags(cmd)
	return cmd
}

func newClusterList(g *clientFlags) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the account's clusters (DescribeClustersV1, every page)",
		Example: `  ackscale cluster list
  ackscale cluster list --name demo -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.show(cmd, func(a *api) (any, printer, error) {
				raw, err := a.listClusters(name)
				return raw, func(w io.Writer) error { return printClusters(w, raw) }, err
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "only the cluster of this name")
	return cmd
}

// printClusters prints DescribeClustersV1's clusters as a table.
func printClusters(w io.Writer, raw []json.RawMessage) error {
	rows := make([][]string, 0, len(raw))
	for _, r := range raw {
		var c clusterView
		if err := json.Unmarshal(r, &c); err != nil {
			return fmt.Errorf("read DescribeClustersV1: %w", err)
		}
		rows = append(rows, []string{c.ClusterID, c.Name, c.ClusterType, orDash(c.Profile), c.RegionID, c.State,
			itoa(c.Size), c.CurrentVersion})
	}
	return printTable(w, []string{"ID", "NAME", "TYPE", "PROFILE", "REGION", "STATE", "SIZE", "VERSION"}, rows)
}

// clusterPageSize is the largest page DescribeClustersV1 serves.
const clusterPageSize = 100

// listClusters reads every page of DescribeClustersV1.
func (a *api) listClusters(name string) ([]json.RawMessage, error) {
	var all []json.RawMessage
	for page := 1; ; page++ {
		req := cs.CreateDescribeClustersV1Request()
		a.roa(req.RoaRequest, nil)
		req.Name = name
		req.PageNumber, req.PageSize = requests.NewInteger(page), requests.NewInteger(clusterPageSize)
		var p struct {
			Clusters []json.RawMessage `json:"clusters"`
			PageInfo struct {
				TotalCount int `json:"total_count"`
			} `json:"page_info"`
		}
		if err := a.doJSON(req, &p); err != nil {
			return nil, err
		}
		all = append(all, p.Clusters...)
		if len(p.Clusters) < clusterPageSize || len(all) >= p.PageInfo.TotalCount {
			return all, nil
		}
	}
}

// describeCluster is DescribeClusterDetail: the cluster and its raw answer.
func (a *api) describeCluster(id string) (c clusterView, raw []byte, err error) {
	req := cs.CreateDescribeClusterDetailRequest()
	a.roa(req.RoaRequest, nil)
	req.ClusterId = id
	raw, err = a.doRaw(req, &c)
	return c, raw, err
}

func newClusterDescribe(g *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "describe CLUSTER_ID",
		Short: "Show a cluster (DescribeClusterDetail)",
		Example: `  ackscale cluster describe "$ID"
  ackscale cluster describe "$ID" -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.show(cmd, func(a *api) (any, printer, error) {
				c, raw, err := a.describeCluster(args[0])
				return raw, func(w io.Writer) error { return printCluster(w, c) }, err
			})
		},
	}
}

func printCluster(w io.Writer, c clusterView) error {
	return printFields(w, [][2]string{{"cluster_id", c.ClusterID}, {"name", c.Name}, {"state", c.State},
		{"cluster_type", c.ClusterType}, {"profile", orDash(c.Profile)}, {"region_id", c.RegionID},
		{"kubernetes_version", c.CurrentVersion}, {"size", strconv.Itoa(c.Size)}, {"vpc_id", orDash(c.VPCID)},
		{"vswitch_ids", orDash(strings.Join(c.VSwitchIDs, ","))}, {"created", c.Created}})
}

func newClusterDelete(g *clientFlags) *cobra.Command {
	o := &longOp{g: g}
	cmd := &cobra.Command{
		Use:   "delete CLUSTER_ID",
		Short: "Delete a cluster (DeleteCluster) and wait until its instances are released",
		Example: `  ackscale cluster delete "$ID"
  ackscale cluster delete "$ID" --no-wait`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, func(a *api) ([]byte, error) {
				req := cs.CreateDeleteClusterRequest()
				a.roa(req.RoaRequest, nil)
				req.ClusterId = args[0]
				return a.do(req)
			})
		},
	}
	o.addFlags(cmd)
	return cmd
}
