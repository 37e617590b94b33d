package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ackscale/ackscale"
)

const instanceColumns = `id, client_token, account_id, region_id, zone_id, ip_pool, ip, instance_type, image_id, status, ready_at, created_at, released_at`

// InstanceCreate records a new instance of the emulated cloud. The call is
// idempotent by client token: when an instance with in.ClientToken exists,
// it is returned unchanged and created is false. capacity is the catalog's
// stock of the zone × type (negative: unlimited); an override set at run
// time wins, and a zone × type at capacity gets OperationDenied.NoStock. An
// IP already taken in the pool is a conflict the caller retries.
func (s *Store) InstanceCreate(ctx context.Context, in ackscale.Instance, capacity int) (out ackscale.Instance, created bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		prev, err := scanInstance(tx.QueryRowContext(ctx, `SELECT `+instanceColumns+` FROM cloud_instances WHERE client_token = ?`, in.ClientToken))
		if err == nil {
			out = prev
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := checkStock(ctx, tx, in, capacity); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO cloud_instances (`+instanceColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.ID, in.ClientToken, in.AccountID, in.RegionID, in.ZoneID, in.IPPool, in.IP, in.InstanceType, in.ImageID,
			in.Status, ms(in.ReadyAt), ms(in.Created), ms(in.Released))
		if err != nil {
			return fmt.Errorf("insert instance: %w", err)
		}
		out, created = in, true
		return nil
	})
	return out, created, err
}

// InstanceGet returns an instance by id (released ones included).
func (s *Store) InstanceGet(ctx context.Context, id string) (ackscale.Instance, error) {
	in, err := scanInstance(s.db.QueryRowContext(ctx, `SELECT `+instanceColumns+` FROM cloud_instances WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return in, ackscale.Errorf(ackscale.CodeInstanceNotFound, "instance %s not found", id)
	}
	return in, err
}

// InstanceByToken returns the instance a client token created.
func (s *Store) InstanceByToken(ctx context.Context, clientToken string) (ackscale.Instance, error) {
	in, err := scanInstance(s.db.QueryRowContext(ctx, `SELECT `+instanceColumns+` FROM cloud_instances WHERE client_token = ?`, clientToken))
	if errors.Is(err, sql.ErrNoRows) {
		return in, ackscale.Errorf(ackscale.CodeInstanceNotFound, "no instance with client token %s", clientToken)
	}
	return in, err
}

// InstanceSetStatus changes an instance's status; Released frees its IP.
func (s *Store) InstanceSetStatus(ctx context.Context, id, status string) error {
	released := int64(0)
	if status == ackscale.InstanceReleased {
		released = ms(s.now())
	}
	_, err := s.db.ExecContext(ctx, `UPDATE cloud_instances SET status = ?, released_at = ? WHERE id = ?`, status, released, id)
	if err != nil {
		return fmt.Errorf("set instance status: %w", err)
	}
	return nil
}

// InstanceDetach marks an instance as removed from its cluster but kept.
func (s *Store) InstanceDetach(ctx context.Context, clientToken string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE cloud_instances SET detached = 1 WHERE client_token = ?`, clientToken); err != nil {
		return fmt.Errorf("detach instance: %w", err)
	}
	return nil
}

// InstanceSetReadyAt moves an instance's boot time (start faults).
func (s *Store) InstanceSetReadyAt(ctx context.Context, id string, readyAt time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE cloud_instances SET ready_at = ? WHERE id = ?`, ms(readyAt), id); err != nil {
		return fmt.Errorf("set ready time: %w", err)
	}
	return nil
}

// InstanceUsedIPs returns the IPs taken in a pool by instances not released.
func (s *Store) InstanceUsedIPs(ctx context.Context, pool string) (map[string]bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT ip FROM cloud_instances WHERE ip_pool = ? AND status <> ?`, pool, ackscale.InstanceReleased)
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
	return used, rows.Err()
}

// InstanceList returns every instance of the cloud (for invariant checks).
func (s *Store) InstanceList(ctx context.Context) ([]ackscale.Instance, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+instanceColumns+` FROM cloud_instances ORDER BY created_at, id`)
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
	return out, rows.Err()
}

func scanInstance(r scanner) (ackscale.Instance, error) {
	var in ackscale.Instance
	var ready, created, released int64
	err := r.Scan(&in.ID, &in.ClientToken, &in.AccountID, &in.RegionID, &in.ZoneID, &in.IPPool, &in.IP, &in.InstanceType,
		&in.ImageID, &in.Status, &ready, &created, &released)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return in, err
		}
		return in, fmt.Errorf("scan instance: %w", err)
	}
	in.ReadyAt, in.Created, in.Released = fromMS(ready), fromMS(created), fromMS(released)
	return in, nil
}

func checkStock(ctx context.Context, tx *sql.Tx, in ackscale.Instance, capacity int) error {
	if override, ok, err := stockCapacity(ctx, tx, in.ZoneID, in.InstanceType); err != nil {
		return fmt.Errorf("read stock: %w", err)
	} else if ok {
		capacity = override
	}
	if capacity < 0 {
		return nil
	}
	var live int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM cloud_instances WHERE zone_id = ? AND instance_type = ? AND status <> ?`,
		in.ZoneID, in.InstanceType, ackscale.InstanceReleased).Scan(&live); err != nil {
		return fmt.Errorf("count stock: %w", err)
	}
	if live >= capacity {
		return ackscale.Errorf(ackscale.CodeNoStock, "the requested resource %s is sold out in zone %s (stock %d)",
			in.InstanceType, in.ZoneID, capacity)
	}
	return nil
}
