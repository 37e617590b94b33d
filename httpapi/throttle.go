package httpapi

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ackscale/ackscale"
)

// Limiter is each account's request budget: Take takes one request's
// token, or says how long to wait for one.
type Limiter interface {
	Take(ctx context.Context, accountID string) (ok bool, wait time.Duration, err error)
}

// throttle is a token bucket per account, as ACK limits each user's API
// calls: one noisy client cannot starve the others. It is one process's;
// replicas share one in their database instead (Config.Limiter).
type throttle struct {
	rate  rate.Limit
	burst int
	now   func() time.Time
	mu    sync.Mutex
	by    map[string]*rate.Limiter
}

// unlimited is the Limiter of a server without a rate limit.
type unlimited struct{}

func (unlimited) Take(context.Context, string) (bool, time.Duration, error) { return true, 0, nil }

func newThrottle(perSecond float64, burst int, now func() time.Time) Limiter {
	if perSecond <= 0 {
		return unlimited{}
	}
	return &throttle{rate: rate.Limit(perSecond), burst: max(burst, 1), now: now, by: map[string]*rate.Limiter{}}
}

// Take takes a token of the account's bucket, or says how long to wait.
func (t *throttle) Take(_ context.Context, accountID string) (bool, time.Duration, error) {
	ok, wait := t.allow(accountID, t.now())
	return ok, wait, nil
}

// allow takes a token of the account's bucket at now, or says how long to
// wait.
func (t *throttle) allow(accountID string, now time.Time) (bool, time.Duration) {
	t.mu.Lock()
	l, ok := t.by[accountID]
	if !ok {
		l = rate.NewLimiter(t.rate, t.burst)
		t.by[accountID] = l
	}
	t.mu.Unlock()
	r := l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// throttled is the error and retry hint of a refused call: ACK's code, and
// the wait in x-acs-retry-after (milliseconds, read by the darabonba SDKs)
// and Retry-After (seconds).
func throttled(w http.ResponseWriter, wait time.Duration) error {
	ms := int64(math.Ceil(float64(wait) / float64(time.Millisecond)))
	w.Header().Set("x-acs-retry-after", strconv.FormatInt(ms, 10))
	w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(wait.Seconds())), 10))
	return ackscale.Errorf(ackscale.CodeThrottling, "Request was denied due to user flow control: retry after %d ms", ms)
}

// Allow takes a token of the account's request bucket, or says how long
// to wait for one, so that other APIs on the same endpoint share each
// account's budget with the CS API. A Limiter that fails lets the request
// through (it is logged): an unanswered budget must not stop the API.
func (s *Server) Allow(ctx context.Context, accountID string) (bool, time.Duration) {
	ok, wait, err := s.throttle.Take(ctx, accountID)
	if err != nil {
		s.log.WarnContext(ctx, "throttle", "account_id", accountID, "err", err)
		return true, 0
	}
	return ok, wait
}
