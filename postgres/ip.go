package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ackscale/ackscale"
)

// The free-IP index (migration 008): per account and pool, ip_pools.next_ip
// is the lowest address never handed out and ip_pool_free the released
// addresses below it. Every address below next_ip is held by a live
// instance or in ip_pool_free; an address at or above it may be held too
// (an instance older than the index, or one created with its IP given),
// which allocateIP skips. So the lowest free address is found in a few
// index lookups, whatever the number of live instances. The pool's row is
// the lock of its allocations and releases, on every replica: two creates
// never pick the same address, and a release never misses the cursor.

// allocateIP takes the lowest address of r that no live instance of the
// account's pool holds, in tx; CodeIPExhausted when there is none.
func allocateIP(ctx context.Context, tx pgx.Tx, accountID, pool string, r ackscale.IPRange) (string, error) {
	first, last, ok := r.Numbers()
	if !ok {
		return "", fmt.Errorf("allocate an IP of %s: no IPv4 range given (%s)", pool, r)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO ip_pools (account_id, pool, next_ip) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		accountID, pool, first); err != nil {
		return "", fmt.Errorf("lock IP pool %s: %w", pool, err)
	}
	next, _, err := lockPool(ctx, tx, accountID, pool)
	if err != nil {
		return "", err
	}
	next = max(next, first)
	for {
		var free *int64
		if err := tx.QueryRow(ctx, `SELECT min(ip) FROM ip_pool_free WHERE account_id = $1 AND pool = $2 AND ip BETWEEN $3 AND $4`,
			accountID, pool, first, last).Scan(&free); err != nil {
			return "", fmt.Errorf("find a free IP of %s: %w", pool, err)
		}
		var ip int64
		switch {
		case free != nil && *free < next:
			ip = *free
			if err := exec(ctx, tx, "take a free IP", `DELETE FROM ip_pool_free WHERE account_id = $1 AND pool = $2 AND ip = $3`,
				accountID, pool, ip); err != nil {
				return "", err
			}
		case next <= last:
			ip, next = next, next+1
		default:
			return "", ackscale.CloudErrorf(ackscale.CodeIPExhausted, "no free private IP left in %s (%s)", pool, r)
		}
		addr := ackscale.IPv4String(ip)
		held, err := ipHeld(ctx, tx, accountID, pool, addr)
		if err != nil {
			return "", err
		}
		if held {
			continue
		}
		return addr, exec(ctx, tx, "advance the IP pool", `UPDATE ip_pools SET next_ip = $3 WHERE account_id = $1 AND pool = $2`,
			accountID, pool, next)
	}
}

// lockPool locks the row of the account's pool until tx ends and returns
// its next_ip; found is false when the pool has none (it never handed out
// an address).
func lockPool(ctx context.Context, tx pgx.Tx, accountID, pool string) (next int64, found bool, err error) {
	err = tx.QueryRow(ctx, `SELECT next_ip FROM ip_pools WHERE account_id = $1 AND pool = $2 FOR UPDATE`, accountID, pool).Scan(&next)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("lock IP pool %s: %w", pool, err)
	}
	return next, true, nil
}

// claimIP takes an address given to a new instance out of the free ones.
func claimIP(ctx context.Context, tx pgx.Tx, accountID, pool, addr string) error {
	ip, ok := ackscale.ParseIPv4Number(addr)
	if !ok {
		return nil // not in any index
	}
	return exec(ctx, tx, "claim IP "+addr, `DELETE FROM ip_pool_free WHERE account_id = $1 AND pool = $2 AND ip = $3`, accountID, pool, ip)
}

// freeIP returns a released instance's address to its pool, under the
// pool's lock: into ip_pool_free when it lies below next_ip (above, the
// pool will reach it).
func freeIP(ctx context.Context, tx pgx.Tx, accountID, pool, addr string) error {
	ip, ok := ackscale.ParseIPv4Number(addr)
	if !ok {
		return nil
	}
	next, found, err := lockPool(ctx, tx, accountID, pool)
	if err != nil || !found || ip >= next {
		return err
	}
	return exec(ctx, tx, "free IP "+addr, `INSERT INTO ip_pool_free (account_id, pool, ip) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		accountID, pool, ip)
}

// ipHeld reports whether a live instance holds the address of the
// account's pool (the partial unique index cloud_instances_ip).
func ipHeld(ctx context.Context, tx pgx.Tx, accountID, pool, addr string) (bool, error) {
	var held bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM cloud_instances
		WHERE account_id = $1 AND ip_pool = $2 AND ip = $3 AND status <> 'Released')`, accountID, pool, addr).Scan(&held)
	if err != nil {
		return false, fmt.Errorf("read IP %s of %s: %w", addr, pool, err)
	}
	return held, nil
}
