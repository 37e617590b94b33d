package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ackscale/ackscale"
)

// The free-IP index (migration 008): per account and pool, ip_pools.next_ip
// is the lowest address never handed out and ip_pool_free the released
// addresses below it. Every address below next_ip is held by a live
// instance or in ip_pool_free; an address at or above it may be held too
// (an instance older than the index, or one created with its IP given),
// which allocateIP skips. So the lowest free address is found in a few
// index lookups, whatever the number of live instances.

// allocateIP takes the lowest address of r that no live instance of the
// account's pool holds, in tx; CodeIPExhausted when there is none.
func allocateIP(ctx context.Context, tx *sql.Tx, accountID, pool string, r ackscale.IPRange) (string, error) {
	first, last, ok := r.Numbers()
	if !ok {
		return "", fmt.Errorf("allocate an IP of %s: no IPv4 range given (%s)", pool, r)
	}
	next, err := nextIP(ctx, tx, accountID, pool)
	if err != nil {
		return "", err
	}
	next = max(next, first)
	for {
		var free sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT min(ip) FROM ip_pool_free WHERE account_id = ? AND pool = ? AND ip BETWEEN ? AND ?`,
			accountID, pool, first, last).Scan(&free); err != nil {
			return "", fmt.Errorf("find a free IP of %s: %w", pool, err)
		}
		var ip int64
		switch {
		case free.Valid && free.Int64 < next:
			ip = free.Int64
			if err := exec(ctx, tx, "take a free IP", `DELETE FROM ip_pool_free WHERE account_id = ? AND pool = ? AND ip = ?`,
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
		return addr, exec(ctx, tx, "advance the IP pool", `INSERT INTO ip_pools (account_id, pool, next_ip) VALUES (?, ?, ?)
			ON CONFLICT (account_id, pool) DO UPDATE SET next_ip = excluded.next_ip`, accountID, pool, next)
	}
}

// nextIP returns the lowest address the account's pool never handed out
// (0 when it has handed out none).
func nextIP(ctx context.Context, tx *sql.Tx, accountID, pool string) (int64, error) {
	var next int64
	err := tx.QueryRowContext(ctx, `SELECT next_ip FROM ip_pools WHERE account_id = ? AND pool = ?`, accountID, pool).Scan(&next)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("read IP pool %s: %w", pool, err)
	}
	return next, nil
}

// claimIP takes an address given to a new instance out of the free ones.
func claimIP(ctx context.Context, tx *sql.Tx, accountID, pool, addr string) error {
	ip, ok := ackscale.ParseIPv4Number(addr)
	if !ok {
		return nil // not in any index
	}
	return exec(ctx, tx, "claim IP "+addr, `DELETE FROM ip_pool_free WHERE account_id = ? AND pool = ? AND ip = ?`, accountID, pool, ip)
}

// freeIP returns a released instance's address to its pool: into
// ip_pool_free when it lies below next_ip (above, the pool will reach it).
func freeIP(ctx context.Context, tx *sql.Tx, accountID, pool, addr string) error {
	ip, ok := ackscale.ParseIPv4Number(addr)
	if !ok {
		return nil
	}
	return exec(ctx, tx, "free IP "+addr, `INSERT INTO ip_pool_free (account_id, pool, ip)
		SELECT account_id, pool, ?3 FROM ip_pools WHERE account_id = ?1 AND pool = ?2 AND next_ip > ?3
		ON CONFLICT DO NOTHING`, accountID, pool, ip)
}

// ipHeld reports whether a live instance holds the address of the
// account's pool (the partial unique index cloud_instances_ip).
func ipHeld(ctx context.Context, tx *sql.Tx, accountID, pool, addr string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM cloud_instances
		WHERE account_id = ? AND ip_pool = ? AND ip = ? AND status <> 'Released'`, accountID, pool, addr).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read IP %s of %s: %w", addr, pool, err)
	}
	return n > 0, nil
}
