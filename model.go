package ackscale

import "time"

// Account owns clusters, tasks and workers. Its secret never leaves the store
// except to check a signature.
type Account struct {
	ID          string
	AccessKeyID string
	Created     time.Time
}

// Cluster is a Kubernetes cluster as ACK describes it.
type Cluster struct {
	ID        string
	AccountID string
	Spec      ClusterSpec
	Profile   Profile
	State     ClusterState
	// PasswordHash is a bcrypt hash of the creation login_password, or "".
	PasswordHash string
	// APIServer is the endpoint of its kube-apiserver, "" in --kube=off mode.
	APIServer string
	Created   time.Time
	Updated   time.Time
}

// Worker is one worker node of a cluster: an instance in the emulated cloud
// and, with Kubernetes on, a Node in the cluster's API server.
type Worker struct {
	ClusterID     string
	NodePoolID    string // the pool it belongs to
	AccountID     string
	TaskID        string // the task that created it
	ClientToken   string // idempotency token of the cloud call, unique
	InstanceID    string // "" until the cloud answered
	NodeName      string // REGION.IP, "" until an IP is known
	Hostname      string
	IP            string
	RegionID      string // the ECS region, or the ENS region for edge workers
	ZoneID        string
	VSwitchID     string
	InstanceType  string
	ImageID       string
	ChargeType    string
	State         NodeState
	NodeStatus    NodeStatus
	ErrorMessage  string
	Labels        map[string]string
	Taints        []Taint
	Runtime       Runtime
	Unschedulable bool // its Node is cordoned from the start (its pool's kubernetes_config)
	SystemDiskGiB int
	EdgeWorker    bool
	Created       time.Time
	Updated       time.Time
}

// Task is an asynchronous operation on a cluster.
type Task struct {
	ID           string
	AccountID    string
	ClusterID    string
	Type         TaskType
	State        TaskState
	CurrentStage Stage
	Params       TaskParams
	ErrorCode    string
	ErrorMessage string
	Stages       []TaskStage
	Events       []TaskEvent
	Created      time.Time
	Updated      time.Time
}

// TaskParams are the validated inputs of a task; no password is ever kept.
type TaskParams struct {
	ScaleOut     *ScaleOut `json:"scale_out,omitempty"`
	Removal      *Removal  `json:"removal,omitempty"`
	PriorWorkers int       `json:"prior_workers"`
	Deadline     time.Time `json:"deadline"`
	// NodePoolIDs are the pools the task works on: the workers it adds
	// belong to the first; each moves to its type's PoolStateAfter when
	// the task ends.
	NodePoolIDs []string `json:"nodepool_ids,omitempty"`
	// UpdateNodes asks the task to give the pool's existing Nodes its
	// labels, taints and unschedulable mark first.
	UpdateNodes bool `json:"update_nodes,omitempty"`
}

// NodePoolID is the pool the task adds workers to ("" for none).
func (p TaskParams) NodePoolID() string {
	if len(p.NodePoolIDs) == 0 {
		return ""
	}
	return p.NodePoolIDs[0]
}

// TaskStage is one step of a task as DescribeTaskInfo shows it.
type TaskStage struct {
	Name    Stage      `json:"name"`
	State   StageState `json:"state"`
	Start   time.Time  `json:"start_time"`
	End     time.Time  `json:"end_time,omitzero"`
	Message string     `json:"message,omitempty"`
}

// TaskEvent is one event of a task.
type TaskEvent struct {
	Action    Stage       `json:"action"` // the stage it happened in
	Level     EventLevel  `json:"level"`
	Reason    EventReason `json:"reason"`
	Message   string      `json:"message"`
	Source    string      `json:"source"`
	Timestamp time.Time   `json:"timestamp"`
}

// Instance is an instance of the emulated cloud.
type Instance struct {
	ID           string
	ClientToken  string // the idempotency token of the call that created it
	AccountID    string
	RegionID     string
	ZoneID       string
	IPPool       string // the vSwitch id, or the ENS region id, its IP came from
	IP           string
	InstanceType string
	Kind         InstanceKind // of its instance type
	VCPUs        int          // of its instance type
	ImageID      string
	Status       InstanceStatus
	ReadyAt      time.Time
	Created      time.Time
	Released     time.Time
}
