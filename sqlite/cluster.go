package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/ackscale/ackscale"
)

// JobInserter inserts jobs in the caller's transaction. A
// *river.Client[*sql.Tx] on riversqlite.New(db.SQL()) is one; the store
// needs no more of River than this. The store uses River's fast insert:
// a task's job is not unique (the task's row is) and nothing of the
// inserted row is read back, so riversqlite's INSERT needs no RETURNING
// (a sixth of the accept path's CPU went to reading the row back).
type JobInserter interface {
	InsertManyFastTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) (int, error)
}

var _ JobInserter = (*river.Client[*sql.Tx])(nil)

// ClusterStore keeps clusters and their tasks, and inserts each task's job
// (ackscale.TaskJob) in the task's transaction.
type ClusterStore struct {
	db   *DB
	jobs JobInserter
}

var _ ackscale.ClusterStore = (*ClusterStore)(nil)

// NewClusterStore returns the cluster store of db, inserting jobs with
// jobs.
func NewClusterStore(db *DB, jobs JobInserter) *ClusterStore {
	return &ClusterStore{db: db, jobs: jobs}
}

const clusterColumns = `id, account_id, spec, profile, state, password_hash, api_server, created_at, updated_at`

// ClusterCreate inserts a cluster (state ClusterInitial; "" means it), its
// default pool (of the cluster and its account, in the state the create
// task holds its pools in; "" means it), its create task, the task's job
// and its quota reservation (p.Reserve, as TaskStart), in one transaction.
// CodeClusterNameExists when the account has a cluster of that name that
// is not deleted; a taken cluster, pool or task id is a conflict; a
// cluster or pool born in another state is a *TransitionError.
func (s *ClusterStore) ClusterCreate(ctx context.Context, p ackscale.ClusterCreateParams) error {
	c := p.Cluster
	defer s.db.clusters.drop(c.ID)
	defer s.db.pools.drop(c.ID)
	if c.State == "" {
		c.State = ackscale.ClusterInitial
	}
	if c.State != ackscale.ClusterInitial { // a cluster is born initial
		return &ackscale.TransitionError{What: "cluster", ID: c.ID, To: string(c.State)}
	}
	now := s.db.now()
	c.Created, c.Updated = orNow(c.Created, now), orNow(c.Updated, now)
	owner := p.Task
	owner.ClusterID, owner.AccountID = c.ID, c.AccountID // the pool is the cluster's
	pool, err := newPool(p.DefaultPool, owner, true, now)
	if err != nil {
		return err
	}
	spec, err := json.Marshal(c.Spec)
	if err != nil {
		return fmt.Errorf("encode spec: %w", err)
	}
	enc, err := encodeTask(p.Task)
	if err != nil {
		return err
	}
	return s.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		n, err := queryCount(ctx, tx, "check name", `SELECT count(*) FROM clusters WHERE account_id = ? AND name = ? AND state <> ?`,
			c.AccountID, c.Spec.Name, string(ackscale.ClusterDeleted))
		if err != nil {
			return err
		}
		if n > 0 {
			return ackscale.FieldErrorf(ackscale.CodeClusterNameExists, "name", "name: a cluster named %q already exists", c.Spec.Name)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO clusters (id, account_id, name, region_id, cluster_type, profile, state, spec, password_hash, api_server, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.AccountID, c.Spec.Name, c.Spec.RegionID, c.Spec.ClusterType, string(c.Profile), string(c.State), string(spec),
			c.PasswordHash, c.APIServer, ms(c.Created), ms(c.Updated))
		if err != nil {
			return insertError(err, "cluster "+c.ID)
		}
		if err := insertPool(ctx, tx, pool); err != nil {
			return err
		}
		return s.insertTask(ctx, tx, p.Task, enc, p.Reserve)
	})
}

// ClusterGet returns one cluster; CodeClusterNotFound when it does not
// exist in the account (AccountID "": in any account), or is deleted
// (unless WithDeleted).
func (s *ClusterStore) ClusterGet(ctx context.Context, p ackscale.ClusterGetParams) (ackscale.Cluster, error) {
	c, err := s.db.clusters.read(p.ID, func() (ackscale.Cluster, error) {
		return queryOne(ctx, s.db.read, scanCluster, func() error { return clusterNotFound(p.ID) },
			`SELECT `+clusterColumns+` FROM clusters WHERE id = ?`, p.ID)
	})
	if err != nil {
		return c, err
	}
	if p.AccountID != "" && c.AccountID != p.AccountID || !p.WithDeleted && c.State == ackscale.ClusterDeleted {
		return ackscale.Cluster{}, clusterNotFound(p.ID)
	}
	return c, nil
}

// maxCachedClusters bounds the clusters cached by id.
const maxCachedClusters = 4096

func clusterNotFound(id string) error {
	return ackscale.Errorf(ackscale.CodeClusterNotFound, "cluster %s not found", id)
}

// ClusterList returns clusters that are not deleted, newest first, and the
// count before paging.
func (s *ClusterStore) ClusterList(ctx context.Context, p ackscale.ClusterListParams) ([]ackscale.Cluster, int, error) {
	f := filter{}
	f.add("state <> ?", string(ackscale.ClusterDeleted))
	f.eq("account_id", p.AccountID)
	f.eq("id", p.ClusterID)
	f.eq("name", p.Name)
	f.eq("cluster_type", p.ClusterType)
	f.eq("region_id", p.RegionID)
	f.eq("json_extract(spec, '$.profile')", p.Profile)
	if p.WithAPIServer {
		f.add("api_server <> ''")
	}
	return queryPage(ctx, s.db.read, scanCluster, "clusters", clusterColumns, "clusters", f, "created_at DESC, id", p.Offset, p.Limit)
}

// ClusterSetAPIServer records the endpoint of the cluster's kube-apiserver
// ("" forgets it), whatever the cluster's state; CodeClusterNotFound when
// there is no such cluster.
func (s *ClusterStore) ClusterSetAPIServer(ctx context.Context, p ackscale.ClusterSetAPIServerParams) error {
	defer s.db.clusters.drop(p.ID)
	return s.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return updateOne(ctx, tx, "set api server", func() error { return clusterNotFound(p.ID) },
			`UPDATE clusters SET api_server = ?, updated_at = ? WHERE id = ?`, p.Endpoint, ms(s.db.now()), p.ID)
	})
}

// moveCluster moves a cluster to state to, from any state the table
// allows, when it also meets the conditions of f. It reports whether the
// row changed. The cached cluster follows the move once it has committed,
// in commit order (keyedCache.patch): the callers need not drop it.
func (s *ClusterStore) moveCluster(ctx context.Context, tx *sql.Tx, id string, to ackscale.ClusterState, f filter) (bool, error) {
	f.add("id = ?", id)
	cond, args := in("state", to.Before())
	f.add(cond, args...)
	at := ms(s.db.now())
	n, err := changed(ctx, tx, fmt.Sprintf("move cluster %s to %s", id, to), `UPDATE clusters SET state = ?, updated_at = ?`+f.sql(),
		append([]any{string(to), at}, f.args...)...)
	if err != nil || n != 1 {
		return false, err
	}
	moved := func() {
		s.db.clusters.patch(id, func(c *ackscale.Cluster) bool {
			c.State, c.Updated = to, fromMS(at)
			return true
		})
	}
	if !afterCommit(ctx, moved) {
		return false, fmt.Errorf("move cluster %s: not in a transaction of the writer", id)
	}
	return true, nil
}

func scanCluster(r scanner) (ackscale.Cluster, error) {
	var c ackscale.Cluster
	var spec, profile, state string
	var created, updated int64
	if err := r.Scan(&c.ID, &c.AccountID, &spec, &profile, &state, &c.PasswordHash, &c.APIServer, &created, &updated); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return c, err
		}
		return c, fmt.Errorf("scan cluster: %w", err)
	}
	if err := decodeSpec(clusterSpecs, spec, &c.Spec); err != nil {
		return c, fmt.Errorf("decode cluster spec: %w", err)
	}
	c.Profile, c.State = ackscale.Profile(profile), ackscale.ClusterState(state)
	c.Created, c.Updated = fromMS(created), fromMS(updated)
	return c, nil
}

// ClusterUpdate replaces the spec of the account's cluster (and the name it
// is found by) and inserts p.Task, already ended and with no job, in one
// transaction. CodeClusterNotFound when the cluster is not the account's
// or is deleted; CodeClusterNameExists when another cluster of the account
// that is not deleted has the new name.
func (s *ClusterStore) ClusterUpdate(ctx context.Context, p ackscale.ClusterUpdateParams) error {
	defer s.db.clusters.drop(p.ID)
	if !p.Task.State.Ended() {
		return fmt.Errorf("update cluster %s: its task %s has not ended", p.ID, p.Task.ID)
	}
	spec, err := json.Marshal(p.Spec)
	if err != nil {
		return fmt.Errorf("encode spec: %w", err)
	}
	return s.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		n, err := queryCount(ctx, tx, "find cluster", `SELECT count(*) FROM clusters WHERE id = ? AND account_id = ? AND state <> ?`,
			p.ID, p.AccountID, string(ackscale.ClusterDeleted))
		if err != nil {
			return err
		}
		if n == 0 {
			return clusterNotFound(p.ID)
		}
		n, err = queryCount(ctx, tx, "check name", `SELECT count(*) FROM clusters WHERE account_id = ? AND name = ? AND state <> ? AND id <> ?`,
			p.AccountID, p.Spec.Name, string(ackscale.ClusterDeleted), p.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			return ackscale.FieldErrorf(ackscale.CodeClusterNameExists, "cluster_name", "cluster_name: a cluster named %q already exists", p.Spec.Name)
		}
		now := s.db.now()
		res, err := tx.ExecContext(ctx, `UPDATE clusters SET spec = ?, name = ?, updated_at = ? WHERE id = ? AND account_id = ? AND state <> ?`,
			string(spec), p.Spec.Name, ms(now), p.ID, p.AccountID, string(ackscale.ClusterDeleted))
		if err != nil {
			return fmt.Errorf("update cluster %s: %w", p.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(err, clusterNotFound(p.ID))
		}
		return s.insertEndedTask(ctx, tx, p.Task, now)
	})
}

// insertEndedTask inserts a task that ended as it was accepted: no job.
func (s *ClusterStore) insertEndedTask(ctx context.Context, tx *sql.Tx, t ackscale.Task, now time.Time) error {
	t.Created, t.Updated = orNow(t.Created, now), orNow(t.Updated, now)
	enc, err := encodeTask(t)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO tasks (`+taskColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.AccountID, t.ClusterID, string(t.Type), string(t.State), string(t.CurrentStage), enc.params, t.ErrorCode, t.ErrorMessage,
		enc.stages, enc.events, ms(t.Created), ms(t.Updated))
	if err != nil {
		return insertError(err, "task "+t.ID)
	}
	return nil
}

// TaskList returns the tasks of the account's cluster, newest first (then
// by id, descending), and their count before paging.
func (s *ClusterStore) TaskList(ctx context.Context, p ackscale.TaskListParams) ([]ackscale.Task, int, error) {
	f := filter{}
	f.add("cluster_id = ?", p.ClusterID)
	f.add("account_id = ?", p.AccountID)
	return queryPage(ctx, s.db.read, scanTask, "tasks", taskColumns, "tasks", f, "created_at DESC, id DESC", p.Offset, p.Limit)
}
