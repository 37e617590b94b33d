package k8s

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// With several replicas on one database, the Manager of each replica runs
// the API servers of some clusters, and reaches the others' through the
// replica that hosts them:
//
//   - every cluster's objects live in one etcd all replicas share, under
//     the cluster's prefix, so any replica can serve them;
//   - Hosts (the database) says which replica hosts each cluster's API
//     server: at most one live replica at a time. A replica claims a
//     cluster when it needs it and nobody live hosts it, and adopts, every
//     adoptEvery, every cluster whose host died;
//   - the cluster's CA, keys and admin token are kept in the database
//     (Hosts.KeepFiles), so the API server another replica starts after a
//     takeover has the same certificates and token;
//   - kubeconfigs point at PublicURL + /kube/CLUSTER_ID, which any replica
//     proxies to the cluster's API server wherever it runs: they stay valid
//     when its host dies and another replica takes over.

// Hosts keeps, in the database the replicas share, which replica hosts
// each cluster's API server and the files it needs (its CA, keys and
// token). Its methods are this replica's view: "mine" means this replica.
type Hosts interface {
	// Claim makes this replica the cluster's host unless a live replica
	// is; it returns whether this replica hosts it, and otherwise the
	// host's endpoint (host:port, "" while it starts).
	Claim(ctx context.Context, clusterID string) (mine bool, endpoint string, err error)
	// Serving records where this replica serves the cluster's API server;
	// false when another replica has taken it over meanwhile.
	Serving(ctx context.Context, clusterID, endpoint string) (bool, error)
	// Release gives up hosting the cluster.
	Release(ctx context.Context, clusterID string) error
	// Files returns the cluster's files; ok false when none are kept yet.
	Files(ctx context.Context, clusterID string) (files map[string][]byte, ok bool, err error)
	// KeepFiles keeps the cluster's files unless some are kept already,
	// and returns those kept.
	KeepFiles(ctx context.Context, clusterID string, files map[string][]byte) (map[string][]byte, error)
	// ForgetFiles deletes the cluster's files.
	ForgetFiles(ctx context.Context, clusterID string) error
	// Hosted says, of each cluster a live replica hosts, whether this
	// replica is the one.
	Hosted(ctx context.Context) (map[string]bool, error)
	// Live counts the live replicas.
	Live(ctx context.Context) (int, error)
}

// Shared configures a Manager that is one of several replicas.
type Shared struct {
	Hosts Hosts
	// EtcdURL is the etcd the replicas share (its client URL); the Manager
	// runs no etcd of its own.
	EtcdURL string
	// Advertise is the address (IP or host name) the other replicas reach
	// this replica's API servers at; they listen on it. Default 127.0.0.1.
	Advertise string
	// PublicURL is where clients reach the replicas (a load balancer, or
	// any replica): https://HOST:PORT. Kubeconfigs point at
	// PublicURL/kube/CLUSTER_ID. "": set later, with SetPublicURL.
	PublicURL string
	// PublicCA is the PEM CA that PublicURL's certificate chains to, put
	// in kubeconfigs.
	PublicCA []byte
	// Clusters lists the clusters that have an API server, for adoption.
	Clusters func(ctx context.Context) ([]string, error)
}

// Timings of the shared mode.
const (
	// adoptEvery is how often a replica looks for clusters whose host died
	// and takes them over, and checks it still hosts its own.
	adoptEvery = 2 * time.Second
	// remoteFresh is how long a replica trusts what it read of another
	// replica's API server before asking the database again.
	remoteFresh = 2 * time.Second
	// ProxyPrefix starts the path of every cluster's API server behind
	// the replicas' own port.
	ProxyPrefix = "/kube/"
	// sharedServerName is the name ackscale checks an API server's
	// certificate against in shared mode, whichever address it answers at.
	sharedServerName = "kubernetes.default"
)

// sharedFiles are the names of a cluster's files kept in the database.
var sharedFiles = []string{"ca.crt", "serving.crt", "serving.key", "sa.key", "sa.pub", "token", "token.csv"}

func (s *Shared) validate() error {
	switch {
	case s.Hosts == nil:
		return errors.New("kube: shared mode without Hosts")
	case s.EtcdURL == "":
		return errors.New("kube: with several replicas, Kubernetes needs an etcd they share (--kube-etcd URL)")
	}
	if s.Advertise == "" {
		s.Advertise = "127.0.0.1"
	}
	if s.Clusters == nil {
		s.Clusters = func(context.Context) ([]string, error) { return nil, nil }
	}
	return nil
}

// remote is another replica's API server, as this one last read it.
type remote struct {
	a       *apiserver
	checked time.Time
}

// sharedAPIServer returns the cluster's API server: this replica's own,
// started if this replica hosts it or nobody live does, or a client of
// the host's.
func (m *Manager) sharedAPIServer(ctx context.Context, id string) (*apiserver, error) {
	m.mu.Lock()
	if _, ok := m.clusters[id]; ok {
		m.mu.Unlock()
		return m.apiserverLocal(ctx, id)
	}
	if r, ok := m.remotes[id]; ok && time.Since(r.checked) < remoteFresh {
		m.mu.Unlock()
		return r.a, nil
	}
	m.mu.Unlock()
	for {
		mine, endpoint, err := m.cfg.Shared.Hosts.Claim(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("api server of %s: %w", id, err)
		}
		if mine {
			return m.apiserverLocal(ctx, id)
		}
		if endpoint != "" {
			return m.remoteAPIServer(id, endpoint)
		}
		select { // its host is starting it
		case <-ctx.Done():
			return nil, fmt.Errorf("api server of %s: its host has not started it: %w", id, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// remoteAPIServer returns a client of the API server another replica runs
// at endpoint, with the cluster's files from the database.
func (m *Manager) remoteAPIServer(id, endpoint string) (*apiserver, error) {
	m.mu.Lock()
	r, ok := m.remotes[id]
	m.mu.Unlock()
	if ok && r.a.addr == endpoint {
		m.mu.Lock()
		m.remotes[id] = remote{a: r.a, checked: time.Now()}
		m.mu.Unlock()
		return r.a, nil
	}
	a := &apiserver{id: id, files: clusterFiles{dir: m.clusterDir(id)}, addr: endpoint, ready: make(chan struct{})}
	close(a.ready)
	if err := m.syncFiles(context.Background(), a); err != nil {
		return nil, err
	}
	var err error
	if a.client, err = m.newClient(a); err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.remotes[id] = remote{a: a, checked: time.Now()}
	m.mu.Unlock()
	return a, nil
}

// syncFiles makes the cluster's folder hold the files the database keeps,
// creating and keeping them first if it has none (the first replica to
// keep them wins).
func (m *Manager) syncFiles(ctx context.Context, a *apiserver) error {
	hosts := m.cfg.Shared.Hosts
	files, ok, err := hosts.Files(ctx, a.id)
	if err != nil {
		return fmt.Errorf("files of %s: %w", a.id, err)
	}
	if !ok {
		if err := a.files.create(); err != nil {
			return err
		}
		mine, err := a.files.read(sharedFiles)
		if err != nil {
			return err
		}
		if files, err = hosts.KeepFiles(ctx, a.id, mine); err != nil {
			return fmt.Errorf("files of %s: %w", a.id, err)
		}
	}
	return a.files.write(files)
}

// read returns the named files of the folder.
func (f clusterFiles) read(names []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(names))
	for _, name := range names {
		b, err := os.ReadFile(f.path(name))
		if err != nil {
			return nil, err
		}
		out[name] = b
	}
	return out, nil
}

// write writes files into the folder (mode 0600), replacing what is there.
func (f clusterFiles) write(files map[string][]byte) error {
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if strings.ContainsAny(name, `/\`) || name == "" || name[0] == '.' {
			return fmt.Errorf("cluster file %q: not a plain file name", name)
		}
		if err := os.WriteFile(f.path(name), files[name], 0o600); err != nil {
			return err
		}
	}
	return nil
}

// adopt runs until the Manager closes: every adoptEvery it stops the API
// servers another replica has taken over (this one was thought dead) and
// starts those of clusters nobody live hosts.
func (m *Manager) adopt() {
	t := time.NewTicker(adoptEvery)
	defer t.Stop()
	for {
		select {
		case <-m.done:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), adoptEvery*10)
		m.adoptOnce(ctx)
		cancel()
	}
}

// adoptOnce is one pass of adopt. A replica takes over clusters only up
// to its fair share (the clusters over the live replicas, rounded up), so
// that the API servers of a dead replica spread over the survivors.
func (m *Manager) adoptOnce(ctx context.Context) {
	ids, err := m.listClusters(ctx)
	if err != nil {
		m.log.Error("adopt api servers: list clusters", "err", err)
		return
	}
	hosts := m.cfg.Shared.Hosts
	hosted, err := hosts.Hosted(ctx)
	if err != nil {
		m.log.Error("adopt api servers: list hosts", "err", err)
		return
	}
	live, err := hosts.Live(ctx)
	if err != nil {
		m.log.Error("adopt api servers: count replicas", "err", err)
		return
	}
	m.stopTakenOver(hosted)
	mine, free := 0, []string{}
	for _, id := range ids {
		byMe, ok := hosted[id]
		switch {
		case !ok:
			free = append(free, id)
		case byMe:
			mine++
		}
	}
	share := (len(ids) + max(live, 1) - 1) / max(live, 1)
	rand.Shuffle(len(free), func(i, j int) { free[i], free[j] = free[j], free[i] })
	var wg sync.WaitGroup
	for _, id := range free[:min(len(free), max(share-mine, 0))] {
		byMe, _, err := hosts.Claim(ctx, id)
		if err != nil || !byMe {
			continue // an error is retried at the next pass
		}
		wg.Go(func() {
			if _, err := m.apiserverLocal(ctx, id); err != nil {
				m.log.Error("take over api server", "cluster_id", id, "err", err)
				return
			}
			m.log.Info("took over api server", "cluster_id", id)
		})
	}
	wg.Wait()
}

// stopTakenOver stops the API servers this process runs whose cluster the
// database says another replica hosts now (this one was thought dead).
func (m *Manager) stopTakenOver(hosted map[string]bool) {
	m.mu.Lock()
	var gone []*apiserver
	for id, a := range m.clusters {
		if byMe, ok := hosted[id]; ok && !byMe {
			gone = append(gone, a)
		}
	}
	m.mu.Unlock()
	for _, a := range gone {
		m.log.Warn("api server taken over by another replica: stopping ours", "cluster_id", a.id)
		m.stopLocal(a.id, a)
	}
}

// listClusters lists the clusters that have an API server, and remembers
// them for the proxy.
func (m *Manager) listClusters(ctx context.Context) ([]string, error) {
	ids, err := m.cfg.Shared.Clusters(ctx)
	if err != nil {
		return nil, fmt.Errorf("list clusters: %w", err)
	}
	known := make(map[string]bool, len(ids))
	for _, id := range ids {
		known[id] = true
	}
	m.mu.Lock()
	m.known = known
	m.mu.Unlock()
	return ids, nil
}

// stopLocal stops this replica's API server of a cluster.
func (m *Manager) stopLocal(id string, a *apiserver) {
	m.mu.Lock()
	if m.clusters[id] == a {
		delete(m.clusters, id)
	}
	m.mu.Unlock()
	<-a.ready
	if a.stopRenewal != nil {
		a.stopRenewal()
	}
	if a.proc != nil {
		a.proc.stop(20 * time.Second)
	}
}

// SetPublicURL sets Shared.PublicURL, once known (serve listening on a
// port the system chose).
func (m *Manager) SetPublicURL(u string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cfg.Shared.PublicURL = u
}

// publicEndpoint is the cluster's API server as clients reach it.
func (m *Manager) publicEndpoint(id string) (string, error) {
	m.mu.Lock()
	u := m.cfg.Shared.PublicURL
	m.mu.Unlock()
	if u == "" {
		return "", errors.New("kube: the replicas' public URL is not known yet")
	}
	return strings.TrimRight(u, "/") + ProxyPrefix + id, nil
}

// Proxy serves every cluster's API server at /kube/CLUSTER_ID/…, wherever
// it runs: the kubeconfigs of shared mode point here. It forwards requests
// as they are (the API server checks their bearer token), watches and
// upgrades included.
func (m *Manager) Proxy() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, ProxyPrefix)
		if !ok {
			http.NotFound(w, r)
			return
		}
		id, path, _ := strings.Cut(rest, "/")
		if id == "" || strings.ContainsAny(id, ".%") {
			http.NotFound(w, r)
			return
		}
		a, err := m.proxyTarget(r.Context(), id)
		if err != nil {
			m.log.Warn("kube proxy", "cluster_id", id, "err", err)
			http.Error(w, fmt.Sprintf("the API server of cluster %s is not available: %v", id, err), http.StatusServiceUnavailable)
			return
		}
		// A watch outlives the server's write timeout.
		rc := http.NewResponseController(w)
		_ = rc.SetWriteDeadline(time.Time{})
		_ = rc.SetReadDeadline(time.Time{})
		a.proxy.ServeHTTP(w, withPath(r, "/"+path))
	})
}

// proxyTarget returns the cluster's API server with its reverse proxy,
// checking first that the cluster is one ackscale serves.
func (m *Manager) proxyTarget(ctx context.Context, id string) (*apiserver, error) {
	m.mu.Lock()
	known := m.known[id]
	m.mu.Unlock()
	if !known { // not seen at the last adoption pass: a new cluster, or none
		ids, err := m.listClusters(ctx)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ids, id) {
			return nil, errors.New("no such cluster with an API server")
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	a, err := m.apiserver(ctx, id)
	if err != nil {
		return nil, err
	}
	a.proxyOnce.Do(func() { a.proxy, a.proxyErr = m.newProxy(a) })
	if a.proxyErr != nil {
		return nil, a.proxyErr
	}
	return a, nil
}

// newProxy is a reverse proxy to a, trusting the cluster's CA.
func (m *Manager) newProxy(a *apiserver) (*httputil.ReverseProxy, error) {
	ca, err := os.ReadFile(a.files.path("ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("ca of %s: no certificate", a.id)
	}
	target := &url.URL{Scheme: "https", Host: a.hostPort()}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = target.Host
		},
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: pool, ServerName: sharedServerName, MinVersion: tls.VersionTLS12},
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 16,
		},
		FlushInterval: -1, // watches stream
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			m.log.Warn("kube proxy", "cluster_id", a.id, "err", err)
			m.forgetRemote(a)
			http.Error(w, "the API server of cluster "+a.id+" did not answer: "+err.Error(), http.StatusBadGateway)
		},
	}, nil
}

// forgetRemote drops a remote API server that failed, so that the next
// request asks the database where it runs now.
func (m *Manager) forgetRemote(a *apiserver) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.remotes[a.id]; ok && r.a == a {
		delete(m.remotes, a.id)
	}
}

// withPath returns a shallow copy of r for path.
func withPath(r *http.Request, path string) *http.Request {
	out := r.Clone(r.Context())
	out.URL.Path = path
	out.URL.RawPath = ""
	return out
}

// hostPort is where the API server answers.
func (a *apiserver) hostPort() string {
	if a.addr != "" {
		return a.addr
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(a.port))
}

// serving records in the database where a's API server answers; if
// another replica took the cluster over meanwhile, it stops a.
func (m *Manager) serving(ctx context.Context, a *apiserver) error {
	ok, err := m.cfg.Shared.Hosts.Serving(ctx, a.id, a.addr)
	if err == nil && !ok {
		err = errors.New("another replica took it over")
	}
	if err != nil {
		a.proc.stop(20 * time.Second)
		return fmt.Errorf("api server of %s: %w", a.id, err)
	}
	return nil
}

// bindHost is the address the API servers listen on.
func (m *Manager) bindHost() string {
	if m.cfg.Shared != nil {
		return m.cfg.Shared.Advertise
	}
	return "127.0.0.1"
}
