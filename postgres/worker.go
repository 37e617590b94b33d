package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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

// workerSpecColumns read a worker's spec from workersWithSpecs ('null' when its
// task has none: nil labels and taints, no runtime, schedulable).
const workerSpecColumns = `coalesce(labels, 'null'), coalesce(taints, 'null'), coalesce(runtime, 'null'), coalesce(unschedulable, false)`

// workersWithSpecs joins each worker to its task's spec.
const workersWithSpecs = `workers LEFT JOIN worker_specs USING (task_id)`

// WorkerInsert records planned workers in one transaction, in plan order;
// a worker whose client token exists already is left as it is (a task
// retried after a crash, or by another replica, plans again). Labels,
// taints, runtime and the unschedulable mark are kept once per task,
// those of the first of its workers inserted.
func (s *WorkerStore) WorkerInsert(ctx context.Context, ws []ackscale.Worker) error {
	return s.db.inTx(ctx, func(tx pgx.Tx) error { return insertWorkers(ctx, tx, ws, s.db.now()) })
}

// insertWorkers is WorkerInsert's transaction.
func insertWorkers(ctx context.Context, tx pgx.Tx, ws []ackscale.Worker, now time.Time) error {
	specs := map[string]bool{} // tasks whose spec this call wrote or found
	for i, w := range ws {
		w.Created, w.Updated = orNow(w.Created, now), orNow(w.Updated, now)
		n, err := changed(ctx, tx, "insert worker "+w.ClientToken, `INSERT INTO workers (`+workerColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
			ON CONFLICT (client_token) DO NOTHING`, workerArgs(w, i)...)
		if err != nil {
			return err
		}
		if n == 0 || specs[w.TaskID] {
			continue
		}
		specs[w.TaskID] = true
		if err := insertSpec(ctx, tx, w); err != nil {
			return err
		}
	}
	return nil
}

// insertSpec keeps w's labels, taints, runtime and unschedulable mark as
// its task's, unless the task has them already.
func insertSpec(ctx context.Context, tx pgx.Tx, w ackscale.Worker) error {
	labels, taints, runtime, err := encodeSpec(w)
	if err != nil {
		return err
	}
	return exec(ctx, tx, "insert spec of task "+w.TaskID, `INSERT INTO worker_specs (task_id, labels, taints, runtime, unschedulable)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (task_id) DO NOTHING`, w.TaskID, labels, taints, runtime, w.Unschedulable)
}

// WorkerUpdate writes a worker's changing fields: instance, IP, node name
// and hostname, placement (zone, vSwitch, instance type, image: the cloud
// may pick another candidate), state, status and error; its labels,
// taints and runtime are its task's and stay. CodeNodeNotFound when there
// is no worker with its client token; a *TransitionError when its state
// may not move to w.State.
func (s *WorkerStore) WorkerUpdate(ctx context.Context, w ackscale.Worker) error {
	f := filter{}
	set := fmt.Sprintf(`instance_id = %s, node_name = %s, hostname = %s, ip = %s, zone_id = %s, vswitch_id = %s,
		instance_type = %s, image_id = %s, state = %s, node_status = %s, error_message = %s, updated_at = %s`,
		f.arg(w.InstanceID), f.arg(w.NodeName), f.arg(w.Hostname), f.arg(w.IP), f.arg(w.ZoneID), f.arg(w.VSwitchID),
		f.arg(w.InstanceType), f.arg(w.ImageID), f.arg(string(w.State)), f.arg(string(w.NodeStatus)), f.arg(w.ErrorMessage),
		f.arg(ms(s.db.now())))
	f.add("client_token = " + f.arg(w.ClientToken))
	f.add(anyOf(&f, "state", w.State.Before()))
	return s.db.inTx(ctx, func(tx pgx.Tx) error {
		unchanged := func() error {
			return workerRows.unchanged(ctx, tx, w.ClientToken, string(w.State), workerNotFound(w.ClientToken))
		}
		return updateOne(ctx, tx, "update worker "+w.ClientToken, unchanged, `UPDATE workers SET `+set+f.sql(), f.args...)
	})
}

func workerNotFound(clientToken string) error {
	return ackscale.Errorf(ackscale.CodeNodeNotFound, "node with client token %s not found", clientToken)
}

// WorkerDelete forgets a worker (after its instance was released or
// kept); deleting one that is gone is not an error.
func (s *WorkerStore) WorkerDelete(ctx context.Context, clientToken string) error {
	return exec(ctx, s.db.pool, "delete worker "+clientToken, `DELETE FROM workers WHERE client_token = $1`, clientToken)
}

// WorkerList returns workers oldest first, in plan order within a task,
// and the count before paging. Empty filters match all (ClusterID "":
// every cluster).
func (s *WorkerStore) WorkerList(ctx context.Context, p ackscale.WorkerListParams) ([]ackscale.Worker, int, error) {
	f := filter{}
	f.eq("cluster_id", p.ClusterID)
	f.eq("nodepool_id", p.NodePoolID)
	f.eq("task_id", p.TaskID)
	oneOf(&f, "state", p.States)
	oneOf(&f, "instance_id", p.InstanceIDs)
	oneOf(&f, "node_name", p.NodeNames)
	oneOf(&f, "client_token", p.ClientTokens)
	return queryPage(ctx, s.db.pool, scanWorker, "workers", workerColumns+", "+workerSpecColumns, workersWithSpecs, f,
		"created_at, task_id, seq, client_token", p.Offset, p.Limit)
}

// WorkerCount counts a cluster's workers in any state.
func (s *WorkerStore) WorkerCount(ctx context.Context, clusterID string) (int, error) {
	return queryCount(ctx, s.db.pool, "count workers", `SELECT count(*) FROM workers WHERE cluster_id = $1`, clusterID)
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
	return queryAll(ctx, s.db.pool, "count workers", scan, `SELECT nodepool_id, state, node_status, count(*) FROM workers
		WHERE cluster_id = $1 GROUP BY nodepool_id, state, node_status ORDER BY nodepool_id, state, node_status`, clusterID)
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

// scanWorker reads workerColumns and workerSpecColumns.
func scanWorker(r scanner) (ackscale.Worker, error) {
	var w ackscale.Worker
	var state, status, labels, taints, runtime string
	var seq, created, updated int64
	err := r.Scan(&w.ClientToken, &w.ClusterID, &w.NodePoolID, &w.AccountID, &w.TaskID, &w.InstanceID, &w.NodeName, &w.Hostname,
		&w.IP, &w.RegionID, &w.ZoneID, &w.VSwitchID, &w.InstanceType, &w.ImageID, &w.ChargeType, &state, &status,
		&w.ErrorMessage, &w.SystemDiskGiB, &w.EdgeWorker, &seq, &created, &updated, &labels, &taints, &runtime, &w.Unschedulable)
	if err != nil {
		return w, fmt.Errorf("scan worker: %w", err)
	}
	err = errors.Join(json.Unmarshal([]byte(labels), &w.Labels), json.Unmarshal([]byte(taints), &w.Taints),
		json.Unmarshal([]byte(runtime), &w.Runtime))
	if err != nil {
		return w, fmt.Errorf("decode worker: %w", err)
	}
	w.State, w.NodeStatus = ackscale.NodeState(state), ackscale.NodeStatus(status)
	w.Created, w.Updated = fromMS(created), fromMS(updated)
	return w, nil
}
