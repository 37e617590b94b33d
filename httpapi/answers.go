package httpapi

import (
	"context"
	"net/http"
	"sync"
)

// Kept answers: the reads clients poll — DescribeTaskInfo while a task
// runs, DescribeClusterDetail, DescribeClusterNodes — are answered with
// the encoded answer to the same request, while the stores say nothing
// has changed since it was made (ops.Service.Changes: on SQLite, a count
// of the committed changes of clusters, pools, tasks and workers). Making
// such an answer again is most of its cost: a task's or a page's workers
// copied out of the store's cache and encoded, 100 of them to a page.
//
// It is exact, not a guess with an expiry: the number is read before the
// operation reads anything, and an answer kept under it is given only
// while the number has not moved. A request is the same request when the
// account that signed it, its operation, its path and query, and what the
// answer's form depends on (XML or JSON, the old Go SDK's task_result)
// are. Only successful answers are kept; every request is still signed,
// checked, throttled, logged and counted. Without the number (PostgreSQL,
// whose other replicas write too) nothing is kept.

// maxAnswers and maxAnswerBytes bound the answers kept (a page of 100
// nodes is about 70 KB); past either the cache starts over.
const (
	maxAnswers     = 1024
	maxAnswerBytes = 16 << 20
)

// answerKey is what makes two requests the same request.
type answerKey struct {
	op, account, uri string
	xml, oldGoSDK    bool
}

// keptAnswer is an encoded successful answer and the number it was made
// under. Its body is never changed once kept.
type keptAnswer struct {
	changes     uint64
	status      int
	contentType string
	body        []byte
}

type answers struct {
	mu       sync.Mutex
	kept     map[answerKey]*keptAnswer
	bytes    int // of the bodies kept
	max      int
	maxBytes int
}

func (a *answers) get(key answerKey, changes uint64) (*keptAnswer, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k, ok := a.kept[key]
	if !ok || k.changes != changes {
		return nil, false
	}
	return k, true
}

func (a *answers) put(key answerKey, k *keptAnswer) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if old, ok := a.kept[key]; ok {
		a.bytes -= len(old.body)
	}
	if a.kept == nil || len(a.kept) >= a.max || a.bytes+len(k.body) > a.maxBytes {
		a.kept, a.bytes = map[answerKey]*keptAnswer{}, 0
	}
	a.kept[key] = k
	a.bytes += len(k.body)
}

// kept returns h with its answers kept: h runs only when no answer to the
// same request is kept under the stores' current number of changes.
func (s *Server) kept(h handlerFunc) handlerFunc {
	return func(ctx context.Context, r *request) (response, error) {
		changes, ok := s.cfg.Ops.Changes()
		if !ok {
			return h(ctx, r)
		}
		key := answerKey{op: r.op, account: r.account.ID, uri: r.URL.RequestURI(), xml: wantsXML(r.Request),
			oldGoSDK: oldGoSDK(r.Request)}
		if k, ok := s.answers.get(key, changes); ok {
			return response{status: k.status, encoded: k}, nil
		}
		resp, err := h(ctx, r)
		if err != nil || resp.status != http.StatusOK {
			return resp, err
		}
		contentType, body, err := encode(r.Request, resp.body)
		if err != nil {
			return resp, nil // write answers the encoding error
		}
		k := &keptAnswer{changes: changes, status: resp.status, contentType: contentType, body: body}
		s.answers.put(key, k)
		return response{status: k.status, encoded: k}, nil
	}
}
