package sqlite

import (
	"encoding/json"

	"github.com/ackscale/ackscale"
)

// The spec memos remember what the JSON spec columns they decoded decode
// to. A cluster's or a pool's row is read again after every change of its
// state (the per-row caches drop it), but its spec, most of the row and
// most of the cost of reading it (encoding/json was a tenth of the accept
// path's CPU), seldom changes: the same bytes decode to the same value, so
// a memo by the bytes is exact. Each is a keyedCache keyed by the bytes
// that nothing drops (its version never moves); each caller gets a copy
// of its own.
var (
	clusterSpecs = &keyedCache[ackscale.ClusterSpec]{clone: deepCopy[ackscale.ClusterSpec], max: maxMemoSpecs}
	poolSpecs    = &keyedCache[ackscale.NodePoolSpec]{clone: deepCopy[ackscale.NodePoolSpec], max: maxMemoSpecs}
)

// maxMemoSpecs bounds each memo: about the clusters (or pools) in use at once.
const maxMemoSpecs = 2048

// decodeSpec sets *v to what raw decodes to, through memo.
func decodeSpec[T any](memo *keyedCache[T], raw string, v *T) error {
	spec, err := memo.read(raw, func() (T, error) {
		var fresh T
		return fresh, json.Unmarshal([]byte(raw), &fresh)
	})
	if err != nil {
		return err
	}
	*v = spec
	return nil
}
