package task

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/mock"
)

// The Kubernetes side of tasks, with the API servers mocked: what the task
// runner asks of them, in which stage, and what it does when they fail.

func endpointKube() *mock.Kube {
	return &mock.Kube{EnsureClusterFunc: func(_ context.Context, c ackscale.Cluster) (string, error) {
		return "https://127.0.0.1:6443/" + c.ID, nil
	}}
}

// eachKube runs fn on every backend with Kubernetes mocked (endpointKube,
// as b.kube) and a running cluster c. Set b.kube's funcs in fn: making c
// calls only EnsureCluster.
func eachKube(t *testing.T, fn func(t *testing.T, b *testBundle, c ackscale.Cluster)) {
	t.Helper()
	eachBackend(t, func(t *testing.T, be backend) {
		b := setup(t, be, options{kube: endpointKube()})
		fn(t, b, b.cluster(t))
	})
}

// scaleOut runs a scale-out of n standard workers to success and returns
// the ended task.
func (b *testBundle) scaleOut(t *testing.T, c ackscale.Cluster, n int) ackscale.Task {
	t.Helper()
	tk := b.startScaleOut(t, c, standardScaleOut(n, c.Spec.VSwitchIDs), b.now.Add(time.Hour))
	done := b.workUntilDone(t, tk.ID)
	require.Equal(t, ackscale.TaskSuccess, done.State, done.ErrorMessage)
	return done
}

func callsWith(k *mock.Kube, prefix string) []string {
	var out []string
	for _, c := range k.Calls() {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

func TestCreateClusterStartsAPIServer(t *testing.T) {
	t.Parallel()
	eachKube(t, func(t *testing.T, b *testBundle, c ackscale.Cluster) {
		require.Equal(t, "https://127.0.0.1:6443/"+c.ID, c.APIServer)
		require.Equal(t, []string{"EnsureCluster " + c.ID}, b.kube.Calls())
	})
}

func TestRegisterMakesReadyNodes(t *testing.T) {
	t.Parallel()
	eachKube(t, func(t *testing.T, b *testBundle, c ackscale.Cluster) {
		b.scaleOut(t, c, 3)
		ws := b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID})
		var want []string
		for _, w := range ws {
			want = append(want, "RegisterNode "+w.NodeName+" Ready")
		}
		require.ElementsMatch(t, want, callsWith(b.kube, "RegisterNode"), "registered at once, in any order")
	})
}

// A node fault with a latency: the Node is registered NotReady, then
// Ready once the fault's latency has passed; the task succeeds.
func TestNodeNotReadyThenRecovers(t *testing.T) {
	t.Parallel()
	eachKube(t, func(t *testing.T, b *testBundle, c ackscale.Cluster) {
		_, err := b.cloud.AddFault(b.ctx, ackscale.Fault{Operation: ackscale.FaultNode, Latency: 50 * time.Millisecond, Count: 1})
		require.NoError(t, err)
		done := b.scaleOut(t, c, 1)
		w := b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID})[0]
		require.Equal(t, []string{"RegisterNode " + w.NodeName + " NotReady", "RegisterNode " + w.NodeName + " Ready"},
			callsWith(b.kube, "RegisterNode"))
		require.Equal(t, ackscale.NodeReady, w.NodeStatus)
		reasons := eventReasons(done)
		require.Contains(t, reasons, ackscale.ReasonNodeNotReady)
		require.Contains(t, reasons, ackscale.ReasonNodeReady)
	})
}

// A node fault without a latency keeps the Node NotReady: the job snoozes
// until the task's deadline, then rolls back, removing the Node it
// registered and releasing the instance.
func TestNodeNeverReadyRollsBackItsNode(t *testing.T) {
	t.Parallel()
	eachKube(t, func(t *testing.T, b *testBundle, c ackscale.Cluster) {
		_, err := b.cloud.AddFault(b.ctx, ackscale.Fault{Operation: ackscale.FaultNode, NeverRunning: true})
		require.NoError(t, err)
		so := standardScaleOut(1, c.Spec.VSwitchIDs)
		so.DisableRollback = false
		tk := b.startScaleOut(t, c, so, ackscale.NowUTC().Add(300*time.Millisecond))
		var snooze *river.JobSnoozeError
		require.ErrorAs(t, b.work(tk.ID), &snooze, "a NotReady node makes the job wait")
		w := b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID})[0]
		require.Equal(t, ackscale.NodeNotReady, w.NodeStatus)
		require.Equal(t, ackscale.NodeStarting, w.State)

		done := b.workUntilDone(t, tk.ID)
		require.Equal(t, ackscale.TaskFailed, done.State)
		require.Equal(t, ackscale.CodeTaskTimeout, done.ErrorCode)
		require.Contains(t, callsWith(b.kube, "RemoveNode"), "RemoveNode "+w.NodeName+" drain=false")
		require.Empty(t, b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID}))
		require.Empty(t, b.liveInstances(t))
	})
}

// A Kubernetes failure during register is not the cloud's: the job is
// retried and the next run finishes the same workers.
func TestRegisterErrorIsRetried(t *testing.T) {
	t.Parallel()
	eachKube(t, func(t *testing.T, b *testBundle, c ackscale.Cluster) {
		var fails atomic.Int32 // the Nodes are registered concurrently
		fails.Store(1)
		b.kube.RegisterNodeFunc = func(context.Context, ackscale.Cluster, ackscale.Worker) error {
			if fails.Add(-1) >= 0 {
				return errors.New("connection refused")
			}
			return nil
		}
		tk := b.startScaleOut(t, c, standardScaleOut(2, c.Spec.VSwitchIDs), b.now.Add(time.Hour))
		require.ErrorContains(t, b.work(tk.ID), "connection refused")
		require.Equal(t, ackscale.TaskRunning, b.taskNow(t, tk.ID).State)
		done := b.workUntilDone(t, tk.ID)
		require.Equal(t, ackscale.TaskSuccess, done.State)
		require.Len(t, b.liveInstances(t), 2, "the retry created no instance twice")
		require.Len(t, callsWith(b.kube, "RegisterNode"), 3)
	})
}

// Removal drains (when asked) and deletes the Node before the instance goes.
func TestRemovalDrainsAndDeletesNodes(t *testing.T) {
	t.Parallel()
	eachKube(t, func(t *testing.T, b *testBundle, c ackscale.Cluster) {
		b.scaleOut(t, c, 2)
		ws := b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID})
		tk := b.startRemoval(t, c, ws, true, true)
		require.Equal(t, ackscale.TaskSuccess, b.workUntilDone(t, tk.ID).State)
		require.Equal(t, []string{"RemoveNode " + ws[0].NodeName + " drain=true", "RemoveNode " + ws[1].NodeName + " drain=true"},
			callsWith(b.kube, "RemoveNode"))
		require.Empty(t, b.liveInstances(t))
	})
}

// A Node that cannot be removed stops the removal before its instance is
// released; the retry removes it and then releases.
func TestRemovalNodeErrorKeepsInstanceUntilRetry(t *testing.T) {
	t.Parallel()
	eachKube(t, func(t *testing.T, b *testBundle, c ackscale.Cluster) {
		fails := 1
		b.kube.RemoveNodeFunc = func(context.Context, string, string, bool) error {
			if fails > 0 {
				fails--
				return errors.New("eviction blocked")
			}
			return nil
		}
		b.scaleOut(t, c, 1)
		ws := b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID})
		tk := b.startRemoval(t, c, ws, true, true)
		require.ErrorContains(t, b.work(tk.ID), "eviction blocked")
		require.Len(t, b.liveInstances(t), 1)
		require.Equal(t, ackscale.TaskSuccess, b.workUntilDone(t, tk.ID).State)
		require.Empty(t, b.liveInstances(t))
	})
}

func TestDeleteClusterStopsAPIServer(t *testing.T) {
	t.Parallel()
	eachKube(t, func(t *testing.T, b *testBundle, c ackscale.Cluster) {
		b.scaleOut(t, c, 1)
		del := b.start(t, b.task(c, ackscale.TaskDeleteCluster, nil))
		done := b.workUntilDone(t, del.ID)
		require.Equal(t, ackscale.TaskSuccess, done.State)
		require.Equal(t, []ackscale.Stage{ackscale.StageValidate, ackscale.StageReleaseInstances, ackscale.StageDeleteAPIServer},
			stageNames(done))
		require.Equal(t, []string{"DeleteCluster " + c.ID}, callsWith(b.kube, "DeleteCluster"))
		require.Equal(t, ackscale.ClusterDeleted, b.clusterNow(t, c.ID).State)
	})
}

// A delete task whose API server will not stop ends failed after its last
// attempt, and the cluster is delete_failed (it can be deleted again).
func TestDeleteClusterFailureIsDeleteFailed(t *testing.T) {
	t.Parallel()
	eachKube(t, func(t *testing.T, b *testBundle, c ackscale.Cluster) {
		b.kube.DeleteClusterFunc = func(context.Context, string) error { return errors.New("etcd unavailable") }
		del := b.start(t, b.task(c, ackscale.TaskDeleteCluster, nil))
		require.NoError(t, b.workAttempt(del.ID, 5, 5))
		require.Equal(t, ackscale.TaskFailed, b.taskNow(t, del.ID).State)
		cl := b.clusterNow(t, c.ID)
		require.Equal(t, ackscale.ClusterDeleteFailed, cl.State)
		require.True(t, cl.State.CanMoveTo(ackscale.ClusterDeleting))
	})
}

// The Nodes of a scale-out are registered at once, at most registerInFlight
// at a time, and each worker is marked running only after its Node is.
func TestRegisterConcurrentlyBounded(t *testing.T) {
	t.Parallel()
	eachKube(t, func(t *testing.T, b *testBundle, c ackscale.Cluster) {
		var inFlight, most atomic.Int32
		b.kube.RegisterNodeFunc = func(ctx context.Context, c ackscale.Cluster, w ackscale.Worker) error {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			ws, _, err := b.store.WorkerList(ctx, ackscale.WorkerListParams{ClusterID: c.ID, ClientTokens: []string{w.ClientToken}})
			if err != nil {
				return err
			}
			if ws[0].State == ackscale.NodeRunning {
				return errors.New(w.NodeName + " marked running before its Node was registered")
			}
			time.Sleep(20 * time.Millisecond)
			return nil
		}
		const n = 2*registerInFlight + 5
		b.scaleOut(t, c, n)
		require.Len(t, callsWith(b.kube, "RegisterNode"), n)
		require.Greater(t, most.Load(), int32(1), "registered at once")
		require.LessOrEqual(t, most.Load(), int32(registerInFlight))
		for _, w := range b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID}) {
			require.Equal(t, ackscale.NodeRunning, w.State)
			require.Equal(t, ackscale.NodeReady, w.NodeStatus)
		}
	})
}

// A node fault without a latency makes one Node NotReady while the others
// register: the run marks them running and only then snoozes; the next
// run, the fault spent, makes the last Node Ready.
func TestNodeFaultWhileOthersRegister(t *testing.T) {
	t.Parallel()
	eachKube(t, func(t *testing.T, b *testBundle, c ackscale.Cluster) {
		_, err := b.cloud.AddFault(b.ctx, ackscale.Fault{Operation: ackscale.FaultNode, Count: 1})
		require.NoError(t, err)
		tk := b.startScaleOut(t, c, standardScaleOut(6, c.Spec.VSwitchIDs), b.now.Add(time.Hour))
		var snooze *river.JobSnoozeError
		err = b.work(tk.ID)
		for errors.As(err, &snooze) && len(callsWith(b.kube, "RegisterNode")) == 0 { // instances still booting
			err = b.work(tk.ID)
		}
		require.ErrorAs(t, err, &snooze, "the NotReady Node makes the job wait")
		states := map[ackscale.NodeState]int{}
		for _, w := range b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID}) {
			states[w.State]++
			if w.State == ackscale.NodeStarting {
				require.Equal(t, ackscale.NodeNotReady, w.NodeStatus)
			}
		}
		require.Equal(t, map[ackscale.NodeState]int{ackscale.NodeRunning: 5, ackscale.NodeStarting: 1}, states)

		done := b.workUntilDone(t, tk.ID)
		require.Equal(t, ackscale.TaskSuccess, done.State, done.ErrorMessage)
		require.Len(t, callsWith(b.kube, "RegisterNode"), 7, "six Nodes, one of them twice")
		require.Contains(t, eventReasons(done), ackscale.ReasonNodeNotReady)
	})
}
