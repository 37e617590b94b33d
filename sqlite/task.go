package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/ackscale/ackscale"
)

const taskColumns = `id, account_id, cluster_id, type, state, current_stage, params, error_code, error_message, stages, events, created_at, updated_at`

// TaskStart accepts a task, in one transaction: it moves the cluster
// From → To, refusing while a pool it does not move is busy (or, From and
// To both "", checks that the cluster is running and leaves it so); moves
// the Pools, replacing the specs given; inserts NewPool; marks the
// Removing workers (by client token) NodeRemoving; reserves the quota of
// p.Reserve (its CheckFunc decides on the account's usage of its scope,
// read in the transaction; its error is returned as it is); and inserts
// the task and its job. The CheckFunc must not call the store: it runs in
// the store's transaction on its one connection.
//
// A move the tables forbid is a *TransitionError, before any write.
// CodeClusterState when the cluster is not in From (not running, for a
// pool's task) or a pool of it is busy; CodeClusterNotFound when it is
// not the task's account's or is deleted; CodeNodePoolNotFound when a
// moved pool is not the cluster's; CodeNodePoolState when it is not in
// its From; CodeNodeNotFound when a removed worker is not the cluster's,
// and a *TransitionError when it may not be removed. On any error nothing
// is written.
func (s *ClusterStore) TaskStart(ctx context.Context, p ackscale.TaskStartParams) error {
	t := p.Task
	// The cluster's and the pools' moves patch their cached rows
	// (moveCluster, movePool); a new pool is not in the cached list.
	if p.NewPool != nil {
		defer s.db.pools.drop(t.ClusterID)
	}
	if !poolTask(p) && !p.From.CanMoveTo(p.To) {
		return &ackscale.TransitionError{What: "cluster", ID: t.ClusterID, From: string(p.From), To: string(p.To)}
	}
	for _, m := range p.Pools {
		if !m.From.CanMoveTo(m.To) {
			return &ackscale.TransitionError{What: "node pool", ID: m.ID, From: string(m.From), To: string(m.To)}
		}
	}
	var pool *ackscale.NodePool
	if p.NewPool != nil {
		np, err := newPool(*p.NewPool, t, false, s.db.now())
		if err != nil {
			return err
		}
		pool = &np
	}
	// Encoded here, not in the transaction: the writer runs every store's
	// transactions in turn (batch.go), so what can be done before is. So is
	// the task as it will be read back, which the cache keeps once it has
	// committed: its job's first read and the client's first poll need no
	// query.
	now := s.db.now()
	t.Created, t.Updated = orNow(t.Created, now), orNow(t.Updated, now)
	enc, err := encodeTask(t)
	if err != nil {
		return err
	}
	stored, err := storedTask(t, enc)
	if err != nil {
		return err
	}
	specs, err := encodeMoves(p.Pools)
	if err != nil {
		return err
	}
	return s.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := s.startCluster(ctx, tx, p); err != nil {
			return err
		}
		for i, m := range p.Pools {
			if err := s.movePool(ctx, tx, t.ClusterID, m, specs[i]); err != nil {
				return err
			}
		}
		if pool != nil {
			if err := insertPool(ctx, tx, *pool); err != nil {
				return err
			}
		}
		for _, token := range p.Removing {
			if err := s.markRemoving(ctx, tx, t.ClusterID, token); err != nil {
				return err
			}
		}
		if len(p.Removing) > 0 { // the cluster's workers it marks removing
			if err := s.db.workersChanged(ctx, t.ClusterID, 0); err != nil {
				return err
			}
		}
		if err := s.insertTask(ctx, tx, t, enc, p.Reserve); err != nil {
			return err
		}
		afterCommit(ctx, func() { s.db.tasks.set(t.ID, stored) }) // outside the writer: read when asked
		return nil
	})
}

// movedSpec is the spec a pool's move writes: encoded for its row, and
// as read back from it, for the cache.
type movedSpec struct {
	raw    string
	stored ackscale.NodePoolSpec
}

// encodeMoves returns the spec of each move that replaces one (nil for
// the others).
func encodeMoves(moves []ackscale.PoolMove) ([]*movedSpec, error) {
	specs := make([]*movedSpec, len(moves))
	for i, m := range moves {
		if m.Spec == nil {
			continue
		}
		raw, err := encodePoolSpec(*m.Spec)
		if err != nil {
			return nil, err
		}
		specs[i] = &movedSpec{raw: raw}
		if err := decodeSpec(poolSpecs, raw, &specs[i].stored); err != nil {
			return nil, fmt.Errorf("decode node pool spec: %w", err)
		}
	}
	return specs, nil
}

// poolTask reports whether p starts a node pool's task: one that leaves
// its cluster as it is.
func poolTask(p ackscale.TaskStartParams) bool { return p.From == "" && p.To == "" }

// startCluster moves the task's cluster From → To when no pool that the
// task does not move is busy (one statement: the pools are a condition of
// the cluster's update) or, for a pool's task, checks that it is running.
func (s *ClusterStore) startCluster(ctx context.Context, tx *sql.Tx, p ackscale.TaskStartParams) error {
	t := p.Task
	if poolTask(p) {
		state, err := clusterState(ctx, tx, t.AccountID, t.ClusterID)
		if err != nil || state == ackscale.ClusterRunning {
			return err
		}
		return ackscale.Errorf(ackscale.CodeClusterState, "cluster %s is %s; it must be %s", t.ClusterID, state, ackscale.ClusterRunning)
	}
	only := filter{}
	only.add("account_id = ?", t.AccountID)
	only.add("state = ?", string(p.From))
	busy, args := busyPools("np.", p.Pools)
	only.add("NOT EXISTS (SELECT 1 FROM node_pools np WHERE np.cluster_id = clusters.id AND "+busy+")", args...)
	moved, err := s.moveCluster(ctx, tx, t.ClusterID, p.To, only)
	if err != nil || moved {
		return err
	}
	state, err := clusterState(ctx, tx, t.AccountID, t.ClusterID)
	if err != nil {
		return err
	}
	if state != p.From {
		return ackscale.Errorf(ackscale.CodeClusterState, "cluster %s is %s; this operation needs it %s", t.ClusterID, state, p.From)
	}
	if err := busyPool(ctx, tx, t.ClusterID, p.Pools); err != nil { // in From: a pool is busy
		return err
	}
	return fmt.Errorf("start task %s: cluster %s did not move from %s", t.ID, t.ClusterID, p.From)
}

// clusterState returns the state of a cluster of the account;
// CodeClusterNotFound when it has none with that id, or it is deleted.
func clusterState(ctx context.Context, tx *sql.Tx, accountID, clusterID string) (ackscale.ClusterState, error) {
	var state string
	err := tx.QueryRowContext(ctx, `SELECT state FROM clusters WHERE id = ? AND account_id = ? AND state <> ?`,
		clusterID, accountID, string(ackscale.ClusterDeleted)).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return "", clusterNotFound(clusterID)
	}
	if err != nil {
		return "", fmt.Errorf("read cluster state: %w", err)
	}
	return ackscale.ClusterState(state), nil
}

// markRemoving moves one worker of the cluster to NodeRemoving.
func (s *ClusterStore) markRemoving(ctx context.Context, tx *sql.Tx, clusterID, token string) error {
	cond, args := in("state", ackscale.NodeRemoving.Before())
	notMarked := func() error { return notRemovable(ctx, tx, clusterID, token) }
	return updateOne(ctx, tx, "mark worker "+token+" removing", notMarked,
		`UPDATE workers SET state = ?, updated_at = ? WHERE cluster_id = ? AND client_token = ? AND `+cond,
		append([]any{string(ackscale.NodeRemoving), ms(s.db.now()), clusterID, token}, args...)...)
}

// notRemovable explains a worker that markRemoving did not move: it is not
// the cluster's (or there is none), or its state may not move.
func notRemovable(ctx context.Context, tx *sql.Tx, clusterID, token string) error {
	var other string
	err := tx.QueryRowContext(ctx, `SELECT cluster_id FROM workers WHERE client_token = ?`, token).Scan(&other)
	if errors.Is(err, sql.ErrNoRows) || err == nil && other != clusterID {
		return workerNotFound(token)
	}
	if err != nil {
		return fmt.Errorf("read worker %s: %w", token, err)
	}
	return workerRows.unchanged(ctx, tx, token, string(ackscale.NodeRemoving), workerNotFound(token))
}

// insertTask inserts a new task (state TaskRunning; "" means it) with its
// params, stages and events encoded as enc, its job and its quota
// reservation (when reserve is set, and its CheckFunc accepts it) in tx.
func (s *ClusterStore) insertTask(ctx context.Context, tx *sql.Tx, t ackscale.Task, enc encodedTask, reserve *ackscale.Reservation) error {
	if t.State == "" {
		t.State = ackscale.TaskRunning
	}
	if t.State != ackscale.TaskRunning { // a task is born running
		return &ackscale.TransitionError{What: "task", ID: t.ID, To: string(t.State)}
	}
	if s.jobs == nil {
		return fmt.Errorf("insert task %s: the cluster store has no job inserter", t.ID)
	}
	now := s.db.now()
	t.Created, t.Updated = orNow(t.Created, now), orNow(t.Updated, now)
	_, err := tx.ExecContext(ctx, `INSERT INTO tasks (`+taskColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, taskRow(t, enc)...)
	if err != nil {
		return insertError(err, "task "+t.ID)
	}
	if err := queueJob(ctx, tx, s.jobs, river.InsertManyParams{Args: ackscale.TaskJob{TaskID: t.ID}}); err != nil {
		return fmt.Errorf("insert job of task %s: %w", t.ID, err)
	}
	return reserveQuota(ctx, tx, t, reserve)
}

// encodedTask is a task's params, stages and events as the tasks table
// keeps them.
type encodedTask struct{ params, stages, events string }

// taskRow is the row of the tasks table (taskColumns) that keeps t.
func taskRow(t ackscale.Task, enc encodedTask) row {
	return row{t.ID, t.AccountID, t.ClusterID, string(t.Type), string(t.State), string(t.CurrentStage), enc.params, t.ErrorCode,
		t.ErrorMessage, enc.stages, enc.events, ms(t.Created), ms(t.Updated)}
}

// storedTask is t as TaskGet reads it once insertTask has stored it: its
// row, read by scanTask.
func storedTask(t ackscale.Task, enc encodedTask) (ackscale.Task, error) {
	if t.State == "" {
		t.State = ackscale.TaskRunning
	}
	return scanTask(taskRow(t, enc))
}

func encodeTask(t ackscale.Task) (encodedTask, error) {
	p, err1 := json.Marshal(t.Params)
	st, err2 := json.Marshal(nonNil(t.Stages))
	ev, err3 := json.Marshal(nonNil(t.Events))
	if err := errors.Join(err1, err2, err3); err != nil {
		return encodedTask{}, fmt.Errorf("encode task: %w", err)
	}
	return encodedTask{string(p), string(st), string(ev)}, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// maxCachedTasks bounds the tasks cached by id (DB.tasks): the ones being
// polled.
const maxCachedTasks = 1024

// TaskGet returns one task; CodeTaskNotFound when it does not exist in the
// account (AccountID "": in any account).
func (s *ClusterStore) TaskGet(ctx context.Context, p ackscale.TaskGetParams) (ackscale.Task, error) {
	t, err := s.db.tasks.read(p.ID, func() (ackscale.Task, error) {
		return queryOne(ctx, s.db.read, scanTask, func() error { return taskNotFound(p.ID) },
			`SELECT `+taskColumns+` FROM tasks WHERE id = ?`, p.ID)
	})
	if err != nil {
		return t, err
	}
	if p.AccountID != "" && t.AccountID != p.AccountID {
		return ackscale.Task{}, taskNotFound(p.ID)
	}
	return t, nil
}

func taskNotFound(id string) error {
	return ackscale.Errorf(ackscale.CodeTaskNotFound, "task %s not found", id)
}

// TaskSave writes a task's progress (state, stage, stages, events, error,
// params); a task saved ended drops its quota reservation, as TaskFinish
// does. CodeTaskNotFound when there is no such task; a *TransitionError
// when its state may not move to t.State (an ended task is never saved
// again).
func (s *ClusterStore) TaskSave(ctx context.Context, t ackscale.Task) error {
	return s.TaskPlan(ctx, ackscale.TaskPlanParams{Task: t})
}

func (s *ClusterStore) saveTask(ctx context.Context, tx *sql.Tx, t ackscale.Task, enc encodedTask) error {
	cond, args := in("state", t.State.Before())
	unchanged := func() error { return taskRows.unchanged(ctx, tx, t.ID, string(t.State), taskNotFound(t.ID)) }
	err := updateOne(ctx, tx, "save task "+t.ID, unchanged,
		`UPDATE tasks SET state = ?, current_stage = ?, params = ?, error_code = ?, error_message = ?,
		stages = ?, events = ?, updated_at = ? WHERE id = ? AND `+cond,
		append([]any{string(t.State), string(t.CurrentStage), enc.params, t.ErrorCode, t.ErrorMessage, enc.stages, enc.events, ms(s.db.now()), t.ID}, args...)...)
	if err != nil || !t.State.Ended() {
		return err
	}
	return dropReservation(ctx, tx, t.ID) // an ended task creates nothing more
}

// TaskPlan saves a task's progress as TaskSave does and inserts the
// workers it planned (as WorkerInsert does), in one transaction.
func (s *ClusterStore) TaskPlan(ctx context.Context, p ackscale.TaskPlanParams) error {
	defer s.db.tasks.drop(p.Task.ID)
	enc, err := encodeTask(p.Task)
	if err != nil {
		return err
	}
	return s.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := s.saveTask(ctx, tx, p.Task, enc); err != nil {
			return err
		}
		return s.db.insertWorkers(ctx, tx, p.Workers)
	})
}

// TaskFinish saves an ended task, deletes its workers (p.DeleteWorkers),
// moves its cluster to p.ClusterState
// ("" leaves it) and the pools of t.Params.NodePoolIDs to p.PoolState (""
// leaves them; each pool's desired size becomes its worker count, unless
// it is deleted), and drops what is left of the task's quota reservation,
// in one transaction. A task that has not ended is refused; the task's,
// the cluster's and the pools' changes follow their transition tables
// (*TransitionError), and either all are written or none. A pool of
// NodePoolIDs that is deleted is left as it is; one the cluster does not
// have is CodeNodePoolNotFound.
func (s *ClusterStore) TaskFinish(ctx context.Context, p ackscale.TaskFinishParams) error {
	t := p.Task
	if !t.State.Ended() {
		return fmt.Errorf("finish task %s: state %q is not an end state", t.ID, t.State)
	}
	defer s.db.tasks.drop(t.ID) // the cluster's and the pools' moves patch their cached rows (moveCluster, finishPool)
	enc, err := encodeTask(t)
	if err != nil {
		return err
	}
	return s.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := s.saveTask(ctx, tx, t, enc); err != nil {
			return err
		}
		if p.DeleteWorkers {
			if err := s.deleteWorkers(ctx, tx, t); err != nil {
				return err
			}
		}
		if p.PoolState != "" {
			for _, id := range t.Params.NodePoolIDs {
				if err := s.finishPool(ctx, tx, t.ClusterID, id, p.PoolState); err != nil {
					return err
				}
			}
		}
		if p.ClusterState == "" {
			return nil
		}
		moved, err := s.moveCluster(ctx, tx, t.ClusterID, p.ClusterState, filter{})
		if err != nil || moved {
			return err
		}
		return clusterRows.unchanged(ctx, tx, t.ClusterID, string(p.ClusterState), clusterNotFound(t.ClusterID))
	})
}

// TaskCount counts tasks (in p.State; "" = in any state).
func (s *ClusterStore) TaskCount(ctx context.Context, p ackscale.TaskCountParams) (int, error) {
	f := filter{}
	f.eq("state", string(p.State))
	return queryCount(ctx, s.db.read, "count tasks", `SELECT count(*) FROM tasks`+f.sql(), f.args...)
}

// TaskCountsByType counts every task by type and state.
func (s *ClusterStore) TaskCountsByType(ctx context.Context) ([]ackscale.TaskCounts, error) {
	return queryAll(ctx, s.db.read, "count tasks", func(r scanner) (ackscale.TaskCounts, error) {
		var c ackscale.TaskCounts
		var typ, state string
		err := r.Scan(&typ, &state, &c.Count)
		c.Type, c.State = ackscale.TaskType(typ), ackscale.TaskState(state)
		return c, err
	}, `SELECT type, state, count(*) FROM tasks GROUP BY type, state ORDER BY type, state`)
}

func scanTask(r scanner) (ackscale.Task, error) {
	var t ackscale.Task
	var typ, state, stage, params, stages, events string
	var created, updated int64
	err := r.Scan(&t.ID, &t.AccountID, &t.ClusterID, &typ, &state, &stage, &params, &t.ErrorCode, &t.ErrorMessage,
		&stages, &events, &created, &updated)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return t, err
		}
		return t, fmt.Errorf("scan task: %w", err)
	}
	err = errors.Join(json.Unmarshal([]byte(params), &t.Params), json.Unmarshal([]byte(stages), &t.Stages),
		json.Unmarshal([]byte(events), &t.Events))
	if err != nil {
		return t, fmt.Errorf("decode task: %w", err)
	}
	t.Type, t.State, t.CurrentStage = ackscale.TaskType(typ), ackscale.TaskState(state), ackscale.Stage(stage)
	t.Created, t.Updated = fromMS(created), fromMS(updated)
	return t, nil
}

// deleteWorkers forgets the workers of a task.
func (s *ClusterStore) deleteWorkers(ctx context.Context, tx *sql.Tx, t ackscale.Task) error {
	n, err := changed(ctx, tx, "delete workers of task "+t.ID, `DELETE FROM workers WHERE task_id = ?`, t.ID)
	if err != nil || n == 0 {
		return err
	}
	return s.db.workersChanged(ctx, t.ClusterID, -int(n))
}
