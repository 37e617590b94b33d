package testserver

import (
	"context"
	"time"

	"github.com/ackscale/ackscale"
)

// PeakLive samples the emulated cloud's live instances every interval,
// until ctx ends, and sends on the returned channel the most each account
// had at once in each quota scope ("ACCOUNT/SCOPE" → count). server returns
// the server to ask: the harnesses restart theirs. A sample that fails (the
// server is restarting) is skipped.
func PeakLive(ctx context.Context, every time.Duration, server func() *Server) <-chan map[string]int {
	out := make(chan map[string]int, 1)
	go func() {
		peak := map[string]int{}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				out <- peak
				return
			case <-t.C:
			}
			var all []ackscale.Instance
			sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err := server().Admin(sctx, "GET", "instances", nil, &all)
			cancel()
			if err != nil {
				continue
			}
			now := map[string]int{}
			for _, in := range all {
				if in.Status != ackscale.InstanceReleased {
					now[in.AccountID+"/"+ackscale.QuotaScopeOf(in.Kind, in.RegionID)]++
				}
			}
			for k, n := range now {
				peak[k] = max(peak[k], n)
			}
		}
	}()
	return out
}
