package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ackscale/ackscale"
)

// StockSet overrides the capacity of a zone × instance type; a negative
// capacity removes the override.
func (s *CloudStore) StockSet(ctx context.Context, o ackscale.StockOverride) error {
	var err error
	if o.Capacity < 0 {
		_, err = s.db.db.ExecContext(ctx, `DELETE FROM cloud_stock WHERE zone_id = ? AND instance_type = ?`, o.ZoneID, o.InstanceType)
	} else {
		_, err = s.db.db.ExecContext(ctx, `INSERT INTO cloud_stock (zone_id, instance_type, capacity) VALUES (?, ?, ?)
			ON CONFLICT (zone_id, instance_type) DO UPDATE SET capacity = excluded.capacity`, o.ZoneID, o.InstanceType, o.Capacity)
	}
	if err != nil {
		return fmt.Errorf("set stock: %w", err)
	}
	return nil
}

// StockList returns the stock overrides, by zone and type.
func (s *CloudStore) StockList(ctx context.Context) ([]ackscale.StockOverride, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT zone_id, instance_type, capacity FROM cloud_stock ORDER BY zone_id, instance_type`)
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
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list stock: %w", err)
	}
	return out, nil
}

// QuotaSet overrides a quota; a negative value removes the override.
func (s *CloudStore) QuotaSet(ctx context.Context, q ackscale.QuotaOverride) error {
	var err error
	if q.Value < 0 {
		_, err = s.db.db.ExecContext(ctx, `DELETE FROM cloud_quotas WHERE account_id = ? AND name = ?`, q.AccountID, q.Name)
	} else {
		_, err = s.db.db.ExecContext(ctx, `INSERT INTO cloud_quotas (account_id, name, value) VALUES (?, ?, ?)
			ON CONFLICT (account_id, name) DO UPDATE SET value = excluded.value`, q.AccountID, q.Name, q.Value)
	}
	if err != nil {
		return fmt.Errorf("set quota: %w", err)
	}
	return nil
}

// QuotaList returns the quota overrides, by account and name.
func (s *CloudStore) QuotaList(ctx context.Context) ([]ackscale.QuotaOverride, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT account_id, name, value FROM cloud_quotas ORDER BY account_id, name`)
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
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list quotas: %w", err)
	}
	return out, nil
}

// FaultAdd records a fault; a taken fault id is a conflict.
func (s *CloudStore) FaultAdd(ctx context.Context, f ackscale.Fault) error {
	f.Created = orNow(f.Created, s.db.now())
	spec, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode fault: %w", err)
	}
	remaining := f.Count
	if remaining <= 0 {
		remaining = -1 // without end
	}
	_, err = s.db.db.ExecContext(ctx, `INSERT INTO cloud_faults (id, spec, remaining, fired, created_at) VALUES (?, ?, ?, 0, ?)`,
		f.ID, string(spec), remaining, ms(f.Created))
	return insertError(err, "fault "+f.ID)
}

// FaultList returns the faults that can still fire, oldest first.
func (s *CloudStore) FaultList(ctx context.Context) ([]ackscale.Fault, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT spec, fired FROM cloud_faults WHERE remaining <> 0 ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list faults: %w", err)
	}
	defer rows.Close()
	out := []ackscale.Fault{}
	for rows.Next() {
		var spec string
		var f ackscale.Fault
		if err := rows.Scan(&spec, &f.Fired); err != nil {
			return nil, fmt.Errorf("list faults: %w", err)
		}
		fired := f.Fired
		if err := json.Unmarshal([]byte(spec), &f); err != nil {
			return nil, fmt.Errorf("decode fault: %w", err)
		}
		f.Fired = fired
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list faults: %w", err)
	}
	return out, nil
}

// FaultDelete removes one fault, or every fault when id is ""; deleting
// one that is gone is not an error.
func (s *CloudStore) FaultDelete(ctx context.Context, id string) error {
	var err error
	if id == "" {
		_, err = s.db.db.ExecContext(ctx, `DELETE FROM cloud_faults`)
	} else {
		_, err = s.db.db.ExecContext(ctx, `DELETE FROM cloud_faults WHERE id = ?`, id)
	}
	if err != nil {
		return fmt.Errorf("delete fault: %w", err)
	}
	return nil
}

// FaultFire counts one firing of a fault; false when the fault has none
// left (another call took the last one) or is gone.
func (s *CloudStore) FaultFire(ctx context.Context, id string) (bool, error) {
	res, err := s.db.db.ExecContext(ctx, `UPDATE cloud_faults SET fired = fired + 1,
		remaining = CASE WHEN remaining > 0 THEN remaining - 1 ELSE remaining END WHERE id = ? AND remaining <> 0`, id)
	if err != nil {
		return false, fmt.Errorf("fire fault: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("fire fault: %w", err)
	}
	return n == 1, nil
}
