package task

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
	"github.com/ackscale/ackscale/cloud"
	"github.com/ackscale/ackscale/sqlite"
)

type testBundle struct {
	ctx    context.Context
	store  *sqlite.Store
	cloud  *cloud.Cloud
	worker *Worker
	now    time.Time
}

// setup builds a worker over a real SQLite store and the emulated cloud with
// the default catalog; boot is the instances' boot time.
func setup(t *testing.T, boot time.Duration) *testBundle {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, sqlite.Config{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, store.Close(context.Background())) })
	_, err = store.AccountEnsure(ctx, "5000000000000001", "AK", "SK")
	require.NoError(t, err)
	cl, err := cloud.New(cloud.Config{Store: store, Catalog: catalog.Default(), BootLatency: &boot})
	require.NoError(t, err)
	return &testBundle{ctx: ctx, store: store, cloud: cl, now: time.Now().UTC(),
		worker: &Worker{cfg: Config{Store: store, Cloud: cl, Logger: discard(), Now: func() time.Time { return time.Now().UTC() }, MaxWait: time.Second}}}
}

// cluster creates a running standard cluster in cn-hangzhou's default VPC.
func (b *testBundle) cluster(t *testing.T) ackscale.Cluster {
	t.Helper()
	vpc, vsws := b.cloud.DefaultVSwitches("cn-hangzhou")
	require.GreaterOrEqual(t, len(vsws), 3)
	c := ackscale.Cluster{ID: ackscale.NewClusterID(), AccountID: "5000000000000001", State: ackscale.ClusterInitial,
		Profile: ackscale.ProfileStandard, Created: b.now, Updated: b.now,
		Spec: ackscale.ClusterSpec{Name: "c-" + ackscale.NewTaskID(), RegionID: "cn-hangzhou", ClusterType: "ManagedKubernetes",
			VPCID: vpc, VSwitchIDs: vsws, KubernetesVersion: "1.34.4", Runtime: ackscale.Runtime{Name: "containerd", Version: "1.6.28"}}}
	ct := b.task(c, ackscale.TaskCreateCluster, nil)
	require.NoError(t, b.store.ClusterCreate(b.ctx, c, ct))
	require.NoError(t, b.work(ct.ID))
	c.State = ackscale.ClusterRunning
	return c
}

func (b *testBundle) task(c ackscale.Cluster, typ string, so *ackscale.ScaleOut) ackscale.Task {
	return ackscale.Task{ID: ackscale.NewTaskID(), AccountID: c.AccountID, ClusterID: c.ID, Type: typ, State: ackscale.TaskRunning,
		Created: b.now, Updated: b.now, Params: ackscale.TaskParams{ScaleOut: so, Deadline: b.now.Add(time.Hour)}}
}

func (b *testBundle) startScaleOut(t *testing.T, c ackscale.Cluster, so ackscale.ScaleOut, deadline time.Time) ackscale.Task {
	t.Helper()
	tk := b.task(c, ackscale.TaskScaleOut, &so)
	tk.Params.Deadline = deadline
	require.NoError(t, b.store.TaskStart(b.ctx, ackscale.TaskStartParams{Task: tk, FromState: ackscale.ClusterRunning, ToState: ackscale.ClusterScaling}))
	return tk
}

func (b *testBundle) work(taskID string) error {
	return b.worker.Work(b.ctx, &river.Job[ackscale.TaskJob]{JobRow: &rivertype.JobRow{Attempt: 1, MaxAttempts: 25}, Args: ackscale.TaskJob{TaskID: taskID}})
}

// workUntilDone runs the job like River would, honouring snoozes.
func (b *testBundle) workUntilDone(t *testing.T, taskID string) ackscale.Task {
	t.Helper()
	for range 100 {
		err := b.work(taskID)
		var snooze *river.JobSnoozeError
		if errors.As(err, &snooze) {
			time.Sleep(min(snooze.Duration, 50*time.Millisecond))
			continue
		}
		require.NoError(t, err)
		tk, err := b.store.TaskByID(b.ctx, taskID)
		require.NoError(t, err)
		if tk.State != ackscale.TaskRunning {
			return tk
		}
	}
	t.Fatalf("task %s did not end", taskID)
	return ackscale.Task{}
}

func liveInstances(t *testing.T, s *sqlite.Store) []ackscale.Instance {
	t.Helper()
	all, err := s.InstanceList(context.Background())
	require.NoError(t, err)
	var live []ackscale.Instance
	for _, in := range all {
		if in.Status != ackscale.InstanceReleased {
			live = append(live, in)
		}
	}
	return live
}

func standardScaleOut(count int, vsws []string) ackscale.ScaleOut {
	return ackscale.ScaleOut{Count: count, InstanceTypes: []string{"ecs.c5.xlarge"}, VSwitchIDs: vsws,
		SystemDiskSizeGiB: 120, DisableRollback: true, TimeoutMins: 60,
		Tags: []ackscale.Tag{{Key: "tier", Value: "frontend"}}, Taints: []ackscale.Taint{{Key: "node_type", Value: "prod", Effect: "NoSchedule"}}}
}

func TestScaleOutSpreadsOverZonesWithDistinctIPs(t *testing.T) {
	t.Parallel()
	b := setup(t, 0)
	c := b.cluster(t)
	tk := b.startScaleOut(t, c, standardScaleOut(6, c.Spec.VSwitchIDs), b.now.Add(time.Hour))
	done := b.workUntilDone(t, tk.ID)
	require.Equal(t, ackscale.TaskSuccess, done.State, done.ErrorMessage)

	ws, err := b.store.WorkersByTask(b.ctx, tk.ID)
	require.NoError(t, err)
	require.Len(t, ws, 6)
	zones, ips := map[string]int{}, map[string]bool{}
	for _, w := range ws {
		require.Equal(t, ackscale.NodeRunning, w.State)
		require.Equal(t, "Ready", w.NodeStatus)
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
	cl, err := b.store.ClusterByID(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, ackscale.ClusterRunning, cl.State)
	var names []string
	for _, s := range done.Stages {
		names = append(names, s.Name)
	}
	require.Equal(t, []string{"create_instances", "wait_running", "register"}, names[len(names)-3:])
	require.Len(t, liveInstances(t, b.store), 6)
}

func TestScaleOutResumedNeverDuplicates(t *testing.T) {
	t.Parallel()
	b := setup(t, 0)
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
	require.Len(t, liveInstances(t, b.store), 4)
	// Running the finished job again changes nothing.
	require.NoError(t, b.work(tk.ID))
	require.Len(t, liveInstances(t, b.store), 4)
}

func TestScaleOutTimeout(t *testing.T) {
	t.Parallel()
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
			b := setup(t, time.Hour) // instances never boot in time
			c := b.cluster(t)
			so := standardScaleOut(3, c.Spec.VSwitchIDs)
			so.DisableRollback = tc.disableRollback
			so.TimeoutMins = 1
			tk := b.startScaleOut(t, c, so, time.Now().UTC().Add(300*time.Millisecond))
			done := b.workUntilDone(t, tk.ID)
			require.Equal(t, ackscale.TaskFailed, done.State)
			require.Equal(t, ackscale.CodeTaskTimeout, done.ErrorCode)
			ws, _, err := b.store.WorkersByCluster(b.ctx, ackscale.WorkerListParams{ClusterID: c.ID})
			require.NoError(t, err)
			require.Len(t, ws, tc.wantWorkers)
			for _, w := range ws {
				require.Equal(t, ackscale.NodeFailed, w.State)
				require.NotEmpty(t, w.ErrorMessage)
			}
			require.Len(t, liveInstances(t, b.store), tc.wantLive)
			cl, err := b.store.ClusterByID(b.ctx, c.ID)
			require.NoError(t, err)
			require.Equal(t, ackscale.ClusterRunning, cl.State)
		})
	}
}

func TestScaleOutCloudErrorRollsBack(t *testing.T) {
	t.Parallel()
	b := setup(t, 0)
	c := b.cluster(t)
	so := standardScaleOut(2, c.Spec.VSwitchIDs)
	so.InstanceTypes = []string{"ecs.nope.large"}
	so.DisableRollback = false
	tk := b.startScaleOut(t, c, so, b.now.Add(time.Hour))
	done := b.workUntilDone(t, tk.ID)
	require.Equal(t, ackscale.TaskFailed, done.State)
	require.Equal(t, ackscale.CodeInstanceTypeNotFound, done.ErrorCode)
	require.Equal(t, "rollback", done.Stages[len(done.Stages)-1].Name)
	require.Empty(t, liveInstances(t, b.store))
}

func TestRemoveNodesAndDeleteCluster(t *testing.T) {
	t.Parallel()
	b := setup(t, 0)
	c := b.cluster(t)
	out := b.startScaleOut(t, c, standardScaleOut(3, c.Spec.VSwitchIDs), b.now.Add(time.Hour))
	require.Equal(t, ackscale.TaskSuccess, b.workUntilDone(t, out.ID).State)
	ws, err := b.store.WorkersByTask(b.ctx, out.ID)
	require.NoError(t, err)

	rm := ackscale.Removal{Nodes: []string{ws[0].NodeName}, ReleaseNode: true}
	tk := b.task(c, ackscale.TaskRemoveNodes, nil)
	tk.Params.Removal = &rm
	require.NoError(t, b.store.TaskStart(b.ctx, ackscale.TaskStartParams{Task: tk, FromState: ackscale.ClusterRunning,
		ToState: ackscale.ClusterRemoving, Removing: rm.Nodes}))
	require.Equal(t, ackscale.TaskSuccess, b.workUntilDone(t, tk.ID).State)
	n, err := b.store.WorkersCount(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Len(t, liveInstances(t, b.store), 2)

	del := b.task(c, ackscale.TaskDeleteCluster, nil)
	require.NoError(t, b.store.TaskStart(b.ctx, ackscale.TaskStartParams{Task: del, FromState: ackscale.ClusterRunning, ToState: ackscale.ClusterDeleting}))
	require.Equal(t, ackscale.TaskSuccess, b.workUntilDone(t, del.ID).State)
	require.Empty(t, liveInstances(t, b.store))
	cl, err := b.store.ClusterByID(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, ackscale.ClusterDeleted, cl.State)
}

// A rollback interrupted by an error is resumed by the next run; the task
// still fails with the first error.
func TestRollbackResumesAfterError(t *testing.T) {
	t.Parallel()
	b := setup(t, 0)
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
	require.Empty(t, liveInstances(t, b.store))
}
