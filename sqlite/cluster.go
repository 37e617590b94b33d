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

const clusterColumns = `id, account_id, spec, profile, state, password_hash, api_server, created_at, updated_at`

// ClusterCreate inserts a cluster, its create task and the task's job in one
// transaction. A cluster name already used by the account is refused.
func (s *Store) ClusterCreate(ctx context.Context, c ackscale.Cluster, t ackscale.Task) error {
	spec, err := json.Marshal(c.Spec)
	if err != nil {
		return fmt.Errorf("encode spec: %w", err)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM clusters WHERE account_id = ? AND name = ? AND state <> ?`,
			c.AccountID, c.Spec.Name, ackscale.ClusterDeleted).Scan(&n); err != nil {
			return fmt.Errorf("check name: %w", err)
		}
		if n > 0 {
			return ackscale.FieldErrorf(ackscale.CodeClusterNameExists, "name", "name: a cluster named %q already exists", c.Spec.Name)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO clusters (id, account_id, name, region_id, cluster_type, profile, state, spec, password_hash, api_server, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.AccountID, c.Spec.Name, c.Spec.RegionID, c.Spec.ClusterType, string(c.Profile), c.State, string(spec),
			c.PasswordHash, c.APIServer, ms(c.Created), ms(c.Updated))
		if err != nil {
			return fmt.Errorf("insert cluster: %w", err)
		}
		return s.insertTask(ctx, tx, t)
	})
}

// ClusterGet returns the account's cluster, or ErrorClusterNotFound.
func (s *Store) ClusterGet(ctx context.Context, accountID, id string) (ackscale.Cluster, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+clusterColumns+` FROM clusters WHERE id = ? AND account_id = ? AND state <> ?`,
		id, accountID, ackscale.ClusterDeleted)
	c, err := scanCluster(row)
	if errors.Is(err, sql.ErrNoRows) {
		return c, clusterNotFound(id)
	}
	return c, err
}

// ClusterByID returns a cluster whatever its account (for task workers).
func (s *Store) ClusterByID(ctx context.Context, id string) (ackscale.Cluster, error) {
	c, err := scanCluster(s.db.QueryRowContext(ctx, `SELECT `+clusterColumns+` FROM clusters WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, clusterNotFound(id)
	}
	return c, err
}

func clusterNotFound(id string) error {
	return ackscale.Errorf(ackscale.CodeClusterNotFound, "cluster %s not found", id)
}

// ClusterList returns the account's clusters, newest first, and the total
// count before paging.
func (s *Store) ClusterList(ctx context.Context, p ackscale.ClusterListParams) ([]ackscale.Cluster, int, error) {
	where := []string{"account_id = ?", "state <> ?"}
	args := []any{p.AccountID, ackscale.ClusterDeleted}
	add := func(col, v string) {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	add("id", p.ClusterID)
	add("name", p.Name)
	add("cluster_type", p.ClusterType)
	add("region_id", p.RegionID)
	add("json_extract(spec, '$.profile')", p.Profile)
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM clusters WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count clusters: %w", err)
	}
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+clusterColumns+` FROM clusters WHERE `+cond+` ORDER BY created_at DESC, id LIMIT ? OFFSET ?`,
		append(args, limit, p.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list clusters: %w", err)
	}
	defer rows.Close()
	var out []ackscale.Cluster
	for rows.Next() {
		c, err := scanCluster(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// ClusterSetAPIServer records the endpoint of the cluster's kube-apiserver.
func (s *Store) ClusterSetAPIServer(ctx context.Context, id, endpoint string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE clusters SET api_server = ?, updated_at = ? WHERE id = ?`, endpoint, ms(s.now()), id)
	if err != nil {
		return fmt.Errorf("set api server: %w", err)
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanCluster(r scanner) (ackscale.Cluster, error) {
	var c ackscale.Cluster
	var spec, profile string
	var created, updated int64
	if err := r.Scan(&c.ID, &c.AccountID, &spec, &profile, &c.State, &c.PasswordHash, &c.APIServer, &created, &updated); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return c, err
		}
		return c, fmt.Errorf("scan cluster: %w", err)
	}
	if err := json.Unmarshal([]byte(spec), &c.Spec); err != nil {
		return c, fmt.Errorf("decode cluster spec: %w", err)
	}
	c.Profile = ackscale.Profile(profile)
	c.Created, c.Updated = fromMS(created), fromMS(updated)
	return c, nil
}

// ClustersWithAPIServer returns the ids of live clusters that have a
// kube-apiserver, to bring them back at start.
func (s *Store) ClustersWithAPIServer(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM clusters WHERE api_server <> '' AND state <> ? ORDER BY created_at`, ackscale.ClusterDeleted)
	if err != nil {
		return nil, fmt.Errorf("clusters with api server: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
