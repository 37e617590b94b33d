package ackscale

import (
	"context"
	"time"
)

// The store contracts. Each store implementation (sqlite, the in-memory
// one of the tests) implements all four, and internal/storetest checks
// that it does so alike. Consumers declare the narrower interfaces they
// use; these are what an implementation promises.
//
// Every method returns, besides its listed errors, wrapped internal errors
// for a failing database. Rows given a zero Created or Updated time get the
// store's now; times keep millisecond precision. State changes follow the transition tables of
// state.go: a change the table forbids returns a *TransitionError and
// writes nothing.

// AccountStore keeps accounts, their access keys, and the signature nonces
// seen.
type AccountStore interface {
	// AccountCreate adds an account with its key; a taken id or key id is
	// a KindConflict error.
	AccountCreate(ctx context.Context, p AccountCreateParams) error
	// AccountEnsure adds the account or replaces its key, and returns it.
	AccountEnsure(ctx context.Context, p AccountCreateParams) (Account, error)
	// AccountGetByKey returns the account owning an access key id and the
	// key's secret; CodeAccessKeyNotFound when there is none.
	AccountGetByKey(ctx context.Context, accessKeyID string) (Account, string, error)
	// NonceUse records a nonce of an access key until it expires; fresh is
	// false when it was recorded before and has not expired.
	NonceUse(ctx context.Context, p NonceUseParams) (fresh bool, err error)
	// NoncePrune forgets nonces that expired before t, and says how many.
	NoncePrune(ctx context.Context, t time.Time) (int, error)
}

// ClusterStore keeps clusters and their tasks. A task is only ever
// accepted together with its job, in one transaction.
type ClusterStore interface {
	// ClusterCreate inserts a cluster (state ClusterInitial), its default
	// pool, its create task (state TaskRunning) and the task's job, and
	// reserves the quota of Reserve as TaskStart does. CodeClusterNameExists
	// when the account has a cluster of that name that is not deleted; a
	// taken cluster or task id is a KindConflict error; another initial
	// state is a *TransitionError.
	ClusterCreate(ctx context.Context, p ClusterCreateParams) error
	// ClusterGet returns one cluster; CodeClusterNotFound when it does not
	// exist in the account, or is deleted (unless WithDeleted).
	ClusterGet(ctx context.Context, p ClusterGetParams) (Cluster, error)
	// ClusterList returns clusters newest first and the count before paging.
	ClusterList(ctx context.Context, p ClusterListParams) ([]Cluster, int, error)
	// ClusterUpdate replaces the spec of the account's cluster (and the
	// name it is found by) and inserts Task — already ended, with no job —
	// in one transaction. CodeClusterNotFound when the cluster is not the
	// account's or is deleted; CodeClusterNameExists when another cluster of
	// the account that is not deleted has Spec.Name.
	ClusterUpdate(ctx context.Context, p ClusterUpdateParams) error
	// ClusterSetAPIServer records the endpoint of the cluster's
	// kube-apiserver; CodeClusterNotFound when there is no such cluster.
	ClusterSetAPIServer(ctx context.Context, p ClusterSetAPIServerParams) error
	// TaskStart moves the cluster From → To (refusing with
	// CodeClusterState while one of its pools is busy) or, for a pool's
	// task, checks that the cluster is running; moves the Pools (a pool not
	// in its From: CodeNodePoolState; missing: CodeNodePoolNotFound) and
	// sets their specs; inserts NewPool; marks the Removing workers,
	// reserves the quota of Reserve (when set: Reserve.CheckFunc, when not
	// nil, decides on the account's QuotaUsage of its scope, read in the
	// transaction; a reservation of no instance records nothing), and
	// inserts the task and its job, in one transaction. CodeClusterState
	// (KindConflict) when the cluster is not in From; CodeClusterNotFound
	// when it is not the task's account's (or is deleted); CodeNodeNotFound
	// when a Removing token is not one of the cluster's workers. On any
	// error nothing is written.
	TaskStart(ctx context.Context, p TaskStartParams) error
	// TaskGet returns one task; CodeTaskNotFound when it does not exist in
	// the account.
	TaskGet(ctx context.Context, p TaskGetParams) (Task, error)
	// TaskList returns the tasks of the account's cluster, newest first
	// (then by id, descending), and their count before paging.
	TaskList(ctx context.Context, p TaskListParams) ([]Task, int, error)
	// TaskSave writes a task's progress (state, stage, stages, events,
	// error, params); a task saved ended drops its quota reservation as
	// TaskFinish does. CodeTaskNotFound when there is none.
	TaskSave(ctx context.Context, t Task) error
	// TaskPlan saves a task's progress (as TaskSave) and inserts the
	// workers it planned (as WorkerInsert), in one transaction: a task
	// saved with its plan stage has its workers, and one saved without it
	// has none.
	TaskPlan(ctx context.Context, p TaskPlanParams) error
	// TaskFinish saves an ended task, deletes its workers (DeleteWorkers),
	// moves its cluster and its pools (each pool's desired size becomes its
	// worker count) and drops what is left of the task's quota reservation,
	// in one transaction; a task that has not ended is refused.
	// CodeTaskNotFound when there is none.
	TaskFinish(ctx context.Context, p TaskFinishParams) error
	// TaskCount counts tasks.
	TaskCount(ctx context.Context, p TaskCountParams) (int, error)
	// TaskCountsByType counts every task by type and state (only the pairs
	// that have tasks, ordered by type then state).
	TaskCountsByType(ctx context.Context) ([]TaskCounts, error)
	// NodePoolGet returns one pool of a cluster; CodeNodePoolNotFound when
	// there is none (or it is deleted, unless WithDeleted).
	NodePoolGet(ctx context.Context, p NodePoolGetParams) (NodePool, error)
	// NodePoolList returns a cluster's pools, default first, then oldest first.
	NodePoolList(ctx context.Context, p NodePoolListParams) ([]NodePool, error)
}

// WorkerStore keeps the workers of clusters, one per instance asked of the
// cloud, keyed by the client token of that call.
type WorkerStore interface {
	// WorkerInsert records planned workers in one transaction; a worker
	// whose client token exists already is left as it is. Labels, Taints,
	// Runtime and Unschedulable are the task's, not each worker's: they are kept once per task
	// (those of its first worker inserted) and every worker of the task
	// reads them back.
	WorkerInsert(ctx context.Context, ws []Worker) error
	// WorkerUpdate writes a worker's changing fields (instance, IP, node
	// name, hostname, zone, vSwitch, instance type and image — a fallback
	// may change them —, state, status, error); its labels, taints and
	// runtime are its task's and do not change. CodeNodeNotFound when there
	// is none with its client token.
	WorkerUpdate(ctx context.Context, w Worker) error
	// WorkerDelete forgets a worker; deleting one that is gone is not an error.
	WorkerDelete(ctx context.Context, clientToken string) error
	// WorkerList returns workers (ClusterID "" = every cluster's) and the
	// count before paging.
	WorkerList(ctx context.Context, p WorkerListParams) ([]Worker, int, error)
	// WorkerCount counts a cluster's workers in any state.
	WorkerCount(ctx context.Context, clusterID string) (int, error)
	// WorkerCounts counts a cluster's workers by pool, state and Node
	// status (only the combinations that have workers).
	WorkerCounts(ctx context.Context, clusterID string) ([]WorkerCount, error)
}

// CloudStore keeps the emulated cloud's state: instances, stock and quota
// overrides, and faults.
type CloudStore interface {
	// InstanceCreate inserts an instance unless one with its client token
	// exists, which it then returns with created false. CheckFunc decides
	// on the stock inside the transaction. An instance without an IP gets
	// the lowest address of p.IPs that no live instance of its account's
	// pool holds, in the same transaction (none left: CodeIPExhausted); a
	// given IP already held by a live instance of the same account and pool
	// is a KindConflict error (retryable). In the same transaction the
	// account's usage of the instance's quota scope grows by it (one
	// instance, its VCPUs), the stock of its zone × type by one, and the
	// reservation of p.Reservation, if any is left, shrinks by one. Every
	// one of these is a counter or an index lookup: the cost does not grow
	// with the number of live instances.
	InstanceCreate(ctx context.Context, p InstanceCreateParams) (in Instance, created bool, err error)
	// InstanceGet returns an instance by id or client token (both must
	// match when both are set), released ones included;
	// CodeInstanceNotFound when there is none.
	InstanceGet(ctx context.Context, p InstanceGetParams) (Instance, error)
	// InstanceUpdate changes an instance's status, boot time or detached
	// mark; releasing it frees its IP (the next InstanceCreate of its pool
	// may take it: the lowest free address first) and takes it out of its
	// account's quota usage and its zone × type's stock. CodeInstanceNotFound
	// when there is none.
	InstanceUpdate(ctx context.Context, p InstanceUpdateParams) error
	// InstanceList returns instances, oldest first.
	InstanceList(ctx context.Context, p InstanceListParams) ([]Instance, error)
	// InstanceUsedIPs returns the IPs of an account's pool held by live
	// instances. Every account has its own pools: a vSwitch of the catalog
	// is, in each account, that account's own.
	InstanceUsedIPs(ctx context.Context, p InstanceUsedIPsParams) (map[string]bool, error)
	// QuotaUsageGet returns an account's usage of a quota scope: its live
	// instances and vCPUs there, and what its unfinished tasks have
	// reserved and not yet created. Counters kept in the transactions that
	// change them: one row read, however many instances and tasks.
	QuotaUsageGet(ctx context.Context, p QuotaUsageParams) (QuotaUsage, error)
	// StockSet overrides a zone × type's capacity; a negative capacity
	// removes the override.
	StockSet(ctx context.Context, o StockOverride) error
	// StockList returns the stock overrides.
	StockList(ctx context.Context) ([]StockOverride, error)
	// QuotaSet overrides a quota; a negative value removes the override.
	QuotaSet(ctx context.Context, q QuotaOverride) error
	// QuotaList returns the quota overrides.
	QuotaList(ctx context.Context) ([]QuotaOverride, error)
	// FaultAdd records a fault; a taken id is a KindConflict error.
	FaultAdd(ctx context.Context, f Fault) error
	// FaultList returns the faults that can still fire, oldest first.
	FaultList(ctx context.Context) ([]Fault, error)
	// FaultDelete removes one fault, or every fault when id is "".
	FaultDelete(ctx context.Context, id string) error
	// FaultFire counts one firing; false when the fault has none left.
	FaultFire(ctx context.Context, id string) (bool, error)
}

// Checker counts what the invariant check needs: instances, workers and
// tasks, and the ways they can disagree.
type Checker interface {
	// Check counts instances, workers and tasks now.
	Check(ctx context.Context) (Check, error)
}
