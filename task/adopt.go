package task

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/ackscale/ackscale"
)

// AdoptClusters gives each running cluster of cs that has no API server —
// one made while ackscale ran with --kube=off — its API server now, with a
// Ready Node for each of its running workers (NotReady for a worker whose
// Node status says so), as a real cluster would have had all along. The
// endpoint is recorded last, so a start-up interrupted half-way adopts the
// cluster again at the next one; registering a Node that exists updates
// it. Clusters that are busy are left to their task, which starts the API
// server itself. It returns the errors of the clusters it could not adopt.
func AdoptClusters(ctx context.Context, cfg Config, cs []ackscale.Cluster) error {
	if cfg.Kube == nil {
		return nil
	}
	var errs []error
	for _, c := range cs {
		if c.APIServer != "" || c.State != ackscale.ClusterRunning {
			continue
		}
		if err := adopt(ctx, cfg, c); err != nil {
			errs = append(errs, fmt.Errorf("adopt cluster %s: %w", c.ID, err))
		}
	}
	return errors.Join(errs...)
}

func adopt(ctx context.Context, cfg Config, c ackscale.Cluster) error {
	endpoint, err := cfg.Kube.EnsureCluster(ctx, c)
	if err != nil {
		return fmt.Errorf("start api server: %w", err)
	}
	c.APIServer = endpoint
	ws, _, err := cfg.Store.WorkerList(ctx, ackscale.WorkerListParams{ClusterID: c.ID, States: []ackscale.NodeState{ackscale.NodeRunning}})
	if err != nil {
		return fmt.Errorf("list workers: %w", err)
	}
	var g errgroup.Group
	g.SetLimit(registerInFlight)
	for _, w := range ws {
		g.Go(func() error {
			if err := cfg.Kube.RegisterNode(ctx, c, w); err != nil {
				return fmt.Errorf("register node %s: %w", w.NodeName, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return cfg.Store.ClusterSetAPIServer(ctx, ackscale.ClusterSetAPIServerParams{ID: c.ID, Endpoint: endpoint})
}
