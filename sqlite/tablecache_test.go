package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// TestTableCacheKeepsNoStaleRows: rows loaded while the table changed are
// not kept; a caller mutating what it got does not change the cache.
func TestTableCacheKeepsNoStaleRows(t *testing.T) {
	var c tableCache[int]
	ctx := context.Background()
	loads := 0
	load := func(v int) func(context.Context) ([]int, error) {
		return func(context.Context) ([]int, error) { loads++; return []int{v}, nil }
	}
	got, err := c.read(ctx, func(ctx context.Context) ([]int, error) {
		c.bump() // a write committed while the rows were read
		return load(1)(ctx)
	})
	require.NoError(t, err)
	require.Equal(t, []int{1}, got)
	got, err = c.read(ctx, load(2))
	require.NoError(t, err)
	require.Equal(t, []int{2}, got, "the rows read during the write were not kept")
	got[0] = 99
	got, err = c.read(ctx, load(3))
	require.NoError(t, err)
	require.Equal(t, []int{2}, got, "kept, and a copy each time")
	require.Equal(t, 2, loads)
	c.bump()
	got, err = c.read(ctx, load(4))
	require.NoError(t, err)
	require.Equal(t, []int{4}, got)
}

// TestControlListsFollowWrites: the cached fault, quota and stock lists
// show every write as soon as it returns, firing a fault included.
func TestControlListsFollowWrites(t *testing.T) {
	b := setup(t)
	ctx, cloud := b.ctx, b.s.Cloud
	faults := func() []ackscale.Fault {
		fs, err := cloud.FaultList(ctx)
		require.NoError(t, err)
		return fs
	}
	require.Empty(t, faults())
	require.NoError(t, cloud.FaultAdd(ctx, ackscale.Fault{ID: "f1", Operation: ackscale.FaultCreate, Count: 2}))
	require.Len(t, faults(), 1)
	for want := 1; want <= 2; want++ {
		ok, err := cloud.FaultFire(ctx, "f1")
		require.NoError(t, err)
		require.True(t, ok)
		if want < 2 {
			require.Equal(t, want, faults()[0].Fired)
		}
	}
	require.Empty(t, faults(), "a fault with no firing left is not listed")
	require.NoError(t, cloud.FaultAdd(ctx, ackscale.Fault{ID: "f2", Operation: ackscale.FaultCreate}))
	require.Len(t, faults(), 1)
	require.NoError(t, cloud.FaultDelete(ctx, ""))
	require.Empty(t, faults())

	quotas := func() []ackscale.QuotaOverride {
		qs, err := cloud.QuotaList(ctx)
		require.NoError(t, err)
		return qs
	}
	require.Empty(t, quotas())
	require.NoError(t, cloud.QuotaSet(ctx, ackscale.QuotaOverride{AccountID: "*", Name: ackscale.QuotaWorkersPerCluster, Value: 3}))
	require.Equal(t, 3, quotas()[0].Value)
	require.NoError(t, cloud.QuotaSet(ctx, ackscale.QuotaOverride{AccountID: "*", Name: ackscale.QuotaWorkersPerCluster, Value: 4}))
	require.Equal(t, 4, quotas()[0].Value)
	require.NoError(t, cloud.QuotaSet(ctx, ackscale.QuotaOverride{AccountID: "*", Name: ackscale.QuotaWorkersPerCluster, Value: -1}))
	require.Empty(t, quotas())

	stock := func() []ackscale.StockOverride {
		os, err := cloud.StockList(ctx)
		require.NoError(t, err)
		return os
	}
	require.Empty(t, stock())
	require.NoError(t, cloud.StockSet(ctx, ackscale.StockOverride{ZoneID: "z", InstanceType: "t", Capacity: 5}))
	require.Equal(t, 5, stock()[0].Capacity)
	require.NoError(t, cloud.StockSet(ctx, ackscale.StockOverride{ZoneID: "z", InstanceType: "t", Capacity: -1}))
	require.Empty(t, stock())
}

// TestClusterGetFollowsWrites: the cached cluster shows every write of
// the clusters table as soon as it returns, and the account and deleted
// filters apply to a cached cluster as to a read one.
func TestClusterGetFollowsWrites(t *testing.T) {
	b := setup(t)
	get := func(p ackscale.ClusterGetParams) (ackscale.Cluster, error) { return b.s.Clusters.ClusterGet(b.ctx, p) }
	c := b.runningCluster(t, "cached")
	mine := ackscale.ClusterGetParams{ID: c.ID, AccountID: b.account.ID}
	got, err := get(mine)
	require.NoError(t, err)
	require.Equal(t, ackscale.ClusterRunning, got.State)
	_, err = get(ackscale.ClusterGetParams{ID: c.ID, AccountID: "5999999999999999"})
	require.Equal(t, ackscale.CodeClusterNotFound, ackscale.ErrorCode(err), "another account's: %v", err)

	// TaskStart and TaskFinish patch the kept row (moveCluster): it stays
	// kept, and is the row as read from the table.
	kept := func(what string) {
		t.Helper()
		cached, ok, _ := b.db.clusters.get(c.ID)
		require.True(t, ok, "%s: still kept", what)
		fresh, err := queryOne(b.ctx, b.db.read, scanCluster, func() error { return sql.ErrNoRows },
			`SELECT `+clusterColumns+` FROM clusters WHERE id = ?`, c.ID)
		require.NoError(t, err)
		require.Equal(t, fresh, cached, what)
	}
	time.Sleep(2 * time.Millisecond) // updated_at moves
	task := b.startTask(t, c, ackscale.TaskScaleOut, ackscale.ClusterScaling)
	got, err = get(mine)
	require.NoError(t, err)
	require.Equal(t, ackscale.ClusterScaling, got.State, "TaskStart")
	kept("TaskStart")
	time.Sleep(2 * time.Millisecond)
	b.succeed(t, task, ackscale.ClusterRunning)
	got, err = get(mine)
	require.NoError(t, err)
	require.Equal(t, ackscale.ClusterRunning, got.State, "TaskFinish")
	kept("TaskFinish")

	require.NoError(t, b.s.Clusters.ClusterSetAPIServer(b.ctx, ackscale.ClusterSetAPIServerParams{ID: c.ID, Endpoint: "https://127.0.0.1:1"}))
	got, err = get(mine)
	require.NoError(t, err)
	require.Equal(t, "https://127.0.0.1:1", got.APIServer, "ClusterSetAPIServer")

	spec := got.Spec
	spec.Name = "renamed"
	ended := newTask(c, ackscale.TaskModifyCluster)
	ended.State = ackscale.TaskSuccess
	require.NoError(t, b.s.Clusters.ClusterUpdate(b.ctx, ackscale.ClusterUpdateParams{ID: c.ID, AccountID: c.AccountID, Spec: spec, Task: ended}))
	got, err = get(mine)
	require.NoError(t, err)
	require.Equal(t, "renamed", got.Spec.Name, "ClusterUpdate")

	got.Spec.VSwitchIDs[0] = "changed by a caller"
	again, err := get(mine)
	require.NoError(t, err)
	require.Equal(t, []string{"vsw-1"}, again.Spec.VSwitchIDs, "each caller gets a copy")

	del := b.startTask(t, c, ackscale.TaskDeleteCluster, ackscale.ClusterDeleting)
	b.succeed(t, del, ackscale.ClusterDeleted)
	_, err = get(mine)
	require.Equal(t, ackscale.CodeClusterNotFound, ackscale.ErrorCode(err), "deleted: %v", err)
	mine.WithDeleted = true
	got, err = get(mine)
	require.NoError(t, err)
	require.Equal(t, ackscale.ClusterDeleted, got.State)
}

// TestDeepCopySharesNothing: every slice, map and pointer of what the
// caches keep, however deep, is the copy's own (a field added later that
// deepCopy or copyWorkers missed fails here).
func TestDeepCopySharesNothing(t *testing.T) {
	t.Run("Cluster", func(t *testing.T) { checkCopy(t, deepCopy[ackscale.Cluster]) })
	t.Run("NodePools", func(t *testing.T) { checkCopy(t, deepCopy[[]ackscale.NodePool]) })
	t.Run("Task", func(t *testing.T) { checkCopy(t, deepCopy[ackscale.Task]) })
	// The worker lists have a copy of their own, written out for speed
	// (a page of 100 workers is copied on every DescribeClusterNodes).
	t.Run("Workers", func(t *testing.T) { checkCopy(t, copyWorkers) })
}

func checkCopy[T any](t *testing.T, copyOf func(T) T) {
	var v T
	fill(reflect.ValueOf(&v).Elem())
	clone := copyOf(v)
	require.Equal(t, v, clone)
	requireDisjoint(t, reflect.TypeFor[T]().String(), reflect.ValueOf(v), reflect.ValueOf(clone))
}

// fill gives every slice one element, every map one entry and every
// pointer a value, recursively.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(e)
		v.SetMapIndex(k, e)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.String:
		v.SetString("x")
	}
}

// requireDisjoint fails when a and b share a slice's array, a map or a
// pointer's target anywhere.
func requireDisjoint(t *testing.T, path string, a, b reflect.Value) {
	t.Helper()
	switch a.Kind() {
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				requireDisjoint(t, path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
			}
		}
	case reflect.Slice, reflect.Map, reflect.Pointer:
		if a.IsNil() {
			return
		}
		require.NotEqual(t, a.Pointer(), b.Pointer(), "%s is shared", path)
		switch a.Kind() {
		case reflect.Slice:
			for i := range a.Len() {
				requireDisjoint(t, path+"[]", a.Index(i), b.Index(i))
			}
		case reflect.Pointer:
			requireDisjoint(t, path+"*", a.Elem(), b.Elem())
		}
	}
}

// TestWorkerCountFollowsWrites: a cluster's cached worker count stays
// kept through every write that changes it (WorkerInsert, TaskPlan,
// WorkerDelete, TaskFinish deleting the task's workers), moved by what
// the write inserted or deleted, and equal to the table's count after
// each; a write of another cluster's workers leaves it as it is.
func TestWorkerCountFollowsWrites(t *testing.T) {
	b := setup(t)
	c, other := b.runningCluster(t, "count"), b.runningCluster(t, "other")
	task := b.startTask(t, c, ackscale.TaskScaleOut, ackscale.ClusterScaling)
	otherTask := b.startTask(t, other, ackscale.TaskScaleOut, ackscale.ClusterScaling)
	n, err := b.s.Workers.WorkerCount(b.ctx, c.ID)
	require.NoError(t, err)
	require.Zero(t, n)
	plan := task
	plan.CurrentStage = ackscale.StageCreateInstances
	failed := task
	failed.State = ackscale.TaskFailed
	for _, step := range []struct {
		name  string
		write func() error
		want  int
	}{
		{"WorkerInsert", func() error { return b.s.Workers.WorkerInsert(b.ctx, []ackscale.Worker{newWorker(task, "tok-1")}) }, 1},
		{"WorkerInsert of a worker there already", func() error {
			return b.s.Workers.WorkerInsert(b.ctx, []ackscale.Worker{newWorker(task, "tok-1")})
		}, 1},
		{"TaskPlan", func() error {
			return b.s.Clusters.TaskPlan(b.ctx, ackscale.TaskPlanParams{Task: plan,
				Workers: []ackscale.Worker{newWorker(task, "tok-1"), newWorker(task, "tok-2"), newWorker(task, "tok-3")}})
		}, 3},
		{"another cluster's insert", func() error {
			return b.s.Workers.WorkerInsert(b.ctx, []ackscale.Worker{newWorker(otherTask, "o-1")})
		}, 3},
		{"WorkerUpdate", func() error {
			w := newWorker(task, "tok-1")
			w.State = ackscale.NodeStarting
			return b.s.Workers.WorkerUpdate(b.ctx, w)
		}, 3},
		{"WorkerDelete", func() error { return b.s.Workers.WorkerDelete(b.ctx, "tok-1") }, 2},
		{"WorkerDelete of a worker gone", func() error { return b.s.Workers.WorkerDelete(b.ctx, "tok-1") }, 2},
		{"TaskFinish deleting the task's workers", func() error {
			return b.s.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: failed, ClusterState: ackscale.ClusterRunning,
				DeleteWorkers: true})
		}, 0},
	} {
		require.NoError(t, step.write(), step.name)
		kept, ok, _ := b.db.lists.get(countKey(c.ID))
		require.True(t, ok, "%s: the count stays kept", step.name)
		require.Equal(t, step.want, kept.total, step.name)
		var table int
		require.NoError(t, b.db.read.QueryRow(`SELECT count(*) FROM workers WHERE cluster_id = ?`, c.ID).Scan(&table))
		require.Equal(t, table, kept.total, "%s: the kept count is the table's", step.name)
	}
}

// TestWorkerListsDroppedByCluster: a write of one cluster's workers drops
// that cluster's cached lists once it has committed (its count stays,
// moved: TestWorkerCountFollowsWrites), and keeps the other clusters':
// each write (insert, update, delete, TaskStart marking one removing) is
// seen by a's next read, and b's stay kept.
func TestWorkerListsDroppedByCluster(t *testing.T) {
	b := setup(t)
	a, other := b.runningCluster(t, "a"), b.runningCluster(t, "b")
	taskA := b.startTask(t, a, ackscale.TaskScaleOut, ackscale.ClusterScaling)
	taskB := b.startTask(t, other, ackscale.TaskScaleOut, ackscale.ClusterScaling)
	require.NoError(t, b.s.Workers.WorkerInsert(b.ctx, []ackscale.Worker{newWorker(taskA, "a-1"), newWorker(taskB, "b-1")}))
	list := func(c ackscale.Cluster) []ackscale.Worker {
		t.Helper()
		ws, _, err := b.s.Workers.WorkerList(b.ctx, ackscale.WorkerListParams{ClusterID: c.ID})
		require.NoError(t, err)
		n, err := b.s.Workers.WorkerCount(b.ctx, c.ID)
		require.NoError(t, err)
		require.Len(t, ws, n)
		return ws
	}
	listKeyOf := func(c ackscale.Cluster) string {
		key, ok := listKey(ackscale.WorkerListParams{ClusterID: c.ID})
		require.True(t, ok)
		return key
	}
	kept := func(c ackscale.Cluster) bool {
		_, list, _ := b.db.lists.get(listKeyOf(c))
		_, count, _ := b.db.lists.get(countKey(c.ID))
		require.True(t, count, "the count stays kept")
		return list
	}
	require.Len(t, list(a), 1)
	require.Len(t, list(other), 1)

	for _, write := range []struct {
		name  string
		write func() error
		want  int // a's workers after it
		state ackscale.NodeState
	}{
		{"insert", func() error { return b.s.Workers.WorkerInsert(b.ctx, []ackscale.Worker{newWorker(taskA, "a-2")}) }, 2, ackscale.NodeInitial},
		{"update", func() error {
			w := newWorker(taskA, "a-2")
			w.State, w.InstanceID = ackscale.NodeStarting, "i-a2"
			return b.s.Workers.WorkerUpdate(b.ctx, w)
		}, 2, ackscale.NodeStarting},
		{"delete", func() error { return b.s.Workers.WorkerDelete(b.ctx, "a-1") }, 1, ackscale.NodeStarting},
	} {
		require.True(t, kept(a), "%s: a's list is kept before", write.name)
		require.NoError(t, write.write(), write.name)
		require.False(t, kept(a), "%s: a's list is dropped", write.name)
		require.True(t, kept(other), "%s: b's list stays", write.name)
		got := list(a)
		require.Len(t, got, write.want, write.name)
		require.Equal(t, write.state, got[len(got)-1].State, write.name)
	}

	// TaskStart marking one of a's workers removing.
	b.succeed(t, taskA, ackscale.ClusterRunning)
	list(a)
	w := newWorker(taskA, "a-2")
	w.State, w.InstanceID = ackscale.NodeRunning, "i-a2"
	require.NoError(t, b.s.Workers.WorkerUpdate(b.ctx, w))
	require.Equal(t, ackscale.NodeRunning, list(a)[0].State)
	require.True(t, kept(a))
	removal := newTask(a, ackscale.TaskRemoveNodes)
	require.NoError(t, b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: removal, From: ackscale.ClusterRunning,
		To: ackscale.ClusterRemoving, Removing: []string{"a-2"}}))
	require.False(t, kept(a), "TaskStart marking a-2 removing")
	require.True(t, kept(other))
	require.Equal(t, ackscale.NodeRemoving, list(a)[0].State)
}

// TestKeyedCacheDrop: drop forgets one row and keeps the others; a row
// read while it was dropped is not kept, one read while another was is.
func TestKeyedCacheDrop(t *testing.T) {
	c := keyedCache[int]{clone: func(v int) int { return v }, max: 8}
	_, _, v := c.get("a")
	c.put("a", v, 1)
	_, _, v = c.get("b")
	c.put("b", v, 2)
	c.drop("a")
	_, ok, _ := c.get("a")
	require.False(t, ok, "dropped")
	got, ok, _ := c.get("b")
	require.True(t, ok, "another row stays")
	require.Equal(t, 2, got)

	_, _, v = c.get("a")
	c.drop("a") // a write of a committed while a was read
	c.put("a", v, 3)
	_, ok, _ = c.get("a")
	require.False(t, ok, "a row read during its write is not kept")

	_, _, v = c.get("a")
	c.drop("b") // a write of another row
	c.put("a", v, 4)
	got, ok, _ = c.get("a")
	require.True(t, ok, "a row read during another row's write is kept")
	require.Equal(t, 4, got)
}

// TestKeyedCacheLoadsDuringChanges: a load is not kept when, while it ran,
// a dropWhere matched its key, the whole cache was bumped, or more changes
// were made than the cache remembers; it is kept past changes of other
// rows.
func TestKeyedCacheLoadsDuringChanges(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(c *keyedCache[int])
		kept   bool
	}{
		{"dropWhere matching it", func(c *keyedCache[int]) { c.dropWhere(func(k string) bool { return k == "a" }) }, false},
		{"dropWhere of others", func(c *keyedCache[int]) { c.dropWhere(func(k string) bool { return k != "a" }) }, true},
		{"bump", func(c *keyedCache[int]) { c.bump() }, false},
		{"patch of it", func(c *keyedCache[int]) { c.patch("a", func(*int) bool { return true }) }, false},
		{"set of it", func(c *keyedCache[int]) { c.set("a", 7) }, false},
		{"set of another", func(c *keyedCache[int]) { c.set("b", 7) }, true},
		{"as many changes of others as it remembers", func(c *keyedCache[int]) {
			for i := range maxChangeLog - 1 {
				c.drop(fmt.Sprint("x", i))
			}
		}, true},
		{"more changes of others than it remembers", func(c *keyedCache[int]) {
			for i := range maxChangeLog + 1 {
				c.drop(fmt.Sprint("x", i))
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := keyedCache[int]{clone: func(v int) int { return v }, max: 8}
			c.drop("y") // the log is not empty
			_, _, v := c.get("a")
			tc.change(&c)
			c.put("a", v, 1)
			got, ok, _ := c.get("a")
			if !tc.kept && ok {
				require.NotEqual(t, 1, got, "the load must not be kept")
			}
			if tc.kept {
				require.True(t, ok, "the load must be kept")
				require.Equal(t, 1, got)
			}
			_, _, v = c.get("a") // a load that begins after the changes is kept
			c.drop("z")
			c.put("a", v, 2)
			got, ok, _ = c.get("a")
			require.True(t, ok)
			require.Equal(t, 2, got)
		})
	}
}

// TestKeyedCachePatch: patch changes a kept row in place, or forgets it
// when the change cannot follow, and leaves a row not kept absent; like
// drop, a row read meanwhile is not kept, and it counts as a change.
func TestKeyedCachePatch(t *testing.T) {
	var changes atomic.Uint64
	c := keyedCache[int]{clone: func(v int) int { return v }, max: 8, changes: &changes}
	_, _, v := c.get("a")
	c.put("a", v, 1)
	c.patch("a", func(n *int) bool { *n += 10; return true })
	got, ok, _ := c.get("a")
	require.True(t, ok, "a patched row stays")
	require.Equal(t, 11, got)
	c.patch("b", func(n *int) bool { t.Error("patched a row not kept"); return true })
	_, ok, _ = c.get("b")
	require.False(t, ok, "a row not kept is not made")

	_, _, v = c.get("b")
	c.patch("b", func(n *int) bool { *n++; return true }) // a write of b committed while b was read
	c.put("b", v, 2)
	_, ok, _ = c.get("b")
	require.False(t, ok, "a row read during its write is not kept")
	c.patch("a", func(n *int) bool { *n++; return true })
	got, _, _ = c.get("a")
	require.Equal(t, 12, got)
	c.patch("a", func(n *int) bool { return false })
	_, ok, _ = c.get("a")
	require.False(t, ok, "a row its change cannot follow is forgotten")
	require.Equal(t, uint64(5), changes.Load())
}

// TestTaskGetFollowsWrites: a cached task shows every save and finish as
// soon as it returns, and only to its account.
func TestTaskGetFollowsWrites(t *testing.T) {
	b := setup(t)
	c := b.runningCluster(t, "tasks")
	task := b.startTask(t, c, ackscale.TaskScaleOut, ackscale.ClusterScaling)
	get := func() ackscale.Task {
		t.Helper()
		got, err := b.s.Clusters.TaskGet(b.ctx, ackscale.TaskGetParams{ID: task.ID, AccountID: c.AccountID})
		require.NoError(t, err)
		return got
	}
	require.Equal(t, ackscale.TaskRunning, get().State)
	_, err := b.s.Clusters.TaskGet(b.ctx, ackscale.TaskGetParams{ID: task.ID, AccountID: "5999999999999999"})
	require.Equal(t, ackscale.CodeTaskNotFound, ackscale.ErrorCode(err), "another account's: %v", err)

	task.CurrentStage = "create_instances"
	task.Stages = []ackscale.TaskStage{{Name: "create_instances", Message: "m"}}
	require.NoError(t, b.s.Clusters.TaskSave(b.ctx, task))
	got := get()
	require.Equal(t, ackscale.Stage("create_instances"), got.CurrentStage, "TaskSave")
	got.Stages[0].Message = "changed by a caller"
	require.Equal(t, "m", get().Stages[0].Message, "each caller gets a copy")

	b.succeed(t, task, ackscale.ClusterRunning)
	require.Equal(t, ackscale.TaskSuccess, get().State, "TaskFinish")
}

// TestTaskStartKeepsTheTask: TaskStart leaves the task it inserted in the
// cache, exactly as it reads back from the table (times to the
// millisecond, empty lists as the JSON gives them), and a failed TaskStart
// leaves none.
func TestTaskStartKeepsTheTask(t *testing.T) {
	b := setup(t)
	c := b.runningCluster(t, "kept")
	now := time.Now().UTC() // not truncated: the table keeps milliseconds
	task := newTask(c, ackscale.TaskScaleOut)
	task.Created, task.Updated = now, now
	task.CurrentStage = ackscale.StageValidate
	task.Params = ackscale.TaskParams{Deadline: now.Add(time.Hour), PriorWorkers: 3, NodePoolIDs: []string{"np-1"},
		ScaleOut: &ackscale.ScaleOut{Count: 2, InstanceTypes: []string{"ecs.g6.large"}, VSwitchIDs: []string{"vsw-1"},
			Tags: []ackscale.Tag{{Key: "k", Value: "v"}}, Runtime: &ackscale.Runtime{Name: "containerd"}, TimeoutMins: 60}}
	task.Stages = []ackscale.TaskStage{{Name: ackscale.StageValidate, State: ackscale.StageSuccess, Start: now, End: now}}
	task.Events = []ackscale.TaskEvent{{Action: ackscale.StageValidate, Level: ackscale.EventNormal, Message: "accepted", Timestamp: now}}
	require.NoError(t, b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task, From: ackscale.ClusterRunning, To: ackscale.ClusterScaling}))
	cached, ok, _ := b.db.tasks.get(task.ID)
	require.True(t, ok, "kept once committed")
	fresh, err := queryOne(b.ctx, b.db.read, scanTask, func() error { return sql.ErrNoRows },
		`SELECT `+taskColumns+` FROM tasks WHERE id = ?`, task.ID)
	require.NoError(t, err)
	require.Equal(t, fresh, cached)

	bare := b.runningCluster(t, "bare") // no stages, events nor params
	plain := newTask(bare, ackscale.TaskScaleOut)
	plain.State = ""
	require.NoError(t, b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: plain, From: ackscale.ClusterRunning, To: ackscale.ClusterScaling}))
	cached, ok, _ = b.db.tasks.get(plain.ID)
	require.True(t, ok)
	fresh, err = queryOne(b.ctx, b.db.read, scanTask, func() error { return sql.ErrNoRows },
		`SELECT `+taskColumns+` FROM tasks WHERE id = ?`, plain.ID)
	require.NoError(t, err)
	require.Equal(t, fresh, cached)

	refused := newTask(c, ackscale.TaskScaleOut) // the cluster is scaling now
	err = b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: refused, From: ackscale.ClusterRunning, To: ackscale.ClusterScaling})
	require.Equal(t, ackscale.CodeClusterState, ackscale.ErrorCode(err), "%v", err)
	_, ok, _ = b.db.tasks.get(refused.ID)
	require.False(t, ok, "a task not inserted is not kept")
}

// TestNodePoolListFollowsWrites: a cluster's cached pools show a new pool,
// a pool's move and its new spec as soon as the write returns, and another
// cluster's pools stay cached.
func TestNodePoolListFollowsWrites(t *testing.T) {
	b := setup(t)
	c := b.runningCluster(t, "pools")
	other := b.runningCluster(t, "other")
	list := func(c ackscale.Cluster, name string) []ackscale.NodePool {
		t.Helper()
		pools, err := b.s.Clusters.NodePoolList(b.ctx, ackscale.NodePoolListParams{ClusterID: c.ID, Name: name})
		require.NoError(t, err)
		return pools
	}
	require.Len(t, list(c, ""), 1)
	require.Len(t, list(other, ""), 1)
	// Moves patch the cached list (poolChanged): it stays kept, and is
	// the list as read from the table.
	kept := func(what string) {
		t.Helper()
		cached, ok, _ := b.db.pools.get(c.ID)
		require.True(t, ok, "%s: still kept", what)
		fresh, err := queryAll(b.ctx, b.db.read, "list", scanPool,
			`SELECT `+poolColumns+` FROM node_pools WHERE cluster_id = ? AND state <> ?`+poolOrder, c.ID, string(ackscale.NodePoolDeleted))
		require.NoError(t, err)
		require.Equal(t, fresh, cached, what)
	}

	create := newTask(c, ackscale.TaskNodePoolCreate)
	np := ackscale.NodePool{ID: ackscale.NewNodePoolID(), ClusterID: c.ID, AccountID: c.AccountID,
		Spec: ackscale.NodePoolSpec{Name: "web", Type: ackscale.NodePoolTypeESS}}
	require.NoError(t, b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: create, NewPool: &np}))
	pools := list(c, "")
	require.Len(t, pools, 2, "TaskStart's new pool")
	require.Equal(t, create.Type.PoolStateWhile(), pools[1].State)
	require.Len(t, list(c, "web"), 1, "by name")
	require.Empty(t, list(c, "nope"))

	create.State = ackscale.TaskSuccess
	create.Params.NodePoolIDs = []string{np.ID}
	require.NoError(t, b.s.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: create, PoolState: ackscale.NodePoolActive}))
	require.Equal(t, ackscale.NodePoolActive, list(c, "web")[0].State, "TaskFinish")
	kept("TaskFinish")

	spec := np.Spec
	spec.Name, spec.DesiredSize = "api", 3
	modify := newTask(c, ackscale.TaskNodePoolUpdate)
	require.NoError(t, b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: modify,
		Pools: []ackscale.PoolMove{{ID: np.ID, From: ackscale.NodePoolActive, To: ackscale.NodePoolUpdating, Spec: &spec}}}))
	got := list(c, "api")
	require.Len(t, got, 1, "TaskStart's new spec")
	require.Equal(t, 3, got[0].Spec.DesiredSize)
	got[0].Spec.Name = "changed by a caller"
	require.Len(t, list(c, "api"), 1, "each caller gets a copy")
	require.Len(t, list(other, ""), 1)
	kept("TaskStart")

	// TaskFinish sets the desired size to the pool's workers (none).
	time.Sleep(2 * time.Millisecond)
	modify.State = ackscale.TaskSuccess
	modify.Params.NodePoolIDs = []string{np.ID}
	require.NoError(t, b.s.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: modify, PoolState: ackscale.NodePoolActive}))
	kept("TaskFinish of a new spec")
	require.Equal(t, 0, list(c, "api")[0].Spec.DesiredSize)

	// A pool deleted leaves the list: it is read again.
	del := newTask(c, ackscale.TaskNodePoolDelete)
	require.NoError(t, b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: del,
		Pools: []ackscale.PoolMove{{ID: np.ID, From: ackscale.NodePoolActive, To: ackscale.NodePoolDeleting}}}))
	kept("TaskStart of a delete")
	del.State = ackscale.TaskSuccess
	del.Params.NodePoolIDs = []string{np.ID}
	require.NoError(t, b.s.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: del, PoolState: ackscale.NodePoolDeleted}))
	_, ok, _ := b.db.pools.get(c.ID)
	require.False(t, ok, "a deleted pool's list is read again")
	require.Empty(t, list(c, "api"))
	require.Len(t, list(c, ""), 1)
}

// TestChangesMoveWithEveryWrite: DB.Changes moves once each write of a
// cluster, pool, task or worker has returned (the HTTP API keeps answers
// while it stays), and not for a signature nonce stored alone.
func TestChangesMoveWithEveryWrite(t *testing.T) {
	b := setup(t)
	last := b.db.Changes()
	moved := func(what string) {
		t.Helper()
		now := b.db.Changes()
		require.Greater(t, now, last, what)
		last = now
	}
	c, create := b.createCluster(t, "changes")
	moved("ClusterCreate")
	b.succeed(t, create, ackscale.ClusterRunning)
	moved("TaskFinish")
	task := b.startTask(t, c, ackscale.TaskScaleOut, ackscale.ClusterScaling)
	moved("TaskStart")
	task.CurrentStage = "create_instances"
	require.NoError(t, b.s.Clusters.TaskSave(b.ctx, task))
	moved("TaskSave")
	w := newWorker(task, "tok-1")
	require.NoError(t, b.s.Workers.WorkerInsert(b.ctx, []ackscale.Worker{w}))
	moved("WorkerInsert")
	w.State, w.InstanceID = ackscale.NodeStarting, "i-1"
	require.NoError(t, b.s.Workers.WorkerUpdate(b.ctx, w))
	moved("WorkerUpdate")
	require.NoError(t, b.s.Workers.WorkerDelete(b.ctx, "tok-1"))
	moved("WorkerDelete")
	require.NoError(t, b.s.Clusters.ClusterSetAPIServer(b.ctx, ackscale.ClusterSetAPIServerParams{ID: c.ID, Endpoint: "https://127.0.0.1:1"}))
	moved("ClusterSetAPIServer")
	b.succeed(t, task, ackscale.ClusterRunning)
	moved("TaskFinish")

	fresh, err := b.s.Accounts.NonceUse(b.ctx, ackscale.NonceUseParams{AccessKeyID: "LTAIKEY", Nonce: "n-1",
		Expires: time.Now().Add(time.Minute)})
	require.NoError(t, err)
	require.True(t, fresh)
	b.db.storePendingNonces()
	require.Equal(t, last, b.db.Changes(), "a nonce stored alone")
}
