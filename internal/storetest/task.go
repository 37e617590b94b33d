package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

func (s suite) taskStart(t *testing.T) {
	s.run(t, "legal moves", func(t *testing.T, b *testBundle) {
		for from, to := range clusterMoves(true) {
			t.Run(fmt.Sprintf("%s→%s", from, to), func(t *testing.T) { taskStartLegal(t, b, from, to) })
		}
	})
	s.run(t, "illegal moves are a TransitionError and write nothing", func(t *testing.T, b *testBundle) {
		for from, to := range clusterMoves(false) {
			t.Run(fmt.Sprintf("%s→%s", from, to), func(t *testing.T) { taskStartIllegal(t, b, from, to) })
		}
	})
	s.run(t, "marks the Removing workers", taskStartMarksRemoving)
	s.run(t, "a cluster not in From is CodeClusterState and writes nothing", taskStartNotInFrom)
	s.run(t, "a Removing worker that may not be removed is a TransitionError and writes nothing", taskStartUnremovable)
	s.run(t, "Reserve: CheckFunc sees the account's usage of the scope, and the task reserves", taskStartReserves)
	s.run(t, "Reserve: a CheckFunc error is returned as it is and writes nothing", taskStartReserveRefused)
	s.run(t, "Reserve: a start refused for its cluster's state reserves nothing", taskStartRefusedReservesNothing)
	s.run(t, "another account's cluster is CodeClusterNotFound", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		task := b.newTask(c, ackscale.TaskScaleOut)
		task.AccountID = b.other.ID
		requireStartRefused(t, b, ackscale.TaskStartParams{Task: task, From: ackscale.ClusterRunning, To: ackscale.ClusterScaling},
			ackscale.CodeClusterNotFound)
	})
	s.run(t, "a deleted cluster is CodeClusterNotFound", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterDeleted)
		requireStartRefused(t, b, ackscale.TaskStartParams{Task: b.newTask(c, ackscale.TaskScaleOut),
			From: ackscale.ClusterRunning, To: ackscale.ClusterScaling}, ackscale.CodeClusterNotFound)
	})
	s.run(t, "an unknown cluster is CodeClusterNotFound", func(t *testing.T, b *testBundle) {
		c, _ := b.newCluster(b.account.ID)
		task := b.newTask(c, ackscale.TaskScaleOut)
		err := b.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task, From: ackscale.ClusterRunning, To: ackscale.ClusterScaling})
		require.Equal(t, ackscale.CodeClusterNotFound, ackscale.ErrorCode(err))
		b.requireNoTask(t, task.ID)
		require.Empty(t, b.Jobs(), "jobs")
	})
	s.taskStartPools(t)
}

// clusterMoves returns every pair of cluster states the table allows
// (legal) or forbids (!legal).
func clusterMoves(legal bool) func(yield func(from, to ackscale.ClusterState) bool) {
	return func(yield func(from, to ackscale.ClusterState) bool) {
		for _, from := range ackscale.ClusterStates() {
			for _, to := range ackscale.ClusterStates() {
				if from.CanMoveTo(to) == legal && !yield(from, to) {
					return
				}
			}
		}
	}
}

// taskStartLegal starts a task that moves a cluster in state from to
// state to. When the task that holds the cluster in from holds its
// default pool too, the new task moves that pool back to active: a pool
// the task moves itself does not refuse it.
func taskStartLegal(t *testing.T, b *testBundle, from, to ackscale.ClusterState) {
	c, _ := b.clusterIn(t, from)
	jobs := b.Jobs()
	task := b.newTask(c, typeWhile(to))
	p := ackscale.TaskStartParams{Task: task, From: from, To: to}
	if pool := b.defaultPoolOf(t, c.ID); pool.State.Busy() {
		p.Pools = []ackscale.PoolMove{{ID: pool.ID, From: pool.State, To: ackscale.NodePoolActive}}
	}
	err := b.Clusters.TaskStart(b.ctx, p)
	require.NoError(t, err, "TaskStart %s→%s", from, to)
	require.Equal(t, to, b.getCluster(t, c.ID).State, "cluster state")
	require.Equal(t, ackscale.NodePoolActive, b.defaultPoolOf(t, c.ID).State, "default pool state")
	require.Equal(t, normTask(task), normTask(b.getTask(t, task.ID)), "task")
	require.Equal(t, append(jobs, task.ID), b.Jobs(), "jobs")
}

func taskStartIllegal(t *testing.T, b *testBundle, from, to ackscale.ClusterState) {
	c, _ := b.clusterIn(t, from)
	jobs := b.Jobs()
	task := b.newTask(c, typeWhile(to))
	err := b.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task, From: from, To: to})
	requireTransition(t, err, "cluster", "TaskStart %s→%s", from, to)
	requireStartWroteNothing(t, b, c, task, jobs)
}

// requireStartRefused fails unless TaskStart refuses p with code and
// writes nothing; it returns the error.
func requireStartRefused(t *testing.T, b *testBundle, p ackscale.TaskStartParams, code string) error {
	t.Helper()
	c := b.getCluster(t, p.Task.ClusterID)
	jobs := b.Jobs()
	err := b.Clusters.TaskStart(b.ctx, p)
	require.Equal(t, code, ackscale.ErrorCode(err), "TaskStart %s→%s: %v", p.From, p.To, err)
	requireStartWroteNothing(t, b, c, p.Task, jobs)
	return err
}

// requireStartWroteNothing fails unless cluster c is as it was, the task
// does not exist and no job was added.
func requireStartWroteNothing(t *testing.T, b *testBundle, c ackscale.Cluster, task ackscale.Task, jobs []string) {
	t.Helper()
	require.Equal(t, c.State, b.getCluster(t, c.ID).State, "cluster state")
	b.requireNoTask(t, task.ID)
	require.Equal(t, jobs, b.Jobs(), "jobs")
}

func (s suite) taskGet(t *testing.T) {
	s.run(t, "in its account, or any when AccountID is empty", func(t *testing.T, b *testBundle) {
		_, task := b.clusterIn(t, ackscale.ClusterInitial)
		for _, accountID := range []string{b.account.ID, ""} {
			got, err := b.Clusters.TaskGet(b.ctx, ackscale.TaskGetParams{ID: task.ID, AccountID: accountID})
			require.NoError(t, err, "AccountID %q", accountID)
			require.Equal(t, normTask(task), normTask(got), "AccountID %q", accountID)
		}
	})
	s.run(t, "another account's is CodeTaskNotFound", func(t *testing.T, b *testBundle) {
		_, task := b.clusterIn(t, ackscale.ClusterInitial)
		_, err := b.Clusters.TaskGet(b.ctx, ackscale.TaskGetParams{ID: task.ID, AccountID: b.other.ID})
		require.Equal(t, ackscale.CodeTaskNotFound, ackscale.ErrorCode(err))
		require.True(t, ackscale.IsNotFound(err))
	})
	s.run(t, "an unknown id is CodeTaskNotFound", func(t *testing.T, b *testBundle) {
		_, err := b.Clusters.TaskGet(b.ctx, ackscale.TaskGetParams{ID: ackscale.NewTaskID()})
		require.Equal(t, ackscale.CodeTaskNotFound, ackscale.ErrorCode(err))
	})
}

func (s suite) taskSave(t *testing.T) {
	s.run(t, "writes the progress", func(t *testing.T, b *testBundle) {
		_, task := b.clusterIn(t, ackscale.ClusterScaling)
		task.CurrentStage = ackscale.StagePlan
		task.Stages = append(task.Stages, ackscale.TaskStage{Name: ackscale.StagePlan, State: ackscale.StageRunning, Start: b.now})
		task.Events = append(task.Events, ackscale.TaskEvent{Action: ackscale.StagePlan, Level: ackscale.EventWarning,
			Reason: ackscale.ReasonZoneFallback, Message: "zone h has no stock", Source: "ackscale", Timestamp: b.now})
		task.ErrorCode, task.ErrorMessage = ackscale.CodeNoStock, "no stock in zone h"
		task.Params.ScaleOut = &ackscale.ScaleOut{Count: 2, InstanceTypes: []string{"ecs.c6.large"}, SystemDiskSizeGiB: 40}
		require.NoError(t, b.Clusters.TaskSave(b.ctx, task))
		require.Equal(t, normTask(task), normTask(b.getTask(t, task.ID)))
	})
	s.run(t, "moves by the task table", func(t *testing.T, b *testBundle) {
		for _, from := range taskStates {
			for _, to := range taskStates {
				t.Run(fmt.Sprintf("%s→%s", from, to), func(t *testing.T) { taskSaveMove(t, b, from, to) })
			}
		}
	})
	s.run(t, "a task saved ended drops its reservation", taskSaveEndedDropsReservation)
	s.run(t, "an unknown task is CodeTaskNotFound", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		err := b.Clusters.TaskSave(b.ctx, b.newTask(c, ackscale.TaskScaleOut))
		require.Equal(t, ackscale.CodeTaskNotFound, ackscale.ErrorCode(err))
	})
}

// taskSaveMove saves a task in state from and then in state to; the task
// table decides whether the second save is written.
func taskSaveMove(t *testing.T, b *testBundle, from, to ackscale.TaskState) {
	_, task := b.clusterIn(t, ackscale.ClusterScaling)
	task.State = from
	require.NoError(t, b.Clusters.TaskSave(b.ctx, task), "TaskSave → %s (setup)", from)
	before := b.getTask(t, task.ID)
	task.State, task.CurrentStage = to, ackscale.StageDone
	err := b.Clusters.TaskSave(b.ctx, task)
	if !from.CanMoveTo(to) {
		requireTransition(t, err, "task", "TaskSave %s→%s", from, to)
		require.Equal(t, normTask(before), normTask(b.getTask(t, task.ID)), "the task must not change")
		return
	}
	require.NoError(t, err, "TaskSave %s→%s", from, to)
	require.Equal(t, normTask(task), normTask(b.getTask(t, task.ID)))
}

func (s suite) taskPlan(t *testing.T) {
	s.run(t, "saves the task and inserts its workers together", func(t *testing.T, b *testBundle) {
		c, task := b.clusterIn(t, ackscale.ClusterScaling)
		task.CurrentStage = ackscale.StageCreateInstances
		task.Stages = append(task.Stages, ackscale.TaskStage{Name: ackscale.StagePlan, State: ackscale.StageSuccess, Start: b.now, End: b.now},
			ackscale.TaskStage{Name: ackscale.StageCreateInstances, State: ackscale.StageRunning, Start: b.now})
		ws := b.newWorkers(task, 3)
		require.NoError(t, b.Clusters.TaskPlan(b.ctx, ackscale.TaskPlanParams{Task: task, Workers: ws}))
		require.Equal(t, normTask(task), normTask(b.getTask(t, task.ID)), "task")
		got, n, err := b.Workers.WorkerList(b.ctx, ackscale.WorkerListParams{ClusterID: c.ID, TaskID: task.ID})
		require.NoError(t, err)
		require.Equal(t, 3, n)
		require.Equal(t, normWorkers(ws), normWorkers(got), "the workers, in plan order")
	})
	s.run(t, "a worker planned already is left as it is", func(t *testing.T, b *testBundle) {
		c, task := b.clusterIn(t, ackscale.ClusterScaling)
		ws := b.newWorkers(task, 2)
		first := b.workerIn(t, ws[0], ackscale.NodeStarting)
		require.NoError(t, b.Clusters.TaskPlan(b.ctx, ackscale.TaskPlanParams{Task: task, Workers: ws}))
		require.Equal(t, map[string]ackscale.NodeState{ws[0].ClientToken: ackscale.NodeStarting, ws[1].ClientToken: ackscale.NodeInitial},
			b.clusterWorkers(t, c.ID))
		require.Equal(t, normWorker(first), normWorker(b.getWorker(t, first)))
	})
	s.run(t, "a refused save inserts no worker", func(t *testing.T, b *testBundle) {
		c, task := b.clusterIn(t, ackscale.ClusterScaling)
		ended := task
		ended.State = ackscale.TaskSuccess
		require.NoError(t, b.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: ended, ClusterState: ackscale.ClusterRunning}))
		err := b.Clusters.TaskPlan(b.ctx, ackscale.TaskPlanParams{Task: task, Workers: b.newWorkers(task, 2)})
		requireTransition(t, err, "task")
		require.Empty(t, b.clusterWorkers(t, c.ID))
		require.Equal(t, ackscale.TaskSuccess, b.getTask(t, task.ID).State)
	})
	s.run(t, "a task planned ended drops its reservation", taskPlanEndedDropsReservation)
	s.run(t, "an unknown task is CodeTaskNotFound and inserts no worker", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		task := b.newTask(c, ackscale.TaskScaleOut)
		err := b.Clusters.TaskPlan(b.ctx, ackscale.TaskPlanParams{Task: task, Workers: b.newWorkers(task, 1)})
		require.Equal(t, ackscale.CodeTaskNotFound, ackscale.ErrorCode(err))
		require.Empty(t, b.clusterWorkers(t, c.ID))
	})
}

func (s suite) taskFinish(t *testing.T) {
	s.run(t, "moves the cluster by the table, saving the task with it or not at all", func(t *testing.T, b *testBundle) {
		for _, from := range ackscale.ClusterStates() {
			if !holding(from) {
				continue // no task runs then
			}
			for _, to := range append(ackscale.ClusterStates(), "") {
				t.Run(fmt.Sprintf("%s→%q", from, to), func(t *testing.T) { taskFinishMove(t, b, from, to) })
			}
		}
	})
	s.run(t, "drops the task's reservation", taskFinishDropsReservation)
	s.run(t, "an ended task cannot finish again", func(t *testing.T, b *testBundle) {
		c, task := b.clusterIn(t, ackscale.ClusterScaling)
		task.State = ackscale.TaskSuccess
		require.NoError(t, b.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: task, ClusterState: ackscale.ClusterRunning}))
		task.State = ackscale.TaskFailed
		err := b.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: task, ClusterState: ackscale.ClusterDeleting})
		requireTransition(t, err, "task")
		require.Equal(t, ackscale.TaskSuccess, b.getTask(t, task.ID).State, "task state")
		require.Equal(t, ackscale.ClusterRunning, b.getCluster(t, c.ID).State, "cluster state")
	})
	s.run(t, "a task that has not ended is refused and writes nothing", func(t *testing.T, b *testBundle) {
		c, task := b.clusterIn(t, ackscale.ClusterScaling)
		task.CurrentStage = ackscale.StageDone
		err := b.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: task, ClusterState: ackscale.ClusterRunning})
		require.Error(t, err)
		require.Equal(t, ackscale.StageValidate, b.getTask(t, task.ID).CurrentStage, "task stage")
		require.Equal(t, ackscale.ClusterScaling, b.getCluster(t, c.ID).State, "cluster state")
	})
	s.taskFinishPools(t)
}

// taskFinishMove finishes the task that holds a cluster in state from,
// moving the cluster to state to ("" leaves it).
func taskFinishMove(t *testing.T, b *testBundle, from, to ackscale.ClusterState) {
	c, task := b.clusterIn(t, from)
	before := b.getTask(t, task.ID)
	task.State, task.CurrentStage = ackscale.TaskSuccess, ackscale.StageDone
	task.Stages = append(slices.Clone(task.Stages), ackscale.TaskStage{Name: ackscale.StageDone, State: ackscale.StageSuccess, Start: b.now, End: b.now})
	err := b.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: task, ClusterState: to})
	if to != "" && !from.CanMoveTo(to) {
		requireTransition(t, err, "cluster", "TaskFinish %s→%s", from, to)
		require.Equal(t, from, b.getCluster(t, c.ID).State, "cluster state")
		require.Equal(t, normTask(before), normTask(b.getTask(t, task.ID)), "the task must not be saved")
		return
	}
	require.NoError(t, err, "TaskFinish %s→%q", from, to)
	require.Equal(t, normTask(task), normTask(b.getTask(t, task.ID)), "task")
	require.Equal(t, cmp.Or(to, from), b.getCluster(t, c.ID).State, "cluster state")
}

func (s suite) taskCount(t *testing.T) {
	s.run(t, "counts by state", func(t *testing.T, b *testBundle) {
		b.clusterIn(t, ackscale.ClusterInitial) // its create task runs
		b.clusterIn(t, ackscale.ClusterRunning) // its create task succeeded
		b.clusterIn(t, ackscale.ClusterFailed)  // its create task failed
		for state, want := range map[ackscale.TaskState]int{"": 3, ackscale.TaskRunning: 1, ackscale.TaskSuccess: 1, ackscale.TaskFailed: 1} {
			n, err := b.Clusters.TaskCount(b.ctx, ackscale.TaskCountParams{State: state})
			require.NoError(t, err, "state %q", state)
			require.Equal(t, want, n, "state %q", state)
		}
	})
	s.run(t, "TaskCountsByType counts by type and state, in order", func(t *testing.T, b *testBundle) {
		b.clusterIn(t, ackscale.ClusterInitial)
		b.clusterIn(t, ackscale.ClusterRunning)
		b.clusterIn(t, ackscale.ClusterScaling) // a create task succeeded, a scale-out runs
		got, err := b.Clusters.TaskCountsByType(b.ctx)
		require.NoError(t, err)
		require.Equal(t, []ackscale.TaskCounts{
			{Type: ackscale.TaskCreateCluster, State: ackscale.TaskRunning, Count: 1},
			{Type: ackscale.TaskCreateCluster, State: ackscale.TaskSuccess, Count: 2},
			{Type: ackscale.TaskScaleOut, State: ackscale.TaskRunning, Count: 1},
		}, got)
	})
}

// taskStartMarksRemoving removes a running and a failed worker, and keeps
// another.
func taskStartMarksRemoving(t *testing.T, b *testBundle) {
	c, _ := b.clusterIn(t, ackscale.ClusterRunning)
	ws := b.newWorkers(b.newTask(c, ackscale.TaskScaleOut), 3)
	running0, running1 := b.workerIn(t, ws[0], ackscale.NodeRunning), b.workerIn(t, ws[1], ackscale.NodeRunning)
	failed := b.workerIn(t, ws[2], ackscale.NodeFailed)
	task := b.newTask(c, ackscale.TaskRemoveNodes)
	p := ackscale.TaskStartParams{Task: task, From: ackscale.ClusterRunning, To: ackscale.ClusterRemoving,
		Removing: []string{running0.ClientToken, failed.ClientToken}}
	require.NoError(t, b.Clusters.TaskStart(b.ctx, p))
	require.Equal(t, map[string]ackscale.NodeState{running0.ClientToken: ackscale.NodeRemoving,
		running1.ClientToken: ackscale.NodeRunning, failed.ClientToken: ackscale.NodeRemoving}, b.clusterWorkers(t, c.ID))
}

// taskStartNotInFrom starts a removal on a cluster that is scaling.
func taskStartNotInFrom(t *testing.T, b *testBundle) {
	c, _ := b.clusterIn(t, ackscale.ClusterScaling)
	w := b.workerIn(t, b.newWorkers(b.newTask(c, ackscale.TaskScaleOut), 1)[0], ackscale.NodeRunning)
	p := ackscale.TaskStartParams{Task: b.newTask(c, ackscale.TaskRemoveNodes), From: ackscale.ClusterRunning,
		To: ackscale.ClusterRemoving, Removing: []string{w.ClientToken}}
	err := requireStartRefused(t, b, p, ackscale.CodeClusterState)
	require.True(t, ackscale.IsConflict(err), "CodeClusterState is a conflict")
	require.Equal(t, ackscale.NodeRunning, b.getWorker(t, w).State, "worker")
}

// taskStartUnremovable asks to remove a worker that is still starting.
func taskStartUnremovable(t *testing.T, b *testBundle) {
	c, _ := b.clusterIn(t, ackscale.ClusterRunning)
	ws := b.newWorkers(b.newTask(c, ackscale.TaskScaleOut), 2)
	running, starting := b.workerIn(t, ws[0], ackscale.NodeRunning), b.workerIn(t, ws[1], ackscale.NodeStarting)
	jobs := b.Jobs()
	task := b.newTask(c, ackscale.TaskRemoveNodes)
	err := b.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task, From: ackscale.ClusterRunning,
		To: ackscale.ClusterRemoving, Removing: []string{running.ClientToken, starting.ClientToken}})
	requireTransition(t, err, "worker")
	requireStartWroteNothing(t, b, c, task, jobs)
	require.Equal(t, map[string]ackscale.NodeState{running.ClientToken: ackscale.NodeRunning,
		starting.ClientToken: ackscale.NodeStarting}, b.clusterWorkers(t, c.ID))
}
