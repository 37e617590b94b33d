package ackscale

import (
	"fmt"
	"slices"
)

// ClusterState is the state of a cluster as ACK reports it (api.md, "State
// lists"). A cluster changes state only along clusterMoves; the stores
// refuse any other change.
type ClusterState string

// Cluster states.
const (
	ClusterInitial      ClusterState = "initial"       // its create task runs
	ClusterRunning      ClusterState = "running"       // idle: operations may start
	ClusterScaling      ClusterState = "scaling"       // a scale-out task runs
	ClusterRemoving     ClusterState = "removing"      // a scale-in or node removal task runs
	ClusterDeleting     ClusterState = "deleting"      // its delete task runs
	ClusterDeleted      ClusterState = "deleted"       // gone; kept for its tasks
	ClusterFailed       ClusterState = "failed"        // its create task failed
	ClusterDeleteFailed ClusterState = "delete_failed" // its delete task failed
)

// clusterMoves is the transition table of clusters: from each state, the
// states it may move to.
var clusterMoves = map[ClusterState][]ClusterState{
	ClusterInitial:      {ClusterRunning, ClusterFailed},
	ClusterRunning:      {ClusterScaling, ClusterRemoving, ClusterDeleting},
	ClusterScaling:      {ClusterRunning},
	ClusterRemoving:     {ClusterRunning},
	ClusterFailed:       {ClusterDeleting},
	ClusterDeleteFailed: {ClusterDeleting},
	ClusterDeleting:     {ClusterDeleted, ClusterDeleteFailed},
	ClusterDeleted:      nil,
}

// ClusterStates lists every cluster state, in table order.
func ClusterStates() []ClusterState { return keysInOrder(clusterMoves, ClusterInitial) }

// CanMoveTo reports whether a cluster in state s may move to state to.
func (s ClusterState) CanMoveTo(to ClusterState) bool { return slices.Contains(clusterMoves[s], to) }

// Before returns the states a cluster may move to s from.
func (s ClusterState) Before() []ClusterState { return predecessors(clusterMoves, s) }

// TaskState is the state of a task.
type TaskState string

// Task states.
const (
	TaskRunning TaskState = "running"
	TaskSuccess TaskState = "success"
	TaskFailed  TaskState = "failed"
)

var taskMoves = map[TaskState][]TaskState{
	TaskRunning: {TaskRunning, TaskSuccess, TaskFailed},
	TaskSuccess: nil,
	TaskFailed:  nil,
}

// CanMoveTo reports whether a task in state s may be saved in state to
// (running to running is a save of its progress).
func (s TaskState) CanMoveTo(to TaskState) bool { return slices.Contains(taskMoves[s], to) }

// Before returns the states a task may be saved in state s from.
func (s TaskState) Before() []TaskState { return predecessors(taskMoves, s) }

// Ended reports whether the task has finished, well or not.
func (s TaskState) Ended() bool { return s == TaskSuccess || s == TaskFailed }

// NodeState is the state of a worker as DescribeClusterNodes lists it.
type NodeState string

// Node (worker) states.
const (
	NodeInitial  NodeState = "initial"  // planned: its instance is not created yet
	NodeStarting NodeState = "starting" // its instance exists and boots, or its Node is not Ready yet
	NodeRunning  NodeState = "running"  // registered and Ready
	NodeRemoving NodeState = "removing" // a removal task takes it away
	NodeFailed   NodeState = "failed"   // its instance could not be created, or its task failed
)

// nodeMoves is the transition table of workers. Saving a worker in its
// own state is always allowed; a worker leaves by being deleted.
var nodeMoves = map[NodeState][]NodeState{
	NodeInitial:  {NodeStarting, NodeFailed},
	NodeStarting: {NodeRunning, NodeFailed},
	NodeRunning:  {NodeRemoving},
	NodeFailed:   {NodeRemoving},
	NodeRemoving: nil,
}

// NodeStates lists every node state, in table order.
func NodeStates() []NodeState { return keysInOrder(nodeMoves, NodeInitial) }

// CanMoveTo reports whether a worker in state s may be saved in state to.
func (s NodeState) CanMoveTo(to NodeState) bool { return s == to || slices.Contains(nodeMoves[s], to) }

// Before returns the states a worker may be saved in state s from,
// including s itself.
func (s NodeState) Before() []NodeState { return withSelf(nodeMoves, s) }

// NodeStatus is the Ready condition of a worker's Node.
type NodeStatus string

// Node statuses.
const (
	NodeReady    NodeStatus = "Ready"
	NodeNotReady NodeStatus = "NotReady"
	NodeUnknown  NodeStatus = "Unknown"
)

// TaskType names what a task does.
type TaskType string

// Task types.
const (
	TaskCreateCluster TaskType = "cluster_create"
	TaskScaleOut      TaskType = "cluster_scaleout"
	TaskScaleIn       TaskType = "cluster_scalein"
	TaskRemoveNodes   TaskType = "remove_nodes"
	TaskDeleteCluster TaskType = "cluster_delete"
)

// TaskModifyCluster is the type of ModifyCluster's task, which ends as it
// is accepted (clients poll a task for every change).
const TaskModifyCluster TaskType = "cluster_modify"

// EndsAtOnce reports whether tasks of type t end as they are accepted,
// with no job and no state held.
func (t TaskType) EndsAtOnce() bool { return t == TaskModifyCluster }

// Node pool task types.
const (
	TaskNodePoolCreate      TaskType = "nodepool_create"
	TaskNodePoolScaleOut    TaskType = "nodepool_scaleout"
	TaskNodePoolScaleIn     TaskType = "nodepool_scalein"
	TaskNodePoolRemoveNodes TaskType = "nodepool_remove_nodes"
	TaskNodePoolUpdate      TaskType = "nodepool_update"
	TaskNodePoolDelete      TaskType = "nodepool_delete"
)

// TaskTypes lists every task type.
func TaskTypes() []TaskType {
	return []TaskType{TaskCreateCluster, TaskScaleOut, TaskScaleIn, TaskRemoveNodes, TaskDeleteCluster, TaskModifyCluster,
		TaskNodePoolCreate, TaskNodePoolScaleOut, TaskNodePoolScaleIn, TaskNodePoolRemoveNodes, TaskNodePoolUpdate, TaskNodePoolDelete}
}

// IsNodePool reports whether a task of type t is a node pool's own
// operation: it moves its pool, not its cluster.
func (t TaskType) IsNodePool() bool {
	switch t {
	case TaskNodePoolCreate, TaskNodePoolScaleOut, TaskNodePoolScaleIn, TaskNodePoolRemoveNodes, TaskNodePoolUpdate, TaskNodePoolDelete:
		return true
	}
	return false
}

// PoolStateWhile is the state a task of this type holds the pools it
// works on in while it runs ("" for a task that moves none).
func (t TaskType) PoolStateWhile() NodePoolState {
	switch t {
	case TaskCreateCluster, TaskScaleOut, TaskNodePoolCreate, TaskNodePoolScaleOut:
		return NodePoolScaling
	case TaskScaleIn, TaskRemoveNodes, TaskNodePoolScaleIn, TaskNodePoolRemoveNodes:
		return NodePoolRemoving
	case TaskNodePoolUpdate:
		return NodePoolUpdating
	case TaskNodePoolDelete:
		return NodePoolDeleting
	}
	return ""
}

// PoolStateAfter is the state the pools of a task of this type move to
// when it ends, well (ok) or not ("" for a task that moves none).
func (t TaskType) PoolStateAfter(ok bool) NodePoolState {
	switch {
	case t.PoolStateWhile() == "":
		return ""
	case t == TaskNodePoolDelete && ok:
		return NodePoolDeleted
	}
	return NodePoolActive
}

// ClusterStateWhile is the state a task of this type holds its cluster
// in while it runs ("" for a node pool's task: the cluster stays running).
func (t TaskType) ClusterStateWhile() ClusterState {
	switch t {
	case TaskCreateCluster:
		return ClusterInitial
	case TaskScaleOut:
		return ClusterScaling
	case TaskScaleIn, TaskRemoveNodes:
		return ClusterRemoving
	case TaskDeleteCluster:
		return ClusterDeleting
	}
	return ""
}

// ClusterStateAfter is the state the cluster moves to when a task of
// this type ends, well (ok) or not ("" for a node pool's task).
func (t TaskType) ClusterStateAfter(ok bool) ClusterState {
	switch {
	case t.IsNodePool() || t.EndsAtOnce():
		return ""
	case t == TaskCreateCluster && !ok:
		return ClusterFailed
	case t == TaskDeleteCluster && ok:
		return ClusterDeleted
	case t == TaskDeleteCluster:
		return ClusterDeleteFailed
	}
	return ClusterRunning
}

// Stage is one step of a task, as DescribeTaskInfo lists them.
type Stage string

// Stages, in the order a task may run them.
const (
	StageValidate         Stage = "validate"          // the request was checked and accepted
	StageCreateAPIServer  Stage = "create_apiserver"  // the cluster's kube-apiserver starts
	StagePlan             Stage = "plan"              // one worker row per instance, each with a client token
	StageCreateInstances  Stage = "create_instances"  // the cloud creates them
	StageWaitRunning      Stage = "wait_running"      // until every instance runs
	StageRegister         Stage = "register"          // Nodes made Ready
	StageRollback         Stage = "rollback"          // a failed scale-out releases what it made
	StageRemoveNodes      Stage = "remove_nodes"      // drain, delete Nodes, release instances
	StageReleaseInstances Stage = "release_instances" // a deleted cluster's workers
	StageDeleteAPIServer  Stage = "delete_apiserver"  // its kube-apiserver stops
	StageUpdateNodes      Stage = "update_nodes"      // a pool's Nodes take its labels and taints
	StageDeleteNodePool   Stage = "delete_nodepool"   // a pool is gone
	StageDone             Stage = "done"              // the task succeeded
)

// stagesOf lists the stages each task type may pass through, in order.
var stagesOf = map[TaskType][]Stage{
	TaskCreateCluster: {StageValidate, StageCreateAPIServer, StagePlan, StageCreateInstances, StageWaitRunning, StageRegister, StageRollback, StageDone},
	TaskScaleOut:      {StageValidate, StagePlan, StageCreateInstances, StageWaitRunning, StageRegister, StageRollback, StageDone},
	TaskScaleIn:       {StageValidate, StageRemoveNodes, StageDone},
	TaskRemoveNodes:   {StageValidate, StageRemoveNodes, StageDone},
	TaskDeleteCluster: {StageValidate, StageReleaseInstances, StageDeleteAPIServer, StageDone},
	TaskModifyCluster: {StageValidate, StageDone},
	TaskNodePoolCreate: {StageValidate, StagePlan, StageCreateInstances, StageWaitRunning, StageRegister,
		StageRollback, StageDone},
	TaskNodePoolScaleOut: {StageValidate, StageUpdateNodes, StagePlan, StageCreateInstances, StageWaitRunning,
		StageRegister, StageRollback, StageDone},
	TaskNodePoolScaleIn:     {StageValidate, StageUpdateNodes, StageRemoveNodes, StageDone},
	TaskNodePoolRemoveNodes: {StageValidate, StageRemoveNodes, StageDone},
	TaskNodePoolUpdate:      {StageValidate, StageUpdateNodes, StageDone},
	TaskNodePoolDelete:      {StageValidate, StageRemoveNodes, StageDeleteNodePool, StageDone},
}

// Stages returns the stages a task of type t may pass through, in order.
func (t TaskType) Stages() []Stage { return slices.Clone(stagesOf[t]) }

// StageState is the state of one stage of a task.
type StageState string

// Stage states.
const (
	StageRunning StageState = "running"
	StageSuccess StageState = "success"
	StageFailed  StageState = "failed"
)

// EventLevel is the level of a task event, as Kubernetes events have.
type EventLevel string

// Event levels.
const (
	EventNormal  EventLevel = "Normal"
	EventWarning EventLevel = "Warning"
)

// EventReason says why a task event happened. A failure's reason is its
// error code.
type EventReason string

// Event reasons.
const (
	ReasonAccepted      EventReason = "Accepted"
	ReasonPlanned       EventReason = "Planned"
	ReasonZoneFallback  EventReason = "ZoneFallback"
	ReasonNodeNotReady  EventReason = "NodeNotReady"
	ReasonNodeReady     EventReason = "NodeReady"
	ReasonRolledBack    EventReason = "RolledBack"
	ReasonNodesRemoved  EventReason = "NodesRemoved"
	ReasonNodesUpdated  EventReason = "NodesUpdated"
	ReasonTaskSucceeded EventReason = "TaskSucceeded"
)

// InstanceStatus is the status of an instance of the emulated cloud.
type InstanceStatus string

// Instance statuses.
const (
	InstancePending  InstanceStatus = "Pending"
	InstanceRunning  InstanceStatus = "Running"
	InstanceReleased InstanceStatus = "Released"
)

var instanceMoves = map[InstanceStatus][]InstanceStatus{
	InstancePending:  {InstanceRunning, InstanceReleased},
	InstanceRunning:  {InstanceReleased},
	InstanceReleased: nil,
}

// CanMoveTo reports whether an instance in status s may move to status to
// (or stay in it).
func (s InstanceStatus) CanMoveTo(to InstanceStatus) bool {
	return s == to || slices.Contains(instanceMoves[s], to)
}

// Before returns the statuses an instance may move to s from, s included.
func (s InstanceStatus) Before() []InstanceStatus { return withSelf(instanceMoves, s) }

// InstanceKind is the product an instance type belongs to.
type InstanceKind string

// Instance kinds.
const (
	KindECS InstanceKind = "ecs" // Elastic Compute Service, virtual machines
	KindEBM InstanceKind = "ebm" // ECS Bare Metal
	KindENS InstanceKind = "ens" // Edge Node Service
)

// TransitionError is a state change that a transition table forbids. It
// is a programming error: the operations layer only asks for legal ones.
type TransitionError struct {
	What string // "cluster", "task", "worker", "instance"
	ID   string
	From string
	To   string
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("illegal %s transition %s → %s (%s)", e.What, e.From, e.To, e.ID)
}

// predecessors returns the states that may move to s (s itself when the
// table lists it), sorted.
func predecessors[S ~string](moves map[S][]S, s S) []S {
	var out []S
	for from, tos := range moves {
		if slices.Contains(tos, s) {
			out = append(out, from)
		}
	}
	slices.Sort(out)
	return out
}

// withSelf returns s and its predecessors, s first, without repeats.
func withSelf[S ~string](moves map[S][]S, s S) []S {
	out := []S{s}
	for _, p := range predecessors(moves, s) {
		if p != s {
			out = append(out, p)
		}
	}
	return out
}

// keysInOrder returns a table's states: first, then the rest sorted.
func keysInOrder[S ~string](moves map[S][]S, first S) []S {
	out := []S{first}
	var rest []S
	for s := range moves {
		if s != first {
			rest = append(rest, s)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}
