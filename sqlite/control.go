package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ackscale/ackscale"
)

// StockSet overrides the capacity of a zone × instance type; a negative
// capacity removes the override.
func (s *Store) StockSet(ctx context.Context, o ackscale.StockOverride) error {
	var err error
	if o.Capacity < 0 {
		_, err = s.db.ExecContext(ctx, `DELETE FROM cloud_stock WHERE zone_id = ? AND instance_type = ?`, o.ZoneID, o.InstanceType)
	} else {
		_, err = s.db.ExecContext(ctx, `INSERT INTO cloud_stock (zone_id, instance_type, capacity) VALUES (?, ?, ?)
			ON CONFLICT (zone_id, instance_type) DO UPDATE SET capacity = excluded.capacity`, o.ZoneID, o.InstanceType, o.Capacity)
	}
	if err != nil {
		return fmt.Errorf("set stock: %w", err)
	}
	return nil
}

// StockList returns the stock overrides.
func (s *Store) StockList(ctx context.Context) ([]ackscale.StockOverride, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT zone_id, instance_type, capacity FROM cloud_stock ORDER BY zone_id, instance_type`)
	if err != nil {
		return nil, fmt.Errorf("list stock: %w", err)
	}
	defer rows.Close()
	out := []ackscale.StockOverride{}
	for rows.Next() {
		var o ackscale.StockOverride
		if err := rows.Scan(&o.ZoneID, &o.InstanceType, &o.Capacity); err != nil {
			return nil, fmt.Errorf("list stock: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// QuotaSet overrides a quota; a negative value removes the override.
func (s *Store) QuotaSet(ctx context.Context, q ackscale.QuotaOverride) error {
	var err error
	if q.Value < 0 {
		_, err = s.db.ExecContext(ctx, `DELETE FROM cloud_quotas WHERE account_id = ? AND name = ?`, q.AccountID, q.Name)
	} else {
		_, err = s.db.ExecContext(ctx, `INSERT INTO cloud_quotas (account_id, name, value) VALUES (?, ?, ?)
			ON CONFLICT (account_id, name) DO UPDATE SET value = excluded.value`, q.AccountID, q.Name, q.Value)
	}
	if err != nil {
		return fmt.Errorf("set quota: %w", err)
	}
	return nil
}

// QuotaList returns the quota overrides.
func (s *Store) QuotaList(ctx context.Context) ([]ackscale.QuotaOverride, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT account_id, name, value FROM cloud_quotas ORDER BY account_id, name`)
	if err != nil {
		return nil, fmt.Errorf("list quotas: %w", err)
	}
	defer rows.Close()
	out := []ackscale.QuotaOverride{}
	for rows.Next() {
		var q ackscale.QuotaOverride
		if err := rows.Scan(&q.AccountID, &q.Name, &q.Value); err != nil {
			return nil, fmt.Errorf("list quotas: %w", err)
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// FaultAdd records a fault.
func (s *Store) FaultAdd(ctx context.Context, f ackscale.Fault) error {
	spec, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode fault: %w", err)
	}
	remaining := f.Count
	if remaining <= 0 {
		remaining = -1
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO cloud_faults (id, spec, remaining, fired, created_at) VALUES (?, ?, ?, 0, ?)`,
		f.ID, string(spec), remaining, ms(f.Created))
	if err != nil {
		return fmt.Errorf("add fault: %w", err)
	}
	return nil
}

// FaultList returns the faults that can still fire, oldest first.
func (s *Store) FaultList(ctx context.Context) ([]ackscale.Fault, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT spec, fired FROM cloud_faults WHERE remaining <> 0 ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list faults: %w", err)
	}
	defer rows.Close()
	out := []ackscale.Fault{}
	for rows.Next() {
		var spec string
		var f ackscale.Fault
		var fired int
		if err := rows.Scan(&spec, &fired); err != nil {
			return nil, fmt.Errorf("list faults: %w", err)
		}
		if err := json.Unmarshal([]byte(spec), &f); err != nil {
			return nil, fmt.Errorf("decode fault: %w", err)
		}
		f.Fired = fired
		out = append(out, f)
	}
	return out, rows.Err()
}

// FaultDelete removes one fault, or every fault when id is "".
func (s *Store) FaultDelete(ctx context.Context, id string) error {
	var err error
	if id == "" {
		_, err = s.db.ExecContext(ctx, `DELETE FROM cloud_faults`)
	} else {
		_, err = s.db.ExecContext(ctx, `DELETE FROM cloud_faults WHERE id = ?`, id)
	}
	if err != nil {
		return fmt.Errorf("delete fault: %w", err)
	}
	return nil
}

// FaultFire counts one firing of a fault; it reports false when the fault
// has no firings left (another call took the last one).
func (s *Store) FaultFire(ctx context.Context, id string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE cloud_faults SET fired = fired + 1,
		remaining = CASE WHEN remaining > 0 THEN remaining - 1 ELSE remaining END WHERE id = ? AND remaining <> 0`, id)
	if err != nil {
		return false, fmt.Errorf("fire fault: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// InstanceUsage counts the account's unreleased instances by region and type.
func (s *Store) InstanceUsage(ctx context.Context, accountID string) ([]ackscale.InstanceUsage, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT region_id, instance_type, count(*) FROM cloud_instances
		WHERE account_id = ? AND status <> ? GROUP BY region_id, instance_type`, accountID, ackscale.InstanceReleased)
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
	return out, rows.Err()
}

// stockCapacity returns the override of a zone × type, if any.
func stockCapacity(ctx context.Context, tx *sql.Tx, zoneID, instanceType string) (int, bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT capacity FROM cloud_stock WHERE zone_id = ? AND instance_type = ?`, zoneID, instanceType).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return n, err == nil, err
}

// Check counts instances, workers and tasks and the ways they can disagree.
func (s *Store) Check(ctx context.Context) (ackscale.Check, error) {
	var c ackscale.Check
	q := []struct {
		dst   *int
		query string
	}{
		{&c.Instances, `SELECT count(*) FROM cloud_instances`},
		{&c.Live, `SELECT count(*) FROM cloud_instances WHERE status <> 'Released'`},
		{&c.Released, `SELECT count(*) FROM cloud_instances WHERE status = 'Released'`},
		{&c.Workers, `SELECT count(*) FROM workers`},
		{&c.Detached, `SELECT count(*) FROM cloud_instances WHERE status <> 'Released' AND detached = 1`},
		{&c.Leaked, `SELECT count(*) FROM cloud_instances i WHERE i.status <> 'Released' AND i.detached = 0
			AND NOT EXISTS (SELECT 1 FROM workers w WHERE w.client_token = i.client_token)`},
		{&c.Lost, `SELECT count(*) FROM workers w WHERE w.instance_id <> ''
			AND NOT EXISTS (SELECT 1 FROM cloud_instances i WHERE i.id = w.instance_id AND i.status <> 'Released')`},
		{&c.Duplicated, `SELECT count(*) FROM (SELECT client_token FROM cloud_instances GROUP BY client_token HAVING count(*) > 1)`},
		{&c.TasksRunning, `SELECT count(*) FROM tasks WHERE state = 'running'`},
		{&c.TasksSucceeded, `SELECT count(*) FROM tasks WHERE state = 'success'`},
		{&c.TasksFailed, `SELECT count(*) FROM tasks WHERE state = 'failed'`},
	}
	for _, x := range q {
		if err := s.db.QueryRowContext(ctx, x.query).Scan(x.dst); err != nil {
			return c, fmt.Errorf("check: %w", err)
		}
	}
	return c, nil
}
