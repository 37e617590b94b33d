package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/cs"
	"github.com/spf13/cobra"
)

// poolView is the part of a node pool the tables show.
type poolView struct {
	Info struct {
		NodepoolID string `json:"nodepool_id"`
		Name       string `json:"name"`
		IsDefault  bool   `json:"is_default"`
		Created    string `json:"created"`
	} `json:"nodepool_info"`
	ScalingGroup struct {
		DesiredSize   json.Number `json:"desired_size"`
		InstanceTypes []string    `json:"instance_types"`
		VSwitchIDs    []string    `json:"vswitch_ids"`
	} `json:"scaling_group"`
	Status struct {
		State        string `json:"state"`
		TotalNodes   int    `json:"total_nodes"`
		HealthyNodes int    `json:"healthy_nodes"`
		InitialNodes int    `json:"initial_nodes"`
		FailedNodes  int    `json:"failed_nodes"`
	} `json:"status"`
}

func newNodepool(g *clientFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "nodepool",
		Aliases: []string{"nodepools", "np"},
		Short:   "Create, list, describe, scale, modify and delete node pools, and remove their nodes",
		Example: `  NP=$(ackscale nodepool create "$ID" -q --name web --desired-size 2 --label team=web)
  ackscale nodepool list "$ID"
  ackscale nodepool scale "$ID" "$NP" --count 2
  ackscale nodepool modify "$ID" "$NP" --desired-size 1
  ackscale nodepool remove-nodes "$ID" "$NP" i-0123456789abcdef0123
  ackscale nodepool delete "$ID" "$NP" --force`,
	}
	cmd.AddCommand(newPoolCreate(g), newPoolList(g), newPoolDescribe(g), newPoolScale(g), newPoolModify(g),
		newPoolDelete(g), newPoolRemoveNodes(g))
	return cmd
}

// poolConfigFlags are the pool fields create and modify share.
type poolConfigFlags struct {
	bodyFile      string
	desiredSize   int
	labels, taint []string
	unschedulable bool
}

func (p *poolConfigFlags) add(cmd *cobra.Command, bodyOp string) {
	fl := cmd.Flags()
	fl.StringVar(&p.bodyFile, "body", "", bodyOp+" body (JSON file; - for stdin); flags override its fields")
	fl.IntVar(&p.desiredSize, "desired-size", 0, "scaling_group.desired_size: the pool's node count")
	fl.StringArrayVar(&p.labels, "label", nil, "kubernetes_config.labels, KEY=VALUE (repeat)")
	fl.StringArrayVar(&p.taint, "taint", nil, "kubernetes_config.taints, KEY=VALUE:EFFECT (repeat)")
	fl.BoolVar(&p.unschedulable, "unschedulable", false, "kubernetes_config.unschedulable: cordon the pool's Nodes")
}

// body reads --body and sets the flags given on top.
func (p *poolConfigFlags) body(cmd *cobra.Command) (body, error) {
	b, err := readBody(p.bodyFile, cmd.InOrStdin())
	if err != nil {
		return nil, err
	}
	fl := cmd.Flags()
	if fl.Changed("desired-size") {
		b.set("scaling_group.desired_size", p.desiredSize)
	}
	if fl.Changed("label") {
		l, err := keyValues("label", p.labels)
		if err != nil {
			return nil, err
		}
		b.set("kubernetes_config.labels", l)
	}
	if fl.Changed("taint") {
		t, err := taints(p.taint)
		if err != nil {
			return nil, err
		}
		b.set("kubernetes_config.taints", t)
	}
	if fl.Changed("unschedulable") {
		b.set("kubernetes_config.unschedulable", p.unschedulable)
	}
	return b, nil
}

func newPoolCreate(g *clientFlags) *cobra.Command {
	o := &longOp{g: g, idOf: func(a accepted) string { return a.NodepoolID }}
	var p poolConfigFlags
	var w workerFlags
	var name string
	cmd := &cobra.Command{
		Use:   "create CLUSTER_ID --name NAME",
		Short: "Create a node pool (CreateClusterNodePool) and wait for its nodes",
		Long: `Create a node pool of --desired-size nodes. The body is --body FILE (a
CreateClusterNodePool body, docs/api.md) with the flags set on top; the
vSwitches default to the cluster's, the instance type to ` + defaultInstanceType + ` and the
key pair to ` + defaultKeyPair + `.`,
		Example: `  ackscale nodepool create "$ID" --name web --desired-size 2 --label team=web
  NP=$(ackscale nodepool create "$ID" -q --name batch --desired-size 1 --taint dedicated=batch:NoSchedule)
  ackscale nodepool create "$ID" --body pool.json --no-wait`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := p.body(cmd)
			if err != nil {
				return err
			}
			if name != "" {
				b.set("nodepool_info.name", name)
			}
			if !b.has("nodepool_info.name") {
				return errors.New("a node pool needs a name: --name, or nodepool_info.name in --body")
			}
			w.apply(b, "scaling_group.", "instance_types")
			return o.run(cmd, func(a *api) ([]byte, error) {
				if !b.has("scaling_group.vswitch_ids") {
					c, _, err := a.describeCluster(args[0])
					if err != nil {
						return nil, err
					}
					b.set("scaling_group.vswitch_ids", c.VSwitchIDs)
				}
				req := cs.CreateCreateClusterNodePoolRequest()
				a.roa(req.RoaRequest, b.json())
				req.ClusterId = args[0]
				return a.do(req)
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "nodepool_info.name")
	p.add(cmd, "CreateClusterNodePool")
	w.add(cmd)
	o.addFlags(cmd)
	return cmd
}

func newPoolList(g *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list CLUSTER_ID",
		Short: "List a cluster's node pools (DescribeClusterNodePools)",
		Example: `  ackscale nodepool list "$ID"
  ackscale nodepool list "$ID" -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.show(cmd, func(a *api) (any, printer, error) {
				req := cs.CreateDescribeClusterNodePoolsRequest()
				a.roa(req.RoaRequest, nil)
				req.ClusterId = args[0]
				var out struct {
					Nodepools []json.RawMessage `json:"nodepools"`
				}
				err := a.doJSON(req, &out)
				return out.Nodepools, func(w io.Writer) error { return printPools(w, out.Nodepools) }, err
			})
		},
	}
}

// printPools prints DescribeClusterNodePools' pools as a table.
func printPools(w io.Writer, raw []json.RawMessage) error {
	rows := make([][]string, 0, len(raw))
	for _, r := range raw {
		p, err := decodePool(r)
		if err != nil {
			return err
		}
		rows = append(rows, []string{p.Info.NodepoolID, p.Info.Name, strconv.FormatBool(p.Info.IsDefault), p.Status.State,
			p.ScalingGroup.DesiredSize.String(), itoa(p.Status.TotalNodes), itoa(p.Status.HealthyNodes),
			strings.Join(p.ScalingGroup.InstanceTypes, ",")})
	}
	return printTable(w, []string{"ID", "NAME", "DEFAULT", "STATE", "DESIRED", "TOTAL", "HEALTHY", "TYPES"}, rows)
}

func decodePool(raw []byte) (poolView, error) {
	var p poolView
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("read the node pool: %w", err)
	}
	return p, nil
}

func newPoolDescribe(g *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "describe CLUSTER_ID NODEPOOL_ID",
		Short: "Show a node pool (DescribeClusterNodePoolDetail)",
		Example: `  ackscale nodepool describe "$ID" "$NP"
  ackscale nodepool describe "$ID" "$NP" -o json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.show(cmd, func(a *api) (any, printer, error) {
				req := cs.CreateDescribeClusterNodePoolDetailRequest()
				a.roa(req.RoaRequest, nil)
				req.ClusterId, req.NodepoolId = args[0], args[1]
				raw, err := a.do(req)
				return raw, func(w io.Writer) error { return printPool(w, raw) }, err
			})
		},
	}
}

// printPool prints DescribeClusterNodePoolDetail's pool as fields.
func printPool(w io.Writer, raw []byte) error {
	p, err := decodePool(raw)
	if err != nil {
		return err
	}
	return printFields(w, [][2]string{{"nodepool_id", p.Info.NodepoolID}, {"name", p.Info.Name},
		{"default", strconv.FormatBool(p.Info.IsDefault)}, {"state", p.Status.State},
		{"desired_size", p.ScalingGroup.DesiredSize.String()}, {"total_nodes", itoa(p.Status.TotalNodes)},
		{"healthy_nodes", itoa(p.Status.HealthyNodes)}, {"initial_nodes", itoa(p.Status.InitialNodes)},
		{"failed_nodes", itoa(p.Status.FailedNodes)}, {"instance_types", strings.Join(p.ScalingGroup.InstanceTypes, ",")},
		{"vswitch_ids", strings.Join(p.ScalingGroup.VSwitchIDs, ",")}, {"created", p.Info.Created}})
}

func newPoolScale(g *clientFlags) *cobra.Command {
	o := &longOp{g: g}
	var count int
	cmd := &cobra.Command{
		Use:     "scale CLUSTER_ID NODEPOOL_ID --count N",
		Short:   "Add N nodes to a node pool (ScaleClusterNodePool) and wait until they are Ready",
		Example: `  ackscale nodepool scale "$ID" "$NP" --count 3`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("count") {
				return errors.New("how many nodes to add? --count N")
			}
			return o.run(cmd, func(a *api) ([]byte, error) {
				req := cs.CreateScaleClusterNodePoolRequest()
				a.roa(req.RoaRequest, body{"count": count}.json())
				req.ClusterId, req.NodepoolId = args[0], args[1]
				return a.do(req)
			})
		},
	}
	cmd.Flags().IntVar(&count, "count", 0, "nodes to add (1–500)")
	o.addFlags(cmd)
	return cmd
}

func newPoolModify(g *clientFlags) *cobra.Command {
	o := &longOp{g: g}
	var p poolConfigFlags
	var updateNodes bool
	cmd := &cobra.Command{
		Use:   "modify CLUSTER_ID NODEPOOL_ID",
		Short: "Change a node pool (ModifyClusterNodePool): its size, labels, taints…",
		Long: `Change a node pool. A larger --desired-size adds nodes, a smaller one removes
the newest; --label, --taint and --unschedulable apply to new Nodes, and with
--update-nodes to the pool's Nodes too. Any other field: --body FILE.`,
		Example: `  ackscale nodepool modify "$ID" "$NP" --desired-size 4
  ackscale nodepool modify "$ID" "$NP" --label team=web --label tier=front --update-nodes
  ackscale nodepool modify "$ID" "$NP" --body change.json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := p.body(cmd)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("update-nodes") {
				b.set("update_nodes", updateNodes)
			}
			if len(b) == 0 {
				return errors.New("nothing to change: give --desired-size, --label, --taint, --unschedulable or --body")
			}
			return o.run(cmd, func(a *api) ([]byte, error) {
				req := cs.CreateModifyClusterNodePoolRequest()
				a.roa(req.RoaRequest, b.json())
				req.ClusterId, req.NodepoolId = args[0], args[1]
				return a.do(req)
			})
		},
	}
	p.add(cmd, "ModifyClusterNodePool")
	cmd.Flags().BoolVar(&updateNodes, "update-nodes", false, "update_nodes: put the labels, taints and cordon on existing Nodes too")
	o.addFlags(cmd)
	return cmd
}

func newPoolDelete(g *clientFlags) *cobra.Command {
	o := &longOp{g: g}
	var force bool
	cmd := &cobra.Command{
		Use:   "delete CLUSTER_ID NODEPOOL_ID",
		Short: "Delete a node pool (DeleteClusterNodepool); --force if it has nodes",
		Example: `  ackscale nodepool delete "$ID" "$NP"
  ackscale nodepool delete "$ID" "$NP" --force     # drains and releases its nodes`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, func(a *api) ([]byte, error) {
				req := cs.CreateDeleteClusterNodepoolRequest()
				a.roa(req.RoaRequest, nil)
				req.ClusterId, req.NodepoolId = args[0], args[1]
				if force {
					req.QueryParams["force"] = "true"
				}
				return a.do(req)
			})
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "delete a pool that has nodes, draining and releasing them")
	o.addFlags(cmd)
	return cmd
}

func newPoolRemoveNodes(g *clientFlags) *cobra.Command {
	o := &longOp{g: g}
	var release, drain bool
	cmd := &cobra.Command{
		Use:   "remove-nodes CLUSTER_ID NODEPOOL_ID NODE...",
		Short: "Remove nodes from a node pool (RemoveNodePoolNodes); the pool shrinks by as many",
		Long: `Remove the named nodes, each a node name or an instance id (i-…), from the
pool. --release-node releases their instances, --drain-node drains them first.`,
		Example: `  ackscale nodepool remove-nodes "$ID" "$NP" i-22d908052824ebd919d9 --release-node
  ackscale nodepool remove-nodes "$ID" "$NP" cn-hangzhou.192.168.0.3 cn-hangzhou.192.168.16.3 --drain-node`,
		Args: cobra.MinimumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			var names, ids []string
			for _, n := range args[2:] {
				if strings.HasPrefix(n, "i-") {
					ids = append(ids, n)
				} else {
					names = append(names, n)
				}
			}
			q := map[string]string{"release_node": strconv.FormatBool(release), "drain_node": strconv.FormatBool(drain)}
			if len(names) > 0 {
				q["nodes"] = string(mustJSON(names))
			}
			if len(ids) > 0 {
				q["instance_ids"] = string(mustJSON(ids))
			}
			return o.run(cmd, func(a *api) ([]byte, error) {
				// The SDK has no typed request for RemoveNodePoolNodes.
				return a.do(a.common("DELETE", "/clusters/"+args[0]+"/nodepools/"+args[1]+"/nodes", q, nil))
			})
		},
	}
	cmd.Flags().BoolVar(&release, "release-node", false, "release the nodes' instances")
	cmd.Flags().BoolVar(&drain, "drain-node", false, "drain the nodes first")
	o.addFlags(cmd)
	return cmd
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v) // string slices always encode
	return b
}
