package sqlite

import (
	"context"
	"fmt"

	"github.com/ackscale/ackscale"
)

// Check counts instances, workers and tasks and the ways they can
// disagree: an instance exists in the cloud if and only if a worker
// records it (or it was detached from its cluster); the usage counters
// count the live instances and the running tasks' reservations; only
// running tasks hold reservations.
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
		{&c.FailedWorkers, `SELECT count(*) FROM workers WHERE state = ?`, []any{string(ackscale.NodeFailed)}},
		{&c.TasksRunning, `SELECT count(*) FROM tasks WHERE state = ?`, []any{string(ackscale.TaskRunning)}},
		{&c.TasksSucceeded, `SELECT count(*) FROM tasks WHERE state = ?`, []any{string(ackscale.TaskSuccess)}},
		{&c.TasksFailed, `SELECT count(*) FROM tasks WHERE state = ?`, []any{string(ackscale.TaskFailed)}},
		{&c.QuotaDrift, quotaDriftQuery, []any{released, string(ackscale.TaskRunning)}},
		{&c.StaleReservations, `SELECT count(*) FROM quota_reservations r
			WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = r.task_id AND t.state = ?)`, []any{string(ackscale.TaskRunning)}},
	}
	// One read transaction, so the counts agree with each other.
	tx, err := db.read.BeginTx(ctx, nil)
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

// quotaDriftQuery counts the usage counters that differ from a count of
// what they count: the account scopes whose counters disagree with their
// live (status <> ?1) instances or their running (?2) tasks'
// reservations, or are missing; the zone × types whose stock in use
// disagrees with their live instances, or is missing.
const quotaDriftQuery = `WITH live AS (
		SELECT account_id, quota_scope AS scope, count(*) AS instances, sum(vcpus) AS vcpus
		FROM cloud_instances WHERE status <> ?1 GROUP BY account_id, quota_scope
	), reserved AS (
		SELECT r.account_id, r.scope, sum(r.instances) AS instances, sum(r.instances * r.vcpus) AS vcpus
		FROM quota_reservations r JOIN tasks t ON t.id = r.task_id AND t.state = ?2 GROUP BY r.account_id, r.scope
	), stock AS (
		SELECT zone_id, instance_type, count(*) AS live FROM cloud_instances WHERE status <> ?1 GROUP BY zone_id, instance_type
	)
	SELECT (SELECT count(*) FROM quota_usage u
			LEFT JOIN live l ON l.account_id = u.account_id AND l.scope = u.scope
			LEFT JOIN reserved r ON r.account_id = u.account_id AND r.scope = u.scope
			WHERE u.instances <> coalesce(l.instances, 0) OR u.vcpus <> coalesce(l.vcpus, 0)
				OR u.reserved_instances <> coalesce(r.instances, 0) OR u.reserved_vcpus <> coalesce(r.vcpus, 0))
		+ (SELECT count(*) FROM live l
			WHERE NOT EXISTS (SELECT 1 FROM quota_usage u WHERE u.account_id = l.account_id AND u.scope = l.scope))
		+ (SELECT count(*) FROM reserved r
			WHERE NOT EXISTS (SELECT 1 FROM quota_usage u WHERE u.account_id = r.account_id AND u.scope = r.scope))
		+ (SELECT count(*) FROM stock_usage s
			LEFT JOIN stock l ON l.zone_id = s.zone_id AND l.instance_type = s.instance_type
			WHERE s.live <> coalesce(l.live, 0))
		+ (SELECT count(*) FROM stock l
			WHERE NOT EXISTS (SELECT 1 FROM stock_usage s WHERE s.zone_id = l.zone_id AND s.instance_type = l.instance_type))`
