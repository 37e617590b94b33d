package memstore

import (
	"cmp"
	"context"
	"fmt"

	"github.com/ackscale/ackscale"
)

// TaskStart moves the cluster From → To, marks the Removing workers (by
// client token) NodeRemoving, reserves the quota of p.Reserve (its
// CheckFunc decides on the account's usage of its scope, under the
// store's lock, and must not call the store; its error is returned as it
// is), inserts the task and its job, in one transaction. A From that may not move to To is a *TransitionError;
// CodeClusterState when the cluster is not in From; CodeClusterNotFound
// when it is not the task's account's or is deleted; CodeNodeNotFound
// when a removed worker is not the cluster's, and a *TransitionError when
// it may not be removed.
func (s *Store) TaskStart(_ context.Context, p ackscale.TaskStartParams) error {
	if err := checkMove("cluster", p.Task.ClusterID, p.From, p.To); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.unlock()
	c, ok := s.clusters[p.Task.ClusterID]
	if !ok || c.AccountID != p.Task.AccountID || c.State == ackscale.ClusterDeleted {
		return clusterNotFound(p.Task.ClusterID)
	}
	if c.State != p.From {
		return ackscale.Errorf(ackscale.CodeClusterState, "cluster %s is %s; this operation needs it %s", c.ID, c.State, p.From)
	}
	removing, err := s.removable(c.ID, p.Removing)
	if err != nil {
		return err
	}
	t, err := s.newTask(p.Task, p.Reserve)
	if err != nil {
		return err
	}
	now := s.now()
	c.State, c.Updated = p.To, now
	s.clusters[c.ID] = c
	for _, w := range removing {
		w.State, w.Updated = ackscale.NodeRemoving, now
		s.workers[w.ClientToken] = w
	}
	s.insertTask(t, p.Reserve)
	return nil
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
func (s *Store) TaskSave(_ context.Context, t ackscale.Task) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.taskMove(t)
	if err != nil {
		return err
	}
	s.saveTask(cur, t)
	return nil
}

// TaskFinish saves an ended task, moves its cluster to p.ClusterState
// ("" leaves it) and drops what is left of the task's quota reservation,
// in one transaction: either all is written or nothing.
// A task that has not ended is refused; the task's and the cluster's
// changes follow their tables (*TransitionError).
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
	if p.ClusterState != "" {
		if err := s.moveCluster(cur.ClusterID, p.ClusterState); err != nil {
			return err
		}
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
		delete(s.reservations, cur.ID)
	}
}

// moveCluster moves a cluster (of any account) to state to, if its table
// allows. The caller holds the lock.
func (s *Store) moveCluster(id string, to ackscale.ClusterState) error {
	return s.clusters.update(id, clusterNotFound, func(c *ackscale.Cluster) error {
		if err := checkMove("cluster", id, c.State, to); err != nil {
			return err
		}
		c.State, c.Updated = to, s.now()
		return nil
	})
}

// TaskCount counts tasks (in p.State; "" = in any state).
func (s *Store) TaskCount(_ context.Context, p ackscale.TaskCountParams) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tasks.count(func(t ackscale.Task) bool { return p.State == "" || t.State == p.State }), nil
}
