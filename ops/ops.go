// Package ops is ackscale's operations layer: for every operation the APIs
// and the CLI serve, it loads the target in the caller's account, validates
// the request through the rule tables, applies defaults and quotas, decides
// placement inputs and which workers a scale-in takes, builds the task
// (stages, deadline) and moves the cluster's state. The adapters (httpapi,
// adminapi, cmd/ackscale) decode and answer; ops decides. It calls only
// interfaces, declared here.
package ops

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/rules"
)

// Clusters is what operations read and write of clusters and tasks.
type Clusters interface {
	ClusterCreate(ctx context.Context, p ackscale.ClusterCreateParams) error
	ClusterGet(ctx context.Context, p ackscale.ClusterGetParams) (ackscale.Cluster, error)
	ClusterList(ctx context.Context, p ackscale.ClusterListParams) ([]ackscale.Cluster, int, error)
	TaskStart(ctx context.Context, p ackscale.TaskStartParams) error
	TaskGet(ctx context.Context, p ackscale.TaskGetParams) (ackscale.Task, error)
	TaskList(ctx context.Context, p ackscale.TaskListParams) ([]ackscale.Task, int, error)
	ClusterUpdate(ctx context.Context, p ackscale.ClusterUpdateParams) error
	NodePoolGet(ctx context.Context, p ackscale.NodePoolGetParams) (ackscale.NodePool, error)
	NodePoolList(ctx context.Context, p ackscale.NodePoolListParams) ([]ackscale.NodePool, error)
}

// Workers is what operations read of workers.
type Workers interface {
	WorkerList(ctx context.Context, p ackscale.WorkerListParams) ([]ackscale.Worker, int, error)
	WorkerCount(ctx context.Context, clusterID string) (int, error)
	WorkerCounts(ctx context.Context, clusterID string) ([]ackscale.WorkerCount, error)
}

// Accounts creates accounts (the CLI's `account create`).
type Accounts interface {
	AccountCreate(ctx context.Context, p ackscale.AccountCreateParams) error
}

// Cloud is what operations ask the emulated cloud: what exists (for
// validation and defaults), the quotas in force, and its run-time control.
type Cloud interface {
	rules.Cloud
	// Quotas returns the quotas in force for an account, by name.
	Quotas(ctx context.Context, accountID string) (map[string]int, error)
	// InstanceTypeVCPUs returns the vCPUs of a known instance type.
	InstanceTypeVCPUs(name string) (int, bool)
	// DefaultRuntimeVersion is the version of a runtime asked without one.
	DefaultRuntimeVersion(name string) string
	// InstanceTypeExists reports whether the cloud has an instance type.
	InstanceTypeExists(name string) bool
	// ZoneExists reports whether a zone (or ENS region) exists.
	ZoneExists(id string) bool
	// KubernetesVersions lists the Kubernetes versions offered, newest first.
	KubernetesVersions() []string
	// RuntimeNames lists the container runtimes offered.
	RuntimeNames() []string
	Control
}

// Control is the run-time control of the emulated cloud that the admin API
// and the CLI reach through ops.
type Control interface {
	SetStock(ctx context.Context, o ackscale.StockOverride) error
	Stock(ctx context.Context) ([]ackscale.StockView, error)
	SetQuota(ctx context.Context, q ackscale.QuotaOverride) error
	QuotaOverrides(ctx context.Context) ([]ackscale.QuotaOverride, error)
	AddFault(ctx context.Context, f ackscale.Fault) (ackscale.Fault, error)
	Faults(ctx context.Context) ([]ackscale.Fault, error)
	DeleteFault(ctx context.Context, id string) error
	Instances(ctx context.Context) ([]ackscale.Instance, error)
}

// Kubeconfigs returns a cluster's kubeconfig; nil when ackscale runs
// without Kubernetes.
type Kubeconfigs interface {
	Kubeconfig(clusterID string) ([]byte, error)
	// CA returns the PEM certificate of the CA of the cluster's API server.
	CA(clusterID string) ([]byte, error)
}

// Config configures a Service.
type Config struct {
	Clusters Clusters
	Workers  Workers
	Accounts Accounts         // nil: accounts cannot be created through ops
	Checker  ackscale.Checker // nil: no invariant check
	Cloud    Cloud
	Kube     Kubeconfigs // nil: clusters have no API server
	Logger   *slog.Logger
	Now      func() time.Time
	// TimeScale runs emulated time (timeout_mins) N times faster, like the
	// cloud's boot times.
	TimeScale float64
	// BcryptCost is the cost of login password hashes (default bcrypt's).
	BcryptCost int
	// Changes, when set, is a number the stores move once any cluster,
	// node pool, task or worker change has committed (sqlite.DB.Changes);
	// nil when they have none (PostgreSQL: other replicas write too).
	Changes func() uint64
}

func (c *Config) validate() error {
	if c.Clusters == nil || c.Workers == nil || c.Cloud == nil {
		return errors.New("ops: Clusters, Workers and Cloud are required")
	}
	c.Logger = cmp.Or(c.Logger, slog.New(slog.DiscardHandler))
	if c.Now == nil {
		c.Now = ackscale.NowUTC
	}
	if c.TimeScale <= 0 {
		c.TimeScale = 1
	}
	c.BcryptCost = cmp.Or(c.BcryptCost, bcrypt.DefaultCost)
	return nil
}

// Service runs the operations.
type Service struct {
	cfg Config
	log *slog.Logger
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, log: cfg.Logger}, nil
}

// Caller is who asks for an operation: the account whose key signed the
// request, and the request's id (recorded in the task's first event).
type Caller struct {
	AccountID string
	RequestID string
}

// Accepted is the answer of every asynchronous operation: the cluster and
// the task that carries the operation out.
type Accepted struct {
	ClusterID string
	TaskID    string
}

// cluster loads the caller's cluster (CodeClusterNotFound otherwise).
func (s *Service) cluster(ctx context.Context, c Caller, id string) (ackscale.Cluster, error) {
	return s.cfg.Clusters.ClusterGet(ctx, ackscale.ClusterGetParams{ID: id, AccountID: c.AccountID})
}

func (s *Service) now() time.Time { return s.cfg.Now() }

// Changes returns a number that moves once any cluster, node pool, task
// or worker change has committed; ok is false when the stores keep none.
// What DescribeCluster, DescribeTask and ListNodes answer after Changes
// returned n is what they answer for as long as it returns n.
func (s *Service) Changes() (n uint64, ok bool) {
	if s.cfg.Changes == nil {
		return 0, false
	}
	return s.cfg.Changes(), true
}
