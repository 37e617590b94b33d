package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ackscale/ackscale"
)

// WorkerStore keeps the workers of clusters, one per instance asked of the
// cloud, keyed by the client token of that call.
type WorkerStore struct{ db *DB }

var _ ackscale.WorkerStore = (*WorkerStore)(nil)

// NewWorkerStore returns the worker store of db.
func NewWorkerStore(db *DB) *WorkerStore { return &WorkerStore{db: db} }

const workerColumns = `client_token, cluster_id, account_id, task_id, instance_id, node_name, hostname, ip, region_id, zone_id,
	vswitch_id, instance_type, image_id, charge_type, state, node_status, error_message, labels, taints, runtime,
	system_disk_gib, edge_worker, seq, created_at, updated_at`

// WorkerInsert records planned workers in one transaction, in plan order;
// a worker whose client token exists already is left as it is (a task
// retried after a crash plans again).
func (s *WorkerStore) WorkerInsert(ctx context.Context, ws []ackscale.Worker) error {
	return s.db.inTx(ctx, func(tx *sql.Tx) error {
		now := s.db.now()
		for i, w := range ws {
			w.Created, w.Updated = orNow(w.Created, now), orNow(w.Updated, now)
			args, err := workerArgs(w, i)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO workers (`+workerColumns+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (client_token) DO NOTHING`, args...); err != nil {
				return insertError(err, "worker "+w.ClientToken)
			}
		}
		return nil
	})
}

// WorkerUpdate writes a worker's changing fields: instance, IP, node name
// and hostname, placement (zone, vSwitch, instance type, image: the cloud
// may pick another candidate), state, status, error, labels, taints and
// runtime. CodeNodeNotFound when there is no worker with its client
// token; a *TransitionError when its state may not move to w.State.
func (s *WorkerStore) WorkerUpdate(ctx context.Context, w ackscale.Worker) error {
	labels, taints, runtime, err := encodeWorker(w)
	if err != nil {
		return err
	}
	cond, args := in("state", w.State.Before())
	return s.db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE workers SET instance_id = ?, node_name = ?, hostname = ?, ip = ?, zone_id = ?,
			vswitch_id = ?, instance_type = ?, image_id = ?, state = ?, node_status = ?, error_message = ?, labels = ?, taints = ?,
			runtime = ?, updated_at = ? WHERE client_token = ? AND `+cond,
			append([]any{w.InstanceID, w.NodeName, w.Hostname, w.IP, w.ZoneID, w.VSwitchID, w.InstanceType, w.ImageID,
				string(w.State), string(w.NodeStatus), w.ErrorMessage, labels, taints, runtime, ms(s.db.now()), w.ClientToken}, args...)...)
		if err != nil {
			return fmt.Errorf("update worker %s: %w", w.ClientToken, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("update worker %s: %w", w.ClientToken, err)
		} else if n == 0 {
			return workerRows.unchanged(ctx, tx, w.ClientToken, string(w.State), workerNotFound(w.ClientToken))
		}
		return nil
	})
}

func workerNotFound(clientToken string) error {
	return ackscale.Errorf(ackscale.CodeNodeNotFound, "node with client token %s not found", clientToken)
}

// WorkerDelete forgets a worker (after its instance was released or
// kept); deleting one that is gone is not an error.
func (s *WorkerStore) WorkerDelete(ctx context.Context, clientToken string) error {
	if _, err := s.db.db.ExecContext(ctx, `DELETE FROM workers WHERE client_token = ?`, clientToken); err != nil {
		return fmt.Errorf("delete worker %s: %w", clientToken, err)
	}
	return nil
}

// WorkerList returns workers oldest first, in plan order within a task,
// and the count before paging. Empty filters match all (ClusterID "":
// every cluster).
func (s *WorkerStore) WorkerList(ctx context.Context, p ackscale.WorkerListParams) ([]ackscale.Worker, int, error) {
	f := filter{}
	f.eq("cluster_id", p.ClusterID)
	f.eq("task_id", p.TaskID)
	oneOf(&f, "state", p.States)
	oneOf(&f, "instance_id", p.InstanceIDs)
	oneOf(&f, "node_name", p.NodeNames)
	oneOf(&f, "client_token", p.ClientTokens)
	var total int
	if err := s.db.db.QueryRowContext(ctx, `SELECT count(*) FROM workers`+f.sql(), f.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count workers: %w", err)
	}
	rows, err := s.db.db.QueryContext(ctx, `SELECT `+workerColumns+` FROM workers`+f.sql()+
		` ORDER BY created_at, task_id, seq, client_token LIMIT ? OFFSET ?`, append(f.args, page(p.Offset, p.Limit)...)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list workers: %w", err)
	}
	defer rows.Close()
	var out []ackscale.Worker
	for rows.Next() {
		w, err := scanWorker(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list workers: %w", err)
	}
	return out, total, nil
}

// WorkerCount counts a cluster's workers in any state.
func (s *WorkerStore) WorkerCount(ctx context.Context, clusterID string) (int, error) {
	var n int
	if err := s.db.db.QueryRowContext(ctx, `SELECT count(*) FROM workers WHERE cluster_id = ?`, clusterID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count workers: %w", err)
	}
	return n, nil
}

func encodeWorker(w ackscale.Worker) (labels, taints, runtime string, err error) {
	l, err1 := json.Marshal(w.Labels)
	t, err2 := json.Marshal(nonNil(w.Taints))
	r, err3 := json.Marshal(w.Runtime)
	if err := errors.Join(err1, err2, err3); err != nil {
		return "", "", "", fmt.Errorf("encode worker: %w", err)
	}
	return string(l), string(t), string(r), nil
}

func workerArgs(w ackscale.Worker, seq int) ([]any, error) {
	labels, taints, runtime, err := encodeWorker(w)
	if err != nil {
		return nil, err
	}
	return []any{w.ClientToken, w.ClusterID, w.AccountID, w.TaskID, w.InstanceID, w.NodeName, w.Hostname, w.IP,
		w.RegionID, w.ZoneID, w.VSwitchID, w.InstanceType, w.ImageID, w.ChargeType, string(w.State), string(w.NodeStatus),
		w.ErrorMessage, labels, taints, runtime, w.SystemDiskGiB, w.EdgeWorker, seq, ms(w.Created), ms(w.Updated)}, nil
}

func scanWorker(r scanner) (ackscale.Worker, error) {
	var w ackscale.Worker
	var state, status, labels, taints, runtime string
	var seq, created, updated int64
	err := r.Scan(&w.ClientToken, &w.ClusterID, &w.AccountID, &w.TaskID, &w.InstanceID, &w.NodeName, &w.Hostname, &w.IP,
		&w.RegionID, &w.ZoneID, &w.VSwitchID, &w.InstanceType, &w.ImageID, &w.ChargeType, &state, &status,
		&w.ErrorMessage, &labels, &taints, &runtime, &w.SystemDiskGiB, &w.EdgeWorker, &seq, &created, &updated)
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
