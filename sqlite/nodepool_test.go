package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// openMigratedTo writes a database in dir migrated up to migration last
// (included), as a binary of that time left it, and returns it open
// without the store (and without foreign keys, as old rows may lack
// their account).
func openMigratedTo(t *testing.T, dir, last string) *sql.DB {
	t.Helper()
	old, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "ackscale.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = old.Close() })
	_, err = old.Exec(`CREATE TABLE schema_migrations (name TEXT PRIMARY KEY)`)
	require.NoError(t, err)
	names, err := fs.Glob(migrations, "migration/*.sql")
	require.NoError(t, err)
	slices.Sort(names)
	require.Contains(t, names, last)
	for _, name := range names[:slices.Index(names, last)+1] {
		body, err := migrations.ReadFile(name)
		require.NoError(t, err)
		_, err = old.Exec(string(body))
		require.NoError(t, err, name)
		_, err = old.Exec(`INSERT INTO schema_migrations (name) VALUES (?)`, name)
		require.NoError(t, err)
	}
	return old
}

// migrateRest closes old (openMigratedTo's) and opens dir as Open does,
// which applies the migrations after old's, and returns it and its stores.
func migrateRest(t *testing.T, dir string, old *sql.DB) (*DB, Stores) {
	t.Helper()
	require.NoError(t, old.Close())
	db, err := Open(context.Background(), Config{Dir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	return db, db.Stores(&fakeJobs{})
}

// TestMigrateNodePools opens a database written before node pools: each
// cluster that is not deleted gets an active default pool that desires
// its worker count and has no Workers spec, and its workers belong to it;
// a deleted cluster's workers belong to no pool.
func TestMigrateNodePools(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	old := openMigratedTo(t, dir, "migration/005_worker_specs.sql")
	for _, q := range []string{
		`INSERT INTO clusters (id, account_id, name, region_id, cluster_type, profile, state, spec, created_at, updated_at) VALUES
			('c-big', 'a1', 'big', 'cn-hangzhou', 'ManagedKubernetes', 'standard', 'running', '{"name":"big"}', 1000, 2000),
			('c-empty', 'a1', 'empty', 'cn-hangzhou', 'ManagedKubernetes', 'standard', 'failed', '{"name":"empty"}', 3000, 3000),
			('c-gone', 'a2', 'gone', 'cn-hangzhou', 'ManagedKubernetes', 'standard', 'deleted', '{"name":"gone"}', 4000, 5000)`,
		`INSERT INTO workers (client_token, cluster_id, account_id, task_id, region_id, instance_type, state, node_status, seq, created_at, updated_at) VALUES
			('T-1-0', 'c-big', 'a1', 'T-1', 'cn-hangzhou', 't', 'running', 'Ready', 0, 1, 1),
			('T-1-1', 'c-big', 'a1', 'T-1', 'cn-hangzhou', 't', 'failed', 'Unknown', 1, 1, 1),
			('T-2-0', 'c-big', 'a1', 'T-2', 'cn-hangzhou', 't', 'removing', 'Ready', 0, 2, 2),
			('T-3-0', 'c-gone', 'a2', 'T-3', 'cn-hangzhou', 't', 'running', 'Ready', 0, 3, 3)`,
		`INSERT INTO worker_specs (task_id, labels, taints, runtime) VALUES ('T-1', '{"n":"1"}', '[]', '{"name":"containerd"}')`,
	} {
		_, err := old.Exec(q)
		require.NoError(t, err)
	}
	db, s := migrateRest(t, dir, old)

	pools := map[string]ackscale.NodePool{}
	for id, desired := range map[string]int{"c-big": 3, "c-empty": 0} {
		list, err := s.Clusters.NodePoolList(ctx, ackscale.NodePoolListParams{ClusterID: id})
		require.NoError(t, err)
		require.Len(t, list, 1, id)
		np := list[0]
		require.Regexp(t, regexp.MustCompile(`^np[0-9a-f]{32}$`), np.ID, id)
		cluster, err := s.Clusters.ClusterGet(ctx, ackscale.ClusterGetParams{ID: id})
		require.NoError(t, err)
		require.Equal(t, ackscale.NodePool{ID: np.ID, ClusterID: id, AccountID: "a1", IsDefault: true, State: ackscale.NodePoolActive,
			Spec: ackscale.NodePoolSpec{Name: ackscale.DefaultNodePoolName, Type: ackscale.NodePoolTypeESS, DesiredSize: desired,
				Config: json.RawMessage(`{}`)},
			Created: cluster.Created, Updated: cluster.Updated}, np, id)
		pools[id] = np
	}
	require.NotEqual(t, pools["c-big"].ID, pools["c-empty"].ID)
	require.Zero(t, count(t, db, `SELECT count(*) FROM node_pools WHERE cluster_id = 'c-gone'`), "a deleted cluster has none")
	require.Equal(t, 1, count(t, db, `SELECT count(*) FROM pragma_index_list('workers') WHERE name = 'workers_nodepool'`))

	ws, _, err := s.Workers.WorkerList(ctx, ackscale.WorkerListParams{})
	require.NoError(t, err)
	byToken := map[string]ackscale.Worker{}
	for _, w := range ws {
		byToken[w.ClientToken] = w
	}
	for _, token := range []string{"T-1-0", "T-1-1", "T-2-0"} {
		require.Equal(t, pools["c-big"].ID, byToken[token].NodePoolID, token)
		require.False(t, byToken[token].Unschedulable, token)
	}
	require.Equal(t, map[string]string{"n": "1"}, byToken["T-1-0"].Labels, "the task's spec is kept")
	require.Empty(t, byToken["T-3-0"].NodePoolID, "a deleted cluster's worker")
	counts, err := s.Workers.WorkerCounts(ctx, "c-big")
	require.NoError(t, err)
	require.Equal(t, []ackscale.WorkerCount{
		{NodePoolID: pools["c-big"].ID, State: ackscale.NodeFailed, NodeStatus: ackscale.NodeUnknown, Count: 1},
		{NodePoolID: pools["c-big"].ID, State: ackscale.NodeRemoving, NodeStatus: ackscale.NodeReady, Count: 1},
		{NodePoolID: pools["c-big"].ID, State: ackscale.NodeRunning, NodeStatus: ackscale.NodeReady, Count: 1},
	}, counts)

	// The migrated pool is a pool like any other: a cluster's scale-out
	// moves it, and its end resyncs its desired size.
	big, err := s.Clusters.ClusterGet(ctx, ackscale.ClusterGetParams{ID: "c-big"})
	require.NoError(t, err)
	task := newTask(big, ackscale.TaskScaleOut)
	task.Params.NodePoolIDs = []string{pools["c-big"].ID}
	require.NoError(t, s.Clusters.TaskStart(ctx, ackscale.TaskStartParams{Task: task, From: ackscale.ClusterRunning, To: ackscale.ClusterScaling,
		Pools: []ackscale.PoolMove{{ID: pools["c-big"].ID, From: ackscale.NodePoolActive, To: ackscale.NodePoolScaling}}}))
	require.NoError(t, s.Workers.WorkerDelete(ctx, "T-2-0"))
	task.State = ackscale.TaskSuccess
	require.NoError(t, s.Clusters.TaskFinish(ctx, ackscale.TaskFinishParams{Task: task, ClusterState: ackscale.ClusterRunning,
		PoolState: ackscale.NodePoolActive}))
	np, err := s.Clusters.NodePoolGet(ctx, ackscale.NodePoolGetParams{ClusterID: "c-big", ID: pools["c-big"].ID})
	require.NoError(t, err)
	require.Equal(t, ackscale.NodePoolActive, np.State)
	require.Equal(t, 2, np.Spec.DesiredSize)
	require.JSONEq(t, `{}`, string(np.Spec.Config))
}
