package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ackscale/ackscale"
)

const poolColumns = `id, cluster_id, account_id, is_default, state, spec, created_at, updated_at`

// poolOrder lists a cluster's pools: the default one first, then oldest
// first.
const poolOrder = ` ORDER BY is_default DESC, created_at, id`

// NodePoolGet returns one pool of a cluster; CodeNodePoolNotFound when the
// cluster has none with that id, or it is deleted (unless WithDeleted).
func (s *ClusterStore) NodePoolGet(ctx context.Context, p ackscale.NodePoolGetParams) (ackscale.NodePool, error) {
	f := filter{}
	f.add("cluster_id = ?", p.ClusterID)
	f.add("id = ?", p.ID)
	if !p.WithDeleted {
		f.add("state <> ?", string(ackscale.NodePoolDeleted))
	}
	return queryOne(ctx, s.db.read, scanPool, func() error { return poolNotFound(p.ID) },
		`SELECT `+poolColumns+` FROM node_pools`+f.sql(), f.args...)
}

func poolNotFound(id string) error {
	return ackscale.Errorf(ackscale.CodeNodePoolNotFound, "node pool %s not found", id)
}

// NodePoolList returns a cluster's pools that are not deleted (of the name
// p.Name, unless it is ""), the default one first, then oldest first.
// They come from the pool cache (DB.pools, by cluster): a write of a
// cluster's pools drops its entry once it has committed (ClusterCreate, a
// TaskStart that adds a pool), or patches it in commit order (a pool's
// move in TaskStart and TaskFinish: poolChanged).
func (s *ClusterStore) NodePoolList(ctx context.Context, p ackscale.NodePoolListParams) ([]ackscale.NodePool, error) {
	pools, err := s.db.pools.read(p.ClusterID, func() ([]ackscale.NodePool, error) {
		return orEmpty(queryAll(ctx, s.db.read, "list node pools", scanPool,
			`SELECT `+poolColumns+` FROM node_pools WHERE cluster_id = ? AND state <> ?`+poolOrder,
			p.ClusterID, string(ackscale.NodePoolDeleted)))
	})
	if err != nil {
		return nil, err
	}
	if p.Name != "" {
		pools = slices.DeleteFunc(pools, func(np ackscale.NodePool) bool { return np.Spec.Name != p.Name })
	}
	return pools, nil
}

// newPool returns a pool about to be inserted for task t: of t's cluster
// and account, in the state t's type holds its pools in (active for a type
// that holds none; "" means it, another state is a *TransitionError).
func newPool(np ackscale.NodePool, t ackscale.Task, isDefault bool, now time.Time) (ackscale.NodePool, error) {
	if np.ID == "" {
		return np, fmt.Errorf("insert node pool of cluster %s: no id", t.ClusterID)
	}
	if np.IsDefault && !isDefault {
		return np, fmt.Errorf("insert node pool %s: a task's new pool is never the default one", np.ID)
	}
	born := cmp.Or(t.Type.PoolStateWhile(), ackscale.NodePoolActive)
	np.State = cmp.Or(np.State, born)
	if np.State != born {
		return np, &ackscale.TransitionError{What: "node pool", ID: np.ID, To: string(np.State)}
	}
	np.ClusterID, np.AccountID, np.IsDefault = t.ClusterID, t.AccountID, isDefault
	np.Created, np.Updated = orNow(np.Created, now), orNow(np.Updated, now)
	return np, nil
}

// insertPool inserts a pool checked by newPool; a taken id is a conflict.
func insertPool(ctx context.Context, tx *sql.Tx, np ackscale.NodePool) error {
	spec, err := encodePoolSpec(np.Spec)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO node_pools (`+poolColumns+`, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		np.ID, np.ClusterID, np.AccountID, np.IsDefault, string(np.State), spec, ms(np.Created), ms(np.Updated), np.Spec.Name)
	return insertError(err, "node pool "+np.ID)
}

func encodePoolSpec(spec ackscale.NodePoolSpec) (string, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return "", fmt.Errorf("encode node pool spec: %w", err)
	}
	return string(b), nil
}

// movePool moves a pool of the cluster from m.From to m.To (which the
// caller checked the table allows), and replaces its spec with spec (m.Spec
// encoded) when m.Spec is set. CodeNodePoolNotFound when the cluster has
// no such pool (or it is deleted); CodeNodePoolState when it is not in
// m.From.
func (s *ClusterStore) movePool(ctx context.Context, tx *sql.Tx, clusterID string, m ackscale.PoolMove, spec *movedSpec) error {
	at := ms(s.db.now())
	set, args := `state = ?, updated_at = ?`, []any{string(m.To), at}
	if spec != nil {
		set, args = set+`, spec = ?, name = ?`, append(args, spec.raw, m.Spec.Name)
	}
	notMoved := func() error {
		state, err := poolState(ctx, tx, clusterID, m.ID)
		if err != nil {
			return err
		}
		if state == "" || state == ackscale.NodePoolDeleted {
			return poolNotFound(m.ID)
		}
		return ackscale.Errorf(ackscale.CodeNodePoolState, "node pool %s is %s; this operation needs it %s", m.ID, state, m.From)
	}
	err := updateOne(ctx, tx, fmt.Sprintf("move node pool %s to %s", m.ID, m.To), notMoved,
		`UPDATE node_pools SET `+set+` WHERE id = ? AND cluster_id = ? AND state = ?`,
		append(args, m.ID, clusterID, string(m.From))...)
	if err != nil {
		return err
	}
	return s.poolChanged(ctx, clusterID, m.ID, func(np *ackscale.NodePool) {
		np.State, np.Updated = m.To, fromMS(at)
		if spec != nil {
			np.Spec = spec.stored // the move's own, kept once
		}
	})
}

// poolChanged has the cluster's cached pools follow a write of pool id
// once it has committed, in commit order (keyedCache.patch); a cached
// list without the pool, or whose pool is now deleted, is forgotten.
func (s *ClusterStore) poolChanged(ctx context.Context, clusterID, id string, change func(*ackscale.NodePool)) error {
	follow := func() {
		s.db.pools.patch(clusterID, func(pools *[]ackscale.NodePool) bool {
			for i := range *pools {
				if (*pools)[i].ID == id {
					change(&(*pools)[i])
					return (*pools)[i].State != ackscale.NodePoolDeleted // the list has none: read it again
				}
			}
			return false
		})
	}
	if !afterCommit(ctx, follow) {
		return fmt.Errorf("write node pool %s: not in a transaction of the writer", id)
	}
	return nil
}

// poolState returns the state of a pool of the cluster ("" when it has
// none with that id).
func poolState(ctx context.Context, tx *sql.Tx, clusterID, id string) (ackscale.NodePoolState, error) {
	var state string
	err := tx.QueryRowContext(ctx, `SELECT state FROM node_pools WHERE id = ? AND cluster_id = ?`, id, clusterID).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read node pool %s state: %w", id, err)
	}
	return ackscale.NodePoolState(state), nil
}

// busyPool refuses a cluster-level task while a pool of the cluster that
// it does not move itself (moving) is busy: CodeClusterState, naming the
// pool.
func busyPool(ctx context.Context, tx *sql.Tx, clusterID string, moving []ackscale.PoolMove) error {
	f := filter{}
	f.add("cluster_id = ?", clusterID)
	cond, args := busyPools("", moving)
	f.add(cond, args...)
	var id, state string
	err := tx.QueryRowContext(ctx, `SELECT id, state FROM node_pools`+f.sql()+poolOrder+` LIMIT 1`, f.args...).Scan(&id, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read busy node pools: %w", err)
	}
	return ackscale.Errorf(ackscale.CodeClusterState, "cluster %s has node pool %s %s; wait for its task to end", clusterID, id, state)
}

// busyPools is the condition on a node_pools row (its columns prefixed
// with prefix) that it is busy and not one of moving.
func busyPools(prefix string, moving []ackscale.PoolMove) (string, []any) {
	var busy []ackscale.NodePoolState
	for _, s := range ackscale.NodePoolStates() {
		if s.Busy() {
			busy = append(busy, s)
		}
	}
	cond, args := in(prefix+"state", busy)
	if len(moving) == 0 {
		return cond, args
	}
	ids := make([]string, len(moving))
	for i, m := range moving {
		ids[i] = m.ID
	}
	notMoving, more := in(prefix+"id", ids)
	return cond + " AND NOT " + notMoving, append(args, more...)
}

// finishPool moves a pool of the cluster that an ended task worked on to
// state to, and makes its desired size its worker count (a pool moved to
// deleted keeps its spec). A deleted pool is left as it is;
// CodeNodePoolNotFound when the cluster has no such pool; a
// *TransitionError when its state may not move to to.
func (s *ClusterStore) finishPool(ctx context.Context, tx *sql.Tx, clusterID, id string, to ackscale.NodePoolState) error {
	spec := `json_set(spec, '$.desired_size',
		(SELECT count(*) FROM workers w WHERE w.cluster_id = node_pools.cluster_id AND w.nodepool_id = node_pools.id))`
	if to == ackscale.NodePoolDeleted {
		spec = `spec`
	}
	cond, args := in("state", to.Before())
	notMoved := func() error {
		from, err := poolState(ctx, tx, clusterID, id)
		switch {
		case err != nil:
			return err
		case from == "":
			return poolNotFound(id)
		case from == ackscale.NodePoolDeleted:
			return nil
		}
		return &ackscale.TransitionError{What: "node pool", ID: id, From: string(from), To: string(to)}
	}
	at := ms(s.db.now())
	var raw string
	found, err := updateReturning(ctx, tx, fmt.Sprintf("move node pool %s to %s", id, to), notMoved,
		`UPDATE node_pools SET state = ?, spec = `+spec+`, updated_at = ? WHERE id = ? AND cluster_id = ? AND `+cond+` RETURNING spec`,
		append([]any{string(to), at, id, clusterID}, args...), &raw)
	if err != nil || !found {
		return err
	}
	var stored ackscale.NodePoolSpec
	if err := decodeSpec(poolSpecs, raw, &stored); err != nil {
		return fmt.Errorf("decode node pool spec: %w", err)
	}
	return s.poolChanged(ctx, clusterID, id, func(np *ackscale.NodePool) { np.State, np.Spec, np.Updated = to, stored, fromMS(at) })
}

func scanPool(r scanner) (ackscale.NodePool, error) {
	var np ackscale.NodePool
	var state, spec string
	var created, updated int64
	if err := r.Scan(&np.ID, &np.ClusterID, &np.AccountID, &np.IsDefault, &state, &spec, &created, &updated); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return np, err
		}
		return np, fmt.Errorf("scan node pool: %w", err)
	}
	if err := decodeSpec(poolSpecs, spec, &np.Spec); err != nil {
		return np, fmt.Errorf("decode node pool spec: %w", err)
	}
	np.State = ackscale.NodePoolState(state)
	np.Created, np.Updated = fromMS(created), fromMS(updated)
	return np, nil
}
