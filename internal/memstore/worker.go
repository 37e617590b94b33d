package memstore

import (
	"cmp"
	"context"
	"slices"

	"github.com/ackscale/ackscale"
)

// worker is a stored worker and its place in its plan.
type worker struct {
	ackscale.Worker
	plan  int // index in the WorkerInsert call that planned it
	order int // insertion number
}

// WorkerInsert records planned workers in one transaction, in plan order;
// a worker whose client token exists already is left as it is.
func (s *Store) WorkerInsert(_ context.Context, ws []ackscale.Worker) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for i, w := range ws {
		if _, ok := s.workers[w.ClientToken]; ok {
			continue
		}
		w = cloneWorker(w)
		w.Created, w.Updated = orTime(w.Created, now), orTime(w.Updated, now)
		s.workers[w.ClientToken] = worker{Worker: w, plan: i, order: s.nextSeq()}
	}
	return nil
}

// WorkerUpdate writes a worker's changing fields: instance, IP, node name
// and hostname, placement (zone, vSwitch, instance type, image), state,
// status, error, labels, taints and runtime. CodeNodeNotFound when there
// is no worker with its client token; a *TransitionError when its state
// may not move to w.State.
func (s *Store) WorkerUpdate(_ context.Context, w ackscale.Worker) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.workers[w.ClientToken]
	if !ok {
		return workerNotFound(w.ClientToken)
	}
	if !cur.State.CanMoveTo(w.State) {
		return &ackscale.TransitionError{What: "worker", ID: w.ClientToken, From: string(cur.State), To: string(w.State)}
	}
	w = cloneWorker(w)
	cur.InstanceID, cur.IP, cur.NodeName, cur.Hostname = w.InstanceID, w.IP, w.NodeName, w.Hostname
	cur.ZoneID, cur.VSwitchID, cur.InstanceType, cur.ImageID = w.ZoneID, w.VSwitchID, w.InstanceType, w.ImageID
	cur.State, cur.NodeStatus, cur.ErrorMessage = w.State, w.NodeStatus, w.ErrorMessage
	cur.Labels, cur.Taints, cur.Runtime, cur.Updated = w.Labels, w.Taints, w.Runtime, s.now()
	s.workers[cur.ClientToken] = cur
	return nil
}

func workerNotFound(clientToken string) error {
	return ackscale.Errorf(ackscale.CodeNodeNotFound, "node with client token %s not found", clientToken)
}

// WorkerDelete forgets a worker; deleting one that is gone is not an error.
func (s *Store) WorkerDelete(_ context.Context, clientToken string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.workers, clientToken)
	return nil
}

// WorkerList returns workers oldest first, in plan order within a task,
// and the count before paging. Empty filters match all (ClusterID "":
// every cluster).
func (s *Store) WorkerList(_ context.Context, p ackscale.WorkerListParams) ([]ackscale.Worker, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []worker
	for _, w := range s.workers {
		if workerMatches(w.Worker, p) {
			all = append(all, w)
		}
	}
	slices.SortFunc(all, func(a, b worker) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.TaskID, b.TaskID), cmp.Compare(a.plan, b.plan),
			cmp.Compare(a.order, b.order))
	})
	var out []ackscale.Worker
	for _, w := range page(all, p.Offset, p.Limit) {
		out = append(out, cloneWorker(w.Worker))
	}
	return out, len(all), nil
}

// workerMatches reports whether a listing with p shows w.
func workerMatches(w ackscale.Worker, p ackscale.WorkerListParams) bool {
	return matches(p.ClusterID, w.ClusterID) && matches(p.TaskID, w.TaskID) && oneOf(p.States, w.State) &&
		oneOf(p.InstanceIDs, w.InstanceID) && oneOf(p.NodeNames, w.NodeName) && oneOf(p.ClientTokens, w.ClientToken)
}

// oneOf reports whether a list filter (empty = any) accepts v.
func oneOf[S comparable](want []S, v S) bool { return len(want) == 0 || slices.Contains(want, v) }

// WorkerCount counts a cluster's workers in any state.
func (s *Store) WorkerCount(_ context.Context, clusterID string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, w := range s.workers {
		if w.ClusterID == clusterID {
			n++
		}
	}
	return n, nil
}
