package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/riverqueue/river"
	"github.com/spf13/cobra"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/adminapi"
	"github.com/ackscale/ackscale/catalog"
	"github.com/ackscale/ackscale/cloud"
	"github.com/ackscale/ackscale/httpapi"
	"github.com/ackscale/ackscale/internal/dirlock"
	"github.com/ackscale/ackscale/k8s"
	"github.com/ackscale/ackscale/metrics"
	"github.com/ackscale/ackscale/ops"
	"github.com/ackscale/ackscale/postgres"
	"github.com/ackscale/ackscale/rpcapi"
	"github.com/ackscale/ackscale/task"
	"github.com/ackscale/ackscale/tlsmux"
)

// serveConfig is everything `ackscale serve` reads from flags and environment.
type serveConfig struct {
	Addr        string
	DataDir     string
	Kube        string
	CatalogFile string
	BootLatency time.Duration
	TimeScale   float64
	LogLevel    string
	LogFormat   string
	KubeBin     string
	KubeGOGC    int
	RateLimit   float64
	Burst       int
	TLSCert     string
	TLSKey      string
	// Database is "sqlite" (the data dir's file) or a postgres:// URL.
	Database string
	// Schema is the PostgreSQL schema of ackscale's and River's tables.
	Schema string
	// ReplicaID names this process among the replicas of one database.
	ReplicaID string
	// KubeEtcd is the etcd the replicas share; KubeAdvertise the address
	// the other replicas reach this one's API servers at; PublicURL where
	// clients reach the replicas (kubeconfigs point there).
	KubeEtcd      string
	KubeAdvertise string
	PublicURL     string
	// Pprof is the address of a debug listener serving net/http/pprof
	// ("" = none).
	Pprof string
}

func newServe() *cobra.Command {
	var cfg serveConfig
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the CS API on --addr with state in --data",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("boot-latency") {
				cfg.BootLatency = -1
			}
			return serve(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Addr, "addr", "127.0.0.1:9696", "address to listen on")
	f.StringVar(&cfg.DataDir, "data", "./ackscale-data", "data directory (SQLite database, keys)")
	f.StringVar(&cfg.Kube, "kube", "auto", "run a kube-apiserver per cluster: on | off | auto (on when --kube-bin has the binaries)")
	f.StringVar(&cfg.KubeBin, "kube-bin", envOr("ACKSCALE_KUBE_BIN", "./bin"), "folder with kube-apiserver and etcd (make kube)")
	f.IntVar(&cfg.KubeGOGC, "kube-gogc", k8s.DefaultAPIServerGCPercent,
		"GOGC of each kube-apiserver (Go's default, 100: less memory, more CPU)")
	f.StringVar(&cfg.CatalogFile, "catalog", "", "emulated cloud catalog (JSON); default: the embedded one")
	f.DurationVar(&cfg.BootLatency, "boot-latency", 0, "boot time of every instance (default: each type's own; 0: instant)")
	f.Float64Var(&cfg.TimeScale, "time-scale", 1, "run emulated time N times faster")
	f.StringVar(&cfg.LogLevel, "log-level", "info", "debug | info | warn | error")
	f.StringVar(&cfg.LogFormat, "log-format", logAuto, "text | json | auto (text when stderr is a terminal, else json)")
	f.Float64Var(&cfg.RateLimit, "rate-limit", 200, "requests per second each account may send (0: no limit)")
	f.IntVar(&cfg.Burst, "burst", 400, "requests an account may send at once above --rate-limit")
	f.StringVar(&cfg.TLSCert, "tls-cert", "", "HTTPS certificate (PEM); default: one signed by the data dir's own CA")
	f.StringVar(&cfg.TLSKey, "tls-key", "", "the key of --tls-cert (PEM)")
	f.StringVar(&cfg.Database, "database", envOr("ACKSCALE_DATABASE", "sqlite"),
		"sqlite (a file in --data, one process) or postgres://… (any number of replicas; needs ACKSCALE_SECRET_KEY)")
	f.StringVar(&cfg.Schema, "schema", "", "PostgreSQL schema for ackscale's tables (default: the URL's search_path)")
	f.StringVar(&cfg.ReplicaID, "replica-id", "", "this replica's name in the database (default: host name and a random suffix)")
	f.StringVar(&cfg.KubeEtcd, "kube-etcd", "", "with --database postgres: the etcd the replicas share for the clusters' API servers")
	f.StringVar(&cfg.KubeAdvertise, "kube-advertise", "127.0.0.1", "with --database postgres: the address other replicas reach this one's API servers at")
	f.StringVar(&cfg.PublicURL, "public-url", "", "with --database postgres: where clients reach the replicas, e.g. a load balancer (default: https://--addr)")
	f.StringVar(&cfg.Pprof, "pprof", "", "serve Go's profiler (net/http/pprof) on this address, e.g. 127.0.0.1:6060 (default: off)")
	return cmd
}

func serve(ctx context.Context, cfg serveConfig) error {
	tuneGC()
	log, err := newLogger(os.Stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	syscall.Umask(0o077) // the database and keys in DIR are the owner's only
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	// One serve per data dir: at start each requeues the jobs the store
	// shows running, so two would run them twice.
	unlock, err := dirlock.Lock(filepath.Join(cfg.DataDir, "serve.lock"), cfg.DataDir)
	if err != nil {
		return err
	}
	defer unlock()
	if cfg.Pprof != "" {
		_, stop, err := servePprof(cfg.Pprof, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	a, err := build(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	if err := ensureDefaultAccount(ctx, a.stores.Accounts, cfg.DataDir, a.db.kind == "postgres"); err != nil {
		return err
	}
	stopPruner := a.startPruner(ctx, pruneInterval)
	defer stopPruner() // before a.close: it uses the database
	h, err := a.handler(cfg)
	if err != nil {
		return err
	}
	if a.db.pg != nil && cfg.TLSCert == "" { // one CA for every replica
		if _, err := shareCA(ctx, a.db.pg, filepath.Join(cfg.DataDir, "tls")); err != nil {
			return err
		}
	}
	tlsCfg, err := serverTLS(cfg)
	if err != nil {
		return err
	}
	if a.replica != nil {
		if err := a.replica.start(ctx); err != nil {
			return err
		}
	}
	// Jobs start once the port is open: a task may need the address.
	return listenAndServe(ctx, cfg.Addr, h, tlsCfg, log, func(addr string) error {
		a.listening(cfg, addr)
		if err := a.startJobs(ctx); err != nil {
			return err
		}
		go a.adoptClusters(ctx)
		return nil
	})
}

// app is ackscale's parts, wired: the database and its stores, River, the
// emulated cloud, Kubernetes (nil when off) and the operations layer.
type app struct {
	db      *backend
	stores  stores
	cloud   *cloud.Cloud
	kube    *k8s.Manager
	ops     *ops.Service
	metrics *metrics.Metrics
	probe   *metrics.KubeProbe // nil when Kubernetes is off
	replica *replicaLoop       // nil on SQLite
	tasks   task.Config        // what the task runner was given
	log     *slog.Logger
	// jobsStarted is set once River has started (readiness).
	jobsStarted atomic.Bool
}

// build opens the data dir's database and wires every part to it. A nil
// workers makes River insert-only (commands that do not run tasks).
func build(ctx context.Context, cfg serveConfig, log *slog.Logger) (*app, error) {
	cat, err := loadCatalog(cfg.CatalogFile)
	if err != nil {
		return nil, err
	}
	if cfg.ReplicaID == "" && isPostgres(cfg.Database) {
		cfg.ReplicaID = newReplicaID()
	}
	workers := river.NewWorkers()
	db, err := openBackend(ctx, cfg, workers, log)
	if err != nil {
		return nil, err
	}
	a := &app{db: db, stores: db.stores, log: log}
	if db.pg != nil {
		a.replica = &replicaLoop{db: db.pg, id: cfg.ReplicaID, log: log}
	}
	if err := a.wire(ctx, cfg, cat, workers); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

func (a *app) wire(ctx context.Context, cfg serveConfig, cat *catalog.Catalog, workers *river.Workers) error {
	var err error
	a.cloud, err = cloud.New(cloud.Config{Store: a.stores.Cloud, Catalog: cat, Logger: a.log,
		BootLatency: bootLatency(cfg.BootLatency), TimeScale: cfg.TimeScale})
	if err != nil {
		return err
	}
	shared, err := a.kubeShared(ctx, cfg)
	if err != nil {
		return err
	}
	if a.kube, err = startKube(ctx, cfg, cat, a.stores.Clusters, shared, a.log); err != nil {
		return err
	}
	if err := a.newMetrics(); err != nil {
		return err
	}
	tcfg := task.Config{Store: taskStore{a.stores.Clusters, a.stores.Workers, a.metrics.TaskEnded}, Cloud: a.cloud, Logger: a.log}
	ocfg := ops.Config{Clusters: a.stores.Clusters, Workers: a.stores.Workers, Accounts: a.stores.Accounts, Checker: a.db.checker,
		Cloud: a.cloud, Logger: a.log, TimeScale: cfg.TimeScale, Changes: a.db.changes}
	if a.kube != nil { // a nil *k8s.Manager in an interface would not be nil
		tcfg.Kube, ocfg.Kube = a.kube, a.kube
	}
	if err := task.Register(workers, tcfg); err != nil {
		return err
	}
	a.tasks = tcfg
	a.ops, err = ops.New(ocfg)
	return err
}

// taskStore is the clusters and workers stores as the task runner uses
// them, telling ended of each task it finishes.
type taskStore struct {
	ackscale.ClusterStore
	ackscale.WorkerStore
	ended func(ackscale.Task)
}

// TaskFinish records the task's end, then tells ended: the one place every
// task ends, so its duration is observed once, when it ends.
func (s taskStore) TaskFinish(ctx context.Context, p ackscale.TaskFinishParams) error {
	if err := s.ClusterStore.TaskFinish(ctx, p); err != nil {
		return err
	}
	if s.ended != nil {
		s.ended(p.Task)
	}
	return nil
}

// handler serves the CS API at / (with the index, /healthz, /readyz and
// /metrics, which need no signature) and the admin API under /admin/.
func (a *app) handler(cfg serveConfig) (http.Handler, error) {
	hcfg := httpapi.Config{Accounts: a.stores.Accounts, Ops: a.ops, Logger: a.log,
		RateLimit: cfg.RateLimit, Burst: cfg.Burst, Metrics: a.metrics.Registry(), Ready: a.readyChecks, Version: version()}
	if a.db.pg != nil && cfg.RateLimit > 0 { // one budget per account across the replicas
		hcfg.Limiter = postgres.Limiter{DB: a.db.pg, Rate: cfg.RateLimit, Burst: cfg.Burst}
	}
	api, err := httpapi.New(hcfg)
	if err != nil {
		return nil, err
	}
	token, err := adminToken(cfg.DataDir, true)
	if err != nil {
		return nil, err
	}
	rpc, err := rpcapi.New(rpcapi.Config{Catalog: a.cloud.Catalog(), Cloud: a.stores.Cloud, Accounts: a.stores.Accounts,
		Owners: rpcapi.WorkerOwners(a.stores.Workers), Logger: a.log, ThrottleFunc: api.Allow})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(adminapi.Prefix, adminapi.New(a.ops, token, a.log))
	if a.kube != nil && cfg.KubeEtcd != "" && a.db.pg != nil { // kubeconfigs of replicas point here
		mux.Handle(k8s.ProxyPrefix, a.kube.Proxy())
	}
	mux.Handle("/", byStyle{rpc: rpc, roa: api})
	return mux, nil
}

// byStyle sends RPC-style requests (VPC and ECS: Action and Version in the
// query or form) to the emulated cloud's own APIs, and the rest (ROA: CS)
// to the CS API.
type byStyle struct{ rpc, roa http.Handler }

func (b byStyle) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rpcapi.IsRPC(r) {
		b.rpc.ServeHTTP(w, r)
		return
	}
	b.roa.ServeHTTP(w, r)
}

// serverTLS is the HTTPS configuration: the user's certificate, or one the
// data dir's own CA (made once) signs for 127.0.0.1, ::1, localhost and the
// listen host. It prints how to trust that CA.
func serverTLS(cfg serveConfig) (*tls.Config, error) {
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		if cfg.TLSCert == "" || cfg.TLSKey == "" {
			return nil, errors.New("--tls-cert and --tls-key go together")
		}
		return tlsmux.LoadKeyPair(cfg.TLSCert, cfg.TLSKey)
	}
	ca, err := tlsmux.LoadOrCreateCA(filepath.Join(cfg.DataDir, "tls"))
	if err != nil {
		return nil, err
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("--addr %s: %w", cfg.Addr, err)
	}
	hosts := []string{host}
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Hostname() != "" {
		hosts = append(hosts, u.Hostname())
	}
	tlsCfg, err := ca.ServerConfig(hosts)
	if err != nil {
		return nil, err
	}
	fmt.Printf("HTTPS clients trust %s (e.g. SSL_CERT_FILE=%s)\n", ca.CertFile(), ca.CertFile())
	return tlsCfg, nil
}

// startJobs starts River. On SQLite one process owns the file, so any job
// a killed process left running is made available again first.
func (a *app) startJobs(ctx context.Context) error {
	if err := a.db.prepare(ctx); err != nil {
		return err
	}
	if err := a.db.jobs.Start(ctx); err != nil {
		return fmt.Errorf("start river: %w", err)
	}
	a.jobsStarted.Store(true)
	return nil
}

// adoptClusters gives the clusters made while Kubernetes was off their API
// servers and Nodes (task.AdoptClusters), until ctx ends.
func (a *app) adoptClusters(ctx context.Context) {
	if a.kube == nil {
		return
	}
	cs, _, err := a.stores.Clusters.ClusterList(ctx, ackscale.ClusterListParams{})
	if err == nil {
		err = task.AdoptClusters(ctx, a.tasks, cs)
	}
	if err != nil && ctx.Err() == nil {
		a.log.Error("adopt clusters made with --kube=off", "err", err)
	}
}

// listening tells the replica loop where this replica serves, and the
// API servers' proxy where clients reach it when --public-url is not set.
func (a *app) listening(cfg serveConfig, addr string) {
	if a.replica != nil {
		a.replica.addr.Store(addr)
	}
	if a.kube != nil && a.db.pg != nil && cfg.PublicURL == "" {
		if u, err := publicURL(serveConfig{Addr: addr}); err == nil {
			a.kube.SetPublicURL(u)
		}
	}
}

// close stops River (letting running jobs finish for a while), the API
// servers and the database.
func (a *app) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if a.db.jobs != nil {
		if err := a.db.jobs.Stop(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "not started") {
			a.log.Error("stop river", "err", err)
		}
	}
	if a.replica != nil {
		a.replica.leave()
	}
	if a.kube != nil {
		_ = a.kube.Close()
	}
	if err := a.db.close(); err != nil {
		a.log.Error("close database", "err", err)
	}
}

// startKube starts the per-cluster API servers when --kube asks for them,
// and brings back those of existing clusters in the background (in shared
// mode, the Manager adopts those no live replica hosts).
func startKube(ctx context.Context, cfg serveConfig, cat *catalog.Catalog, clusters ackscale.ClusterStore, shared *k8s.Shared,
	log *slog.Logger) (*k8s.Manager, error) {
	switch cfg.Kube {
	case "off":
		return nil, nil
	case "auto":
		if !k8s.BinariesPresent(cfg.KubeBin) {
			log.Info("kube off: no kube-apiserver in --kube-bin", "kube_bin", cfg.KubeBin)
			return nil, nil
		}
	case "on":
	default:
		return nil, fmt.Errorf("--kube=%s: want on, off or auto", cfg.Kube)
	}
	m, err := k8s.NewManager(k8s.Config{BinDir: cfg.KubeBin, DataDir: cfg.DataDir, Catalog: cat, Logger: log, Shared: shared,
		APIServerGCPercent: cfg.KubeGOGC})
	if err != nil {
		return nil, err
	}
	if err := m.Start(ctx); err != nil {
		return nil, err
	}
	if shared != nil {
		log.Info("kube on, shared", "kube_bin", cfg.KubeBin, "etcd", shared.EtcdURL, "public_url", shared.PublicURL)
		return m, nil
	}
	cs, _, err := clusters.ClusterList(ctx, ackscale.ClusterListParams{WithAPIServer: true})
	if err != nil {
		_ = m.Close()
		return nil, err
	}
	for _, c := range cs {
		go func() {
			if _, err := m.EnsureCluster(context.Background(), ackscale.Cluster{ID: c.ID}); err != nil {
				log.Error("restart api server", "cluster_id", c.ID, "err", err)
			}
		}()
	}
	log.Info("kube on", "kube_bin", cfg.KubeBin, "clusters", len(cs))
	return m, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func bootLatency(d time.Duration) *time.Duration {
	if d < 0 {
		return nil
	}
	return &d
}

func loadCatalog(path string) (*catalog.Catalog, error) {
	if path == "" {
		return catalog.Default(), nil
	}
	c, err := catalog.LoadFile(path)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// listenAndServe serves plain HTTP and, when tlsCfg is set, HTTPS on the
// same port (tlsmux tells them apart by each connection's first byte),
// until ctx ends, then shuts down gracefully.
func listenAndServe(ctx context.Context, addr string, h http.Handler, tlsCfg *tls.Config, log *slog.Logger,
	listening func(addr string) error) error {
	raw, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if listening != nil {
		if err := listening(raw.Addr().String()); err != nil {
			raw.Close()
			return err
		}
	}
	ln := tlsmux.Listen(raw, tlsCfg)
	ln.HandshakeErrorFunc = func(from net.Addr, err error) { log.Debug("TLS handshake", "remote", from.String(), "err", err) }
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ConnContext: tlsmux.ConnContext}
	log.Info("ackscale listening", "addr", raw.Addr().String(), "tls", tlsCfg != nil)
	if tlsCfg != nil {
		fmt.Printf("ackscale serves HTTPS on the same port: https://%s\n", raw.Addr())
	}
	fmt.Printf("ackscale listening on http://%s\n", raw.Addr()) // last: the harnesses wait for this line
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// defaultAccountID is the id of the account the environment's key belongs to.
const defaultAccountID = "5000000000000001"

type keyFile struct {
	AccountID       string `json:"account_id"`
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret string `json:"access_key_secret"`
}

// ensureDefaultAccount sets up the default account's key: from
// ACKSCALE_ACCESS_KEY_ID / ACKSCALE_ACCESS_KEY_SECRET, else (on SQLite
// only: replicas must share it) one generated once and kept in
// DIR/default-key.json (mode 0600), printed at start.
func ensureDefaultAccount(ctx context.Context, accounts ackscale.AccountStore, dir string, shared bool) error {
	k := keyFile{AccountID: defaultAccountID, AccessKeyID: os.Getenv("ACKSCALE_ACCESS_KEY_ID"),
		AccessKeySecret: os.Getenv("ACKSCALE_ACCESS_KEY_SECRET")}
	if (k.AccessKeyID == "") != (k.AccessKeySecret == "") {
		return errors.New("set both ACKSCALE_ACCESS_KEY_ID and ACKSCALE_ACCESS_KEY_SECRET, or neither")
	}
	if k.AccessKeyID == "" && shared {
		// Each replica would otherwise make its own key and replace the
		// others' in the shared database.
		return errors.New("--database postgres: set ACKSCALE_ACCESS_KEY_ID and ACKSCALE_ACCESS_KEY_SECRET, the default account's key, the same for every replica")
	}
	if k.AccessKeyID == "" {
		var err error
		if k, err = loadOrCreateKey(filepath.Join(dir, "default-key.json")); err != nil {
			return err
		}
		fmt.Printf("default account %s: ACKSCALE_ACCESS_KEY_ID=%s (secret in %s)\n", k.AccountID, k.AccessKeyID,
			filepath.Join(dir, "default-key.json"))
	}
	a := ackscale.Account{ID: k.AccountID, AccessKeyID: k.AccessKeyID, Created: ackscale.NowUTC()}
	_, err := accounts.AccountEnsure(ctx, ackscale.AccountCreateParams{Account: a, Secret: k.AccessKeySecret})
	return err
}

func loadOrCreateKey(path string) (keyFile, error) {
	var k keyFile
	b, err := os.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(b, &k); err != nil {
			return k, fmt.Errorf("read %s: %w", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return k, fmt.Errorf("read %s: %w", path, err)
	}
	k.AccountID = defaultAccountID
	k.AccessKeyID, k.AccessKeySecret = ackscale.NewAccessKey()
	b, _ = json.MarshalIndent(k, "", "  ")
	if err := writeFileAtomic(path, append(b, '\n')); err != nil {
		return k, fmt.Errorf("write %s: %w", path, err)
	}
	return k, nil
}
