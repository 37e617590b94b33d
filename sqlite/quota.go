package sqlite

import (
	"context"
	"database/sql"

	"github.com/ackscale/ackscale"
)

// Quota usage: quota_usage counts each account's live instances and their
// vCPUs per scope, kept by InstanceCreate and the first release in their
// transactions; quota_reservations holds what each accepted, unfinished
// task may still create. Accepting a task reads both (no instance is
// counted) and reserves, in the transaction that accepts it: with
// _txlock=immediate and one connection, two acceptances never overlap.

// quotaUsageQuery reads an account's (?1) usage of a scope (?2): its
// counters, and the reservations of its running (?3) tasks, in one
// statement.
const quotaUsageQuery = `SELECT
	coalesce((SELECT instances FROM quota_usage WHERE account_id = ?1 AND scope = ?2), 0),
	coalesce((SELECT vcpus FROM quota_usage WHERE account_id = ?1 AND scope = ?2), 0),
	coalesce(sum(r.instances), 0), coalesce(sum(r.instances * r.vcpus), 0)
	FROM quota_reservations r JOIN tasks t ON t.id = r.task_id AND t.state = ?3
	WHERE r.account_id = ?1 AND r.scope = ?2`

// quotaUsage reads an account's usage of a scope.
func quotaUsage(ctx context.Context, q querier, accountID, scope string) (ackscale.QuotaUsage, error) {
	u := ackscale.QuotaUsage{AccountID: accountID, Scope: scope}
	scan := scanFields("read quota usage", func(u *ackscale.QuotaUsage) []any {
		return []any{&u.Instances, &u.VCPUs, &u.ReservedInstances, &u.ReservedVCPUs}
	})
	got, err := scan(q.QueryRowContext(ctx, quotaUsageQuery, accountID, scope, string(ackscale.TaskRunning)))
	if err != nil {
		return u, err
	}
	got.AccountID, got.Scope = accountID, scope
	return got, nil
}

// QuotaUsageGet returns an account's usage of a quota scope: its live
// instances and their vCPUs there, and what its unfinished tasks reserved
// and have not created yet. An unknown account or scope has zero usage.
func (s *CloudStore) QuotaUsageGet(ctx context.Context, p ackscale.QuotaUsageParams) (ackscale.QuotaUsage, error) {
	return quotaUsage(ctx, s.db.read, p.AccountID, p.Scope)
}

// checkReservation asks r.CheckFunc (when both are set) whether the
// account may reserve r on top of its usage of r.Scope, read in tx; the
// CheckFunc's error is returned as it is.
func checkReservation(ctx context.Context, tx *sql.Tx, accountID string, r *ackscale.Reservation) error {
	if r == nil || r.CheckFunc == nil {
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
func insertReservation(ctx context.Context, tx *sql.Tx, t ackscale.Task, r *ackscale.Reservation) error {
	if r == nil || r.Instances <= 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO quota_reservations (task_id, account_id, scope, instances, vcpus) VALUES (?, ?, ?, ?, ?)`,
		t.ID, t.AccountID, r.Scope, r.Instances, max(r.VCPUs, 0))
	return insertError(err, "reservation of task "+t.ID)
}

// dropReservation forgets what is left of a task's reservation.
func dropReservation(ctx context.Context, tx *sql.Tx, taskID string) error {
	return exec(ctx, tx, "drop reservation of task "+taskID, `DELETE FROM quota_reservations WHERE task_id = ?`, taskID)
}

// countInstance adds a new live instance to its account's usage, and
// takes one instance off the reservation of task reservation (when it is
// set and has any left).
func countInstance(ctx context.Context, tx *sql.Tx, in ackscale.Instance, scope, reservation string) error {
	if in.Status != ackscale.InstanceReleased {
		err := exec(ctx, tx, "count instance "+in.ID, `INSERT INTO quota_usage (account_id, scope, instances, vcpus) VALUES (?, ?, 1, ?)
			ON CONFLICT (account_id, scope) DO UPDATE SET instances = instances + 1, vcpus = vcpus + excluded.vcpus`,
			in.AccountID, scope, in.VCPUs)
		if err != nil {
			return err
		}
	}
	if reservation == "" {
		return nil
	}
	return exec(ctx, tx, "use reservation of task "+reservation,
		`UPDATE quota_reservations SET instances = instances - 1 WHERE task_id = ? AND instances > 0`, reservation)
}

// uncountInstance takes an instance out of its account's usage if it is
// live: called before the update that releases it, it takes it out once.
func uncountInstance(ctx context.Context, tx *sql.Tx, id string) error {
	return exec(ctx, tx, "uncount instance "+id, `UPDATE quota_usage SET instances = quota_usage.instances - 1, vcpus = quota_usage.vcpus - i.vcpus
		FROM (SELECT account_id, quota_scope, vcpus FROM cloud_instances WHERE id = ? AND status <> ?) AS i
		WHERE quota_usage.account_id = i.account_id AND quota_usage.scope = i.quota_scope`, id, string(ackscale.InstanceReleased))
}
