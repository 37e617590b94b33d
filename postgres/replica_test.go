package postgres

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// age makes a replica's last beat d old, as if it had stopped beating.
func (db *testDB) age(t *testing.T, id string, d time.Duration) {
	t.Helper()
	_, err := db.pool.Exec(context.Background(), `UPDATE replicas SET seen_at = seen_at - $2 WHERE id = $1`, id, d.Milliseconds())
	require.NoError(t, err)
}

// runningJob inserts a River job running on replica, and returns its id.
func (db *testDB) runningJob(t *testing.T, replica string) int64 {
	t.Helper()
	var id int64
	err := db.pool.QueryRow(context.Background(), `INSERT INTO river_job (args, kind, max_attempts, queue, state, attempt, attempted_at, attempted_by)
		VALUES ('{}', 'test', 10, 'default', 'running', 1, now(), ARRAY['other', $1]) RETURNING id`, replica).Scan(&id)
	require.NoError(t, err)
	return id
}

func (db *testDB) jobState(t *testing.T, id int64) string {
	t.Helper()
	var state string
	require.NoError(t, db.pool.QueryRow(context.Background(), `SELECT state::text FROM river_job WHERE id = $1`, id).Scan(&state))
	return state
}

func TestReplicaBury(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	require.NoError(t, db.ReplicaBeat(ctx, "a", "127.0.0.1:1"))
	require.NoError(t, db.ReplicaBeat(ctx, "b", "127.0.0.1:2"))
	jobA, jobB := db.runningJob(t, "a"), db.runningJob(t, "b")
	_, err := db.KubeHostClaim(ctx, "c1", "a")
	require.NoError(t, err)
	_, err = db.KubeHostClaim(ctx, "c2", "b")
	require.NoError(t, err)

	// Nobody is dead yet.
	b, err := db.ReplicaBury(ctx, 10*time.Second)
	require.NoError(t, err)
	require.Empty(t, b.Replicas)
	live, err := db.ReplicaList(ctx, 10*time.Second)
	require.NoError(t, err)
	require.Len(t, live, 2)

	// a stops beating: it is buried, its job requeued, its API server freed.
	db.age(t, "a", 11*time.Second)
	live, err = db.ReplicaList(ctx, 10*time.Second)
	require.NoError(t, err)
	require.Len(t, live, 1)
	require.Equal(t, "b", live[0].ID)
	b, err = db.ReplicaBury(ctx, 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, Burial{Replicas: []string{"a"}, Jobs: 1, Hosts: 1}, b)
	require.Equal(t, "available", db.jobState(t, jobA))
	require.Equal(t, "running", db.jobState(t, jobB), "a live replica's job is left alone")
	hosts, err := db.KubeHostList(ctx, "")
	require.NoError(t, err)
	require.Equal(t, []KubeHost{{ClusterID: "c2", ReplicaID: "b"}}, hosts)

	// Burying again finds nobody.
	b, err = db.ReplicaBury(ctx, 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, Burial{}, b)

	// b stops cleanly with a job cut short: the job is available again.
	require.NoError(t, db.ReplicaLeave(ctx, "b"))
	require.Equal(t, "available", db.jobState(t, jobB))
	live, err = db.ReplicaList(ctx, time.Hour)
	require.NoError(t, err)
	require.Empty(t, live)
}

func TestKubeHostClaim(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	require.NoError(t, db.ReplicaBeat(ctx, "a", ""))
	require.NoError(t, db.ReplicaBeat(ctx, "b", ""))

	h, err := db.KubeHostClaim(ctx, "c1", "a")
	require.NoError(t, err)
	require.Equal(t, KubeHost{ClusterID: "c1", ReplicaID: "a"}, h)
	ok, err := db.KubeHostSet(ctx, "c1", "a", "127.0.0.1:6443")
	require.NoError(t, err)
	require.True(t, ok)

	// b finds a hosting it.
	h, err = db.KubeHostClaim(ctx, "c1", "b")
	require.NoError(t, err)
	require.Equal(t, KubeHost{ClusterID: "c1", ReplicaID: "a", Endpoint: "127.0.0.1:6443"}, h)
	ok, err = db.KubeHostSet(ctx, "c1", "b", "127.0.0.1:7000")
	require.NoError(t, err)
	require.False(t, ok, "only the host records the endpoint")

	// a leaves: b takes it over, and a can no longer record an endpoint.
	require.NoError(t, db.ReplicaLeave(ctx, "a"))
	h, err = db.KubeHostClaim(ctx, "c1", "b")
	require.NoError(t, err)
	require.Equal(t, KubeHost{ClusterID: "c1", ReplicaID: "b"}, h)
	ok, err = db.KubeHostSet(ctx, "c1", "a", "127.0.0.1:6443")
	require.NoError(t, err)
	require.False(t, ok)

	// A host row of a replica that never beat is free too.
	_, err = db.pool.Exec(ctx, `INSERT INTO kube_hosts (cluster_id, replica_id, claimed_at) VALUES ('c2', 'ghost', 0)`)
	require.NoError(t, err)
	h, err = db.KubeHostClaim(ctx, "c2", "b")
	require.NoError(t, err)
	require.Equal(t, "b", h.ReplicaID)

	require.NoError(t, db.KubeHostRelease(ctx, "c1", "b"))
	hosts, err := db.KubeHostList(ctx, "b")
	require.NoError(t, err)
	require.Equal(t, []KubeHost{{ClusterID: "c2", ReplicaID: "b"}}, hosts)
}

// TestKubeHostClaimConcurrent: replicas claiming one cluster together
// agree on one host.
func TestKubeHostClaimConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	ids := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	for _, id := range ids {
		require.NoError(t, db.ReplicaBeat(ctx, id, ""))
	}
	other := db.replica(t)
	hosts := make([]string, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			on := db.DB
			if i%2 == 1 {
				on = other
			}
			h, err := on.KubeHostClaim(ctx, "c1", id)
			if err == nil {
				hosts[i] = h.ReplicaID
			}
		})
	}
	wg.Wait()
	for _, h := range hosts {
		require.Equal(t, hosts[0], h)
	}
	require.Contains(t, ids, hosts[0])
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	l := Limiter{DB: db.DB, Rate: 0.001, Burst: 3} // no refill within the test
	for i := range 3 {
		ok, _, err := l.Take(ctx, "acct")
		require.NoError(t, err)
		require.True(t, ok, "take %d of the burst", i+1)
	}
	ok, wait, err := l.Take(ctx, "acct")
	require.NoError(t, err)
	require.False(t, ok)
	require.Greater(t, wait, 900*time.Second) // 1 token at 0.001/s
	ok, _, err = l.Take(ctx, "other")
	require.NoError(t, err)
	require.True(t, ok, "each account has its own bucket")

	// The bucket refills with time.
	_, err = db.pool.Exec(ctx, `UPDATE throttle_buckets SET at = at - 1000000 WHERE account_id = 'acct'`)
	require.NoError(t, err)
	ok, _, err = l.Take(ctx, "acct")
	require.NoError(t, err)
	require.True(t, ok)
}

// TestLimiterShared: replicas taking from one account's bucket at once
// get its burst in all, not each.
func TestLimiterShared(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	dbs := []*DB{db.DB, db.replica(t), db.replica(t)}
	const burst = 25
	var granted atomic.Int64
	var wg sync.WaitGroup
	for i := range 90 {
		wg.Go(func() {
			l := Limiter{DB: dbs[i%len(dbs)], Rate: 0.001, Burst: burst}
			ok, _, err := l.Take(ctx, "acct")
			if err == nil && ok {
				granted.Add(1)
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, burst, granted.Load())
	var tokens float64
	require.NoError(t, db.pool.QueryRow(ctx, `SELECT tokens FROM throttle_buckets WHERE account_id = 'acct'`).Scan(&tokens))
	require.Less(t, tokens, 1.0)
}

func TestSecretFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openTestDB(t)
	_, ok, err := db.SecretFilesGet(ctx, "kube/c1")
	require.NoError(t, err)
	require.False(t, ok)

	first := map[string][]byte{"ca.crt": []byte("CA1"), "token": []byte("t1")}
	kept, err := db.SecretFilesPut(ctx, "kube/c1", first)
	require.NoError(t, err)
	require.Equal(t, first, kept)
	// A second replica making its own gets the first's.
	kept, err = db.replica(t).SecretFilesPut(ctx, "kube/c1", map[string][]byte{"ca.crt": []byte("CA2")})
	require.NoError(t, err)
	require.Equal(t, first, kept)
	got, ok, err := db.SecretFilesGet(ctx, "kube/c1")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, first, got)

	// Sealed at rest: the row holds neither content in clear.
	var raw string
	require.NoError(t, db.pool.QueryRow(ctx, `SELECT files FROM shared_secrets WHERE name = 'kube/c1'`).Scan(&raw))
	require.NotContains(t, raw, "CA1")
	require.NotContains(t, raw, "dDE") // base64 of t1

	require.NoError(t, db.SecretFilesDelete(ctx, "kube/c1"))
	_, ok, err = db.SecretFilesGet(ctx, "kube/c1")
	require.NoError(t, err)
	require.False(t, ok)
}
