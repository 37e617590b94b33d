package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/riverqueue/river"
	"github.com/spf13/cobra"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/adminapi"
	"github.com/ackscale/ackscale/catalog"
	"github.com/ackscale/ackscale/cloud"
	"github.com/ackscale/ackscale/httpapi"
	"github.com/ackscale/ackscale/k8s"
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
	unlock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	defer unlock()
	cat, err := loadCatalog(cfg.CatalogFile)
	if err != nil {
		return err
	}
	workers := river.NewWorkers()
	store, err := sqlite.Open(ctx, sqlite.Config{Dir: cfg.DataDir, Workers: workers, Logger: log})
	if err != nil {
		return err
	}
	defer closeStore(store, log)
	cl, err := cloud.New(cloud.Config{Store: store, Catalog: cat, Logger: log, BootLatency: bootLatency(cfg.BootLatency), TimeScale: cfg.TimeScale})
	if err != nil {
		return err
	}
	kube, err := startKube(ctx, cfg, cat, store, log)
	if err != nil {
		return err
	}
	if kube != nil {
		defer kube.Close()
	}
	tcfg := task.Config{Store: store, Cloud: cl, Logger: log}
	hcfg := httpapi.Config{Store: store, Cloud: cl, Logger: log, RateLimit: cfg.RateLimit, Burst: cfg.Burst, TimeScale: cfg.TimeScale}
	if kube != nil { // a nil *k8s.Manager in an interface would not be nil
		tcfg.Kube, hcfg.Kube = kube, kube
	}
	if err := task.Register(workers, tcfg); err != nil {
		return err
	}
	if err := ensureDefaultAccount(ctx, store, cfg.DataDir); err != nil {
		return err
	}
	api, err := httpapi.New(hcfg)
	if err != nil {
		return err
	}
	token, err := adminToken(cfg.DataDir, true)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(adminapi.Prefix, adminapi.New(cl, store, token, log))
	mux.Handle("/", api)
	if err := store.StartJobs(ctx); err != nil {
		return err
	}
	return listenAndServe(ctx, cfg.Addr, mux, log)
}

// startKube starts the per-cluster API servers when --kube asks for them,
// and brings back those of existing clusters in the background.
func startKube(ctx context.Context, cfg serveConfig, cat *catalog.Catalog, store *sqlite.Store, log *slog.Logger) (*k8s.Manager, error) {
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
	ids, err := store.ClustersWithAPIServer(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		go func() {
			if _, err := m.EnsureCluster(context.Background(), ackscale.Cluster{ID: id}); err != nil {
				log.Error("restart api server", "cluster_id", id, "err", err)
			}
		}()
	}
	log.Info("kube on", "kube_bin", cfg.KubeBin, "clusters", len(ids))
	return m, nil
}

// lockDataDir refuses a second serve on the same data dir: at start each
// requeues the jobs the store shows running, so two would run them twice.
func lockDataDir(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, "serve.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s is in use by another ackscale serve (%w)", dir, err)
	}
	return func() { f.Close() }, nil
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

func closeStore(s *sqlite.Store, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		log.Error("close store", "err", err)
	}
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
func ensureDefaultAccount(ctx context.Context, store *sqlite.Store, dir string) error {
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
	_, err := store.AccountEnsure(ctx, k.AccountID, k.AccessKeyID, k.AccessKeySecret)
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
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return k, fmt.Errorf("write %s: %w", path, err)
	}
	return k, nil
}
