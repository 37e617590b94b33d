package adminapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/adminapi"
	"github.com/ackscale/ackscale/catalog"
	"github.com/ackscale/ackscale/cloud"
	"github.com/ackscale/ackscale/internal/memstore"
	"github.com/ackscale/ackscale/internal/testserver"
	"github.com/ackscale/ackscale/ops"
)

const token = "tok"

type testBundle struct {
	t     *testing.T
	srv   *httptest.Server
	store *memstore.Store
	cloud *cloud.Cloud
	logs  *testserver.Output
}

// setup serves the admin API over a real ops.Service, the real emulated
// cloud (instant boot) and the in-memory store. configure may change the
// ops config (a failing Checker) and the token before the handler is built.
func setup(t *testing.T) *testBundle {
	t.Helper()
	return setupWith(t, token, func(*ops.Config) {})
}

func setupWith(t *testing.T, tok string, configure func(*ops.Config)) *testBundle {
	t.Helper()
	ms := memstore.New()
	zero := time.Duration(0)
	cl, err := cloud.New(cloud.Config{Store: ms, Catalog: catalog.Default(), BootLatency: &zero})
	require.NoError(t, err)
	cfg := ops.Config{Clusters: ms, Workers: ms, Accounts: ms, Checker: ms, Cloud: cl}
	configure(&cfg)
	svc, err := ops.New(cfg)
	require.NoError(t, err)
	logs := &testserver.Output{}
	h := adminapi.New(svc, tok, slog.New(slog.NewTextHandler(logs, nil)))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &testBundle{t: t, srv: srv, store: ms, cloud: cl, logs: logs}
}

type answer struct {
	status int
	header http.Header
	raw    []byte
}

// json decodes the answer's body into v.
func (a answer) json(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(a.raw, v), string(a.raw))
}

// code is the error code of an error answer.
func (a answer) code(t *testing.T) string {
	t.Helper()
	var e struct{ Code, Message string }
	a.json(t, &e)
	require.NotEmpty(t, e.Message, string(a.raw))
	return e.Code
}

// do sends method path with body (a string sent as is, anything else
// JSON-encoded, nil: none) and auth as the Authorization header ("": none).
func (b *testBundle) do(method, path, auth string, body any) answer {
	b.t.Helper()
	var r io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(v)
	default:
		raw, err := json.Marshal(v)
		require.NoError(b.t, err)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, b.srv.URL+path, r)
	require.NoError(b.t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := b.srv.Client().Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return answer{status: resp.StatusCode, header: resp.Header, raw: raw}
}

// admin sends an authorized request.
func (b *testBundle) admin(method, path string, body any) answer {
	b.t.Helper()
	return b.do(method, path, "Bearer "+token, body)
}

func TestAuth(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		token  string // configured
		header string
		status int
	}{
		{name: "NoHeader", token: token, header: "", status: http.StatusUnauthorized},
		{name: "Bearer", token: token, header: "Bearer tok", status: http.StatusOK},
		{name: "LowerScheme", token: token, header: "bearer tok", status: http.StatusOK},
		{name: "UpperScheme", token: token, header: "BEARER tok", status: http.StatusOK},
		{name: "TrailingSpace", token: token, header: "Bearer tok ", status: http.StatusOK},
		{name: "BareToken", token: token, header: "tok", status: http.StatusUnauthorized},
		{name: "SchemeOnly", token: token, header: "Bearer", status: http.StatusUnauthorized},
		{name: "WrongToken", token: token, header: "Bearer nope", status: http.StatusUnauthorized},
		{name: "TokenPrefix", token: token, header: "Bearer to", status: http.StatusUnauthorized},
		{name: "Basic", token: token, header: "Basic tok", status: http.StatusUnauthorized},
		{name: "EmptyConfiguredToken", token: "", header: "Bearer ", status: http.StatusUnauthorized},
		{name: "EmptyConfiguredTokenAnyHeader", token: "", header: "Bearer tok", status: http.StatusUnauthorized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupWith(t, tt.token, func(*ops.Config) {})
			a := b.do("GET", "/admin/v1/check", tt.header, nil)
			require.Equal(t, tt.status, a.status, string(a.raw))
			require.Contains(t, a.header.Get("Content-Type"), "application/json")
			if tt.status == http.StatusUnauthorized {
				require.Equal(t, ackscale.CodeMissingAuthorization, a.code(t))
			}
		})
	}
}

// TestAuthBeforeRoute: an unauthenticated request learns nothing about
// which paths exist.
func TestAuthBeforeRoute(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, path := range []string{"/admin/v1/nope", "/admin/v1/stock", "/elsewhere"} {
		a := b.do("DELETE", path, "", nil)
		require.Equal(t, http.StatusUnauthorized, a.status, path)
		require.Equal(t, ackscale.CodeMissingAuthorization, a.code(t))
	}
}

func TestStock(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{name: "UnknownType", body: ackscale.StockOverride{ZoneID: "cn-hangzhou-g", InstanceType: "ecs.nope", Capacity: 1},
			status: http.StatusBadRequest, code: ackscale.CodeInstanceTypeNotFound},
		{name: "UnknownZone", body: ackscale.StockOverride{ZoneID: "cn-nowhere-z", InstanceType: "ecs.c5.xlarge", Capacity: 1},
			status: http.StatusBadRequest, code: ackscale.CodeInvalidParameter},
		{name: "UnknownField", body: `{"zone_id":"cn-hangzhou-g","instance_type":"ecs.c5.xlarge","capacity":1,"extra":1}`,
			status: http.StatusBadRequest, code: ackscale.CodeMalformedBody},
		{name: "WrongType", body: `{"zone_id":"cn-hangzhou-g","instance_type":"ecs.c5.xlarge","capacity":"1"}`,
			status: http.StatusBadRequest, code: ackscale.CodeMalformedBody},
		{name: "EmptyBody", body: ``, status: http.StatusBadRequest, code: ackscale.CodeMalformedBody},
		{name: "NotJSON", body: `capacity=1`, status: http.StatusBadRequest, code: ackscale.CodeMalformedBody},
		{name: "Valid", body: ackscale.StockOverride{ZoneID: "cn-hangzhou-g", InstanceType: "ecs.c5.xlarge", Capacity: 3},
			status: http.StatusOK},
		{name: "ValidENSRegion", body: ackscale.StockOverride{ZoneID: "cn-beijing-telecom", InstanceType: "ens.sn1.small", Capacity: 0},
			status: http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			a := b.admin("PUT", "/admin/v1/stock", tt.body)
			require.Equal(t, tt.status, a.status, string(a.raw))
			if tt.code != "" {
				require.Equal(t, tt.code, a.code(t))
				var views []ackscale.StockView
				b.admin("GET", "/admin/v1/stock", nil).json(t, &views)
				for _, v := range views {
					require.NotEqual(t, "override", v.Source, "a refused override was kept: %+v", v)
				}
				return
			}
			var echoed ackscale.StockOverride
			a.json(t, &echoed)
			require.Equal(t, tt.body, echoed)

			got := b.admin("GET", "/admin/v1/stock", nil)
			require.Equal(t, http.StatusOK, got.status)
			var views []ackscale.StockView
			got.json(t, &views)
			o := tt.body.(ackscale.StockOverride)
			require.Contains(t, views, ackscale.StockView{ZoneID: o.ZoneID, InstanceType: o.InstanceType, Capacity: o.Capacity, Source: "override"})
		})
	}
}

func TestStockCountsLiveInstances(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	require.Equal(t, http.StatusOK, b.admin("PUT", "/admin/v1/stock",
		ackscale.StockOverride{ZoneID: "cn-hangzhou-g", InstanceType: "ecs.c5.xlarge", Capacity: 2}).status)
	_, err := b.cloud.RunInstance(ctx, runRequest("one"))
	require.NoError(t, err)

	var views []ackscale.StockView
	b.admin("GET", "/admin/v1/stock", nil).json(t, &views)
	require.Contains(t, views, ackscale.StockView{ZoneID: "cn-hangzhou-g", InstanceType: "ecs.c5.xlarge", Capacity: 2, InUse: 1, Source: "override"})

	// A negative capacity drops the override.
	require.Equal(t, http.StatusOK, b.admin("PUT", "/admin/v1/stock",
		ackscale.StockOverride{ZoneID: "cn-hangzhou-g", InstanceType: "ecs.c5.xlarge", Capacity: -1}).status)
	views = nil
	b.admin("GET", "/admin/v1/stock", nil).json(t, &views)
	for _, v := range views {
		require.NotEqual(t, "override", v.Source, "%+v", v)
	}
}

func runRequest(clientToken string) ackscale.InstanceRequest {
	vsw := catalog.Default().DefaultVSwitches("cn-hangzhou")[0]
	return ackscale.InstanceRequest{ClientToken: clientToken, AccountID: "acc", RegionID: vsw.RegionID, ZoneID: vsw.ZoneID,
		VSwitchID: vsw.ID, InstanceTypes: []string{"ecs.c5.xlarge"}}
}

func TestQuotas(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		body   any
		status int
		code   string
		want   ackscale.QuotaOverride // the echo, and an override GET lists
	}{
		{name: "UnknownName", body: ackscale.QuotaOverride{AccountID: "a1", Name: "nope", Value: 1},
			status: http.StatusBadRequest, code: ackscale.CodeNotInEnum},
		{name: "UnknownField", body: `{"name":"ens_instances","value":1,"zone":"x"}`,
			status: http.StatusBadRequest, code: ackscale.CodeMalformedBody},
		{name: "EveryAccountByDefault", body: ackscale.QuotaOverride{Name: ackscale.QuotaENSInstances, Value: 7},
			status: http.StatusOK, want: ackscale.QuotaOverride{AccountID: "*", Name: ackscale.QuotaENSInstances, Value: 7}},
		{name: "OneAccount", body: ackscale.QuotaOverride{AccountID: "a1", Name: ackscale.QuotaWorkersPerCluster, Value: 3},
			status: http.StatusOK, want: ackscale.QuotaOverride{AccountID: "a1", Name: ackscale.QuotaWorkersPerCluster, Value: 3}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			a := b.admin("PUT", "/admin/v1/quotas", tt.body)
			require.Equal(t, tt.status, a.status, string(a.raw))
			var report ops.QuotaReport
			if tt.code != "" {
				require.Equal(t, tt.code, a.code(t))
				b.admin("GET", "/admin/v1/quotas", nil).json(t, &report)
				require.Empty(t, report.Overrides)
				return
			}
			var echoed ackscale.QuotaOverride
			a.json(t, &echoed)
			require.Equal(t, tt.want, echoed)
			got := b.admin("GET", "/admin/v1/quotas", nil)
			require.Equal(t, http.StatusOK, got.status)
			got.json(t, &report)
			require.Equal(t, []ackscale.QuotaOverride{tt.want}, report.Overrides)
			require.Nil(t, report.Effective, "effective is only for ?account_id=")
		})
	}
}

func TestQuotasEffective(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.Equal(t, http.StatusOK, b.admin("PUT", "/admin/v1/quotas",
		ackscale.QuotaOverride{AccountID: "*", Name: ackscale.QuotaWorkersPerCluster, Value: 10}).status)
	require.Equal(t, http.StatusOK, b.admin("PUT", "/admin/v1/quotas",
		ackscale.QuotaOverride{AccountID: "a1", Name: ackscale.QuotaWorkersPerCluster, Value: 3}).status)

	for account, want := range map[string]int{"a1": 3, "a2": 10} {
		a := b.admin("GET", "/admin/v1/quotas?account_id="+account, nil)
		require.Equal(t, http.StatusOK, a.status)
		var report ops.QuotaReport
		a.json(t, &report)
		require.Len(t, report.Overrides, 2)
		require.Equal(t, want, report.Effective[ackscale.QuotaWorkersPerCluster], account)
		for _, name := range ackscale.Quotas() {
			require.Contains(t, report.Effective, name)
		}
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		body any
		code string // "": accepted
	}{
		{name: "Valid", body: ackscale.Fault{Operation: ackscale.FaultCreate, Code: ackscale.CodeNoStock, Count: 2}},
		{name: "ValidLatency", body: ackscale.Fault{Operation: ackscale.FaultRelease, Latency: time.Second}},
		{name: "ValidNeverRunning", body: ackscale.Fault{Operation: ackscale.FaultStart, NeverRunning: true}},
		{name: "UnknownOperation", body: ackscale.Fault{Operation: "explode", Code: "X"}, code: ackscale.CodeNotInEnum},
		{name: "Probability", body: ackscale.Fault{Operation: ackscale.FaultCreate, Code: "X", Probability: 1.5}, code: ackscale.CodeOutOfRange},
		{name: "NegativeCount", body: ackscale.Fault{Operation: ackscale.FaultCreate, Code: "X", Count: -1}, code: ackscale.CodeOutOfRange},
		{name: "NegativeLatency", body: ackscale.Fault{Operation: ackscale.FaultCreate, Latency: -time.Second}, code: ackscale.CodeOutOfRange},
		{name: "NoEffect", body: ackscale.Fault{Operation: ackscale.FaultCreate}, code: ackscale.CodeMissingParameter},
		{name: "NeverRunningOnCreate", body: ackscale.Fault{Operation: ackscale.FaultCreate, NeverRunning: true}, code: ackscale.CodeConflict},
		{name: "UnknownField", body: `{"operation":"create","code":"X","when":"now"}`, code: ackscale.CodeMalformedBody},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			a := b.admin("POST", "/admin/v1/faults", tt.body)
			var list []ackscale.Fault
			if tt.code != "" {
				require.Equal(t, http.StatusBadRequest, a.status, string(a.raw))
				require.Equal(t, tt.code, a.code(t))
				b.admin("GET", "/admin/v1/faults", nil).json(t, &list)
				require.Empty(t, list)
				return
			}
			require.Equal(t, http.StatusCreated, a.status, string(a.raw))
			var created ackscale.Fault
			a.json(t, &created)
			require.NotEmpty(t, created.ID)
			require.False(t, created.Created.IsZero())

			got := b.admin("GET", "/admin/v1/faults", nil)
			require.Equal(t, http.StatusOK, got.status)
			got.json(t, &list)
			require.Len(t, list, 1)
			require.Equal(t, created.ID, list[0].ID)
		})
	}
}

func TestFaultDelete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	add := func() string {
		var f ackscale.Fault
		a := b.admin("POST", "/admin/v1/faults", ackscale.Fault{Operation: ackscale.FaultCreate, Code: ackscale.CodeNoStock})
		require.Equal(t, http.StatusCreated, a.status, string(a.raw))
		a.json(t, &f)
		return f.ID
	}
	ids := func() []string {
		var list []ackscale.Fault
		a := b.admin("GET", "/admin/v1/faults", nil)
		require.Equal(t, http.StatusOK, a.status)
		a.json(t, &list)
		out := []string{}
		for _, f := range list {
			out = append(out, f.ID)
		}
		return out
	}
	first, second, third := add(), add(), add()
	require.ElementsMatch(t, []string{first, second, third}, ids())

	a := b.admin("DELETE", "/admin/v1/faults/"+second, nil)
	require.Equal(t, http.StatusNoContent, a.status)
	require.Empty(t, a.raw)
	require.ElementsMatch(t, []string{first, third}, ids())

	// Deleting a fault that is gone is not an error.
	require.Equal(t, http.StatusNoContent, b.admin("DELETE", "/admin/v1/faults/"+second, nil).status)

	require.Equal(t, http.StatusNoContent, b.admin("DELETE", "/admin/v1/faults", nil).status)
	require.Empty(t, ids())
	require.Equal(t, "[]\n", string(b.admin("GET", "/admin/v1/faults", nil).raw))
}

func TestInstances(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	in, err := b.cloud.RunInstance(ctx, runRequest("one"))
	require.NoError(t, err)
	require.NoError(t, b.cloud.ReleaseInstance(ctx, in.ID))
	live, err := b.cloud.RunInstance(ctx, runRequest("two"))
	require.NoError(t, err)

	a := b.admin("GET", "/admin/v1/instances", nil)
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	var list []ackscale.Instance
	a.json(t, &list)
	require.Len(t, list, 2, "released instances are listed too")
	require.ElementsMatch(t, []string{in.ID, live.ID}, []string{list[0].ID, list[1].ID})
}

func TestInstancesEmptyIsArray(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.admin("GET", "/admin/v1/instances", nil)
	require.Equal(t, http.StatusOK, a.status)
	require.JSONEq(t, `[]`, string(a.raw))
}

func TestCheck(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	_, err := b.cloud.RunInstance(ctx, runRequest("one"))
	require.NoError(t, err)

	a := b.admin("GET", "/admin/v1/check", nil)
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	var fields map[string]int
	a.json(t, &fields)
	for _, k := range []string{"instances", "live", "released", "workers", "detached", "leaked", "lost", "duplicated",
		"tasks_running", "tasks_succeeded", "tasks_failed"} {
		require.Contains(t, fields, k)
	}
	var c ackscale.Check
	a.json(t, &c)
	want, err := b.store.Check(ctx)
	require.NoError(t, err)
	require.Equal(t, want, c)
	require.Equal(t, 1, c.Instances)
	require.Equal(t, 1, c.Leaked, "an instance no worker records")
}

func TestRouting(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tt := range []struct {
		method, path string
		status       int
		allow        string // the Allow header of a 405
	}{
		{method: "GET", path: "/admin/v1/nope", status: http.StatusNotFound},
		{method: "GET", path: "/admin/v2/stock", status: http.StatusNotFound},
		{method: "GET", path: "/", status: http.StatusNotFound},
		{method: "POST", path: "/admin/v1/stock", status: http.StatusMethodNotAllowed, allow: "PUT"},
		{method: "DELETE", path: "/admin/v1/quotas", status: http.StatusMethodNotAllowed, allow: "PUT"},
		{method: "PUT", path: "/admin/v1/faults", status: http.StatusMethodNotAllowed, allow: "POST"},
		{method: "GET", path: "/admin/v1/faults/f-1", status: http.StatusMethodNotAllowed, allow: "DELETE"},
		{method: "POST", path: "/admin/v1/instances", status: http.StatusMethodNotAllowed, allow: "GET"},
		{method: "DELETE", path: "/admin/v1/check", status: http.StatusMethodNotAllowed, allow: "GET"},
	} {
		a := b.admin(tt.method, tt.path, nil)
		require.Equal(t, tt.status, a.status, "%s %s: %s", tt.method, tt.path, a.raw)
		if tt.allow != "" {
			require.Contains(t, a.header.Get("Allow"), tt.allow, "%s %s", tt.method, tt.path)
		}
	}
}

// TestRoutingErrorsAreJSON: docs/cloud.md says the admin interface's
// errors are JSON {"code","message"}.
func TestRoutingErrorsAreJSON(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tt := range []struct {
		method, path string
		status       int
		code         string
	}{
		{method: "GET", path: "/admin/v1/nope", status: http.StatusNotFound, code: ackscale.CodeRouteNotFound},
		{method: "POST", path: "/admin/v1/stock", status: http.StatusMethodNotAllowed, code: ackscale.CodeMethodNotAllowed},
	} {
		a := b.admin(tt.method, tt.path, nil)
		require.Equal(t, tt.status, a.status)
		require.Contains(t, a.header.Get("Content-Type"), "application/json")
		require.Equal(t, tt.code, a.code(t))
	}
}

// failingChecker fails as a broken dependency does: with a plain error.
type failingChecker struct{}

func (failingChecker) Check(context.Context) (ackscale.Check, error) {
	return ackscale.Check{}, errors.New("disk on fire at /var/secret/path")
}

func TestInternalError(t *testing.T) {
	t.Parallel()
	b := setupWith(t, token, func(c *ops.Config) { c.Checker = failingChecker{} })
	a := b.admin("GET", "/admin/v1/check", nil)
	require.Equal(t, http.StatusInternalServerError, a.status)
	var e struct{ Code, Message string }
	a.json(t, &e)
	require.Equal(t, ackscale.CodeInternal, e.Code)
	require.Equal(t, "internal error", e.Message)
	require.NotContains(t, string(a.raw), "disk on fire")
	require.Contains(t, b.logs.String(), "disk on fire at /var/secret/path")
	require.Contains(t, b.logs.String(), "level=ERROR")
}

// TestClientErrorsAreNotLogged: only internal errors are logged.
func TestClientErrorsAreNotLogged(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.Equal(t, http.StatusBadRequest, b.admin("PUT", "/admin/v1/quotas", ackscale.QuotaOverride{Name: "nope"}).status)
	require.Equal(t, http.StatusUnauthorized, b.do("GET", "/admin/v1/check", "", nil).status)
	require.NotContains(t, b.logs.String(), "level=ERROR")
}

func TestNoCheckerIsInternal(t *testing.T) {
	t.Parallel()
	b := setupWith(t, token, func(c *ops.Config) { c.Checker = nil })
	a := b.admin("GET", "/admin/v1/check", nil)
	require.Equal(t, http.StatusInternalServerError, a.status)
	require.Equal(t, ackscale.CodeInternal, a.code(t))
}

func TestNilLogger(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(adminapi.New(nil, "", nil))
	t.Cleanup(srv.Close)
	b := &testBundle{t: t, srv: srv}
	a := b.admin("GET", "/admin/v1/check", nil)
	require.Equal(t, http.StatusUnauthorized, a.status)
}
