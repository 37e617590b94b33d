// Package metrics exports ackscale's state as Prometheus metrics: tasks,
// instances, clusters, workers and Nodes, River's jobs and the clusters'
// kube-apiservers, read from the stores at each scrape, and task durations,
// observed when a task ends. Every metric is on one dedicated registry
// (never the global one); docs/metrics.md lists them.
//
// It imports the root package and the Prometheus client only: the stores
// and the kube-apiservers are reached through the interfaces declared here.
package metrics

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ackscale/ackscale"
)

// Namespace prefixes every ackscale metric.
const Namespace = "ackscale"

// Tasks counts tasks by type and state (ackscale.ClusterStore).
type Tasks interface {
	TaskCountsByType(ctx context.Context) ([]ackscale.TaskCounts, error)
}

// JobCount is how many River jobs are in one state.
type JobCount struct {
	State string
	Count int
}

// Jobs counts River's jobs by state (the queue's depth).
type Jobs interface {
	JobCounts(ctx context.Context) ([]JobCount, error)
}

// Clusters lists clusters (ackscale.ClusterStore.ClusterList).
type Clusters interface {
	ClusterList(ctx context.Context, p ackscale.ClusterListParams) ([]ackscale.Cluster, int, error)
}

// Workers counts a cluster's workers (ackscale.WorkerStore.WorkerCounts).
type Workers interface {
	WorkerCounts(ctx context.Context, clusterID string) ([]ackscale.WorkerCount, error)
}

// Instances lists the emulated cloud's instances (ackscale.CloudStore.InstanceList).
type Instances interface {
	InstanceList(ctx context.Context, p ackscale.InstanceListParams) ([]ackscale.Instance, error)
}

// Config configures Metrics. Each source left nil leaves its metrics out.
type Config struct {
	Tasks     Tasks
	Jobs      Jobs
	Clusters  Clusters
	Workers   Workers // read only with Clusters
	Instances Instances
	// DB, when set, adds database/sql's connection pool statistics.
	DB *sql.DB
	// Kube, when set, probes each cluster's kube-apiserver at each scrape.
	Kube *KubeProbe
	// Version is reported by ackscale_build_info.
	Version string
	Now     func() time.Time
	// Timeout bounds the store reads of one scrape (default 5 s).
	Timeout time.Duration
}

// Metrics is ackscale's registry of metrics.
type Metrics struct {
	cfg          Config
	reg          *prometheus.Registry
	taskDuration *prometheus.HistogramVec
}

// New returns Metrics with the Go runtime's and the process's metrics, the
// task duration histogram, and a collector over each source of cfg.
func New(cfg Config) (*Metrics, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Timeout = cmp.Or(max(cfg.Timeout, 0), 5*time.Second)
	m := &Metrics{cfg: cfg, reg: prometheus.NewRegistry()}
	m.taskDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "task_duration_seconds",
		Help: "Time from a task's acceptance to its end, observed when it ends (success or failed).",
		// Tasks take seconds (instant boots) to tens of minutes (bare metal, ENS, timeouts).
		Buckets: []float64{0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 3600},
	}, []string{"type", "state"})
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: "build_info",
		Help: "Always 1; its labels name the version that runs."}, []string{"version"})
	build.WithLabelValues(cmp.Or(cfg.Version, "unknown")).Set(1)
	cs := []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.taskDuration, build, newStoreCollector(cfg),
	}
	if cfg.DB != nil {
		cs = append(cs, collectors.NewDBStatsCollector(cfg.DB, "ackscale"))
	}
	if cfg.Kube != nil {
		cs = append(cs, &kubeCollector{probe: cfg.Kube, timeout: cfg.Timeout})
	}
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: register: %w", err)
		}
	}
	return m, nil
}

// Registry is the registry every metric is on; the HTTP server registers
// its request metrics there too and serves it at /metrics.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// TaskEnded observes the duration of a task that has just ended, from its
// acceptance (Created) to now. Call it once per task, after the store has
// recorded the end.
func (m *Metrics) TaskEnded(t ackscale.Task) {
	if !t.State.Ended() || t.Created.IsZero() {
		return
	}
	d := m.cfg.Now().Sub(t.Created)
	m.taskDuration.WithLabelValues(string(t.Type), string(t.State)).Observe(max(d.Seconds(), 0))
}
