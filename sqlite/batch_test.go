package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// batchBundle is a database with a scratch table, and a way to hold its
// writer connection so that transactions queue behind it.
type batchBundle struct {
	db  *DB
	ctx context.Context
}

func setupBatch(t *testing.T) *batchBundle {
	t.Helper()
	db := openTestDB(t)
	_, err := db.SQL().Exec(`CREATE TABLE scratch (k TEXT PRIMARY KEY)`)
	require.NoError(t, err)
	return &batchBundle{db: db, ctx: context.Background()}
}

// insert returns a transaction function that inserts k (a taken k fails).
func insert(k string) func(ctx context.Context, tx *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO scratch (k) VALUES (?)`, k)
		return err
	}
}

// queued runs fns through inTx while the writer connection is held, so
// that all but the first are queued together, then lets them run; it
// returns their errors.
func (b *batchBundle) queued(t *testing.T, fns ...func(ctx context.Context, tx *sql.Tx) error) []error {
	t.Helper()
	conn, err := b.db.SQL().Conn(b.ctx) // the writer pool's one connection
	require.NoError(t, err)
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { errs[i] = b.db.inTx(b.ctx, fn) })
		if i == 0 { // the writer takes it, and waits for the connection
			require.Eventually(t, func() bool { return len(b.db.w.ops) == 0 }, time.Second, time.Millisecond)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		require.Eventually(t, func() bool { return len(b.db.w.ops) == i }, time.Second, time.Millisecond)
	}
	require.NoError(t, conn.Close())
	wg.Wait()
	return errs
}

func (b *batchBundle) keys(t *testing.T) []string {
	t.Helper()
	rows, err := b.db.read.Query(`SELECT k FROM scratch ORDER BY k`)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		require.NoError(t, rows.Scan(&k))
		out = append(out, k)
	}
	require.NoError(t, rows.Err())
	return out
}

// TestBatchEachOwnResult: transactions committed together each get their
// own result; a failing one writes nothing and the others are committed.
func TestBatchEachOwnResult(t *testing.T) {
	t.Parallel()
	b := setupBatch(t)
	refusal := errors.New("refused")
	commits := b.db.w.commits.Load()
	errs := b.queued(t,
		insert("a"),
		insert("b"),
		func(ctx context.Context, tx *sql.Tx) error {
			if err := insert("c")(ctx, tx); err != nil {
				return err
			}
			return refusal // after a write: rolled back to its savepoint
		},
		insert("b"), // taken by the second, committed in the same batch
		insert("d"),
	)
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	require.ErrorIs(t, errs[2], refusal)
	require.True(t, isUniqueViolation(errs[3]), "want a unique violation, got %v", errs[3])
	require.NoError(t, errs[4])
	require.Equal(t, []string{"a", "b", "d"}, b.keys(t))
	require.Equal(t, commits+2, b.db.w.commits.Load(), "commits: the first alone, then the four queued behind it together")
}

// TestBatchCancelledBeforeItsTurn: a transaction whose context ends while
// it waits is answered with the context's error and never runs; the
// others run.
func TestBatchCancelledBeforeItsTurn(t *testing.T) {
	t.Parallel()
	b := setupBatch(t)
	conn, err := b.db.SQL().Conn(b.ctx) // hold the writer connection
	require.NoError(t, err)
	first := make(chan error, 1)
	go func() { first <- b.db.inTx(b.ctx, insert("a")) }()
	require.Eventually(t, func() bool { return len(b.db.w.ops) == 0 }, time.Second, time.Millisecond)
	time.Sleep(10 * time.Millisecond) // the writer took it, and waits for the connection
	ctx, cancel := context.WithCancel(b.ctx)
	ran := make(chan bool, 1)
	second := make(chan error, 1)
	go func() {
		second <- b.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error { ran <- true; return insert("x")(ctx, tx) })
	}()
	require.Eventually(t, func() bool { return len(b.db.w.ops) == 1 }, time.Second, time.Millisecond)
	cancel()
	require.NoError(t, conn.Close())
	require.NoError(t, <-first)
	require.ErrorIs(t, <-second, context.Canceled)
	require.Empty(t, ran, "the cancelled transaction's function ran")
	require.Equal(t, []string{"a"}, b.keys(t))
}

// TestBatchContextNeverCancelled: the context a transaction's function
// is given is not cancelled with the caller's (SQLite would roll back the
// whole batch for an interrupted statement).
func TestBatchContextNeverCancelled(t *testing.T) {
	t.Parallel()
	b := setupBatch(t)
	ctx, cancel := context.WithCancel(b.ctx)
	err := b.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		cancel()
		if ctx.Err() != nil {
			return fmt.Errorf("the function's context ended: %w", ctx.Err())
		}
		return insert("a")(ctx, tx)
	})
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, b.keys(t))
}

// TestBatchAfterClose: a transaction queued after Close is refused.
func TestBatchAfterClose(t *testing.T) {
	t.Parallel()
	db, err := Open(context.Background(), Config{Dir: t.TempDir()})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.ErrorIs(t, db.inTx(context.Background(), insert("a")), errClosed)
}

// scratchJobs is a JobInserter that writes each job's task id into the
// scratch table, in the caller's transaction, and records the task ids of
// each call; a job of task fail fails its call.
type scratchJobs struct {
	mu    sync.Mutex
	calls [][]string
	fail  string
}

func (j *scratchJobs) InsertManyFastTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) (int, error) {
	ids := make([]string, len(params))
	for i, p := range params {
		ids[i] = p.Args.(ackscale.TaskJob).TaskID
	}
	j.mu.Lock()
	j.calls = append(j.calls, ids)
	j.mu.Unlock()
	for _, id := range ids {
		if id == j.fail {
			return 0, fmt.Errorf("job %s refused", id)
		}
		if err := insert("job-"+id)(ctx, tx); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// job returns a transaction function that inserts k and queues a job of
// each task id, then fails with err if it is set.
func job(to JobInserter, k string, err error, ids ...string) func(ctx context.Context, tx *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		if e := insert(k)(ctx, tx); e != nil {
			return e
		}
		for _, id := range ids {
			if e := queueJob(ctx, tx, to, river.InsertManyParams{Args: ackscale.TaskJob{TaskID: id}}); e != nil {
				return e
			}
		}
		return err
	}
}

// TestBatchJobs: the jobs of the transactions committed together are
// inserted with one call, in queue order, just before the commit; a
// transaction that fails leaves no job; a call that fails makes each
// transaction run alone, so only the one whose job was refused fails.
func TestBatchJobs(t *testing.T) {
	t.Parallel()
	refusal := errors.New("refused")
	t.Run("together", func(t *testing.T) {
		t.Parallel()
		b := setupBatch(t)
		jobs := &scratchJobs{}
		errs := b.queued(t,
			job(jobs, "a", nil, "t1"),
			job(jobs, "b", nil, "t2"),
			job(jobs, "c", refusal, "t3"),
			job(jobs, "d", nil, "t4", "t5"),
			job(jobs, "e", nil),
		)
		require.Equal(t, []error{nil, nil, refusal, nil, nil}, errs)
		require.Equal(t, [][]string{{"t1"}, {"t2", "t4", "t5"}}, jobs.calls)
		require.Equal(t, []string{"a", "b", "d", "e", "job-t1", "job-t2", "job-t4", "job-t5"}, b.keys(t))
	})
	t.Run("a refused job", func(t *testing.T) {
		t.Parallel()
		b := setupBatch(t)
		jobs := &scratchJobs{fail: "t3"}
		errs := b.queued(t,
			job(jobs, "a", nil, "t1"),
			job(jobs, "b", nil, "t2"),
			job(jobs, "c", nil, "t3"),
			job(jobs, "d", nil, "t4"),
		)
		require.NoError(t, errs[0])
		require.NoError(t, errs[1])
		require.ErrorContains(t, errs[2], "job t3 refused")
		require.NoError(t, errs[3])
		require.Equal(t, [][]string{{"t1"}, {"t2", "t3", "t4"}, {"t2"}, {"t3"}, {"t4"}}, jobs.calls)
		require.Equal(t, []string{"a", "b", "d", "job-t1", "job-t2", "job-t4"}, b.keys(t))
	})
	t.Run("outside the writer", func(t *testing.T) {
		t.Parallel()
		b := setupBatch(t)
		jobs := &scratchJobs{}
		tx, err := b.db.SQL().BeginTx(b.ctx, nil)
		require.NoError(t, err)
		require.NoError(t, job(jobs, "a", nil, "t1", "t2")(b.ctx, tx))
		require.NoError(t, tx.Commit())
		require.Equal(t, [][]string{{"t1"}, {"t2"}}, jobs.calls)
		require.Equal(t, []string{"a", "job-t1", "job-t2"}, b.keys(t))
	})
}

// TestBatchAfterCommit: what a transaction leaves for after its commit
// runs once it has committed (its row is there to read), in the order of
// the transactions committed together, before its caller is answered;
// never for a transaction that failed, nor for those of a batch that
// failed as a whole (they run again alone, and leave it again); outside
// the writer nothing is left.
func TestBatchAfterCommit(t *testing.T) {
	t.Parallel()
	refusal := errors.New("refused")
	// after returns a transaction function that inserts k and leaves a
	// func that records k and whether k was committed, then fails with err.
	setup := func(t *testing.T) (*batchBundle, func(k string, err error) func(context.Context, *sql.Tx) error, func() []string) {
		b := setupBatch(t)
		var mu sync.Mutex
		var ran []string
		after := func(k string, err error) func(ctx context.Context, tx *sql.Tx) error {
			return func(ctx context.Context, tx *sql.Tx) error {
				if e := insert(k)(ctx, tx); e != nil {
					return e
				}
				left := afterCommit(ctx, func() {
					var n int
					require.NoError(t, b.db.read.QueryRow(`SELECT count(*) FROM scratch WHERE k = ?`, k).Scan(&n))
					mu.Lock()
					defer mu.Unlock()
					ran = append(ran, fmt.Sprintf("%s:%d", k, n))
				})
				require.True(t, left, "in the writer")
				return err
			}
		}
		got := func() []string {
			mu.Lock()
			defer mu.Unlock()
			return append([]string(nil), ran...)
		}
		return b, after, got
	}
	t.Run("alone", func(t *testing.T) {
		t.Parallel()
		b, after, ran := setup(t)
		require.NoError(t, b.db.inTx(b.ctx, after("a", nil)))
		require.Equal(t, []string{"a:1"}, ran(), "run once committed, before inTx returned")
		require.Equal(t, refusal, b.db.inTx(b.ctx, after("b", refusal)))
		require.Equal(t, []string{"a:1"}, ran(), "not for a transaction that failed")
	})
	t.Run("together", func(t *testing.T) {
		t.Parallel()
		b, after, ran := setup(t)
		errs := b.queued(t, after("a", nil), after("b", nil), after("c", refusal), after("d", nil))
		require.Equal(t, []error{nil, nil, refusal, nil}, errs)
		require.Equal(t, []string{"a:1", "b:1", "d:1"}, ran())
	})
	t.Run("a batch that failed", func(t *testing.T) {
		t.Parallel()
		b, after, ran := setup(t)
		jobs := &scratchJobs{fail: "t3"}
		withJob := func(k, id string) func(context.Context, *sql.Tx) error {
			return func(ctx context.Context, tx *sql.Tx) error {
				if err := after(k, nil)(ctx, tx); err != nil {
					return err
				}
				return queueJob(ctx, tx, jobs, river.InsertManyParams{Args: ackscale.TaskJob{TaskID: id}})
			}
		}
		errs := b.queued(t, withJob("a", "t1"), withJob("b", "t2"), withJob("c", "t3"), withJob("d", "t4"))
		require.ErrorContains(t, errs[2], "job t3 refused")
		require.Equal(t, []string{"a:1", "b:1", "d:1"}, ran(), "once each, after the runs alone")
	})
	t.Run("outside the writer", func(t *testing.T) {
		t.Parallel()
		require.False(t, afterCommit(context.Background(), func() { t.Error("ran outside the writer") }))
	})
}

// TestBatchSavepointsOnlyAfterAFailure: a batch whose transactions all
// succeed runs them without savepoints; when one fails, the batch runs
// again from the start with each in a savepoint, and only the one that
// failed is rolled back.
func TestBatchSavepointsOnlyAfterAFailure(t *testing.T) {
	t.Parallel()
	b := setupBatch(t)
	var mu sync.Mutex
	runs := map[string][]bool{} // by key: in a savepoint, for each run
	// probe inserts k after noting whether it runs in a savepoint (ROLLBACK
	// TO a savepoint that exists keeps it, and undoes nothing yet).
	probe := func(k string, err error) func(ctx context.Context, tx *sql.Tx) error {
		return func(ctx context.Context, tx *sql.Tx) error {
			_, inSavepoint := tx.ExecContext(ctx, `ROLLBACK TO op`)
			mu.Lock()
			runs[k] = append(runs[k], inSavepoint == nil)
			mu.Unlock()
			if e := insert(k)(ctx, tx); e != nil {
				return e
			}
			return err
		}
	}
	refusal := errors.New("refused")
	errs := b.queued(t, probe("a", nil), probe("b", nil), probe("c", nil))
	require.Equal(t, []error{nil, nil, nil}, errs)
	require.Equal(t, map[string][]bool{"a": {false}, "b": {false}, "c": {false}}, runs, "a alone, b and c together: no savepoint")

	clear(runs)
	errs = b.queued(t, probe("d", nil), probe("e", nil), probe("f", refusal), probe("g", nil))
	require.Equal(t, []error{nil, nil, refusal, nil}, errs)
	require.Equal(t, map[string][]bool{"d": {false}, "e": {false, true}, "f": {false, true}, "g": {true}}, runs)
	require.Equal(t, []string{"a", "b", "c", "d", "e", "g"}, b.keys(t), "f alone rolled back")
}
