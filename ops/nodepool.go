package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/rules"
)

// The node pool operations. A pool's operation moves the pool, not the
// cluster: the cluster must be running and stays so, and different pools
// of one cluster may run operations at the same time; one pool runs one
// operation at a time. A cluster-level operation (ScaleOutCluster, the
// legacy PUT, DeleteClusterNodes, DeleteCluster) waits until no pool is
// busy (the store refuses it with ErrorClusterState meanwhile).

// PoolAccepted is the answer of an asynchronous node pool operation.
type PoolAccepted struct {
	ClusterID  string
	NodePoolID string
	TaskID     string
}

// MaxNodesPerScale bounds the nodes one call may add to a pool (ACK's limit).
const MaxNodesPerScale = 500

// CreateNodePool validates a CreateClusterNodePool body and accepts the
// pool with a task that creates its desired_size workers (a pool of none
// gets a task too, which ends at once: clients poll it).
func (s *Service) CreateNodePool(ctx context.Context, c Caller, clusterID string, body []byte) (PoolAccepted, error) {
	cl, tgt, q, err := s.target(ctx, c, clusterID)
	if err != nil {
		return PoolAccepted{}, err
	}
	if err := requireRunning(cl); err != nil {
		return PoolAccepted{}, err
	}
	spec, err := rules.NodePool(tgt, body, s.cfg.Cloud)
	if err != nil {
		return PoolAccepted{}, err
	}
	if err := poolSizeCheck("scaling_group.desired_size", spec.DesiredSize, 0); err != nil {
		return PoolAccepted{}, err
	}
	now := s.now()
	pool := ackscale.NodePool{ID: ackscale.NewNodePoolID(), ClusterID: cl.ID, AccountID: c.AccountID, Spec: spec,
		Created: now, Updated: now}
	t := s.newTask(c, cl.ID, ackscale.TaskNodePoolCreate, spec.Workers.TimeoutMins)
	t.Params.NodePoolIDs, t.Params.PriorWorkers = []string{pool.ID}, tgt.Workers
	p := ackscale.TaskStartParams{Task: t, NewPool: &pool}
	if spec.DesiredSize > 0 {
		so := s.poolScaleOut(cl, spec, spec.DesiredSize)
		p.Task.Params.ScaleOut, p.Reserve = &so, s.reservation(q, cl, so)
	}
	if _, err := s.start(ctx, cl, p); err != nil {
		return PoolAccepted{}, err
	}
	return PoolAccepted{ClusterID: cl.ID, NodePoolID: pool.ID, TaskID: t.ID}, nil
}

// poolScaleOut is the scale-out that adds count workers of a pool's spec.
func (s *Service) poolScaleOut(cl ackscale.Cluster, spec ackscale.NodePoolSpec, count int) ackscale.ScaleOut {
	so := spec.Workers
	so.Count, so.Unschedulable = count, spec.Unschedulable
	if len(so.VSwitchIDs) == 0 && so.ENSRegionID == "" {
		so.VSwitchIDs = cl.Spec.VSwitchIDs
	}
	if len(so.InstanceTypes) == 0 {
		so.InstanceTypes = cl.Spec.WorkerInstanceTypes
	}
	if so.Runtime == nil || so.Runtime.Name == "" {
		rt := cl.Spec.Runtime
		so.Runtime = &rt
	}
	if so.Runtime.Version == "" { // on a copy: spec's runtime is the pool's
		rt := *so.Runtime
		rt.Version = s.cfg.Cloud.DefaultRuntimeVersion(rt.Name)
		so.Runtime = &rt
	}
	return so
}

// poolSizeCheck refuses adding more than MaxNodesPerScale nodes at once;
// field names what set the size.
func poolSizeCheck(field string, want, have int) error {
	if more := want - have; more > MaxNodesPerScale {
		return ackscale.FieldErrorf(ackscale.CodeOutOfRange, field,
			"%s: %d nodes would add %d; at most %d can be added in one call", field, want, more, MaxNodesPerScale)
	}
	return nil
}

// NodePoolCounts are a pool's workers by condition, as its status shows them.
type NodePoolCounts struct {
	Total    int // every worker
	Healthy  int // running and Ready
	Serving  int // running
	Initial  int // being created or booting
	Failed   int
	Offline  int // running but not Ready
	Removing int
}

// NodePoolInfo is a pool, its counts and its cluster's region.
type NodePoolInfo struct {
	Pool     ackscale.NodePool
	Counts   NodePoolCounts
	RegionID string
}

// ListNodePools returns the caller's cluster's pools (named name, when
// set), default first.
func (s *Service) ListNodePools(ctx context.Context, c Caller, clusterID, name string) ([]NodePoolInfo, error) {
	cl, err := s.cluster(ctx, c, clusterID)
	if err != nil {
		return nil, err
	}
	pools, err := s.cfg.Clusters.NodePoolList(ctx, ackscale.NodePoolListParams{ClusterID: cl.ID, Name: name})
	if err != nil {
		return nil, fmt.Errorf("list node pools: %w", err)
	}
	counts, err := s.poolCounts(ctx, cl.ID)
	if err != nil {
		return nil, err
	}
	out := make([]NodePoolInfo, 0, len(pools))
	for _, p := range pools {
		out = append(out, NodePoolInfo{Pool: p, Counts: counts[p.ID], RegionID: cl.Spec.RegionID})
	}
	return out, nil
}

// DescribeNodePool returns one pool of the caller's cluster.
func (s *Service) DescribeNodePool(ctx context.Context, c Caller, clusterID, poolID string) (NodePoolInfo, error) {
	cl, err := s.cluster(ctx, c, clusterID)
	if err != nil {
		return NodePoolInfo{}, err
	}
	p, err := s.pool(ctx, cl.ID, poolID)
	if err != nil {
		return NodePoolInfo{}, err
	}
	counts, err := s.poolCounts(ctx, cl.ID)
	if err != nil {
		return NodePoolInfo{}, err
	}
	return NodePoolInfo{Pool: p, Counts: counts[p.ID], RegionID: cl.Spec.RegionID}, nil
}

func (s *Service) pool(ctx context.Context, clusterID, id string) (ackscale.NodePool, error) {
	return s.cfg.Clusters.NodePoolGet(ctx, ackscale.NodePoolGetParams{ClusterID: clusterID, ID: id})
}

// poolCounts counts every pool's workers by condition.
func (s *Service) poolCounts(ctx context.Context, clusterID string) (map[string]NodePoolCounts, error) {
	wc, err := s.cfg.Workers.WorkerCounts(ctx, clusterID)
	if err != nil {
		return nil, fmt.Errorf("count workers: %w", err)
	}
	out := map[string]NodePoolCounts{}
	for _, w := range wc {
		c := out[w.NodePoolID]
		c.Total += w.Count
		switch w.State {
		case ackscale.NodeRunning:
			c.Serving += w.Count
			if w.NodeStatus == ackscale.NodeReady {
				c.Healthy += w.Count
			} else {
				c.Offline += w.Count
			}
		case ackscale.NodeInitial, ackscale.NodeStarting:
			c.Initial += w.Count
		case ackscale.NodeFailed:
			c.Failed += w.Count
		case ackscale.NodeRemoving:
			c.Removing += w.Count
		}
		out[w.NodePoolID] = c
	}
	return out, nil
}

// activePool loads a pool of a running cluster that no operation runs on.
func (s *Service) activePool(ctx context.Context, cl ackscale.Cluster, poolID string) (ackscale.NodePool, error) {
	if err := requireRunning(cl); err != nil {
		return ackscale.NodePool{}, err
	}
	p, err := s.pool(ctx, cl.ID, poolID)
	if err != nil {
		return p, err
	}
	if p.State != ackscale.NodePoolActive {
		return p, ackscale.Errorf(ackscale.CodeNodePoolState, "node pool %s is %s; one operation runs on a pool at a time", p.ID, p.State)
	}
	return p, nil
}

// ModifyNodePool applies a ModifyClusterNodePool body: the pool's
// configuration becomes the old one with the body merged in (objects
// merged, other values replaced), validated whole. A change of
// desired_size scales the pool out (new workers of the new configuration)
// or in (its newest workers, failed ones first); with update_nodes, the
// pool's existing Nodes take its new labels, taints and unschedulable
// mark. Every modification answers a task, which ends at once when there
// is nothing to do.
func (s *Service) ModifyNodePool(ctx context.Context, c Caller, clusterID, poolID string, body []byte) (PoolAccepted, error) {
	cl, tgt, q, err := s.target(ctx, c, clusterID)
	if err != nil {
		return PoolAccepted{}, err
	}
	pool, err := s.activePool(ctx, cl, poolID)
	if err != nil {
		return PoolAccepted{}, err
	}
	ch, err := rules.ModifyNodePool(body)
	if err != nil {
		return PoolAccepted{}, err
	}
	ws, _, err := s.cfg.Workers.WorkerList(ctx, ackscale.WorkerListParams{ClusterID: cl.ID, NodePoolID: pool.ID})
	if err != nil {
		return PoolAccepted{}, fmt.Errorf("list workers: %w", err)
	}
	spec, err := s.modifiedSpec(pool, ch, len(ws), tgt)
	if err != nil {
		return PoolAccepted{}, err
	}
	field := "scaling_group.desired_size"
	if ch.Count != nil && !sendsDesiredSize(ch.Patch) {
		field = "count"
	}
	if err := poolSizeCheck(field, spec.DesiredSize, len(ws)); err != nil {
		return PoolAccepted{}, err
	}
	return s.resizePool(ctx, c, cl, pool, spec, ws, ch.UpdateNodes, q)
}

// modifiedSpec merges a modification into the pool's configuration and
// validates the result as a whole pool. A deprecated top-level count adds
// to the pool's size when desired_size is not sent.
func (s *Service) modifiedSpec(pool ackscale.NodePool, ch rules.NodePoolChange, workers int, tgt rules.Target) (ackscale.NodePoolSpec, error) {
	patch := ch.Patch
	if !sendsDesiredSize(patch) { // the size stays, or grows by the deprecated count
		size := workers
		if ch.Count != nil {
			size += *ch.Count
		}
		var err error
		if patch, err = mergePatch(patch, desiredPatch(size)); err != nil {
			return ackscale.NodePoolSpec{}, fmt.Errorf("merge node pool configuration: %w", err)
		}
	}
	merged, err := mergePatch(pool.Spec.Config, patch)
	if err != nil {
		return ackscale.NodePoolSpec{}, fmt.Errorf("merge node pool configuration: %w", err)
	}
	tgt.Pool = &pool.Spec
	tgt.Workers -= workers // the pool's own workers are not added again
	return rules.NodePool(tgt, merged, s.cfg.Cloud)
}

// desiredPatch is a merge patch that sets a pool's desired size.
func desiredPatch(size int) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"scaling_group": map[string]any{"desired_size": size}})
	return b
}

// withDesired returns spec with its desired size (and its configuration's)
// set to size.
func withDesired(spec ackscale.NodePoolSpec, size int) ackscale.NodePoolSpec {
	spec.DesiredSize = size
	if cfg, err := mergePatch(spec.Config, desiredPatch(size)); err == nil {
		spec.Config = cfg
	}
	return spec
}

// resizePool accepts the task that takes a pool to spec: a scale-out, a
// scale-in or an update of its Nodes.
func (s *Service) resizePool(ctx context.Context, c Caller, cl ackscale.Cluster, pool ackscale.NodePool, spec ackscale.NodePoolSpec,
	ws []ackscale.Worker, updateNodes bool, q map[string]int) (PoolAccepted, error) {
	typ := ackscale.TaskNodePoolUpdate
	switch {
	case spec.DesiredSize > len(ws):
		typ = ackscale.TaskNodePoolScaleOut
	case spec.DesiredSize < len(ws):
		typ = ackscale.TaskNodePoolScaleIn
	}
	t := s.newTask(c, cl.ID, typ, spec.Workers.TimeoutMins)
	t.Params.NodePoolIDs, t.Params.UpdateNodes, t.Params.PriorWorkers = []string{pool.ID}, updateNodes && len(ws) > 0, len(ws)
	p := ackscale.TaskStartParams{Task: t, Pools: []ackscale.PoolMove{{ID: pool.ID, From: ackscale.NodePoolActive,
		To: typ.PoolStateWhile(), Spec: &spec}}}
	switch typ {
	case ackscale.TaskNodePoolScaleOut:
		so := s.poolScaleOut(cl, spec, spec.DesiredSize-len(ws))
		if len(so.InstanceTypes) == 0 {
			return PoolAccepted{}, ackscale.FieldErrorf(ackscale.CodeMissingParameter, "scaling_group.instance_types",
				"node pool %s has no instance types to add nodes of: set scaling_group.instance_types (ModifyClusterNodePool)", pool.ID)
		}
		p.Task.Params.ScaleOut, p.Reserve = &so, s.reservation(q, cl, so)
	case ackscale.TaskNodePoolScaleIn:
		picked, err := pickScaleIn(ws, len(ws)-spec.DesiredSize)
		if err != nil {
			return PoolAccepted{}, err
		}
		rm := removal(picked, true, false) // ACK removes a pool's nodes without draining them
		p.Task.Params.Removal, p.Removing = &rm, rm.Workers
	}
	if _, err := s.start(ctx, cl, p); err != nil {
		return PoolAccepted{}, err
	}
	return PoolAccepted{ClusterID: cl.ID, NodePoolID: pool.ID, TaskID: t.ID}, nil
}

// ScaleNodePool adds count workers to a pool (ScaleClusterNodePool).
func (s *Service) ScaleNodePool(ctx context.Context, c Caller, clusterID, poolID string, body []byte) (PoolAccepted, error) {
	cl, tgt, q, err := s.target(ctx, c, clusterID)
	if err != nil {
		return PoolAccepted{}, err
	}
	pool, err := s.activePool(ctx, cl, poolID)
	if err != nil {
		return PoolAccepted{}, err
	}
	count, err := rules.ScaleNodePool(body)
	if err != nil {
		return PoolAccepted{}, err
	}
	if err := workersQuota(q, tgt.Workers, count); err != nil {
		return PoolAccepted{}, err
	}
	if err := autoScalingCheck(pool.Spec, pool.Spec.DesiredSize+count); err != nil {
		return PoolAccepted{}, err
	}
	ws, _, err := s.cfg.Workers.WorkerList(ctx, ackscale.WorkerListParams{ClusterID: cl.ID, NodePoolID: pool.ID})
	if err != nil {
		return PoolAccepted{}, fmt.Errorf("list workers: %w", err)
	}
	return s.resizePool(ctx, c, cl, pool, withDesired(pool.Spec, len(ws)+count), ws, false, q)
}

// autoScalingCheck refuses a size outside the pool's auto-scaling bounds
// while auto scaling is on.
func autoScalingCheck(spec ackscale.NodePoolSpec, size int) error {
	a := spec.AutoScaling
	if a.Enable && (size < a.MinInstances || size > a.MaxInstances) {
		return ackscale.FieldErrorf(ackscale.CodeOutOfRange, "count",
			"count: the pool would have %d nodes; with auto scaling on it must have between %d and %d (auto_scaling.min_instances, max_instances)",
			size, a.MinInstances, a.MaxInstances)
	}
	return nil
}

// RemoveNodePoolNodes removes named workers of a pool (by node name or
// instance id); the pool's desired size shrinks by as many.
func (s *Service) RemoveNodePoolNodes(ctx context.Context, c Caller, clusterID, poolID string, body []byte) (PoolAccepted, error) {
	cl, err := s.cluster(ctx, c, clusterID)
	if err != nil {
		return PoolAccepted{}, err
	}
	pool, err := s.activePool(ctx, cl, poolID)
	if err != nil {
		return PoolAccepted{}, err
	}
	rm, err := rules.RemoveNodePoolNodes(body)
	if err != nil {
		return PoolAccepted{}, err
	}
	ws, err := s.namedWorkers(ctx, cl.ID, rm.Nodes)
	if err != nil {
		return PoolAccepted{}, err
	}
	for _, w := range ws {
		if w.NodePoolID != pool.ID {
			return PoolAccepted{}, ackscale.FieldErrorf(ackscale.CodeNodeNotFound, "nodes",
				"nodes: %s is not a node of node pool %s", w.NodeName, pool.ID)
		}
		rm.Workers = append(rm.Workers, w.ClientToken)
	}
	counts, err := s.poolCounts(ctx, cl.ID)
	if err != nil {
		return PoolAccepted{}, err
	}
	spec := withDesired(pool.Spec, counts[pool.ID].Total-len(rm.Workers))
	t := s.newTask(c, cl.ID, ackscale.TaskNodePoolRemoveNodes, 0)
	t.Params.NodePoolIDs, t.Params.Removal = []string{pool.ID}, &rm
	_, err = s.start(ctx, cl, ackscale.TaskStartParams{Task: t, Removing: rm.Workers,
		Pools: []ackscale.PoolMove{{ID: pool.ID, From: ackscale.NodePoolActive, To: ackscale.NodePoolRemoving, Spec: &spec}}})
	if err != nil {
		return PoolAccepted{}, err
	}
	return PoolAccepted{ClusterID: cl.ID, NodePoolID: pool.ID, TaskID: t.ID}, nil
}

// DeleteNodePool deletes a pool (DeleteClusterNodepool). A pool with
// workers needs force, and its workers are removed (drained, released)
// first; the default pool cannot be deleted: the cluster-level operations
// add their workers to it.
func (s *Service) DeleteNodePool(ctx context.Context, c Caller, clusterID, poolID string, force bool) (PoolAccepted, error) {
	cl, err := s.cluster(ctx, c, clusterID)
	if err != nil {
		return PoolAccepted{}, err
	}
	pool, err := s.activePool(ctx, cl, poolID)
	if err != nil {
		return PoolAccepted{}, err
	}
	if pool.IsDefault {
		return PoolAccepted{}, ackscale.Errorf(ackscale.CodeNodePoolState,
			"node pool %s is the cluster's default pool (%s): it cannot be deleted", pool.ID, ackscale.DefaultNodePoolName)
	}
	ws, _, err := s.cfg.Workers.WorkerList(ctx, ackscale.WorkerListParams{ClusterID: cl.ID, NodePoolID: pool.ID})
	if err != nil {
		return PoolAccepted{}, fmt.Errorf("list workers: %w", err)
	}
	if len(ws) > 0 && !force {
		return PoolAccepted{}, ackscale.Errorf(ackscale.CodeNodePoolState,
			"node pool %s has %d nodes; delete it with force=true to remove them too", pool.ID, len(ws))
	}
	rm := removal(ws, true, true)
	t := s.newTask(c, cl.ID, ackscale.TaskNodePoolDelete, 0)
	t.Params.NodePoolIDs, t.Params.Removal = []string{pool.ID}, &rm
	_, err = s.start(ctx, cl, ackscale.TaskStartParams{Task: t, Removing: rm.Workers,
		Pools: []ackscale.PoolMove{{ID: pool.ID, From: ackscale.NodePoolActive, To: ackscale.NodePoolDeleting}}})
	if err != nil {
		return PoolAccepted{}, err
	}
	return PoolAccepted{ClusterID: cl.ID, NodePoolID: pool.ID, TaskID: t.ID}, nil
}

// sendsDesiredSize reports whether a modification sets scaling_group.desired_size.
func sendsDesiredSize(patch json.RawMessage) bool {
	var body struct {
		ScalingGroup map[string]json.RawMessage `json:"scaling_group"`
	}
	if json.Unmarshal(patch, &body) != nil {
		return false
	}
	v, ok := body.ScalingGroup["desired_size"]
	return ok && string(v) != "null" // a null is absent (R3)
}

// mergePatch merges patch into doc as a JSON merge patch (RFC 7396):
// objects are merged key by key, anything else replaces, null deletes.
func mergePatch(doc, patch json.RawMessage) (json.RawMessage, error) {
	var d, p any
	if len(doc) > 0 {
		if err := json.Unmarshal(doc, &d); err != nil {
			return nil, err
		}
	}
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, err
	}
	return json.Marshal(merge(d, p))
}

func merge(doc, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	dm, ok := doc.(map[string]any)
	if !ok {
		dm = map[string]any{}
	}
	for _, k := range sortedKeys(pm) {
		if pm[k] == nil {
			delete(dm, k)
			continue
		}
		dm[k] = merge(dm[k], pm[k])
	}
	return dm
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
