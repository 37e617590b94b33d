package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Several replicas share one database. Each beats in the replicas table;
// a replica whose beat is older than a timeout is dead, and any replica
// may then bury it: the jobs it was running (River's attempted_by names
// it last) are made available again, and the API servers it hosted are
// free to be claimed. Times are the database's clock (clock_timestamp), so
// the replicas' own clocks need not agree.

// nowMS is the database's clock in milliseconds, as SQL.
const nowMS = `(extract(epoch FROM clock_timestamp()) * 1000)::bigint`

// ReplicaBeat records that replica id is alive and serves at addr.
func (db *DB) ReplicaBeat(ctx context.Context, id, addr string) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO replicas (id, addr, started_at, seen_at) VALUES ($1, $2, `+nowMS+`, `+nowMS+`)
		ON CONFLICT (id) DO UPDATE SET addr = excluded.addr, seen_at = excluded.seen_at`, id, addr)
	if err != nil {
		return fmt.Errorf("replica beat: %w", err)
	}
	return nil
}

// requeueOf makes the jobs replica $1 shows running available again.
const requeueOf = `UPDATE river_job SET state = 'available', scheduled_at = now()
	WHERE state = 'running' AND attempted_by[cardinality(attempted_by)] = $1`

// ReplicaLeave removes a replica that stops, once its River client has
// stopped: the jobs it still shows running (their run was cut short) are
// made available again and the API servers it hosted are freed.
func (db *DB) ReplicaLeave(ctx context.Context, id string) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, requeueOf, id); err != nil {
			return fmt.Errorf("replica leave: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM kube_hosts WHERE replica_id = $1`, id); err != nil {
			return fmt.Errorf("replica leave: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM replicas WHERE id = $1`, id); err != nil {
			return fmt.Errorf("replica leave: %w", err)
		}
		return nil
	})
}

// Replica is one replica as the database knows it.
type Replica struct {
	ID      string
	Addr    string
	Started time.Time
	Seen    time.Time
}

// ReplicaList returns the replicas that beat within alive, oldest first.
func (db *DB) ReplicaList(ctx context.Context, alive time.Duration) ([]Replica, error) {
	return queryAll(ctx, db.pool, "list replicas", func(r scanner) (Replica, error) {
		var x Replica
		var started, seen int64
		err := r.Scan(&x.ID, &x.Addr, &started, &seen)
		x.Started, x.Seen = fromMS(started), fromMS(seen)
		return x, err
	}, `SELECT id, addr, started_at, seen_at FROM replicas WHERE seen_at >= `+nowMS+` - $1 ORDER BY started_at, id`,
		alive.Milliseconds())
}

// Burial is what ReplicaBury did.
type Burial struct {
	Replicas []string // the dead replicas removed
	Jobs     int      // their running jobs made available
	Hosts    int      // the API servers they hosted, freed
}

// ReplicaBury removes the replicas that have not beaten for dead, makes the
// jobs they were running available again and frees the API servers they
// hosted, in one transaction; any replica may call it at any time. A job
// is retried as River retries any: its attempt count is kept.
func (db *DB) ReplicaBury(ctx context.Context, dead time.Duration) (Burial, error) {
	var b Burial
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		b = Burial{}
		rows, err := tx.Query(ctx, `DELETE FROM replicas WHERE seen_at < `+nowMS+` - $1 RETURNING id`, dead.Milliseconds())
		if err != nil {
			return fmt.Errorf("bury replicas: %w", err)
		}
		if b.Replicas, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return fmt.Errorf("bury replicas: %w", err)
		}
		if len(b.Replicas) == 0 {
			b.Replicas = nil
			return nil
		}
		tag, err := tx.Exec(ctx, `UPDATE river_job SET state = 'available', scheduled_at = now()
			WHERE state = 'running' AND attempted_by[cardinality(attempted_by)] = ANY($1)`, b.Replicas)
		if err != nil {
			return fmt.Errorf("requeue the dead replicas' jobs: %w", err)
		}
		b.Jobs = int(tag.RowsAffected())
		if tag, err = tx.Exec(ctx, `DELETE FROM kube_hosts WHERE replica_id = ANY($1)`, b.Replicas); err != nil {
			return fmt.Errorf("free the dead replicas' API servers: %w", err)
		}
		b.Hosts = int(tag.RowsAffected())
		return nil
	})
	return b, err
}

// KubeHost is the replica that runs a cluster's kube-apiserver.
type KubeHost struct {
	ClusterID string
	ReplicaID string
	Endpoint  string // host:port; "" until it answers
}

// KubeHostClaim makes replica the cluster's host unless a live replica
// (one in the replicas table) already is, and returns the host either way.
func (db *DB) KubeHostClaim(ctx context.Context, clusterID, replica string) (KubeHost, error) {
	h := KubeHost{ClusterID: clusterID}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		// A host row whose replica is gone (buried, or left) is free.
		_, err := tx.Exec(ctx, `DELETE FROM kube_hosts h WHERE cluster_id = $1
			AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.id = h.replica_id)`, clusterID)
		if err != nil {
			return fmt.Errorf("claim API server of %s: %w", clusterID, err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO kube_hosts (cluster_id, replica_id, claimed_at) VALUES ($1, $2, `+nowMS+`)
			ON CONFLICT (cluster_id) DO NOTHING`, clusterID, replica)
		if err != nil {
			return fmt.Errorf("claim API server of %s: %w", clusterID, err)
		}
		err = tx.QueryRow(ctx, `SELECT replica_id, endpoint FROM kube_hosts WHERE cluster_id = $1`, clusterID).Scan(&h.ReplicaID, &h.Endpoint)
		if err != nil {
			return fmt.Errorf("claim API server of %s: %w", clusterID, err)
		}
		return nil
	})
	return h, err
}

// KubeHostSet records where the cluster's API server answers, if replica
// still hosts it; ok is false when another replica took it over.
func (db *DB) KubeHostSet(ctx context.Context, clusterID, replica, endpoint string) (ok bool, err error) {
	tag, err := db.pool.Exec(ctx, `UPDATE kube_hosts SET endpoint = $3 WHERE cluster_id = $1 AND replica_id = $2`,
		clusterID, replica, endpoint)
	if err != nil {
		return false, fmt.Errorf("record API server of %s: %w", clusterID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// KubeHostRelease stops replica hosting the cluster (when it is deleted,
// or the replica stops serving it).
func (db *DB) KubeHostRelease(ctx context.Context, clusterID, replica string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM kube_hosts WHERE cluster_id = $1 AND replica_id = $2`, clusterID, replica)
	if err != nil {
		return fmt.Errorf("release API server of %s: %w", clusterID, err)
	}
	return nil
}

// KubeHostList returns the hosts of the API servers replica runs ("": all
// replicas), live replicas' only (those in the replicas table).
func (db *DB) KubeHostList(ctx context.Context, replica string) ([]KubeHost, error) {
	return queryAll(ctx, db.pool, "list API server hosts", func(r scanner) (KubeHost, error) {
		var h KubeHost
		err := r.Scan(&h.ClusterID, &h.ReplicaID, &h.Endpoint)
		return h, err
	}, `SELECT cluster_id, replica_id, endpoint FROM kube_hosts h WHERE ($1 = '' OR replica_id = $1)
		AND EXISTS (SELECT 1 FROM replicas r WHERE r.id = h.replica_id) ORDER BY cluster_id`, replica)
}

// SecretFilesGet returns the files kept under name; ok is false when there
// are none.
func (db *DB) SecretFilesGet(ctx context.Context, name string) (files map[string][]byte, ok bool, err error) {
	var sealed string
	err = db.pool.QueryRow(ctx, `SELECT files FROM shared_secrets WHERE name = $1`, name).Scan(&sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read shared files %s: %w", name, err)
	}
	files, err = db.openFiles(sealed)
	if err != nil {
		return nil, false, fmt.Errorf("read shared files %s: %w", name, err)
	}
	return files, true, nil
}

// SecretFilesPut keeps files under name unless some are kept there
// already, and returns those kept: replicas making a name's files at once
// all end up with the first one's.
func (db *DB) SecretFilesPut(ctx context.Context, name string, files map[string][]byte) (map[string][]byte, error) {
	b, err := json.Marshal(files)
	if err != nil {
		return nil, fmt.Errorf("keep shared files %s: %w", name, err)
	}
	var sealed string
	err = db.pool.QueryRow(ctx, `INSERT INTO shared_secrets (name, files) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING files`, name, db.box.seal(string(b))).Scan(&sealed)
	if err != nil {
		return nil, fmt.Errorf("keep shared files %s: %w", name, err)
	}
	kept, err := db.openFiles(sealed)
	if err != nil {
		return nil, fmt.Errorf("keep shared files %s: %w", name, err)
	}
	return kept, nil
}

// SecretFilesDelete forgets the files kept under name.
func (db *DB) SecretFilesDelete(ctx context.Context, name string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM shared_secrets WHERE name = $1`, name); err != nil {
		return fmt.Errorf("delete shared files %s: %w", name, err)
	}
	return nil
}

func (db *DB) openFiles(sealed string) (map[string][]byte, error) {
	plain, err := db.box.open(sealed)
	if err != nil {
		return nil, err
	}
	var files map[string][]byte
	if err := json.Unmarshal([]byte(plain), &files); err != nil {
		return nil, err
	}
	return files, nil
}

// ReplicaSeen returns when replica id last beat (the database's clock, in
// ms) and how long ago; ok is false when it is not in the table.
func (db *DB) ReplicaSeen(ctx context.Context, id string) (seen int64, age time.Duration, ok bool, err error) {
	var ageMS int64
	err = db.pool.QueryRow(ctx, `SELECT seen_at, `+nowMS+` - seen_at FROM replicas WHERE id = $1`, id).Scan(&seen, &ageMS)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, fmt.Errorf("replica %s: %w", id, err)
	}
	return seen, time.Duration(ageMS) * time.Millisecond, true, nil
}

// ReplicaRequeue makes the jobs replica id shows running available again:
// call it when a replica restarts under its id, before its River client
// starts, so that it resumes what it was running when it died.
func (db *DB) ReplicaRequeue(ctx context.Context, id string) (int, error) {
	tag, err := db.pool.Exec(ctx, requeueOf, id)
	if err != nil {
		return 0, fmt.Errorf("requeue the jobs of %s: %w", id, err)
	}
	return int(tag.RowsAffected()), nil
}
