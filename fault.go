package ackscale

import "time"

// FaultOp is the cloud call a fault hits.
type FaultOp string

// Fault operations.
const (
	FaultCreate  FaultOp = "create"  // RunInstances
	FaultStart   FaultOp = "start"   // the instance's boot
	FaultRelease FaultOp = "release" // DeleteInstance
	FaultNode    FaultOp = "node"    // the worker's Node turns NotReady (with Kubernetes on)
)

// Fault is an injected misbehaviour of the emulated cloud. Empty match
// fields match anything. It fires with Probability (0 = always) until it has
// fired Count times (0 = without end).
type Fault struct {
	ID           string        `json:"id"`
	Operation    FaultOp       `json:"operation"`
	RegionID     string        `json:"region_id,omitempty"`
	ZoneID       string        `json:"zone_id,omitempty"`
	InstanceType string        `json:"instance_type,omitempty"`
	AccountID    string        `json:"account_id,omitempty"`
	Code         string        `json:"code,omitempty"`    // the cloud error code returned, e.g. OperationDenied.NoStock
	Message      string        `json:"message,omitempty"` // default: a message naming the fault
	Probability  float64       `json:"probability,omitempty"`
	Count        int           `json:"count,omitempty"`
	Latency      time.Duration `json:"latency,omitempty"`       // added to the call (create, release) or the boot (start)
	NeverRunning bool          `json:"never_running,omitempty"` // start: the instance never becomes Running
	Fired        int           `json:"fired"`                   // how many times it fired so far
	Created      time.Time     `json:"created"`
}

// Matches reports whether f applies to an operation on an instance.
func (f Fault) Matches(op FaultOp, accountID, regionID, zoneID, instanceType string) bool {
	return f.Operation == op && match(f.AccountID, accountID) && match(f.RegionID, regionID) &&
		match(f.ZoneID, zoneID) && match(f.InstanceType, instanceType)
}

func match(want, got string) bool { return want == "" || want == got }

// Quota names (emulated account quotas).
const (
	QuotaECSInstancesPerRegion = "ecs_instances_per_region"
	QuotaECSVCPUsPerRegion     = "ecs_vcpus_per_region"
	QuotaENSInstances          = "ens_instances"
	QuotaWorkersPerCluster     = "workers_per_cluster"
)

// StockOverride sets the capacity of one zone × instance type at run time.
type StockOverride struct {
	ZoneID       string `json:"zone_id"`
	InstanceType string `json:"instance_type"`
	Capacity     int    `json:"capacity"`
}

// QuotaOverride sets one quota of one account ("*" = every account).
type QuotaOverride struct {
	AccountID string `json:"account_id"`
	Name      string `json:"name"`
	Value     int    `json:"value"`
}

// Check is the result of the store's invariant check: an instance exists in
// the cloud if and only if a worker of a task or cluster records it.
type Check struct {
	Instances  int `json:"instances"` // every instance ever created
	Live       int `json:"live"`      // not released
	Released   int `json:"released"`
	Workers    int `json:"workers"`    // worker rows
	Detached   int `json:"detached"`   // live, removed from their cluster without release
	Leaked     int `json:"leaked"`     // live instances no worker records
	Lost       int `json:"lost"`       // workers whose recorded instance is not live
	Duplicated int `json:"duplicated"` // client tokens with more than one instance
	// FailedWorkers are workers left failed (listed with their error, and
	// removable like any other).
	FailedWorkers  int `json:"failed_workers"`
	TasksRunning   int `json:"tasks_running"`
	TasksSucceeded int `json:"tasks_succeeded"`
	TasksFailed    int `json:"tasks_failed"`
	// QuotaDrift counts usage counters that differ from a count of what
	// they count (must be 0): an account quota scope's live instances and
	// vCPUs, and its running tasks' reservations; a zone × type's live
	// instances (its stock in use).
	QuotaDrift int `json:"quota_drift"`
	// StaleReservations counts quota reservations of tasks that have ended
	// (must be 0).
	StaleReservations int `json:"stale_reservations"`
}

// StockView is the stock of one zone × instance type as the cloud sees it now.
type StockView struct {
	ZoneID       string `json:"zone_id"`
	InstanceType string `json:"instance_type"`
	Capacity     int    `json:"capacity"` // -1: unlimited
	InUse        int    `json:"in_use"`
	Source       string `json:"source"` // catalog | override
}

// Quotas lists the names of every emulated quota.
func Quotas() []string {
	return []string{QuotaECSInstancesPerRegion, QuotaECSVCPUsPerRegion, QuotaENSInstances, QuotaWorkersPerCluster}
}

// QuotaScopeENS is the quota scope of ENS instances: ens_instances counts
// an account's ENS instances in every ENS region.
const QuotaScopeENS = "ens"

// QuotaScopeOf is the scope an instance counts in for the instance and
// vCPU quotas: its ECS region (ECS and bare-metal instances), or
// QuotaScopeENS.
func QuotaScopeOf(kind InstanceKind, regionID string) string {
	if kind == KindENS {
		return QuotaScopeENS
	}
	return regionID
}

// Reservation is the quota an accepted task holds for the instances it
// may still create, so that tasks accepted together can never pass a
// quota between them.
type Reservation struct {
	Scope     string // QuotaScopeOf the instances
	Instances int    // how many the task may create
	VCPUs     int    // of each, at most: the largest of the types it may fall back to
	// CheckFunc decides, inside the transaction that accepts the task,
	// whether the account may reserve this on top of its usage; its error
	// is returned and nothing is written.
	CheckFunc func(QuotaUsage) error
}

// QuotaUsage is an account's use of one quota scope at one moment: its
// live instances, and what its accepted, unfinished tasks may still create.
type QuotaUsage struct {
	AccountID         string
	Scope             string
	Instances         int
	VCPUs             int
	ReservedInstances int
	ReservedVCPUs     int
}
