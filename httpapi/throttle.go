package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ackscale/ackscale"
)

// throttle is a token bucket per account, as ACK limits each user's API
// calls: one noisy client cannot starve the others.
type throttle struct {
	rate  rate.Limit
	burst int
	mu    sync.Mutex
	by    map[string]*rate.Limiter
}

func newThrottle(perSecond float64, burst int) *throttle {
	if perSecond <= 0 {
		return nil
	}
	return &throttle{rate: rate.Limit(perSecond), burst: max(burst, 1), by: map[string]*rate.Limiter{}}
}

// allow takes a token of the account's bucket, or says how long to wait.
func (t *throttle) allow(accountID string, now time.Time) (bool, time.Duration) {
	if t == nil {
		return true, 0
	}
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
