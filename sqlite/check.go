package sqlite

import (
	"context"
	"fmt"

	"github.com/ackscale/ackscale"
)

// Check counts instances, workers and tasks and the ways they can
// disagree: an instance exists in the cloud if and only if a worker
// records it (or it was detached from its cluster).
func (db *DB) Check(ctx context.Context) (ackscale.Check, error) {
	var c ackscale.Check
	released := string(ackscale.InstanceReleased)
	q := []struct {
		dst   *int
		query string
		args  []any
	}{
		{&c.Instances, `SELECT count(*) FROM cloud_instances`, nil},
		{&c.Live, `SELECT count(*) FROM cloud_instances WHERE status <> ?`, []any{released}},
		{&c.Released, `SELECT count(*) FROM cloud_instances WHERE status = ?`, []any{released}},
		{&c.Workers, `SELECT count(*) FROM workers`, nil},
		{&c.Detached, `SELECT count(*) FROM cloud_instances WHERE status <> ? AND detached = 1`, []any{released}},
		{&c.Leaked, `SELECT count(*) FROM cloud_instances i WHERE i.status <> ? AND i.detached = 0
			AND NOT EXISTS (SELECT 1 FROM workers w WHERE w.client_token = i.client_token)`, []any{released}},
		{&c.Lost, `SELECT count(*) FROM workers w WHERE w.instance_id <> ''
			AND NOT EXISTS (SELECT 1 FROM cloud_instances i WHERE i.id = w.instance_id AND i.status <> ?)`, []any{released}},
		{&c.Duplicated, `SELECT count(*) FROM (SELECT client_token FROM cloud_instances GROUP BY client_token HAVING count(*) > 1)`, nil},
		{&c.TasksRunning, `SELECT count(*) FROM tasks WHERE state = ?`, []any{string(ackscale.TaskRunning)}},
		{&c.TasksSucceeded, `SELECT count(*) FROM tasks WHERE state = ?`, []any{string(ackscale.TaskSuccess)}},
		{&c.TasksFailed, `SELECT count(*) FROM tasks WHERE state = ?`, []any{string(ackscale.TaskFailed)}},
	}
	// One read transaction, so the counts agree with each other.
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return c, fmt.Errorf("check: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, x := range q {
		if err := tx.QueryRowContext(ctx, x.query, x.args...).Scan(x.dst); err != nil {
			return c, fmt.Errorf("check: %w", err)
		}
	}
	return c, nil
}
