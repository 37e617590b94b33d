package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ackscale/ackscale"
)

// Quota usage: quota_usage counts each account's live instances and their
// vCPUs per scope, kept by InstanceCreate and the first release in their
// transactions; quota_reservations holds what each accepted, unfinished
// task may still create. Accepting a reserving task locks the account's
// quota_usage row of the scope (lockUsage), then reads both and reserves,
// in the transaction that accepts it: acceptances in one account and
// scope, on any replica, decide one after the other, each seeing the
// reservations of those before it. InstanceCreate updates the same row,
// so it waits for an acceptance in progress too; a read of the usage
// (QuotaUsageGet) is one statement, and so one snapshot.

// quotaUsageQuery reads an account's ($1) usage of a scope ($2): its
// counters, and the reservations of its running ($3) tasks, in one
// statement.
const quotaUsageQuery = `SELECT
	coalesce((SELECT instances FROM quota_usage WHERE account_id = $1 AND scope = $2), 0),
	coalesce((SELECT vcpus FROM quota_usage WHERE account_id = $1 AND scope = $2), 0),
	coalesce(sum(r.instances), 0)::bigint, coalesce(sum(r.instances * r.vcpus), 0)::bigint
	FROM quota_reservations r JOIN tasks t ON t.id = r.task_id AND t.state = $3
	WHERE r.account_id = $1 AND r.scope = $2`

// quotaUsage reads an account's usage of a scope.
func quotaUsage(ctx context.Context, q querier, accountID, scope string) (ackscale.QuotaUsage, error) {
	scan := scanFields("read quota usage", func(u *ackscale.QuotaUsage) []any {
		return []any{&u.Instances, &u.VCPUs, &u.ReservedInstances, &u.ReservedVCPUs}
	})
	u, err := scan(q.QueryRow(ctx, quotaUsageQuery, accountID, scope, string(ackscale.TaskRunning)))
	if err != nil {
		return ackscale.QuotaUsage{AccountID: accountID, Scope: scope}, err
	}
	u.AccountID, u.Scope = accountID, scope
	return u, nil
}

// QuotaUsageGet returns an account's usage of a quota scope: its live
// instances and their vCPUs there, and what its unfinished tasks reserved
// and have not created yet. An unknown account or scope has zero usage.
func (s *CloudStore) QuotaUsageGet(ctx context.Context, p ackscale.QuotaUsageParams) (ackscale.QuotaUsage, error) {
	return quotaUsage(ctx, s.db.pool, p.AccountID, p.Scope)
}

// lockUsage locks an account's quota_usage row of a scope until tx ends,
// making it (at zero) if it has none: the lock that serializes the
// acceptances of the account's reserving tasks in the scope. A row lock
// rather than an advisory lock: InstanceCreate's update of the counters
// takes it too, and it needs no hash.
func lockUsage(ctx context.Context, tx pgx.Tx, accountID, scope string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO quota_usage (account_id, scope) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		accountID, scope); err != nil {
		return fmt.Errorf("lock quota usage: %w", err)
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM quota_usage WHERE account_id = $1 AND scope = $2 FOR UPDATE`,
		accountID, scope); err != nil {
		return fmt.Errorf("lock quota usage: %w", err)
	}
	return nil
}

// checkReservation locks the usage of r's scope (when r is set) and asks
// r.CheckFunc (when set) whether the account may reserve r on top of its
// usage, read in tx; the CheckFunc's error is returned as it is.
func checkReservation(ctx context.Context, tx pgx.Tx, accountID string, r *ackscale.Reservation) error {
	if r == nil || (r.CheckFunc == nil && r.Instances <= 0) {
		return nil
	}
	if err := lockUsage(ctx, tx, accountID, r.Scope); err != nil {
		return err
	}
	if r.CheckFunc == nil {
		return nil
	}
	u, err := quotaUsage(ctx, tx, accountID, r.Scope)
	if err != nil {
		return err
	}
	return r.CheckFunc(u)
}

// insertReservation records the reservation of a task that was just
// inserted (nothing when r is nil or reserves no instance).
func insertReservation(ctx context.Context, tx pgx.Tx, t ackscale.Task, r *ackscale.Reservation) error {
	if r == nil || r.Instances <= 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO quota_reservations (task_id, account_id, scope, instances, vcpus) VALUES ($1, $2, $3, $4, $5)`,
		t.ID, t.AccountID, r.Scope, r.Instances, max(r.VCPUs, 0))
	return insertError(err, "reservation of task "+t.ID)
}

// dropReservation forgets what is left of a task's reservation.
func dropReservation(ctx context.Context, tx pgx.Tx, taskID string) error {
	return exec(ctx, tx, "drop reservation of task "+taskID, `DELETE FROM quota_reservations WHERE task_id = $1`, taskID)
}

// countInstance adds a new live instance to its account's usage, and
// takes one instance off the reservation of task reservation (when it is
// set and has any left).
func countInstance(ctx context.Context, tx pgx.Tx, in ackscale.Instance, scope, reservation string) error {
	if in.Status != ackscale.InstanceReleased {
		err := exec(ctx, tx, "count instance "+in.ID, `INSERT INTO quota_usage (account_id, scope, instances, vcpus) VALUES ($1, $2, 1, $3)
			ON CONFLICT (account_id, scope) DO UPDATE SET instances = quota_usage.instances + 1, vcpus = quota_usage.vcpus + excluded.vcpus`,
			in.AccountID, scope, in.VCPUs)
		if err != nil {
			return err
		}
	}
	if reservation == "" {
		return nil
	}
	return exec(ctx, tx, "use reservation of task "+reservation,
		`UPDATE quota_reservations SET instances = instances - 1 WHERE task_id = $1 AND instances > 0`, reservation)
}

// uncountInstance takes a live instance, being released in tx, out of its
// account's usage.
func uncountInstance(ctx context.Context, tx pgx.Tx, accountID, scope string, vcpus int) error {
	return exec(ctx, tx, "uncount instance", `UPDATE quota_usage SET instances = instances - 1, vcpus = vcpus - $3
		WHERE account_id = $1 AND scope = $2`, accountID, scope, vcpus)
}
