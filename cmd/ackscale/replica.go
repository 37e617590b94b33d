package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ackscale/ackscale/postgres"
)

// Replicas of one PostgreSQL database: each beats every beatEvery; one
// silent for deadAfter is dead, and whichever replica notices first makes
// the jobs it was running available again (River's next fetch, within
// 100 ms, runs them) and frees the API servers it hosted. So a task cut
// short by a dead replica resumes within about deadAfter + buryEvery.
const (
	beatEvery = time.Second
	buryEvery = 2 * time.Second
	deadAfter = 10 * time.Second
	// idleBefore is how long a replica's id must have been silent for a
	// new process to take it: three beats.
	idleBefore = 3 * beatEvery
)

// replicaLoop keeps this replica alive in the database and buries dead
// ones.
type replicaLoop struct {
	db   *postgres.DB
	id   string
	addr atomic.Value // string: where this replica listens, once it does
	log  *slog.Logger

	stop func()
}

// newReplicaID is a replica's name when --replica-id is not given: the
// host name and a random suffix, new at every start (a restarted replica
// is a new one; the old one is buried).
func newReplicaID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "ackscale"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return host + "-" + hex.EncodeToString(b)
}

// start takes this replica's id (resuming the jobs a process of the same
// id left running), beats once (so that this replica is known before it
// runs a job), then beats and buries in the background until ctx ends or
// leave.
func (r *replicaLoop) start(ctx context.Context) error {
	if err := r.take(ctx); err != nil {
		return err
	}
	if err := r.db.ReplicaBeat(ctx, r.id, ""); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { r.run(ctx) })
	r.stop = func() { cancel(); wg.Wait() }
	r.log.Info("replica joined", "replica_id", r.id)
	return nil
}

// take makes sure no live process beats under this replica's id: one
// that beat within idleBefore is watched until its beat would have come;
// if it comes, the id is in use. The jobs a dead process of this id left
// running are then made available again, to run at once rather than when
// the replica would have been buried.
func (r *replicaLoop) take(ctx context.Context) error {
	seen, age, ok, err := r.db.ReplicaSeen(ctx, r.id)
	if err != nil {
		return err
	}
	if ok && age < idleBefore {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(idleBefore - age):
		}
		again, _, _, err := r.db.ReplicaSeen(ctx, r.id)
		if err != nil {
			return err
		}
		if again != seen {
			return fmt.Errorf("replica id %s is in use by a live replica: give each replica its own --replica-id", r.id)
		}
	}
	n, err := r.db.ReplicaRequeue(ctx, r.id)
	if n > 0 {
		r.log.Info("resumed the jobs this replica was running", "replica_id", r.id, "jobs", n)
	}
	return err
}

func (r *replicaLoop) run(ctx context.Context) {
	beat := time.NewTicker(beatEvery)
	defer beat.Stop()
	bury := time.NewTicker(buryEvery)
	defer bury.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			addr, _ := r.addr.Load().(string)
			if err := r.db.ReplicaBeat(ctx, r.id, addr); err != nil && ctx.Err() == nil {
				r.log.Error("replica beat", "err", err)
			}
		case <-bury.C:
			b, err := r.db.ReplicaBury(ctx, deadAfter)
			switch {
			case err != nil && ctx.Err() == nil:
				r.log.Error("bury replicas", "err", err)
			case len(b.Replicas) > 0:
				r.log.Warn("replicas dead: their jobs requeued, their API servers freed",
					"replicas", b.Replicas, "jobs", b.Jobs, "api_servers", b.Hosts)
			}
		}
	}
}

// leave stops beating and removes this replica; call it once River has
// stopped.
func (r *replicaLoop) leave() {
	if r.stop == nil {
		return
	}
	r.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.db.ReplicaLeave(ctx, r.id); err != nil {
		r.log.Error("replica leave", "err", err)
	}
}
