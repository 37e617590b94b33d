package ackscale

import (
	"encoding/json"
	"slices"
	"time"
)

// NodePool is a group of a cluster's workers that share one configuration:
// instance types, vSwitches, disks, labels and taints. Every cluster has a
// default pool; the workers of ScaleOutCluster, the legacy PUT and
// CreateCluster belong to it.
type NodePool struct {
	ID        string // "np" and 32 hex digits
	ClusterID string
	AccountID string
	IsDefault bool
	State     NodePoolState
	Spec      NodePoolSpec
	Created   time.Time
	Updated   time.Time
}

// DefaultNodePoolName is the name of every cluster's default pool, as ACK
// names it (clients find the default pool by it).
const DefaultNodePoolName = "default-nodepool"

// Node pool types.
const (
	NodePoolTypeESS  = "ess"  // ECS instances in a scaling group
	NodePoolTypeEdge = "edge" // ENS instances of an edge cluster
)

// NodePoolSpec is a pool's configuration: the fields ackscale acts on,
// typed, and the whole configuration as accepted (Config), which the
// Describe operations answer with.
type NodePoolSpec struct {
	Name string `json:"name"`
	Type string `json:"type"` // NodePoolTypeESS or NodePoolTypeEdge
	// DesiredSize is how many workers the pool should have. While a task
	// runs it is the task's target; when the task ends it is the pool's
	// worker count.
	DesiredSize int `json:"desired_size"`
	// Workers is what each new worker of the pool is made of.
	Workers ScaleOut `json:"workers"`
	// Unschedulable cordons the pool's new Nodes.
	Unschedulable bool        `json:"unschedulable,omitempty"`
	AutoScaling   AutoScaling `json:"auto_scaling"`
	// Config is the pool's configuration as the requests set it (JSON: the
	// objects nodepool_info, scaling_group, kubernetes_config,
	// auto_scaling, management… as sent, merged by each modification; no
	// password).
	Config json.RawMessage `json:"config,omitempty"`
}

// AutoScaling is a pool's auto-scaling setting. ackscale keeps it and
// checks desired sizes against it; it runs no autoscaler of its own.
type AutoScaling struct {
	Enable       bool   `json:"enable"`
	MinInstances int    `json:"min_instances"`
	MaxInstances int    `json:"max_instances"`
	Type         string `json:"type,omitempty"`
}

// NodePoolState is the state of a node pool (its status.state).
type NodePoolState string

// Node pool states.
const (
	NodePoolActive   NodePoolState = "active"   // idle: operations may start
	NodePoolScaling  NodePoolState = "scaling"  // workers are being added
	NodePoolRemoving NodePoolState = "removing" // workers are being removed
	NodePoolUpdating NodePoolState = "updating" // its Nodes take new labels or taints
	NodePoolDeleting NodePoolState = "deleting" // its delete task runs
	NodePoolDeleted  NodePoolState = "deleted"  // gone; kept for its tasks
)

var nodePoolMoves = map[NodePoolState][]NodePoolState{
	NodePoolActive:   {NodePoolScaling, NodePoolRemoving, NodePoolUpdating, NodePoolDeleting},
	NodePoolScaling:  {NodePoolActive},
	NodePoolRemoving: {NodePoolActive},
	NodePoolUpdating: {NodePoolActive},
	NodePoolDeleting: {NodePoolDeleted, NodePoolActive},
	NodePoolDeleted:  nil,
}

// NodePoolStates lists every node pool state, in table order.
func NodePoolStates() []NodePoolState { return keysInOrder(nodePoolMoves, NodePoolActive) }

// CanMoveTo reports whether a pool in state s may move to state to.
func (s NodePoolState) CanMoveTo(to NodePoolState) bool { return slices.Contains(nodePoolMoves[s], to) }

// Before returns the states a pool may move to s from.
func (s NodePoolState) Before() []NodePoolState { return predecessors(nodePoolMoves, s) }

// Busy reports whether an operation runs on a pool in state s.
func (s NodePoolState) Busy() bool { return s != NodePoolActive && s != NodePoolDeleted }

// PoolMove moves one node pool from one state to another when a task is
// accepted, and may set its spec in the same transaction.
type PoolMove struct {
	ID   string
	From NodePoolState // the pool must be in this state
	To   NodePoolState // and moves to this one (From.CanMoveTo(To))
	// Spec, when set, replaces the pool's spec.
	Spec *NodePoolSpec
}
