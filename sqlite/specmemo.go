package sqlite

import (
	"encoding/json"
	"sync"

	"github.com/ackscale/ackscale"
)

// A specMemo remembers what the JSON spec columns it decoded decode to.
// A cluster's or a pool's row is read again after every change of its
// state (the per-row caches drop it), but its spec, most of the row and
// most of the cost of reading it (encoding/json was a tenth of the accept
// path's CPU), seldom changes: the same bytes decode to the same value, so
// a memo by the bytes is exact. Each caller gets a copy of its own.
type specMemo[T any] struct {
	mu  sync.Mutex
	m   map[string]T
	max int // past it the memo starts over
}

// maxMemoSpecs bounds each memo: about the clusters (or pools) in use at once.
const maxMemoSpecs = 2048

var (
	clusterSpecs = &specMemo[ackscale.ClusterSpec]{max: maxMemoSpecs}
	poolSpecs    = &specMemo[ackscale.NodePoolSpec]{max: maxMemoSpecs}
)

// decode sets *v to what raw decodes to.
func (s *specMemo[T]) decode(raw string, v *T) error {
	s.mu.Lock()
	known, ok := s.m[raw]
	s.mu.Unlock()
	if ok {
		*v = deepCopy(known)
		return nil
	}
	var fresh T
	if err := json.Unmarshal([]byte(raw), &fresh); err != nil {
		return err
	}
	s.mu.Lock()
	if s.m == nil || len(s.m) >= s.max {
		s.m = make(map[string]T)
	}
	s.m[raw] = fresh
	s.mu.Unlock()
	*v = deepCopy(fresh)
	return nil
}
