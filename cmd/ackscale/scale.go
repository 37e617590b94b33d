package main

import (
	"errors"
	"fmt"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/cs"
	"github.com/spf13/cobra"
)

// Defaults of scale-out and nodepool create when neither the flags nor
// --body say: a type and a key pair every ECS region of the default
// catalog has.
const (
	defaultInstanceType = "ecs.g6.large"
	defaultKeyPair      = "secrity-key" // the spelling of ACK's documents, which the catalog keeps
)

// workerFlags are the fields of the workers a scale-out or a pool makes.
type workerFlags struct {
	instanceTypes, vswitches []string
	keyPair, password        string
}

func (w *workerFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringSliceVar(&w.instanceTypes, "instance-type", nil, "instance types, tried in order (repeat or comma-separate; default "+defaultInstanceType+")")
	fl.StringSliceVar(&w.vswitches, "vswitch-id", nil, "vSwitches the workers are spread over (default: the cluster's)")
	fl.StringVar(&w.keyPair, "key-pair", "", "key pair of the workers (default "+defaultKeyPair+" unless --login-password)")
	fl.StringVar(&w.password, "login-password", "", "login password of the workers, instead of a key pair")
}

// apply sets the fields on b under prefix ("" or "scaling_group."), with
// the defaults where b has nothing.
func (w *workerFlags) apply(b body, prefix, typesKey string) {
	if len(w.instanceTypes) > 0 {
		b.set(prefix+typesKey, w.instanceTypes)
	} else if !b.has(prefix + typesKey) {
		b.set(prefix+typesKey, []string{defaultInstanceType})
	}
	if len(w.vswitches) > 0 {
		b.set(prefix+"vswitch_ids", w.vswitches)
	}
	switch {
	case w.keyPair != "":
		b.set(prefix+"key_pair", w.keyPair)
	case w.password != "":
		b.set(prefix+"login_password", w.password)
	case !b.has(prefix+"key_pair") && !b.has(prefix+"login_password"):
		b.set(prefix+"key_pair", defaultKeyPair)
	}
}

func newScaleOut(g *clientFlags) *cobra.Command {
	o := &longOp{g: g}
	var w workerFlags
	var bodyFile string
	var count int
	cmd := &cobra.Command{
		Use:   "scale-out CLUSTER_ID --count N",
		Short: "Add workers to a cluster (ScaleOutCluster) and wait until they are Ready",
		Long: `Add --count workers to the cluster's default node pool. The body is --body
FILE (a ScaleOutCluster body, docs/api.md) with the flags set on top; the
instance type defaults to ` + defaultInstanceType + ` and the key pair to ` + defaultKeyPair + `.
While the task runs it shows its stage and the instances requested, created,
running and Ready; it exits non-zero if the task fails.`,
		Example: `  ackscale scale-out "$ID" --count 3
  ackscale scale-out "$ID" --count 2 --instance-type ecs.c5.xlarge,ecs.g6.large --vswitch-id vsw-bp1ackscaledefaultg01
  ackscale scale-out "$ID" --body seed002.json          # any field of the API, e.g. edge workers
  ackscale scale-out "$ID" --count 3 --no-wait -o json   # then: ackscale task T-… --watch`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := readBody(bodyFile, cmd.InOrStdin())
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("count") {
				b.set("count", count)
			}
			if !b.has("count") {
				return errors.New("how many workers? --count N, or count in --body")
			}
			w.apply(b, "", "worker_instance_types")
			return o.run(cmd, func(a *api) ([]byte, error) {
				req := cs.CreateScaleOutClusterRequest()
				a.roa(req.RoaRequest, b.json())
				req.ClusterId = args[0]
				return a.do(req)
			})
		},
	}
	cmd.Flags().IntVar(&count, "count", 0, "workers to add")
	cmd.Flags().StringVar(&bodyFile, "body", "", "ScaleOutCluster body (JSON file; - for stdin); flags override its fields")
	w.add(cmd)
	o.addFlags(cmd)
	return cmd
}

func newScale(g *clientFlags) *cobra.Command {
	o := &longOp{g: g}
	var bodyFile, keyPair, password, instanceType string
	var nodes int
	cmd := &cobra.Command{
		Use:   "scale CLUSTER_ID --nodes N",
		Short: "Scale a dedicated cluster out or in to N workers (the legacy ScaleCluster, PUT /clusters/{id})",
		Long: `Scale a dedicated cluster (cluster_type Kubernetes) to --nodes workers: more
than it has adds workers, fewer removes failed workers first, then the
newest. The request proves the cluster's credential: --key-pair (the
cluster's key pair is looked up when neither flag is given) or
--login-password.`,
		Example: `  ackscale scale "$ID" --nodes 5 --login-password 'Hello1234'
  ackscale scale "$ID" --nodes 1          # a cluster made with a key pair
  ackscale scale "$ID" --body seed000.json --no-wait`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := readBody(bodyFile, cmd.InOrStdin())
			if err != nil {
				return err
			}
			fl := cmd.Flags()
			if fl.Changed("nodes") {
				b.set("num_of_nodes", nodes)
			}
			if !b.has("num_of_nodes") {
				return errors.New("how many workers? --nodes N, or num_of_nodes in --body")
			}
			if instanceType != "" {
				b.set("worker_instance_type", instanceType)
			}
			switch {
			case keyPair != "":
				b.set("key_pair", keyPair)
			case password != "":
				b.set("login_password", password)
			}
			return o.run(cmd, func(a *api) ([]byte, error) {
				if !b.has("key_pair") && !b.has("login_password") {
					c, _, err := a.describeCluster(args[0])
					if err != nil {
						return nil, err
					}
					if c.Parameters["KeyPair"] == "" {
						return nil, fmt.Errorf("cluster %s logs in with a password: give it with --login-password", args[0])
					}
					b.set("key_pair", c.Parameters["KeyPair"])
				}
				// The SDK has no typed request for the legacy PUT.
				return a.do(a.common("PUT", "/clusters/"+args[0], nil, b.json()))
			})
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&nodes, "nodes", 0, "num_of_nodes: the worker count wanted")
	fl.StringVar(&keyPair, "key-pair", "", "the cluster's key pair")
	fl.StringVar(&password, "login-password", "", "the cluster's login password")
	fl.StringVar(&instanceType, "instance-type", "", "worker_instance_type of new workers (default: the cluster's)")
	fl.StringVar(&bodyFile, "body", "", "ScaleCluster body (JSON file; - for stdin); flags override its fields")
	o.addFlags(cmd)
	return cmd
}
