package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// racers is how many goroutines race in each concurrency test.
const racers = 16

// race runs fn in racers goroutines at once and returns their results.
func race[T any](fn func(i int) T) []T {
	out := make([]T, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			<-start
			out[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return out
}

// count returns how many of xs are true.
func count(xs []bool) int {
	n := 0
	for _, x := range xs {
		if x {
			n++
		}
	}
	return n
}

func (s suite) concurrency(t *testing.T) {
	s.run(t, "NonceUse: one use of a nonce is fresh", raceNonceUse)
	s.run(t, "TaskStart: one start of a cluster succeeds", raceTaskStart)
	s.run(t, "TaskStart: one start of a node pool succeeds", racePoolTaskStart)
	s.run(t, "TaskStart: reservations of 3 racing for a quota of 5: one is accepted", raceReservations(5))
	s.run(t, "TaskStart: reservations of 3 racing for a quota of 9: three are accepted", raceReservations(9))
	s.run(t, "InstanceCreate: racing creates count and use up a reservation once each", raceInstanceCreate)
	s.run(t, "InstanceCreate: racing creates never hand out an IP twice; the lowest free first", raceIPs)
	s.run(t, "InstanceCreate and InstanceUpdate: racing creates and releases keep every counter equal to a count", raceCounters)
	s.run(t, "FaultFire: a fault of Count k fires k times", raceFaultFire)
}

func nonNilErrors(errs []error) []error {
	var out []error
	for _, err := range errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// raceNonceUse uses one nonce in racers goroutines.
func raceNonceUse(t *testing.T, b *testBundle) {
	p := ackscale.NonceUseParams{AccessKeyID: b.account.AccessKeyID, Nonce: "raced", Expires: b.now.Add(15 * time.Minute)}
	errs := make([]error, racers)
	fresh := race(func(i int) bool {
		ok, err := b.Accounts.NonceUse(b.ctx, p)
		errs[i] = err
		return ok
	})
	require.Empty(t, nonNilErrors(errs), "NonceUse errors")
	require.Equal(t, 1, count(fresh), "fresh uses")
}

// raceTaskStart starts a task on one cluster in racers goroutines.
func raceTaskStart(t *testing.T, b *testBundle) {
	c, _ := b.clusterIn(t, ackscale.ClusterRunning)
	jobs := b.Jobs()
	tasks := make([]ackscale.Task, racers)
	for i := range tasks {
		tasks[i] = b.newTask(c, ackscale.TaskScaleOut)
	}
	errs := race(func(i int) error {
		return b.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: tasks[i], From: ackscale.ClusterRunning, To: ackscale.ClusterScaling})
	})
	var won []string
	for i, err := range errs {
		if err == nil {
			won = append(won, tasks[i].ID)
			continue
		}
		require.Equal(t, ackscale.CodeClusterState, ackscale.ErrorCode(err), "TaskStart %d: %v", i, err)
	}
	require.Len(t, won, 1, "successful starts")
	require.Equal(t, append(jobs, won[0]), b.Jobs(), "jobs")
	n, err := b.Clusters.TaskCount(b.ctx, ackscale.TaskCountParams{State: ackscale.TaskRunning})
	require.NoError(t, err)
	require.Equal(t, 1, n, "running tasks")
}

// racePoolTaskStart starts a task on one pool in racers goroutines.
func racePoolTaskStart(t *testing.T, b *testBundle) {
	c, _ := b.clusterIn(t, ackscale.ClusterRunning)
	np, _ := b.poolIn(t, c, ackscale.NodePoolActive)
	jobs := b.Jobs()
	tasks := make([]ackscale.Task, racers)
	for i := range tasks {
		tasks[i] = b.newPoolTask(c, ackscale.TaskNodePoolUpdate, np.ID)
	}
	errs := race(func(i int) error {
		return b.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: tasks[i],
			Pools: []ackscale.PoolMove{{ID: np.ID, From: ackscale.NodePoolActive, To: ackscale.NodePoolUpdating}}})
	})
	var won []string
	for i, err := range errs {
		if err == nil {
			won = append(won, tasks[i].ID)
			continue
		}
		require.Equal(t, ackscale.CodeNodePoolState, ackscale.ErrorCode(err), "TaskStart %d: %v", i, err)
	}
	require.Len(t, won, 1, "successful starts")
	require.Equal(t, append(jobs, won[0]), b.Jobs(), "jobs")
}

// raceFaultFire fires one fault in racers goroutines.
func raceFaultFire(t *testing.T, b *testBundle) {
	const k = 5
	f := b.addFault(t, b.newFault(k))
	errs := make([]error, racers)
	fired := race(func(i int) bool {
		ok, err := b.Cloud.FaultFire(b.ctx, f.ID)
		errs[i] = err
		return ok
	})
	require.Empty(t, nonNilErrors(errs), "FaultFire errors")
	require.Equal(t, k, count(fired), "firings")
}
