package ackscale

import (
	"net/netip"
	"time"
)

// AccountCreateParams is a new account and its access key secret.
type AccountCreateParams struct {
	Account Account
	Secret  string
}

// NonceUseParams is a signature nonce to remember until Expires.
type NonceUseParams struct {
	AccessKeyID string
	Nonce       string
	Expires     time.Time
}

// ClusterCreateParams is a new cluster, its default node pool and its
// create task.
type ClusterCreateParams struct {
	Cluster     Cluster
	DefaultPool NodePool
	Task        Task
	// Reserve, when the task creates workers, reserves their quota in the
	// same transaction.
	Reserve *Reservation
}

// ClusterGetParams names one cluster.
type ClusterGetParams struct {
	ID string
	// AccountID is the caller's account; "" finds the cluster whatever its
	// account (task workers).
	AccountID string
	// WithDeleted finds a deleted cluster too.
	WithDeleted bool
}

// ClusterListParams filter a cluster listing (deleted clusters are never
// listed).
type ClusterListParams struct {
	AccountID     string // "" = every account
	ClusterID     string
	Name          string
	ClusterType   string
	Profile       string // "" | Default | Edge
	RegionID      string
	WithAPIServer bool // only clusters that have a kube-apiserver
	Offset        int
	Limit         int // 0 = all
}

// ClusterSetAPIServerParams records the endpoint of a cluster's kube-apiserver.
type ClusterSetAPIServerParams struct {
	ID       string
	Endpoint string
}

// TaskStartParams describe a task that moves its cluster from one state to
// another, accepted in one transaction with its job.
type TaskStartParams struct {
	Task Task
	// From and To move the cluster: it must be in From and moves to To
	// (From.CanMoveTo(To)), and none of its pools may be busy. Both ""
	// (a node pool's task): the cluster must be running and stays so.
	From ClusterState
	To   ClusterState
	// Pools move node pools of the cluster in the same transaction.
	Pools []PoolMove
	// NewPool, when set, is a node pool the task creates (inserted in the
	// task's pool state while).
	NewPool *NodePool
	// Removing lists workers (by client token) marked NodeRemoving in the
	// same transaction, so two removals never pick the same worker.
	Removing []string
	// Reserve, when the task creates instances, reserves their quota in
	// the same transaction.
	Reserve *Reservation
}

// TaskListParams name one cluster's tasks, one page of them.
type TaskListParams struct {
	ClusterID string
	AccountID string
	Offset    int
	Limit     int // 0 = all
}

// ClusterUpdateParams replace a cluster's spec, with the (already ended)
// task of the operation that changed it.
type ClusterUpdateParams struct {
	ID        string
	AccountID string
	Spec      ClusterSpec
	Task      Task
}

// TaskGetParams names one task.
type TaskGetParams struct {
	ID        string
	AccountID string // "" = whatever its account (task workers)
}

// TaskFinishParams is an ended task and the state its cluster and its
// pools (Task.Params.NodePoolIDs) move to.
type TaskFinishParams struct {
	Task         Task
	ClusterState ClusterState // "" leaves the cluster as it is
	// PoolState moves the task's pools ("" leaves them); each pool's
	// desired size becomes its worker count.
	PoolState NodePoolState
	// DeleteWorkers forgets the task's workers first (a scale-out rolled
	// back: their instances are released).
	DeleteWorkers bool
}

// TaskPlanParams is a running task's progress and the workers it planned,
// written together.
type TaskPlanParams struct {
	Task    Task
	Workers []Worker
}

// NodePoolGetParams names one node pool of a cluster.
type NodePoolGetParams struct {
	ClusterID   string
	ID          string
	WithDeleted bool
}

// NodePoolListParams filter a cluster's node pools (deleted ones are never
// listed). Pools come default first, then oldest first.
type NodePoolListParams struct {
	ClusterID string
	Name      string // "" = every name
}

// WorkerCount is how many workers of a pool are in one state and Node
// status.
type WorkerCount struct {
	NodePoolID string
	State      NodeState
	NodeStatus NodeStatus
	Count      int
}

// TaskCounts is how many tasks of one type are in one state.
type TaskCounts struct {
	Type  TaskType
	State TaskState
	Count int
}

// TaskCountParams filter a task count.
type TaskCountParams struct {
	State TaskState // "" = every state
}

// WorkerListParams filter a worker listing. Workers come oldest first, in
// plan order within a task.
type WorkerListParams struct {
	ClusterID    string
	NodePoolID   string      // "" = every pool
	TaskID       string      // "" = every task
	States       []NodeState // empty = every state
	InstanceIDs  []string    // empty = all
	NodeNames    []string    // empty = all
	ClientTokens []string    // empty = all
	Offset       int
	Limit        int // 0 = all
}

// InstanceCreateParams is a new instance of the emulated cloud.
type InstanceCreateParams struct {
	Instance Instance
	// CheckFunc decides, inside the store's transaction, whether the
	// instance may be created given the stock its zone × type has now;
	// an error from it is returned and nothing is written. Nil: no check.
	CheckFunc func(StockUsage) error
	// Reservation is the task whose quota reservation the instance uses
	// up ("" = none): the reservation shrinks by one instance in the same
	// transaction.
	Reservation string
	// IPs, when Instance.IP is "", are the addresses of the instance's
	// pool the store may give it: it takes the lowest one that no live
	// instance of the account's pool holds, in the transaction that
	// creates the instance. A pool's range is its CIDR's, the same at
	// every create: the stores' free-IP index assumes it (were a range to
	// start higher than before, the addresses below its start that the
	// pool never handed out would not be handed out later either).
	IPs IPRange
}

// IPRange is the IPv4 addresses a pool hands out, First to Last, both
// included.
type IPRange struct {
	First, Last netip.Addr
}

// StockUsage is the stock of one zone × instance type as a store has it
// at one moment.
type StockUsage struct {
	ZoneID       string
	InstanceType string
	Override     int  // the capacity set at run time,
	HasOverride  bool // when there is one
	Live         int  // instances of the zone × type not released
}

// InstanceGetParams names one instance, by id or by the client token
// that created it.
type InstanceGetParams struct {
	ID          string
	ClientToken string
}

// InstanceUpdateParams change an instance.
type InstanceUpdateParams struct {
	ID      string
	Status  InstanceStatus // "" leaves it; InstanceReleased frees its IP
	ReadyAt time.Time      // zero leaves it
	Detach  bool           // it left its cluster without being released
}

// InstanceListParams filter an instance listing (oldest first).
type InstanceListParams struct {
	AccountID string // "" = every account
	LiveOnly  bool   // not released
}

// InstanceUsedIPsParams name one account's IP pool (a vSwitch id, or an
// ENS region id).
type InstanceUsedIPsParams struct {
	AccountID string
	Pool      string
}

// QuotaUsageParams name one account's quota scope.
type QuotaUsageParams struct {
	AccountID string
	Scope     string
}

// InstanceRequest asks the cloud for one instance (RunInstances, Amount 1).
type InstanceRequest struct {
	// Reservation is the task whose quota reservation the instance uses up.
	Reservation   string
	ClientToken   string // idempotency token; the same token returns the same instance
	AccountID     string
	RegionID      string // ECS region, or ENS region for edge instances
	ZoneID        string
	VSwitchID     string   // "" for ENS instances: their IP comes from the ENS region
	InstanceTypes []string // candidates in order of preference
	ImageID       string
	// NewToken says that no call has used ClientToken before (the caller
	// has just made it): the cloud skips looking for its instance. The
	// create stays idempotent by the token either way.
	NewToken bool
}
