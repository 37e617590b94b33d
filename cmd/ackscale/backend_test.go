package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale/internal/acsclient"
)

func TestSecretKey(t *testing.T) {
	t.Parallel()
	hexKey := strings.Repeat("ab", 32)
	for _, tt := range []struct {
		name, in, err string
		want          byte
	}{
		{name: "Hex", in: hexKey, want: 0xab},
		{name: "Base64", in: "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=", want: 0xab},
		{name: "Missing", err: "openssl rand -hex 32"},
		{name: "Short", in: "abcd", err: "not 32 bytes"},
		{name: "NotHex", in: strings.Repeat("zz", 32), err: "not 32 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key, err := secretKey(tt.in)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Len(t, key, 32)
			require.Equal(t, tt.want, key[0])
		})
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"postgres://u:secret@h:5432/db":      "postgres://u:xxxxx@h:5432/db",
		"postgres://u@h/db":                  "postgres://u@h/db",
		"postgres://h/db":                    "postgres://h/db",
		"mysql://u:p@w@h/db":                 "mysql://u:xxxxx@h/db",
		"host=h user=u":                      "host=h user=u",
		"postgresql://a:b@h/db?sslmode=none": "postgresql://a:xxxxx@h/db?sslmode=none",
	} {
		require.Equal(t, want, redactURL(in), in)
	}
}

func TestOpenBackendRefuses(t *testing.T) {
	for _, tt := range []struct {
		name, database, key, want string
	}{
		{name: "UnknownScheme", database: "mysql://u:pw@h/db", want: "want sqlite or a postgres:// URL"},
		{name: "PasswordHidden", database: "mysql://u:hunter2@h/db", want: "mysql://u:xxxxx@h/db"},
		{name: "PostgresWithoutKey", database: "postgres://u@127.0.0.1:1/db", want: "ACKSCALE_SECRET_KEY"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel with the others: t.Setenv.
			t.Setenv("ACKSCALE_SECRET_KEY", tt.key)
			_, err := build(context.Background(), serveConfig{DataDir: t.TempDir(), Kube: "off", TimeScale: 1, Database: tt.database},
				discardLog())
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), "hunter2")
		})
	}
}

// pgURL returns the test PostgreSQL's URL (TEST_DATABASE_URL); the test
// skips without one, and fails under CI=true.
func pgURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("TEST_DATABASE_URL")
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TEST_DATABASE_URL is not set: CI must run the PostgreSQL tests (.ci/run starts a server and sets it)")
		}
		t.Skip("TEST_DATABASE_URL is not set")
	}
	return url
}

var schemaSeq atomic.Int64

// pgSchema returns a new schema name, dropped when the test ends.
func pgSchema(t *testing.T, url string) string {
	t.Helper()
	name := fmt.Sprintf("cmdtest_%d_%d", os.Getpid(), schemaSeq.Add(1))
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), url)
		require.NoError(t, err)
		defer conn.Close(context.Background())
		_, err = conn.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+name+` CASCADE`)
		require.NoError(t, err)
	})
	return name
}

// TestBuildPostgres wires ackscale on PostgreSQL: the default account
// needs the key every replica shares, a signed request runs its task to
// the end, and the replica is known to the database while it runs and
// forgotten when it closes.
func TestBuildPostgres(t *testing.T) {
	url := pgURL(t)
	t.Setenv("ACKSCALE_SECRET_KEY", strings.Repeat("01", 32))
	t.Setenv("ACKSCALE_ACCESS_KEY_ID", "")
	t.Setenv("ACKSCALE_ACCESS_KEY_SECRET", "")
	b := &testBundle{ctx: context.Background(), dir: t.TempDir()}
	b.cfg = serveConfig{DataDir: b.dir, Kube: "off", TimeScale: 1, Database: url, Schema: pgSchema(t, url), ReplicaID: "r1"}
	b.app, b.close = b.build(t)
	require.Equal(t, "postgres", b.app.db.kind)
	require.Nil(t, b.app.db.sqlDB)

	err := ensureDefaultAccount(b.ctx, b.app.stores.Accounts, b.dir, true)
	require.ErrorContains(t, err, "the same for every replica")
	require.NoFileExists(t, b.dir+"/default-key.json")

	require.NoError(t, b.app.replica.start(b.ctx))
	srv := b.serveHandler(t)
	require.NoError(t, b.app.startJobs(b.ctx))
	k, err := b.app.ops.CreateAccount(b.ctx)
	require.NoError(t, err)
	c := &acsclient.Client{BaseURL: srv.URL, AccessKeyID: k.AccessKeyID, Secret: k.AccessKeySecret}
	var acc acsclient.Accepted
	require.NoError(t, c.Do(b.ctx, "POST", "/clusters", map[string]any{"name": "pg", "region_id": "cn-hangzhou",
		"cluster_type": "ManagedKubernetes"}, &acc))
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	task, err := c.WaitTask(ctx, acc.TaskID, 20*time.Millisecond)
	require.NoError(t, err)
	require.Equal(t, "success", task.State, task.Error)

	replicas, err := b.app.db.pg.ReplicaList(b.ctx, time.Minute)
	require.NoError(t, err)
	require.Len(t, replicas, 1)
	require.Equal(t, "r1", replicas[0].ID)
	require.NoError(t, b.app.readyChecks(b.ctx)[0].Func(b.ctx), "the database check")
	b.close()
	other, err := build(b.ctx, serveConfig{DataDir: t.TempDir(), Kube: "off", TimeScale: 1, Database: url, Schema: b.cfg.Schema},
		discardLog())
	require.NoError(t, err)
	defer other.close()
	replicas, err = other.db.pg.ReplicaList(b.ctx, time.Minute)
	require.NoError(t, err)
	require.Empty(t, replicas, "a replica that closes leaves")
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestReplicaTake: a second process cannot take the id of a live replica;
// a process taking the id of a dead one resumes its running jobs.
func TestReplicaTake(t *testing.T) {
	url := pgURL(t)
	t.Setenv("ACKSCALE_SECRET_KEY", strings.Repeat("01", 32))
	ctx := context.Background()
	a, err := build(ctx, serveConfig{DataDir: t.TempDir(), Kube: "off", TimeScale: 1, Database: url, Schema: pgSchema(t, url),
		ReplicaID: "same"}, discardLog())
	require.NoError(t, err)
	defer a.close()
	require.NoError(t, a.replica.start(ctx))
	twin := &replicaLoop{db: a.db.pg, id: "same", log: discardLog()}
	require.ErrorContains(t, twin.take(ctx), "in use by a live replica")

	// The first one dies (stops beating) with a job running.
	a.replica.stop()
	var job int64
	require.NoError(t, a.db.pg.Pool().QueryRow(ctx, `INSERT INTO river_job (args, kind, max_attempts, queue, state, attempt,
		attempted_at, attempted_by) VALUES ('{}', 'test', 10, 'default', 'running', 1, now(), ARRAY['same']) RETURNING id`).Scan(&job))
	start := time.Now()
	require.NoError(t, twin.take(ctx))
	require.Less(t, time.Since(start), idleBefore+time.Second)
	var state string
	require.NoError(t, a.db.pg.Pool().QueryRow(ctx, `SELECT state::text FROM river_job WHERE id = $1`, job).Scan(&state))
	require.Equal(t, "available", state)
}

func TestPublicURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		cfg  serveConfig
		want string
		err  string
	}{
		{name: "Given", cfg: serveConfig{PublicURL: "https://lb.example:9696/"}, want: "https://lb.example:9696"},
		{name: "NotHTTPS", cfg: serveConfig{PublicURL: "http://lb:9696"}, err: "want https://"},
		{name: "NoHost", cfg: serveConfig{PublicURL: "https://"}, err: "want https://"},
		{name: "FromAddr", cfg: serveConfig{Addr: "10.0.0.5:9691"}, want: "https://10.0.0.5:9691"},
		{name: "Wildcard", cfg: serveConfig{Addr: "0.0.0.0:9691"}, want: "https://127.0.0.1:9691"},
		{name: "NoHostAddr", cfg: serveConfig{Addr: ":9691"}, want: "https://127.0.0.1:9691"},
		{name: "PortZero", cfg: serveConfig{Addr: "127.0.0.1:0"}, err: "port 0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := publicURL(tt.cfg)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}
