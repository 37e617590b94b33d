package storetest

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

func (s suite) clusterCreate(t *testing.T) {
	s.run(t, "writes the cluster, its default pool, its task and the job", func(t *testing.T, b *testBundle) {
		c, task := b.newCluster(b.account.ID)
		b.insertCluster(t, c, task)
		require.Equal(t, normCluster(c), normCluster(b.getCluster(t, c.ID)))
		require.Equal(t, normTask(task), normTask(b.getTask(t, task.ID)))
		require.Equal(t, []string{task.ID}, b.Jobs(), "jobs")
		want := defaultPool(c, task)
		want.State = ackscale.TaskCreateCluster.PoolStateWhile()
		require.Equal(t, normPool(want), normPool(b.getPool(t, c.ID, want.ID)), "default pool")
	})
	s.run(t, "the default pool is the cluster's, in its create task's pool state", clusterCreateOwnsPool)
	s.run(t, "a default pool born in another state is a TransitionError and writes nothing", clusterCreatePoolBorn)
	s.run(t, "a taken pool id is a conflict and writes nothing", clusterCreatePoolTaken)
	s.run(t, "a taken name is CodeClusterNameExists and writes nothing", clusterCreateNameTaken)
	s.run(t, "Reserve: CheckFunc sees the account's usage of the scope, and the create task reserves", clusterCreateReserves)
	s.run(t, "Reserve: a CheckFunc error is returned as it is and writes nothing", clusterCreateReserveRefused)
	s.run(t, "a failed cluster keeps its name", func(t *testing.T, b *testBundle) {
		failed, _ := b.clusterIn(t, ackscale.ClusterFailed)
		c, task := b.newCluster(b.account.ID)
		c.Spec.Name = failed.Spec.Name
		err := b.Clusters.ClusterCreate(b.ctx, createParams(c, task))
		require.Equal(t, ackscale.CodeClusterNameExists, ackscale.ErrorCode(err))
	})
	s.run(t, "a deleted cluster frees its name", func(t *testing.T, b *testBundle) {
		deleted, _ := b.clusterIn(t, ackscale.ClusterDeleted)
		c, task := b.newCluster(b.account.ID)
		c.Spec.Name = deleted.Spec.Name
		b.insertCluster(t, c, task)
	})
	s.run(t, "names are per account", func(t *testing.T, b *testBundle) {
		first, _ := b.clusterIn(t, ackscale.ClusterRunning)
		c, task := b.newCluster(b.other.ID)
		c.Spec.Name = first.Spec.Name
		b.insertCluster(t, c, task)
	})
}

func requireNoCluster(t *testing.T, b *testBundle, id string) {
	t.Helper()
	_, err := b.Clusters.ClusterGet(b.ctx, ackscale.ClusterGetParams{ID: id, WithDeleted: true})
	require.Equal(t, ackscale.CodeClusterNotFound, ackscale.ErrorCode(err), "ClusterGet %s: the cluster must not exist", id)
}

func (s suite) clusterGet(t *testing.T) {
	s.run(t, "in its account, or any when AccountID is empty", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		for _, accountID := range []string{b.account.ID, ""} {
			got, err := b.Clusters.ClusterGet(b.ctx, ackscale.ClusterGetParams{ID: c.ID, AccountID: accountID})
			require.NoError(t, err, "AccountID %q", accountID)
			require.Equal(t, c, got, "AccountID %q", accountID)
		}
	})
	s.run(t, "another account's is CodeClusterNotFound", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		_, err := b.Clusters.ClusterGet(b.ctx, ackscale.ClusterGetParams{ID: c.ID, AccountID: b.other.ID})
		require.Equal(t, ackscale.CodeClusterNotFound, ackscale.ErrorCode(err))
		require.True(t, ackscale.IsNotFound(err))
	})
	s.run(t, "an unknown id is CodeClusterNotFound", func(t *testing.T, b *testBundle) {
		_, err := b.Clusters.ClusterGet(b.ctx, ackscale.ClusterGetParams{ID: ackscale.NewClusterID()})
		require.Equal(t, ackscale.CodeClusterNotFound, ackscale.ErrorCode(err))
	})
	s.run(t, "a deleted one only WithDeleted", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterDeleted)
		_, err := b.Clusters.ClusterGet(b.ctx, ackscale.ClusterGetParams{ID: c.ID, AccountID: b.account.ID})
		require.Equal(t, ackscale.CodeClusterNotFound, ackscale.ErrorCode(err))
		got, err := b.Clusters.ClusterGet(b.ctx, ackscale.ClusterGetParams{ID: c.ID, AccountID: b.account.ID, WithDeleted: true})
		require.NoError(t, err)
		require.Equal(t, ackscale.ClusterDeleted, got.State)
	})
}

func (s suite) clusterList(t *testing.T) {
	s.run(t, "newest first, then by id", func(t *testing.T, b *testBundle) {
		var want []ackscale.Cluster
		for _, d := range []time.Duration{time.Second, 3 * time.Second, 2 * time.Second, 2 * time.Second} {
			c, task := b.newCluster(b.account.ID)
			c.Created = b.now.Add(d)
			b.insertCluster(t, c, task)
			want = append(want, c)
		}
		slices.SortFunc(want, func(x, y ackscale.Cluster) int {
			return cmp.Or(y.Created.Compare(x.Created), cmp.Compare(x.ID, y.ID))
		})
		got, total, err := b.Clusters.ClusterList(b.ctx, ackscale.ClusterListParams{AccountID: b.account.ID})
		require.NoError(t, err)
		require.Equal(t, 4, total)
		require.Equal(t, clusterIDs(want), clusterIDs(got))
	})
	s.run(t, "filters", clusterListFilters)
	s.run(t, "pages after counting", clusterListPages)
}

func clusterListFilters(t *testing.T, b *testBundle) {
	add := func(edit func(c *ackscale.Cluster)) ackscale.Cluster {
		c, _ := b.newCluster(b.account.ID)
		edit(&c)
		b.insertCluster(t, c, b.newTask(c, ackscale.TaskCreateCluster))
		return c
	}
	deleted, _ := b.clusterIn(t, ackscale.ClusterDeleted)
	plain := add(func(*ackscale.Cluster) {})
	beijing := add(func(c *ackscale.Cluster) { c.Spec.RegionID = "cn-beijing" })
	dedicated := add(func(c *ackscale.Cluster) {
		c.Spec.ClusterType, c.Profile = ackscale.ClusterTypeDedicated, ackscale.ProfileLegacy
	})
	edge := add(func(c *ackscale.Cluster) { c.Spec.Profile, c.Profile = "Edge", ackscale.ProfileEdge })
	other := add(func(c *ackscale.Cluster) { c.AccountID = b.other.ID })
	err := b.Clusters.ClusterSetAPIServer(b.ctx, ackscale.ClusterSetAPIServerParams{ID: beijing.ID, Endpoint: "https://127.0.0.1:6443"})
	require.NoError(t, err)

	mine := b.account.ID
	for _, tc := range []struct {
		name string
		p    ackscale.ClusterListParams
		want []ackscale.Cluster
	}{
		{"account", ackscale.ClusterListParams{AccountID: mine}, []ackscale.Cluster{plain, beijing, dedicated, edge}},
		{"every account", ackscale.ClusterListParams{}, []ackscale.Cluster{plain, beijing, dedicated, edge, other}},
		{"other account", ackscale.ClusterListParams{AccountID: b.other.ID}, []ackscale.Cluster{other}},
		{"cluster id", ackscale.ClusterListParams{AccountID: mine, ClusterID: edge.ID}, []ackscale.Cluster{edge}},
		{"name", ackscale.ClusterListParams{AccountID: mine, Name: dedicated.Spec.Name}, []ackscale.Cluster{dedicated}},
		{"cluster type", ackscale.ClusterListParams{AccountID: mine, ClusterType: ackscale.ClusterTypeDedicated}, []ackscale.Cluster{dedicated}},
		{"profile", ackscale.ClusterListParams{AccountID: mine, Profile: "Edge"}, []ackscale.Cluster{edge}},
		{"region", ackscale.ClusterListParams{AccountID: mine, RegionID: "cn-beijing"}, []ackscale.Cluster{beijing}},
		{"with api server", ackscale.ClusterListParams{AccountID: mine, WithAPIServer: true}, []ackscale.Cluster{beijing}},
		{"deleted never", ackscale.ClusterListParams{AccountID: mine, ClusterID: deleted.ID}, nil},
		{"name of another account", ackscale.ClusterListParams{AccountID: mine, Name: other.Spec.Name}, nil},
	} {
		got, total, err := b.Clusters.ClusterList(b.ctx, tc.p)
		require.NoError(t, err, tc.name)
		require.ElementsMatch(t, clusterIDs(tc.want), clusterIDs(got), tc.name)
		require.Equal(t, len(tc.want), total, "%s: total", tc.name)
	}
}

func (s suite) clusterSetAPIServer(t *testing.T) {
	s.run(t, "records the endpoint", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterInitial)
		p := ackscale.ClusterSetAPIServerParams{ID: c.ID, Endpoint: "https://127.0.0.1:6443"}
		require.NoError(t, b.Clusters.ClusterSetAPIServer(b.ctx, p))
		got := b.getCluster(t, c.ID)
		require.Equal(t, p.Endpoint, got.APIServer)
		c.APIServer = p.Endpoint
		require.Equal(t, normCluster(c), normCluster(got), "nothing else changes")
	})
}

// clusterCreateNameTaken creates a cluster with the name of a running one.
func clusterCreateNameTaken(t *testing.T, b *testBundle) {
	first, _ := b.clusterIn(t, ackscale.ClusterRunning)
	jobs := b.Jobs()
	c, task := b.newCluster(b.account.ID)
	c.Spec.Name = first.Spec.Name
	err := b.Clusters.ClusterCreate(b.ctx, createParams(c, task))
	require.Equal(t, ackscale.CodeClusterNameExists, ackscale.ErrorCode(err))
	require.True(t, ackscale.IsConflict(err))
	requireNoCluster(t, b, c.ID)
	b.requireNoPool(t, c.ID, task.Params.NodePoolID())
	b.requireNoTask(t, task.ID)
	require.Equal(t, jobs, b.Jobs(), "jobs")
}

// clusterListPages lists five clusters by pages.
func clusterListPages(t *testing.T, b *testBundle) {
	var want []string // newest first
	for i := range 5 {
		c, task := b.newCluster(b.account.ID)
		c.Created = b.now.Add(time.Duration(-i) * time.Second)
		b.insertCluster(t, c, task)
		want = append(want, c.ID)
	}
	for _, tc := range []struct{ offset, limit, from, to int }{
		{0, 0, 0, 5}, {1, 2, 1, 3}, {4, 2, 4, 5}, {5, 2, 5, 5}, {10, 0, 5, 5},
	} {
		p := ackscale.ClusterListParams{AccountID: b.account.ID, Offset: tc.offset, Limit: tc.limit}
		got, total, err := b.Clusters.ClusterList(b.ctx, p)
		require.NoError(t, err, "offset %d limit %d", tc.offset, tc.limit)
		require.Equal(t, 5, total, "offset %d limit %d: total", tc.offset, tc.limit)
		require.Equal(t, want[tc.from:tc.to], clusterIDs(got), "offset %d limit %d", tc.offset, tc.limit)
	}
}
