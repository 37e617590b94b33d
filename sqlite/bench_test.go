package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/ackscale/ackscale"
)

// BenchmarkWorkerList lists the 100 workers of a cluster, as
// DescribeClusterNodes and DescribeTaskInfo do (go test -bench).
func BenchmarkWorkerList(b *testing.B) {
	t := &testing.T{}
	bb := setup(t)
	c := bb.runningCluster(t, "c")
	task := bb.startTask(t, c, ackscale.TaskScaleOut, ackscale.ClusterScaling)
	ws := make([]ackscale.Worker, 100)
	for i := range ws {
		ws[i] = ackscale.Worker{ClusterID: c.ID, AccountID: bb.account.ID, TaskID: task.ID, ClientToken: fmt.Sprintf("%s-%d", task.ID, i),
			RegionID: "cn-hangzhou", ZoneID: "cn-hangzhou-h", VSwitchID: "vsw-1", InstanceType: "ecs.g6.large", State: ackscale.NodeInitial,
			Labels: map[string]string{"a": "1", "b": "2", "pool": "default"}, Taints: []ackscale.Taint{{Key: "k", Value: "v", Effect: "NoSchedule"}},
			Runtime: ackscale.Runtime{Name: "containerd", Version: "1.6.28"}}
	}
	if err := bb.s.Workers.WorkerInsert(bb.ctx, ws); err != nil {
		b.Fatal(err)
	}
	for _, p := range []struct {
		name   string
		p      ackscale.WorkerListParams
		cached bool
	}{
		{"cluster page", ackscale.WorkerListParams{ClusterID: c.ID, Limit: 100}, false},
		{"task", ackscale.WorkerListParams{ClusterID: c.ID, TaskID: task.ID}, false},
		{"cluster page cached", ackscale.WorkerListParams{ClusterID: c.ID, Limit: 100}, true},
	} {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				if !p.cached {
					bb.db.lists.bump() // as if a worker changed: read the database
				}
				got, total, err := bb.s.Workers.WorkerList(bb.ctx, p.p)
				if err != nil || len(got) != 100 || total != 100 {
					b.Fatal(len(got), total, err)
				}
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time the process has used: under a loaded machine
// the benchmark's wall time says little.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRiverJobs inserts River's jobs through the writer, one job per
// transaction as a transaction alone does, and sixteen per statement as
// the writer does for transactions committed together (batch.go).
func BenchmarkRiverJobs(b *testing.B) {
	ctx := context.Background()
	db := openTestDB(b)
	client, err := river.NewClient(riversqlite.New(db.SQL()), &river.Config{})
	if err != nil {
		b.Fatal(err)
	}
	task := 0
	for _, n := range []int{1, 16} {
		b.Run(fmt.Sprintf("%d per statement", n), func(b *testing.B) {
			start, jobs := cpuTime(), 0
			for b.Loop() {
				err := db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
					for range n {
						task++
						if err := queueJob(ctx, tx, client, river.InsertManyParams{Args: ackscale.TaskJob{TaskID: fmt.Sprint("t-", task)}}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				jobs += n
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(jobs), "cpu-ns/job")
		})
	}
}

// BenchmarkNonces stores 500 signature nonces a commit into a table that
// holds 200,000: as nonce_log keeps them (by expiry and hash, appended),
// and as the nonces table kept them before migration 009 (by access key
// and nonce, indexed by expiry; the table is still there, empty).
func BenchmarkNonces(b *testing.B) {
	ctx := context.Background()
	const perCommit = 500
	for _, c := range []struct {
		name  string
		store func(ctx context.Context, tx *sql.Tx, keyID string, nonces []string, exp int64) error
	}{
		{"by expiry and hash", func(ctx context.Context, tx *sql.Tx, keyID string, nonces []string, exp int64) error {
			rows := make([]nonceRow, len(nonces))
			for i, n := range nonces {
				rows[i] = nonceRow{nonceHash(keyID, n), exp}
			}
			return insertNonces(ctx, tx, rows)
		}},
		{"by access key and nonce", func(ctx context.Context, tx *sql.Tx, keyID string, nonces []string, exp int64) error {
			args := make([]any, 0, 3*len(nonces))
			for _, n := range nonces {
				args = append(args, keyID, n, exp)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO nonces (access_key_id, nonce, expires_at) VALUES `+
				strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(nonces)), ", ")+
				` ON CONFLICT (access_key_id, nonce) DO UPDATE SET expires_at = excluded.expires_at WHERE nonces.expires_at < 0`, args...)
			return err
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			db := openTestDB(b)
			exp := time.Now().Add(15 * time.Minute).UnixMilli()
			commit := func() {
				nonces := make([]string, perCommit)
				for i := range nonces {
					nonces[i] = rand.Text()
				}
				exp++ // a commit's nonces expire after the last one's
				if err := db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
					return c.store(ctx, tx, "LTAI5tBenchAccessKey", nonces, exp)
				}); err != nil {
					b.Fatal(err)
				}
			}
			for range 200_000 / perCommit {
				commit()
			}
			start := cpuTime()
			for b.Loop() {
				commit()
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N*perCommit), "cpu-ns/nonce")
		})
	}
}

// BenchmarkGroupCommit commits batches of 32 transactions of two
// statements each (an update of one of 1,000 rows, an insert), as the
// writer does under load: each in a savepoint, and one after the other
// with none (together's first try).
func BenchmarkGroupCommit(b *testing.B) {
	ctx := context.Background()
	db := openTestDB(b)
	if _, err := db.SQL().Exec(`CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
		CREATE TABLE events (id INTEGER PRIMARY KEY, counter INTEGER NOT NULL, at INTEGER NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	if _, err := db.SQL().Exec(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM s WHERE i < 1000)
		INSERT INTO counters (id, n) SELECT i, 0 FROM s`); err != nil {
		b.Fatal(err)
	}
	next := 0
	op := func() *writeOp {
		next++
		id := next%1000 + 1
		return &writeOp{ctx: ctx, fn: func(ctx context.Context, tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE counters SET n = n + 1 WHERE id = ?`, id); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO events (counter, at) VALUES (?, ?)`, id, next)
			return err
		}}
	}
	for _, savepoints := range []bool{true, false} {
		b.Run(fmt.Sprintf("savepoints=%t", savepoints), func(b *testing.B) {
			start, n := cpuTime(), 0
			for b.Loop() {
				ops := make([]*writeOp, 32)
				for i := range ops {
					ops[i] = op()
				}
				if _, err := db.w.attempt(ops, savepoints); err != nil {
					b.Fatal(err)
				}
				n += len(ops)
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(n), "cpu-ns/transaction")
		})
	}
}
