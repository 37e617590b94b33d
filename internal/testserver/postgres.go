package testserver

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BackendEnv selects the store of the servers Start runs: unset or
// "sqlite", each in its data dir; "postgres", each on a schema of its own
// of TEST_DATABASE_URL (dropped when the test ends), so that a harness runs
// unchanged against PostgreSQL.
const BackendEnv = "ACKSCALE_TEST_BACKEND"

// testSecretKey is the secret key of the servers run on PostgreSQL.
const testSecretKey = "5465737453656372657454657374536563726574546573745365637265745465"

var schemaSeq atomic.Int64

// OnPostgres says whether Start runs servers on PostgreSQL.
func OnPostgres() bool { return os.Getenv(BackendEnv) == "postgres" }

// withPostgres adds to opts the flags and environment of a server on a new
// schema of the test database, unless it has a --database of its own.
func withPostgres(t testing.TB, opts Options) Options {
	t.Helper()
	if !OnPostgres() || slices.Contains(opts.Args, "--database") {
		return opts
	}
	url := os.Getenv("TEST_DATABASE_URL")
	if url == "" {
		t.Fatalf("%s=postgres needs TEST_DATABASE_URL", BackendEnv)
	}
	schema := fmt.Sprintf("ts_%d_%d", os.Getpid(), schemaSeq.Add(1))
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	// A stable replica id: a restarted server resumes its jobs at once.
	opts.Args = append([]string{"--database", url, "--schema", schema, "--replica-id", strings.ReplaceAll(schema, "_", "-")},
		opts.Args...)
	opts.Env = append(opts.Env, "ACKSCALE_SECRET_KEY="+testSecretKey)
	if i := slices.Index(opts.Args, "--kube-bin"); i >= 0 && i+1 < len(opts.Args) && slices.Contains(opts.Args, "--kube=on") &&
		!slices.Contains(opts.Args, "--kube-etcd") {
		opts.Args = append(opts.Args, "--kube-etcd", StartEtcd(t, opts.Args[i+1]))
	}
	return opts
}

// StartEtcd runs an etcd from bin on free loopback ports, its data in a
// temporary folder, killed when the test ends (replicas share one; a
// server on PostgreSQL with Kubernetes needs one). It returns its client
// URL once it is healthy.
func StartEtcd(t testing.TB, bin string) string {
	t.Helper()
	client, peer := freePort(t), freePort(t)
	clientURL, peerURL := fmt.Sprintf("http://127.0.0.1:%d", client), fmt.Sprintf("http://127.0.0.1:%d", peer)
	cmd := exec.Command(filepath.Join(bin, "etcd"), "--name", "test", "--data-dir", filepath.Join(t.TempDir(), "etcd"),
		"--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "test="+peerURL, "--log-level", "warn")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start etcd: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(clientURL + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return clientURL
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("etcd did not answer at %s", clientURL)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// databaseArgs are the flags of `ackscale account create` that reach the
// server's database.
func (s *Server) databaseArgs() []string {
	for i, a := range s.opts.Args {
		if a == "--database" && i+3 < len(s.opts.Args) && s.opts.Args[i+2] == "--schema" {
			return []string{"--database", s.opts.Args[i+1], "--schema", s.opts.Args[i+3]}
		}
	}
	return nil
}
