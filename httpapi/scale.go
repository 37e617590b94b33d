package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/rules"
)

// target loads the cluster being scaled and what validation needs of it.
func (s *Server) target(ctx context.Context, r *request) (ackscale.Cluster, rules.Target, error) {
	c, err := s.cfg.Store.ClusterGet(ctx, r.account.ID, r.params["id"])
	if err != nil {
		return c, rules.Target{}, err
	}
	n, err := s.cfg.Store.WorkersCount(ctx, c.ID)
	if err != nil {
		return c, rules.Target{}, err
	}
	q, err := s.cfg.Cloud.Quotas(ctx, r.account.ID)
	if err != nil {
		return c, rules.Target{}, err
	}
	t := rules.Target{
		Profile: c.Profile, RegionID: c.Spec.RegionID, VPCID: c.Spec.VPCID, VSwitchIDs: c.Spec.VSwitchIDs,
		Workers: n, MaxWorkers: q[ackscale.QuotaWorkersPerCluster], Defaults: c.Spec,
	}
	if c.PasswordHash != "" {
		hash := []byte(c.PasswordHash)
		t.PasswordMatches = func(pw string) bool { return bcrypt.CompareHashAndPassword(hash, []byte(pw)) == nil }
	}
	return c, t, nil
}

// requireRunning refuses an operation on a cluster that is busy or broken,
// before its body is validated against the cluster.
func requireRunning(c ackscale.Cluster) error {
	if c.State != ackscale.ClusterRunning {
		return ackscale.Errorf(ackscale.CodeClusterState, "cluster %s is %s; it must be running to be scaled", c.ID, c.State)
	}
	return nil
}

func (s *Server) scaleOutCluster(ctx context.Context, r *request) (response, error) {
	body, err := jsonBody(r)
	if err != nil {
		return response{}, err
	}
	c, tgt, err := s.target(ctx, r)
	if err != nil {
		return response{}, err
	}
	if err := requireRunning(c); err != nil {
		return response{}, err
	}
	so, err := rules.ScaleOut(tgt, body, s.cfg.Cloud)
	if err != nil {
		return response{}, err
	}
	return s.startScaleOut(ctx, r, c, so, tgt.Workers)
}

func (s *Server) startScaleOut(ctx context.Context, r *request, c ackscale.Cluster, so ackscale.ScaleOut, prior int) (response, error) {
	if len(so.VSwitchIDs) == 0 && so.ENSRegionID == "" {
		so.VSwitchIDs = c.Spec.VSwitchIDs
	}
	region := c.Spec.RegionID
	if so.ENSRegionID != "" {
		region = so.ENSRegionID
	}
	if err := s.cfg.Cloud.CheckQuota(ctx, r.account.ID, region, so.InstanceTypes[0], so.Count); err != nil {
		return response{}, err
	}
	t := s.newTask(r, c.ID, ackscale.TaskScaleOut, so.TimeoutMins)
	t.Params.ScaleOut, t.Params.PriorWorkers = &so, prior
	err := s.cfg.Store.TaskStart(ctx, ackscale.TaskStartParams{Task: t, FromState: ackscale.ClusterRunning, ToState: ackscale.ClusterScaling})
	if err != nil {
		return response{}, err
	}
	r.log.Info("scale-out accepted", "cluster_id", c.ID, "task_id", t.ID, "count", so.Count)
	return accepted(c.ID, r.id, t.ID), nil
}

// scaleCluster is the legacy PUT /clusters/{id}: an absolute num_of_nodes
// that scales out or in (seed 000, ruling 10).
func (s *Server) scaleCluster(ctx context.Context, r *request) (response, error) {
	body, err := jsonBody(r)
	if err != nil {
		return response{}, err
	}
	c, tgt, err := s.target(ctx, r)
	if err != nil {
		return response{}, err
	}
	if c.Profile != ackscale.ProfileLegacy {
		return response{}, ackscale.Errorf(ackscale.CodeInvalidOperation,
			"PUT /clusters/{id} scales only dedicated clusters (cluster_type Kubernetes); cluster %s is %s: use POST /api/v2/clusters/{id}",
			c.ID, c.Spec.ClusterType)
	}
	if err := requireRunning(c); err != nil {
		return response{}, err
	}
	ls, err := rules.Scale(tgt, body, s.cfg.Cloud)
	if err != nil {
		return response{}, err
	}
	if ls.Delta > 0 {
		return s.startScaleOut(ctx, r, c, ls.Out, tgt.Workers)
	}
	names, err := s.pickScaleIn(ctx, c.ID, -ls.Delta)
	if err != nil {
		return response{}, err
	}
	rm := ackscale.Removal{Nodes: names, ReleaseNode: true, DrainNode: true}
	return s.startRemoval(ctx, r, c, ackscale.TaskScaleIn, rm, ls.Out.TimeoutMins)
}

// pickScaleIn chooses n workers to remove: newest first, but a worker that
// is the last one left with its label set is taken only after every other
// (ruling 10).
func (s *Server) pickScaleIn(ctx context.Context, clusterID string, n int) ([]string, error) {
	ws, _, err := s.cfg.Store.WorkersByCluster(ctx, ackscale.WorkerListParams{ClusterID: clusterID})
	if err != nil {
		return nil, err
	}
	slices.Reverse(ws) // newest first
	left := map[string]int{}
	for _, w := range ws {
		left[labelKey(w)]++
	}
	var picked, lastOfKind []string
	for _, w := range ws {
		if len(picked) == n {
			break
		}
		if w.NodeName == "" {
			continue
		}
		if k := labelKey(w); left[k] > 1 {
			left[k]--
			picked = append(picked, w.NodeName)
		} else {
			lastOfKind = append(lastOfKind, w.NodeName)
		}
	}
	for _, name := range lastOfKind {
		if len(picked) == n {
			break
		}
		picked = append(picked, name)
	}
	if len(picked) < n {
		return nil, ackscale.Errorf(ackscale.CodeClusterState, "only %d workers can be removed, %d asked", len(picked), n)
	}
	return picked, nil
}

func labelKey(w ackscale.Worker) string {
	keys := make([]string, 0, len(w.Labels))
	for k, v := range w.Labels {
		keys = append(keys, k+"="+v)
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

// removeNodes serves DeleteClusterNodes and the deprecated
// RemoveClusterNodes (whose answer the SDKs ignore; it gets the same).
func (s *Server) removeNodes(ctx context.Context, r *request) (response, error) {
	body, err := jsonBody(r)
	if err != nil {
		return response{}, err
	}
	c, err := s.cfg.Store.ClusterGet(ctx, r.account.ID, r.params["id"])
	if err != nil {
		return response{}, err
	}
	if err := requireRunning(c); err != nil {
		return response{}, err
	}
	rm, err := rules.DeleteNodes(body)
	if err != nil {
		return response{}, err
	}
	ws, _, err := s.cfg.Store.WorkersByCluster(ctx, ackscale.WorkerListParams{ClusterID: c.ID, NodeNames: rm.Nodes})
	if err != nil {
		return response{}, err
	}
	if missing := missingNodes(rm.Nodes, ws); len(missing) > 0 {
		return response{}, ackscale.FieldErrorf(ackscale.CodeNodeNotFound, "nodes",
			"nodes: %s not found in cluster %s", strings.Join(missing, ", "), c.ID)
	}
	return s.startRemoval(ctx, r, c, ackscale.TaskRemoveNodes, rm, 60)
}

func missingNodes(names []string, ws []ackscale.Worker) []string {
	have := map[string]bool{}
	for _, w := range ws {
		have[w.NodeName] = true
	}
	var missing []string
	for _, n := range names {
		if !have[n] {
			missing = append(missing, fmt.Sprintf("%q", n))
		}
	}
	return missing
}

func (s *Server) startRemoval(ctx context.Context, r *request, c ackscale.Cluster, typ string, rm ackscale.Removal, timeoutMins int) (response, error) {
	t := s.newTask(r, c.ID, typ, timeoutMins)
	t.Params.Removal = &rm
	err := s.cfg.Store.TaskStart(ctx, ackscale.TaskStartParams{Task: t, FromState: ackscale.ClusterRunning,
		ToState: ackscale.ClusterRemoving, Removing: rm.Nodes})
	if err != nil {
		return response{}, err
	}
	r.log.Info("node removal accepted", "cluster_id", c.ID, "task_id", t.ID, "nodes", len(rm.Nodes))
	return response{status: http.StatusAccepted, body: map[string]string{
		"cluster_id": c.ID, "request_id": r.id, "task_id": t.ID}}, nil
}
