package task

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/mock"
)

func TestScaleOutSpreadsOverZonesWithDistinctIPs(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, be backend) {
		b := setup(t, be, options{})
		c := b.cluster(t)
		tk := b.startScaleOut(t, c, standardScaleOut(6, c.Spec.VSwitchIDs), b.now.Add(time.Hour))
		done := b.workUntilDone(t, tk.ID)
		require.Equal(t, ackscale.TaskSuccess, done.State, done.ErrorMessage)

		ws := b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID, TaskID: tk.ID})
		require.Len(t, ws, 6)
		zones, ips := map[string]int{}, map[string]bool{}
		for _, w := range ws {
			require.Equal(t, ackscale.NodeRunning, w.State)
			require.Equal(t, ackscale.NodeReady, w.NodeStatus)
			require.Regexp(t, `^i-[0-9a-f]{20}$`, w.InstanceID)
			require.Equal(t, "cn-hangzhou."+w.IP, w.NodeName)
			require.False(t, ips[w.IP], "IP %s given twice", w.IP)
			ips[w.IP] = true
			zones[w.ZoneID]++
			require.Equal(t, "frontend", w.Labels["tier"])
		}
		require.Len(t, zones, len(c.Spec.VSwitchIDs))
		for z, n := range zones { // even: every zone within one of the others
			require.InDelta(t, float64(6)/float64(len(zones)), n, 1, "zone %s", z)
		}
		require.Equal(t, ackscale.ClusterRunning, b.clusterNow(t, c.ID).State)
		require.Equal(t, []ackscale.Stage{ackscale.StageValidate, ackscale.StagePlan, ackscale.StageCreateInstances,
			ackscale.StageWaitRunning, ackscale.StageRegister}, stageNames(done))
		require.Equal(t, ackscale.StageDone, done.CurrentStage)
		require.Len(t, b.liveInstances(t), 6)
	})
}

// A job that snoozes while instances boot resumes in its stage: each stage
// is listed once, however many runs the task took.
func TestStagesListedOnceAcrossSnoozes(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, be backend) {
		b := setup(t, be, options{boot: 1500 * time.Millisecond}) // > MaxWait: the job snoozes
		c := b.cluster(t)
		tk := b.startScaleOut(t, c, standardScaleOut(2, c.Spec.VSwitchIDs), b.now.Add(time.Hour))
		var snooze *river.JobSnoozeError
		require.ErrorAs(t, b.work(tk.ID), &snooze)
		done := b.workUntilDone(t, tk.ID)
		require.Equal(t, ackscale.TaskSuccess, done.State, done.ErrorMessage)
		require.Equal(t, []ackscale.Stage{ackscale.StageValidate, ackscale.StagePlan, ackscale.StageCreateInstances,
			ackscale.StageWaitRunning, ackscale.StageRegister}, stageNames(done))
		for _, s := range done.Stages {
			require.Equal(t, ackscale.StageSuccess, s.State, s.Name)
			require.False(t, s.End.Before(s.Start), s.Name)
		}
	})
}

func TestScaleOutResumedNeverDuplicates(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, be backend) {
		b := setup(t, be, options{})
		c := b.cluster(t)
		tk := b.startScaleOut(t, c, standardScaleOut(4, c.Spec.VSwitchIDs), b.now.Add(time.Hour))
		// A first run that "crashed" after the cloud created two instances but
		// before their worker rows were updated.
		r := &run{cfg: b.worker.cfg, t: tk, c: c, log: discard()}
		ws, err := r.plan(b.ctx)
		require.NoError(t, err)
		for _, w := range ws[:2] {
			_, err := b.cloud.RunInstance(b.ctx, ackscale.InstanceRequest{ClientToken: w.ClientToken, AccountID: w.AccountID,
				RegionID: w.RegionID, ZoneID: w.ZoneID, VSwitchID: w.VSwitchID, InstanceTypes: []string{w.InstanceType}})
			require.NoError(t, err)
		}
		done := b.workUntilDone(t, tk.ID)
		require.Equal(t, ackscale.TaskSuccess, done.State)
		require.Len(t, b.liveInstances(t), 4)
		// Running the finished job again changes nothing.
		require.NoError(t, b.work(tk.ID))
		require.Len(t, b.liveInstances(t), 4)
	})
}

// listCounter counts the store's WorkerList calls.
type listCounter struct {
	stores
	lists atomic.Int32
}

func (l *listCounter) WorkerList(ctx context.Context, p ackscale.WorkerListParams) ([]ackscale.Worker, int, error) {
	l.lists.Add(1)
	return l.stores.WorkerList(ctx, p)
}

// A task's first run plans its workers without reading them (it has none:
// they are stored with its plan stage); a run after the plan reads them,
// as does a later attempt of a task without the stage.
func TestPlanReadsWorkersOnlyAfterAPlan(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, be backend) {
		t.Run("first run, then a run after a snooze", func(t *testing.T) {
			b := setup(t, be, options{boot: 1500 * time.Millisecond}) // > MaxWait: the job snoozes
			c := b.cluster(t)
			counter := &listCounter{stores: b.store}
			b.worker.cfg.Store = counter
			tk := b.startScaleOut(t, c, standardScaleOut(2, c.Spec.VSwitchIDs), b.now.Add(time.Hour))
			var snooze *river.JobSnoozeError
			require.ErrorAs(t, b.work(tk.ID), &snooze)
			require.Zero(t, counter.lists.Load(), "the first run reads no worker")
			saved := b.taskNow(t, tk.ID)
			require.Equal(t, ackscale.StageCreateInstances, stageNames(saved)[2], "the plan stage is saved with the workers")
			require.Len(t, b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID, TaskID: tk.ID}), 2)
			counter.lists.Store(0)
			done := b.workUntilDone(t, tk.ID)
			require.Equal(t, ackscale.TaskSuccess, done.State, done.ErrorMessage)
			require.Positive(t, counter.lists.Load(), "a run after the plan reads the workers")
			require.Len(t, b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID, TaskID: tk.ID}), 2)
			require.Len(t, b.liveInstances(t), 2)
		})
		t.Run("a later attempt without the plan stage", func(t *testing.T) {
			b := setup(t, be, options{})
			c := b.cluster(t)
			counter := &listCounter{stores: b.store}
			b.worker.cfg.Store = counter
			tk := b.startScaleOut(t, c, standardScaleOut(2, c.Spec.VSwitchIDs), b.now.Add(time.Hour))
			r := &run{cfg: b.worker.cfg, t: tk, c: c, log: discard()}
			ws := r.placement() // planned by an older version, which then stopped
			require.NoError(t, b.store.WorkerInsert(b.ctx, ws[:1]))
			require.NoError(t, b.workAttempt(tk.ID, 2, 25))
			require.Equal(t, int32(1), counter.lists.Load())
			done := b.taskNow(t, tk.ID)
			require.Equal(t, ackscale.TaskSuccess, done.State, done.ErrorMessage)
			require.Len(t, b.liveInstances(t), 1, "the run went on with the worker it found")
		})
	})
}

// tokenRecorder records whether each RunInstance call said its token
// was new.
type tokenRecorder struct {
	Cloud
	mu  sync.Mutex
	new map[string]bool
}

func (c *tokenRecorder) RunInstance(ctx context.Context, r ackscale.InstanceRequest) (ackscale.Instance, error) {
	c.mu.Lock()
	c.new[r.ClientToken] = r.NewToken
	c.mu.Unlock()
	return c.Cloud.RunInstance(ctx, r)
}

// The run that plans the workers tells the cloud their tokens are new; a
// run that finds them planned (after a crash) does not: an earlier run
// may have asked for them.
func TestNewTokensOnlyFromThePlanningRun(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, be backend) {
		b := setup(t, be, options{})
		c := b.cluster(t)
		rec := &tokenRecorder{Cloud: b.worker.cfg.Cloud, new: map[string]bool{}}
		b.worker.cfg.Cloud = rec
		tk := b.startScaleOut(t, c, standardScaleOut(2, c.Spec.VSwitchIDs), b.now.Add(time.Hour))
		require.Equal(t, ackscale.TaskSuccess, b.workUntilDone(t, tk.ID).State)
		require.Equal(t, map[string]bool{tk.ID + "-0": true, tk.ID + "-1": true}, rec.new)

		rec.new = map[string]bool{}
		resumed := b.startScaleOut(t, c, standardScaleOut(2, c.Spec.VSwitchIDs), b.now.Add(time.Hour))
		r := &run{cfg: b.worker.cfg, t: resumed, c: b.clusterNow(t, c.ID), attempt: 1, log: discard()}
		_, err := r.plan(b.ctx) // a run that stopped once it had planned
		require.NoError(t, err)
		require.Equal(t, ackscale.TaskSuccess, b.workUntilDone(t, resumed.ID).State)
		require.Equal(t, map[string]bool{resumed.ID + "-0": false, resumed.ID + "-1": false}, rec.new)
		require.Len(t, b.liveInstances(t), 4)
	})
}

func TestScaleOutTimeout(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, be backend) {
		for _, tc := range []struct {
			name            string
			disableRollback bool
			wantWorkers     int
			wantLive        int
		}{
			{"rollback releases everything (ruling 11)", false, 0, 0},
			{"disable_rollback keeps failed workers (ruling 11)", true, 3, 3},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				b := setup(t, be, options{boot: time.Hour}) // instances never boot in time
				c := b.cluster(t)
				so := standardScaleOut(3, c.Spec.VSwitchIDs)
				so.DisableRollback = tc.disableRollback
				so.TimeoutMins = 1
				tk := b.startScaleOut(t, c, so, ackscale.NowUTC().Add(300*time.Millisecond))
				done := b.workUntilDone(t, tk.ID)
				require.Equal(t, ackscale.TaskFailed, done.State)
				require.Equal(t, ackscale.CodeTaskTimeout, done.ErrorCode)
				ws := b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID})
				require.Len(t, ws, tc.wantWorkers)
				for _, w := range ws {
					require.Equal(t, ackscale.NodeFailed, w.State)
					require.NotEmpty(t, w.ErrorMessage)
				}
				require.Len(t, b.liveInstances(t), tc.wantLive)
				require.Equal(t, ackscale.ClusterRunning, b.clusterNow(t, c.ID).State)
			})
		}
	})
}

func TestScaleOutCloudErrorRollsBack(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, be backend) {
		b := setup(t, be, options{})
		c := b.cluster(t)
		so := standardScaleOut(2, c.Spec.VSwitchIDs)
		so.InstanceTypes = []string{"ecs.nope.large"}
		so.DisableRollback = false
		tk := b.startScaleOut(t, c, so, b.now.Add(time.Hour))
		done := b.workUntilDone(t, tk.ID)
		require.Equal(t, ackscale.TaskFailed, done.State)
		require.Equal(t, ackscale.CodeInstanceTypeNotFound, done.ErrorCode)
		require.Equal(t, ackscale.StageRollback, done.Stages[len(done.Stages)-1].Name)
		require.Equal(t, ackscale.StageFailed, done.Stages[len(done.Stages)-1].State)
		require.Empty(t, b.liveInstances(t))
		require.Empty(t, b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID}), "the task's workers are forgotten")
		require.Contains(t, eventReasons(done), ackscale.ReasonRolledBack)
	})
}

// No stock in the first vSwitch's zone: the worker moves to the next
// vSwitch's zone, and an event says so.
func TestScaleOutZoneFallback(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, be backend) {
		b := setup(t, be, options{})
		c := b.cluster(t)
		first, _ := b.cloud.VSwitchZone(c.Spec.VSwitchIDs[0])
		require.NoError(t, b.cloud.SetStock(b.ctx, ackscale.StockOverride{ZoneID: first, InstanceType: "ecs.c5.xlarge", Capacity: 0}))
		tk := b.startScaleOut(t, c, standardScaleOut(1, c.Spec.VSwitchIDs[:2]), b.now.Add(time.Hour))
		done := b.workUntilDone(t, tk.ID)
		require.Equal(t, ackscale.TaskSuccess, done.State, done.ErrorMessage)
		ws := b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID, TaskID: tk.ID})
		require.Equal(t, c.Spec.VSwitchIDs[1], ws[0].VSwitchID)
		require.Contains(t, eventReasons(done), ackscale.ReasonZoneFallback)
	})
}

func TestRemoveNodesAndDeleteCluster(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, be backend) {
		b := setup(t, be, options{})
		c := b.cluster(t)
		out := b.startScaleOut(t, c, standardScaleOut(3, c.Spec.VSwitchIDs), b.now.Add(time.Hour))
		require.Equal(t, ackscale.TaskSuccess, b.workUntilDone(t, out.ID).State)
		ws := b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID, TaskID: out.ID})

		tk := b.startRemoval(t, c, ws[:1], true, false)
		require.Equal(t, ackscale.NodeRemoving, b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID, ClientTokens: []string{ws[0].ClientToken}})[0].State)
		done := b.workUntilDone(t, tk.ID)
		require.Equal(t, ackscale.TaskSuccess, done.State)
		require.Equal(t, []ackscale.Stage{ackscale.StageValidate, ackscale.StageRemoveNodes}, stageNames(done))
		n, err := b.store.WorkerCount(b.ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, 2, n)
		require.Len(t, b.liveInstances(t), 2)

		del := b.start(t, b.task(c, ackscale.TaskDeleteCluster, nil))
		require.Equal(t, ackscale.TaskSuccess, b.workUntilDone(t, del.ID).State)
		require.Empty(t, b.liveInstances(t))
		require.Equal(t, ackscale.ClusterDeleted, b.clusterNow(t, c.ID).State)
	})
}

// release_node false: the worker leaves the cluster, its instance stays
// the account's, detached.
func TestRemoveNodesKeepsInstance(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, be backend) {
		b := setup(t, be, options{})
		c := b.cluster(t)
		out := b.startScaleOut(t, c, standardScaleOut(2, c.Spec.VSwitchIDs), b.now.Add(time.Hour))
		require.Equal(t, ackscale.TaskSuccess, b.workUntilDone(t, out.ID).State)
		ws := b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID})
		tk := b.startRemoval(t, c, ws[:1], false, false)
		require.Equal(t, ackscale.TaskSuccess, b.workUntilDone(t, tk.ID).State)
		require.Len(t, b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID}), 1)
		require.Len(t, b.liveInstances(t), 2, "the removed worker's instance is kept")
	})
}

// A rollback interrupted by an error is resumed by the next run; the task
// still fails with the first error.
func TestRollbackResumesAfterError(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, be backend) {
		b := setup(t, be, options{})
		c := b.cluster(t)
		_, err := b.cloud.AddFault(b.ctx, ackscale.Fault{Operation: ackscale.FaultStart, Code: "InstanceStartFailed", Count: 1})
		require.NoError(t, err)
		_, err = b.cloud.AddFault(b.ctx, ackscale.Fault{Operation: ackscale.FaultRelease, Code: "IncorrectInstanceStatus", Count: 2})
		require.NoError(t, err)
		so := standardScaleOut(2, c.Spec.VSwitchIDs)
		so.DisableRollback = false
		tk := b.startScaleOut(t, c, so, b.now.Add(time.Hour))
		for range 2 { // two runs end in the release fault
			require.ErrorContains(t, b.work(tk.ID), "IncorrectInstanceStatus")
		}
		done := b.workUntilDone(t, tk.ID)
		require.Equal(t, ackscale.TaskFailed, done.State)
		require.Equal(t, "InstanceStartFailed", done.ErrorCode)
		require.Empty(t, b.liveInstances(t))
		require.Empty(t, b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID}), "the task's workers are forgotten")
	})
}

// On its last attempt a job that still fails ends its task failed (and
// the cluster running) rather than leaving it running forever.
func TestLastAttemptEndsTask(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, be backend) {
		kube := &mock.Kube{RegisterNodeFunc: func(context.Context, ackscale.Cluster, ackscale.Worker) error {
			return errors.New("apiserver unreachable")
		}}
		b := setup(t, be, options{kube: kube})
		c := b.cluster(t)
		tk := b.startScaleOut(t, c, standardScaleOut(1, c.Spec.VSwitchIDs), b.now.Add(time.Hour))
		require.ErrorContains(t, b.workAttempt(tk.ID, 1, 3), "apiserver unreachable")
		require.Equal(t, ackscale.TaskRunning, b.taskNow(t, tk.ID).State, "an error before the last attempt is retried")
		require.NoError(t, b.workAttempt(tk.ID, 3, 3))
		done := b.taskNow(t, tk.ID)
		require.Equal(t, ackscale.TaskFailed, done.State)
		require.Equal(t, ackscale.CodeInternal, done.ErrorCode)
		require.Contains(t, done.ErrorMessage, "gave up after 3 attempts")
		require.Equal(t, ackscale.ClusterRunning, b.clusterNow(t, c.ID).State)
	})
}

func TestUnknownTaskTypeIsCancelled(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, be backend) {
		b := setup(t, be, options{})
		c := b.cluster(t)
		tk := b.task(c, "cluster_upgrade", nil)
		require.NoError(t, b.store.TaskStart(b.ctx, ackscale.TaskStartParams{Task: tk, From: ackscale.ClusterRunning, To: ackscale.ClusterScaling}))
		var cancel *river.JobCancelError
		require.ErrorAs(t, b.work(tk.ID), &cancel)
	})
}
