package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/ackscale/ackscale"
)

// StockSet overrides the capacity of a zone × instance type; a negative
// capacity removes the override.
func (s *CloudStore) StockSet(ctx context.Context, o ackscale.StockOverride) error {
	defer s.db.stock.bump()
	if o.Capacity < 0 {
		return exec(ctx, s.db.db, "set stock", `DELETE FROM cloud_stock WHERE zone_id = ? AND instance_type = ?`, o.ZoneID, o.InstanceType)
	}
	return exec(ctx, s.db.db, "set stock", `INSERT INTO cloud_stock (zone_id, instance_type, capacity) VALUES (?, ?, ?)
		ON CONFLICT (zone_id, instance_type) DO UPDATE SET capacity = excluded.capacity`, o.ZoneID, o.InstanceType, o.Capacity)
}

// StockList returns the stock overrides, by zone and type.
func (s *CloudStore) StockList(ctx context.Context) ([]ackscale.StockOverride, error) {
	return s.db.stock.read(ctx, func(ctx context.Context) ([]ackscale.StockOverride, error) {
		scan := scanFields("list stock", func(o *ackscale.StockOverride) []any { return []any{&o.ZoneID, &o.InstanceType, &o.Capacity} })
		return orEmpty(queryAll(ctx, s.db.read, "list stock", scan,
			`SELECT zone_id, instance_type, capacity FROM cloud_stock ORDER BY zone_id, instance_type`))
	})
}

// QuotaSet overrides a quota; a negative value removes the override.
func (s *CloudStore) QuotaSet(ctx context.Context, q ackscale.QuotaOverride) error {
	defer s.db.quotas.bump()
	if q.Value < 0 {
		return exec(ctx, s.db.db, "set quota", `DELETE FROM cloud_quotas WHERE account_id = ? AND name = ?`, q.AccountID, q.Name)
	}
	return exec(ctx, s.db.db, "set quota", `INSERT INTO cloud_quotas (account_id, name, value) VALUES (?, ?, ?)
		ON CONFLICT (account_id, name) DO UPDATE SET value = excluded.value`, q.AccountID, q.Name, q.Value)
}

// QuotaList returns the quota overrides, by account and name.
func (s *CloudStore) QuotaList(ctx context.Context) ([]ackscale.QuotaOverride, error) {
	return s.db.quotas.read(ctx, func(ctx context.Context) ([]ackscale.QuotaOverride, error) {
		scan := scanFields("list quotas", func(q *ackscale.QuotaOverride) []any { return []any{&q.AccountID, &q.Name, &q.Value} })
		return orEmpty(queryAll(ctx, s.db.read, "list quotas", scan,
			`SELECT account_id, name, value FROM cloud_quotas ORDER BY account_id, name`))
	})
}

// FaultAdd records a fault; a taken fault id is a conflict.
func (s *CloudStore) FaultAdd(ctx context.Context, f ackscale.Fault) error {
	defer s.db.faults.bump()
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
	return s.db.faults.read(ctx, func(ctx context.Context) ([]ackscale.Fault, error) {
		return orEmpty(queryAll(ctx, s.db.read, "list faults", scanFault,
			`SELECT spec, fired FROM cloud_faults WHERE remaining <> 0 ORDER BY created_at, id`))
	})
}

// scanFault reads a fault of FaultList: its spec, and how often it fired.
func scanFault(r scanner) (ackscale.Fault, error) {
	var spec string
	var f ackscale.Fault
	if err := r.Scan(&spec, &f.Fired); err != nil {
		return f, fmt.Errorf("list faults: %w", err)
	}
	fired := f.Fired
	if err := json.Unmarshal([]byte(spec), &f); err != nil {
		return f, fmt.Errorf("decode fault: %w", err)
	}
	f.Fired = fired
	return f, nil
}

// FaultDelete removes one fault, or every fault when id is ""; deleting
// one that is gone is not an error.
func (s *CloudStore) FaultDelete(ctx context.Context, id string) error {
	defer s.db.faults.bump()
	if id == "" {
		return exec(ctx, s.db.db, "delete fault", `DELETE FROM cloud_faults`)
	}
	return exec(ctx, s.db.db, "delete fault", `DELETE FROM cloud_faults WHERE id = ?`, id)
}

// FaultFire counts one firing of a fault; false when the fault has none
// left (another call took the last one) or is gone.
func (s *CloudStore) FaultFire(ctx context.Context, id string) (bool, error) {
	defer s.db.faults.bump()
	var n int64
	err := s.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) (err error) { // committed with the others waiting
		n, err = changed(ctx, tx, "fire fault", `UPDATE cloud_faults SET fired = fired + 1,
			remaining = CASE WHEN remaining > 0 THEN remaining - 1 ELSE remaining END WHERE id = ? AND remaining <> 0`, id)
		return err
	})
	return n == 1, err
}
