package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"fmt"
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
//     passed, and every unexpired one of the table when it opened, until
//     it expires. A nonce is fresh when it is not remembered and, while
//     the table may hold nonces the log does not remember (past
//     maxRemembered it forgets them, until the last of them expires), not
//     stored unexpired either. A fresh one is remembered at once, under
//     the same lock as the check, so two requests with one nonce never
//     both pass.
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
// The table (nonce_log, migration 009) keeps a nonce as its expiry and its
// hash, keyed in that order: the nonces of a commit expire about when the
// ones before them did, so they are added near the end of the key, a few
// pages a commit: 3 µs of CPU a nonce where the table keyed by access key
// and nonce took 16–21 µs (BenchmarkNonces, 500 a commit into 200,000).
// Nothing reads it by hash while the log remembers every unexpired nonce,
// the usual case: only past maxRemembered does a check read it, through
// an index by hash made then (nonceIndex) and dropped at the next open.
//
// One process owns the database file (serve's lock), so nothing but this
// log writes the table while it runs. A new nonce shares the hash of one
// of a million remembered with a chance of about one in 10^13: it would
// be refused as used, never the other way round.

// nonceFlushEvery is the longest a nonce waits in memory while nothing
// else is written.
const nonceFlushEvery = 50 * time.Millisecond

// maxRemembered bounds the nonces remembered (about 40 bytes each); past
// it the log forgets them and reads the table until they have expired.
const maxRemembered = 1 << 20

// nonceRow is a nonce as the table keeps it.
type nonceRow struct {
	hash    uint64
	expires int64 // ms
}

// nonceHash is the hash a nonce is remembered and stored by: the first 8
// bytes of the SHA-256 of its access key and value, the same in every
// process.
func nonceHash(keyID, nonce string) uint64 {
	h := sha256.New()
	h.Write([]byte(keyID))
	h.Write([]byte{0})
	h.Write([]byte(nonce))
	var sum [sha256.Size]byte
	return binary.BigEndian.Uint64(h.Sum(sum[:0]))
}

// nonceLog holds the nonces this process passed.
type nonceLog struct {
	mu         sync.Mutex
	remembered map[uint64]int64 // hash → expiry, ms
	pending    map[uint64]int64 // not stored yet: hash → expiry, ms
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
	return &nonceLog{remembered: map[uint64]int64{}, pending: map[uint64]int64{}, max: maxRemembered}
}

// load remembers the unexpired nonces of the table at open, or, when there
// are more than the log keeps, makes checks read the table until the last
// of them expires (last, ms).
func (l *nonceLog) load(rows []nonceRow, last int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(rows) > l.max {
		l.readUntil = max(l.readUntil, last)
		return
	}
	for _, r := range rows {
		l.remembered[r.hash] = max(l.remembered[r.hash], r.expires)
	}
}

// use decides whether p's nonce is fresh and, if so, remembers it.
// stored reads whether the table has the nonce's hash, unexpired at now.
func (l *nonceLog) use(ctx context.Context, p ackscale.NonceUseParams, now int64,
	stored func(ctx context.Context, hash uint64, now int64) (bool, error)) (bool, error) {
	h := nonceHash(p.AccessKeyID, p.Nonce)
	for {
		l.mu.Lock()
		seen, read, flushes := l.seen(h, now), now <= l.readUntil, l.flushes
		l.mu.Unlock()
		if seen {
			return false, nil
		}
		if read {
			found, err := stored(ctx, h, now)
			if err != nil || found {
				return false, err
			}
		}
		l.mu.Lock()
		switch {
		case l.seen(h, now):
			l.mu.Unlock()
			return false, nil
		case read && l.flushes != flushes: // stored meanwhile, maybe: read again
			l.mu.Unlock()
			continue
		}
		l.remember(h, ms(p.Expires), now)
		l.pending[h] = ms(p.Expires)
		l.mu.Unlock()
		return true, nil
	}
}

// seen reports whether h is remembered or pending, unexpired; l.mu is
// held.
func (l *nonceLog) seen(h uint64, now int64) bool {
	if exp, ok := l.remembered[h]; ok && exp >= now {
		return true
	}
	exp, ok := l.pending[h]
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
	for h, exp := range l.pending {
		rows = append(rows, nonceRow{h, exp})
	}
	return rows
}

// stored drops rows from pending once their commit is done. A nonce used
// again meanwhile with a later expiry stays pending.
func (l *nonceLog) stored(rows []nonceRow) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range rows {
		if l.pending[r.hash] == r.expires {
			delete(l.pending, r.hash)
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

// insertNonces stores rows in tx. A nonce used again once it expired is a
// row of its own (its new expiry); the expired one goes with the next
// prune.
func insertNonces(ctx context.Context, tx *sql.Tx, rows []nonceRow) error {
	for len(rows) > 0 {
		n := min(len(rows), nonceChunk)
		args := make([]any, 0, 2*n)
		for _, r := range rows[:n] {
			args = append(args, r.expires, int64(r.hash))
		}
		q := `INSERT OR IGNORE INTO nonce_log (expires_at, hash) VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?), ", n), ", ")
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("store nonces: %w", err)
		}
		rows = rows[n:]
	}
	return nil
}

// moveNonces moves the rows of the nonces table (keyed by access key and
// nonce, before migration 009) into nonce_log, in the migration's
// transaction.
func moveNonces(ctx context.Context, tx *sql.Tx) error {
	rows, err := queryAll(ctx, tx, "read nonces", func(r scanner) (nonceRow, error) {
		var keyID, nonce string
		var exp int64
		err := r.Scan(&keyID, &nonce, &exp)
		return nonceRow{nonceHash(keyID, nonce), exp}, err
	}, `SELECT access_key_id, nonce, expires_at FROM nonces`)
	if err != nil {
		return err
	}
	if err := insertNonces(ctx, tx, rows); err != nil {
		return err
	}
	return exec(ctx, tx, "empty nonces", `DELETE FROM nonces`)
}

// loadNonces gives the log the table's unexpired nonces at open, and makes
// or drops the index by hash as the log will need it.
func (db *DB) loadNonces(ctx context.Context) error {
	now := ms(db.now())
	rows, err := queryAll(ctx, db.read, "read nonces", func(r scanner) (nonceRow, error) {
		var n nonceRow
		var h int64
		err := r.Scan(&n.expires, &h)
		n.hash = uint64(h)
		return n, err
	}, `SELECT expires_at, hash FROM nonce_log WHERE expires_at >= ? ORDER BY expires_at LIMIT ?`, now, db.nonces.max+1)
	if err != nil {
		return err
	}
	if len(rows) <= db.nonces.max {
		db.nonces.load(rows, 0)
		return db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			return exec(ctx, tx, "drop the nonces' index", `DROP INDEX IF EXISTS nonce_log_hash`)
		})
	}
	var last int64
	if err := db.read.QueryRowContext(ctx, `SELECT max(expires_at) FROM nonce_log`).Scan(&last); err != nil {
		return fmt.Errorf("read nonces: %w", err)
	}
	db.nonces.load(rows, last)
	return db.nonceIndex(ctx)
}

// nonceIndex makes the index by hash that a check reading the table
// needs, once a process.
func (db *DB) nonceIndex(ctx context.Context) error {
	db.nonceIndexMu.Lock()
	defer db.nonceIndexMu.Unlock()
	if db.nonceIndexed {
		return nil
	}
	err := db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return exec(ctx, tx, "index nonces", `CREATE INDEX IF NOT EXISTS nonce_log_hash ON nonce_log (hash)`)
	})
	db.nonceIndexed = err == nil
	return err
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
