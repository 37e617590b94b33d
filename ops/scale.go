package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/rules"
)

// target loads the caller's cluster being scaled and what validation
// needs of it: its profile, network, worker count, quota and password.
func (s *Service) target(ctx context.Context, c Caller, id string) (ackscale.Cluster, rules.Target, map[string]int, error) {
	cl, err := s.cluster(ctx, c, id)
	if err != nil {
		return cl, rules.Target{}, nil, err
	}
	n, err := s.cfg.Workers.WorkerCount(ctx, cl.ID)
	if err != nil {
		return cl, rules.Target{}, nil, fmt.Errorf("count workers: %w", err)
	}
	q, err := s.quotas(ctx, c)
	if err != nil {
		return cl, rules.Target{}, nil, err
	}
	t := rules.Target{
		Profile: cl.Profile, RegionID: cl.Spec.RegionID, VPCID: cl.Spec.VPCID, VSwitchIDs: cl.Spec.VSwitchIDs,
		Workers: n, Defaults: cl.Spec,
	}
	if limit, ok := q[ackscale.QuotaWorkersPerCluster]; ok {
		t.MaxWorkers = &limit
	}
	if cl.PasswordHash != "" {
		hash := []byte(cl.PasswordHash)
		t.PasswordMatches = func(pw string) bool { return bcrypt.CompareHashAndPassword(hash, []byte(pw)) == nil }
	}
	return cl, t, q, nil
}

// requireRunning refuses an operation on a cluster that is busy or
// broken, before its body is validated against the cluster.
func requireRunning(cl ackscale.Cluster) error {
	if cl.State != ackscale.ClusterRunning {
		return ackscale.Errorf(ackscale.CodeClusterState, "cluster %s is %s; it must be running to be scaled", cl.ID, cl.State)
	}
	return nil
}

// ScaleOut validates a ScaleOutCluster body against the cluster's profile
// and accepts the scale-out.
func (s *Service) ScaleOut(ctx context.Context, c Caller, clusterID string, body []byte) (Accepted, error) {
	cl, tgt, q, err := s.target(ctx, c, clusterID)
	if err != nil {
		return Accepted{}, err
	}
	if err := requireRunning(cl); err != nil {
		return Accepted{}, err
	}
	so, err := rules.ScaleOut(tgt, body, s.cfg.Cloud)
	if err != nil {
		return Accepted{}, err
	}
	return s.startScaleOut(ctx, c, cl, so, tgt.Workers, q)
}

// startScaleOut fills the placement inputs a body left out (the cluster's
// vSwitches) and accepts the task with its quota reservation.
func (s *Service) startScaleOut(ctx context.Context, c Caller, cl ackscale.Cluster, so ackscale.ScaleOut, prior int, q map[string]int) (Accepted, error) {
	if len(so.VSwitchIDs) == 0 && so.ENSRegionID == "" {
		so.VSwitchIDs = cl.Spec.VSwitchIDs
	}
	if so.Runtime != nil && so.Runtime.Name != "" && so.Runtime.Version == "" {
		so.Runtime.Version = s.cfg.Cloud.DefaultRuntimeVersion(so.Runtime.Name)
	}
	pool, err := s.defaultPool(ctx, cl.ID)
	if err != nil {
		return Accepted{}, err
	}
	pool.Spec = withDesired(learnWorkers(pool.Spec, so), pool.Spec.DesiredSize+so.Count)
	t := s.newTask(c, cl.ID, ackscale.TaskScaleOut, so.TimeoutMins)
	t.Params.ScaleOut, t.Params.PriorWorkers, t.Params.NodePoolIDs = &so, prior, []string{pool.ID}
	return s.start(ctx, cl, ackscale.TaskStartParams{Task: t, From: ackscale.ClusterRunning, To: ackscale.ClusterScaling,
		Pools:   []ackscale.PoolMove{{ID: pool.ID, From: ackscale.NodePoolActive, To: ackscale.NodePoolScaling, Spec: &pool.Spec}},
		Reserve: s.reservation(q, cl, so)})
}

// learnWorkers fills what a default pool's configuration lacks —
// instance types, vSwitches, a credential — from a cluster-level scale-out
// of ECS workers: that is what its workers are made of, and what a
// modification of the pool (which validates it whole) then needs.
// Anything the pool's configuration sets stays.
func learnWorkers(spec ackscale.NodePoolSpec, so ackscale.ScaleOut) ackscale.NodePoolSpec {
	if so.ENSRegionID != "" {
		return spec // ENS workers: not an ECS pool's configuration
	}
	var cfg map[string]any
	if json.Unmarshal(spec.Config, &cfg) != nil || cfg == nil {
		cfg = map[string]any{}
	}
	sg, _ := cfg["scaling_group"].(map[string]any)
	if sg == nil {
		sg = map[string]any{}
	}
	setIfEmpty := func(key string, v any, empty bool) {
		if _, ok := sg[key]; !ok && !empty {
			sg[key] = v
		}
	}
	setIfEmpty("instance_types", so.InstanceTypes, len(so.InstanceTypes) == 0)
	setIfEmpty("vswitch_ids", so.VSwitchIDs, len(so.VSwitchIDs) == 0)
	_, hasKey := sg["key_pair"]
	if !hasKey && !spec.Workers.HasPassword {
		setIfEmpty("key_pair", so.KeyPair, so.KeyPair == "")
		spec.Workers.HasPassword = so.HasPassword && so.KeyPair == ""
	}
	if len(spec.Workers.InstanceTypes) == 0 {
		spec.Workers.InstanceTypes = so.InstanceTypes
	}
	if len(spec.Workers.VSwitchIDs) == 0 {
		spec.Workers.VSwitchIDs = so.VSwitchIDs
	}
	if spec.Workers.KeyPair == "" && !spec.Workers.HasPassword {
		spec.Workers.KeyPair = so.KeyPair
	}
	cfg["scaling_group"] = sg
	if b, err := json.Marshal(cfg); err == nil {
		spec.Config = b
	}
	return spec
}

// defaultPool returns the cluster's default node pool, which the
// cluster-level operations add workers to.
func (s *Service) defaultPool(ctx context.Context, clusterID string) (ackscale.NodePool, error) {
	pools, err := s.cfg.Clusters.NodePoolList(ctx, ackscale.NodePoolListParams{ClusterID: clusterID})
	if err != nil {
		return ackscale.NodePool{}, fmt.Errorf("list node pools: %w", err)
	}
	for _, p := range pools {
		if p.IsDefault {
			return p, nil
		}
	}
	return ackscale.NodePool{}, fmt.Errorf("cluster %s has no default node pool", clusterID)
}

// Scale is the legacy PUT /clusters/{id}: an absolute num_of_nodes that
// scales a dedicated cluster out or in.
func (s *Service) Scale(ctx context.Context, c Caller, clusterID string, body []byte) (Accepted, error) {
	cl, tgt, q, err := s.target(ctx, c, clusterID)
	if err != nil {
		return Accepted{}, err
	}
	if cl.Profile != ackscale.ProfileLegacy {
		return Accepted{}, ackscale.Errorf(ackscale.CodeInvalidOperation,
			"PUT /clusters/{id} scales only dedicated clusters (cluster_type Kubernetes); cluster %s is %s: use POST /api/v2/clusters/{id}",
			cl.ID, cl.Spec.ClusterType)
	}
	if err := requireRunning(cl); err != nil {
		return Accepted{}, err
	}
	ls, err := rules.Scale(tgt, body, s.cfg.Cloud)
	if err != nil {
		return Accepted{}, err
	}
	if ls.Delta > 0 {
		return s.startScaleOut(ctx, c, cl, ls.Out, tgt.Workers, q)
	}
	ws, _, err := s.cfg.Workers.WorkerList(ctx, ackscale.WorkerListParams{ClusterID: cl.ID})
	if err != nil {
		return Accepted{}, fmt.Errorf("list workers: %w", err)
	}
	picked, err := pickScaleIn(ws, -ls.Delta)
	if err != nil {
		return Accepted{}, err
	}
	rm := removal(picked, true, true)
	return s.startRemoval(ctx, c, cl, ackscale.TaskScaleIn, rm, picked, ls.Out.TimeoutMins)
}

// pickScaleIn chooses n of a cluster's workers (oldest first) to remove:
// failed workers first (newest first), then the others newest first, but a
// worker that is the last one left with its label set is taken only after
// every other.
func pickScaleIn(ws []ackscale.Worker, n int) ([]ackscale.Worker, error) {
	ws = slices.Clone(ws)
	slices.Reverse(ws)                                         // newest first
	slices.SortStableFunc(ws, func(a, b ackscale.Worker) int { // failed ones first
		return boolRank(b.State == ackscale.NodeFailed) - boolRank(a.State == ackscale.NodeFailed)
	})
	left := map[string]int{}
	for _, w := range ws {
		if w.State != ackscale.NodeFailed {
			left[labelKey(w)]++
		}
	}
	var picked, lastOfKind []ackscale.Worker
	for _, w := range ws {
		if len(picked) == n {
			break
		}
		if w.NodeName == "" {
			continue // planned, not yet created: a task still runs on it
		}
		if k := labelKey(w); w.State == ackscale.NodeFailed || left[k] > 1 {
			left[k]--
			picked = append(picked, w)
		} else {
			lastOfKind = append(lastOfKind, w)
		}
	}
	for _, w := range lastOfKind {
		if len(picked) == n {
			break
		}
		picked = append(picked, w)
	}
	if len(picked) < n {
		return nil, ackscale.Errorf(ackscale.CodeClusterState, "only %d workers can be removed, %d asked", len(picked), n)
	}
	return picked, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func labelKey(w ackscale.Worker) string {
	keys := make([]string, 0, len(w.Labels))
	for k, v := range w.Labels {
		keys = append(keys, k+"="+v)
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

// RemoveNodes validates a DeleteClusterNodes (or deprecated
// RemoveClusterNodes) body and accepts the removal of the named workers.
func (s *Service) RemoveNodes(ctx context.Context, c Caller, clusterID string, body []byte) (Accepted, error) {
	cl, err := s.cluster(ctx, c, clusterID)
	if err != nil {
		return Accepted{}, err
	}
	if err := requireRunning(cl); err != nil {
		return Accepted{}, err
	}
	rm, err := rules.DeleteNodes(body)
	if err != nil {
		return Accepted{}, err
	}
	ws, err := s.namedWorkers(ctx, cl.ID, rm.Nodes)
	if err != nil {
		return Accepted{}, err
	}
	for _, w := range ws {
		rm.Workers = append(rm.Workers, w.ClientToken)
	}
	return s.startRemoval(ctx, c, cl, ackscale.TaskRemoveNodes, rm, ws, 0)
}

// namedWorkers returns the cluster's workers that names name: each is a
// node name (REGION.IP; a worker whose instance was never created is named
// by its client token) or an instance id. A name that matches no worker
// is ErrorNodeNotFound, listing them all.
func (s *Service) namedWorkers(ctx context.Context, clusterID string, names []string) ([]ackscale.Worker, error) {
	byName, _, err := s.cfg.Workers.WorkerList(ctx, ackscale.WorkerListParams{ClusterID: clusterID, NodeNames: names})
	if err != nil {
		return nil, fmt.Errorf("list workers: %w", err)
	}
	byID, _, err := s.cfg.Workers.WorkerList(ctx, ackscale.WorkerListParams{ClusterID: clusterID, InstanceIDs: names})
	if err != nil {
		return nil, fmt.Errorf("list workers: %w", err)
	}
	found := map[string]ackscale.Worker{}
	for _, w := range append(byName, byID...) {
		found[w.NodeName], found[w.InstanceID] = w, w
	}
	var ws []ackscale.Worker
	var missing []string
	seen := map[string]bool{}
	for _, name := range names {
		w, ok := found[name]
		switch {
		case !ok || name == "":
			missing = append(missing, fmt.Sprintf("%q", name))
		case !seen[w.ClientToken]:
			seen[w.ClientToken] = true
			ws = append(ws, w)
		}
	}
	if len(missing) > 0 {
		return nil, ackscale.FieldErrorf(ackscale.CodeNodeNotFound, "nodes",
			"nodes: %s not found in cluster %s (name a node by its node name or instance id)", strings.Join(missing, ", "), clusterID)
	}
	return ws, nil
}

// removal is the removal of the picked workers.
func removal(picked []ackscale.Worker, release, drain bool) ackscale.Removal {
	rm := ackscale.Removal{ReleaseNode: release, DrainNode: drain}
	for _, w := range picked {
		rm.Nodes = append(rm.Nodes, w.NodeName)
		rm.Workers = append(rm.Workers, w.ClientToken)
	}
	return rm
}

// startRemoval accepts a cluster-level removal of workers; the pools they
// belong to are removing while it runs.
func (s *Service) startRemoval(ctx context.Context, c Caller, cl ackscale.Cluster, typ ackscale.TaskType, rm ackscale.Removal,
	ws []ackscale.Worker, timeoutMins int) (Accepted, error) {
	pools, removed := poolsOf(ws), map[string]int{}
	for _, w := range ws {
		removed[w.NodePoolID]++
	}
	t := s.newTask(c, cl.ID, typ, timeoutMins)
	t.Params.Removal, t.Params.NodePoolIDs = &rm, pools
	p := ackscale.TaskStartParams{Task: t, From: ackscale.ClusterRunning, To: typ.ClusterStateWhile(), Removing: rm.Workers}
	moves, err := s.shrinkPools(ctx, cl.ID, pools, removed)
	if err != nil {
		return Accepted{}, err
	}
	p.Pools = moves
	return s.start(ctx, cl, p)
}

// shrinkPools moves the pools of removed workers to removing, each with
// its desired size the workers it keeps.
func (s *Service) shrinkPools(ctx context.Context, clusterID string, ids []string, removed map[string]int) ([]ackscale.PoolMove, error) {
	counts, err := s.poolCounts(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	var moves []ackscale.PoolMove
	for _, id := range ids {
		pool, err := s.pool(ctx, clusterID, id)
		if err != nil {
			return nil, err
		}
		spec := withDesired(pool.Spec, counts[id].Total-removed[id])
		moves = append(moves, ackscale.PoolMove{ID: id, From: ackscale.NodePoolActive, To: ackscale.NodePoolRemoving, Spec: &spec})
	}
	return moves, nil
}

// poolsOf lists the pools workers belong to, in order, once each.
func poolsOf(ws []ackscale.Worker) []string {
	var ids []string
	for _, w := range ws {
		if w.NodePoolID != "" && !slices.Contains(ids, w.NodePoolID) {
			ids = append(ids, w.NodePoolID)
		}
	}
	return ids
}
