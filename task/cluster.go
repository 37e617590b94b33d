package task

import (
	"context"
	"fmt"

	"github.com/ackscale/ackscale"
)

// createCluster starts the cluster's API server (with Kubernetes on) and
// adds its first workers, if the create body asked for some.
func (r *run) createCluster(ctx context.Context) error {
	if r.cfg.Kube != nil && r.c.APIServer == "" {
		if err := r.stage(ctx, ackscale.StageCreateAPIServer); err != nil {
			return err
		}
		if err := r.ensureAPIServer(ctx); err != nil {
			return err
		}
	}
	if r.t.Params.ScaleOut != nil && r.t.Params.ScaleOut.Count > 0 {
		return r.scaleOut(ctx)
	}
	return r.succeed(ctx)
}

// removeNodes removes the workers marked for removal: drain and delete the
// Node, release the instance when asked, forget the worker.
func (r *run) removeNodes(ctx context.Context) error {
	rm := r.t.Params.Removal
	p := ackscale.WorkerListParams{ClusterID: r.c.ID, ClientTokens: rm.Workers}
	if len(rm.Workers) == 0 { // a task accepted before removals named workers by client token
		p = ackscale.WorkerListParams{ClusterID: r.c.ID, NodeNames: rm.Nodes}
	}
	ws, _, err := r.cfg.Store.WorkerList(ctx, p)
	if err != nil {
		return fmt.Errorf("list workers: %w", err)
	}
	if err := r.stage(ctx, ackscale.StageRemoveNodes); err != nil {
		return err
	}
	for _, w := range ws {
		if err := r.removeWorker(ctx, w, rm.DrainNode, rm.ReleaseNode); err != nil {
			return err
		}
	}
	r.event(ackscale.EventNormal, ackscale.ReasonNodesRemoved, fmt.Sprintf("removed %d workers", len(ws)))
	if r.t.Type == ackscale.TaskNodePoolDelete {
		if err := r.stage(ctx, ackscale.StageDeleteNodePool); err != nil {
			return err
		}
	}
	return r.succeed(ctx)
}

func (r *run) removeWorker(ctx context.Context, w ackscale.Worker, drain, release bool) error {
	if r.cfg.Kube != nil && w.InstanceID != "" { // a worker never created never had a Node
		if err := r.cfg.Kube.RemoveNode(ctx, r.c.ID, w.NodeName, drain); err != nil {
			return fmt.Errorf("remove node %s: %w", w.NodeName, err)
		}
	}
	if release {
		if err := r.cfg.Cloud.ReleaseByToken(ctx, w.ClientToken); err != nil {
			return err
		}
	} else if err := r.cfg.Cloud.DetachByToken(ctx, w.ClientToken); err != nil {
		return err
	}
	return r.cfg.Store.WorkerDelete(ctx, w.ClientToken)
}

// deleteCluster releases every worker's instance, stops the API server and
// marks the cluster deleted.
func (r *run) deleteCluster(ctx context.Context) error {
	if err := r.stage(ctx, ackscale.StageReleaseInstances); err != nil {
		return err
	}
	ws, _, err := r.cfg.Store.WorkerList(ctx, ackscale.WorkerListParams{ClusterID: r.c.ID})
	if err != nil {
		return fmt.Errorf("list workers: %w", err)
	}
	for _, w := range ws {
		if err := r.cfg.Cloud.ReleaseByToken(ctx, w.ClientToken); err != nil {
			return err
		}
		if err := r.cfg.Store.WorkerDelete(ctx, w.ClientToken); err != nil {
			return err
		}
	}
	if r.cfg.Kube != nil {
		if err := r.stage(ctx, ackscale.StageDeleteAPIServer); err != nil {
			return err
		}
		if err := r.cfg.Kube.DeleteCluster(ctx, r.c.ID); err != nil {
			return fmt.Errorf("delete api server: %w", err)
		}
	}
	return r.succeed(ctx)
}

// ensureAPIServer starts the cluster's API server (with Kubernetes on) and
// records its endpoint; a cluster made with --kube=off gets one now.
func (r *run) ensureAPIServer(ctx context.Context) error {
	if r.cfg.Kube == nil {
		return nil
	}
	endpoint, err := r.cfg.Kube.EnsureCluster(ctx, r.c)
	if err != nil {
		return fmt.Errorf("start api server: %w", err)
	}
	if endpoint != r.c.APIServer {
		if err := r.cfg.Store.ClusterSetAPIServer(ctx, ackscale.ClusterSetAPIServerParams{ID: r.c.ID, Endpoint: endpoint}); err != nil {
			return err
		}
		r.c.APIServer = endpoint
	}
	return nil
}
