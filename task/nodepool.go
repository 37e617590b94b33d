package task

import (
	"context"
	"fmt"

	"github.com/ackscale/ackscale"
)

// The node pool tasks: the same steps as a cluster's scale-out and node
// removal, on one pool's workers, and the update of its Nodes' labels,
// taints and unschedulable mark.

// poolScaleOut adds a pool's workers (create, scale-out), after updating
// its existing Nodes when the modification asked for it. A pool created
// with no worker has nothing to do.
func (r *run) poolScaleOut(ctx context.Context) error {
	if err := r.updateNodesFirst(ctx); err != nil {
		return err
	}
	if so := r.t.Params.ScaleOut; so == nil || so.Count == 0 {
		return r.succeed(ctx)
	}
	return r.scaleOut(ctx)
}

// poolScaleIn removes a pool's newest workers, after updating its Nodes
// when asked.
func (r *run) poolScaleIn(ctx context.Context) error {
	if err := r.updateNodesFirst(ctx); err != nil {
		return err
	}
	return r.removeNodes(ctx)
}

// poolUpdate gives a pool's Nodes its labels, taints and unschedulable
// mark (when asked); a modification that changes nothing else ends here.
func (r *run) poolUpdate(ctx context.Context) error {
	if err := r.updateNodesFirst(ctx); err != nil {
		return err
	}
	return r.succeed(ctx)
}

// poolDelete removes a pool's workers, then the pool.
func (r *run) poolDelete(ctx context.Context) error {
	return r.removeNodes(ctx)
}

func (r *run) updateNodesFirst(ctx context.Context) error {
	if !r.t.Params.UpdateNodes {
		return nil
	}
	if err := r.stage(ctx, ackscale.StageUpdateNodes); err != nil {
		return err
	}
	return r.updateNodes(ctx)
}

// updateNodes re-registers every running Node of the task's pool with the
// pool's labels, taints and unschedulable mark as they are now.
func (r *run) updateNodes(ctx context.Context) error {
	if r.cfg.Kube == nil {
		return nil
	}
	pool, err := r.cfg.Store.NodePoolGet(ctx, ackscale.NodePoolGetParams{ClusterID: r.c.ID, ID: r.t.Params.NodePoolID()})
	if err != nil {
		return fmt.Errorf("load node pool: %w", err)
	}
	ws, _, err := r.cfg.Store.WorkerList(ctx, ackscale.WorkerListParams{ClusterID: r.c.ID, NodePoolID: pool.ID,
		States: []ackscale.NodeState{ackscale.NodeRunning}})
	if err != nil {
		return fmt.Errorf("list workers: %w", err)
	}
	labels := tagLabels(pool.Spec.Workers.Tags)
	for _, w := range ws {
		w.Labels, w.Taints, w.Unschedulable = labels, pool.Spec.Workers.Taints, pool.Spec.Unschedulable
		if err := r.cfg.Kube.UpdateNode(ctx, r.c, w); err != nil {
			return fmt.Errorf("update node %s: %w", w.NodeName, err)
		}
	}
	r.event(ackscale.EventNormal, ackscale.ReasonNodesUpdated, fmt.Sprintf("updated the labels and taints of %d nodes", len(ws)))
	return nil
}

// tagLabels turns tags into Node labels.
func tagLabels(tags []ackscale.Tag) map[string]string {
	labels := map[string]string{}
	for _, t := range tags {
		labels[t.Key] = t.Value
	}
	return labels
}
