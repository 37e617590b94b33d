package ackscale

// ClusterListParams filter a cluster listing.
type ClusterListParams struct {
	AccountID   string
	ClusterID   string
	Name        string
	ClusterType string
	Profile     string // "" | Default | Edge
	RegionID    string
	Offset      int
	Limit       int // 0 = all
}

// WorkerListParams filter a worker listing.
type WorkerListParams struct {
	ClusterID   string
	State       string   // "" or "all" = every state
	InstanceIDs []string // empty = all
	NodeNames   []string // empty = all
	Offset      int
	Limit       int // 0 = all
}

// TaskStartParams describe a task that moves its cluster from one state to another.
type TaskStartParams struct {
	Task      Task
	FromState string // the cluster must be in this state
	ToState   string // and moves to this one
	// Removing lists workers (by node name) marked "removing" in the same
	// transaction, so two scale-ins never pick the same worker.
	Removing []string
}

// InstanceRequest asks the cloud for one instance (RunInstances, Amount 1).
type InstanceRequest struct {
	ClientToken   string // idempotency token; the same token returns the same instance
	AccountID     string
	RegionID      string // ECS region, or ENS region for edge instances
	ZoneID        string
	VSwitchID     string   // "" for ENS instances: their IP comes from the ENS region
	InstanceTypes []string // candidates in order of preference
	ImageID       string
}
