package memstore

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/ackscale/ackscale"
)

// TaskStart accepts a task, in one transaction: it moves the cluster
// From → To, refusing while a pool it does not move is busy (or, From and
// To both "", checks that the cluster is running and leaves it so); moves
// the Pools, replacing the specs given; inserts NewPool; marks the
// Removing workers (by client token) NodeRemoving; reserves the quota of
// p.Reserve (its CheckFunc decides on the account's usage of its scope,
// under the store's lock, and must not call the store; its error is
// returned as it is); and inserts the task and its job.
//
// A move the tables forbid is a *TransitionError, before any write.
// CodeClusterState when the cluster is not in From (not running, for a
// pool's task) or a pool of it is busy; CodeClusterNotFound when it is
// not the task's account's or is deleted; CodeNodePoolNotFound when a
// moved pool is not the cluster's; CodeNodePoolState when it is not in
// its From; CodeNodeNotFound when a removed worker is not the cluster's,
// and a *TransitionError when it may not be removed. On any error nothing
// is written.
func (s *Store) TaskStart(_ context.Context, p ackscale.TaskStartParams) error {
	if !poolTask(p) {
		if err := checkMove("cluster", p.Task.ClusterID, p.From, p.To); err != nil {
			return err
		}
	}
	for _, m := range p.Pools {
		if err := checkMove("node pool", m.ID, m.From, m.To); err != nil {
			return err
		}
	}
	var pool *ackscale.NodePool
	if p.NewPool != nil {
		np, err := bornPool(*p.NewPool, p.Task, false, s.now())
		if err != nil {
			return err
		}
		pool = &np
	}
	s.mu.Lock()
	defer s.unlock()
	c, err := s.startCluster(p)
	if err != nil {
		return err
	}
	now := s.now()
	moved, err := s.movePools(c.ID, p.Pools, now)
	if err != nil {
		return err
	}
	if pool != nil {
		if err := s.poolTaken(pool.ID); err != nil {
			return err
		}
	}
	removing, err := s.removable(c.ID, p.Removing)
	if err != nil {
		return err
	}
	t, err := s.newTask(p.Task, p.Reserve)
	if err != nil {
		return err
	}
	s.clusters[c.ID] = c
	for id, np := range moved {
		s.pools[id] = np
	}
	if pool != nil {
		s.pools[pool.ID] = *pool
	}
	for _, w := range removing {
		w.State, w.Updated = ackscale.NodeRemoving, now
		s.workers[w.ClientToken] = w
	}
	s.insertTask(t, p.Reserve)
	return nil
}

// poolTask reports whether p starts a node pool's task: one that leaves
// its cluster as it is.
func poolTask(p ackscale.TaskStartParams) bool { return p.From == "" && p.To == "" }

// startCluster returns the task's cluster moved From → To, when no pool
// that the task does not move is busy, or, for a pool's task, as it is
// after checking that it is running. The caller holds the lock.
func (s *Store) startCluster(p ackscale.TaskStartParams) (ackscale.Cluster, error) {
	c, ok := s.clusters[p.Task.ClusterID]
	if !ok || c.AccountID != p.Task.AccountID || c.State == ackscale.ClusterDeleted {
		return c, clusterNotFound(p.Task.ClusterID)
	}
	if poolTask(p) {
		if c.State != ackscale.ClusterRunning {
			return c, ackscale.Errorf(ackscale.CodeClusterState, "cluster %s is %s; it must be %s", c.ID, c.State, ackscale.ClusterRunning)
		}
		return c, nil
	}
	if c.State != p.From {
		return c, ackscale.Errorf(ackscale.CodeClusterState, "cluster %s is %s; this operation needs it %s", c.ID, c.State, p.From)
	}
	if err := s.busyPool(c.ID, p.Pools); err != nil {
		return c, err
	}
	c.State, c.Updated = p.To, s.now()
	return c, nil
}

// removable returns the workers of a cluster that a removal takes, after
// checking that each may move to NodeRemoving. The caller holds the lock.
func (s *Store) removable(clusterID string, clientTokens []string) ([]worker, error) {
	var out []worker
	for _, token := range clientTokens {
		w, ok := s.workers[token]
		if !ok || w.ClusterID != clusterID {
			return nil, workerNotFound(token)
		}
		if err := checkMove("worker", token, w.State, ackscale.NodeRemoving); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// newTask checks a task about to be inserted (born running, "" means it;
// its id not taken; its reservation, if any, accepted by its CheckFunc)
// and fills in its times. The caller holds the lock.
func (s *Store) newTask(t ackscale.Task, reserve *ackscale.Reservation) (ackscale.Task, error) {
	t.State = cmp.Or(t.State, ackscale.TaskRunning)
	if t.State != ackscale.TaskRunning {
		return t, &ackscale.TransitionError{What: "task", ID: t.ID, To: string(t.State)}
	}
	if _, ok := s.tasks[t.ID]; ok {
		return t, ackscale.ConflictErrorf("task %s is taken", t.ID)
	}
	if err := s.checkReservation(t.AccountID, reserve); err != nil {
		return t, err
	}
	t.Created = s.orNow(t.Created)
	t.Updated = s.orNow(t.Updated)
	return t, nil
}

// insertTask stores a task checked by newTask and its reservation, and
// enqueues its job. The caller holds the lock and releases it with
// unlock, which tells the OnEnqueue function.
func (s *Store) insertTask(t ackscale.Task, reserve *ackscale.Reservation) {
	s.tasks[t.ID] = cloneTask(t)
	s.reserve(t, reserve)
	s.jobs = append(s.jobs, t.ID)
	s.enqueued = append(s.enqueued, t.ID)
}

// TaskGet returns one task; CodeTaskNotFound when it does not exist in the
// account (AccountID "": in any account).
func (s *Store) TaskGet(_ context.Context, p ackscale.TaskGetParams) (ackscale.Task, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tasks[p.ID]
	if !ok || p.AccountID != "" && t.AccountID != p.AccountID {
		return ackscale.Task{}, taskNotFound(p.ID)
	}
	return cloneTask(t), nil
}

func taskNotFound(id string) error {
	return ackscale.Errorf(ackscale.CodeTaskNotFound, "task %s not found", id)
}

// TaskSave writes a task's progress (state, stage, stages, events, error,
// params); a task saved ended drops its quota reservation, as TaskFinish
// does. CodeTaskNotFound when there is no such task; a *TransitionError
// when its state may not move to t.State.
func (s *Store) TaskSave(ctx context.Context, t ackscale.Task) error {
	return s.TaskPlan(ctx, ackscale.TaskPlanParams{Task: t})
}

// TaskPlan saves a task's progress as TaskSave does and inserts the
// workers it planned (as WorkerInsert does), in one transaction.
func (s *Store) TaskPlan(_ context.Context, p ackscale.TaskPlanParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.taskMove(p.Task)
	if err != nil {
		return err
	}
	s.saveTask(cur, p.Task)
	s.insertWorkers(p.Workers)
	return nil
}

// TaskFinish saves an ended task, deletes its workers (p.DeleteWorkers),
// moves its cluster to p.ClusterState
// ("" leaves it) and the pools of its Params.NodePoolIDs to p.PoolState
// ("" leaves them; each pool's desired size becomes its worker count,
// unless it is deleted), and drops what is left of the task's quota
// reservation, in one transaction: either all is written or nothing. A
// task that has not ended is refused; the task's, the cluster's and the
// pools' changes follow their tables (*TransitionError). A pool of
// NodePoolIDs that is deleted is left as it is; one the cluster does not
// have is CodeNodePoolNotFound.
func (s *Store) TaskFinish(_ context.Context, p ackscale.TaskFinishParams) error {
	if !p.Task.State.Ended() {
		return fmt.Errorf("finish task %s: state %q is not an end state", p.Task.ID, p.Task.State)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.taskMove(p.Task)
	if err != nil {
		return err
	}
	kept := func(w worker) bool { return !p.DeleteWorkers || w.TaskID != cur.ID }
	pools, err := s.finishPools(cur.ClusterID, p.Task.Params.NodePoolIDs, p.PoolState, kept)
	if err != nil {
		return err
	}
	var moved *ackscale.Cluster
	if p.ClusterState != "" {
		c, err := s.clusterMoved(cur.ClusterID, p.ClusterState)
		if err != nil {
			return err
		}
		moved = &c
	}
	if moved != nil {
		s.clusters[moved.ID] = *moved
	}
	for id, np := range pools {
		s.pools[id] = np
	}
	if p.DeleteWorkers {
		maps.DeleteFunc(s.workers, func(_ string, w worker) bool { return !kept(w) })
	}
	s.saveTask(cur, p.Task)
	return nil
}

// taskMove returns the stored task that t saves, after checking its state
// may move to t's. The caller holds the lock.
func (s *Store) taskMove(t ackscale.Task) (ackscale.Task, error) {
	cur, err := s.tasks.get(t.ID, taskNotFound)
	if err != nil {
		return cur, err
	}
	return cur, checkMove("task", t.ID, cur.State, t.State)
}

// saveTask writes t's progress over cur, and drops its reservation when
// it ended (an ended task creates nothing more). The caller holds the
// lock.
func (s *Store) saveTask(cur, t ackscale.Task) {
	t = cloneTask(t)
	cur.State, cur.CurrentStage, cur.Params = t.State, t.CurrentStage, t.Params
	cur.ErrorCode, cur.ErrorMessage = t.ErrorCode, t.ErrorMessage
	cur.Stages, cur.Events, cur.Updated = t.Stages, t.Events, s.now()
	s.tasks[cur.ID] = cur
	if cur.State.Ended() {
		s.dropReservation(cur.ID)
	}
}

// clusterMoved returns a cluster (of any account) moved to state to, if
// its table allows; it does not store it. The caller holds the lock.
func (s *Store) clusterMoved(id string, to ackscale.ClusterState) (ackscale.Cluster, error) {
	c, err := s.clusters.get(id, clusterNotFound)
	if err != nil {
		return c, err
	}
	if err := checkMove("cluster", id, c.State, to); err != nil {
		return c, err
	}
	c.State, c.Updated = to, s.now()
	return c, nil
}

// TaskCount counts tasks (in p.State; "" = in any state).
func (s *Store) TaskCount(_ context.Context, p ackscale.TaskCountParams) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tasks.count(func(t ackscale.Task) bool { return p.State == "" || t.State == p.State }), nil
}

// TaskCountsByType counts every task by type and state.
func (s *Store) TaskCountsByType(context.Context) ([]ackscale.TaskCounts, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	by := map[[2]string]int{}
	for _, t := range s.tasks {
		by[[2]string{string(t.Type), string(t.State)}]++
	}
	out := make([]ackscale.TaskCounts, 0, len(by))
	for k, n := range by {
		out = append(out, ackscale.TaskCounts{Type: ackscale.TaskType(k[0]), State: ackscale.TaskState(k[1]), Count: n})
	}
	slices.SortFunc(out, func(a, b ackscale.TaskCounts) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.State, b.State))
	})
	return out, nil
}

// TaskList returns the tasks of the account's cluster, newest first (then
// by id, descending), and their count before paging.
func (s *Store) TaskList(_ context.Context, p ackscale.TaskListParams) ([]ackscale.Task, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.tasks.sorted(func(t ackscale.Task) bool { return t.ClusterID == p.ClusterID && t.AccountID == p.AccountID },
		func(a, b ackscale.Task) int { return cmp.Or(b.Created.Compare(a.Created), cmp.Compare(b.ID, a.ID)) })
	total := len(ts)
	ts = page(ts, p.Offset, p.Limit)
	out := make([]ackscale.Task, 0, len(ts))
	for _, t := range ts {
		out = append(out, cloneTask(t))
	}
	return out, total, nil
}
