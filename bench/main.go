// Command bench measures ackscale against baselines on this machine and
// prints one Markdown table (docs/performance.md keeps the latest):
//
//	go run ./bench                 # every row, full size (about 15 minutes)
//	go run ./bench -rows c,d       # some rows
//	go run ./bench -quick          # every row, a few seconds each (CI)
//
// Rows (issue 14): a, the accept path (signed ScaleOutCluster); b, reads;
// c, 500 Nodes Ready in one scale-out against client-go and kwok; d, 20
// clusters × 500 Nodes and their Lease renewal; e, start-up. It builds the
// ackscale binary, starts real servers (`ackscale serve`, with the
// kube-apiserver and etcd of ./bin for c, d and e), and builds kwok v0.8.0
// once into the user's cache. Progress goes to stderr, the table to stdout.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ackscale/ackscale/k8s"
)

// sizes are the counts a run uses: full, or quick (-quick).
type sizes struct {
	requests       int           // a: scale-outs per measurement (one per cluster)
	liveInstances  int           // a: the "many live instances" state
	reads          int           // b: requests per read measurement
	readNodes      int           // b: the nodes DescribeClusterNodes lists
	nodes          int           // c: Nodes in one scale-out
	runs           int           // c: runs (the median is shown)
	fleetClusters  int           // d: clusters
	fleetNodes     int           // d: Nodes per cluster
	renewal        time.Duration // d: how long the Lease renewal is watched
	leaseSample    time.Duration // d: how often every Lease's age is read
	clientInFlight int           // c: the client-go baseline's requests in flight
	rounds         int           // a, b: rounds of each measurement, each with its baseline (medians shown)
}

var (
	full  = sizes{2000, 10000, 10000, 100, 500, 3, 20, 500, 3 * time.Minute, 5 * time.Second, 16, 3}
	quick = sizes{200, 500, 400, 100, 50, 1, 2, 50, 10 * time.Second, time.Second, 16, 1}
)

// bench is one run of the benchmark.
type bench struct {
	size        sizes
	quick       bool
	root        string // the module's root
	tmp         string // removed at the end
	ackscaleBin string
	kubeBin     string
	kwokBin     string
	log         *slog.Logger
	rows        []row
	fleetDir    string    // d's data dir, which e restarts on
	fleetN      int       // its clusters
	fleetKey    [3]string // its key pair and admin token
	fleetFromD  bool      // made by row d (else by e, without Nodes)
	profileDir  string    // -profile
}

// row is one line of the table.
type row struct {
	figure, ackscale, baseline, ratio, target, met string
}

func main() {
	rowsFlag := flag.String("rows", "a,b,c,d,e", "rows to run, comma-separated")
	quickFlag := flag.Bool("quick", false, "a few seconds a row (small counts), for CI")
	keep := flag.Bool("keep", false, "keep the temporary folder (data dirs and server logs)")
	bin := flag.String("ackscale", "", "an ackscale binary to run (default: build ./cmd/ackscale)")
	prof := flag.String("profile", "", "sample ackscale's CPU with Linux perf during the measurements of a, b, c and d into this folder")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b := &bench{size: full, quick: *quickFlag, ackscaleBin: *bin, profileDir: *prof, log: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	if b.quick {
		b.size = quick
	}
	err := b.run(ctx, strings.Split(*rowsFlag, ","), *keep)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func (b *bench) run(ctx context.Context, rows []string, keep bool) (err error) {
	want := map[string]bool{}
	for _, r := range rows {
		r = strings.TrimSpace(r)
		if !slices.Contains([]string{"a", "b", "c", "d", "e"}, r) {
			return fmt.Errorf("unknown row %q (rows are a, b, c, d, e)", r)
		}
		want[r] = true
	}
	if b.profileDir != "" {
		if err := os.MkdirAll(b.profileDir, 0o755); err != nil {
			return err
		}
	}
	defer func() {
		if b.tmp == "" {
			return
		}
		if keep || err != nil { // a failure's servers' logs are there
			b.log.Info("kept the temporary folder (data dirs, servers' logs)", "dir", b.tmp)
			return
		}
		_ = os.RemoveAll(b.tmp)
	}()
	if err := b.setup(ctx); err != nil {
		return err
	}
	start := time.Now()
	if want["a"] || want["b"] {
		if err := b.rowsAcceptAndReads(ctx, want["a"], want["b"]); err != nil {
			return err
		}
	}
	for _, r := range []struct {
		name string
		run  func(context.Context) error
	}{{"c", b.rowNodes}, {"d", b.rowFleet}, {"e", b.rowStartup}} {
		if !want[r.name] {
			continue
		}
		b.log.Info("row", "row", r.name)
		if err := r.run(ctx); err != nil {
			return fmt.Errorf("row %s: %w", r.name, err)
		}
	}
	b.log.Info("done", "took", time.Since(start).Round(time.Second))
	b.print()
	return nil
}

// setup finds the module root and the kube binaries, and builds ackscale
// (and kwok, once, into the user's cache).
func (b *bench) setup(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return fmt.Errorf("find the module root (run from the repository): %w", err)
	}
	b.root = strings.TrimSpace(string(out))
	b.kubeBin = os.Getenv("ACKSCALE_KUBE_BIN")
	if b.kubeBin == "" {
		b.kubeBin = filepath.Join(b.root, "bin")
	}
	if !k8s.BinariesPresent(b.kubeBin) {
		return fmt.Errorf("kube-apiserver and etcd not found in %s (run make kube-cached)", b.kubeBin)
	}
	if b.tmp, err = os.MkdirTemp("", "ackscale-bench-"); err != nil {
		return err
	}
	if b.ackscaleBin != "" {
		b.ackscaleBin, err = filepath.Abs(b.ackscaleBin)
		return err
	}
	b.ackscaleBin = filepath.Join(b.tmp, "ackscale")
	b.log.Info("building ackscale")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", b.ackscaleBin, "./cmd/ackscale")
	cmd.Dir = b.root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/ackscale: %w\n%s", err, out)
	}
	return nil
}

// kwok returns the kwok binary, building it the first time into the
// user's cache (about 4 minutes on 2 cores), never into the repository.
func (b *bench) kwok(ctx context.Context) (string, error) {
	if b.kwokBin != "" {
		return b.kwokBin, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "ackscale", "kwok-"+kwokVersion)
	bin := filepath.Join(dir, "kwok")
	if _, err := os.Stat(bin); err == nil {
		b.kwokBin = bin
		return bin, nil
	}
	b.log.Info("building kwok once (about 4 minutes on 2 cores)", "version", kwokVersion, "into", dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "go", "install", "-trimpath", "sigs.k8s.io/kwok/cmd/kwok@"+kwokVersion)
	cmd.Dir = dir // outside the module: go install pkg@version ignores ackscale's go.mod
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install sigs.k8s.io/kwok/cmd/kwok@%s: %w\n%s", kwokVersion, err, out)
	}
	b.kwokBin = bin
	return bin, nil
}

const kwokVersion = "v0.8.0"

func (b *bench) add(r row) {
	b.rows = append(b.rows, r)
	b.log.Info("result", "figure", r.figure, "ackscale", r.ackscale, "baseline", r.baseline, "ratio", r.ratio, "met", r.met)
}

// print writes the table.
func (b *bench) print() {
	mode := "full"
	if b.quick {
		mode = "quick (-quick: small counts; not comparable with the targets)"
	}
	fmt.Printf("ackscale bench, %s, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), mode)
	fmt.Println("| figure | ackscale | baseline | ratio | target | met? |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, r := range b.rows {
		fmt.Printf("| %s | %s | %s | %s | %s | %s |\n", r.figure, r.ackscale, cmpOr(r.baseline, "—"), cmpOr(r.ratio, "—"),
			cmpOr(r.target, "—"), cmpOr(r.met, "—"))
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// met renders whether a target was met.
func met(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}
