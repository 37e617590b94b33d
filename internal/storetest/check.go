package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

func (s suite) check(t *testing.T) {
	s.run(t, "empty stores count nothing", func(t *testing.T, b *testBundle) {
		require.Equal(t, ackscale.Check{}, b.runCheck(t))
	})
	s.run(t, "counts instances, workers and how they disagree", checkDisagreements)
	s.run(t, "a client token never makes two instances", func(t *testing.T, b *testBundle) {
		first := b.createInstance(t, b.newInstance("vsw-1"))
		again := b.newInstance("vsw-1")
		again.ClientToken = first.ClientToken
		_, created, err := b.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: again})
		require.NoError(t, err)
		require.False(t, created, "created")
		got := b.runCheck(t)
		require.Equal(t, 1, got.Instances, "instances")
		require.Zero(t, got.Duplicated, "duplicated")
	})
	s.run(t, "quota counters agree with the live instances; only running tasks hold reservations", checkQuotaInvariants)
	s.run(t, "counts tasks by state", func(t *testing.T, b *testBundle) {
		b.clusterIn(t, ackscale.ClusterInitial) // create runs
		b.clusterIn(t, ackscale.ClusterScaling) // create succeeded, scale-out runs
		b.clusterIn(t, ackscale.ClusterRunning) // create succeeded
		b.clusterIn(t, ackscale.ClusterFailed)  // create failed
		got := b.runCheck(t)
		require.Equal(t, ackscale.Check{TasksRunning: 2, TasksSucceeded: 2, TasksFailed: 1}, got)
	})
	s.run(t, "node pools count nothing; their tasks count as tasks", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning) // create succeeded
		b.poolIn(t, c, ackscale.NodePoolActive)         // the pool's create succeeded
		b.poolIn(t, c, ackscale.NodePoolScaling)        // the pool's create runs
		require.Equal(t, ackscale.Check{TasksRunning: 1, TasksSucceeded: 2}, b.runCheck(t))
	})
}

// checkDisagreements builds one of each disagreement the check counts.
func checkDisagreements(t *testing.T, b *testBundle) {
	c, task := b.clusterIn(t, ackscale.ClusterScaling)
	ws := b.newWorkers(task, 4)
	in := func(w ackscale.Worker) ackscale.Instance {
		in := b.newInstance("vsw-1")
		in.ClientToken = w.ClientToken
		return in
	}

	// A worker and its running instance: in agreement.
	good := b.instanceIn(t, in(ws[0]), ackscale.InstanceRunning)
	ws[0].InstanceID = good.ID
	// Leaked: live, not detached, and no worker has its client token.
	b.createInstance(t, b.newInstance("vsw-1"))
	// Detached: live, removed from its cluster without release; not leaked.
	detached := b.createInstance(t, b.newInstance("vsw-1"))
	require.NoError(t, b.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: detached.ID, Detach: true}))
	// Lost: a worker whose instance is released, and one whose instance
	// does not exist.
	released := b.instanceIn(t, in(ws[1]), ackscale.InstanceReleased)
	ws[1].InstanceID = released.ID
	ws[2].InstanceID = ackscale.NewInstanceID()
	// ws[3] has no instance yet: not lost.
	b.insertWorkers(t, ws...)
	// Failed: its instance was never created.
	b.workerIn(t, b.newWorkers(b.newTask(c, ackscale.TaskScaleOut), 1)[0], ackscale.NodeFailed)

	require.Equal(t, ackscale.Check{
		Instances: 4, Live: 3, Released: 1, Workers: 5, Detached: 1, Leaked: 1, Lost: 2, FailedWorkers: 1,
		TasksRunning: 1, TasksSucceeded: 1,
	}, b.runCheck(t), "cluster %s", c.ID)
}

// runCheck runs the invariant check.
func (b *testBundle) runCheck(t *testing.T) ackscale.Check {
	t.Helper()
	got, err := b.Checker.Check(b.ctx)
	require.NoError(t, err, "Check")
	return got
}
