package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ackscale/ackscale"
)

const workerColumns = `client_token, cluster_id, account_id, task_id, instance_id, node_name, hostname, ip, region_id, zone_id,
	vswitch_id, instance_type, image_id, charge_type, state, node_status, error_message, labels, taints, runtime,
	system_disk_gib, edge_worker, seq, created_at, updated_at`

// WorkersInsert records planned workers; a worker whose client token exists
// already is left as it is (a task retried after a crash plans again).
func (s *Store) WorkersInsert(ctx context.Context, ws []ackscale.Worker) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for i, w := range ws {
			args, err := workerArgs(w, i)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO workers (`+workerColumns+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (client_token) DO NOTHING`, args...); err != nil {
				return fmt.Errorf("insert worker: %w", err)
			}
		}
		return nil
	})
}

// WorkerSave writes a worker's changing fields.
func (s *Store) WorkerSave(ctx context.Context, w ackscale.Worker) error {
	labels, taints, runtime, err := encodeWorker(w)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `UPDATE workers SET instance_id = ?, node_name = ?, hostname = ?, ip = ?, zone_id = ?,
		vswitch_id = ?, instance_type = ?, image_id = ?, state = ?, node_status = ?, error_message = ?, labels = ?, taints = ?, runtime = ?, updated_at = ?
		WHERE client_token = ?`,
		w.InstanceID, w.NodeName, w.Hostname, w.IP, w.ZoneID, w.VSwitchID, w.InstanceType, w.ImageID, w.State, w.NodeStatus,
		w.ErrorMessage, labels, taints, runtime, ms(s.now()), w.ClientToken)
	if err != nil {
		return fmt.Errorf("save worker: %w", err)
	}
	return nil
}

// WorkerDelete forgets a worker (after its instance was released or kept).
func (s *Store) WorkerDelete(ctx context.Context, clientToken string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM workers WHERE client_token = ?`, clientToken); err != nil {
		return fmt.Errorf("delete worker: %w", err)
	}
	return nil
}

// WorkersByTask returns the workers a task created, in plan order.
func (s *Store) WorkersByTask(ctx context.Context, taskID string) ([]ackscale.Worker, error) {
	return s.queryWorkers(ctx, `SELECT `+workerColumns+` FROM workers WHERE task_id = ? ORDER BY seq`, taskID)
}

// WorkersByCluster returns a cluster's workers, oldest first, and the total
// count before paging.
func (s *Store) WorkersByCluster(ctx context.Context, p ackscale.WorkerListParams) ([]ackscale.Worker, int, error) {
	where := []string{"cluster_id = ?"}
	args := []any{p.ClusterID}
	if p.State != "" && p.State != "all" {
		where = append(where, "state = ?")
		args = append(args, p.State)
	}
	where, args = inList(where, args, "instance_id", p.InstanceIDs)
	where, args = inList(where, args, "node_name", p.NodeNames)
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM workers WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count workers: %w", err)
	}
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	ws, err := s.queryWorkers(ctx, `SELECT `+workerColumns+` FROM workers WHERE `+cond+` ORDER BY created_at, seq LIMIT ? OFFSET ?`,
		append(args, limit, p.Offset)...)
	return ws, total, err
}

func inList(where []string, args []any, col string, vals []string) ([]string, []any) {
	if len(vals) == 0 {
		return where, args
	}
	where = append(where, col+" IN ("+strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",")+")")
	for _, v := range vals {
		args = append(args, v)
	}
	return where, args
}

// WorkersCount counts a cluster's workers in any state.
func (s *Store) WorkersCount(ctx context.Context, clusterID string) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM workers WHERE cluster_id = ?`, clusterID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count workers: %w", err)
	}
	return n, nil
}

func (s *Store) queryWorkers(ctx context.Context, query string, args ...any) ([]ackscale.Worker, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query workers: %w", err)
	}
	defer rows.Close()
	var out []ackscale.Worker
	for rows.Next() {
		w, err := scanWorker(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
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
		w.RegionID, w.ZoneID, w.VSwitchID, w.InstanceType, w.ImageID, w.ChargeType, w.State, w.NodeStatus,
		w.ErrorMessage, labels, taints, runtime, w.SystemDiskGiB, w.EdgeWorker, seq, ms(w.Created), ms(w.Updated)}, nil
}

func scanWorker(r scanner) (ackscale.Worker, error) {
	var w ackscale.Worker
	var labels, taints, runtime string
	var seq, created, updated int64
	err := r.Scan(&w.ClientToken, &w.ClusterID, &w.AccountID, &w.TaskID, &w.InstanceID, &w.NodeName, &w.Hostname, &w.IP,
		&w.RegionID, &w.ZoneID, &w.VSwitchID, &w.InstanceType, &w.ImageID, &w.ChargeType, &w.State, &w.NodeStatus,
		&w.ErrorMessage, &labels, &taints, &runtime, &w.SystemDiskGiB, &w.EdgeWorker, &seq, &created, &updated)
	if err != nil {
		return w, fmt.Errorf("scan worker: %w", err)
	}
	err = errors.Join(json.Unmarshal([]byte(labels), &w.Labels), json.Unmarshal([]byte(taints), &w.Taints),
		json.Unmarshal([]byte(runtime), &w.Runtime))
	if err != nil {
		return w, fmt.Errorf("decode worker: %w", err)
	}
	w.Created, w.Updated = fromMS(created), fromMS(updated)
	return w, nil
}
