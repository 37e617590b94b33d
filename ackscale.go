// Package ackscale holds the domain types and rules of the emulator: clusters,
// their profiles, scale requests, workers and tasks. It imports no adapter;
// httpapi, sqlite, cloud and task depend on it, never the other way round.
package ackscale

// Profile selects which seed's rules validate a scale-out. It is decided by
// the target cluster as created (decisions.md, "Which rules apply").
type Profile string

// The four cluster profiles.
const (
	ProfileLegacy   Profile = "legacy"   // cluster_type Kubernetes (seeds 000, 002)
	ProfileStandard Profile = "standard" // ManagedKubernetes, no profile (seed 002)
	ProfileEdge     Profile = "edge"     // ManagedKubernetes, profile Edge (seeds 001, 003)
	ProfileSandbox  Profile = "sandbox"  // managed, runtime Sandboxed-Container.runv (seed 004)
)

// Cluster types and runtime names that decide a profile.
const (
	ClusterTypeDedicated = "Kubernetes"
	ClusterTypeManaged   = "ManagedKubernetes"
	RuntimeSandboxed     = "Sandboxed-Container.runv"
)

// ProfileOf returns the profile of a cluster created with these values.
func ProfileOf(clusterType, profile, runtimeName string) Profile {
	switch {
	case clusterType == ClusterTypeDedicated:
		return ProfileLegacy
	case runtimeName == RuntimeSandboxed:
		return ProfileSandbox
	case profile == "Edge":
		return ProfileEdge
	default:
		return ProfileStandard
	}
}

// Tag is a key/value label put on workers.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Taint is a Kubernetes taint put on new workers.
type Taint struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Effect string `json:"effect"`
}

// Runtime is a container runtime.
type Runtime struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// DataDisk is one data disk of a worker.
type DataDisk struct {
	Category  string `json:"category"`
	SizeGiB   int    `json:"size"`
	Encrypted bool   `json:"encrypted"`
}

// ScaleOut is a validated scale-out: what every profile's body decodes to.
// It carries no password; only whether one was given.
type ScaleOut struct {
	Count              int        `json:"count"`
	InstanceTypes      []string   `json:"instance_types"`
	VSwitchIDs         []string   `json:"vswitch_ids,omitempty"`
	ENSRegionID        string     `json:"ens_region_id,omitempty"`
	ImageID            string     `json:"image_id,omitempty"`
	KeyPair            string     `json:"key_pair,omitempty"`
	HasPassword        bool       `json:"has_password,omitempty"`
	SystemDiskCategory string     `json:"system_disk_category,omitempty"`
	SystemDiskSizeGiB  int        `json:"system_disk_size"`
	DataDisks          []DataDisk `json:"data_disks,omitempty"`
	Tags               []Tag      `json:"tags,omitempty"`
	Taints             []Taint    `json:"taints,omitempty"`
	Runtime            *Runtime   `json:"runtime,omitempty"`
	ChargeType         string     `json:"charge_type,omitempty"` // PrePaid|PostPaid, or an ENS charge type
	Period             int        `json:"period,omitempty"`
	PeriodUnit         string     `json:"period_unit,omitempty"`
	AutoRenew          bool       `json:"auto_renew,omitempty"`
	AutoRenewPeriod    int        `json:"auto_renew_period,omitempty"`
	CPUPolicy          string     `json:"cpu_policy,omitempty"`
	UserData           string     `json:"user_data,omitempty"`
	CloudMonitor       bool       `json:"cloud_monitor,omitempty"`
	RDSInstances       []string   `json:"rds_instances,omitempty"`
	EdgeWorker         bool       `json:"edge_worker,omitempty"`
	Unschedulable      bool       `json:"unschedulable,omitempty"` // new Nodes are cordoned
	DisableRollback    bool       `json:"disable_rollback"`
	TimeoutMins        int        `json:"timeout_mins"`
}

// ClusterSpec is a validated CreateCluster body.
type ClusterSpec struct {
	Name               string   `json:"name"`
	RegionID           string   `json:"region_id"`
	ClusterType        string   `json:"cluster_type"`           // Kubernetes | ManagedKubernetes
	ClusterSpec        string   `json:"cluster_spec,omitempty"` // ack.pro.small | ack.standard (managed only)
	Profile            string   `json:"profile,omitempty"`      // "" | Default | Edge
	KubernetesVersion  string   `json:"kubernetes_version"`
	VPCID              string   `json:"vpc_id"`
	VSwitchIDs         []string `json:"vswitch_ids"` // the region's default vSwitches when the body has none
	ContainerCIDR      string   `json:"container_cidr"`
	ServiceCIDR        string   `json:"service_cidr"`
	Runtime            Runtime  `json:"runtime"`
	Tags               []Tag    `json:"tags,omitempty"`
	KeyPair            string   `json:"key_pair,omitempty"`
	DeletionProtection bool     `json:"deletion_protection"`
	TimeoutMins        int      `json:"timeout_mins"`
	// Worker defaults, used by the legacy PUT when its body leaves them out.
	WorkerInstanceTypes      []string `json:"worker_instance_types,omitempty"`
	WorkerSystemDiskCategory string   `json:"worker_system_disk_category,omitempty"`
	WorkerSystemDiskSizeGiB  int      `json:"worker_system_disk_size,omitempty"`
	WorkerImageID            string   `json:"worker_image_id,omitempty"`
	// NumOfNodes is how many workers the create task adds (legacy fields).
	NumOfNodes int `json:"num_of_nodes,omitempty"`
	// MaintenanceWindow is set by ModifyCluster; ackscale keeps and shows it.
	MaintenanceWindow *MaintenanceWindow `json:"maintenance_window,omitempty"`
	// LoginPassword is the clear password; the caller hashes it and drops it.
	LoginPassword string `json:"-"`
}

// Removal is a validated DeleteClusterNodes / RemoveClusterNodes body.
type Removal struct {
	Nodes []string `json:"nodes"` // as asked: node names (REGION.IP) or instance ids
	// Workers are the client tokens of the workers removed, chosen when the
	// task was accepted.
	Workers     []string `json:"workers,omitempty"`
	ReleaseNode bool     `json:"release_node"`
	DrainNode   bool     `json:"drain_node"`
}

// MaintenanceWindow is a cluster's maintenance window as ModifyCluster sets
// it (the SDK model MaintenanceWindow). ackscale runs no maintenance.
type MaintenanceWindow struct {
	Enable          bool   `json:"enable"`
	MaintenanceTime string `json:"maintenance_time"` // RFC 3339
	Duration        string `json:"duration"`         // "1h" to "24h"
	WeeklyPeriod    string `json:"weekly_period"`    // Monday,Thursday…
	Recurrence      string `json:"recurrence,omitempty"`
}
