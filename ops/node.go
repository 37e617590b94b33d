package ops

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ackscale/ackscale"
)

// nodeStateFilters are the values DescribeClusterNodes's state filter
// takes, and the node states each selects: "all" (and "") every state;
// ACK's instance-level names what they mean here ("pending" is initial,
// "stopping" is a worker being removed, whose instance stops). No worker
// is ever "stopped": removed workers are gone.
var nodeStateFilters = map[string][]ackscale.NodeState{
	"all":      nil,
	"running":  {ackscale.NodeRunning},
	"removing": {ackscale.NodeRemoving},
	"initial":  {ackscale.NodeInitial},
	"failed":   {ackscale.NodeFailed},
	"starting": {ackscale.NodeStarting},
	"pending":  {ackscale.NodeInitial},
	"stopping": {ackscale.NodeRemoving},
	"stopped":  {},
}

// nodeStateNames lists the filter values in the order messages show them.
var nodeStateNames = []string{"all", "running", "removing", "initial", "failed", "starting", "pending", "stopping", "stopped"}

// NodeListParams filter a cluster's nodes, as DescribeClusterNodes sends
// them.
type NodeListParams struct {
	ClusterID   string
	NodePoolID  string   // "" = every pool
	State       string   // "" = all
	InstanceIDs []string // empty = all
	Page        PageParams
}

// NodeList is one page of a cluster's nodes.
type NodeList struct {
	Nodes []ackscale.Worker
	Page  Page
	Total int
}

// ListNodes returns one page of the caller's cluster's workers, oldest first.
func (s *Service) ListNodes(ctx context.Context, c Caller, p NodeListParams) (NodeList, error) {
	cl, err := s.cluster(ctx, c, p.ClusterID)
	if err != nil {
		return NodeList{}, err
	}
	page, err := p.Page.parse()
	if err != nil {
		return NodeList{}, err
	}
	states, ok := nodeStateFilters[p.State]
	if p.State != "" && !ok {
		return NodeList{}, ackscale.FieldErrorf(ackscale.CodeNotInEnum, "state", "state: %q is not one of %s",
			p.State, strings.Join(nodeStateNames, ", "))
	}
	if states != nil && len(states) == 0 {
		return NodeList{Nodes: []ackscale.Worker{}, Page: page}, nil
	}
	ws, total, err := s.cfg.Workers.WorkerList(ctx, ackscale.WorkerListParams{ClusterID: cl.ID, NodePoolID: p.NodePoolID, States: states,
		InstanceIDs: p.InstanceIDs, Offset: page.Offset(), Limit: page.Limit()})
	if err != nil {
		return NodeList{}, fmt.Errorf("list workers: %w", err)
	}
	return NodeList{Nodes: ws, Page: page, Total: total}, nil
}

// KubeconfigParams are DescribeClusterUserKubeconfig's query parameters as
// sent.
type KubeconfigParams struct {
	ClusterID                string
	TemporaryDurationMinutes string // "" = three years
	PrivateIPAddress         string // "", true or false
}

// Kubeconfig is a cluster's kubeconfig and when ACK would expire it.
type Kubeconfig struct {
	Config     []byte
	Expiration time.Time
}

// kubeconfigMinutes bound TemporaryDurationMinutes (ACK's range) and give
// its default.
const (
	kubeconfigMinMinutes     = 15
	kubeconfigMaxMinutes     = 4320
	kubeconfigDefaultMinutes = 3 * 365 * 24 * 60
)

// Kubeconfig returns the kubeconfig of the caller's cluster; a cluster
// without an API server (ackscale runs with --kube=off) has none.
func (s *Service) Kubeconfig(ctx context.Context, c Caller, p KubeconfigParams) (Kubeconfig, error) {
	cl, err := s.cluster(ctx, c, p.ClusterID)
	if err != nil {
		return Kubeconfig{}, err
	}
	minutes := kubeconfigDefaultMinutes
	if v := p.TemporaryDurationMinutes; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < kubeconfigMinMinutes || n > kubeconfigMaxMinutes {
			return Kubeconfig{}, ackscale.FieldErrorf(ackscale.CodeOutOfRange, "TemporaryDurationMinutes",
				"TemporaryDurationMinutes: %q is not an integer in [%d, %d]", v, kubeconfigMinMinutes, kubeconfigMaxMinutes)
		}
		minutes = n
	}
	if v := p.PrivateIPAddress; v != "" && !slices.Contains([]string{"true", "false"}, v) {
		return Kubeconfig{}, ackscale.FieldErrorf(ackscale.CodeInvalidType, "PrivateIpAddress", "PrivateIpAddress: %q is not true or false", v)
	}
	if s.cfg.Kube == nil {
		return Kubeconfig{}, ackscale.Errorf(ackscale.CodeClusterState,
			"cluster %s has no API server: ackscale runs with --kube=off (start it with --kube=on to get kubeconfigs)", cl.ID)
	}
	if cl.APIServer == "" {
		return Kubeconfig{}, ackscale.Errorf(ackscale.CodeClusterState,
			"cluster %s has no API server yet: it was made while ackscale ran with --kube=off, and gets one, with its Nodes, "+
				"when ackscale starts with Kubernetes on (a few seconds) or at its next operation", cl.ID)
	}
	cfg, err := s.cfg.Kube.Kubeconfig(cl.ID)
	if err != nil {
		return Kubeconfig{}, fmt.Errorf("kubeconfig of %s: %w", cl.ID, err)
	}
	return Kubeconfig{Config: cfg, Expiration: s.now().Add(time.Duration(minutes) * time.Minute)}, nil
}
