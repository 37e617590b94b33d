package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/spf13/cobra"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/adminapi"
	"github.com/ackscale/ackscale/catalog"
	"github.com/ackscale/ackscale/cloud"
	"github.com/ackscale/ackscale/httpapi"
	"github.com/ackscale/ackscale/internal/dirlock"
	"github.com/ackscale/ackscale/k8s"
	"github.com/ackscale/ackscale/ops"
	"github.com/ackscale/ackscale/sqlite"
	"github.com/ackscale/ackscale/task"
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
	KubeBin     string
	RateLimit   float64
	Burst       int
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
	f.StringVar(&cfg.CatalogFile, "catalog", "", "emulated cloud catalog (JSON); default: the embedded one")
	f.DurationVar(&cfg.BootLatency, "boot-latency", 0, "boot time of every instance (default: each type's own; 0: instant)")
	f.Float64Var(&cfg.TimeScale, "time-scale", 1, "run emulated time N times faster")
	f.StringVar(&cfg.LogLevel, "log-level", "info", "debug | info | warn | error")
	f.Float64Var(&cfg.RateLimit, "rate-limit", 200, "requests per second each account may send (0: no limit)")
	f.IntVar(&cfg.Burst, "burst", 400, "requests an account may send at once above --rate-limit")
	return cmd
}

func serve(ctx context.Context, cfg serveConfig) error {
	log := newLogger(cfg.LogLevel)
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
	a, err := build(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	if err := ensureDefaultAccount(ctx, a.stores.Accounts, cfg.DataDir); err != nil {
		return err
	}
	stopPruner := a.startPruner(ctx, pruneInterval)
	defer stopPruner() // before a.close: it uses the database
	h, err := a.handler(cfg)
	if err != nil {
		return err
	}
	if err := a.startJobs(ctx); err != nil {
		return err
	}
	return listenAndServe(ctx, cfg.Addr, h, log)
}

// app is ackscale's parts, wired: the database and its stores, River, the
// emulated cloud, Kubernetes (nil when off) and the operations layer.
type app struct {
	db     *sqlite.DB
	stores sqlite.Stores
	river  *river.Client[*sql.Tx]
	cloud  *cloud.Cloud
	kube   *k8s.Manager
	ops    *ops.Service
	log    *slog.Logger
}

// build opens the data dir's database and wires every part to it. A nil
// workers makes River insert-only (commands that do not run tasks).
func build(ctx context.Context, cfg serveConfig, log *slog.Logger) (*app, error) {
	cat, err := loadCatalog(cfg.CatalogFile)
	if err != nil {
		return nil, err
	}
	db, err := sqlite.Open(ctx, sqlite.Config{Dir: cfg.DataDir, Logger: log})
	if err != nil {
		return nil, err
	}
	a := &app{db: db, log: log}
	workers := river.NewWorkers()
	rcfg := task.RiverConfig{Workers: workers, Logger: log}
	if a.river, err = river.NewClient(riversqlite.New(db.SQL()), rcfg.Config()); err != nil {
		a.close()
		return nil, fmt.Errorf("river client: %w", err)
	}
	a.stores = db.Stores(a.river)
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
	if a.kube, err = startKube(ctx, cfg, cat, a.stores.Clusters, a.log); err != nil {
		return err
	}
	tcfg := task.Config{Store: taskStore{a.stores.Clusters, a.stores.Workers}, Cloud: a.cloud, Logger: a.log}
	ocfg := ops.Config{Clusters: a.stores.Clusters, Workers: a.stores.Workers, Accounts: a.stores.Accounts, Checker: a.db,
		Cloud: a.cloud, Logger: a.log, TimeScale: cfg.TimeScale}
	if a.kube != nil { // a nil *k8s.Manager in an interface would not be nil
		tcfg.Kube, ocfg.Kube = a.kube, a.kube
	}
	if err := task.Register(workers, tcfg); err != nil {
		return err
	}
	a.ops, err = ops.New(ocfg)
	return err
}

// taskStore is the clusters and workers stores as the task runner uses them.
type taskStore struct {
	*sqlite.ClusterStore
	*sqlite.WorkerStore
}

// handler serves the CS API at / and the admin API under /admin/.
func (a *app) handler(cfg serveConfig) (http.Handler, error) {
	api, err := httpapi.New(httpapi.Config{Accounts: a.stores.Accounts, Ops: a.ops, Logger: a.log,
		RateLimit: cfg.RateLimit, Burst: cfg.Burst})
	if err != nil {
		return nil, err
	}
	token, err := adminToken(cfg.DataDir, true)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(adminapi.Prefix, adminapi.New(a.ops, token, a.log))
	mux.Handle("/", api)
	return mux, nil
}

// startJobs starts River. One process owns the SQLite file, so any job a
// killed process left running is made available again first.
func (a *app) startJobs(ctx context.Context) error {
	if err := a.db.RequeueRunningJobs(ctx); err != nil {
		return err
	}
	if err := a.river.Start(ctx); err != nil {
		return fmt.Errorf("start river: %w", err)
	}
	return nil
}

// close stops River (letting running jobs finish for a while), the API
// servers and the database.
func (a *app) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if a.river != nil {
		if err := a.river.Stop(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "not started") {
			a.log.Error("stop river", "err", err)
		}
	}
	if a.kube != nil {
		_ = a.kube.Close()
	}
	if err := a.db.Close(); err != nil {
		a.log.Error("close database", "err", err)
	}
}

// startKube starts the per-cluster API servers when --kube asks for them,
// and brings back those of existing clusters in the background.
func startKube(ctx context.Context, cfg serveConfig, cat *catalog.Catalog, clusters *sqlite.ClusterStore, log *slog.Logger) (*k8s.Manager, error) {
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
	m, err := k8s.NewManager(k8s.Config{BinDir: cfg.KubeBin, DataDir: cfg.DataDir, Catalog: cat, Logger: log})
	if err != nil {
		return nil, err
	}
	if err := m.Start(ctx); err != nil {
		return nil, err
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

// listenAndServe serves until ctx ends, then shuts down gracefully.
func listenAndServe(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	log.Info("ackscale listening", "addr", ln.Addr().String())
	fmt.Printf("ackscale listening on http://%s\n", ln.Addr())
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

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// defaultAccountID is the id of the account the environment's key belongs to.
const defaultAccountID = "5000000000000001"

type keyFile struct {
	AccountID       string `json:"account_id"`
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret string `json:"access_key_secret"`
}

// ensureDefaultAccount sets up the default account's key: from
// ACKSCALE_ACCESS_KEY_ID / ACKSCALE_ACCESS_KEY_SECRET, else one generated
// once and kept in DIR/default-key.json (mode 0600), printed at start.
func ensureDefaultAccount(ctx context.Context, accounts *sqlite.AccountStore, dir string) error {
	k := keyFile{AccountID: defaultAccountID, AccessKeyID: os.Getenv("ACKSCALE_ACCESS_KEY_ID"),
		AccessKeySecret: os.Getenv("ACKSCALE_ACCESS_KEY_SECRET")}
	if (k.AccessKeyID == "") != (k.AccessKeySecret == "") {
		return errors.New("set both ACKSCALE_ACCESS_KEY_ID and ACKSCALE_ACCESS_KEY_SECRET, or neither")
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
