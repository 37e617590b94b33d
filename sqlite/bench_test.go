package sqlite

import (
	"context"
	"database/sql"
	"fmt"
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
	db, err := Open(ctx, Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
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
