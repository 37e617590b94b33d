package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"hash/maphash"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/ackscale/ackscale"
)

// Signature nonces are checked in memory and written with the next commit.
//
// Every signed request records its nonce (sign.Verifier), reads included,
// and a nonce written in a transaction of its own was a second trip
// through the one writer for every request: a third of the writer's
// transactions on the accept path and of a read's cost. So NonceUse
// decides in memory and leaves the write to the writer:
//
//   - The log remembers (by a 64-bit hash) every nonce this process
//     passed, until it expires. A nonce is fresh when it is not
//     remembered and, while the table may hold nonces this process does
//     not remember (those of the processes before it, until the last of
//     them expires; or ones it forgot past maxRemembered), not stored
//     unexpired either. A fresh one is remembered at once, under the same
//     lock as the check, so two requests with one nonce never both pass.
//   - The writer inserts every nonce not yet stored (pending) at the start
//     of each transaction it commits (writer.prepare). A request that
//     writes anything (every accepted operation does) commits after its
//     nonce was checked, so its nonce is durable no later than its own
//     changes: a replay after a crash is refused as before.
//   - A nonce of a request that wrote nothing (a read, a refused request)
//     is written within nonceFlushEvery, by the next commit or by an empty
//     one. A kill -9 in that window forgets it: after a restart, that one
//     read could be answered twice, which changes nothing.
//
// One process owns the database file (serve's lock), so nothing but this
// log writes the table while it runs. Two different nonces share a hash
// with a chance of about one in 10^13 at a million remembered: the second
// would be refused as used, never the other way round.

// nonceFlushEvery is the longest a nonce waits in memory while nothing
// else is written.
const nonceFlushEvery = 50 * time.Millisecond

// maxRemembered bounds the nonces remembered (about 40 bytes each); past
// it the log forgets them and reads the table until they have expired.
const maxRemembered = 1 << 20

// nonceRow is a nonce waiting to be stored.
type nonceRow struct {
	keyID, nonce string
	expires      int64 // ms
}

type nonceKey struct{ keyID, nonce string }

// nonceLog holds the nonces this process passed.
type nonceLog struct {
	mu         sync.Mutex
	seed       maphash.Seed
	remembered map[uint64]int64   // hash of key → expiry, ms
	pending    map[nonceKey]int64 // not stored yet → expiry, ms
	// readUntil is the last expiry of a stored nonce not remembered: until
	// then a check also reads the table.
	readUntil int64
	// flushes counts the commits that stored pending nonces: a check that
	// read the table while one committed reads it again.
	flushes uint64
	pruned  int64 // when expired nonces were last forgotten, ms
	max     int   // maxRemembered
}

func newNonceLog() *nonceLog {
	return &nonceLog{seed: maphash.MakeSeed(), remembered: map[uint64]int64{}, pending: map[nonceKey]int64{}, max: maxRemembered}
}

// readTableUntil makes checks read the table until t (ms): the last
// expiry of the nonces stored before the log.
func (l *nonceLog) readTableUntil(t int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.readUntil = max(l.readUntil, t)
}

func (l *nonceLog) hash(k nonceKey) uint64 {
	var h maphash.Hash
	h.SetSeed(l.seed)
	h.WriteString(k.keyID)
	h.WriteByte(0)
	h.WriteString(k.nonce)
	return h.Sum64()
}

// use decides whether p's nonce is fresh and, if so, remembers it.
// stored reads whether the table has the nonce, unexpired at now.
func (l *nonceLog) use(ctx context.Context, p ackscale.NonceUseParams, now int64,
	stored func(ctx context.Context, keyID, nonce string, now int64) (bool, error)) (bool, error) {
	k := nonceKey{p.AccessKeyID, p.Nonce}
	h := l.hash(k)
	for {
		l.mu.Lock()
		seen, read, flushes := l.seen(h, k, now), now <= l.readUntil, l.flushes
		l.mu.Unlock()
		if seen {
			return false, nil
		}
		if read {
			found, err := stored(ctx, k.keyID, k.nonce, now)
			if err != nil || found {
				return false, err
			}
		}
		l.mu.Lock()
		switch {
		case l.seen(h, k, now):
			l.mu.Unlock()
			return false, nil
		case read && l.flushes != flushes: // stored meanwhile, maybe: read again
			l.mu.Unlock()
			continue
		}
		l.remember(h, ms(p.Expires), now)
		l.pending[k] = ms(p.Expires)
		l.mu.Unlock()
		return true, nil
	}
}

// seen reports whether k is remembered or pending, unexpired; l.mu is
// held.
func (l *nonceLog) seen(h uint64, k nonceKey, now int64) bool {
	if exp, ok := l.remembered[h]; ok && exp >= now {
		return true
	}
	exp, ok := l.pending[k]
	return ok && exp >= now
}

// remember keeps h until exp, first forgetting the expired nonces (once a
// minute) or, past l.max, all of them; l.mu is held.
func (l *nonceLog) remember(h uint64, exp, now int64) {
	if now-l.pruned > time.Minute.Milliseconds() || len(l.remembered) >= l.max {
		maps.DeleteFunc(l.remembered, func(_ uint64, e int64) bool { return e < now })
		l.pruned = now
	}
	if len(l.remembered) >= l.max {
		for _, e := range l.remembered {
			l.readUntil = max(l.readUntil, e)
		}
		clear(l.remembered)
	}
	l.remembered[h] = exp
}

// take returns the pending nonces.
func (l *nonceLog) take() []nonceRow {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) == 0 {
		return nil
	}
	rows := make([]nonceRow, 0, len(l.pending))
	for k, exp := range l.pending {
		rows = append(rows, nonceRow{k.keyID, k.nonce, exp})
	}
	return rows
}

// stored drops rows from pending once their commit is done. A nonce used
// again meanwhile with a later expiry stays pending.
func (l *nonceLog) stored(rows []nonceRow) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range rows {
		k := nonceKey{r.keyID, r.nonce}
		if l.pending[k] == r.expires {
			delete(l.pending, k)
		}
	}
	l.flushes++
}

// size is how many nonces are pending.
func (l *nonceLog) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.pending)
}

// nonceChunk bounds the rows of one INSERT (SQLite binds at most 32,766
// values).
const nonceChunk = 500

// insertNonces stores rows in tx. A stored nonce is replaced only if it
// expired (before now): the check that made it pending saw no live one.
func insertNonces(ctx context.Context, tx *sql.Tx, rows []nonceRow, now int64) error {
	for len(rows) > 0 {
		n := min(len(rows), nonceChunk)
		args := make([]any, 0, 3*n+1)
		for _, r := range rows[:n] {
			args = append(args, r.keyID, r.nonce, r.expires)
		}
		args = append(args, now)
		q := `INSERT INTO nonces (access_key_id, nonce, expires_at) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", n), ", ") +
			` ON CONFLICT (access_key_id, nonce) DO UPDATE SET expires_at = excluded.expires_at WHERE nonces.expires_at < ?`
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("store nonces: %w", err)
		}
		rows = rows[n:]
	}
	return nil
}

// flushNonces commits the pending nonces every period while nothing else
// does, until stop is closed.
func (db *DB) flushNonces(period time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		db.storePendingNonces()
	}
}

// storePendingNonces commits the pending nonces, if any, now: an empty
// transaction does (the writer's prepare stores them). A failure is
// logged; the nonces stay pending for the next commit.
func (db *DB) storePendingNonces() {
	if db.nonces.size() == 0 {
		return
	}
	if err := db.inTx(context.Background(), func(context.Context, *sql.Tx) error { return nil }); err != nil {
		db.log.Warn("store signature nonces", "err", err)
	}
}
