package sqlite

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/ackscale/ackscale"
)

// The worker-list cache (DB.lists, a keyedCache) keeps the last
// WorkerList answers of clusters, by their parameters, and clusters'
// worker counts. Listing a cluster's workers (DescribeClusterNodes,
// DescribeTaskInfo, the CLI's and the SDKs' polling) costs about 10 µs a
// worker in SQLite; most lists are asked again before any worker changes.
//
// It is exact, not a guess with an expiry: one process owns the database
// file (serve's lock) and every write of workers is this package's, which
// drops the lists of the clusters whose workers it changed, and moves
// their counts, once it has committed, in commit order (workersChanged:
// WorkerInsert and TaskPlan, WorkerUpdate, WorkerDelete and TaskFinish
// deleting a task's workers, TaskStart marking workers removing). A
// worker never moves to another cluster, a list of one cluster holds only
// its workers, and a task's spec (worker_specs) never changes once
// written: so a write of one cluster's workers leaves the other clusters'
// lists exact, and they stay kept while it scales.

// workerList is a WorkerList answer: a page of workers and the count
// before paging.
type workerList struct {
	workers []ackscale.Worker
	total   int
}

// copyList copies a list with workers of its own (keyedCache.clone).
func copyList(l workerList) workerList {
	return workerList{workers: copyWorkers(l.workers), total: l.total}
}

// maxCachedLists bounds the lists kept; past it the cache starts over.
const maxCachedLists = 512

// listKey is the cache key of p; ok is false for a list that is not
// cached (of every cluster).
func listKey(p ackscale.WorkerListParams) (key string, ok bool) {
	if p.ClusterID == "" {
		return "", false
	}
	var b strings.Builder
	for _, s := range []string{p.ClusterID, p.NodePoolID, p.TaskID, strconv.Itoa(p.Offset), strconv.Itoa(p.Limit)} {
		b.WriteString(s)
		b.WriteByte(0)
	}
	for _, list := range [][]string{strs(p.States), p.InstanceIDs, p.NodeNames, p.ClientTokens} {
		for _, s := range list {
			b.WriteString(s)
			b.WriteByte(1)
		}
		b.WriteByte(0)
	}
	return b.String(), true
}

// countKey is the cache key of a cluster's worker count (WorkerCount),
// kept as a list of no workers and that total. It starts with a byte no
// cluster id has, so it is never a list's key.
func countKey(clusterID string) string { return "\x02count\x00" + clusterID }

// listsOf reports whether key is the cache key of one of the cluster's
// lists (not its count).
func listsOf(clusterID string) func(key string) bool {
	lists := clusterID + "\x00"
	return func(key string) bool { return strings.HasPrefix(key, lists) }
}

// workersChanged has the writer drop the cached lists of a cluster whose
// workers the transaction of ctx changed, once it has committed, in
// commit order, and move its cached count by added (the workers it
// inserted less those it deleted): the count stays kept through the
// writes that change it.
func (db *DB) workersChanged(ctx context.Context, clusterID string, added int) error {
	changed := func() {
		db.lists.dropWhere(listsOf(clusterID))
		if added != 0 {
			db.lists.patch(countKey(clusterID), func(l *workerList) bool {
				l.total += added
				return true
			})
		}
	}
	if !afterCommit(ctx, changed) {
		return errors.New("write workers: not in a transaction of the writer")
	}
	return nil
}

func strs[S ~string](vals []S) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	return out
}

// copyWorkers copies workers with maps and slices of their own.
func copyWorkers(ws []ackscale.Worker) []ackscale.Worker {
	if ws == nil {
		return nil
	}
	out := slices.Clone(ws)
	for i := range out {
		out[i].Labels, out[i].Taints = maps.Clone(out[i].Labels), slices.Clone(out[i].Taints)
	}
	return out
}
