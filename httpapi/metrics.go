package httpapi

import (
	"cmp"
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// requestMetrics are the CS API's request metrics.
type requestMetrics struct {
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	throttled *prometheus.CounterVec
}

// noOperation labels a request that matched no operation.
const noOperation = "none"

func newRequestMetrics(reg prometheus.Registerer) (*requestMetrics, error) {
	m := &requestMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ackscale", Subsystem: "http", Name: "requests_total",
			Help: "CS API requests answered, by operation (ACK's name; none: no route matched), HTTP status and ACK error code (empty on success)."},
			[]string{"operation", "code", "error_code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "ackscale", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to answer a CS API request, from its headers received to its answer written, by operation.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}},
			[]string{"operation"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ackscale", Subsystem: "http", Name: "requests_throttled_total",
			Help: "CS API requests refused with Throttling.User (over --rate-limit), by account."},
			[]string{"account_id"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.throttled} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("httpapi: register metrics: %w", err)
		}
	}
	return m, nil
}

// observe counts one answered request.
func (m *requestMetrics) observe(op string, status int, errorCode string, d time.Duration) {
	op = cmp.Or(op, noOperation)
	m.requests.WithLabelValues(op, strconv.Itoa(status), errorCode).Inc()
	m.duration.WithLabelValues(op).Observe(d.Seconds())
}
