package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/httpapi"
)

// get sends an unsigned request and returns its status, headers and body.
func get(t *testing.T, method, url string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, body
}

func TestPublicPathsNeedNoSignature(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(c *httpapi.Config) { c.Version = "v1.2.3" })

	status, hdr, body := get(t, "GET", b.srv.URL+"/")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, hdr.Get("Content-Type"), "application/json")
	var index map[string]string
	require.NoError(t, json.Unmarshal(body, &index))
	require.Equal(t, "ackscale", index["service"])
	require.Equal(t, "v1.2.3", index["version"])
	require.Equal(t, httpapi.DocsURL, index["docs"])
	require.Equal(t, "/readyz", index["ready"])

	status, hdr, body = get(t, "GET", b.srv.URL+"/healthz")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "ok\n", string(body))
	require.Equal(t, "no-store", hdr.Get("Cache-Control"))
	status, _, body = get(t, "HEAD", b.srv.URL+"/healthz")
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, body)

	status, _, body = get(t, "GET", b.srv.URL+"/readyz")
	require.Equal(t, http.StatusOK, status, "no checks: ready")
	require.JSONEq(t, `{"status":"ready","checks":[]}`, string(body))

	get(t, "GET", b.srv.URL+"/clusters") // counted: a CS API request
	status, hdr, body = get(t, "GET", b.srv.URL+"/metrics")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, hdr.Get("Content-Type"), "text/plain")
	require.Contains(t, string(body), `ackscale_http_requests_total{code="401",error_code="MissingAuthorization",operation="DescribeClusters"} 1`)
	require.NotContains(t, string(body), "healthz")

	// Other methods, and other paths, are the CS API's: signed or refused.
	for _, tt := range []struct{ method, path string }{
		{"POST", "/healthz"}, {"DELETE", "/"}, {"GET", "/healthz/"}, {"GET", "/metrics/x"}, {"PUT", "/readyz"},
	} {
		status, hdr, body := get(t, tt.method, b.srv.URL+tt.path)
		require.Equal(t, http.StatusUnauthorized, status, "%s %s", tt.method, tt.path)
		require.NotEmpty(t, hdr.Get("x-acs-request-id"))
		require.Contains(t, string(body), ackscale.CodeMissingAuthorization)
	}
	// Signed, a path that is no operation is still not found.
	r := b.call(b.alice, "POST", "/healthz", nil)
	require.Equal(t, http.StatusNotFound, r.status)
	require.Equal(t, ackscale.CodeRouteNotFound, r.body["code"])
}

// TestReadyzRunsEveryCheck: 200 only when every check passes; a failing or
// panicking check is listed with its error, and 503.
func TestReadyzRunsEveryCheck(t *testing.T) {
	t.Parallel()
	var broken atomic.Bool
	b := setupWith(t, func(c *httpapi.Config) {
		c.Ready = func(context.Context) []httpapi.Check {
			checks := []httpapi.Check{
				{Name: "database", Func: func(context.Context) error { return nil }},
				{Name: "deadline", Func: func(ctx context.Context) error {
					if _, ok := ctx.Deadline(); !ok {
						return errors.New("no deadline")
					}
					return nil
				}},
			}
			if broken.Load() {
				checks = append(checks,
					httpapi.Check{Name: "jobs", Func: func(context.Context) error { return errors.New("the job queue (River) has not started") }},
					httpapi.Check{Name: "kube", Func: func(context.Context) error { panic("boom") }})
			}
			return checks
		}
	})
	type answer struct {
		Status string `json:"status"`
		Checks []struct {
			Name  string `json:"name"`
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		} `json:"checks"`
	}
	read := func() (int, answer) {
		status, _, body := get(t, "GET", b.srv.URL+"/readyz")
		var a answer
		require.NoError(t, json.Unmarshal(body, &a), string(body))
		return status, a
	}

	status, a := read()
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "ready", a.Status)
	require.Len(t, a.Checks, 2)
	for _, c := range a.Checks {
		require.True(t, c.OK, c)
	}

	broken.Store(true)
	status, a = read()
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Equal(t, "not ready", a.Status)
	got := map[string]string{}
	for _, c := range a.Checks {
		got[c.Name] = c.Error
		require.Equal(t, c.Error == "", c.OK, c)
	}
	require.Equal(t, map[string]string{"database": "", "deadline": "", "jobs": "the job queue (River) has not started",
		"kube": "check panicked: boom"}, got)
}
