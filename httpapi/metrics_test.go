package httpapi_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/httpapi"
)

// TestRequestMetrics: every CS API answer is counted under its operation
// (refused ones too), its HTTP status and its ACK code; throttled requests
// by account. The public paths are not counted.
func TestRequestMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	b := setupWith(t, func(c *httpapi.Config) { c.Metrics, c.RateLimit, c.Burst = reg, 0.001, 3 })
	require.Equal(t, 200, b.call(b.alice, "GET", "/clusters", nil).status)
	require.Equal(t, 200, b.call(b.alice, "GET", "/clusters", nil).status)
	require.Equal(t, 404, b.call(b.alice, "GET", "/nowhere", nil).status)
	require.Equal(t, 400, b.call(b.alice, "GET", "/clusters", nil).status) // throttled
	status, _, _ := get(t, "GET", b.srv.URL+"/clusters")
	require.Equal(t, 401, status)
	for range 3 {
		get(t, "GET", b.srv.URL+"/healthz")
	}

	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP ackscale_http_requests_total CS API requests answered, by operation (ACK's name; none: no route matched), HTTP status and ACK error code (empty on success).
# TYPE ackscale_http_requests_total counter
ackscale_http_requests_total{code="200",error_code="",operation="DescribeClusters"} 2
ackscale_http_requests_total{code="400",error_code="Throttling.User",operation="DescribeClusters"} 1
ackscale_http_requests_total{code="401",error_code="MissingAuthorization",operation="DescribeClusters"} 1
ackscale_http_requests_total{code="404",error_code="`+ackscale.CodeRouteNotFound+`",operation="none"} 1
# HELP ackscale_http_requests_throttled_total CS API requests refused with Throttling.User (over --rate-limit), by account.
# TYPE ackscale_http_requests_throttled_total counter
ackscale_http_requests_throttled_total{account_id="5000000000000001"} 1
`), "ackscale_http_requests_total", "ackscale_http_requests_throttled_total"))
	require.Equal(t, 4, histogramCount(t, reg, "DescribeClusters"))
	require.Equal(t, 1, histogramCount(t, reg, "none"))
}

// histogramCount is the number of requests the duration histogram of op
// observed.
func histogramCount(t *testing.T, reg *prometheus.Registry, op string) int {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != "ackscale_http_request_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "operation" && l.GetValue() == op {
					return int(m.GetHistogram().GetSampleCount())
				}
			}
		}
	}
	return 0
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Split(strings.TrimSpace(b.buf.String()), "\n")
}

// TestAccessLog: one line per CS API request, with the operation the
// server routed to (not the client's x-acs-action), the status, the
// duration, the account (once) and the request id; none at info level for
// the public paths.
func TestAccessLog(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	b := setupWith(t, func(c *httpapi.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	ok := b.call(b.alice, "GET", "/api/v1/clusters", nil, "x-acs-action", "SomethingElse")
	require.Equal(t, 200, ok.status)
	status, hdr, _ := get(t, "GET", b.srv.URL+"/clusters/c1")
	require.Equal(t, 401, status)
	get(t, "GET", b.srv.URL+"/healthz")
	get(t, "GET", b.srv.URL+"/metrics")

	lines := logs.lines()
	require.Len(t, lines, 2, lines)
	for _, tt := range []struct {
		line      string
		requestID string
		want      map[string]any
	}{
		{line: lines[0], requestID: ok.header.Get("x-acs-request-id"), want: map[string]any{"operation": "DescribeClustersV1",
			"status": 200.0, "code": "", "account_id": "5000000000000001", "method": "GET", "path": "/api/v1/clusters"}},
		{line: lines[1], requestID: hdr.Get("x-acs-request-id"), want: map[string]any{"operation": "DescribeClusterDetail",
			"status": 401.0, "code": ackscale.CodeMissingAuthorization, "account_id": ""}},
	} {
		require.Equal(t, 1, strings.Count(tt.line, `"account_id"`), tt.line)
		require.Equal(t, 1, strings.Count(tt.line, `"request_id"`), tt.line)
		var got map[string]any
		require.NoError(t, json.Unmarshal([]byte(tt.line), &got))
		require.Equal(t, "request", got["msg"])
		require.Equal(t, "INFO", got["level"])
		require.Equal(t, tt.requestID, got["request_id"])
		require.Contains(t, got, "duration_ms")
		for k, v := range tt.want {
			require.Equal(t, v, got[k], k)
		}
	}
}
