package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

func (s suite) workerInsert(t *testing.T) {
	s.run(t, "stores the planned workers", func(t *testing.T, b *testBundle) {
		_, task := b.clusterIn(t, ackscale.ClusterScaling)
		ws := b.newWorkers(task, 2)
		require.NotEmpty(t, ws[0].NodePoolID, "the default pool, which the scale-out works on")
		ws[0].Unschedulable, ws[1].Unschedulable = true, true
		b.insertWorkers(t, ws...)
		got, total, err := b.Workers.WorkerList(b.ctx, ackscale.WorkerListParams{ClusterID: task.ClusterID})
		require.NoError(t, err)
		require.Equal(t, 2, total)
		require.Equal(t, normWorkers(ws), normWorkers(got))
	})
	s.run(t, "a taken client token is left as it is", func(t *testing.T, b *testBundle) {
		_, task := b.clusterIn(t, ackscale.ClusterScaling)
		ws := b.newWorkers(task, 3)
		b.insertWorkers(t, ws[:2]...)
		again := append([]ackscale.Worker(nil), ws...)
		again[0].Hostname, again[0].Labels = "changed", map[string]string{"changed": "yes"}
		b.insertWorkers(t, again...) // a task planning again after a crash
		got, total, err := b.Workers.WorkerList(b.ctx, ackscale.WorkerListParams{ClusterID: task.ClusterID})
		require.NoError(t, err)
		require.Equal(t, 3, total)
		require.Equal(t, normWorkers(ws), normWorkers(got))
	})
	s.run(t, "labels, taints and runtime are the task's: those of its first worker", workerInsertTaskSpec)
}

// workerInsertTaskSpec inserts workers of one task with different labels,
// taints and runtimes, in two calls, and a worker of another task.
func workerInsertTaskSpec(t *testing.T, b *testBundle) {
	c, task := b.clusterIn(t, ackscale.ClusterScaling)
	ws := b.newWorkers(task, 3)
	ws[0].Unschedulable = true
	ws[1].Labels, ws[1].Taints = map[string]string{"other": "labels"}, nil
	ws[1].Runtime = ackscale.Runtime{Name: "containerd", Version: "1.7.0"}
	ws[2].Labels = nil
	b.insertWorkers(t, ws[:2]...)
	b.insertWorkers(t, ws[2])
	own := b.newWorkers(b.newTask(c, ackscale.TaskScaleOut), 1)[0]
	own.Labels, own.Taints = map[string]string{"own": "labels"}, []ackscale.Taint{{Key: "own", Effect: "NoExecute"}}
	own.Runtime = ackscale.Runtime{Name: "docker", Version: "19.03.15"}
	b.insertWorkers(t, own)

	for _, w := range ws {
		got := b.getWorker(t, w)
		require.Equal(t, ws[0].Labels, got.Labels, "%s: labels", w.ClientToken)
		require.Equal(t, ws[0].Taints, got.Taints, "%s: taints", w.ClientToken)
		require.Equal(t, ws[0].Runtime, got.Runtime, "%s: runtime", w.ClientToken)
		require.True(t, got.Unschedulable, "%s: unschedulable", w.ClientToken)
	}
	require.Equal(t, normWorker(own), normWorker(b.getWorker(t, own)), "a worker of another task has its own")
}

func (s suite) workerUpdate(t *testing.T) {
	s.run(t, "writes the changing fields", func(t *testing.T, b *testBundle) {
		_, task := b.clusterIn(t, ackscale.ClusterScaling)
		w := b.workerIn(t, b.newWorkers(task, 1)[0], ackscale.NodeInitial)
		w.InstanceID, w.IP, w.NodeName = ackscale.NewInstanceID(), "192.168.0.7", "cn-hangzhou.192.168.0.7"
		w.State, w.NodeStatus, w.ErrorMessage = ackscale.NodeStarting, ackscale.NodeNotReady, "booting"
		w.ZoneID, w.VSwitchID, w.InstanceType, w.ImageID = "cn-hangzhou-i", "vsw-2", "ecs.g6.large", "aliyun_2_x64"
		require.NoError(t, b.Workers.WorkerUpdate(b.ctx, w))
		require.Equal(t, normWorker(w), normWorker(b.getWorker(t, w)))
	})
	s.run(t, "leaves the task's labels, taints, runtime and unschedulable mark, and the pool", func(t *testing.T, b *testBundle) {
		_, task := b.clusterIn(t, ackscale.ClusterScaling)
		ws := b.newWorkers(task, 2)
		b.insertWorkers(t, ws...)
		w := b.getWorker(t, ws[0])
		w.State, w.Unschedulable, w.NodePoolID = ackscale.NodeStarting, true, ackscale.NewNodePoolID()
		w.Labels = map[string]string{"pool": "default", "role": "worker"}
		w.Taints = []ackscale.Taint{{Key: "dedicated", Value: "gpu", Effect: "NoExecute"}}
		w.Runtime = ackscale.Runtime{Name: "containerd", Version: "1.7.0"}
		require.NoError(t, b.Workers.WorkerUpdate(b.ctx, w))
		for _, w := range ws {
			got := b.getWorker(t, w)
			require.Equal(t, normWorker(ws[0]).Labels, normWorker(got).Labels, "%s: labels", w.ClientToken)
			require.Equal(t, ws[0].Taints, got.Taints, "%s: taints", w.ClientToken)
			require.Equal(t, ws[0].Runtime, got.Runtime, "%s: runtime", w.ClientToken)
			require.False(t, got.Unschedulable, "%s: unschedulable", w.ClientToken)
			require.Equal(t, ws[0].NodePoolID, got.NodePoolID, "%s: pool", w.ClientToken)
		}
		require.Equal(t, ackscale.NodeStarting, b.getWorker(t, ws[0]).State, "the rest is written")
	})
	s.run(t, "an unknown client token is CodeNodeNotFound", func(t *testing.T, b *testBundle) {
		_, task := b.clusterIn(t, ackscale.ClusterScaling)
		err := b.Workers.WorkerUpdate(b.ctx, b.newWorkers(task, 1)[0])
		require.Equal(t, ackscale.CodeNodeNotFound, ackscale.ErrorCode(err))
		require.True(t, ackscale.IsNotFound(err))
	})
	s.run(t, "moves by the node table", func(t *testing.T, b *testBundle) {
		_, task := b.clusterIn(t, ackscale.ClusterScaling)
		for _, from := range ackscale.NodeStates() {
			for _, to := range ackscale.NodeStates() {
				t.Run(fmt.Sprintf("%s→%s", from, to), func(t *testing.T) {
					workerUpdateMove(t, b, b.newWorkers(task, 1)[0], from, to)
				})
			}
		}
	})
}

// workerUpdateMove walks w to state from, then updates it to state to
// with another error message; the node table decides whether that is
// written.
func workerUpdateMove(t *testing.T, b *testBundle, w ackscale.Worker, from, to ackscale.NodeState) {
	w.ClientToken = fmt.Sprintf("%s-%s-%s", w.TaskID, from, to)
	before := b.workerIn(t, w, from)
	w = before
	w.State, w.ErrorMessage = to, "moved"
	err := b.Workers.WorkerUpdate(b.ctx, w)
	if !from.CanMoveTo(to) {
		requireTransition(t, err, "worker", "WorkerUpdate %s→%s", from, to)
		require.Equal(t, normWorker(before), normWorker(b.getWorker(t, w)), "the worker must not change")
		return
	}
	require.NoError(t, err, "WorkerUpdate %s→%s", from, to)
	require.Equal(t, normWorker(w), normWorker(b.getWorker(t, w)))
}

func (s suite) workerDelete(t *testing.T) {
	s.run(t, "forgets the worker", func(t *testing.T, b *testBundle) {
		_, task := b.clusterIn(t, ackscale.ClusterScaling)
		ws := b.newWorkers(task, 2)
		b.insertWorkers(t, ws...)
		require.NoError(t, b.Workers.WorkerDelete(b.ctx, ws[0].ClientToken))
		got, total, err := b.Workers.WorkerList(b.ctx, ackscale.WorkerListParams{ClusterID: task.ClusterID})
		require.NoError(t, err)
		require.Equal(t, 1, total)
		require.Equal(t, []string{ws[1].ClientToken}, tokens(got))
	})
	s.run(t, "a worker that is gone is not an error", func(t *testing.T, b *testBundle) {
		require.NoError(t, b.Workers.WorkerDelete(b.ctx, "T-nosuchtask-0"))
	})
}

func (s suite) workerList(t *testing.T) {
	s.run(t, "oldest first, then plan order", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		newer := b.newWorkers(b.newTask(c, ackscale.TaskScaleOut), 3)
		older := b.newWorkers(b.newTask(c, ackscale.TaskScaleOut), 2)
		for i, token := range []string{"z", "a", "m"} { // plan order is not token order
			newer[i].ClientToken, newer[i].Created = newer[i].TaskID+"-"+token, b.now.Add(time.Second)
		}
		older[0].ClientToken, older[1].ClientToken = older[0].TaskID+"-9", older[1].TaskID+"-1"
		b.insertWorkers(t, newer...)
		b.insertWorkers(t, older...)
		got, _, err := b.Workers.WorkerList(b.ctx, ackscale.WorkerListParams{ClusterID: c.ID})
		require.NoError(t, err)
		require.Equal(t, tokens(append(older, newer...)), tokens(got))
	})
	s.run(t, "filters", workerListFilters)
	s.run(t, "pages after counting", func(t *testing.T, b *testBundle) {
		_, task := b.clusterIn(t, ackscale.ClusterScaling)
		ws := b.newWorkers(task, 5)
		b.insertWorkers(t, ws...)
		want := tokens(ws)
		for _, tc := range []struct{ offset, limit, from, to int }{
			{0, 0, 0, 5}, {1, 2, 1, 3}, {4, 2, 4, 5}, {5, 2, 5, 5}, {10, 0, 5, 5},
		} {
			p := ackscale.WorkerListParams{ClusterID: task.ClusterID, Offset: tc.offset, Limit: tc.limit}
			got, total, err := b.Workers.WorkerList(b.ctx, p)
			require.NoError(t, err, "offset %d limit %d", tc.offset, tc.limit)
			require.Equal(t, 5, total, "offset %d limit %d: total", tc.offset, tc.limit)
			require.Equal(t, want[tc.from:tc.to], tokens(got), "offset %d limit %d", tc.offset, tc.limit)
		}
	})
}

func workerListFilters(t *testing.T, b *testBundle) {
	c, _ := b.clusterIn(t, ackscale.ClusterRunning)
	first, second := b.newTask(c, ackscale.TaskScaleOut), b.newTask(c, ackscale.TaskScaleOut)
	ws := b.newWorkers(first, 3)
	ws[0].InstanceID, ws[0].NodeName = ackscale.NewInstanceID(), "cn-hangzhou.192.168.0.10"
	running := b.workerIn(t, ws[0], ackscale.NodeRunning)
	failed := b.workerIn(t, ws[1], ackscale.NodeFailed)
	initial := b.workerIn(t, ws[2], ackscale.NodeInitial)
	starting := b.workerIn(t, b.newWorkers(second, 1)[0], ackscale.NodeStarting)
	np, _ := b.poolIn(t, c, ackscale.NodePoolActive)
	pooled := b.workerIn(t, b.newWorkers(b.newPoolTask(c, ackscale.TaskNodePoolScaleOut, np.ID), 1)[0], ackscale.NodeRunning)
	otherCluster, _ := b.clusterIn(t, ackscale.ClusterRunning)
	elsewhere := b.workerIn(t, b.newWorkers(b.newTask(otherCluster, ackscale.TaskScaleOut), 1)[0], ackscale.NodeRunning)

	for _, tc := range []struct {
		name string
		p    ackscale.WorkerListParams
		want []ackscale.Worker
	}{
		{"cluster", ackscale.WorkerListParams{ClusterID: c.ID}, []ackscale.Worker{running, failed, initial, starting, pooled}},
		{"pool", ackscale.WorkerListParams{ClusterID: c.ID, NodePoolID: np.ID}, []ackscale.Worker{pooled}},
		{"pool of no worker", ackscale.WorkerListParams{ClusterID: c.ID, NodePoolID: b.defaultPoolOf(t, c.ID).ID}, nil},
		{"pool, every cluster", ackscale.WorkerListParams{NodePoolID: np.ID}, []ackscale.Worker{pooled}},
		{"other cluster", ackscale.WorkerListParams{ClusterID: otherCluster.ID}, []ackscale.Worker{elsewhere}},
		{"task", ackscale.WorkerListParams{ClusterID: c.ID, TaskID: second.ID}, []ackscale.Worker{starting}},
		{"states", ackscale.WorkerListParams{ClusterID: c.ID, States: []ackscale.NodeState{ackscale.NodeRunning, ackscale.NodeFailed}},
			[]ackscale.Worker{running, failed, pooled}},
		{"no worker in state", ackscale.WorkerListParams{ClusterID: c.ID, States: []ackscale.NodeState{ackscale.NodeRemoving}}, nil},
		{"instance ids", ackscale.WorkerListParams{ClusterID: c.ID, InstanceIDs: []string{running.InstanceID, "i-nosuchinstance"}},
			[]ackscale.Worker{running}},
		{"node names", ackscale.WorkerListParams{ClusterID: c.ID, NodeNames: []string{running.NodeName}}, []ackscale.Worker{running}},
		{"client tokens", ackscale.WorkerListParams{ClusterID: c.ID, ClientTokens: []string{failed.ClientToken, initial.ClientToken}},
			[]ackscale.Worker{failed, initial}},
		{"client token of another cluster", ackscale.WorkerListParams{ClusterID: c.ID, ClientTokens: []string{elsewhere.ClientToken}}, nil},
	} {
		got, total, err := b.Workers.WorkerList(b.ctx, tc.p)
		require.NoError(t, err, tc.name)
		require.ElementsMatch(t, tokens(tc.want), tokens(got), tc.name)
		require.Equal(t, len(tc.want), total, "%s: total", tc.name)
	}
}

func (s suite) workerCount(t *testing.T) {
	s.run(t, "counts a cluster's workers in any state", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		ws := b.newWorkers(b.newTask(c, ackscale.TaskScaleOut), 3)
		b.workerIn(t, ws[0], ackscale.NodeRunning)
		b.workerIn(t, ws[1], ackscale.NodeRemoving)
		b.workerIn(t, ws[2], ackscale.NodeFailed)
		empty, _ := b.clusterIn(t, ackscale.ClusterRunning)
		for id, want := range map[string]int{c.ID: 3, empty.ID: 0} {
			n, err := b.Workers.WorkerCount(b.ctx, id)
			require.NoError(t, err, "cluster %s", id)
			require.Equal(t, want, n, "cluster %s", id)
		}
	})
}
