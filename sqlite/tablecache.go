package sqlite

import (
	"context"
	"slices"
	"sync"
)

// tableCache keeps the rows of a small table that is read far more often
// than it is written: the cloud's stock and quota overrides and its faults,
// which every scale-out, instance create and instance describe reads (the
// fault list alone was a tenth of ackscale's CPU while it registered 500
// Nodes). Like listCache it is exact, not a guess with an expiry: one
// process owns the database file, every write of the table is this
// package's and bumps version once it has committed, and rows read with a
// version that has moved since are not kept.
type tableCache[T any] struct {
	mu      sync.Mutex
	version uint64
	have    bool // rows are the table as of version
	rows    []T
}

// read returns a copy of the cached rows, or loads them.
func (c *tableCache[T]) read(ctx context.Context, load func(context.Context) ([]T, error)) ([]T, error) {
	c.mu.Lock()
	version, have, rows := c.version, c.have, c.rows
	c.mu.Unlock()
	if have {
		return slices.Clone(rows), nil
	}
	rows, err := load(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.version == version {
		c.have, c.rows = true, slices.Clone(rows)
	}
	c.mu.Unlock()
	return rows, nil
}

// bump records that the table changed: call it once the write committed
// (or failed).
func (c *tableCache[T]) bump() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version++
	c.have, c.rows = false, nil
}
