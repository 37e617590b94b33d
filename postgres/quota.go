package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ackscale/ackscale"
)

// Quota usage: quota_usage counts each account's live instances and their
// vCPUs per scope, and what its running tasks reserved there; each is
// kept in the transaction that changes what it counts (InstanceCreate,
// the first release, TaskStart and ClusterCreate, a task's end).
// quota_reservations holds what each accepted, unfinished task may still
// create. Accepting a reserving task locks the account's quota_usage row
// of the scope and reads it (lockUsage), then reserves, in the
// transaction that accepts it: acceptances in one account and scope, on
// any replica, decide one after the other, each seeing the reservations
// of those before it. Everything that changes the counters updates that
// row, so it waits for an acceptance in progress too; a read of the usage
// (QuotaUsageGet) is one row.
//
// Lock order, so that no two of these transactions wait for each other in
// a circle: a task's start locks its cluster, then the usage row; a task's
// end, its reservation then the usage row; InstanceCreate the stock row,
// the IP pool, the reservation, then the usage rows; a release the
// instance, the stock row, the IP pool, then the usage row.

// usageKey names an account's quota scope.
type usageKey struct{ accountID, scope string }

// usageDelta is a change of the counters of one usageKey.
type usageDelta struct{ instances, vcpus, reservedInstances, reservedVCPUs int }

// usageColumns are the counters of a quota_usage row, as QuotaUsage has them.
const usageColumns = `instances, vcpus, reserved_instances, reserved_vcpus`

// scanUsage reads usageColumns into u.
func scanUsage(r scanner, u *ackscale.QuotaUsage) error {
	return r.Scan(&u.Instances, &u.VCPUs, &u.ReservedInstances, &u.ReservedVCPUs)
}

// QuotaUsageGet returns an account's usage of a quota scope: its live
// instances and their vCPUs there, and what its unfinished tasks reserved
// and have not created yet. An unknown account or scope has zero usage.
func (s *CloudStore) QuotaUsageGet(ctx context.Context, p ackscale.QuotaUsageParams) (ackscale.QuotaUsage, error) {
	u := ackscale.QuotaUsage{AccountID: p.AccountID, Scope: p.Scope}
	err := scanUsage(s.db.pool.QueryRow(ctx, `SELECT `+usageColumns+` FROM quota_usage WHERE account_id = $1 AND scope = $2`,
		p.AccountID, p.Scope), &u)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return u, fmt.Errorf("read quota usage: %w", err)
	}
	return u, nil
}

// lockUsage locks an account's quota_usage row of a scope until tx ends,
// making it (at zero) if it has none, and returns its counters: the lock
// that serializes the acceptances of the account's reserving tasks in the
// scope. A row lock rather than an advisory lock: every change of the
// counters takes it too, and it needs no hash.
func lockUsage(ctx context.Context, tx pgx.Tx, accountID, scope string) (ackscale.QuotaUsage, error) {
	u := ackscale.QuotaUsage{AccountID: accountID, Scope: scope}
	if _, err := tx.Exec(ctx, `INSERT INTO quota_usage (account_id, scope) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		accountID, scope); err != nil {
		return u, fmt.Errorf("lock quota usage: %w", err)
	}
	err := scanUsage(tx.QueryRow(ctx, `SELECT `+usageColumns+` FROM quota_usage WHERE account_id = $1 AND scope = $2 FOR UPDATE`,
		accountID, scope), &u)
	if err != nil {
		return u, fmt.Errorf("lock quota usage: %w", err)
	}
	return u, nil
}

// addUsage adds d to the counters of k.
func addUsage(ctx context.Context, tx pgx.Tx, k usageKey, d usageDelta) error {
	return exec(ctx, tx, "count quota usage", `INSERT INTO quota_usage AS u (account_id, scope, `+usageColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, scope) DO UPDATE SET
		instances = u.instances + excluded.instances, vcpus = u.vcpus + excluded.vcpus,
		reserved_instances = u.reserved_instances + excluded.reserved_instances,
		reserved_vcpus = u.reserved_vcpus + excluded.reserved_vcpus`,
		k.accountID, k.scope, d.instances, d.vcpus, d.reservedInstances, d.reservedVCPUs)
}

// checkReservation locks the usage of r's scope (when r is set) and asks
// r.CheckFunc (when set) whether the account may reserve r on top of its
// usage, read in tx; the CheckFunc's error is returned as it is.
func checkReservation(ctx context.Context, tx pgx.Tx, accountID string, r *ackscale.Reservation) error {
	if r == nil || (r.CheckFunc == nil && r.Instances <= 0) {
		return nil
	}
	u, err := lockUsage(ctx, tx, accountID, r.Scope)
	if err != nil || r.CheckFunc == nil {
		return err
	}
	return r.CheckFunc(u)
}

// insertReservation records the reservation of a task that was just
// inserted, and counts it (nothing when r is nil or reserves no instance).
func insertReservation(ctx context.Context, tx pgx.Tx, t ackscale.Task, r *ackscale.Reservation) error {
	if r == nil || r.Instances <= 0 {
		return nil
	}
	vcpus := max(r.VCPUs, 0)
	_, err := tx.Exec(ctx, `INSERT INTO quota_reservations (task_id, account_id, scope, instances, vcpus) VALUES ($1, $2, $3, $4, $5)`,
		t.ID, t.AccountID, r.Scope, r.Instances, vcpus)
	if err != nil {
		return insertError(err, "reservation of task "+t.ID)
	}
	return addUsage(ctx, tx, usageKey{t.AccountID, r.Scope}, usageDelta{reservedInstances: r.Instances, reservedVCPUs: r.Instances * vcpus})
}

// dropReservation forgets what is left of a task's reservation, and
// uncounts it.
func dropReservation(ctx context.Context, tx pgx.Tx, taskID string) error {
	var k usageKey
	var instances, vcpus int
	err := tx.QueryRow(ctx, `DELETE FROM quota_reservations WHERE task_id = $1 RETURNING account_id, scope, instances, vcpus`,
		taskID).Scan(&k.accountID, &k.scope, &instances, &vcpus)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("drop reservation of task %s: %w", taskID, err)
	}
	return addUsage(ctx, tx, k, usageDelta{reservedInstances: -instances, reservedVCPUs: -instances * vcpus})
}

// countInstance adds a new live instance to its account's usage of scope,
// and takes one instance off the reservation of task reservation (when it
// is set and has any left).
func countInstance(ctx context.Context, tx pgx.Tx, in ackscale.Instance, scope, reservation string) error {
	k, d := usageKey{in.AccountID, scope}, usageDelta{}
	if in.Status != ackscale.InstanceReleased {
		d.instances, d.vcpus = 1, in.VCPUs
	}
	if reservation != "" {
		var rk usageKey
		var vcpus int
		err := tx.QueryRow(ctx, `UPDATE quota_reservations SET instances = instances - 1 WHERE task_id = $1 AND instances > 0
			RETURNING account_id, scope, vcpus`, reservation).Scan(&rk.accountID, &rk.scope, &vcpus)
		switch {
		case errors.Is(err, pgx.ErrNoRows): // none left
		case err != nil:
			return fmt.Errorf("use reservation of task %s: %w", reservation, err)
		case rk == k:
			d.reservedInstances, d.reservedVCPUs = -1, -vcpus
		default:
			if err := addUsage(ctx, tx, rk, usageDelta{reservedInstances: -1, reservedVCPUs: -vcpus}); err != nil {
				return err
			}
		}
	}
	if d == (usageDelta{}) {
		return nil
	}
	return addUsage(ctx, tx, k, d)
}

// uncountInstance takes a live instance, being released in tx, out of its
// account's usage.
func uncountInstance(ctx context.Context, tx pgx.Tx, accountID, scope string, vcpus int) error {
	return addUsage(ctx, tx, usageKey{accountID, scope}, usageDelta{instances: -1, vcpus: -vcpus})
}
