// Package task runs ackscale's tasks as River jobs: create a cluster, scale
// it out or in, remove nodes, delete it. Every step is recorded before and
// after it touches the cloud, so a job re-run after a crash resumes where the
// last one stopped and never creates an instance twice.
package task

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/ackscale/ackscale"
)

// Store is what tasks read and write. Declared here, implemented by the stores.
type Store interface {
	ClusterGet(ctx context.Context, p ackscale.ClusterGetParams) (ackscale.Cluster, error)
	ClusterSetAPIServer(ctx context.Context, p ackscale.ClusterSetAPIServerParams) error
	TaskGet(ctx context.Context, p ackscale.TaskGetParams) (ackscale.Task, error)
	TaskSave(ctx context.Context, t ackscale.Task) error
	TaskPlan(ctx context.Context, p ackscale.TaskPlanParams) error
	TaskFinish(ctx context.Context, p ackscale.TaskFinishParams) error
	WorkerUpdate(ctx context.Context, w ackscale.Worker) error
	WorkerDelete(ctx context.Context, clientToken string) error
	WorkerList(ctx context.Context, p ackscale.WorkerListParams) ([]ackscale.Worker, int, error)
	NodePoolGet(ctx context.Context, p ackscale.NodePoolGetParams) (ackscale.NodePool, error)
}

// Cloud is the (emulated) cloud the tasks create instances in.
type Cloud interface {
	RunInstance(ctx context.Context, r ackscale.InstanceRequest) (ackscale.Instance, error)
	DescribeInstance(ctx context.Context, id string) (ackscale.Instance, error)
	ReleaseInstance(ctx context.Context, id string) error
	ReleaseByToken(ctx context.Context, clientToken string) error
	// DetachByToken keeps an instance that leaves its cluster unreleased.
	DetachByToken(ctx context.Context, clientToken string) error
	// VSwitchZone returns the zone of a vSwitch.
	VSwitchZone(id string) (zoneID string, ok bool)
	// NodeFault reports whether a worker's Node must start NotReady, and for how long.
	NodeFault(ctx context.Context, accountID, regionID, zoneID, instanceType string) (ackscale.Fault, bool, error)
}

// Kube registers workers as Nodes in each cluster's API server. Nil when
// ackscale runs with --kube=off.
type Kube interface {
	EnsureCluster(ctx context.Context, c ackscale.Cluster) (endpoint string, err error)
	RegisterNode(ctx context.Context, c ackscale.Cluster, w ackscale.Worker) error
	// UpdateNode gives an existing Node the worker's labels, taints and
	// unschedulable mark (replacing those ackscale set before).
	UpdateNode(ctx context.Context, c ackscale.Cluster, w ackscale.Worker) error
	RemoveNode(ctx context.Context, clusterID, nodeName string, drain bool) error
	SetNodeReady(ctx context.Context, clusterID, nodeName string, ready bool) error
	DeleteCluster(ctx context.Context, clusterID string) error
}

// Config configures the task runner.
type Config struct {
	Store  Store
	Cloud  Cloud
	Kube   Kube // nil: no Kubernetes
	Logger *slog.Logger
	Now    func() time.Time
	// MaxWait is the longest a job waits in process for instances to boot
	// before it snoozes and frees its worker slot.
	MaxWait time.Duration
}

// Worker is the River worker of ackscale.TaskJob.
type Worker struct {
	river.WorkerDefaults[ackscale.TaskJob]
	cfg Config
}

// Register adds the task worker to workers.
func Register(workers *river.Workers, cfg Config) error {
	if cfg.Store == nil || cfg.Cloud == nil {
		return errors.New("task: Store and Cloud are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = ackscale.NowUTC
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 5 * time.Second
	}
	return river.AddWorkerSafely(workers, &Worker{cfg: cfg})
}

// Timeout bounds one run of a job; long waits snooze instead.
func (w *Worker) Timeout(*river.Job[ackscale.TaskJob]) time.Duration { return 90 * time.Second }

// Work runs (or resumes) one task.
func (w *Worker) Work(ctx context.Context, job *river.Job[ackscale.TaskJob]) error {
	t, err := w.cfg.Store.TaskGet(ctx, ackscale.TaskGetParams{ID: job.Args.TaskID})
	if err != nil {
		return fmt.Errorf("load task: %w", err)
	}
	if t.State.Ended() {
		return nil
	}
	c, err := w.cfg.Store.ClusterGet(ctx, ackscale.ClusterGetParams{ID: t.ClusterID, WithDeleted: true})
	if err != nil {
		return fmt.Errorf("load cluster: %w", err)
	}
	r := &run{cfg: w.cfg, t: t, c: c, attempt: job.Attempt,
		log: w.cfg.Logger.With("task_id", t.ID, "cluster_id", t.ClusterID, "task_type", t.Type, "attempt", job.Attempt)}
	r.log.DebugContext(ctx, "task run")
	err = r.dispatch(ctx)
	var snooze *river.JobSnoozeError
	if err == nil || errors.As(err, &snooze) || job.Attempt < job.MaxAttempts {
		return err
	}
	// The last attempt: end the task rather than leave it running forever.
	r.log.ErrorContext(ctx, "task gave up", "err", err)
	code, msg := errorOf(err)
	r.setError(code, fmt.Sprintf("gave up after %d attempts: %s", job.Attempt, msg))
	return r.finishFailed(ctx)
}

// NextRetry retries a failed run soon: the errors that reach River are
// passing ones (a store busy, a cloud call failing now).
func (w *Worker) NextRetry(job *river.Job[ackscale.TaskJob]) time.Time {
	return time.Now().Add(time.Duration(min(job.Attempt, 10)) * 500 * time.Millisecond)
}

func (r *run) dispatch(ctx context.Context) error {
	switch r.t.Type {
	case ackscale.TaskCreateCluster:
		return r.createCluster(ctx)
	case ackscale.TaskScaleOut:
		return r.scaleOut(ctx)
	case ackscale.TaskScaleIn, ackscale.TaskRemoveNodes, ackscale.TaskNodePoolRemoveNodes:
		return r.removeNodes(ctx)
	case ackscale.TaskDeleteCluster:
		return r.deleteCluster(ctx)
	case ackscale.TaskNodePoolCreate, ackscale.TaskNodePoolScaleOut:
		return r.poolScaleOut(ctx)
	case ackscale.TaskNodePoolScaleIn:
		return r.poolScaleIn(ctx)
	case ackscale.TaskNodePoolUpdate:
		return r.poolUpdate(ctx)
	case ackscale.TaskNodePoolDelete:
		return r.poolDelete(ctx)
	}
	return river.JobCancel(fmt.Errorf("unknown task type %q", r.t.Type))
}

// run is one run of one task.
type run struct {
	cfg     Config
	t       ackscale.Task
	c       ackscale.Cluster
	attempt int // the job's: 1 on its first run
	// planned: this run planned the workers, so no earlier run asked the
	// cloud for their client tokens.
	planned bool
	// unmade are the client tokens whose instance the cloud refused in
	// this run: it has none of them, and a rollback need not look.
	unmade map[string]bool
	log    *slog.Logger
	mu     sync.Mutex // guards t.Events: a stage's workers add events concurrently
}

func (r *run) now() time.Time { return r.cfg.Now() }

// stage makes name the current stage, ending the previous one as a
// success, and saves the task. A stage the task has already entered is not
// entered again: a run that resumes after a snooze, a crash or a retry
// passes through the stages it has done (whose steps are idempotent)
// without listing them twice, so DescribeTaskInfo lists each stage once.
func (r *run) stage(ctx context.Context, name ackscale.Stage) error {
	if !r.enter(ctx, name) {
		return nil
	}
	return r.cfg.Store.TaskSave(ctx, r.t)
}

// enter is stage without the save, for a stage whose own step is durable
// by itself (the plan's workers): the next save records it. It reports
// whether the task had not entered name before.
func (r *run) enter(ctx context.Context, name ackscale.Stage) bool {
	if r.entered(name) {
		return false
	}
	r.endStage(ackscale.StageSuccess, "")
	r.t.CurrentStage = name
	r.t.Stages = append(r.t.Stages, ackscale.TaskStage{Name: name, State: ackscale.StageRunning, Start: r.now()})
	r.log.InfoContext(ctx, "task stage", "stage", name)
	return true
}

// entered reports whether the task has entered stage name before.
func (r *run) entered(name ackscale.Stage) bool {
	for _, st := range r.t.Stages {
		if st.Name == name {
			return true
		}
	}
	return false
}

func (r *run) endStage(state ackscale.StageState, msg string) {
	if n := len(r.t.Stages); n > 0 && r.t.Stages[n-1].State == ackscale.StageRunning {
		r.t.Stages[n-1].State, r.t.Stages[n-1].End, r.t.Stages[n-1].Message = state, r.now(), msg
	}
}

func (r *run) event(level ackscale.EventLevel, reason ackscale.EventReason, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.t.Events = append(r.t.Events, ackscale.TaskEvent{Action: r.t.CurrentStage, Level: level, Reason: reason,
		Message: msg, Source: "ackscale", Timestamp: r.now()})
}

// succeed ends the task and moves the cluster to the state its type
// leaves it in after a success.
func (r *run) succeed(ctx context.Context) error {
	r.endStage(ackscale.StageSuccess, "")
	r.t.State, r.t.CurrentStage = ackscale.TaskSuccess, ackscale.StageDone
	r.event(ackscale.EventNormal, ackscale.ReasonTaskSucceeded, "task succeeded")
	r.log.InfoContext(ctx, "task succeeded")
	return r.cfg.Store.TaskFinish(ctx, ackscale.TaskFinishParams{Task: r.t, ClusterState: r.t.Type.ClusterStateAfter(true),
		PoolState: r.t.Type.PoolStateAfter(true)})
}

// finishFailed ends the task as failed with the error already set, and
// moves the cluster to the state its type leaves it in after a failure.
func (r *run) finishFailed(ctx context.Context) error { return r.finish(ctx, false) }

// finish is finishFailed, forgetting the task's workers when deleteWorkers
// (a rolled-back scale-out's) in the same transaction.
func (r *run) finish(ctx context.Context, deleteWorkers bool) error {
	r.endStage(ackscale.StageFailed, r.t.ErrorMessage)
	r.t.State = ackscale.TaskFailed
	r.log.WarnContext(ctx, "task failed", "code", r.t.ErrorCode, "err", r.t.ErrorMessage)
	return r.cfg.Store.TaskFinish(ctx, ackscale.TaskFinishParams{Task: r.t, ClusterState: r.t.Type.ClusterStateAfter(false),
		PoolState: r.t.Type.PoolStateAfter(false), DeleteWorkers: deleteWorkers})
}

func (r *run) setError(code, msg string) {
	if r.t.ErrorCode == "" {
		r.t.ErrorCode, r.t.ErrorMessage = code, msg
		r.event(ackscale.EventWarning, ackscale.EventReason(code), msg)
	}
}

// errorOf splits err into an ACK code and a message.
func errorOf(err error) (code, msg string) {
	if ackscale.KindOf(err) != ackscale.KindInternal {
		return ackscale.ErrorCode(err), ackscale.ErrorMessage(err)
	}
	return ackscale.CodeInternal, err.Error()
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
