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

const instanceColumns = `id, client_token, account_id, region_id, zone_id, ip_pool, ip, instance_type, kind, vcpus, image_id, status,
	ready_at, created_at, released_at`

// InstanceCreate inserts an instance (status InstancePending when "")
// unless one with its client token exists, which it then returns with
// created false. Otherwise p.CheckFunc (when not nil) sees the stock of the
// instance's zone × type inside the transaction; its error is returned
// as it is and nothing is written. An instance without an IP gets the
// lowest free address of p.IPs (allocateIP; CodeIPExhausted when there is
// none); a given IP already held by a live instance of the same account
// and pool, or a taken instance id, is a conflict. In the same
// transaction the account's usage of the instance's quota scope and the
// stock in use of its zone × type grow by it, and the reservation of task
// p.Reservation, if it has any instance left, shrinks by one.
//
// CheckFunc must not call the store: it runs in the store's transaction
// on its one writer.
func (s *CloudStore) InstanceCreate(ctx context.Context, p ackscale.InstanceCreateParams) (out ackscale.Instance, created bool, err error) {
	in := p.Instance
	if in.Status == "" {
		in.Status = ackscale.InstancePending
	}
	in.Created = orNow(in.Created, s.db.now())
	err = s.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out, created = ackscale.Instance{}, false
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
		in := in // this run's: a batch that fails is run again
		if in.IP == "" {
			if in.IP, err = allocateIP(ctx, tx, in.AccountID, in.IPPool, p.IPs); err != nil {
				return err
			}
		} else if err := claimIP(ctx, tx, in.AccountID, in.IPPool, in.IP); err != nil {
			return err
		}
		scope := ackscale.QuotaScopeOf(in.Kind, in.RegionID)
		_, err = tx.ExecContext(ctx, `INSERT INTO cloud_instances (`+instanceColumns+`, quota_scope)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.ID, in.ClientToken, in.AccountID, in.RegionID, in.ZoneID, in.IPPool, in.IP, in.InstanceType, string(in.Kind), in.VCPUs,
			in.ImageID, string(in.Status), ms(in.ReadyAt), ms(in.Created), ms(in.Released), scope)
		if isUniqueViolation(err) {
			if held, _ := ipHeld(ctx, tx, in.AccountID, in.IPPool, in.IP); held {
				return ackscale.ConflictErrorf("IP %s of %s is taken", in.IP, in.IPPool)
			}
		}
		if err != nil {
			return insertError(err, "instance "+in.ID)
		}
		if err := countInstance(ctx, tx, in, scope, p.Reservation); err != nil {
			return err
		}
		if in.Status != ackscale.InstanceReleased {
			if err := addStock(ctx, tx, in.ZoneID, in.InstanceType, 1); err != nil {
				return err
			}
		}
		out, created = in, true
		return nil
	})
	return out, created, err
}

// stockUsage reads the stock of a zone × type in tx: its override, if any,
// and its live instances (stock_usage).
func stockUsage(ctx context.Context, tx *sql.Tx, zoneID, instanceType string) (ackscale.StockUsage, error) {
	u := ackscale.StockUsage{ZoneID: zoneID, InstanceType: instanceType}
	var override sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT (SELECT capacity FROM cloud_stock WHERE zone_id = ?1 AND instance_type = ?2),
		coalesce((SELECT live FROM stock_usage WHERE zone_id = ?1 AND instance_type = ?2), 0)`,
		zoneID, instanceType).Scan(&override, &u.Live)
	if err != nil {
		return u, fmt.Errorf("read stock: %w", err)
	}
	u.Override, u.HasOverride = int(override.Int64), override.Valid
	return u, nil
}

// addStock adds n live instances to the stock in use of a zone × type.
func addStock(ctx context.Context, tx *sql.Tx, zoneID, instanceType string, n int) error {
	return exec(ctx, tx, "count stock", `INSERT INTO stock_usage (zone_id, instance_type, live) VALUES (?, ?, ?)
		ON CONFLICT (zone_id, instance_type) DO UPDATE SET live = live + excluded.live`, zoneID, instanceType, n)
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
	notFound := func() error {
		if p.ID == "" {
			return ackscale.Errorf(ackscale.CodeInstanceNotFound, "no instance with client token %s", p.ClientToken)
		}
		return instanceNotFound(p.ID)
	}
	return queryOne(ctx, s.db.read, scanInstance, notFound, `SELECT `+instanceColumns+` FROM cloud_instances`+f.sql(), f.args...)
}

func instanceNotFound(id string) error {
	return ackscale.Errorf(ackscale.CodeInstanceNotFound, "instance %s not found", id)
}

// InstanceUpdate changes an instance's status (InstanceReleased frees its
// IP, records when and takes it out of its account's quota usage: once,
// the first time), boot time or detached mark. CodeInstanceNotFound
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
	return s.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if p.Status == ackscale.InstanceReleased { // before the update: while it is still live
			if err := uncountInstance(ctx, tx, p.ID); err != nil {
				return err
			}
		}
		unchanged := func() error { return instanceRows.unchanged(ctx, tx, p.ID, string(p.Status), instanceNotFound(p.ID)) }
		return updateOne(ctx, tx, "update instance "+p.ID, unchanged,
			`UPDATE cloud_instances SET `+strings.Join(set, ", ")+f.sql(), append(args, f.args...)...)
	})
}

// uncountInstance takes an instance being released out of its account's
// usage, out of its zone × type's stock in use, and returns its IP to its
// pool, if it is live: called before the update that releases it, it does
// so once.
func uncountInstance(ctx context.Context, tx *sql.Tx, id string) error {
	var in ackscale.Instance
	var scope string
	err := tx.QueryRowContext(ctx, `SELECT account_id, quota_scope, vcpus, zone_id, instance_type, ip_pool, ip FROM cloud_instances
		WHERE id = ? AND status <> 'Released'`, id).Scan(&in.AccountID, &scope, &in.VCPUs, &in.ZoneID, &in.InstanceType, &in.IPPool, &in.IP)
	if errors.Is(err, sql.ErrNoRows) { // released, or none: the update says which
		return nil
	}
	if err != nil {
		return fmt.Errorf("read instance %s: %w", id, err)
	}
	if err := addUsage(ctx, tx, usageKey{in.AccountID, scope}, usageDelta{instances: -1, vcpus: -in.VCPUs}); err != nil {
		return err
	}
	if err := addStock(ctx, tx, in.ZoneID, in.InstanceType, -1); err != nil {
		return err
	}
	return freeIP(ctx, tx, in.AccountID, in.IPPool, in.IP)
}

// InstanceList returns instances, oldest first: an account's (AccountID
// "": every account's), live ones only when LiveOnly.
func (s *CloudStore) InstanceList(ctx context.Context, p ackscale.InstanceListParams) ([]ackscale.Instance, error) {
	f := filter{}
	f.eq("account_id", p.AccountID)
	if p.LiveOnly {
		f.add("status <> ?", string(ackscale.InstanceReleased))
	}
	return queryAll(ctx, s.db.read, "list instances", scanInstance,
		`SELECT `+instanceColumns+` FROM cloud_instances`+f.sql()+` ORDER BY created_at, id`, f.args...)
}

// InstanceUsedIPs returns the IPs of an account's pool held by live
// instances.
func (s *CloudStore) InstanceUsedIPs(ctx context.Context, p ackscale.InstanceUsedIPsParams) (map[string]bool, error) {
	scan := scanFields("used ips", func(ip *string) []any { return []any{ip} })
	ips, err := queryAll(ctx, s.db.read, "used ips", scan, `SELECT ip FROM cloud_instances WHERE account_id = ? AND ip_pool = ? AND status <> ?`,
		p.AccountID, p.Pool, string(ackscale.InstanceReleased))
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	for _, ip := range ips {
		used[ip] = true
	}
	return used, nil
}

func scanInstance(r scanner) (ackscale.Instance, error) {
	var in ackscale.Instance
	var kind, status string
	var ready, created, released int64
	err := r.Scan(&in.ID, &in.ClientToken, &in.AccountID, &in.RegionID, &in.ZoneID, &in.IPPool, &in.IP, &in.InstanceType,
		&kind, &in.VCPUs, &in.ImageID, &status, &ready, &created, &released)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return in, err
		}
		return in, fmt.Errorf("scan instance: %w", err)
	}
	in.Kind, in.Status = ackscale.InstanceKind(kind), ackscale.InstanceStatus(status)
	in.ReadyAt, in.Created, in.Released = fromMS(ready), fromMS(created), fromMS(released)
	return in, nil
}
