package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

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
// Concurrent creates: the transaction first locks the zone × type's
// stock_usage row (lockStock), so that creates there decide one after
// the other, each counting the instances of those before it; an
// allocation locks its pool's row (ip.go). Two creates with one client
// token settle on its unique key: the second's INSERT waits, does
// nothing, and the second returns the first's instance, its own writes
// (an allocated address) rolled back. Two with one given IP settle on the
// partial unique index (a conflict, retryable). The CheckFunc must not
// call the store: it runs while the transaction holds the lock.
func (s *CloudStore) InstanceCreate(ctx context.Context, p ackscale.InstanceCreateParams) (out ackscale.Instance, created bool, err error) {
	in := p.Instance
	if in.Status == "" {
		in.Status = ackscale.InstancePending
	}
	in.Created = orNow(in.Created, s.db.now())
	scope := ackscale.QuotaScopeOf(in.Kind, in.RegionID)
	err = s.db.inTx(ctx, func(tx pgx.Tx) error {
		out, created = ackscale.Instance{}, false
		usage, err := lockStock(ctx, tx, in.ZoneID, in.InstanceType) // before looking for the token: a create that held the lock may have made it
		if err != nil {
			return err
		}
		prev, found, err := instanceByToken(ctx, tx, in.ClientToken)
		if err != nil || found {
			out = prev
			return err
		}
		if p.CheckFunc != nil {
			if err := p.CheckFunc(usage); err != nil {
				return err
			}
		}
		ip := in.IP
		if ip == "" {
			if ip, err = allocateIP(ctx, tx, in.AccountID, in.IPPool, p.IPs); err != nil {
				return err
			}
		} else if err := claimIP(ctx, tx, in.AccountID, in.IPPool, ip); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO cloud_instances (`+instanceColumns+`, quota_scope)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT (client_token) DO NOTHING`,
			in.ID, in.ClientToken, in.AccountID, in.RegionID, in.ZoneID, in.IPPool, ip, in.InstanceType, string(in.Kind), in.VCPUs,
			in.ImageID, string(in.Status), ms(in.ReadyAt), ms(in.Created), ms(in.Released), scope)
		if constraint, _ := uniqueViolation(err); constraint == "cloud_instances_ip" {
			return ackscale.ConflictErrorf("IP %s of %s is taken", ip, in.IPPool)
		}
		if err != nil {
			return insertError(err, "instance "+in.ID)
		}
		if tag.RowsAffected() == 0 {
			return errCreatedMeanwhile
		}
		if err := countInstance(ctx, tx, in, scope, p.Reservation); err != nil {
			return err
		}
		if in.Status != ackscale.InstanceReleased {
			if err := exec(ctx, tx, "count stock", `UPDATE stock_usage SET live = live + 1 WHERE zone_id = $1 AND instance_type = $2`,
				in.ZoneID, in.InstanceType); err != nil {
				return err
			}
		}
		in.IP = ip
		out, created = in, true
		return nil
	})
	if errors.Is(err, errCreatedMeanwhile) { // another transaction created it: what this one wrote is rolled back
		out, err = s.InstanceGet(ctx, ackscale.InstanceGetParams{ClientToken: in.ClientToken})
		return out, false, err
	}
	return out, created, err
}

// errCreatedMeanwhile rolls back an InstanceCreate whose client token
// another transaction used meanwhile.
var errCreatedMeanwhile = errors.New("an instance with this client token was created meanwhile")

// instanceByToken returns the instance created with a client token, if
// there is one.
func instanceByToken(ctx context.Context, tx pgx.Tx, token string) (ackscale.Instance, bool, error) {
	in, err := scanInstance(tx.QueryRow(ctx, `SELECT `+instanceColumns+` FROM cloud_instances WHERE client_token = $1`, token))
	if errors.Is(err, pgx.ErrNoRows) {
		return in, false, nil
	}
	return in, err == nil, err
}

// lockStock locks the stock_usage row of a zone × type until tx ends,
// making it (at zero) if it has none, and returns the stock: its
// override, if any, and its live instances. The stock decision counts the
// instances being created, which no other row covers: the row lock
// serializes exactly the creates that compete for the zone × type.
func lockStock(ctx context.Context, tx pgx.Tx, zoneID, instanceType string) (ackscale.StockUsage, error) {
	u := ackscale.StockUsage{ZoneID: zoneID, InstanceType: instanceType}
	if _, err := tx.Exec(ctx, `INSERT INTO stock_usage (zone_id, instance_type) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		zoneID, instanceType); err != nil {
		return u, fmt.Errorf("lock stock of %s %s: %w", zoneID, instanceType, err)
	}
	var override *int
	err := tx.QueryRow(ctx, `SELECT s.live, c.capacity FROM stock_usage s
		LEFT JOIN cloud_stock c ON c.zone_id = s.zone_id AND c.instance_type = s.instance_type
		WHERE s.zone_id = $1 AND s.instance_type = $2 FOR UPDATE OF s`, zoneID, instanceType).Scan(&u.Live, &override)
	if err != nil {
		return u, fmt.Errorf("lock stock of %s %s: %w", zoneID, instanceType, err)
	}
	if override != nil {
		u.Override, u.HasOverride = *override, true
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
	notFound := func() error {
		if p.ID == "" {
			return ackscale.Errorf(ackscale.CodeInstanceNotFound, "no instance with client token %s", p.ClientToken)
		}
		return instanceNotFound(p.ID)
	}
	return queryOne(ctx, s.db.pool, scanInstance, notFound, `SELECT `+instanceColumns+` FROM cloud_instances`+f.sql(), f.args...)
}

func instanceNotFound(id string) error {
	return ackscale.Errorf(ackscale.CodeInstanceNotFound, "instance %s not found", id)
}

// InstanceUpdate changes an instance's status (InstanceReleased frees its
// IP, records when and takes it out of its account's quota usage: once,
// the first time), boot time or detached mark. CodeInstanceNotFound
// when there is none; a *TransitionError when its status may not move to
// p.Status, and then nothing changes. The row is read FOR UPDATE first,
// so that of two replicas releasing one instance only the first takes it
// out of the usage.
func (s *CloudStore) InstanceUpdate(ctx context.Context, p ackscale.InstanceUpdateParams) error {
	f := filter{}
	var set []string
	if p.Status != "" {
		set = append(set, "status = "+f.arg(string(p.Status)))
		if p.Status == ackscale.InstanceReleased { // the first release's time stays
			set = append(set, "released_at = CASE WHEN released_at > 0 THEN released_at ELSE "+f.arg(ms(s.db.now()))+" END")
		}
	}
	if !p.ReadyAt.IsZero() {
		set = append(set, "ready_at = "+f.arg(ms(p.ReadyAt)))
	}
	if p.Detach {
		set = append(set, "detached = true")
	}
	if len(set) == 0 { // nothing to change: only say whether it exists
		_, err := s.InstanceGet(ctx, ackscale.InstanceGetParams{ID: p.ID})
		return err
	}
	f.add("id = " + f.arg(p.ID))
	return s.db.inTx(ctx, func(tx pgx.Tx) error {
		var status string
		live := liveInstance{id: p.ID}
		err := tx.QueryRow(ctx, `SELECT status, account_id, quota_scope, vcpus, zone_id, instance_type, ip_pool, ip
			FROM cloud_instances WHERE id = $1 FOR UPDATE`, p.ID).
			Scan(&status, &live.accountID, &live.scope, &live.vcpus, &live.zoneID, &live.instanceType, &live.pool, &live.ip)
		if errors.Is(err, pgx.ErrNoRows) {
			return instanceNotFound(p.ID)
		}
		if err != nil {
			return fmt.Errorf("read instance %s: %w", p.ID, err)
		}
		from := ackscale.InstanceStatus(status)
		if p.Status != "" && !from.CanMoveTo(p.Status) {
			return &ackscale.TransitionError{What: "instance", ID: p.ID, From: status, To: string(p.Status)}
		}
		if p.Status == ackscale.InstanceReleased && from != ackscale.InstanceReleased {
			if err := releaseInstance(ctx, tx, live); err != nil {
				return err
			}
		}
		return exec(ctx, tx, "update instance "+p.ID, `UPDATE cloud_instances SET `+strings.Join(set, ", ")+f.sql(), f.args...)
	})
}

// liveInstance is what a release takes out of the counters and the IP
// index.
type liveInstance struct {
	id, accountID, scope, zoneID, instanceType, pool, ip string
	vcpus                                                int
}

// releaseInstance takes a live instance being released, whose row tx
// holds, out of its zone × type's stock in use, returns its IP to its
// pool and takes it out of its account's usage.
func releaseInstance(ctx context.Context, tx pgx.Tx, in liveInstance) error {
	if err := exec(ctx, tx, "uncount stock", `UPDATE stock_usage SET live = live - 1 WHERE zone_id = $1 AND instance_type = $2`,
		in.zoneID, in.instanceType); err != nil {
		return err
	}
	if err := freeIP(ctx, tx, in.accountID, in.pool, in.ip); err != nil {
		return err
	}
	return uncountInstance(ctx, tx, in.accountID, in.scope, in.vcpus)
}

// InstanceList returns instances, oldest first: an account's (AccountID
// "": every account's), live ones only when LiveOnly.
func (s *CloudStore) InstanceList(ctx context.Context, p ackscale.InstanceListParams) ([]ackscale.Instance, error) {
	f := filter{}
	f.eq("account_id", p.AccountID)
	if p.LiveOnly {
		f.add("status <> " + f.arg(string(ackscale.InstanceReleased)))
	}
	return queryAll(ctx, s.db.pool, "list instances", scanInstance,
		`SELECT `+instanceColumns+` FROM cloud_instances`+f.sql()+` ORDER BY created_at, id`, f.args...)
}

// InstanceUsedIPs returns the IPs of an account's pool held by live
// instances.
func (s *CloudStore) InstanceUsedIPs(ctx context.Context, p ackscale.InstanceUsedIPsParams) (map[string]bool, error) {
	scan := scanFields("used ips", func(ip *string) []any { return []any{ip} })
	ips, err := queryAll(ctx, s.db.pool, "used ips", scan, `SELECT ip FROM cloud_instances WHERE account_id = $1 AND ip_pool = $2 AND status <> $3`,
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
		if errors.Is(err, pgx.ErrNoRows) {
			return in, err
		}
		return in, fmt.Errorf("scan instance: %w", err)
	}
	in.Kind, in.Status = ackscale.InstanceKind(kind), ackscale.InstanceStatus(status)
	in.ReadyAt, in.Created, in.Released = fromMS(ready), fromMS(created), fromMS(released)
	return in, nil
}
