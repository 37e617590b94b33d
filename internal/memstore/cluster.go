package memstore

import (
	"cmp"
	"context"
	"fmt"

	"github.com/ackscale/ackscale"
)

// ClusterCreate inserts a cluster (state ClusterInitial; "" means it), its
// default pool (of the cluster and its account, in the state the create
// task holds its pools in; "" means it), its create task, the task's job
// and its quota reservation (p.Reserve, as TaskStart).
// CodeClusterNameExists when the account has a cluster of that name that
// is not deleted; a taken cluster, pool or task id is a conflict; a
// cluster, pool or task not born in its first state is a
// *TransitionError.
func (s *Store) ClusterCreate(_ context.Context, p ackscale.ClusterCreateParams) error {
	c := p.Cluster
	c.State = cmp.Or(c.State, ackscale.ClusterInitial)
	if c.State != ackscale.ClusterInitial {
		return &ackscale.TransitionError{What: "cluster", ID: c.ID, To: string(c.State)}
	}
	owner := p.Task
	owner.ClusterID, owner.AccountID = c.ID, c.AccountID // the pool is the cluster's
	pool, err := bornPool(p.DefaultPool, owner, true, s.now())
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.unlock()
	if s.nameTaken(c.AccountID, c.Spec.Name) {
		return ackscale.FieldErrorf(ackscale.CodeClusterNameExists, "name", "name: a cluster named %q already exists", c.Spec.Name)
	}
	if _, ok := s.clusters[c.ID]; ok {
		return ackscale.ConflictErrorf("cluster %s is taken", c.ID)
	}
	if err := s.poolTaken(pool.ID); err != nil {
		return err
	}
	t, err := s.newTask(p.Task, p.Reserve)
	if err != nil {
		return err
	}
	c.Created = s.orNow(c.Created)
	c.Updated = s.orNow(c.Updated)
	s.clusters[c.ID] = cloneCluster(c)
	s.pools[pool.ID] = pool
	s.insertTask(t, p.Reserve)
	return nil
}

// nameTaken reports whether an account has a cluster of that name that is
// not deleted. The caller holds the lock.
func (s *Store) nameTaken(accountID, name string) bool {
	_, ok := s.clusters.find(func(c ackscale.Cluster) bool {
		return c.AccountID == accountID && c.Spec.Name == name && c.State != ackscale.ClusterDeleted
	})
	return ok
}

// ClusterGet returns one cluster; CodeClusterNotFound when it does not
// exist in the account (AccountID "": in any account), or is deleted
// (unless WithDeleted).
func (s *Store) ClusterGet(_ context.Context, p ackscale.ClusterGetParams) (ackscale.Cluster, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clusters[p.ID]
	if !ok || p.AccountID != "" && c.AccountID != p.AccountID || c.State == ackscale.ClusterDeleted && !p.WithDeleted {
		return ackscale.Cluster{}, clusterNotFound(p.ID)
	}
	return cloneCluster(c), nil
}

func clusterNotFound(id string) error {
	return ackscale.Errorf(ackscale.CodeClusterNotFound, "cluster %s not found", id)
}

// ClusterList returns clusters that are not deleted, newest first (then
// by id), and the count before paging.
func (s *Store) ClusterList(_ context.Context, p ackscale.ClusterListParams) ([]ackscale.Cluster, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.clusters.sorted(func(c ackscale.Cluster) bool { return clusterMatches(c, p) }, func(a, b ackscale.Cluster) int {
		return cmp.Or(b.Created.Compare(a.Created), cmp.Compare(a.ID, b.ID))
	})
	return convert(page(all, p.Offset, p.Limit), cloneCluster), len(all), nil
}

// clusterMatches reports whether a listing with p shows c.
func clusterMatches(c ackscale.Cluster, p ackscale.ClusterListParams) bool {
	return c.State != ackscale.ClusterDeleted &&
		matches(p.AccountID, c.AccountID) && matches(p.ClusterID, c.ID) && matches(p.Name, c.Spec.Name) &&
		matches(p.ClusterType, c.Spec.ClusterType) && matches(p.Profile, c.Spec.Profile) &&
		matches(p.RegionID, c.Spec.RegionID) && (!p.WithAPIServer || c.APIServer != "")
}

// matches reports whether a filter value ("" = any) accepts v.
func matches(want, v string) bool { return want == "" || want == v }

// ClusterSetAPIServer records the endpoint of the cluster's kube-apiserver
// ("" forgets it), whatever the cluster's state; CodeClusterNotFound when
// there is no such cluster.
func (s *Store) ClusterSetAPIServer(_ context.Context, p ackscale.ClusterSetAPIServerParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clusters.update(p.ID, clusterNotFound, func(c *ackscale.Cluster) error {
		c.APIServer, c.Updated = p.Endpoint, s.now()
		return nil
	})
}

// ClusterUpdate replaces the spec of the account's cluster and inserts
// p.Task, already ended and with no job.
func (s *Store) ClusterUpdate(_ context.Context, p ackscale.ClusterUpdateParams) error {
	if !p.Task.State.Ended() {
		return fmt.Errorf("update cluster %s: its task %s has not ended", p.ID, p.Task.ID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clusters[p.ID]
	if !ok || c.AccountID != p.AccountID || c.State == ackscale.ClusterDeleted {
		return ackscale.Errorf(ackscale.CodeClusterNotFound, "cluster %s not found", p.ID)
	}
	if c.Spec.Name != p.Spec.Name && s.nameTaken(p.AccountID, p.Spec.Name) {
		return ackscale.FieldErrorf(ackscale.CodeClusterNameExists, "cluster_name", "cluster_name: a cluster named %q already exists", p.Spec.Name)
	}
	if _, ok := s.tasks[p.Task.ID]; ok {
		return ackscale.ConflictErrorf("task %s is taken", p.Task.ID)
	}
	c.Spec, c.Updated = p.Spec, s.now()
	s.clusters[p.ID] = cloneCluster(c)
	t := p.Task
	t.Created, t.Updated = s.orNow(t.Created), s.orNow(t.Updated)
	s.tasks[t.ID] = cloneTask(t)
	return nil
}
