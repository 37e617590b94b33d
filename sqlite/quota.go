package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ackscale/ackscale"
)

// Quota usage: quota_usage counts each account's live instances and their
// vCPUs per scope, and what its running tasks reserved there; each is
// kept in the transaction that changes what it counts (InstanceCreate,
// the first release, TaskStart and ClusterCreate, a task's end).
// quota_reservations holds what each accepted, unfinished task may still
// create. Accepting a task reads the account's one row of the scope and
// reserves, in the transaction that accepts it: with _txlock=immediate
// and one writer, two acceptances never overlap.

// usageKey names an account's quota scope.
type usageKey struct{ accountID, scope string }

// usageDelta is a change of the counters of one usageKey.
type usageDelta struct{ instances, vcpus, reservedInstances, reservedVCPUs int }

// quotaUsage reads an account's usage of a scope; an unknown account or
// scope has zero usage.
func quotaUsage(ctx context.Context, q querier, accountID, scope string) (ackscale.QuotaUsage, error) {
	u := ackscale.QuotaUsage{AccountID: accountID, Scope: scope}
	err := q.QueryRowContext(ctx, `SELECT instances, vcpus, reserved_instances, reserved_vcpus FROM quota_usage
		WHERE account_id = ? AND scope = ?`, accountID, scope).Scan(&u.Instances, &u.VCPUs, &u.ReservedInstances, &u.ReservedVCPUs)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("read quota usage: %w", err)
	}
	return u, nil
}

// QuotaUsageGet returns an account's usage of a quota scope: its live
// instances and their vCPUs there, and what its unfinished tasks reserved
// and have not created yet. An unknown account or scope has zero usage.
func (s *CloudStore) QuotaUsageGet(ctx context.Context, p ackscale.QuotaUsageParams) (ackscale.QuotaUsage, error) {
	return quotaUsage(ctx, s.db.read, p.AccountID, p.Scope)
}

// addUsage adds d to the counters of k.
func addUsage(ctx context.Context, tx *sql.Tx, k usageKey, d usageDelta) error {
	return exec(ctx, tx, "count quota usage", addUsageQuery, k.accountID, k.scope, d.instances, d.vcpus, d.reservedInstances, d.reservedVCPUs)
}

// addUsageQuery adds its last four arguments to the counters of an
// account's scope (its first two).
const addUsageQuery = `INSERT INTO quota_usage (account_id, scope, instances, vcpus, reserved_instances, reserved_vcpus)
	VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, scope) DO UPDATE SET
	instances = instances + excluded.instances, vcpus = vcpus + excluded.vcpus,
	reserved_instances = reserved_instances + excluded.reserved_instances, reserved_vcpus = reserved_vcpus + excluded.reserved_vcpus`

// reserveQuota records the reservation r of a task that was just inserted and
// counts it, once r.CheckFunc (when set) has accepted the account's usage
// of r.Scope as it was before; the CheckFunc's error is returned as it is
// (and rolls the transaction back). A reservation of no instance records
// nothing. The counters' upsert returns what they hold, so the check reads
// no row of its own.
func reserveQuota(ctx context.Context, tx *sql.Tx, t ackscale.Task, r *ackscale.Reservation) error {
	if r == nil {
		return nil
	}
	if r.Instances <= 0 {
		if r.CheckFunc == nil {
			return nil
		}
		u, err := quotaUsage(ctx, tx, t.AccountID, r.Scope)
		if err != nil {
			return err
		}
		return r.CheckFunc(u)
	}
	vcpus := max(r.VCPUs, 0)
	_, err := tx.ExecContext(ctx, `INSERT INTO quota_reservations (task_id, account_id, scope, instances, vcpus) VALUES (?, ?, ?, ?, ?)`,
		t.ID, t.AccountID, r.Scope, r.Instances, vcpus)
	if err != nil {
		return insertError(err, "reservation of task "+t.ID)
	}
	d := usageDelta{reservedInstances: r.Instances, reservedVCPUs: r.Instances * vcpus}
	u := ackscale.QuotaUsage{AccountID: t.AccountID, Scope: r.Scope}
	err = tx.QueryRowContext(ctx, addUsageQuery+` RETURNING instances, vcpus, reserved_instances, reserved_vcpus`,
		t.AccountID, r.Scope, d.instances, d.vcpus, d.reservedInstances, d.reservedVCPUs).
		Scan(&u.Instances, &u.VCPUs, &u.ReservedInstances, &u.ReservedVCPUs)
	if err != nil {
		return fmt.Errorf("count quota usage: %w", err)
	}
	if r.CheckFunc == nil {
		return nil
	}
	u.ReservedInstances, u.ReservedVCPUs = u.ReservedInstances-d.reservedInstances, u.ReservedVCPUs-d.reservedVCPUs
	return r.CheckFunc(u)
}

// dropReservation forgets what is left of a task's reservation, and
// uncounts it.
func dropReservation(ctx context.Context, tx *sql.Tx, taskID string) error {
	var k usageKey
	var instances, vcpus int
	found, err := updateReturning(ctx, tx, "drop reservation of task "+taskID, nil,
		`DELETE FROM quota_reservations WHERE task_id = ? RETURNING account_id, scope, instances, vcpus`, []any{taskID},
		&k.accountID, &k.scope, &instances, &vcpus)
	if err != nil || !found {
		return err
	}
	return addUsage(ctx, tx, k, usageDelta{reservedInstances: -instances, reservedVCPUs: -instances * vcpus})
}

// countInstance adds a new live instance to its account's usage of scope,
// and takes one instance off the reservation of task reservation (when it
// is set and has any left).
func countInstance(ctx context.Context, tx *sql.Tx, in ackscale.Instance, scope, reservation string) error {
	k, d := usageKey{in.AccountID, scope}, usageDelta{}
	if in.Status != ackscale.InstanceReleased {
		d.instances, d.vcpus = 1, in.VCPUs
	}
	if reservation != "" {
		var rk usageKey
		var vcpus int
		found, err := updateReturning(ctx, tx, "use reservation of task "+reservation, nil,
			`UPDATE quota_reservations SET instances = instances - 1 WHERE task_id = ? AND instances > 0
			RETURNING account_id, scope, vcpus`, []any{reservation}, &rk.accountID, &rk.scope, &vcpus)
		switch {
		case err != nil:
			return err
		case !found: // none left
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
