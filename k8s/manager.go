// Package k8s gives each emulated cluster a real kube-apiserver and makes
// its workers Nodes there. One etcd holds every cluster's objects, each
// under its own prefix; each cluster's API server is a supervised child
// with its own port, certificates, service-account key and admin token,
// all kept under DATA_DIR/kube so they come back after a restart.
package k8s

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/clock"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
	"github.com/ackscale/ackscale/internal/dirlock"
)

// Config configures a Manager.
type Config struct {
	BinDir  string // holds kube-apiserver and etcd
	DataDir string // ackscale's data dir; the Manager uses DataDir/kube
	Catalog *catalog.Catalog
	Logger  *slog.Logger
	// LeaseInterval is how often each Node Lease is renewed (default 10 s,
	// a quarter of the Lease's 40 s duration, as the kubelet does); the
	// renewals of a cluster are spread evenly over the interval.
	LeaseInterval time.Duration
	// DrainTimeout is how long a drain retries the evictions a
	// PodDisruptionBudget refuses before RemoveNode fails (default 60 s).
	DrainTimeout time.Duration
	// APIServerGCPercent is each API server's GOGC (default
	// DefaultAPIServerGCPercent; Go's own default is 100: less memory,
	// more CPU).
	APIServerGCPercent int
	// Shared, when set, makes the Manager one of several replicas on one
	// database (shared.go): it runs no etcd, and runs the API servers of
	// the clusters it hosts only.
	Shared *Shared
}

// BinariesPresent reports whether binDir holds kube-apiserver and etcd.
func BinariesPresent(binDir string) bool {
	for _, b := range []string{"kube-apiserver", "etcd"} {
		if fi, err := os.Stat(filepath.Join(binDir, b)); err != nil || fi.IsDir() {
			return false
		}
	}
	return true
}

// Manager runs the API servers.
type Manager struct {
	cfg      Config
	log      *slog.Logger
	dir      string
	etcd     *process
	etcdURL  string
	mu       sync.Mutex
	clusters map[string]*apiserver // the API servers this process runs
	remotes  map[string]remote     // shared mode: those other replicas run
	known    map[string]bool       // shared mode: the clusters with an API server, as last listed
	done     chan struct{}
	unlock   func() error // releases DIR/kube/lock, held while the Manager runs
	portBook portBook
}

// apiserver is one cluster's API server.
type apiserver struct {
	id     string
	files  clusterFiles
	port   int
	addr   string // host:port of another replica's API server ("": this process's, on port)
	proc   *process
	client kubernetes.Interface
	ready  chan struct{} // closed once it answered /readyz
	err    error         // why it did not start, valid after ready
	// stopRenewal ends its Lease renewer (set once ready).
	stopRenewal context.CancelFunc
	// proxy forwards the requests of kubeconfigs (shared mode), made once.
	proxyOnce sync.Once
	proxy     *httputil.ReverseProxy
	proxyErr  error
}

// NewManager checks the binaries and prepares the folders.
func NewManager(cfg Config) (*Manager, error) {
	if !BinariesPresent(cfg.BinDir) {
		return nil, fmt.Errorf("kube-apiserver and etcd not found in %s (run make kube)", cfg.BinDir)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Shared != nil {
		if err := cfg.Shared.validate(); err != nil {
			return nil, err
		}
	}
	cfg.LeaseInterval = cmp.Or(max(cfg.LeaseInterval, 0), defaultRenewInterval)
	cfg.DrainTimeout = cmp.Or(max(cfg.DrainTimeout, 0), 60*time.Second)
	cfg.APIServerGCPercent = cmp.Or(max(cfg.APIServerGCPercent, 0), DefaultAPIServerGCPercent)
	bin, err := filepath.Abs(cfg.BinDir)
	if err != nil {
		return nil, err
	}
	cfg.BinDir = bin
	dir := filepath.Join(cfg.DataDir, "kube")
	if err := os.MkdirAll(filepath.Join(dir, "clusters"), 0o700); err != nil {
		return nil, err
	}
	return &Manager{cfg: cfg, log: cfg.Logger, dir: dir, clusters: map[string]*apiserver{}, remotes: map[string]remote{},
		done: make(chan struct{}), portBook: portBook{dir: dir}}, nil
}

// Start runs the etcd every cluster shares and waits until it is healthy;
// in shared mode it waits for the replicas' etcd instead, and starts
// adopting the API servers of dead replicas.
func (m *Manager) Start(ctx context.Context) error {
	if err := m.takeLock(); err != nil {
		return err
	}
	if s := m.cfg.Shared; s != nil {
		m.etcdURL = strings.TrimRight(s.EtcdURL, "/")
		ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := waitFor(ctx, "etcd", func() error { return httpOK(m.etcdURL + "/health") }); err != nil {
			return err
		}
		go m.adopt()
		return nil
	}
	ports, err := m.ports("etcd", 2)
	if err != nil {
		return err
	}
	client := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	peer := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	m.etcdURL = client
	m.etcd = &process{name: "etcd", bin: filepath.Join(m.cfg.BinDir, "etcd"), log: m.log,
		pidFile: filepath.Join(m.dir, "etcd.pid"), logFile: filepath.Join(m.dir, "etcd.log"),
		args: []string{"--name", "ackscale", "--data-dir", filepath.Join(m.dir, "etcd"),
			"--listen-client-urls", client, "--advertise-client-urls", client,
			"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
			"--initial-cluster", "ackscale=" + peer, "--log-level", "warn", "--quota-backend-bytes", "8589934592"}}
	if err := m.etcd.start(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	return waitFor(ctx, "etcd", func() error { return httpOK(client + "/health") })
}

// takeLock refuses a second ackscale on the same data dir: both would run
// the same clusters' API servers on the same ports. The kernel drops the
// lock when the process dies, even by SIGKILL.
func (m *Manager) takeLock() error {
	unlock, err := dirlock.Lock(filepath.Join(m.dir, "lock"), m.cfg.DataDir)
	if err != nil {
		return err
	}
	m.unlock = unlock
	return nil
}

// ports returns n loopback ports kept in DIR/kube/NAME.ports (portBook).
func (m *Manager) ports(name string, n int) ([]int, error) { return m.portBook.ports(name, n) }

func httpOK(url string) error {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

// EnsureCluster starts (or finds running) the cluster's API server and
// returns its endpoint, as clients reach it. It is idempotent and safe to
// call concurrently.
func (m *Manager) EnsureCluster(ctx context.Context, c ackscale.Cluster) (string, error) {
	a, err := m.apiserver(ctx, c.ID)
	if err != nil {
		return "", err
	}
	if m.cfg.Shared != nil {
		return m.publicEndpoint(c.ID)
	}
	return a.endpoint(), nil
}

func (a *apiserver) endpoint() string { return "https://" + a.hostPort() }

// clusterDir is the folder of a cluster's files.
func (m *Manager) clusterDir(id string) string { return filepath.Join(m.dir, "clusters", id) }

// apiserver returns the cluster's API server, started first if needed: in
// shared mode, possibly another replica's.
func (m *Manager) apiserver(ctx context.Context, id string) (*apiserver, error) {
	if m.cfg.Shared != nil {
		return m.sharedAPIServer(ctx, id)
	}
	return m.apiserverLocal(ctx, id)
}

// apiserverLocal returns the cluster's API server this process runs,
// starting it first.
func (m *Manager) apiserverLocal(ctx context.Context, id string) (*apiserver, error) {
	select {
	case <-m.done:
		return nil, fmt.Errorf("start api server of %s: ackscale is stopping", id)
	default:
	}
	m.mu.Lock()
	a, ok := m.clusters[id]
	if !ok {
		a = &apiserver{id: id, files: clusterFiles{dir: m.clusterDir(id)}, ready: make(chan struct{})}
		m.clusters[id] = a
		go m.boot(a)
	}
	m.mu.Unlock()
	select {
	case <-a.ready:
	case <-ctx.Done():
		return nil, fmt.Errorf("start api server of %s: %w", id, ctx.Err())
	}
	if a.err != nil {
		m.mu.Lock()
		if m.clusters[id] == a {
			delete(m.clusters, id) // let a later call try again
		}
		m.mu.Unlock()
		return nil, a.err
	}
	return a, nil
}

// boot creates the cluster's files, starts its API server and waits for it.
func (m *Manager) boot(a *apiserver) {
	defer close(a.ready)
	start := time.Now()
	if m.cfg.Shared != nil {
		a.err = m.syncFiles(context.Background(), a)
	} else {
		a.err = a.files.ensure()
	}
	if a.err != nil {
		return
	}
	ports, err := m.ports(filepath.Join("clusters", a.id, "apiserver"), 1)
	if a.err = err; err != nil {
		return
	}
	a.port = ports[0]
	if m.cfg.Shared != nil {
		a.addr = net.JoinHostPort(m.cfg.Shared.Advertise, strconv.Itoa(a.port))
	}
	a.proc = &process{name: "kube-apiserver " + a.id, bin: filepath.Join(m.cfg.BinDir, "kube-apiserver"), log: m.log,
		pidFile: a.files.path("apiserver.pid"), logFile: a.files.path("apiserver.log"), args: m.apiserverArgs(a),
		env: apiserverGC(m.cfg.APIServerGCPercent, os.Getenv)}
	if a.err = a.proc.start(); a.err != nil {
		return
	}
	if a.client, a.err = m.newClient(a); a.err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	a.err = waitFor(ctx, "kube-apiserver "+a.id, func() error {
		_, err := a.client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err
	})
	if a.err == nil && m.cfg.Shared != nil {
		a.err = m.serving(ctx, a)
	}
	if a.err == nil {
		m.log.Info("api server ready", "cluster_id", a.id, "endpoint", a.endpoint(), "ms", time.Since(start).Milliseconds())
		m.startRenewer(a)
	}
}

// startRenewer renews the cluster's Node Leases until the Manager closes or
// the cluster is deleted.
func (m *Manager) startRenewer(a *apiserver) {
	ctx, cancel := context.WithCancel(context.Background())
	a.stopRenewal = cancel
	r := &renewer{cs: a.client, clock: clock.RealClock{}, interval: m.cfg.LeaseInterval, log: m.log, cluster: a.id}
	go r.run(ctx)
	go func() {
		select {
		case <-m.done:
			cancel()
		case <-ctx.Done():
		}
	}()
}

func (m *Manager) apiserverArgs(a *apiserver) []string {
	f := a.files
	return []string{
		"--etcd-servers=" + m.etcdURL, "--etcd-prefix=/ackscale/" + a.id,
		"--bind-address=" + m.bindHost(), "--advertise-address=" + m.bindHost(), "--secure-port=" + strconv.Itoa(a.port),
		"--tls-cert-file=" + f.path("serving.crt"), "--tls-private-key-file=" + f.path("serving.key"),
		"--client-ca-file=" + f.path("ca.crt"), "--cert-dir=" + f.path("certs"),
		"--service-cluster-ip-range=10.96.0.0/16",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + f.path("sa.pub"), "--service-account-signing-key-file=" + f.path("sa.key"),
		"--token-auth-file=" + f.path("token.csv"), "--authorization-mode=RBAC",
		"--endpoint-reconciler-type=none", "--disable-admission-plugins=ServiceAccount,TaintNodesByCondition",
		"--enable-priority-and-fairness=false", "--watch-cache=false", "--v=0",
	}
}

func (m *Manager) restConfig(a *apiserver) (*rest.Config, error) {
	ca, err := os.ReadFile(a.files.path("ca.crt"))
	if err != nil {
		return nil, err
	}
	token, err := os.ReadFile(a.files.path("token"))
	if err != nil {
		return nil, err
	}
	// Our own loopback server: client-side throttling would only slow the
	// registration of a scale-out's Nodes and the Lease renewer; the
	// callers bound what they have in flight instead.
	tc := rest.TLSClientConfig{CAData: ca}
	if m.cfg.Shared != nil { // whichever replica's address it answers at
		tc.ServerName = sharedServerName
	}
	return &rest.Config{Host: a.endpoint(), BearerToken: string(token), TLSClientConfig: tc,
		QPS: 5000, Burst: 5000, Timeout: 30 * time.Second}, nil
}

// newClient is ackscale's own client of the API server. It speaks
// protobuf, as the kubelet does: Nodes and Leases cost the API server and
// ackscale less to encode and decode than in JSON.
func (m *Manager) newClient(a *apiserver) (kubernetes.Interface, error) {
	rc, err := m.restConfig(a)
	if err != nil {
		return nil, err
	}
	rc.ContentType = runtime.ContentTypeProtobuf
	rc.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	return kubernetes.NewForConfig(rc)
}

// Kubeconfig returns an admin kubeconfig of the cluster that kubectl uses
// as it is. It does not wait for the API server to answer (after a
// restart it may still be starting): the kubeconfig needs only its
// address, CA and token, made with it once.
func (m *Manager) Kubeconfig(clusterID string) ([]byte, error) {
	if s := m.cfg.Shared; s != nil { // through any replica's proxy
		u, err := m.publicEndpoint(clusterID)
		if err != nil {
			return nil, err
		}
		files, err := m.madeFiles(clusterID)
		if err != nil {
			return nil, err
		}
		return kubeconfig("ackscale-"+clusterID, u, s.PublicCA, string(files["token"]))
	}
	a, ok := m.made(clusterID)
	if ok {
		go m.apiserver(context.Background(), clusterID) // started for kubectl, which will see a failure
	} else {
		var err error
		if a, err = m.apiserver(context.Background(), clusterID); err != nil {
			return nil, err
		}
	}
	rc, err := m.restConfig(a)
	if err != nil {
		return nil, err
	}
	return kubeconfig("ackscale-"+clusterID, rc.Host, rc.CAData, rc.BearerToken)
}

// made returns the cluster's API server as its files and port file
// describe it, without starting it; ok is false before its first start.
func (m *Manager) made(id string) (*apiserver, bool) {
	a := &apiserver{id: id, files: clusterFiles{dir: m.clusterDir(id)}}
	if _, err := os.Stat(a.files.path("token")); err != nil {
		return nil, false
	}
	var ports []int
	b, err := os.ReadFile(a.files.path("apiserver.ports"))
	if err != nil || json.Unmarshal(b, &ports) != nil || len(ports) != 1 {
		return nil, false
	}
	a.port = ports[0]
	return a, true
}

// madeFiles returns the cluster's files as the replicas keep them (shared
// mode), making them, by starting its API server, if there are none yet.
func (m *Manager) madeFiles(id string) (map[string][]byte, error) {
	files, ok, err := m.cfg.Shared.Hosts.Files(context.Background(), id)
	if err != nil || ok {
		return files, err
	}
	if _, err := m.apiserver(context.Background(), id); err != nil {
		return nil, err
	}
	files, _, err = m.cfg.Shared.Hosts.Files(context.Background(), id)
	return files, err
}

// CA returns the PEM certificate of the CA that signs the cluster's
// kube-apiserver (DescribeClusterCerts).
func (m *Manager) CA(clusterID string) ([]byte, error) {
	if m.cfg.Shared != nil {
		files, err := m.madeFiles(clusterID)
		return files["ca.crt"], err
	}
	if a, ok := m.made(clusterID); ok {
		return os.ReadFile(a.files.path("ca.crt"))
	}
	a, err := m.apiserver(context.Background(), clusterID)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(a.files.path("ca.crt"))
}

// kubeconfig is a kubeconfig with one cluster and one context, both called
// name, whose user name-admin authenticates with token.
func kubeconfig(name, host string, ca []byte, token string) ([]byte, error) {
	user := name + "-admin"
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: host, CertificateAuthorityData: ca}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: user}
	cfg.CurrentContext = name
	return clientcmd.Write(*cfg)
}

// DeleteCluster stops the cluster's API server and removes its files and
// its objects in etcd.
func (m *Manager) DeleteCluster(ctx context.Context, clusterID string) error {
	m.mu.Lock()
	a, ok := m.clusters[clusterID]
	delete(m.clusters, clusterID)
	delete(m.remotes, clusterID)
	m.mu.Unlock()
	if ok {
		<-a.ready
		if a.stopRenewal != nil {
			a.stopRenewal()
		}
		if a.proc != nil {
			a.proc.stop(20 * time.Second)
		}
	}
	if err := m.deletePrefix(ctx, "/ackscale/"+clusterID+"/"); err != nil {
		return err
	}
	if s := m.cfg.Shared; s != nil {
		if err := s.Hosts.Release(ctx, clusterID); err != nil {
			return err
		}
		if err := s.Hosts.ForgetFiles(ctx, clusterID); err != nil {
			return err
		}
	}
	return os.RemoveAll(m.clusterDir(clusterID))
}

// deletePrefix removes every etcd key under prefix (etcd's JSON gateway).
func (m *Manager) deletePrefix(ctx context.Context, prefix string) error {
	end := []byte(prefix)
	end[len(end)-1]++
	body, _ := json.Marshal(map[string]string{"key": base64.StdEncoding.EncodeToString([]byte(prefix)),
		"range_end": base64.StdEncoding.EncodeToString(end)})
	req, err := http.NewRequestWithContext(ctx, "POST", m.etcdURL+"/v3/kv/deleterange", bytesReader(body))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("delete cluster data: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("delete cluster data: etcd answered %s", resp.Status)
	}
	return nil
}

// Close stops every API server, then etcd.
func (m *Manager) Close() error {
	close(m.done)
	m.mu.Lock()
	all := make([]*apiserver, 0, len(m.clusters))
	for _, a := range m.clusters {
		all = append(all, a)
	}
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, a := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-a.ready
			if a.proc != nil {
				a.proc.stop(20 * time.Second)
			}
		}()
	}
	wg.Wait()
	if m.etcd != nil {
		m.etcd.stop(10 * time.Second)
	}
	if m.unlock != nil {
		_ = m.unlock() // releases the flock
	}
	return nil
}

// client returns the cluster's client, starting its API server if needed.
func (m *Manager) client(ctx context.Context, clusterID string) (kubernetes.Interface, error) {
	a, err := m.apiserver(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	return a.client, nil
}
