package memstore

import (
	"cmp"
	"context"
	"fmt"

	"github.com/ackscale/ackscale"
)

// TaskStart moves the cluster From → To, marks the Removing workers (by
// client token) NodeRemoving, inserts the task and its job, in one
// transaction. A From that may not move to To is a *TransitionError;
// CodeClusterState when the cluster is not in From; CodeClusterNotFound
// when it is not the task's account's or is deleted; CodeNodeNotFound
// when a removed worker is not the cluster's, and a *TransitionError when
// it may not be removed.
func (s *Store) TaskStart(_ context.Context, p ackscale.TaskStartParams) error {
	if err := s.taskStart(p); err != nil {
		return err
	}
	s.enqueued(p.Task.ID)
	return nil
}

func (s *Store) taskStart(p ackscale.TaskStartParams) error {
	if !p.From.CanMoveTo(p.To) {
		return &ackscale.TransitionError{What: "cluster", ID: p.Task.ClusterID, From: string(p.From), To: string(p.To)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
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
	t, err := s.newTask(p.Task)
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
	s.insertTask(t)
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
		if !w.State.CanMoveTo(ackscale.NodeRemoving) {
			return nil, &ackscale.TransitionError{What: "worker", ID: token, From: string(w.State), To: string(ackscale.NodeRemoving)}
		}
		out = append(out, w)
	}
	return out, nil
}

// newTask checks a task about to be inserted (born running, "" means it;
// its id not taken) and fills in its times. The caller holds the lock.
func (s *Store) newTask(t ackscale.Task) (ackscale.Task, error) {
	t.State = cmp.Or(t.State, ackscale.TaskRunning)
	if t.State != ackscale.TaskRunning {
		return t, &ackscale.TransitionError{What: "task", ID: t.ID, To: string(t.State)}
	}
	if _, ok := s.tasks[t.ID]; ok {
		return t, ackscale.ConflictErrorf("task %s is taken", t.ID)
	}
	t.Created = s.orNow(t.Created)
	t.Updated = s.orNow(t.Updated)
	return t, nil
}

// insertTask stores a task checked by newTask and enqueues its job. The
// caller holds the lock, and calls enqueued once it is released.
func (s *Store) insertTask(t ackscale.Task) {
	s.tasks[t.ID] = cloneTask(t)
	s.jobs = append(s.jobs, t.ID)
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
// params). CodeTaskNotFound when there is no such task; a
// *TransitionError when its state may not move to t.State.
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

// TaskFinish saves an ended task and moves its cluster to p.ClusterState
// ("" leaves it), in one transaction: either both are written or neither.
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
	cur, ok := s.tasks[t.ID]
	if !ok {
		return cur, taskNotFound(t.ID)
	}
	if !cur.State.CanMoveTo(t.State) {
		return cur, &ackscale.TransitionError{What: "task", ID: t.ID, From: string(cur.State), To: string(t.State)}
	}
	return cur, nil
}

// saveTask writes t's progress over cur. The caller holds the lock.
func (s *Store) saveTask(cur, t ackscale.Task) {
	t = cloneTask(t)
	cur.State, cur.CurrentStage, cur.Params = t.State, t.CurrentStage, t.Params
	cur.ErrorCode, cur.ErrorMessage = t.ErrorCode, t.ErrorMessage
	cur.Stages, cur.Events, cur.Updated = t.Stages, t.Events, s.now()
	s.tasks[cur.ID] = cur
}

// moveCluster moves a cluster (of any account) to state to, if its table
// allows. The caller holds the lock.
func (s *Store) moveCluster(id string, to ackscale.ClusterState) error {
	c, ok := s.clusters[id]
	if !ok {
		return clusterNotFound(id)
	}
	if !c.State.CanMoveTo(to) {
		return &ackscale.TransitionError{What: "cluster", ID: id, From: string(c.State), To: string(to)}
	}
	c.State, c.Updated = to, s.now()
	s.clusters[id] = c
	return nil
}

// TaskCount counts tasks (in p.State; "" = in any state).
func (s *Store) TaskCount(_ context.Context, p ackscale.TaskCountParams) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.tasks {
		if p.State == "" || t.State == p.State {
			n++
		}
	}
	return n, nil
}
