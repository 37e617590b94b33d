// Package mock has function-field mocks of the interfaces ackscale's
// packages consume, for fast unit tests: set the Func fields a test needs;
// an unset one does nothing and returns zero values. Every call is
// recorded.
package mock

import (
	"context"
	"fmt"
	"sync"

	"github.com/ackscale/ackscale"
)

// Kube mocks task.Kube: the Kubernetes side of a task (API servers and Nodes).
type Kube struct {
	EnsureClusterFunc func(ctx context.Context, c ackscale.Cluster) (string, error)
	RegisterNodeFunc  func(ctx context.Context, c ackscale.Cluster, w ackscale.Worker) error
	UpdateNodeFunc    func(ctx context.Context, c ackscale.Cluster, w ackscale.Worker) error
	RemoveNodeFunc    func(ctx context.Context, clusterID, nodeName string, drain bool) error
	SetNodeReadyFunc  func(ctx context.Context, clusterID, nodeName string, ready bool) error
	DeleteClusterFunc func(ctx context.Context, clusterID string) error

	mu    sync.Mutex
	calls []string
}

// Calls returns the calls made so far, each as "Method arg…".
func (k *Kube) Calls() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.calls...)
}

func (k *Kube) record(format string, args ...any) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls = append(k.calls, fmt.Sprintf(format, args...))
}

// EnsureCluster records the call and runs EnsureClusterFunc.
func (k *Kube) EnsureCluster(ctx context.Context, c ackscale.Cluster) (string, error) {
	k.record("EnsureCluster %s", c.ID)
	if k.EnsureClusterFunc == nil {
		return "", nil
	}
	return k.EnsureClusterFunc(ctx, c)
}

// RegisterNode records the call (with the worker's node status) and runs
// RegisterNodeFunc.
func (k *Kube) RegisterNode(ctx context.Context, c ackscale.Cluster, w ackscale.Worker) error {
	k.record("RegisterNode %s %s", w.NodeName, w.NodeStatus)
	if k.RegisterNodeFunc == nil {
		return nil
	}
	return k.RegisterNodeFunc(ctx, c, w)
}

// UpdateNode records the call (with the labels' count and the worker's
// unschedulable mark) and runs UpdateNodeFunc.
func (k *Kube) UpdateNode(ctx context.Context, c ackscale.Cluster, w ackscale.Worker) error {
	k.record("UpdateNode %s labels=%d taints=%d unschedulable=%t", w.NodeName, len(w.Labels), len(w.Taints), w.Unschedulable)
	if k.UpdateNodeFunc == nil {
		return nil
	}
	return k.UpdateNodeFunc(ctx, c, w)
}

// RemoveNode records the call and runs RemoveNodeFunc.
func (k *Kube) RemoveNode(ctx context.Context, clusterID, nodeName string, drain bool) error {
	k.record("RemoveNode %s drain=%t", nodeName, drain)
	if k.RemoveNodeFunc == nil {
		return nil
	}
	return k.RemoveNodeFunc(ctx, clusterID, nodeName, drain)
}

// SetNodeReady records the call and runs SetNodeReadyFunc.
func (k *Kube) SetNodeReady(ctx context.Context, clusterID, nodeName string, ready bool) error {
	k.record("SetNodeReady %s %t", nodeName, ready)
	if k.SetNodeReadyFunc == nil {
		return nil
	}
	return k.SetNodeReadyFunc(ctx, clusterID, nodeName, ready)
}

// DeleteCluster records the call and runs DeleteClusterFunc.
func (k *Kube) DeleteCluster(ctx context.Context, clusterID string) error {
	k.record("DeleteCluster %s", clusterID)
	if k.DeleteClusterFunc == nil {
		return nil
	}
	return k.DeleteClusterFunc(ctx, clusterID)
}
