package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/sqlite"
)

// TestNoncesPrunedOnTimer: nothing called NoncePrune, so every verified
// request left a row in the nonce table for good (issue 10, item 4). The
// pruner runs on a real SQLite store, so the test proves the SQL prunes.
func TestNoncesPrunedOnTimer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlite.Config{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	accounts := sqlite.NewAccountStore(db)
	count := func() int {
		var n int
		require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM nonce_log`).Scan(&n))
		return n
	}
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var clock atomic.Int64 // the pruner's fake now, in Unix nanoseconds
	clock.Store(base.UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	record := func(prefix string, n int, expires time.Time) {
		for i := range n {
			fresh, err := accounts.NonceUse(ctx, ackscale.NonceUseParams{AccessKeyID: "LTAIprune",
				Nonce: fmt.Sprintf("%s-%d", prefix, i), Expires: expires})
			require.NoError(t, err)
			require.True(t, fresh)
		}
		// The store writes nonces with its next commit (within 50 ms);
		// a prune of nothing stores them now, so that count is exact.
		_, err := accounts.NoncePrune(ctx, time.Time{})
		require.NoError(t, err)
	}

	record("expired", 50, base.Add(-time.Minute))
	record("live", 5, base.Add(15*time.Minute))
	require.Equal(t, 55, count())

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	p := noncePruner{store: accounts, interval: 10 * time.Millisecond, now: now, log: slog.New(slog.DiscardHandler)}
	go func() { defer close(done); p.run(runCtx) }()

	require.Eventually(t, func() bool { return count() == 5 }, 5*time.Second, 5*time.Millisecond,
		"the expired nonces are pruned; the live ones stay")
	// Time passes while requests keep coming: the table stays bounded by
	// what is still inside the window.
	for minute := 1; minute <= 20; minute++ {
		clock.Store(base.Add(time.Duration(minute) * time.Minute).UnixNano())
		record(fmt.Sprintf("minute%d", minute), 5, now().Add(15*time.Minute))
		require.Eventually(t, func() bool { return count() <= 5*16 }, 5*time.Second, 5*time.Millisecond)
	}
	// At minute 20, minutes 5 to 20 are inside the window (an expiry equal
	// to now is not past).
	require.Eventually(t, func() bool { return count() == 5*16 }, 5*time.Second, 5*time.Millisecond)

	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the pruner did not stop when its context ended")
	}
	record("after-stop", 3, base.Add(-time.Hour))
	time.Sleep(50 * time.Millisecond)
	require.Equal(t, 5*16+3, count(), "a stopped pruner prunes nothing")
}

// TestServeStartsThePruner: the app's pruner prunes its own account store,
// and stop waits for it.
func TestServeStartsThePruner(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.app.stores.Accounts.NonceUse(b.ctx, ackscale.NonceUseParams{AccessKeyID: "LTAIprune", Nonce: "old",
		Expires: time.Now().Add(-time.Minute)})
	require.NoError(t, err)
	count := func() int {
		var n int
		require.NoError(t, b.app.db.sqlDB.QueryRowContext(b.ctx, `SELECT count(*) FROM nonce_log`).Scan(&n))
		return n
	}
	require.Eventually(t, func() bool { return count() == 1 }, 5*time.Second, 5*time.Millisecond,
		"written with the store's next commit")
	stop := b.app.startPruner(b.ctx, time.Hour) // prunes once at start
	require.Eventually(t, func() bool { return count() == 0 }, 5*time.Second, 5*time.Millisecond)
	stop()
}
