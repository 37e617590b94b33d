package sqlite

import (
	"context"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
)

// tableCache keeps the rows of a small table that is read far more often
// than it is written: the cloud's stock and quota overrides and its faults,
// which every scale-out, instance create and instance describe reads (the
// fault list alone was a tenth of ackscale's CPU while it registered 500
// Nodes). Like the worker-list cache it is exact, not a guess with an expiry: one
// process owns the database file (`ackscale account create`, the one
// command that opens it beside a running server, writes only accounts,
// which no cache here keeps), every write of the table is this
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

// keyedCache keeps rows by key, exactly, on the same terms as tableCache
// but row by row: a row read while that row (or the whole cache) changed
// is not kept, and every write of a row records its change once it has
// committed. clone copies a row with slices and maps of its own, so that
// no caller can change what another is given.
//
// The version counts changes. A load remembers the version it began at
// (get) and is kept (put) unless a change since then touched its key: the
// cache remembers its last maxChangeLog changes, and a load older than
// them, or than the last change of every row (bump), is not kept. So,
// while writes of other rows go on, a row read once stays kept; a single
// version for all rows refused almost every load under load.
type keyedCache[V any] struct {
	mu      sync.Mutex
	version uint64
	floor   uint64      // loads that began before it are not kept (a bump, or changes the log forgot)
	log     []keyChange // the last changes, oldest first, versions floor+1 …
	rows    map[string]V
	clone   func(V) V
	max     int // the rows kept; past it the cache starts over
	// changes, when set, counts every drop, bump, patch and set, under mu: shared by
	// the caches whose rows answers are made of (DB.Changes).
	changes *atomic.Uint64
}

// keyChange is one change of a keyedCache: of a key, or of the keys match
// reports.
type keyChange struct {
	version uint64
	key     string
	match   func(key string) bool
}

// maxChangeLog bounds the changes a keyedCache remembers: a load that
// began more changes ago than the log holds (half of it to all of it) is
// not kept.
const maxChangeLog = 256

// get returns a copy of the row kept under key, if any, and the version
// to put a row read now with.
func (c *keyedCache[V]) get(key string) (v V, ok bool, version uint64) {
	c.mu.Lock()
	v, ok = c.rows[key]
	version = c.version
	c.mu.Unlock()
	if ok {
		v = c.clone(v)
	}
	return v, ok, version
}

// put keeps a copy of a row read after get returned version, unless the
// row changed meanwhile.
func (c *keyedCache[V]) put(key string, version uint64, v V) {
	kept := c.clone(v)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.changedSince(key, version) {
		return
	}
	if c.rows == nil || len(c.rows) >= c.max {
		c.rows = map[string]V{}
	}
	c.rows[key] = kept
}

// changedSince reports whether the row of key may have changed after
// version; c.mu is held.
func (c *keyedCache[V]) changedSince(key string, version uint64) bool {
	if version < c.floor {
		return true
	}
	for i := len(c.log) - 1; i >= 0 && c.log[i].version > version; i-- {
		if ch := c.log[i]; ch.key == key && ch.match == nil || ch.match != nil && ch.match(key) {
			return true
		}
	}
	return false
}

// record counts a change of key (or of the keys match reports); c.mu is
// held.
func (c *keyedCache[V]) record(key string, match func(string) bool) {
	c.version++
	if len(c.log) == maxChangeLog { // forget the older half: a load older than the log is not kept
		c.floor = c.log[maxChangeLog/2-1].version
		c.log = append(c.log[:0], c.log[maxChangeLog/2:]...)
	}
	c.log = append(c.log, keyChange{version: c.version, key: key, match: match})
	c.changed()
}

// read returns a copy of the row kept under key, or loads it and keeps a
// copy, unless the row changed while it was loaded.
func (c *keyedCache[V]) read(key string, load func() (V, error)) (V, error) {
	v, ok, version := c.get(key)
	if ok {
		return v, nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	c.put(key, version, v)
	return v, nil
}

// drop records that the row of key changed: call it once the write
// committed (or failed). The other rows stay; the row read before the
// write committed is not kept.
func (c *keyedCache[V]) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.record(key, nil)
	delete(c.rows, key)
}

// patch changes the row kept under key, if any, as a write that has just
// committed changed it (change reports false when it cannot: the row is
// forgotten), and otherwise counts as drop does: the row read before is
// not kept. It must run in commit order, after the write's commit and
// before any later write of the row commits: in an afterCommit func
// (batch.go). Unlike drop, the next read of the row needs no query.
func (c *keyedCache[V]) patch(key string, change func(*V) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.record(key, nil)
	if v, ok := c.rows[key]; ok {
		if change(&v) {
			c.rows[key] = v
		} else {
			delete(c.rows, key)
		}
	}
}

// set keeps v under key as the row a write that has just committed made,
// in commit order like patch, and counts as a change. The cache keeps v
// itself: the caller must share none of it.
func (c *keyedCache[V]) set(key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.record(key, nil)
	if c.rows == nil || len(c.rows) >= c.max {
		c.rows = map[string]V{}
	}
	c.rows[key] = v
}

// dropWhere records that the rows of the keys match reports changed, as
// drop does for one.
func (c *keyedCache[V]) dropWhere(match func(key string) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.record("", match)
	maps.DeleteFunc(c.rows, func(key string, _ V) bool { return match(key) })
}

// bump records that every row changed: call it once the write committed
// (or failed).
func (c *keyedCache[V]) bump() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version++
	c.floor, c.log = c.version, c.log[:0]
	c.rows = nil
	c.changed()
}

// changed counts a drop or a bump in c.changes; c.mu is held.
func (c *keyedCache[V]) changed() {
	if c.changes != nil {
		c.changes.Add(1)
	}
}
