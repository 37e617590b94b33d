package memstore

import (
	"cmp"
	"context"

	"github.com/ackscale/ackscale"
)

// ClusterCreate inserts a cluster (state ClusterInitial; "" means it), its
// create task, the task's job and its quota reservation (p.Reserve, as
// TaskStart). CodeClusterNameExists when the account
// has a cluster of that name that is not deleted; a taken cluster or task
// id is a conflict; a cluster or task not born in its first state is a
// *TransitionError.
func (s *Store) ClusterCreate(_ context.Context, p ackscale.ClusterCreateParams) error {
	c := p.Cluster
	c.State = cmp.Or(c.State, ackscale.ClusterInitial)
	if c.State != ackscale.ClusterInitial {
		return &ackscale.TransitionError{What: "cluster", ID: c.ID, To: string(c.State)}
	}
	s.mu.Lock()
	defer s.unlock()
	if s.nameTaken(c.AccountID, c.Spec.Name) {
		return ackscale.FieldErrorf(ackscale.CodeClusterNameExists, "name", "name: a cluster named %q already exists", c.Spec.Name)
	}
	if _, ok := s.clusters[c.ID]; ok {
		return ackscale.ConflictErrorf("cluster %s is taken", c.ID)
	}
	t, err := s.newTask(p.Task, p.Reserve)
	if err != nil {
		return err
	}
	c.Created = s.orNow(c.Created)
	c.Updated = s.orNow(c.Updated)
	s.clusters[c.ID] = cloneCluster(c)
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
