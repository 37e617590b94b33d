package memstore

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// TestCheckCountsQuotaDrift writes what the contracts never write: a
// counter that disagrees with the instances, a live instance no counter
// counts (neither its account's nor its zone × type's), and reservations
// of an ended task and of no task.
func TestCheckCountsQuotaDrift(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := New()
	in := ackscale.Instance{ID: "i-1", ClientToken: "tok-1", AccountID: "a1", RegionID: "cn-hangzhou", IPPool: "vsw-1",
		IP: "192.168.0.3", Kind: ackscale.KindECS, VCPUs: 2}
	_, _, err := s.InstanceCreate(ctx, ackscale.InstanceCreateParams{Instance: in})
	require.NoError(t, err)
	c := ackscale.Cluster{ID: ackscale.NewClusterID(), AccountID: "a1", Spec: ackscale.ClusterSpec{Name: "c"}}
	task := ackscale.Task{ID: ackscale.NewTaskID(), AccountID: c.AccountID, ClusterID: c.ID, Type: ackscale.TaskCreateCluster}
	pool := ackscale.NodePool{ID: ackscale.NewNodePoolID()}
	require.NoError(t, s.ClusterCreate(ctx, ackscale.ClusterCreateParams{Cluster: c, DefaultPool: pool, Task: task}))
	task.State = ackscale.TaskSuccess
	require.NoError(t, s.TaskFinish(ctx, ackscale.TaskFinishParams{Task: task}))
	got, err := s.Check(ctx)
	require.NoError(t, err)
	require.Zero(t, got.QuotaDrift)

	s.usage[scopeKey{"a1", "cn-hangzhou"}] = counts{instances: 1, vcpus: 3}
	s.instances["i-x"] = instance{Instance: ackscale.Instance{ID: "i-x", AccountID: "a2", Status: ackscale.InstanceRunning},
		scope: "cn-beijing"}
	s.reservations[task.ID] = reservation{scopeKey: scopeKey{c.AccountID, "cn-hangzhou"}, instances: 1, vcpus: 2}
	s.reservations["T-none"] = reservation{scopeKey: scopeKey{"a1", "cn-hangzhou"}, instances: 1, vcpus: 2}
	got, err = s.Check(ctx)
	require.NoError(t, err)
	// The bumped counter; the unknown instance, in its account's scope
	// and in its zone × type's stock.
	require.Equal(t, 3, got.QuotaDrift, "quota drift")
	require.Equal(t, 2, got.StaleReservations, "stale reservations")
}
