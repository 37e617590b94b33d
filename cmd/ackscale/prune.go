package main

import (
	"cmp"
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ackscale/ackscale"
)

// pruneInterval is how often serve forgets expired signature nonces.
const pruneInterval = time.Minute

// nonceStore is the part of ackscale.AccountStore the pruner calls.
type nonceStore interface {
	NoncePrune(ctx context.Context, before time.Time) (int, error)
}

// noncePruner forgets the signature nonces (and the signatures recorded
// for requests without one) whose replay window has passed. Every verified
// request records one, so without it the table grows for as long as the
// server runs; with it, it holds about MaxSkew (15 minutes) of requests.
type noncePruner struct {
	store    nonceStore
	interval time.Duration    // time.Minute when zero or negative
	now      func() time.Time // ackscale.NowUTC when nil
	log      *slog.Logger
}

// start prunes once, then every interval, in the background, until ctx
// ends or stop is called. stop waits for a prune under way to finish, so
// the store can be closed after it.
func (p noncePruner) start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { p.run(ctx) })
	return func() {
		cancel()
		wg.Wait()
	}
}

// run prunes until ctx ends.
func (p noncePruner) run(ctx context.Context) {
	ticker := time.NewTicker(cmp.Or(max(p.interval, 0), time.Minute))
	defer ticker.Stop()
	for {
		p.prune(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// prune forgets the nonces that expired before now. A failure is logged
// and the next tick tries again: a nonce kept too long refuses nothing
// that is not a replay.
func (p noncePruner) prune(ctx context.Context) {
	now := ackscale.NowUTC
	if p.now != nil {
		now = p.now
	}
	n, err := p.store.NoncePrune(ctx, now())
	switch {
	case err != nil && ctx.Err() == nil:
		p.log.Error("prune nonces", "err", err)
	case err == nil:
		p.log.Debug("pruned nonces", "nonces", n)
	}
}

// startPruner starts the nonce pruner on the app's account store; stop it
// before closing the app.
func (a *app) startPruner(ctx context.Context, interval time.Duration) (stop func()) {
	return noncePruner{store: a.stores.Accounts, interval: interval, log: a.log}.start(ctx)
}
