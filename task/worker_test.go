package task

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

func TestRegisterNeedsStoreAndCloud(t *testing.T) {
	t.Parallel()
	require.Error(t, Register(river.NewWorkers(), Config{}))
	b := setup(t, backends[0], options{})
	require.NoError(t, Register(river.NewWorkers(), Config{Store: b.store, Cloud: b.cloud}))
}

func TestRiverConfig(t *testing.T) {
	t.Parallel()
	insertOnly := RiverConfig{}.Config()
	require.Nil(t, insertOnly.Workers)
	require.Equal(t, 100*time.Millisecond, insertOnly.FetchPollInterval)
	require.Equal(t, 100, insertOnly.MaxAttempts)
	rc := RiverConfig{Workers: river.NewWorkers(), PollInterval: 20 * time.Millisecond, MaxWorkers: 5}.Config()
	require.Equal(t, 20*time.Millisecond, rc.FetchPollInterval)
	require.Equal(t, 20, rc.Queues[river.QueueDefault].MaxWorkers, "at least 20 jobs at once")
	require.LessOrEqual(t, rc.FetchCooldown, rc.FetchPollInterval)
}

func TestRetriesSoonAndBounded(t *testing.T) {
	t.Parallel()
	w := &Worker{}
	job := func(attempt int) *river.Job[ackscale.TaskJob] {
		return &river.Job[ackscale.TaskJob]{JobRow: &rivertype.JobRow{Attempt: attempt}}
	}
	for _, tc := range []struct {
		attempt int
		wait    time.Duration
	}{{1, 500 * time.Millisecond}, {4, 2 * time.Second}, {10, 5 * time.Second}, {90, 5 * time.Second}} {
		got := time.Until(w.NextRetry(job(tc.attempt)))
		require.InDelta(t, tc.wait, got, float64(100*time.Millisecond), "attempt %d", tc.attempt)
	}
	require.Equal(t, 90*time.Second, w.Timeout(job(1)))
}

// A create body with num_of_nodes: the create task starts the cluster and
// adds its first workers; the cluster is running when they are.
func TestCreateClusterWithWorkers(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, be backend) {
		b := setup(t, be, options{kube: endpointKube()})
		vpc, vsws := b.cloud.DefaultVSwitches("cn-hangzhou")
		c := ackscale.Cluster{ID: ackscale.NewClusterID(), AccountID: testAccount, State: ackscale.ClusterInitial,
			Profile: ackscale.ProfileLegacy, Created: b.now, Updated: b.now,
			Spec: ackscale.ClusterSpec{Name: "legacy", RegionID: "cn-hangzhou", ClusterType: "Kubernetes", VPCID: vpc, VSwitchIDs: vsws}}
		so := standardScaleOut(2, vsws)
		done := b.createCluster(t, c, &so)
		require.Equal(t, ackscale.TaskSuccess, done.State, done.ErrorMessage)
		require.Equal(t, []ackscale.Stage{ackscale.StageValidate, ackscale.StageCreateAPIServer, ackscale.StagePlan,
			ackscale.StageCreateInstances, ackscale.StageWaitRunning, ackscale.StageRegister}, stageNames(done))
		require.Equal(t, ackscale.ClusterRunning, b.clusterNow(t, c.ID).State)
		require.Len(t, b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID}), 2)
	})
}

// The first workers of a create task fail for want of stock: the cluster
// is failed, and its failed workers stay listed with the error.
func TestCreateClusterWorkersFail(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, be backend) {
		b := setup(t, be, options{})
		vpc, vsws := b.cloud.DefaultVSwitches("cn-hangzhou")
		for _, vsw := range vsws {
			zone, _ := b.cloud.VSwitchZone(vsw)
			require.NoError(t, b.cloud.SetStock(b.ctx, ackscale.StockOverride{ZoneID: zone, InstanceType: "ecs.c5.xlarge", Capacity: 0}))
		}
		c := ackscale.Cluster{ID: ackscale.NewClusterID(), AccountID: testAccount, State: ackscale.ClusterInitial,
			Profile: ackscale.ProfileLegacy, Created: b.now, Updated: b.now,
			Spec: ackscale.ClusterSpec{Name: "legacy", RegionID: "cn-hangzhou", ClusterType: "Kubernetes", VPCID: vpc, VSwitchIDs: vsws}}
		so := standardScaleOut(2, vsws) // DisableRollback true, as create's first workers are
		done := b.createCluster(t, c, &so)
		require.Equal(t, ackscale.TaskFailed, done.State)
		require.Equal(t, ackscale.CodeNoStock, done.ErrorCode)
		require.Equal(t, ackscale.ClusterFailed, b.clusterNow(t, c.ID).State)
		ws := b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID})
		require.Len(t, ws, 2)
		for _, w := range ws {
			require.Equal(t, ackscale.NodeFailed, w.State)
			require.Contains(t, w.ErrorMessage, ackscale.CodeNoStock)
		}
	})
}

// flakyStore fails WorkerUpdate with a store error a number of times.
type flakyStore struct {
	stores
	fails atomic.Int32
}

func (f *flakyStore) WorkerUpdate(ctx context.Context, w ackscale.Worker) error {
	if f.fails.Add(-1) >= 0 {
		return errors.New("database is locked")
	}
	return f.stores.WorkerUpdate(ctx, w)
}

// A store error is not the cloud refusing: the run returns it for River to
// retry, and the task neither fails nor creates an instance twice.
func TestStoreErrorIsRetried(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, be backend) {
		b := setup(t, be, options{})
		c := b.cluster(t)
		flaky := &flakyStore{stores: b.store}
		b.worker.cfg.Store = flaky
		flaky.fails.Store(1)
		tk := b.startScaleOut(t, c, standardScaleOut(2, c.Spec.VSwitchIDs), b.now.Add(time.Hour))
		require.ErrorContains(t, b.work(tk.ID), "database is locked")
		require.Equal(t, ackscale.TaskRunning, b.taskNow(t, tk.ID).State)
		done := b.workUntilDone(t, tk.ID)
		require.Equal(t, ackscale.TaskSuccess, done.State, done.ErrorMessage)
		require.Len(t, b.liveInstances(t), 2)
	})
}
