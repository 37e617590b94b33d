package memstore

import (
	"cmp"
	"context"
	"slices"

	"github.com/ackscale/ackscale"
)

// worker is a stored worker and its place in its plan. Its labels,
// taints, runtime and unschedulable mark are its task's, in the store's
// specs.
type worker struct {
	ackscale.Worker
	plan  int // index in the WorkerInsert call that planned it
	order int // insertion number
}

// workerSpec is what the workers of a task share, kept once per task.
type workerSpec struct {
	labels        map[string]string
	taints        []ackscale.Taint
	runtime       ackscale.Runtime
	unschedulable bool
}

// WorkerInsert records planned workers in one transaction, in plan order;
// a worker whose client token exists already is left as it is. Labels,
// taints, runtime and the unschedulable mark are kept once per task, those
// of the first of its workers inserted.
func (s *Store) WorkerInsert(_ context.Context, ws []ackscale.Worker) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.insertWorkers(ws)
	return nil
}

// insertWorkers is WorkerInsert's; the caller holds the lock.
func (s *Store) insertWorkers(ws []ackscale.Worker) {
	now := s.now()
	for i, w := range ws {
		if _, ok := s.workers[w.ClientToken]; ok {
			continue
		}
		w = cloneWorker(w)
		if _, ok := s.specs[w.TaskID]; !ok {
			s.specs[w.TaskID] = workerSpec{labels: w.Labels, taints: w.Taints, runtime: w.Runtime, unschedulable: w.Unschedulable}
		}
		w.Labels, w.Taints, w.Runtime, w.Unschedulable = nil, nil, ackscale.Runtime{}, false
		w.Created, w.Updated = orTime(w.Created, now), orTime(w.Updated, now)
		s.workers[w.ClientToken] = worker{Worker: w, plan: i, order: s.nextSeq()}
	}
}

// withSpec returns a copy of a stored worker with its task's labels,
// taints, runtime and unschedulable mark. The caller holds the lock.
func (s *Store) withSpec(w worker) ackscale.Worker {
	spec := s.specs[w.TaskID]
	out := w.Worker
	out.Labels, out.Taints, out.Runtime, out.Unschedulable = spec.labels, spec.taints, spec.runtime, spec.unschedulable
	return cloneWorker(out)
}

// WorkerUpdate writes a worker's changing fields: instance, IP, node name
// and hostname, placement (zone, vSwitch, instance type, image), state,
// status and error; its labels, taints and runtime are its task's and
// stay. CodeNodeNotFound when there is no worker with its client token; a
// *TransitionError when its state may not move to w.State.
func (s *Store) WorkerUpdate(_ context.Context, w ackscale.Worker) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.workers.update(w.ClientToken, workerNotFound, func(cur *worker) error {
		if err := checkMove("worker", w.ClientToken, cur.State, w.State); err != nil {
			return err
		}
		cur.InstanceID, cur.IP, cur.NodeName, cur.Hostname = w.InstanceID, w.IP, w.NodeName, w.Hostname
		cur.ZoneID, cur.VSwitchID, cur.InstanceType, cur.ImageID = w.ZoneID, w.VSwitchID, w.InstanceType, w.ImageID
		cur.State, cur.NodeStatus, cur.ErrorMessage, cur.Updated = w.State, w.NodeStatus, w.ErrorMessage, s.now()
		return nil
	})
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
	all := s.workers.sorted(func(w worker) bool { return workerMatches(w.Worker, p) }, func(a, b worker) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.TaskID, b.TaskID), cmp.Compare(a.plan, b.plan),
			cmp.Compare(a.order, b.order))
	})
	return convert(page(all, p.Offset, p.Limit), s.withSpec), len(all), nil
}

// workerMatches reports whether a listing with p shows w.
func workerMatches(w ackscale.Worker, p ackscale.WorkerListParams) bool {
	return matches(p.ClusterID, w.ClusterID) && matches(p.NodePoolID, w.NodePoolID) && matches(p.TaskID, w.TaskID) && oneOf(p.States, w.State) &&
		oneOf(p.InstanceIDs, w.InstanceID) && oneOf(p.NodeNames, w.NodeName) && oneOf(p.ClientTokens, w.ClientToken)
}

// oneOf reports whether a list filter (empty = any) accepts v.
func oneOf[S comparable](want []S, v S) bool { return len(want) == 0 || slices.Contains(want, v) }

// WorkerCount counts a cluster's workers in any state.
func (s *Store) WorkerCount(_ context.Context, clusterID string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.workers.count(func(w worker) bool { return w.ClusterID == clusterID }), nil
}

// WorkerCounts counts a cluster's workers by pool, state and Node status:
// the combinations that have workers, in that order.
func (s *Store) WorkerCounts(_ context.Context, clusterID string) ([]ackscale.WorkerCount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	type key struct {
		pool   string
		state  ackscale.NodeState
		status ackscale.NodeStatus
	}
	counts := map[key]int{}
	for _, w := range s.workers {
		if w.ClusterID == clusterID {
			counts[key{w.NodePoolID, w.State, w.NodeStatus}]++
		}
	}
	var out []ackscale.WorkerCount
	for k, n := range counts {
		out = append(out, ackscale.WorkerCount{NodePoolID: k.pool, State: k.state, NodeStatus: k.status, Count: n})
	}
	slices.SortFunc(out, func(a, b ackscale.WorkerCount) int {
		return cmp.Or(cmp.Compare(a.NodePoolID, b.NodePoolID), cmp.Compare(a.State, b.State), cmp.Compare(a.NodeStatus, b.NodeStatus))
	})
	return out, nil
}
