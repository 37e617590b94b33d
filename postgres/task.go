package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
// the task and its job.
//
// Concurrent starts: the cluster's move is a conditional UPDATE, so of two
// cluster-level starts one waits for the other and then finds the cluster
// moved; a pool's task reads the cluster's state FOR SHARE, so that a
// cluster-level start (which updates the row) and a pool's start never
// overlap, and each sees the other's pools; a reserving start locks its
// account's quota_usage row of the scope (see lockUsage).
//
// A move the tables forbid is a *TransitionError, before any write.
// CodeClusterState when the cluster is not in From (not running, for a
// pool's task) or a pool of it is busy; CodeClusterNotFound when it is
// not the task's account's or is deleted; CodeNodePoolNotFound when a
// moved pool is not the cluster's; CodeNodePoolState when it is not in
// its From; CodeNodeNotFound when a removed worker is not the cluster's,
// and a *TransitionError when it may not be removed. On any error nothing
// is written. The CheckFunc must not call the store: it runs while the
// transaction holds its locks.
func (s *ClusterStore) TaskStart(ctx context.Context, p ackscale.TaskStartParams) error {
	t := p.Task
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
	return s.db.inTx(ctx, func(tx pgx.Tx) error {
		if err := s.startCluster(ctx, tx, p); err != nil {
			return err
		}
		for _, m := range p.Pools {
			if err := s.movePool(ctx, tx, t.ClusterID, m); err != nil {
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
		return s.insertTask(ctx, tx, t, p.Reserve)
	})
}

// poolTask reports whether p starts a node pool's task: one that leaves
// its cluster as it is.
func poolTask(p ackscale.TaskStartParams) bool { return p.From == "" && p.To == "" }

// startCluster moves the task's cluster From → To when no pool that the
// task does not move is busy or, for a pool's task, checks that it is
// running (and keeps it so until the transaction ends).
func (s *ClusterStore) startCluster(ctx context.Context, tx pgx.Tx, p ackscale.TaskStartParams) error {
	t := p.Task
	if poolTask(p) {
		state, err := clusterState(ctx, tx, t.AccountID, t.ClusterID, " FOR SHARE")
		if err != nil || state == ackscale.ClusterRunning {
			return err
		}
		return ackscale.Errorf(ackscale.CodeClusterState, "cluster %s is %s; it must be %s", t.ClusterID, state, ackscale.ClusterRunning)
	}
	only := filter{}
	only.add("account_id = " + only.arg(t.AccountID))
	only.add("state = " + only.arg(string(p.From)))
	moved, err := s.moveCluster(ctx, tx, t.ClusterID, p.To, only)
	if err != nil {
		return err
	}
	if !moved {
		return stateError(ctx, tx, t.AccountID, t.ClusterID, p.From)
	}
	return busyPool(ctx, tx, t.ClusterID, p.Pools)
}

// clusterState returns the state of a cluster of the account, read with
// lock (a locking clause, or ""); CodeClusterNotFound when it has none with
// that id, or it is deleted.
func clusterState(ctx context.Context, tx pgx.Tx, accountID, clusterID, lock string) (ackscale.ClusterState, error) {
	var state string
	err := tx.QueryRow(ctx, `SELECT state FROM clusters WHERE id = $1 AND account_id = $2 AND state <> $3`+lock,
		clusterID, accountID, string(ackscale.ClusterDeleted)).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", clusterNotFound(clusterID)
	}
	if err != nil {
		return "", fmt.Errorf("read cluster state: %w", err)
	}
	return ackscale.ClusterState(state), nil
}

// stateError explains why a cluster did not move from state want.
func stateError(ctx context.Context, tx pgx.Tx, accountID, clusterID string, want ackscale.ClusterState) error {
	state, err := clusterState(ctx, tx, accountID, clusterID, "")
	if err != nil {
		return err
	}
	return ackscale.Errorf(ackscale.CodeClusterState, "cluster %s is %s; this operation needs it %s", clusterID, state, want)
}

// markRemoving moves one worker of the cluster to NodeRemoving.
func (s *ClusterStore) markRemoving(ctx context.Context, tx pgx.Tx, clusterID, token string) error {
	f := filter{}
	set := `state = ` + f.arg(string(ackscale.NodeRemoving)) + `, updated_at = ` + f.arg(ms(s.db.now()))
	f.add("cluster_id = " + f.arg(clusterID))
	f.add("client_token = " + f.arg(token))
	f.add(anyOf(&f, "state", ackscale.NodeRemoving.Before()))
	notMarked := func() error { return notRemovable(ctx, tx, clusterID, token) }
	return updateOne(ctx, tx, "mark worker "+token+" removing", notMarked, `UPDATE workers SET `+set+f.sql(), f.args...)
}

// notRemovable explains a worker that markRemoving did not move: it is not
// the cluster's (or there is none), or its state may not move.
func notRemovable(ctx context.Context, tx pgx.Tx, clusterID, token string) error {
	var other string
	err := tx.QueryRow(ctx, `SELECT cluster_id FROM workers WHERE client_token = $1`, token).Scan(&other)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && other != clusterID {
		return workerNotFound(token)
	}
	if err != nil {
		return fmt.Errorf("read worker %s: %w", token, err)
	}
	return workerRows.unchanged(ctx, tx, token, string(ackscale.NodeRemoving), workerNotFound(token))
}

// insertTask inserts a new task (state TaskRunning; "" means it), its job
// and its quota reservation (when reserve is set, and its CheckFunc
// accepts it) in tx.
func (s *ClusterStore) insertTask(ctx context.Context, tx pgx.Tx, t ackscale.Task, reserve *ackscale.Reservation) error {
	if t.State == "" {
		t.State = ackscale.TaskRunning
	}
	if t.State != ackscale.TaskRunning { // a task is born running
		return &ackscale.TransitionError{What: "task", ID: t.ID, To: string(t.State)}
	}
	if s.jobs == nil {
		return fmt.Errorf("insert task %s: the cluster store has no job inserter", t.ID)
	}
	if err := checkReservation(ctx, tx, t.AccountID, reserve); err != nil {
		return err
	}
	if err := insertTaskRow(ctx, tx, t, s.db.now()); err != nil {
		return err
	}
	if _, err := s.jobs.InsertTx(ctx, tx, ackscale.TaskJob{TaskID: t.ID}, nil); err != nil {
		return fmt.Errorf("insert job of task %s: %w", t.ID, err)
	}
	return insertReservation(ctx, tx, t, reserve)
}

// insertTaskRow inserts a task's row: the whole of a task that has ended
// already (an operation done at once, such as a cluster's update), or
// the row of a task that insertTask gives a job.
func insertTaskRow(ctx context.Context, tx pgx.Tx, t ackscale.Task, now time.Time) error {
	t.Created, t.Updated = orNow(t.Created, now), orNow(t.Updated, now)
	params, stages, events, err := encodeTask(t)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO tasks (`+taskColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		t.ID, t.AccountID, t.ClusterID, string(t.Type), string(t.State), string(t.CurrentStage), params, t.ErrorCode, t.ErrorMessage,
		stages, events, ms(t.Created), ms(t.Updated))
	return insertError(err, "task "+t.ID)
}

func encodeTask(t ackscale.Task) (params, stages, events string, err error) {
	p, err1 := json.Marshal(t.Params)
	st, err2 := json.Marshal(nonNil(t.Stages))
	ev, err3 := json.Marshal(nonNil(t.Events))
	if err := errors.Join(err1, err2, err3); err != nil {
		return "", "", "", fmt.Errorf("encode task: %w", err)
	}
	return string(p), string(st), string(ev), nil
}

// TaskGet returns one task; CodeTaskNotFound when it does not exist in the
// account (AccountID "": in any account).
func (s *ClusterStore) TaskGet(ctx context.Context, p ackscale.TaskGetParams) (ackscale.Task, error) {
	f := filter{}
	f.add("id = " + f.arg(p.ID))
	f.eq("account_id", p.AccountID)
	return queryOne(ctx, s.db.pool, scanTask, func() error { return taskNotFound(p.ID) },
		`SELECT `+taskColumns+` FROM tasks`+f.sql(), f.args...)
}

// TaskList returns the tasks of a cluster (of the account; AccountID "":
// of any), newest first, then by id descending, and their count before
// paging.
func (s *ClusterStore) TaskList(ctx context.Context, p ackscale.TaskListParams) ([]ackscale.Task, int, error) {
	f := filter{}
	f.add("cluster_id = " + f.arg(p.ClusterID))
	f.eq("account_id", p.AccountID)
	return queryPage(ctx, s.db.pool, scanTask, "tasks", taskColumns, "tasks", f, "created_at DESC, id DESC", p.Offset, p.Limit)
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

// TaskPlan saves a task's progress as TaskSave does and inserts the
// workers it planned (as WorkerInsert does), in one transaction.
func (s *ClusterStore) TaskPlan(ctx context.Context, p ackscale.TaskPlanParams) error {
	t := p.Task
	return s.db.inTx(ctx, func(tx pgx.Tx) error {
		if err := s.saveTask(ctx, tx, t); err != nil {
			return err
		}
		if err := insertWorkers(ctx, tx, p.Workers, s.db.now()); err != nil || !t.State.Ended() {
			return err
		}
		return dropReservation(ctx, tx, t.ID) // an ended task creates nothing more; the reservation last, as in TaskFinish
	})
}

// saveTask writes a task's progress: a conditional UPDATE along the task
// table, so that of two replicas saving one task, one that ends it wins
// and a later save of it running is refused.
func (s *ClusterStore) saveTask(ctx context.Context, tx pgx.Tx, t ackscale.Task) error {
	params, stages, events, err := encodeTask(t)
	if err != nil {
		return err
	}
	f := filter{}
	set := fmt.Sprintf(`state = %s, current_stage = %s, params = %s, error_code = %s, error_message = %s,
		stages = %s, events = %s, updated_at = %s`, f.arg(string(t.State)), f.arg(string(t.CurrentStage)), f.arg(params),
		f.arg(t.ErrorCode), f.arg(t.ErrorMessage), f.arg(stages), f.arg(events), f.arg(ms(s.db.now())))
	f.add("id = " + f.arg(t.ID))
	f.add(anyOf(&f, "state", t.State.Before()))
	unchanged := func() error { return taskRows.unchanged(ctx, tx, t.ID, string(t.State), taskNotFound(t.ID)) }
	return updateOne(ctx, tx, "save task "+t.ID, unchanged, `UPDATE tasks SET `+set+f.sql(), f.args...)
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
// have is CodeNodePoolNotFound. The reservation goes last: the row lock
// it takes is then held by a transaction that waits for nothing more,
// which InstanceCreate (holding the usage row, wanting the reservation's)
// relies on not to deadlock.
func (s *ClusterStore) TaskFinish(ctx context.Context, p ackscale.TaskFinishParams) error {
	t := p.Task
	if !t.State.Ended() {
		return fmt.Errorf("finish task %s: state %q is not an end state", t.ID, t.State)
	}
	return s.db.inTx(ctx, func(tx pgx.Tx) error {
		if err := s.saveTask(ctx, tx, t); err != nil {
			return err
		}
		if p.DeleteWorkers {
			if err := exec(ctx, tx, "delete workers of task "+t.ID, `DELETE FROM workers WHERE task_id = $1`, t.ID); err != nil {
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
		if p.ClusterState != "" {
			moved, err := s.moveCluster(ctx, tx, t.ClusterID, p.ClusterState, filter{})
			if err != nil {
				return err
			}
			if !moved {
				return clusterRows.unchanged(ctx, tx, t.ClusterID, string(p.ClusterState), clusterNotFound(t.ClusterID))
			}
		}
		return dropReservation(ctx, tx, t.ID)
	})
}

// TaskCount counts tasks (in p.State; "" = in any state).
func (s *ClusterStore) TaskCount(ctx context.Context, p ackscale.TaskCountParams) (int, error) {
	f := filter{}
	f.eq("state", string(p.State))
	return queryCount(ctx, s.db.pool, "count tasks", `SELECT count(*) FROM tasks`+f.sql(), f.args...)
}

// TaskCountsByType counts every task by type and state.
func (s *ClusterStore) TaskCountsByType(ctx context.Context) ([]ackscale.TaskCounts, error) {
	return queryAll(ctx, s.db.pool, "count tasks", func(r scanner) (ackscale.TaskCounts, error) {
		var c ackscale.TaskCounts
		var typ, state string
		err := r.Scan(&typ, &state, &c.Count)
		c.Type, c.State = ackscale.TaskType(typ), ackscale.TaskState(state)
		if err != nil {
			return c, fmt.Errorf("count tasks: %w", err)
		}
		return c, nil
	}, `SELECT type, state, count(*) FROM tasks GROUP BY type, state ORDER BY type, state`)
}

func scanTask(r scanner) (ackscale.Task, error) {
	var t ackscale.Task
	var typ, state, stage, params, stages, events string
	var created, updated int64
	err := r.Scan(&t.ID, &t.AccountID, &t.ClusterID, &typ, &state, &stage, &params, &t.ErrorCode, &t.ErrorMessage,
		&stages, &events, &created, &updated)
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
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
