package hostile

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/acsclient"
	"github.com/ackscale/ackscale/internal/testserver"
)

// TestMain removes the ackscale binary testserver built once the tests end.
func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }

// fixture is one running server with two accounts: a owns two clusters, one
// scaled out by a node; b owns nothing and is the intruder.
type fixture struct {
	srv                *testserver.Server
	a, b               account
	cluster1, cluster2 string   // a's clusters
	task               string   // a's scale-out task of cluster1
	node               string   // a node name of cluster1
	leaks              *leakSet // every secret and signature sent
}

func setup(t *testing.T) *fixture {
	t.Helper()
	srv := testserver.Start(t, testserver.Options{Args: []string{"--boot-latency", "0", "--log-level", "debug"}})
	f := &fixture{srv: srv, a: account{srv.AccessKeyID, srv.AccessKeySecret}, b: createAccount(t, srv), leaks: &leakSet{}}
	f.leaks.add(f.a.secret, f.b.secret)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := f.clientOf(f.a)
	f.cluster1 = f.createCluster(ctx, t, "hostile-1")
	f.cluster2 = f.createCluster(ctx, t, "hostile-2")
	var acc acsclient.Accepted
	require.NoError(t, c.Do(ctx, "POST", "/api/v2/clusters/"+f.cluster1, map[string]any{"count": 1, "key_pair": "secrity-key",
		"worker_instance_types": []string{"ecs.c5.xlarge"}}, &acc))
	task, err := c.WaitTask(ctx, acc.TaskID, 20*time.Millisecond)
	require.NoError(t, err)
	require.Equal(t, "success", task.State)
	f.task = acc.TaskID
	nodes := f.nodes(ctx, t, f.cluster1)
	require.Len(t, nodes, 1)
	f.node = nodes[0]
	return f
}

// createAccount runs `ackscale account create` against the running
// server's data directory.
func createAccount(t *testing.T, srv *testserver.Server) account {
	t.Helper()
	k := srv.CreateAccount(t)
	require.NotEmpty(t, k.AccessKeyID)
	require.NotEmpty(t, k.AccessKeySecret)
	return account{k.AccessKeyID, k.AccessKeySecret}
}

func (f *fixture) createCluster(ctx context.Context, t *testing.T, name string) string {
	t.Helper()
	var acc acsclient.Accepted
	require.NoError(t, f.clientOf(f.a).Do(ctx, "POST", "/clusters", map[string]any{"name": name,
		"region_id": "cn-hangzhou", "cluster_type": "ManagedKubernetes"}, &acc))
	task, err := f.clientOf(f.a).WaitTask(ctx, acc.TaskID, 20*time.Millisecond)
	require.NoError(t, err)
	require.Equal(t, "success", task.State)
	return acc.ClusterID
}

func (f *fixture) nodes(ctx context.Context, t *testing.T, clusterID string) []string {
	t.Helper()
	var out struct {
		Nodes []struct {
			NodeName string `json:"node_name"`
		} `json:"nodes"`
	}
	require.NoError(t, f.clientOf(f.a).Do(ctx, "GET", "/clusters/"+clusterID+"/nodes?pageSize=100", nil, &out))
	var names []string
	for _, n := range out.Nodes {
		names = append(names, n.NodeName)
	}
	return names
}

// clientOf returns a signing client of account k whose signatures are
// remembered for the log check.
func (f *fixture) clientOf(k account) *acsclient.Client {
	c := f.srv.Client()
	c.AccessKeyID, c.Secret = k.key, k.secret
	c.HTTP = &http.Client{Timeout: 30 * time.Second, Transport: recordingTransport{f.leaks}}
	return c
}

// recordingTransport remembers the signature of every request it sends.
type recordingTransport struct{ leaks *leakSet }

func (rt recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	auth := req.Header.Get("Authorization")
	if i := strings.LastIndex(auth, "Signature="); i >= 0 {
		rt.leaks.add(auth[i+len("Signature="):])
	}
	return http.DefaultTransport.RoundTrip(req)
}

// clusterCount is account k's total_count of DescribeClustersV1.
func (f *fixture) clusterCount(t *testing.T, k account) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out struct {
		PageInfo struct {
			TotalCount int `json:"total_count"`
		} `json:"page_info"`
	}
	require.NoError(t, f.clientOf(k).Do(ctx, "GET", "/api/v1/clusters?page_size=100", nil, &out))
	return out.PageInfo.TotalCount
}

// requireServing checks that the server answers a good signed request
// promptly (the bound is generous: this is liveness, not speed).
func (f *fixture) requireServing(t *testing.T) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	err := f.clientOf(f.a).Do(ctx, "GET", "/api/v1/clusters", nil, nil)
	require.NoError(t, err, "the server no longer answers a good request")
	return time.Since(start)
}

// acs3 returns a request of account k signed with ACS3-HMAC-SHA256 after
// the pre edits; the signature is remembered for the log check.
func (f *fixture) acs3(k account, method, target string, body []byte, pre ...func(*wireReq)) *wireReq {
	w := newReq(method, target, body)
	for _, p := range pre {
		p(w)
	}
	f.leaks.add(signACS3(w, f.srv.Addr, k))
	return w
}

// roa returns a request of account k signed with ROA v2 (with Content-MD5
// when withMD5) after the pre edits.
func (f *fixture) roa(k account, method, target string, body []byte, withMD5 bool, pre ...func(*wireReq)) *wireReq {
	w := newReq(method, target, body)
	for _, p := range pre {
		p(w)
	}
	f.leaks.add(signROA(w, k, withMD5))
	return w
}

func (f *fixture) send(t *testing.T, w *wireReq) answer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, err := send(ctx, f.srv.Addr, w)
	require.NoError(t, err)
	return a
}

// results is what the subtests measured, for the summary line.
type results struct {
	tampered, controls     int
	protocol, crossAccount int
	replayRacers           int
	bigBody                []string
	slowHeaderClients      int
	slowHeaderClosed       time.Duration
	slowBodyClosed         time.Duration
	slowBodyAnswer         string
	slowWorst              time.Duration
	idle, keptAlive        int
	idleGood               time.Duration
	idleReaped             time.Duration
}

// TestHostile runs the whole suite against one server, then checks that it
// is still up, that nothing was created or changed by a refused request,
// and that its logs hold no panic, secret or signature.
func TestHostile(t *testing.T) {
	start := time.Now()
	f := setup(t)
	countA, countB := f.clusterCount(t, f.a), f.clusterCount(t, f.b)
	var r results
	t.Run("suite", func(t *testing.T) {
		t.Run("tampered", func(t *testing.T) { t.Parallel(); r.tampered, r.controls = f.testTampered(t) })
		t.Run("other account", func(t *testing.T) { t.Parallel(); r.crossAccount = f.testOtherAccount(t) })
		t.Run("concurrent replay", func(t *testing.T) { t.Parallel(); r.replayRacers = f.testConcurrentReplay(t) })
		t.Run("protocol", func(t *testing.T) { t.Parallel(); r.protocol = f.testProtocol(t) })
		t.Run("body too large", func(t *testing.T) { t.Parallel(); r.bigBody = f.testBodyTooLarge(t) })
		t.Run("slow headers", func(t *testing.T) { t.Parallel(); f.testSlowHeaders(t, &r) })
		t.Run("slow body", func(t *testing.T) { t.Parallel(); f.testSlowBody(t, &r) })
		t.Run("idle connections", func(t *testing.T) { t.Parallel(); f.testIdleConnections(t, &r) })
	})

	f.requireServing(t)
	// The concurrent replay created exactly one cluster; nothing else did.
	require.Equal(t, countA+1, f.clusterCount(t, f.a), "clusters of account a")
	require.Equal(t, countB, f.clusterCount(t, f.b), "clusters of account b")
	f.requireUntouched(t)
	f.requireCleanLogs(t)

	verdict := "all refused as documented"
	if t.Failed() {
		verdict = "FAILURES above"
	}
	fmt.Printf("hostile requests: %d cases (%d tampered, %d other-account, %d protocol), %s; %d well-signed odd controls accepted; "+
		"replay race: 1 of %d accepted; "+
		"10 MiB body: %s; slow headers: %d clients closed by %.1fs (good requests <= %s); slow body: %s at %.1fs; "+
		"idle connections: %d silent + %d kept alive (good request in %s, silent ones all closed by the server after %.1fs); "+
		"server up, logs clean; %.1fs\n",
		r.tampered+r.crossAccount+r.protocol, r.tampered, r.crossAccount, r.protocol, verdict, r.controls, r.replayRacers,
		strings.Join(r.bigBody, ", "), r.slowHeaderClients, r.slowHeaderClosed.Seconds(), r.slowWorst.Round(time.Millisecond),
		r.slowBodyAnswer, r.slowBodyClosed.Seconds(), r.idle, r.keptAlive, r.idleGood.Round(time.Millisecond), r.idleReaped.Seconds(),
		time.Since(start).Seconds())
}

// requireUntouched checks that no refused request changed a's clusters:
// both still running, cluster1 still with its one node.
func (f *fixture) requireUntouched(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, id := range []string{f.cluster1, f.cluster2} {
		var c struct{ State ackscale.ClusterState }
		require.NoError(t, f.clientOf(f.a).Do(ctx, "GET", "/clusters/"+id, nil, &c))
		require.Equal(t, ackscale.ClusterRunning, c.State, id)
	}
	require.Equal(t, []string{f.node}, f.nodes(ctx, t, f.cluster1))
	require.Empty(t, f.nodes(ctx, t, f.cluster2))
}

// panicRe matches a Go panic or a logged recovered one.
var panicRe = regexp.MustCompile(`(?i)panic|goroutine \d+ \[`)

func (f *fixture) requireCleanLogs(t *testing.T) {
	t.Helper()
	logs := f.srv.Logs()
	require.NotEmpty(t, logs)
	require.False(t, panicRe.MatchString(logs), "the server logged a panic:\n%s", lastLines(logs, 40))
	require.NotContains(t, logs, `"code":"InternalError"`, "a hostile request caused an internal error")
	leaks := f.leaks.list()
	require.Greater(t, len(leaks), 50, "signatures recorded")
	for _, s := range leaks {
		require.NotContains(t, logs, s, "the server logged a secret or a signature")
	}
	t.Logf("server logs: %d lines, checked for %d secrets and signatures", strings.Count(logs, "\n"), len(leaks))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
