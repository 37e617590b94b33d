package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/ackscale/ackscale"
)

// CloudStore keeps the emulated cloud's state: instances, stock and quota
// overrides, and faults. It decides no policy: whether there is stock is
// the caller's CheckFunc, run inside InstanceCreate's transaction.
type CloudStore struct{ db *DB }

var _ ackscale.CloudStore = (*CloudStore)(nil)

// NewCloudStore returns the cloud store of db.
func NewCloudStore(db *DB) *CloudStore { return &CloudStore{db: db} }

const instanceColumns = `id, client_token, account_id, region_id, zone_id, ip_pool, ip, instance_type, image_id, status, ready_at, created_at, released_at`

// InstanceCreate inserts an instance (status InstancePending when "")
// unless one with its client token exists, which it then returns with
// created false. Otherwise p.CheckFunc (when not nil) sees the stock of the
// instance's zone × type inside the transaction; its error is returned
// as it is and nothing is written. An IP already held by a live instance
// of the same pool, or a taken instance id, is a conflict.
//
// CheckFunc must not call the store: it runs in the store's transaction
// on its one connection.
func (s *CloudStore) InstanceCreate(ctx context.Context, p ackscale.InstanceCreateParams) (out ackscale.Instance, created bool, err error) {
	in := p.Instance
	if in.Status == "" {
		in.Status = ackscale.InstancePending
	}
	in.Created = orNow(in.Created, s.db.now())
	err = s.db.inTx(ctx, func(tx *sql.Tx) error {
		prev, err := scanInstance(tx.QueryRowContext(ctx, `SELECT `+instanceColumns+` FROM cloud_instances WHERE client_token = ?`, in.ClientToken))
		if err == nil {
			out = prev
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if p.CheckFunc != nil {
			usage, err := stockUsage(ctx, tx, in.ZoneID, in.InstanceType)
			if err != nil {
				return err
			}
			if err := p.CheckFunc(usage); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO cloud_instances (`+instanceColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.ID, in.ClientToken, in.AccountID, in.RegionID, in.ZoneID, in.IPPool, in.IP, in.InstanceType, in.ImageID,
			string(in.Status), ms(in.ReadyAt), ms(in.Created), ms(in.Released))
		if isUniqueViolation(err) && ipHeld(ctx, tx, in.IPPool, in.IP) {
			return ackscale.ConflictErrorf("IP %s of %s is taken", in.IP, in.IPPool)
		}
		if err != nil {
			return insertError(err, "instance "+in.ID)
		}
		out, created = in, true
		return nil
	})
	return out, created, err
}

// ipHeld reports whether a live instance holds the IP of the pool.
func ipHeld(ctx context.Context, tx *sql.Tx, pool, ip string) bool {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM cloud_instances WHERE ip_pool = ? AND ip = ? AND status <> ?`,
		pool, ip, string(ackscale.InstanceReleased)).Scan(&n)
	return err == nil && n > 0
}

// stockUsage reads the stock of a zone × type in tx: its override, if any,
// and its live instances.
func stockUsage(ctx context.Context, tx *sql.Tx, zoneID, instanceType string) (ackscale.StockUsage, error) {
	u := ackscale.StockUsage{ZoneID: zoneID, InstanceType: instanceType}
	err := tx.QueryRowContext(ctx, `SELECT capacity FROM cloud_stock WHERE zone_id = ? AND instance_type = ?`,
		zoneID, instanceType).Scan(&u.Override)
	switch {
	case err == nil:
		u.HasOverride = true
	case !errors.Is(err, sql.ErrNoRows):
		return u, fmt.Errorf("read stock: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM cloud_instances WHERE zone_id = ? AND instance_type = ? AND status <> ?`,
		zoneID, instanceType, string(ackscale.InstanceReleased)).Scan(&u.Live); err != nil {
		return u, fmt.Errorf("count stock: %w", err)
	}
	return u, nil
}

// InstanceGet returns an instance by id or client token (both, when both
// are given), released ones included; CodeInstanceNotFound when there is
// none.
func (s *CloudStore) InstanceGet(ctx context.Context, p ackscale.InstanceGetParams) (ackscale.Instance, error) {
	if p.ID == "" && p.ClientToken == "" {
		return ackscale.Instance{}, ackscale.Errorf(ackscale.CodeInstanceNotFound, "no instance id or client token given")
	}
	f := filter{}
	f.eq("id", p.ID)
	f.eq("client_token", p.ClientToken)
	in, err := scanInstance(s.db.db.QueryRowContext(ctx, `SELECT `+instanceColumns+` FROM cloud_instances`+f.sql(), f.args...))
	if errors.Is(err, sql.ErrNoRows) {
		if p.ID == "" {
			return in, ackscale.Errorf(ackscale.CodeInstanceNotFound, "no instance with client token %s", p.ClientToken)
		}
		return in, instanceNotFound(p.ID)
	}
	return in, err
}

func instanceNotFound(id string) error {
	return ackscale.Errorf(ackscale.CodeInstanceNotFound, "instance %s not found", id)
}

// InstanceUpdate changes an instance's status (InstanceReleased frees its
// IP and records when), boot time or detached mark. CodeInstanceNotFound
// when there is none; a *TransitionError when its status may not move to
// p.Status, and then nothing changes.
func (s *CloudStore) InstanceUpdate(ctx context.Context, p ackscale.InstanceUpdateParams) error {
	var set []string
	var args []any
	if p.Status != "" {
		set = append(set, "status = ?")
		args = append(args, string(p.Status))
		if p.Status == ackscale.InstanceReleased { // the first release's time stays
			set = append(set, "released_at = CASE WHEN released_at > 0 THEN released_at ELSE ? END")
			args = append(args, ms(s.db.now()))
		}
	}
	if !p.ReadyAt.IsZero() {
		set = append(set, "ready_at = ?")
		args = append(args, ms(p.ReadyAt))
	}
	if p.Detach {
		set = append(set, "detached = 1")
	}
	if len(set) == 0 { // nothing to change: only say whether it exists
		_, err := s.InstanceGet(ctx, ackscale.InstanceGetParams{ID: p.ID})
		return err
	}
	f := filter{}
	f.add("id = ?", p.ID)
	if p.Status != "" {
		cond, sargs := in("status", p.Status.Before())
		f.add(cond, sargs...)
	}
	return s.db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE cloud_instances SET `+strings.Join(set, ", ")+f.sql(), append(args, f.args...)...)
		if err != nil {
			return fmt.Errorf("update instance %s: %w", p.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("update instance %s: %w", p.ID, err)
		} else if n == 0 {
			return instanceRows.unchanged(ctx, tx, p.ID, string(p.Status), instanceNotFound(p.ID))
		}
		return nil
	})
}

// InstanceList returns instances, oldest first: an account's (AccountID
// "": every account's), live ones only when LiveOnly.
func (s *CloudStore) InstanceList(ctx context.Context, p ackscale.InstanceListParams) ([]ackscale.Instance, error) {
	f := filter{}
	f.eq("account_id", p.AccountID)
	if p.LiveOnly {
		f.add("status <> ?", string(ackscale.InstanceReleased))
	}
	rows, err := s.db.db.QueryContext(ctx, `SELECT `+instanceColumns+` FROM cloud_instances`+f.sql()+` ORDER BY created_at, id`, f.args...)
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	defer rows.Close()
	var out []ackscale.Instance
	for rows.Next() {
		in, err := scanInstance(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	return out, nil
}

// InstanceUsedIPs returns the IPs of a pool held by live instances.
func (s *CloudStore) InstanceUsedIPs(ctx context.Context, pool string) (map[string]bool, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT ip FROM cloud_instances WHERE ip_pool = ? AND status <> ?`,
		pool, string(ackscale.InstanceReleased))
	if err != nil {
		return nil, fmt.Errorf("used ips: %w", err)
	}
	defer rows.Close()
	used := map[string]bool{}
	for rows.Next() {
		var ip string
		if err := rows.Scan(&ip); err != nil {
			return nil, fmt.Errorf("used ips: %w", err)
		}
		used[ip] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("used ips: %w", err)
	}
	return used, nil
}

// InstanceUsage counts an account's live instances by region and type.
func (s *CloudStore) InstanceUsage(ctx context.Context, accountID string) ([]ackscale.InstanceUsage, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT region_id, instance_type, count(*) FROM cloud_instances
		WHERE account_id = ? AND status <> ? GROUP BY region_id, instance_type ORDER BY region_id, instance_type`,
		accountID, string(ackscale.InstanceReleased))
	if err != nil {
		return nil, fmt.Errorf("instance usage: %w", err)
	}
	defer rows.Close()
	var out []ackscale.InstanceUsage
	for rows.Next() {
		var u ackscale.InstanceUsage
		if err := rows.Scan(&u.RegionID, &u.InstanceType, &u.Count); err != nil {
			return nil, fmt.Errorf("instance usage: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("instance usage: %w", err)
	}
	return out, nil
}

func scanInstance(r scanner) (ackscale.Instance, error) {
	var in ackscale.Instance
	var status string
	var ready, created, released int64
	err := r.Scan(&in.ID, &in.ClientToken, &in.AccountID, &in.RegionID, &in.ZoneID, &in.IPPool, &in.IP, &in.InstanceType,
		&in.ImageID, &status, &ready, &created, &released)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return in, err
		}
		return in, fmt.Errorf("scan instance: %w", err)
	}
	in.Status = ackscale.InstanceStatus(status)
	in.ReadyAt, in.Created, in.Released = fromMS(ready), fromMS(created), fromMS(released)
	return in, nil
}
