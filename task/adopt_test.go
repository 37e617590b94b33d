package task

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// TestAdoptClusters: a cluster scaled out while Kubernetes was off gets
// its API server and a Node for each running worker; its endpoint is
// recorded only once every Node is, so a failed adoption is tried again;
// clusters that have an API server, or are busy, are left alone.
func TestAdoptClusters(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, be backend) {
		b := setup(t, be, options{}) // Kubernetes off
		c := b.cluster(t)
		b.scaleOut(t, c, 2)
		c = b.clusterNow(t, c.ID)
		require.Empty(t, c.APIServer)
		busy := b.cluster(t)
		busy.State = ackscale.ClusterScaling
		served := b.cluster(t)
		served.APIServer = "https://127.0.0.1:1"

		require.NoError(t, AdoptClusters(b.ctx, b.worker.cfg, []ackscale.Cluster{c}), "Kubernetes off: nothing to do")

		kube := endpointKube()
		kube.RegisterNodeFunc = func(_ context.Context, _ ackscale.Cluster, _ ackscale.Worker) error {
			return errors.New("api server down")
		}
		cfg := b.worker.cfg
		cfg.Kube = kube
		err := AdoptClusters(b.ctx, cfg, []ackscale.Cluster{c, busy, served})
		require.ErrorContains(t, err, "api server down")
		require.Empty(t, b.clusterNow(t, c.ID).APIServer, "not recorded before every Node is")

		kube = endpointKube()
		cfg.Kube = kube
		require.NoError(t, AdoptClusters(b.ctx, cfg, []ackscale.Cluster{c, busy, served}))
		require.Equal(t, "https://127.0.0.1:6443/"+c.ID, b.clusterNow(t, c.ID).APIServer)
		var want []string
		for _, w := range b.workers(t, ackscale.WorkerListParams{ClusterID: c.ID}) {
			want = append(want, "RegisterNode "+w.NodeName+" Ready")
		}
		require.Len(t, want, 2)
		require.Equal(t, []string{"EnsureCluster " + c.ID}, callsWith(kube, "EnsureCluster"), "only the cluster without one")
		require.ElementsMatch(t, want, callsWith(kube, "RegisterNode"))
	})
}
