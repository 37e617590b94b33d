// Package storetest is the conformance suite of the store contracts of
// the root package (ackscale.AccountStore, ClusterStore, WorkerStore,
// CloudStore and Checker), in the spirit of River's riverdrivertest. Each
// implementation runs Exercise from its own tests, so SQLite and the
// in-memory fake of the unit tests are held to the same behaviour.
//
// The suite covers every method: results, orderings, filters, paging,
// each error the contracts list, the transition tables, the writes that
// must happen together or not at all, and the races that the store must
// settle (nonces, task starts, quota reservations, instance creates,
// fault firings). Subtests are named after
// the method and the case, so a failure says which broke.
package storetest

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// Stores is one implementation of the store contracts under test.
type Stores struct {
	Accounts ackscale.AccountStore
	Clusters ackscale.ClusterStore
	Workers  ackscale.WorkerStore
	Cloud    ackscale.CloudStore
	Checker  ackscale.Checker
	// Jobs returns the task ids whose jobs were enqueued so far, in order.
	// The suite calls it from nested subtests too: on a failure it should
	// panic, not call FailNow on the t that newStores was given.
	Jobs func() []string
}

// Exercise runs the conformance suite. newStores returns new, empty
// stores; it is called once per subtest, from that subtest (which may run
// in parallel with others), and releases what it opens with t.Cleanup.
// The suite writes times to the millisecond, as SQLite keeps them, and
// does not compare the Updated times a store fills in.
func Exercise(t *testing.T, newStores func(t *testing.T) Stores) {
	t.Helper()
	s := suite(newStores)
	for _, m := range []struct {
		method string
		test   func(t *testing.T)
	}{
		{"AccountCreate", s.accountCreate},
		{"AccountEnsure", s.accountEnsure},
		{"AccountGetByKey", s.accountGetByKey},
		{"NonceUse", s.nonceUse},
		{"NoncePrune", s.noncePrune},
		{"ClusterCreate", s.clusterCreate},
		{"ClusterGet", s.clusterGet},
		{"ClusterList", s.clusterList},
		{"ClusterSetAPIServer", s.clusterSetAPIServer},
		{"ClusterUpdate", s.clusterUpdate},
		{"TaskStart", s.taskStart},
		{"TaskGet", s.taskGet},
		{"TaskSave", s.taskSave},
		{"TaskPlan", s.taskPlan},
		{"TaskFinish", s.taskFinish},
		{"TaskCount", s.taskCount},
		{"TaskList", s.taskList},
		{"NodePoolGet", s.nodePoolGet},
		{"NodePoolList", s.nodePoolList},
		{"WorkerInsert", s.workerInsert},
		{"WorkerUpdate", s.workerUpdate},
		{"WorkerDelete", s.workerDelete},
		{"WorkerList", s.workerList},
		{"WorkerCount", s.workerCount},
		{"WorkerCounts", s.workerCounts},
		{"InstanceCreate", s.instanceCreate},
		{"InstanceGet", s.instanceGet},
		{"InstanceUpdate", s.instanceUpdate},
		{"InstanceList", s.instanceList},
		{"InstanceUsedIPs", s.instanceUsedIPs},
		{"QuotaUsageGet", s.quotaUsageGet},
		{"StockSet", s.stockSet},
		{"StockList", s.stockList},
		{"QuotaSet", s.quotaSet},
		{"QuotaList", s.quotaList},
		{"FaultAdd", s.faultAdd},
		{"FaultList", s.faultList},
		{"FaultDelete", s.faultDelete},
		{"FaultFire", s.faultFire},
		{"Check", s.check},
		{"Concurrency", s.concurrency},
	} {
		t.Run(m.method, m.test)
	}
}

// suite makes the stores of each subtest.
type suite func(t *testing.T) Stores

// run runs fn as a parallel subtest named name, on stores of its own.
func (s suite) run(t *testing.T, name string, fn func(t *testing.T, b *testBundle)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		fn(t, setup(t, s))
	})
}

// testBundle is the stores of one subtest and what the builders share.
type testBundle struct {
	Stores
	ctx context.Context
	// now is the subtest's clock, to the millisecond: SQLite keeps no finer.
	now     time.Time
	account ackscale.Account // the caller's account
	other   ackscale.Account // another account
	n       atomic.Int64     // makes names, tokens and IPs unique
}

func setup(t *testing.T, newStores suite) *testBundle {
	t.Helper()
	b := &testBundle{Stores: newStores(t), ctx: t.Context(), now: time.Now().UTC().Truncate(time.Millisecond)}
	require.NotNil(t, b.Jobs, "Stores.Jobs is nil")
	b.account = b.addAccount(t)
	b.other = b.addAccount(t)
	return b
}
