package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ackscale/ackscale"
)

const taskColumns = `id, account_id, cluster_id, type, state, current_stage, params, error_code, error_message, stages, events, created_at, updated_at`

// TaskStart atomically moves the cluster from FromState to ToState, inserts
// the task and queues its job. A cluster in another state gets
// ErrorClusterState and nothing is written.
func (s *Store) TaskStart(ctx context.Context, p ackscale.TaskStartParams) error {
	t := p.Task
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE clusters SET state = ?, updated_at = ? WHERE id = ? AND account_id = ? AND state = ?`,
			p.ToState, ms(t.Created), t.ClusterID, t.AccountID, p.FromState)
		if err != nil {
			return fmt.Errorf("move cluster state: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return s.stateError(ctx, tx, t.AccountID, t.ClusterID, p.FromState)
		}
		for _, name := range p.Removing {
			if _, err := tx.ExecContext(ctx, `UPDATE workers SET state = ?, updated_at = ? WHERE cluster_id = ? AND node_name = ?`,
				ackscale.NodeRemoving, ms(t.Created), t.ClusterID, name); err != nil {
				return fmt.Errorf("mark worker removing: %w", err)
			}
		}
		return s.insertTask(ctx, tx, t)
	})
}

func (s *Store) stateError(ctx context.Context, tx *sql.Tx, accountID, clusterID, want string) error {
	var state string
	err := tx.QueryRowContext(ctx, `SELECT state FROM clusters WHERE id = ? AND account_id = ? AND state <> ?`,
		clusterID, accountID, ackscale.ClusterDeleted).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return clusterNotFound(clusterID)
	}
	if err != nil {
		return fmt.Errorf("read cluster state: %w", err)
	}
	return ackscale.Errorf(ackscale.CodeClusterState, "cluster %s is %s; this operation needs it %s", clusterID, state, want)
}

func (s *Store) insertTask(ctx context.Context, tx *sql.Tx, t ackscale.Task) error {
	params, stages, events, err := encodeTask(t)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO tasks (`+taskColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.AccountID, t.ClusterID, t.Type, t.State, t.CurrentStage, params, t.ErrorCode, t.ErrorMessage,
		stages, events, ms(t.Created), ms(t.Updated))
	if err != nil {
		return fmt.Errorf("insert task: %w", err)
	}
	return s.enqueue(ctx, tx, t.ID)
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

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// TaskGet returns the account's task, or ErrorTaskNotFound.
func (s *Store) TaskGet(ctx context.Context, accountID, id string) (ackscale.Task, error) {
	t, err := scanTask(s.db.QueryRowContext(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = ? AND account_id = ?`, id, accountID))
	if errors.Is(err, sql.ErrNoRows) {
		return t, ackscale.Errorf(ackscale.CodeTaskNotFound, "task %s not found", id)
	}
	return t, err
}

// TaskByID returns a task whatever its account (for task workers).
func (s *Store) TaskByID(ctx context.Context, id string) (ackscale.Task, error) {
	t, err := scanTask(s.db.QueryRowContext(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, ackscale.Errorf(ackscale.CodeTaskNotFound, "task %s not found", id)
	}
	return t, err
}

// TaskSave writes the task's progress: state, stage, stages, events, error.
func (s *Store) TaskSave(ctx context.Context, t ackscale.Task) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.saveTask(ctx, tx, t) })
}

func (s *Store) saveTask(ctx context.Context, tx *sql.Tx, t ackscale.Task) error {
	params, stages, events, err := encodeTask(t)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE tasks SET state = ?, current_stage = ?, params = ?, error_code = ?, error_message = ?,
		stages = ?, events = ?, updated_at = ? WHERE id = ?`,
		t.State, t.CurrentStage, params, t.ErrorCode, t.ErrorMessage, stages, events, ms(s.now()), t.ID)
	if err != nil {
		return fmt.Errorf("save task: %w", err)
	}
	return nil
}

// TaskFinish saves the ended task and sets its cluster's state, in one
// transaction. clusterState "" leaves the cluster as it is.
func (s *Store) TaskFinish(ctx context.Context, t ackscale.Task, clusterState string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.saveTask(ctx, tx, t); err != nil {
			return err
		}
		if clusterState == "" {
			return nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE clusters SET state = ?, updated_at = ? WHERE id = ?`, clusterState, ms(s.now()), t.ClusterID)
		if err != nil {
			return fmt.Errorf("set cluster state: %w", err)
		}
		return nil
	})
}

// TasksUnfinished counts tasks not yet ended (for tests and the kill -9 harness).
func (s *Store) TasksUnfinished(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM tasks WHERE state = ?`, ackscale.TaskRunning).Scan(&n)
	return n, err
}

func scanTask(r scanner) (ackscale.Task, error) {
	var t ackscale.Task
	var params, stages, events string
	var created, updated int64
	err := r.Scan(&t.ID, &t.AccountID, &t.ClusterID, &t.Type, &t.State, &t.CurrentStage, &params, &t.ErrorCode, &t.ErrorMessage,
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
	t.Created, t.Updated = fromMS(created), fromMS(updated)
	return t, nil
}
