package memstore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/ackscale/ackscale"
)

// NodePoolGet returns one pool of a cluster; CodeNodePoolNotFound when the
// cluster has none with that id, or it is deleted (unless WithDeleted).
func (s *Store) NodePoolGet(_ context.Context, p ackscale.NodePoolGetParams) (ackscale.NodePool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	np, ok := s.pools[p.ID]
	if !ok || np.ClusterID != p.ClusterID || np.State == ackscale.NodePoolDeleted && !p.WithDeleted {
		return ackscale.NodePool{}, poolNotFound(p.ID)
	}
	return clonePool(np), nil
}

func poolNotFound(id string) error {
	return ackscale.Errorf(ackscale.CodeNodePoolNotFound, "node pool %s not found", id)
}

// NodePoolList returns a cluster's pools that are not deleted (of the name
// p.Name, unless it is ""), the default one first, then oldest first (then
// by id).
func (s *Store) NodePoolList(_ context.Context, p ackscale.NodePoolListParams) ([]ackscale.NodePool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.pools.sorted(func(np ackscale.NodePool) bool {
		return np.ClusterID == p.ClusterID && np.State != ackscale.NodePoolDeleted && matches(p.Name, np.Spec.Name)
	}, poolOrder)
	return nonNil(convert(all, clonePool)), nil
}

// poolOrder orders a cluster's pools: the default one first, then oldest
// first, then by id.
func poolOrder(a, b ackscale.NodePool) int {
	rank := func(np ackscale.NodePool) int {
		if np.IsDefault {
			return 0
		}
		return 1
	}
	return cmp.Or(cmp.Compare(rank(a), rank(b)), a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
}

func clonePool(np ackscale.NodePool) ackscale.NodePool {
	np.Spec = cloneJSON(np.Spec)
	return np
}

// copyPoolSpec copies a spec through JSON, as SQLite stores it; a Config
// that is not JSON is an error.
func copyPoolSpec(spec ackscale.NodePoolSpec) (ackscale.NodePoolSpec, error) {
	data, err := json.Marshal(spec)
	if err != nil {
		return spec, fmt.Errorf("encode node pool spec: %w", err)
	}
	var out ackscale.NodePoolSpec
	if err := json.Unmarshal(data, &out); err != nil {
		return spec, fmt.Errorf("decode node pool spec: %w", err)
	}
	return out, nil
}

// bornPool returns a pool about to be inserted for task t: of t's cluster
// and account, in the state t's type holds its pools in (active for a
// type that holds none; "" means it, another state is a
// *TransitionError), with its times filled in.
func bornPool(np ackscale.NodePool, t ackscale.Task, isDefault bool, now time.Time) (ackscale.NodePool, error) {
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
	spec, err := copyPoolSpec(np.Spec)
	if err != nil {
		return np, err
	}
	np.Spec, np.ClusterID, np.AccountID, np.IsDefault = spec, t.ClusterID, t.AccountID, isDefault
	np.Created, np.Updated = orTime(np.Created, now), orTime(np.Updated, now)
	return np, nil
}

// poolTaken returns a conflict when a pool has id already. The caller
// holds the lock.
func (s *Store) poolTaken(id string) error {
	if _, ok := s.pools[id]; ok {
		return ackscale.ConflictErrorf("node pool %s is taken", id)
	}
	return nil
}

// busyPool refuses a cluster-level task while a pool of the cluster that
// it does not move itself is busy: CodeClusterState, naming the pool. The
// caller holds the lock.
func (s *Store) busyPool(clusterID string, moves []ackscale.PoolMove) error {
	busy := s.pools.sorted(func(np ackscale.NodePool) bool {
		return np.ClusterID == clusterID && np.State.Busy() &&
			!slices.ContainsFunc(moves, func(m ackscale.PoolMove) bool { return m.ID == np.ID })
	}, poolOrder)
	if len(busy) == 0 {
		return nil
	}
	return ackscale.Errorf(ackscale.CodeClusterState, "cluster %s has node pool %s %s; wait for its task to end",
		clusterID, busy[0].ID, busy[0].State)
}

// movePools returns the pools of the cluster that moves move, moved (and
// given their new specs), in order, each move seeing the ones before it.
// CodeNodePoolNotFound when the cluster has no such pool (or it is
// deleted); CodeNodePoolState when it is not in its From. The caller
// checked that the table allows each move, and holds the lock.
func (s *Store) movePools(clusterID string, moves []ackscale.PoolMove, now time.Time) (map[string]ackscale.NodePool, error) {
	out := map[string]ackscale.NodePool{}
	for _, m := range moves {
		np, ok := out[m.ID]
		if !ok {
			np, ok = s.pools[m.ID]
		}
		if !ok || np.ClusterID != clusterID || np.State == ackscale.NodePoolDeleted {
			return nil, poolNotFound(m.ID)
		}
		if np.State != m.From {
			return nil, ackscale.Errorf(ackscale.CodeNodePoolState, "node pool %s is %s; this operation needs it %s", m.ID, np.State, m.From)
		}
		if m.Spec != nil {
			spec, err := copyPoolSpec(*m.Spec)
			if err != nil {
				return nil, err
			}
			np.Spec = spec
		}
		np.State, np.Updated = m.To, now
		out[m.ID] = np
	}
	return out, nil
}

// finishPools returns the pools of the cluster that an ended task worked
// on (ids) moved to state to, their desired size made the count of their
// workers that kept keeps (unless to is deleted); a deleted pool is left
// out. CodeNodePoolNotFound when the cluster has no such pool; a
// *TransitionError when one may not move to to. The caller holds the lock.
func (s *Store) finishPools(clusterID string, ids []string, to ackscale.NodePoolState, kept func(worker) bool) (map[string]ackscale.NodePool, error) {
	out := map[string]ackscale.NodePool{}
	if to == "" {
		return out, nil
	}
	for _, id := range ids {
		np, ok := out[id]
		if !ok {
			np, ok = s.pools[id]
		}
		if !ok || np.ClusterID != clusterID {
			return nil, poolNotFound(id)
		}
		if np.State == ackscale.NodePoolDeleted {
			continue
		}
		if err := checkMove("node pool", id, np.State, to); err != nil {
			return nil, err
		}
		np.State, np.Updated = to, s.now()
		if to != ackscale.NodePoolDeleted {
			np.Spec.DesiredSize = s.workers.count(func(w worker) bool { return w.ClusterID == clusterID && w.NodePoolID == id && kept(w) })
		}
		out[id] = np
	}
	return out, nil
}
