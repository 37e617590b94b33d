package k8s

import (
	"context"
	"encoding/pem"
	"maps"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale/catalog"
	"github.com/ackscale/ackscale/internal/testserver"
)

// fakeHosts is the database's record of hosts and files, in memory,
// shared by the replicas of a test; each replica sees it through a view.
type fakeHosts struct {
	mu       sync.Mutex
	live     map[string]bool
	host     map[string]string // cluster → replica
	endpoint map[string]string // cluster → host:port
	files    map[string]map[string][]byte
	clusters []string
}

func newFakeHosts() *fakeHosts {
	return &fakeHosts{live: map[string]bool{}, host: map[string]string{}, endpoint: map[string]string{},
		files: map[string]map[string][]byte{}}
}

// kill makes a replica dead: its hosts are freed, as a burial does.
func (f *fakeHosts) kill(replica string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.live, replica)
	for c, r := range f.host {
		if r == replica {
			delete(f.host, c)
			delete(f.endpoint, c)
		}
	}
}

type hostsView struct {
	f  *fakeHosts
	me string
}

func (v hostsView) Claim(_ context.Context, id string) (bool, string, error) {
	v.f.mu.Lock()
	defer v.f.mu.Unlock()
	if r, ok := v.f.host[id]; !ok || !v.f.live[r] {
		v.f.host[id], v.f.endpoint[id] = v.me, ""
	}
	return v.f.host[id] == v.me, v.f.endpoint[id], nil
}

func (v hostsView) Serving(_ context.Context, id, endpoint string) (bool, error) {
	v.f.mu.Lock()
	defer v.f.mu.Unlock()
	if v.f.host[id] != v.me {
		return false, nil
	}
	v.f.endpoint[id] = endpoint
	return true, nil
}

func (v hostsView) Release(_ context.Context, id string) error {
	v.f.mu.Lock()
	defer v.f.mu.Unlock()
	if v.f.host[id] == v.me {
		delete(v.f.host, id)
		delete(v.f.endpoint, id)
	}
	return nil
}

func (v hostsView) Files(_ context.Context, id string) (map[string][]byte, bool, error) {
	v.f.mu.Lock()
	defer v.f.mu.Unlock()
	files, ok := v.f.files[id]
	return maps.Clone(files), ok, nil
}

func (v hostsView) KeepFiles(_ context.Context, id string, files map[string][]byte) (map[string][]byte, error) {
	v.f.mu.Lock()
	defer v.f.mu.Unlock()
	if _, ok := v.f.files[id]; !ok {
		v.f.files[id] = maps.Clone(files)
	}
	return maps.Clone(v.f.files[id]), nil
}

func (v hostsView) ForgetFiles(_ context.Context, id string) error {
	v.f.mu.Lock()
	defer v.f.mu.Unlock()
	delete(v.f.files, id)
	return nil
}

func (v hostsView) Hosted(context.Context) (map[string]bool, error) {
	v.f.mu.Lock()
	defer v.f.mu.Unlock()
	out := map[string]bool{}
	for c, r := range v.f.host {
		if v.f.live[r] {
			out[c] = r == v.me
		}
	}
	return out, nil
}

func (v hostsView) Live(context.Context) (int, error) {
	v.f.mu.Lock()
	defer v.f.mu.Unlock()
	return len(v.f.live), nil
}

// sharedManager starts a replica's Manager on the shared etcd, its
// kubeconfigs pointing at a proxy of its own (an httptest server).
func sharedManager(t *testing.T, f *fakeHosts, me, etcd string) (*Manager, string) {
	t.Helper()
	f.mu.Lock()
	f.live[me] = true
	f.mu.Unlock()
	m, err := NewManager(Config{BinDir: binDir(t), DataDir: t.TempDir(), Catalog: catalog.Default(), LeaseInterval: time.Second,
		Shared: &Shared{Hosts: hostsView{f: f, me: me}, EtcdURL: etcd, Clusters: func(context.Context) ([]string, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			return append([]string(nil), f.clusters...), nil
		}}})
	require.NoError(t, err)
	require.NoError(t, m.Start(context.Background()))
	// HTTPS, as the replicas serve it: kubectl sends its token over TLS only.
	proxy := httptest.NewTLSServer(m.Proxy())
	t.Cleanup(proxy.Close)
	m.cfg.Shared.PublicCA = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: proxy.Certificate().Raw})
	m.SetPublicURL(proxy.URL)
	return m, proxy.URL
}

// TestSharedTakeover: two replicas share one etcd. The first hosts the
// cluster's API server; the second registers a Node through it; the first
// dies; the second takes the API server over, with the same CA and token,
// and the kubeconfig made before the death, through the proxy, lists both
// Nodes.
func TestSharedTakeover(t *testing.T) {
	bin := binDir(t)
	etcd := testserver.StartEtcd(t, bin)
	f := newFakeHosts()
	ctx := context.Background()
	a, _ := sharedManager(t, f, "a", etcd)
	b, bURL := sharedManager(t, f, "b", etcd)
	defer b.Close()
	c := cluster("cshared", "containerd")
	f.clusters = []string{c.ID}

	endpoint, err := a.EnsureCluster(ctx, c)
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(endpoint, ProxyPrefix+c.ID), endpoint)
	require.NoError(t, a.RegisterNode(ctx, c, worker("cn-hangzhou.10.0.0.1", "10.0.0.1", "ecs.g6.large")))
	require.NoError(t, b.RegisterNode(ctx, c, worker("cn-hangzhou.10.0.0.2", "10.0.0.2", "ecs.g6.large")), "through a's API server")
	b.mu.Lock()
	_, local := b.clusters[c.ID]
	b.mu.Unlock()
	require.False(t, local, "b runs no API server of its own for a's cluster")

	// The kubeconfig b gives, made before a dies, goes through b's proxy.
	cfg, err := b.Kubeconfig(c.ID)
	require.NoError(t, err)
	require.Contains(t, string(cfg), bURL+ProxyPrefix+c.ID)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(path, cfg, 0o600))
	require.Equal(t, []string{"node/cn-hangzhou.10.0.0.1", "node/cn-hangzhou.10.0.0.2"}, nodeNames(t, bin, path))

	// a dies: its API server goes with it, and the database frees its hosts.
	require.NoError(t, a.Close())
	f.kill("a")
	start := time.Now()
	b.adoptOnce(ctx)
	t.Logf("takeover (adoption pass and API server start): %s", time.Since(start))
	b.mu.Lock()
	_, local = b.clusters[c.ID]
	b.mu.Unlock()
	require.True(t, local, "b took the API server over")
	require.Equal(t, []string{"node/cn-hangzhou.10.0.0.1", "node/cn-hangzhou.10.0.0.2"}, nodeNames(t, bin, path),
		"the same kubeconfig, the same Nodes")

	// Deleting the cluster frees its host and forgets its files.
	require.NoError(t, b.DeleteCluster(ctx, c.ID))
	_, ok, _ := hostsView{f: f, me: "b"}.Files(ctx, c.ID)
	require.False(t, ok)
	hosted, _ := hostsView{f: f, me: "b"}.Hosted(ctx)
	require.Empty(t, hosted)
}

// TestSharedStopsTakenOver: a replica thought dead stops the API server
// another replica took over when it next adopts.
func TestSharedStopsTakenOver(t *testing.T) {
	bin := binDir(t)
	etcd := testserver.StartEtcd(t, bin)
	f := newFakeHosts()
	ctx := context.Background()
	a, _ := sharedManager(t, f, "a", etcd)
	defer a.Close()
	c := cluster("cstale", "containerd")
	f.clusters = []string{c.ID}
	_, err := a.EnsureCluster(ctx, c)
	require.NoError(t, err)

	// The database gives the cluster to b (a was silent too long).
	f.mu.Lock()
	f.live["b"] = true
	f.host[c.ID] = "b"
	f.mu.Unlock()
	a.adoptOnce(ctx)
	a.mu.Lock()
	_, local := a.clusters[c.ID]
	a.mu.Unlock()
	require.False(t, local, "a stopped its API server")
}

func nodeNames(t *testing.T, bin, kubeconfig string) []string {
	t.Helper()
	var out []byte
	deadline := time.Now().Add(60 * time.Second)
	for {
		var err error
		out, err = exec.Command(filepath.Join(bin, "kubectl"), "--kubeconfig", kubeconfig, "get", "nodes", "-o", "name").CombinedOutput()
		if err == nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "kubectl: %v\n%s", err, out)
		time.Sleep(250 * time.Millisecond)
	}
	names := strings.Fields(string(out))
	sort.Strings(names)
	return names
}
