package sqlite

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// TestNonceOnceUnderRace: of many requests with one nonce at once,
// exactly one is fresh.
func TestNonceOnceUnderRace(t *testing.T) {
	b := setup(t)
	exp := time.Now().Add(15 * time.Minute)
	for round := range 20 {
		var fresh atomic.Int32
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				ok, err := b.s.Accounts.NonceUse(b.ctx, ackscale.NonceUseParams{AccessKeyID: "k", Nonce: "n" + string(rune('a'+round)), Expires: exp})
				require.NoError(t, err)
				if ok {
					fresh.Add(1)
				}
			})
		}
		wg.Wait()
		require.EqualValues(t, 1, fresh.Load(), "round %d", round)
	}
}

// TestNonceCheckedAgainWhenStoredMeanwhile: a check that read the table
// before a commit stored the nonce, and found it no longer pending after,
// reads the table again instead of passing the nonce twice.
func TestNonceCheckedAgainWhenStoredMeanwhile(t *testing.T) {
	l := newNonceLog()
	l.readUntil = math.MaxInt64 // as if an earlier process stored more nonces than the log keeps
	ctx := context.Background()
	p := ackscale.NonceUseParams{AccessKeyID: "k", Nonce: "n", Expires: time.Now().Add(time.Hour)}
	now := ms(time.Now())
	inTable, reads := false, 0
	stored := func(context.Context, uint64, int64) (bool, error) {
		reads++
		was := inTable
		if reads == 1 {
			// Between this check's first look at pending and its read,
			// another request passes with the nonce and a commit stores it
			// (and drops it from pending); the read saw the table before.
			fresh, err := l.use(ctx, p, now, func(context.Context, uint64, int64) (bool, error) { return false, nil })
			require.NoError(t, err)
			require.True(t, fresh)
			l.stored(l.take())
			inTable = true
			l.mu.Lock()
			clear(l.remembered) // and the log forgets it (past maxRemembered)
			l.mu.Unlock()
		}
		return was, nil
	}
	fresh, err := l.use(ctx, p, now, stored)
	require.NoError(t, err)
	require.False(t, fresh, "the same nonce, stored while it was checked")
	require.Equal(t, 2, reads, "read again after the commit")
}

// TestNonceStoredWithTheNextCommit: a nonce is in the table once any
// later write has committed (a request that changes something commits
// after its nonce was checked), and by the flush when nothing is written.
func TestNonceStoredWithTheNextCommit(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := Open(ctx, Config{Dir: dir, NonceFlushEvery: time.Hour})
	require.NoError(t, err)
	defer db.Close()
	s := db.Stores(&fakeJobs{})
	exp := time.Now().Add(15 * time.Minute)
	use := func(s Stores, nonce string) bool {
		t.Helper()
		fresh, err := s.Accounts.NonceUse(ctx, ackscale.NonceUseParams{AccessKeyID: "k", Nonce: nonce, Expires: exp})
		require.NoError(t, err)
		return fresh
	}
	require.True(t, use(s, "read"))
	require.Equal(t, 1, db.nonces.size(), "pending: nothing was written yet")

	require.True(t, use(s, "write"))
	_, err = s.Accounts.AccountEnsure(ctx, ackscale.AccountCreateParams{
		Account: ackscale.Account{ID: "5000000000000002", AccessKeyID: "LTAIOTHER"}, Secret: "s"})
	require.NoError(t, err)
	require.Zero(t, db.nonces.size(), "stored with the write")
	// the next process, as one would start after a kill -9 now
	other, err := Open(ctx, Config{Dir: dir, NonceFlushEvery: time.Hour})
	require.NoError(t, err)
	defer other.Close()
	os := other.Stores(&fakeJobs{})
	require.False(t, use(os, "write"), "the other process sees it")
	require.False(t, use(os, "read"))

	flushed, err := Open(ctx, Config{Dir: t.TempDir(), NonceFlushEvery: 10 * time.Millisecond})
	require.NoError(t, err)
	defer flushed.Close()
	fs := flushed.Stores(&fakeJobs{})
	require.True(t, use(fs, "alone"))
	require.Eventually(t, func() bool { return flushed.nonces.size() == 0 }, 5*time.Second, 10*time.Millisecond,
		"stored by the flush though nothing else was written")
	require.False(t, use(fs, "alone"))
}

// TestNonceLogForgetsPastItsBound: past its bound the log forgets what it
// remembered and reads the table for those nonces until they expire; an
// expired nonce is forgotten and may be used again.
func TestNonceLogForgetsPastItsBound(t *testing.T) {
	l := newNonceLog()
	l.max = 2
	ctx := context.Background()
	now := ms(time.Now())
	table := map[uint64]bool{}
	reads := 0
	stored := func(_ context.Context, h uint64, _ int64) (bool, error) {
		reads++
		return table[h], nil
	}
	use := func(nonce string, exp, at int64) bool {
		t.Helper()
		fresh, err := l.use(ctx, ackscale.NonceUseParams{AccessKeyID: "k", Nonce: nonce, Expires: time.UnixMilli(exp)}, at, stored)
		require.NoError(t, err)
		if fresh {
			table[nonceHash("k", nonce)] = true // as the next commit would
			l.stored(l.take())
		}
		return fresh
	}
	hour := time.Hour.Milliseconds()
	require.True(t, use("a", now+hour, now))
	require.True(t, use("b", now+hour, now))
	require.Zero(t, reads, "no earlier process: memory decides")
	require.True(t, use("c", now+2*hour, now), "past the bound: a and b forgotten")
	require.False(t, use("a", now+hour, now), "read from the table")
	require.Equal(t, 1, reads, "a's check")
	require.False(t, use("c", now+2*hour, now), "remembered")
	require.Equal(t, 1, reads)

	later := now + hour + 1 // a and b expired
	table = map[uint64]bool{nonceHash("k", "c"): true}
	require.True(t, use("a", later+hour, later), "expired: usable again")
	require.Equal(t, 1, reads, "the forgotten ones have expired: no read")
}

// TestMigrateNonceLog opens a database written before nonce_log: its
// unexpired nonces are still refused, by the hash they now have; its
// expired one may be used again; the old table is left empty.
func TestMigrateNonceLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	old := openMigratedTo(t, dir, "migration/008_usage_counters.sql")
	now := time.Now()
	_, err := old.Exec(`INSERT INTO nonces (access_key_id, nonce, expires_at) VALUES ('k', 'live', ?), ('k', 'gone', ?), ('other', 'live', ?)`,
		ms(now.Add(10*time.Minute)), ms(now.Add(-time.Minute)), ms(now.Add(time.Minute)))
	require.NoError(t, err)
	db, s := migrateRest(t, dir, old)
	require.Zero(t, count(t, db, `SELECT count(*) FROM nonces`))
	require.Equal(t, 3, count(t, db, `SELECT count(*) FROM nonce_log`))
	require.Equal(t, 1, count(t, db, `SELECT count(*) FROM nonce_log WHERE hash = ? AND expires_at = ?`,
		int64(nonceHash("k", "live")), ms(now.Add(10*time.Minute))))
	use := func(key, nonce string) bool {
		t.Helper()
		fresh, err := s.Accounts.NonceUse(ctx, ackscale.NonceUseParams{AccessKeyID: key, Nonce: nonce, Expires: now.Add(15 * time.Minute)})
		require.NoError(t, err)
		return fresh
	}
	require.False(t, use("k", "live"))
	require.False(t, use("other", "live"))
	require.True(t, use("k", "gone"), "expired before the migration")
	require.True(t, use("k", "new"))
}

// TestNonceReopenPastTheBound: a process that opens a table holding more
// unexpired nonces than its log keeps reads the table for them, through
// the index by hash it makes; one that opens it with fewer remembers them
// all, and drops that index.
func TestNonceReopenPastTheBound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	exp := time.Now().Add(15 * time.Minute)
	open := func(max int) (*DB, Stores) {
		t.Helper()
		db, err := Open(ctx, Config{Dir: dir, NonceFlushEvery: time.Hour})
		require.NoError(t, err)
		if max > 0 { // as if the log kept max: load again with that bound
			db.nonces = newNonceLog()
			db.nonces.max = max
			require.NoError(t, db.loadNonces(ctx))
		}
		return db, db.Stores(&fakeJobs{})
	}
	use := func(s Stores, nonce string) bool {
		t.Helper()
		fresh, err := s.Accounts.NonceUse(ctx, ackscale.NonceUseParams{AccessKeyID: "k", Nonce: nonce, Expires: exp})
		require.NoError(t, err)
		return fresh
	}
	indexed := func(db *DB) bool {
		return count(t, db, `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'nonce_log_hash'`) == 1
	}

	db, s := open(0)
	for _, n := range []string{"a", "b", "c"} {
		require.True(t, use(s, n))
	}
	require.NoError(t, db.Close()) // stores the pending nonces

	db, s = open(2)
	require.True(t, indexed(db), "three stored, two kept: checks read the table")
	require.Equal(t, 0, len(db.nonces.remembered))
	require.False(t, use(s, "a"))
	require.False(t, use(s, "c"))
	require.True(t, use(s, "d"))
	require.False(t, use(s, "d"))
	require.NoError(t, db.Close())

	db, s = open(0)
	defer db.Close()
	require.False(t, indexed(db), "all four remembered: no index")
	require.Equal(t, 4, len(db.nonces.remembered))
	for _, n := range []string{"a", "b", "c", "d"} {
		require.False(t, use(s, n), n)
	}
	require.True(t, use(s, "e"))
}
