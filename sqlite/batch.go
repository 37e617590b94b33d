package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/riverqueue/river"
)

// Group commit: the stores' write transactions (inTx) are queued to one
// goroutine, which runs the transactions waiting together as one SQLite
// transaction and commits once. A transaction that fails is rolled back
// alone and the others go on (the batch runs again with each in a
// savepoint: together); each caller learns its own result once the commit
// is done. So under load the begin, the commit and the WAL pages a commit
// writes are shared by many (SQLite has one writer anyway: they would have
// waited for each other); alone, a transaction runs at once, as before.
//
// What a transaction reads is what the transactions before it in the
// batch wrote, as if they had committed first: the order is the order in
// which they were queued. A transaction's function runs in the writer's
// goroutine with a context that is never cancelled (context.WithoutCancel
// of the caller's): SQLite rolls back a whole transaction when a statement
// in it is interrupted, and the batch is several callers'. A caller whose
// context ends before its turn is answered at once and its function never
// runs.
//
// River's jobs are inserted once per commit too: a transaction queues its
// jobs (queueJob) and the writer inserts every job of the transactions
// that succeeded with one statement just before it commits. riversqlite
// inserts a batch as one JSON array, and a statement for one job cost
// about as much again as the job itself (BenchmarkRiverJobs: 115 µs of
// CPU a job alone, 40 µs sixteen at a time).
//
// A transaction may also leave work for the moment it has committed
// (afterCommit): the writer runs it in its own goroutine, right after the
// commit and in the order of the transactions, before it answers them. So
// a cache can be brought up to date with a write in commit order, which a
// caller's code after inTx returns cannot promise (two callers' writes of
// one row would land in either order).

// maxBatch bounds the transactions committed together, so that a caller's
// wait stays bounded too.
const maxBatch = 64

// writeOp is one transaction queued to the writer.
type writeOp struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error
}

// writer runs the queued transactions on the writer connection.
type writer struct {
	db *sql.DB
	// prepare, when set, runs first in every transaction the writer
	// begins; the func it returns, if any, runs once that transaction has
	// committed (the nonces, nonce.go).
	prepare func(ctx context.Context, tx *sql.Tx) (committed func(), err error)
	ops     chan *writeOp
	stop    chan struct{}
	wg      sync.WaitGroup

	mu     sync.RWMutex // held to queue (read) and to close (write)
	closed bool

	commits atomic.Int64 // transactions committed (a batch is one)
}

func newWriter(db *sql.DB, prepare func(context.Context, *sql.Tx) (func(), error)) *writer {
	w := &writer{db: db, prepare: prepare, ops: make(chan *writeOp, maxBatch), stop: make(chan struct{})}
	w.wg.Go(w.loop)
	return w
}

// close stops the writer once the transactions queued are done.
func (w *writer) close() {
	w.mu.Lock()
	was := w.closed
	w.closed = true
	w.mu.Unlock()
	if !was {
		close(w.stop)
	}
	w.wg.Wait()
}

// errClosed answers a transaction queued after the DB was closed.
var errClosed = errors.New("sqlite: the database is closed")

// do runs fn in a transaction of the writer, and returns its error, or
// the commit's.
func (w *writer) do(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	op := &writeOp{ctx: ctx, fn: fn, done: make(chan error, 1)}
	if err := w.queue(ctx, op); err != nil {
		return err
	}
	return <-op.done // once queued, the writer answers (it drains the queue before it stops)
}

// queue hands op to the writer, unless the writer is closed or ctx ends
// first.
func (w *writer) queue(ctx context.Context, op *writeOp) error {
	w.mu.RLock() // close waits for the op to be queued, then stops the loop, which drains the queue
	defer w.mu.RUnlock()
	if w.closed {
		return errClosed
	}
	select {
	case w.ops <- op:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *writer) loop() {
	for {
		var op *writeOp
		select {
		case op = <-w.ops:
		case <-w.stop:
			for { // answer what was queued
				select {
				case op := <-w.ops:
					w.run([]*writeOp{op})
				default:
					return
				}
			}
		}
		batch := []*writeOp{op}
	more:
		for len(batch) < maxBatch {
			select {
			case op := <-w.ops:
				batch = append(batch, op)
			default:
				break more
			}
		}
		w.run(batch)
	}
}

// run commits a batch and answers each of its transactions.
func (w *writer) run(batch []*writeOp) {
	live := batch[:0:0]
	for _, op := range batch {
		if err := op.ctx.Err(); err != nil {
			op.done <- err
			continue
		}
		live = append(live, op)
	}
	switch {
	case len(live) == 1:
		live[0].done <- w.single(live[0])
	case len(live) > 1:
		errs, err := w.together(live)
		if err != nil { // the batch could not commit: each alone
			for _, op := range live {
				op.done <- w.single(op)
			}
			return
		}
		for i, op := range live {
			op.done <- errs[i]
		}
	}
}

// single runs one transaction alone: fn's error rolls it back.
func (w *writer) single(op *writeOp) error {
	ctx := context.WithoutCancel(op.ctx)
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	committed, err := w.begun(ctx, tx)
	own := &opWork{}
	if err == nil {
		err = op.fn(context.WithValue(ctx, workKey{}, own), tx)
	}
	if err == nil {
		err = insertJobs(ctx, tx, []*opWork{own})
	}
	if err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	w.commits.Add(1)
	committed()
	own.committed()
	return nil
}

// begun runs prepare in a transaction just begun; committed is never nil.
func (w *writer) begun(ctx context.Context, tx *sql.Tx) (committed func(), err error) {
	if w.prepare != nil {
		committed, err = w.prepare(ctx, tx)
	}
	if committed == nil {
		committed = func() {}
	}
	return committed, err
}

// together runs the transactions of a batch in one and commits: errs are
// their own errors. err is set when the batch failed as a whole (a
// savepoint or the commit failed): it is rolled back, and nothing of it is
// written.
//
// Most transactions succeed, so the batch first runs them one after the
// other with nothing between them. Only when one fails is the batch rolled
// back and run again with each transaction in a savepoint of its own,
// which rolls back the one that fails alone: the savepoints' two
// statements a transaction were two of every five statements the writer
// ran for an accepted scale-out and its task (docs/performance.md).
func (w *writer) together(ops []*writeOp) (errs []error, err error) {
	errs, err = w.attempt(ops, false)
	if errors.Is(err, errOneFailed) {
		return w.attempt(ops, true)
	}
	return errs, err
}

// errOneFailed: a transaction of a batch run without savepoints failed,
// and the batch was rolled back.
var errOneFailed = errors.New("sqlite: a transaction of the batch failed")

// attempt runs the transactions of a batch in one transaction and commits,
// each in a savepoint when savepoints is set; without, the first that
// fails rolls the batch back (errOneFailed).
func (w *writer) attempt(ops []*writeOp, savepoints bool) (errs []error, err error) {
	ctx := context.Background()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	committed, err := w.begun(ctx, tx)
	if err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	errs = make([]error, len(ops))
	done := make([]*opWork, 0, len(ops)) // the work of the transactions that succeeded, in order
	for i, op := range ops {
		own := &opWork{}
		run := func() error {
			return op.fn(context.WithValue(context.WithoutCancel(op.ctx), workKey{}, own), tx)
		}
		if savepoints {
			errs[i], err = inSavepoint(ctx, tx, run)
		} else if errs[i] = run(); errs[i] != nil {
			err = errOneFailed
		}
		if err != nil {
			_ = tx.Rollback()
			return nil, err
		}
		if errs[i] == nil {
			done = append(done, own)
		}
	}
	if err := insertJobs(ctx, tx, done); err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	w.commits.Add(1)
	committed()
	for _, own := range done {
		own.committed()
	}
	return errs, nil
}

// inSavepoint runs fn in a savepoint of tx, rolled back to when fn fails:
// failed is fn's error; err is the savepoint's own.
func inSavepoint(ctx context.Context, tx *sql.Tx, fn func() error) (failed, err error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT op`); err != nil {
		return nil, err
	}
	if failed = fn(); failed != nil {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO op`); err != nil {
			return failed, err
		}
	}
	_, err = tx.ExecContext(ctx, `RELEASE op`)
	return failed, err
}

// opWork is what one queued transaction leaves to the writer: the jobs it
// inserts (and where), and what to run once it has committed.
type opWork struct {
	to     JobInserter
	params []river.InsertManyParams
	after  []func()
}

// committed runs the transaction's afterCommit funcs, in order.
func (o *opWork) committed() {
	for _, f := range o.after {
		f()
	}
}

type workKey struct{}

// afterCommit has the writer run f once the transaction ctx belongs to
// has committed, in the writer's goroutine, after what the transactions
// committed before it left and before any caller is answered; never when
// it does not commit. It reports false, and f never runs, outside a
// transaction of the writer (the caller must do without).
func afterCommit(ctx context.Context, f func()) bool {
	q, ok := ctx.Value(workKey{}).(*opWork)
	if ok {
		q.after = append(q.after, f)
	}
	return ok
}

// queueJob inserts p through to with the transaction ctx belongs to: when
// the writer runs it (it always does for inTx), just before the commit,
// with the jobs of the transactions committed together; otherwise at once.
func queueJob(ctx context.Context, tx *sql.Tx, to JobInserter, p river.InsertManyParams) error {
	q, ok := ctx.Value(workKey{}).(*opWork)
	if !ok || (q.to != nil && q.to != to) {
		_, err := to.InsertManyFastTx(ctx, tx, []river.InsertManyParams{p})
		return err
	}
	q.to = to
	q.params = append(q.params, p)
	return nil
}

// insertJobs inserts the jobs the transactions queued, one statement per
// inserter (there is one: the River client the stores were given).
func insertJobs(ctx context.Context, tx *sql.Tx, ops []*opWork) error {
	var (
		to     JobInserter
		params []river.InsertManyParams
	)
	flush := func() error {
		if len(params) == 0 {
			return nil
		}
		if _, err := to.InsertManyFastTx(ctx, tx, params); err != nil {
			return fmt.Errorf("insert %d jobs: %w", len(params), err)
		}
		params = params[:0]
		return nil
	}
	for _, op := range ops {
		if len(op.params) == 0 {
			continue
		}
		if op.to != to {
			if err := flush(); err != nil {
				return err
			}
			to = op.to
		}
		params = append(params, op.params...)
	}
	return flush()
}
