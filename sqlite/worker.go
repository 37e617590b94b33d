package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/ackscale/ackscale"
)

// WorkerStore keeps the workers of clusters, one per instance asked of the
// cloud, keyed by the client token of that call.
type WorkerStore struct{ db *DB }

var _ ackscale.WorkerStore = (*WorkerStore)(nil)

// NewWorkerStore returns the worker store of db.
func NewWorkerStore(db *DB) *WorkerStore { return &WorkerStore{db: db} }

// workerColumns are the columns of a worker row; a worker's labels,
// taints, runtime and unschedulable mark are its task's, in worker_specs.
const workerColumns = `client_token, cluster_id, nodepool_id, account_id, task_id, instance_id, node_name, hostname, ip, region_id,
	zone_id, vswitch_id, instance_type, image_id, charge_type, state, node_status, error_message, system_disk_gib, edge_worker,
	seq, created_at, updated_at`

// workerSpec is a task's labels, taints, runtime and unschedulable mark,
// which every worker of the task reads back.
type workerSpec struct {
	labels        map[string]string
	taints        []ackscale.Taint
	runtime       ackscale.Runtime
	unschedulable bool
}

// apply gives w the spec, with maps and slices of its own.
func (sp workerSpec) apply(w *ackscale.Worker) {
	w.Labels, w.Taints = maps.Clone(sp.labels), slices.Clone(sp.taints)
	w.Runtime, w.Unschedulable = sp.runtime, sp.unschedulable
}

// WorkerInsert records planned workers in one transaction, in plan order;
// a worker whose client token exists already is left as it is (a task
// retried after a crash plans again). Labels, taints, runtime and the
// unschedulable mark are kept once per task, those of the first of its
// workers inserted.
func (s *WorkerStore) WorkerInsert(ctx context.Context, ws []ackscale.Worker) error {
	return s.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error { return s.db.insertWorkers(ctx, tx, ws) })
}

// insertWorkers is WorkerInsert's transaction.
func (db *DB) insertWorkers(ctx context.Context, tx *sql.Tx, ws []ackscale.Worker) error {
	now := db.now()
	specs := map[string]bool{} // tasks whose spec this call wrote or found
	added := map[string]int{}  // workers inserted, by cluster
	for i, w := range ws {
		w.Created, w.Updated = orNow(w.Created, now), orNow(w.Updated, now)
		n, err := changed(ctx, tx, "insert worker "+w.ClientToken, `INSERT INTO workers (`+workerColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (client_token) DO NOTHING`, workerArgs(w, i)...)
		if err != nil {
			return err
		}
		added[w.ClusterID] += int(n)
		if n == 0 || specs[w.TaskID] {
			continue
		}
		specs[w.TaskID] = true
		if err := insertSpec(ctx, tx, w); err != nil {
			return err
		}
	}
	for id, n := range added { // the clusters' caches are apart: any order
		if err := db.workersChanged(ctx, id, n); err != nil {
			return err
		}
	}
	return nil
}

// insertSpec keeps w's labels, taints, runtime and unschedulable mark as
// its task's, unless the task has them already.
func insertSpec(ctx context.Context, tx *sql.Tx, w ackscale.Worker) error {
	labels, taints, runtime, err := encodeSpec(w)
	if err != nil {
		return err
	}
	return exec(ctx, tx, "insert spec of task "+w.TaskID, `INSERT INTO worker_specs (task_id, labels, taints, runtime, unschedulable)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (task_id) DO NOTHING`, w.TaskID, labels, taints, runtime, w.Unschedulable)
}

// WorkerUpdate writes a worker's changing fields: instance, IP, node name
// and hostname, placement (zone, vSwitch, instance type, image: the cloud
// may pick another candidate), state, status and error; its labels,
// taints and runtime are its task's and stay. CodeNodeNotFound when there
// is no worker with its client token; a *TransitionError when its state
// may not move to w.State.
func (s *WorkerStore) WorkerUpdate(ctx context.Context, w ackscale.Worker) error {
	cond, args := in("state", w.State.Before())
	return s.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		unchanged := func() error {
			return workerRows.unchanged(ctx, tx, w.ClientToken, string(w.State), workerNotFound(w.ClientToken))
		}
		var cluster string
		found, err := updateReturning(ctx, tx, "update worker "+w.ClientToken, unchanged,
			`UPDATE workers SET instance_id = ?, node_name = ?, hostname = ?, ip = ?, zone_id = ?,
			vswitch_id = ?, instance_type = ?, image_id = ?, state = ?, node_status = ?, error_message = ?,
			updated_at = ? WHERE client_token = ? AND `+cond+` RETURNING cluster_id`,
			append([]any{w.InstanceID, w.NodeName, w.Hostname, w.IP, w.ZoneID, w.VSwitchID, w.InstanceType, w.ImageID,
				string(w.State), string(w.NodeStatus), w.ErrorMessage, ms(s.db.now()), w.ClientToken}, args...), &cluster)
		if err != nil || !found {
			return err
		}
		return s.db.workersChanged(ctx, cluster, 0)
	})
}

func workerNotFound(clientToken string) error {
	return ackscale.Errorf(ackscale.CodeNodeNotFound, "node with client token %s not found", clientToken)
}

// WorkerDelete forgets a worker (after its instance was released or
// kept); deleting one that is gone is not an error.
func (s *WorkerStore) WorkerDelete(ctx context.Context, clientToken string) error {
	return s.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error { // committed with the others waiting
		var cluster string
		found, err := updateReturning(ctx, tx, "delete worker "+clientToken, nil,
			`DELETE FROM workers WHERE client_token = ? RETURNING cluster_id`, []any{clientToken}, &cluster)
		if err != nil || !found {
			return err
		}
		return s.db.workersChanged(ctx, cluster, -1)
	})
}

// WorkerList returns workers oldest first, in plan order within a task,
// and the count before paging. Empty filters match all (ClusterID "":
// every cluster).
//
// The page is read off the index workers_cluster (or workers_task) in its
// order; the specs of its tasks (usually one) are read after it, each
// decoded once and copied to its workers: not three JSON documents per
// worker. A cluster's lists are kept until a worker changes (workercache.go).
func (s *WorkerStore) WorkerList(ctx context.Context, p ackscale.WorkerListParams) ([]ackscale.Worker, int, error) {
	f := filter{}
	f.eq("cluster_id", p.ClusterID)
	f.eq("nodepool_id", p.NodePoolID)
	f.eq("task_id", p.TaskID)
	oneOf(&f, "state", p.States)
	oneOf(&f, "instance_id", p.InstanceIDs)
	oneOf(&f, "node_name", p.NodeNames)
	oneOf(&f, "client_token", p.ClientTokens)
	load := func() (workerList, error) {
		ws, total, err := queryPage(ctx, s.db.read, scanWorker, "workers", workerColumns, "workers", f,
			"created_at, task_id, seq, client_token", p.Offset, p.Limit)
		if err == nil {
			err = s.withSpecs(ctx, ws)
		}
		return workerList{ws, total}, err
	}
	var l workerList
	var err error
	if key, cached := listKey(p); cached {
		l, err = s.db.lists.read(key, load)
	} else {
		l, err = load()
	}
	if err != nil {
		return nil, 0, err
	}
	return l.workers, l.total, nil
}

// withSpecs gives workers their tasks' specs. A spec is written with the
// first worker of its task and never changes, so reading it after the
// workers reads what they were planned with.
func (s *WorkerStore) withSpecs(ctx context.Context, ws []ackscale.Worker) error {
	var tasks []string
	seen := map[string]bool{}
	for _, w := range ws {
		if !seen[w.TaskID] {
			seen[w.TaskID] = true
			tasks = append(tasks, w.TaskID)
		}
	}
	if len(tasks) == 0 {
		return nil
	}
	cond, args := in("task_id", tasks)
	specs := make(map[string]workerSpec, len(tasks))
	_, err := queryAll(ctx, s.db.read, "read worker specs", func(r scanner) (struct{}, error) {
		var taskID, labels, taints, runtime string
		var sp workerSpec
		if err := r.Scan(&taskID, &labels, &taints, &runtime, &sp.unschedulable); err != nil {
			return struct{}{}, fmt.Errorf("scan worker spec: %w", err)
		}
		err := errors.Join(json.Unmarshal([]byte(labels), &sp.labels), json.Unmarshal([]byte(taints), &sp.taints),
			json.Unmarshal([]byte(runtime), &sp.runtime))
		if err != nil {
			return struct{}{}, fmt.Errorf("decode worker spec of task %s: %w", taskID, err)
		}
		specs[taskID] = sp
		return struct{}{}, nil
	}, `SELECT task_id, labels, taints, runtime, unschedulable FROM worker_specs WHERE `+cond, args...)
	if err != nil {
		return err
	}
	for i := range ws {
		specs[ws[i].TaskID].apply(&ws[i]) // a task without a spec: nil labels and taints, no runtime, schedulable
	}
	return nil
}

// WorkerCount counts a cluster's workers in any state.
func (s *WorkerStore) WorkerCount(ctx context.Context, clusterID string) (int, error) {
	l, err := s.db.lists.read(countKey(clusterID), func() (workerList, error) {
		n, err := queryCount(ctx, s.db.read, "count workers", `SELECT count(*) FROM workers WHERE cluster_id = ?`, clusterID)
		return workerList{total: n}, err
	})
	return l.total, err
}

// WorkerCounts counts a cluster's workers by pool, state and Node status:
// the combinations that have workers, in that order.
func (s *WorkerStore) WorkerCounts(ctx context.Context, clusterID string) ([]ackscale.WorkerCount, error) {
	scan := func(r scanner) (ackscale.WorkerCount, error) {
		var c ackscale.WorkerCount
		var state, status string
		if err := r.Scan(&c.NodePoolID, &state, &status, &c.Count); err != nil {
			return c, fmt.Errorf("scan worker count: %w", err)
		}
		c.State, c.NodeStatus = ackscale.NodeState(state), ackscale.NodeStatus(status)
		return c, nil
	}
	return queryAll(ctx, s.db.read, "count workers", scan, `SELECT nodepool_id, state, node_status, count(*) FROM workers
		WHERE cluster_id = ? GROUP BY nodepool_id, state, node_status ORDER BY nodepool_id, state, node_status`, clusterID)
}

// encodeSpec encodes a worker's labels, taints and runtime, its task's.
func encodeSpec(w ackscale.Worker) (labels, taints, runtime string, err error) {
	l, err1 := json.Marshal(w.Labels)
	t, err2 := json.Marshal(nonNil(w.Taints))
	r, err3 := json.Marshal(w.Runtime)
	if err := errors.Join(err1, err2, err3); err != nil {
		return "", "", "", fmt.Errorf("encode worker spec: %w", err)
	}
	return string(l), string(t), string(r), nil
}

// workerArgs are the values of workerColumns for w, planned seq-th.
func workerArgs(w ackscale.Worker, seq int) []any {
	return []any{w.ClientToken, w.ClusterID, w.NodePoolID, w.AccountID, w.TaskID, w.InstanceID, w.NodeName, w.Hostname, w.IP,
		w.RegionID, w.ZoneID, w.VSwitchID, w.InstanceType, w.ImageID, w.ChargeType, string(w.State), string(w.NodeStatus),
		w.ErrorMessage, w.SystemDiskGiB, w.EdgeWorker, seq, ms(w.Created), ms(w.Updated)}
}

// scanWorker reads workerColumns.
func scanWorker(r scanner) (ackscale.Worker, error) {
	var w ackscale.Worker
	var state, status string
	var disk, seq, created, updated int64
	err := r.Scan(&w.ClientToken, &w.ClusterID, &w.NodePoolID, &w.AccountID, &w.TaskID, &w.InstanceID, &w.NodeName, &w.Hostname,
		&w.IP, &w.RegionID, &w.ZoneID, &w.VSwitchID, &w.InstanceType, &w.ImageID, &w.ChargeType, &state, &status,
		&w.ErrorMessage, &disk, &w.EdgeWorker, &seq, &created, &updated)
	if err != nil {
		return w, fmt.Errorf("scan worker: %w", err)
	}
	w.State, w.NodeStatus = ackscale.NodeState(state), ackscale.NodeStatus(status)
	w.SystemDiskGiB = int(disk)
	w.Created, w.Updated = fromMS(created), fromMS(updated)
	return w, nil
}
