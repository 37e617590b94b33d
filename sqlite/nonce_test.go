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
	l.readTableUntil(math.MaxInt64) // as if an earlier process stored nonces
	ctx := context.Background()
	p := ackscale.NonceUseParams{AccessKeyID: "k", Nonce: "n", Expires: time.Now().Add(time.Hour)}
	now := ms(time.Now())
	inTable, reads := false, 0
	stored := func(context.Context, string, string, int64) (bool, error) {
		reads++
		was := inTable
		if reads == 1 {
			// Between this check's first look at pending and its read,
			// another request passes with the nonce and a commit stores it
			// (and drops it from pending); the read saw the table before.
			fresh, err := l.use(ctx, p, now, func(context.Context, string, string, int64) (bool, error) { return false, nil })
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
	table := map[string]bool{}
	reads := 0
	stored := func(_ context.Context, _, nonce string, _ int64) (bool, error) {
		reads++
		return table[nonce], nil
	}
	use := func(nonce string, exp, at int64) bool {
		t.Helper()
		fresh, err := l.use(ctx, ackscale.NonceUseParams{AccessKeyID: "k", Nonce: nonce, Expires: time.UnixMilli(exp)}, at, stored)
		require.NoError(t, err)
		if fresh {
			table[nonce] = true // as the next commit would
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
	table = map[string]bool{"c": true}
	require.True(t, use("a", later+hour, later), "expired: usable again")
	require.Equal(t, 1, reads, "the forgotten ones have expired: no read")
}
