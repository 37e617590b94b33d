package sqlite

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/ackscale/ackscale"
)

// listCache keeps the last WorkerList answers of clusters, by their
// parameters. Listing a cluster's workers (DescribeClusterNodes,
// DescribeTaskInfo, the CLI's and the SDKs' polling) costs about 10 µs a
// worker in SQLite; most lists are asked again before any worker changes.
//
// It is exact, not a guess with an expiry: one process owns the database
// file (serve's lock) and every write of workers and their specs is this
// package's, which bumps version after each such write has committed
// (WorkerInsert, WorkerUpdate, WorkerDelete, and TaskStart marking workers
// removing). A list is kept only with the version read before it was
// read from the database, and is served only while the version has not
// moved: so a list that may predate a write is never served after the
// write's call returned. One version for all workers keeps that argument
// short; while workers change, lists are read from the database as
// before.
type listCache struct {
	mu      sync.Mutex
	version uint64
	lists   map[string]cachedList
}

type cachedList struct {
	version uint64
	workers []ackscale.Worker
	total   int
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

func strs[S ~string](vals []S) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	return out
}

// get returns a copy of the list kept under key, if it is current, and
// the version to put a list read now with.
func (c *listCache) get(key string) (ws []ackscale.Worker, total int, ok bool, version uint64) {
	c.mu.Lock()
	e, found := c.lists[key]
	version = c.version
	c.mu.Unlock()
	if !found || e.version != version {
		return nil, 0, false, version
	}
	return copyWorkers(e.workers), e.total, true, version
}

// put keeps a copy of a list read from the database after get returned
// version, unless workers changed meanwhile.
func (c *listCache) put(key string, version uint64, ws []ackscale.Worker, total int) {
	kept := copyWorkers(ws)
	c.mu.Lock()
	defer c.mu.Unlock()
	if version != c.version {
		return
	}
	if c.lists == nil || len(c.lists) >= maxCachedLists {
		c.lists = map[string]cachedList{}
	}
	c.lists[key] = cachedList{version: version, workers: kept, total: total}
}

// bump records that workers changed: call it once the write committed
// (or failed).
func (c *listCache) bump() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version++
	c.lists = nil
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
