package sqlite

import (
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale/internal/storetest"
)

// TestConformance runs the store contracts' conformance suite on SQLite,
// with a real (insert-only) River client inserting the tasks' jobs.
func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Exercise(t, func(t *testing.T) storetest.Stores {
		db := openTestDB(t)
		client, err := river.NewClient(riversqlite.New(db.SQL()), &river.Config{})
		require.NoError(t, err)
		s := db.Stores(client)
		return storetest.Stores{Accounts: s.Accounts, Clusters: s.Clusters, Workers: s.Workers, Cloud: s.Cloud, Checker: db,
			Jobs: func() []string { return jobTasks(t, db) }}
	})
}

// jobTasks returns the task ids of the jobs in river_job, in insert order.
func jobTasks(t *testing.T, db *DB) []string {
	t.Helper()
	rows, err := db.SQL().Query(`SELECT json_extract(args, '$.task_id') FROM river_job ORDER BY id`)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		out = append(out, id)
	}
	require.NoError(t, rows.Err())
	return out
}
