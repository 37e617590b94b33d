package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ackscale/ackscale"
)

// JobInserter inserts a job in the caller's transaction. A
// *river.Client[pgx.Tx] on riverpgxv5.New(db.Pool()) is one (an
// insert-only client, with no queues, will do); the store needs no more
// of River than this.
type JobInserter interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

var _ JobInserter = (*river.Client[pgx.Tx])(nil)

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
// is not deleted (a unique index settles creates racing for one name); a
// taken cluster, pool or task id is a conflict; a cluster or pool born in
// another state is a *TransitionError.
func (s *ClusterStore) ClusterCreate(ctx context.Context, p ackscale.ClusterCreateParams) error {
	c := p.Cluster
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
	nameTaken := func() error {
		return ackscale.FieldErrorf(ackscale.CodeClusterNameExists, "name", "name: a cluster named %q already exists", c.Spec.Name)
	}
	return s.db.inTx(ctx, func(tx pgx.Tx) error {
		n, err := queryCount(ctx, tx, "check name", `SELECT count(*) FROM clusters WHERE account_id = $1 AND name = $2 AND state <> $3`,
			c.AccountID, c.Spec.Name, string(ackscale.ClusterDeleted))
		if err != nil {
			return err
		}
		if n > 0 {
			return nameTaken()
		}
		_, err = tx.Exec(ctx, `INSERT INTO clusters (id, account_id, name, region_id, cluster_type, profile, state, spec, password_hash, api_server, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			c.ID, c.AccountID, c.Spec.Name, c.Spec.RegionID, c.Spec.ClusterType, string(c.Profile), string(c.State), string(spec),
			c.PasswordHash, c.APIServer, ms(c.Created), ms(c.Updated))
		if constraint, _ := uniqueViolation(err); constraint == "clusters_live_name" {
			return nameTaken()
		}
		if err != nil {
			return insertError(err, "cluster "+c.ID)
		}
		if err := insertPool(ctx, tx, pool); err != nil {
			return err
		}
		return s.insertTask(ctx, tx, p.Task, p.Reserve)
	})
}

// ClusterGet returns one cluster; CodeClusterNotFound when it does not
// exist in the account (AccountID "": in any account), or is deleted
// (unless WithDeleted).
func (s *ClusterStore) ClusterGet(ctx context.Context, p ackscale.ClusterGetParams) (ackscale.Cluster, error) {
	f := filter{}
	f.add("id = " + f.arg(p.ID))
	f.eq("account_id", p.AccountID)
	if !p.WithDeleted {
		f.add("state <> " + f.arg(string(ackscale.ClusterDeleted)))
	}
	return queryOne(ctx, s.db.pool, scanCluster, func() error { return clusterNotFound(p.ID) },
		`SELECT `+clusterColumns+` FROM clusters`+f.sql(), f.args...)
}

func clusterNotFound(id string) error {
	return ackscale.Errorf(ackscale.CodeClusterNotFound, "cluster %s not found", id)
}

// ClusterList returns clusters that are not deleted, newest first, and the
// count before paging.
func (s *ClusterStore) ClusterList(ctx context.Context, p ackscale.ClusterListParams) ([]ackscale.Cluster, int, error) {
	f := filter{}
	f.add("state <> " + f.arg(string(ackscale.ClusterDeleted)))
	f.eq("account_id", p.AccountID)
	f.eq("id", p.ClusterID)
	f.eq("name", p.Name)
	f.eq("cluster_type", p.ClusterType)
	f.eq("region_id", p.RegionID)
	f.eq("(spec::jsonb ->> 'profile')", p.Profile)
	if p.WithAPIServer {
		f.add("api_server <> ''")
	}
	return queryPage(ctx, s.db.pool, scanCluster, "clusters", clusterColumns, "clusters", f, "created_at DESC, id", p.Offset, p.Limit)
}

// ClusterUpdate replaces the spec of the account's cluster (and the
// columns read from it: its name, region and type) and inserts p.Task,
// which has ended and so gets no job, in one transaction; the cluster's
// state stays. CodeClusterNotFound when the cluster is not the account's
// or is deleted; CodeClusterNameExists when another cluster of the
// account that is not deleted has Spec.Name (the unique index settles
// updates and creates racing for one name); a task that has not ended is
// refused; a taken task id is a conflict.
func (s *ClusterStore) ClusterUpdate(ctx context.Context, p ackscale.ClusterUpdateParams) error {
	t := p.Task
	if !t.State.Ended() {
		return fmt.Errorf("update cluster %s: task %s is %q, not ended", p.ID, t.ID, t.State)
	}
	spec, err := json.Marshal(p.Spec)
	if err != nil {
		return fmt.Errorf("encode spec: %w", err)
	}
	now := s.db.now()
	nameTaken := func() error {
		return ackscale.FieldErrorf(ackscale.CodeClusterNameExists, "name", "name: a cluster named %q already exists", p.Spec.Name)
	}
	return s.db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := clusterState(ctx, tx, p.AccountID, p.ID, " FOR NO KEY UPDATE"); err != nil {
			return err
		}
		n, err := queryCount(ctx, tx, "check name", `SELECT count(*) FROM clusters WHERE account_id = $1 AND name = $2 AND state <> $3 AND id <> $4`,
			p.AccountID, p.Spec.Name, string(ackscale.ClusterDeleted), p.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			return nameTaken()
		}
		_, err = tx.Exec(ctx, `UPDATE clusters SET spec = $1, name = $2, region_id = $3, cluster_type = $4, updated_at = $5 WHERE id = $6`,
			string(spec), p.Spec.Name, p.Spec.RegionID, p.Spec.ClusterType, ms(now), p.ID)
		if constraint, _ := uniqueViolation(err); constraint == "clusters_live_name" {
			return nameTaken()
		}
		if err != nil {
			return fmt.Errorf("update cluster %s: %w", p.ID, err)
		}
		return insertTaskRow(ctx, tx, t, now)
	})
}

// ClusterSetAPIServer records the endpoint of the cluster's kube-apiserver
// ("" forgets it), whatever the cluster's state; CodeClusterNotFound when
// there is no such cluster.
func (s *ClusterStore) ClusterSetAPIServer(ctx context.Context, p ackscale.ClusterSetAPIServerParams) error {
	return updateOne(ctx, s.db.pool, "set api server", func() error { return clusterNotFound(p.ID) },
		`UPDATE clusters SET api_server = $1, updated_at = $2 WHERE id = $3`, p.Endpoint, ms(s.db.now()), p.ID)
}

// moveCluster moves a cluster to state to, from any state the table
// allows, when it also meets the conditions of f. It reports whether the
// row changed. A concurrent move of the same cluster waits for this
// transaction, then finds the row in its new state and changes nothing.
func (s *ClusterStore) moveCluster(ctx context.Context, tx pgx.Tx, id string, to ackscale.ClusterState, f filter) (bool, error) {
	set := `state = ` + f.arg(string(to)) + `, updated_at = ` + f.arg(ms(s.db.now()))
	f.add("id = " + f.arg(id))
	f.add(anyOf(&f, "state", to.Before()))
	n, err := changed(ctx, tx, fmt.Sprintf("move cluster %s to %s", id, to), `UPDATE clusters SET `+set+f.sql(), f.args...)
	return n == 1, err
}

func scanCluster(r scanner) (ackscale.Cluster, error) {
	var c ackscale.Cluster
	var spec, profile, state string
	var created, updated int64
	if err := r.Scan(&c.ID, &c.AccountID, &spec, &profile, &state, &c.PasswordHash, &c.APIServer, &created, &updated); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return c, err
		}
		return c, fmt.Errorf("scan cluster: %w", err)
	}
	if err := json.Unmarshal([]byte(spec), &c.Spec); err != nil {
		return c, fmt.Errorf("decode cluster spec: %w", err)
	}
	c.Profile, c.State = ackscale.Profile(profile), ackscale.ClusterState(state)
	c.Created, c.Updated = fromMS(created), fromMS(updated)
	return c, nil
}
