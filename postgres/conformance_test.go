package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale/internal/storetest"
)

// TestConformance runs the store contracts' conformance suite on
// PostgreSQL, each subtest in a schema of its own, with a real
// (insert-only) River client inserting the tasks' jobs.
func TestConformance(t *testing.T) {
	t.Parallel()
	testURL(t)
	storetest.Exercise(t, func(t *testing.T) storetest.Stores {
		db := openTestDB(t)
		client, err := river.NewClient(riverpgxv5.New(db.Pool()), &river.Config{})
		require.NoError(t, err)
		s := db.Stores(client)
		return storetest.Stores{Accounts: s.Accounts, Clusters: s.Clusters, Workers: s.Workers, Cloud: s.Cloud, Checker: db,
			Jobs: func() []string { return jobTasks(db.DB) }}
	})
}

// jobTasks returns the task ids of the jobs in river_job, in insert
// order. It panics on a failure (storetest.Stores.Jobs).
func jobTasks(db *DB) []string {
	rows, err := db.Pool().Query(context.Background(), `SELECT args->>'task_id' FROM river_job ORDER BY id`)
	if err != nil {
		panic(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		panic(err)
	}
	return ids
}
