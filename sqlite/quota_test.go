package sqlite

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// TestWorkerSpecStoredOnce plans 200 workers of one task with 20 labels
// and 20 taints of 300 bytes each, and walks each through an update: the
// task's spec is written once, not once per worker (issue 10: one
// scale-out of 200 grew the database by 423 MB).
func TestWorkerSpecStoredOnce(t *testing.T) {
	t.Parallel()
	const workers, bound = 200, 256 << 10
	b := setup(t)
	c := b.runningCluster(t, "c")
	task := b.startTask(t, c, ackscale.TaskScaleOut, ackscale.ClusterScaling)
	labels := map[string]string{}
	var taints []ackscale.Taint
	for i := range 20 {
		key := fmt.Sprintf("example.com/label-%02d", i)
		labels[key] = strings.Repeat("v", 300-len(key))
		taints = append(taints, ackscale.Taint{Key: fmt.Sprintf("taint-%02d", i), Value: strings.Repeat("t", 290), Effect: "NoSchedule"})
	}
	ws := make([]ackscale.Worker, workers)
	for i := range ws {
		ws[i] = ackscale.Worker{ClusterID: c.ID, AccountID: b.account.ID, TaskID: task.ID, ClientToken: fmt.Sprintf("%s-%d", task.ID, i),
			RegionID: "cn-hangzhou", InstanceType: "ecs.g6.large", State: ackscale.NodeInitial, Labels: labels, Taints: taints,
			Runtime: ackscale.Runtime{Name: "containerd", Version: "1.6.28"}}
	}
	before := dbFileSize(t, b.db)
	require.NoError(t, b.s.Workers.WorkerInsert(b.ctx, ws))
	for _, w := range ws {
		w.State, w.InstanceID, w.IP = ackscale.NodeStarting, ackscale.NewInstanceID(), "192.168.0.9"
		require.NoError(t, b.s.Workers.WorkerUpdate(b.ctx, w))
	}
	growth := dbFileSize(t, b.db) - before
	labelsJSON, taintsJSON, runtimeJSON, err := encodeSpec(ws[0])
	require.NoError(t, err)
	perWorker := len(labelsJSON) + len(taintsJSON) + len(runtimeJSON)
	t.Logf("%d workers with a %d-byte spec grew the database by %d bytes (bound %d; a copy per worker would be %d)",
		workers, perWorker, growth, bound, workers*perWorker)
	require.Less(t, growth, int64(bound))

	listed, total, err := b.s.Workers.WorkerList(b.ctx, ackscale.WorkerListParams{TaskID: task.ID})
	require.NoError(t, err)
	require.Equal(t, workers, total)
	for _, w := range listed {
		require.Equal(t, labels, w.Labels, w.ClientToken)
		require.Equal(t, taints, w.Taints, w.ClientToken)
	}
}

// dbFileSize checkpoints the WAL into the database file and returns the
// file's size.
func dbFileSize(t *testing.T, db *DB) int64 {
	t.Helper()
	_, err := db.SQL().Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	require.NoError(t, err)
	var file string
	require.NoError(t, db.SQL().QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file))
	st, err := os.Stat(file)
	require.NoError(t, err)
	return st.Size()
}

// TestCheckCountsQuotaDrift writes what the contracts never write: a
// counter that disagrees with the instances, a live instance no counter
// counts (neither its account's nor its zone × type's), and reservations
// of an ended task and of no task.
func TestCheckCountsQuotaDrift(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for i := range 3 {
		in := ackscale.Instance{ID: fmt.Sprintf("i-%d", i), ClientToken: fmt.Sprintf("tok-%d", i), AccountID: b.account.ID,
			RegionID: "cn-hangzhou", IPPool: "vsw-1", IP: fmt.Sprintf("192.168.0.%d", i+3), Kind: ackscale.KindECS, VCPUs: 2}
		_, _, err := b.s.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: in})
		require.NoError(t, err)
	}
	c := b.runningCluster(t, "c") // its create task succeeded
	got, err := b.db.Check(b.ctx)
	require.NoError(t, err)
	require.Zero(t, got.QuotaDrift)

	exec := func(query string, args ...any) {
		t.Helper()
		_, err := b.db.SQL().Exec(query, args...)
		require.NoError(t, err)
	}
	exec(`UPDATE quota_usage SET vcpus = vcpus + 1 WHERE account_id = ?`, b.account.ID)
	exec(`INSERT INTO cloud_instances (id, client_token, account_id, region_id, ip_pool, ip, instance_type, status, ready_at, created_at, quota_scope)
		VALUES ('i-x', 'tok-x', 'a2', 'cn-beijing', 'vsw-1', '192.168.0.3', 't', 'Running', 0, 0, 'cn-beijing')`)
	exec(`INSERT INTO quota_reservations (task_id, account_id, scope, instances, vcpus) SELECT id, account_id, 'cn-hangzhou', 1, 2 FROM tasks WHERE cluster_id = ?`, c.ID)
	exec(`INSERT INTO quota_reservations (task_id, account_id, scope, instances, vcpus) VALUES ('T-none', ?, 'cn-hangzhou', 1, 2)`, b.account.ID)
	got, err = b.db.Check(b.ctx)
	require.NoError(t, err)
	// The bumped vCPUs; the unknown instance, in its account's scope and
	// in its zone × type's stock.
	require.Equal(t, 3, got.QuotaDrift, "quota drift")
	require.Equal(t, 2, got.StaleReservations, "stale reservations")
	usage, err := b.s.Cloud.QuotaUsageGet(b.ctx, ackscale.QuotaUsageParams{AccountID: b.account.ID, Scope: "cn-hangzhou"})
	require.NoError(t, err)
	require.Equal(t, ackscale.QuotaUsage{AccountID: b.account.ID, Scope: "cn-hangzhou", Instances: 3, VCPUs: 7}, usage,
		"only running tasks' reservations count")
}

// TestMigrateQuotaAndWorkerSpecs opens a database written before
// migration 003: its counters are counted from the live instances (an
// ENS one by its type's name), the IP index is per account, and each
// task's spec is moved out of its workers.
func TestMigrateQuotaAndWorkerSpecs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	old := openMigratedTo(t, dir, "migration/002_cloud_control.sql")
	_, err := old.Exec(`INSERT INTO cloud_instances (id, client_token, account_id, region_id, ip_pool, ip, instance_type, status, ready_at, created_at) VALUES
		('i-1', 't1', 'a1', 'cn-hangzhou', 'vsw-1', '10.0.0.3', 'ecs.g6.large', 'Running', 0, 1),
		('i-2', 't2', 'a1', 'cn-hangzhou', 'vsw-1', '10.0.0.4', 'ecs.g6.large', 'Released', 0, 2),
		('i-3', 't3', 'a1', 'cn-xian-telecom', 'cn-xian-telecom', '10.1.0.3', 'ens.sn1.tiny', 'Pending', 0, 3),
		('i-4', 't4', 'a2', 'cn-hangzhou', 'vsw-1', '10.0.0.4', 'ecs.g6.large', 'Running', 0, 4)`)
	require.NoError(t, err)
	_, err = old.Exec(`INSERT INTO workers (client_token, cluster_id, account_id, task_id, region_id, instance_type, state, labels, taints, runtime, seq, created_at, updated_at) VALUES
		('T-1-1', 'c', 'a1', 'T-1', 'r', 't', 'initial', '{"n":"1"}', '[]', '{"name":"containerd"}', 1, 1, 1),
		('T-1-0', 'c', 'a1', 'T-1', 'r', 't', 'initial', '{"n":"0"}', '[{"key":"k","effect":"NoSchedule"}]', '{"name":"containerd"}', 0, 1, 1),
		('T-2-0', 'c', 'a1', 'T-2', 'r', 't', 'initial', '{"n":"2"}', '[]', '{}', 0, 2, 2)`)
	require.NoError(t, err)
	db, s := migrateRest(t, dir, old)
	requireUsage := func(accountID, scope string, instances, vcpus int) {
		t.Helper()
		got, err := s.Cloud.QuotaUsageGet(ctx, ackscale.QuotaUsageParams{AccountID: accountID, Scope: scope})
		require.NoError(t, err)
		require.Equal(t, ackscale.QuotaUsage{AccountID: accountID, Scope: scope, Instances: instances, VCPUs: vcpus}, got,
			"%s %s", accountID, scope)
	}
	// Old instances count 0 vCPUs: they did not record theirs.
	requireUsage("a1", "cn-hangzhou", 1, 0)
	requireUsage("a1", ackscale.QuotaScopeENS, 1, 0)
	requireUsage("a1", "cn-xian-telecom", 0, 0)
	requireUsage("a2", "cn-hangzhou", 1, 0)
	check, err := db.Check(ctx)
	require.NoError(t, err)
	require.Zero(t, check.QuotaDrift)

	// An old ENS instance leaves the scope it was counted in.
	require.NoError(t, s.Cloud.InstanceUpdate(ctx, ackscale.InstanceUpdateParams{ID: "i-3", Status: ackscale.InstanceReleased}))
	requireUsage("a1", ackscale.QuotaScopeENS, 0, 0)
	// a2 holds 10.0.0.4 of vsw-1; a1 may hold it too.
	_, created, err := s.Cloud.InstanceCreate(ctx, ackscale.InstanceCreateParams{Instance: ackscale.Instance{ID: "i-5", ClientToken: "t5",
		AccountID: "a1", RegionID: "cn-hangzhou", IPPool: "vsw-1", IP: "10.0.0.4", Kind: ackscale.KindECS, VCPUs: 2}})
	require.NoError(t, err)
	require.True(t, created)
	requireUsage("a1", "cn-hangzhou", 2, 2)
	check, err = db.Check(ctx)
	require.NoError(t, err)
	require.Zero(t, check.QuotaDrift)

	ws, _, err := s.Workers.WorkerList(ctx, ackscale.WorkerListParams{})
	require.NoError(t, err)
	require.Len(t, ws, 3)
	for _, w := range ws {
		want := map[string]string{"n": "0"} // T-1's first worker's
		if w.TaskID == "T-2" {
			want = map[string]string{"n": "2"}
		}
		require.Equal(t, want, w.Labels, w.ClientToken)
	}
	require.Equal(t, 2, count(t, db, `SELECT count(*) FROM worker_specs`))
	require.Zero(t, count(t, db, `SELECT count(*) FROM pragma_table_info('workers') WHERE name IN ('labels', 'taints', 'runtime')`))
}

// TestMigrateUsageCounters opens a database written before migration 008:
// the running tasks' reservations are counted and an ended task's is
// dropped, the stock in use is counted, and the free-IP index starts at
// each pool's first address but skips the addresses the old instances
// hold.
func TestMigrateUsageCounters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	old := openMigratedTo(t, dir, "migration/007_replicas.sql")
	_, err := old.Exec(`INSERT INTO cloud_instances (id, client_token, account_id, region_id, zone_id, ip_pool, ip, instance_type,
		kind, vcpus, status, ready_at, created_at, quota_scope) VALUES
		('i-1', 't1', 'a1', 'cn-hangzhou', 'z1', 'vsw-1', '10.0.0.3', 'ecs.g6.large', 'ecs', 2, 'Running', 0, 1, 'cn-hangzhou'),
		('i-2', 't2', 'a1', 'cn-hangzhou', 'z1', 'vsw-1', '10.0.0.4', 'ecs.g6.large', 'ecs', 2, 'Released', 0, 2, 'cn-hangzhou'),
		('i-3', 't3', 'a1', 'cn-hangzhou', 'z1', 'vsw-1', '10.0.0.5', 'ecs.g6.large', 'ecs', 2, 'Pending', 0, 3, 'cn-hangzhou')`)
	require.NoError(t, err)
	_, err = old.Exec(`INSERT INTO quota_usage (account_id, scope, instances, vcpus) VALUES ('a1', 'cn-hangzhou', 2, 4)`)
	require.NoError(t, err)
	_, err = old.Exec(`INSERT INTO tasks (id, account_id, cluster_id, type, state, params, created_at, updated_at) VALUES
		('T-run', 'a1', 'c1', 'cluster_scaleout', 'running', '{}', 1, 1), ('T-end', 'a1', 'c2', 'cluster_scaleout', 'failed', '{}', 1, 1)`)
	require.NoError(t, err)
	_, err = old.Exec(`INSERT INTO quota_reservations (task_id, account_id, scope, instances, vcpus) VALUES
		('T-run', 'a1', 'cn-hangzhou', 3, 4), ('T-end', 'a1', 'cn-hangzhou', 5, 4)`)
	require.NoError(t, err)
	db, s := migrateRest(t, dir, old)
	usage, err := s.Cloud.QuotaUsageGet(ctx, ackscale.QuotaUsageParams{AccountID: "a1", Scope: "cn-hangzhou"})
	require.NoError(t, err)
	require.Equal(t, ackscale.QuotaUsage{AccountID: "a1", Scope: "cn-hangzhou", Instances: 2, VCPUs: 4,
		ReservedInstances: 3, ReservedVCPUs: 12}, usage)
	require.Zero(t, count(t, db, `SELECT count(*) FROM quota_reservations WHERE task_id = 'T-end'`))
	check, err := db.Check(ctx)
	require.NoError(t, err)
	require.Zero(t, check.QuotaDrift)
	require.Zero(t, check.StaleReservations)

	var seen []ackscale.StockUsage
	create := func(token string) ackscale.Instance {
		t.Helper()
		in, created, err := s.Cloud.InstanceCreate(ctx, ackscale.InstanceCreateParams{
			Instance: ackscale.Instance{ID: "i-" + token, ClientToken: token, AccountID: "a1", RegionID: "cn-hangzhou", ZoneID: "z1",
				IPPool: "vsw-1", InstanceType: "ecs.g6.large", Kind: ackscale.KindECS, VCPUs: 2},
			IPs:       ackscale.IPRange{First: netip.MustParseAddr("10.0.0.3"), Last: netip.MustParseAddr("10.0.0.254")},
			CheckFunc: func(u ackscale.StockUsage) error { seen = append(seen, u); return nil }})
		require.NoError(t, err)
		require.True(t, created)
		return in
	}
	require.Equal(t, "10.0.0.4", create("n1").IP, "the address the released instance held")
	require.Equal(t, "10.0.0.6", create("n2").IP, "past the old instances' addresses")
	require.Equal(t, []ackscale.StockUsage{{ZoneID: "z1", InstanceType: "ecs.g6.large", Live: 2},
		{ZoneID: "z1", InstanceType: "ecs.g6.large", Live: 3}}, seen)
	require.NoError(t, s.Cloud.InstanceUpdate(ctx, ackscale.InstanceUpdateParams{ID: "i-1", Status: ackscale.InstanceReleased}))
	require.Equal(t, "10.0.0.3", create("n3").IP, "an old instance's address, once released")
	check, err = db.Check(ctx)
	require.NoError(t, err)
	require.Zero(t, check.QuotaDrift)
}
