package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
	"github.com/ackscale/ackscale/internal/acsclient"
	"github.com/ackscale/ackscale/internal/dirlock"
)

type testBundle struct {
	ctx   context.Context
	dir   string
	cfg   serveConfig
	app   *app
	close func() // closes app once
}

// setup builds ackscale on a fresh data dir, without Kubernetes and with
// instant boots; the app is closed when the test ends unless the test
// closed it with b.close.
func setup(t *testing.T) *testBundle {
	t.Helper()
	b := &testBundle{ctx: context.Background(), dir: t.TempDir()}
	b.cfg = serveConfig{DataDir: b.dir, Kube: "off", BootLatency: 0, TimeScale: 1}
	b.app, b.close = b.build(t)
	return b
}

// build opens the bundle's data dir (again) and returns the app and a
// function that closes it once, also called when the test ends.
func (b *testBundle) build(t *testing.T) (*app, func()) {
	t.Helper()
	a, err := build(b.ctx, b.cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	closeOnce := sync.OnceFunc(a.close)
	t.Cleanup(closeOnce)
	return a, closeOnce
}

// serveHandler serves the bundle's app with httptest.
func (b *testBundle) serveHandler(t *testing.T) *httptest.Server {
	t.Helper()
	h, err := b.app.handler(b.cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url, auth string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

func TestHandlerServesBothAPIs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	srv := b.serveHandler(t)
	tok, err := adminToken(b.dir, true)
	require.NoError(t, err)
	require.NotEmpty(t, tok)

	for _, tt := range []struct {
		name, path, auth string
		status           int
		code             string
	}{
		{name: "CSUnsigned", path: "/clusters", status: http.StatusUnauthorized, code: ackscale.CodeMissingAuthorization},
		{name: "AdminNoToken", path: "/admin/v1/check", status: http.StatusUnauthorized, code: ackscale.CodeMissingAuthorization},
		{name: "AdminWrongToken", path: "/admin/v1/check", auth: "Bearer nope", status: http.StatusUnauthorized,
			code: ackscale.CodeMissingAuthorization},
		{name: "AdminCheck", path: "/admin/v1/check", auth: "Bearer " + tok, status: http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, body := get(t, srv.URL+tt.path, tt.auth)
			require.Equal(t, tt.status, status, body)
			if tt.code != "" {
				require.Equal(t, tt.code, body["code"], body)
				return
			}
			require.Contains(t, body, "instances") // the check's counts
		})
	}
}

// TestHandlerRunsTasks: a signed CS API request through the wired handler
// is accepted and its task runs to the end once River is started.
func TestHandlerRunsTasks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	srv := b.serveHandler(t)
	require.NoError(t, b.app.startJobs(b.ctx))
	k, err := b.app.ops.CreateAccount(b.ctx)
	require.NoError(t, err)
	c := &acsclient.Client{BaseURL: srv.URL, AccessKeyID: k.AccessKeyID, Secret: k.AccessKeySecret}

	var acc acsclient.Accepted
	require.NoError(t, c.Do(b.ctx, "POST", "/clusters", map[string]any{"name": "wired", "region_id": "cn-hangzhou",
		"cluster_type": "ManagedKubernetes"}, &acc))
	require.NotEmpty(t, acc.TaskID)
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	task, err := c.WaitTask(ctx, acc.TaskID, 20*time.Millisecond)
	require.NoError(t, err)
	require.Equal(t, "success", task.State, task.Error)

	// The accounts the CS API checks signatures against are the database's.
	for _, tt := range []struct {
		id, secret, code string
	}{
		{id: "LTAInope", secret: k.AccessKeySecret, code: ackscale.CodeAccessKeyNotFound},
		{id: k.AccessKeyID, secret: "wrong", code: ackscale.CodeSignatureMismatch},
	} {
		bad := &acsclient.Client{BaseURL: srv.URL, AccessKeyID: tt.id, Secret: tt.secret}
		var e *acsclient.Error
		require.ErrorAs(t, bad.Do(b.ctx, "GET", "/clusters", nil, nil), &e)
		require.Equal(t, tt.code, e.Code)
	}
}

func TestCloseClosesTheDatabase(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.NoError(t, b.app.db.sqlDB.Ping())
	b.close()
	require.Error(t, b.app.db.sqlDB.Ping())
}

func TestCloseAfterStartJobs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.NoError(t, b.app.startJobs(b.ctx))
	start := time.Now()
	b.close()
	require.Less(t, time.Since(start), 5*time.Second)
	require.Error(t, b.app.db.sqlDB.Ping())
}

// TestBuildReopens: the database persists across builds on one dir.
func TestBuildReopens(t *testing.T) {
	t.Parallel()
	b := setup(t)
	k, err := b.app.ops.CreateAccount(b.ctx)
	require.NoError(t, err)
	b.close()

	again, closeAgain := b.build(t)
	acct, secret, err := again.stores.Accounts.AccountGetByKey(b.ctx, k.AccessKeyID)
	require.NoError(t, err)
	require.Equal(t, k.AccountID, acct.ID)
	require.Equal(t, k.AccessKeySecret, secret)
	closeAgain()
}

func TestBuildFails(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		configure func(cfg *serveConfig)
		want      string
	}{
		{name: "MissingCatalog", configure: func(c *serveConfig) { c.CatalogFile = filepath.Join(c.DataDir, "nope.json") }, want: "nope.json"},
		{name: "BadKube", configure: func(c *serveConfig) { c.Kube = "bogus" }, want: "--kube=bogus"},
		{name: "KubeOnWithoutBinaries", configure: func(c *serveConfig) { c.Kube, c.KubeBin = "on", c.DataDir }, want: "kube-apiserver"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfg := serveConfig{DataDir: dir, Kube: "off", BootLatency: -1, TimeScale: 1}
			tt.configure(&cfg)
			_, err := build(context.Background(), cfg, slog.New(slog.DiscardHandler))
			require.ErrorContains(t, err, tt.want)

			// A failed build closed what it opened: the dir builds again.
			a, err := build(context.Background(), serveConfig{DataDir: dir, Kube: "off", TimeScale: 1}, slog.New(slog.DiscardHandler))
			require.NoError(t, err)
			a.close()
		})
	}
}

func TestBootLatency(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   time.Duration
		want *time.Duration
	}{
		{in: -1, want: nil},
		{in: -time.Hour, want: nil},
		{in: 0, want: new(time.Duration(0))},
		{in: 3 * time.Second, want: new(3 * time.Second)},
	} {
		require.Equal(t, tt.want, bootLatency(tt.in), "%s", tt.in)
	}
}

func TestLoadCatalog(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	custom := filepath.Join(dir, "catalog.json")
	require.NoError(t, os.WriteFile(custom, catalog.DefaultJSON(), 0o600))
	broken := filepath.Join(dir, "broken.json")
	require.NoError(t, os.WriteFile(broken, []byte(`{"regions": [`), 0o600))

	c, err := loadCatalog("")
	require.NoError(t, err)
	require.Same(t, catalog.Default(), c)

	c, err = loadCatalog(custom)
	require.NoError(t, err)
	require.NotSame(t, catalog.Default(), c)
	require.Equal(t, catalog.Default().Document(), c.Document())

	for _, path := range []string{filepath.Join(dir, "missing.json"), broken, dir} {
		_, err := loadCatalog(path)
		require.Error(t, err, path)
	}
}

func TestStartKube(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	for _, tt := range []struct {
		kube string
		err  string // "": a nil manager and no error
	}{
		{kube: "off"},
		{kube: "auto"}, // --kube-bin has no binaries
		{kube: "on", err: "kube-apiserver and etcd not found"},
		{kube: "bogus", err: "want on, off or auto"},
		{kube: "", err: "want on, off or auto"},
	} {
		dir := t.TempDir()
		m, err := startKube(context.Background(), serveConfig{Kube: tt.kube, KubeBin: dir, DataDir: dir}, catalog.Default(), nil, nil, log)
		require.Nil(t, m, tt.kube)
		if tt.err == "" {
			require.NoError(t, err, tt.kube)
			continue
		}
		require.ErrorContains(t, err, tt.err, tt.kube)
	}
}

func TestListenAndServeErrors(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { taken.Close() })
	log := slog.New(slog.DiscardHandler)
	for _, addr := range []string{taken.Addr().String(), "256.0.0.1:0", "nope"} {
		err := listenAndServe(context.Background(), addr, http.NotFoundHandler(), nil, log, nil)
		require.ErrorContains(t, err, "listen:", addr)
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "key.json")
	k, err := loadOrCreateKey(path)
	require.NoError(t, err)
	require.Equal(t, defaultAccountID, k.AccountID)
	require.NotEmpty(t, k.AccessKeyID)
	require.NotEmpty(t, k.AccessKeySecret)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	again, err := loadOrCreateKey(path)
	require.NoError(t, err)
	require.Equal(t, k, again)

	broken := filepath.Join(dir, "broken.json")
	require.NoError(t, os.WriteFile(broken, []byte("{"), 0o600))
	for _, p := range []string{broken, dir, filepath.Join(dir, "missing", "key.json")} {
		_, err := loadOrCreateKey(p)
		require.ErrorContains(t, err, p)
	}
}

// TestEnsureDefaultAccount sets the environment, so it is not parallel.
// The cases share one database (each ensures the same account) and have a
// data dir each for the key file.
func TestEnsureDefaultAccount(t *testing.T) {
	b := setup(t)
	for _, tt := range []struct {
		name, id, secret string
		err              string
	}{
		{name: "FromEnvironment", id: "LTAIfromenv", secret: "env-secret"},
		{name: "OnlyID", id: "LTAIfromenv", err: "set both"},
		{name: "OnlySecret", secret: "env-secret", err: "set both"},
		{name: "Generated"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("ACKSCALE_ACCESS_KEY_ID", tt.id)
			t.Setenv("ACKSCALE_ACCESS_KEY_SECRET", tt.secret)
			dir := t.TempDir()
			keyPath := filepath.Join(dir, "default-key.json")
			err := ensureDefaultAccount(b.ctx, b.app.stores.Accounts, dir, false)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				require.NoFileExists(t, keyPath)
				return
			}
			require.NoError(t, err)
			want := keyFile{AccountID: defaultAccountID, AccessKeyID: tt.id, AccessKeySecret: tt.secret}
			if tt.id == "" {
				fi, err := os.Stat(keyPath)
				require.NoError(t, err)
				require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
				raw, err := os.ReadFile(keyPath)
				require.NoError(t, err)
				require.NoError(t, json.Unmarshal(raw, &want))
				require.Equal(t, defaultAccountID, want.AccountID)
				require.NotEmpty(t, want.AccessKeyID)
				require.NotEmpty(t, want.AccessKeySecret)

				// The next start reuses the key.
				require.NoError(t, ensureDefaultAccount(b.ctx, b.app.stores.Accounts, dir, false))
				again, err := os.ReadFile(keyPath)
				require.NoError(t, err)
				require.Equal(t, raw, again)
			} else {
				require.NoFileExists(t, keyPath)
			}
			acct, secret, err := b.app.stores.Accounts.AccountGetByKey(b.ctx, want.AccessKeyID)
			require.NoError(t, err)
			require.Equal(t, defaultAccountID, acct.ID)
			require.Equal(t, want.AccessKeySecret, secret)
		})
	}
}

// TestEnsureDefaultAccountKeyChanges: a key from the environment replaces
// the generated one of the same account.
func TestEnsureDefaultAccountKeyChanges(t *testing.T) {
	t.Setenv("ACKSCALE_ACCESS_KEY_ID", "")
	t.Setenv("ACKSCALE_ACCESS_KEY_SECRET", "")
	b := setup(t)
	require.NoError(t, ensureDefaultAccount(b.ctx, b.app.stores.Accounts, b.dir, false))
	generated, err := loadOrCreateKey(filepath.Join(b.dir, "default-key.json"))
	require.NoError(t, err)

	t.Setenv("ACKSCALE_ACCESS_KEY_ID", "LTAInew")
	t.Setenv("ACKSCALE_ACCESS_KEY_SECRET", "new-secret")
	require.NoError(t, ensureDefaultAccount(b.ctx, b.app.stores.Accounts, b.dir, false))
	acct, secret, err := b.app.stores.Accounts.AccountGetByKey(b.ctx, "LTAInew")
	require.NoError(t, err)
	require.Equal(t, defaultAccountID, acct.ID)
	require.Equal(t, "new-secret", secret)
	_, _, err = b.app.stores.Accounts.AccountGetByKey(b.ctx, generated.AccessKeyID)
	require.True(t, ackscale.IsNotFound(err), "the old key is gone: %v", err)
}

// TestServeFails: serve fails before it listens (and prints) when the
// data dir or the wiring is wrong, and releases the data dir.
func TestServeFails(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		configure func(t *testing.T, dir string, cfg *serveConfig)
		want      string
	}{
		{name: "DataDirIsAFile", want: "data dir", configure: func(t *testing.T, dir string, c *serveConfig) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "file"), nil, 0o600))
			c.DataDir = filepath.Join(dir, "file", "data")
		}},
		{name: "MissingCatalog", want: "nope.json", configure: func(_ *testing.T, dir string, c *serveConfig) { c.CatalogFile = filepath.Join(dir, "nope.json") }},
		{name: "BadKube", want: "--kube=sometimes", configure: func(_ *testing.T, _ string, c *serveConfig) { c.Kube = "sometimes" }},
		{name: "BadLogFormat", want: "--log-format=xml", configure: func(_ *testing.T, _ string, c *serveConfig) { c.LogFormat = "xml" }},
		{name: "BadLogLevel", want: "--log-level=loud", configure: func(_ *testing.T, _ string, c *serveConfig) { c.LogLevel = "loud" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfg := serveConfig{Addr: "127.0.0.1:0", DataDir: dir, Kube: "off", TimeScale: 1, LogLevel: "error"}
			tt.configure(t, dir, &cfg)
			require.ErrorContains(t, serve(context.Background(), cfg), tt.want)
			if cfg.DataDir == dir {
				unlock, err := dirlock.Lock(filepath.Join(dir, "serve.lock"), dir)
				require.NoError(t, err)
				require.NoError(t, unlock())
			}
		})
	}
}

func TestServePprof(t *testing.T) {
	addr, stop, err := servePprof("127.0.0.1:0", slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	resp, err := http.Get("http://" + addr + "/debug/pprof/cmdline")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, resp.Body.Close())
	stop()
	_, err = http.Get("http://" + addr + "/debug/pprof/cmdline")
	require.Error(t, err, "stopped")
	_, _, err = servePprof("256.0.0.1:1", slog.New(slog.DiscardHandler))
	require.ErrorContains(t, err, "--pprof")
}
