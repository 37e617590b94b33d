// Package memstore is an in-memory implementation of the store contracts
// of the root package (ackscale.AccountStore, ClusterStore, WorkerStore,
// CloudStore and Checker), for fast unit tests of the layers above the
// store. It is a fake, held to the same conformance suite as SQLite
// (internal/storetest): the same transition tables, errors and orderings.
//
// One mutex guards the whole store, so every method is one transaction:
// it checks everything first and then writes all of it, or returns an
// error and writes nothing. Values are copied on the way in and out, so a
// caller never shares a slice or map with the store.
package memstore

import (
	"encoding/json"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/ackscale/ackscale"
)

var (
	_ ackscale.AccountStore = (*Store)(nil)
	_ ackscale.ClusterStore = (*Store)(nil)
	_ ackscale.WorkerStore  = (*Store)(nil)
	_ ackscale.CloudStore   = (*Store)(nil)
	_ ackscale.Checker      = (*Store)(nil)
)

// Option configures a Store.
type Option func(*Store)

// WithNow sets the clock the store reads (default ackscale.NowUTC): for
// nonce expiry, release times, and the times it fills in.
func WithNow(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithOnEnqueue sets a function the store calls with the task id of each
// job it enqueues, once the transaction that enqueued it is done (so the
// function may call the store, as a task runner does).
func WithOnEnqueue(fn func(taskID string)) Option { return func(s *Store) { s.onEnqueue = fn } }

// Store is the in-memory store. Make one with New.
type Store struct {
	now       func() time.Time
	onEnqueue func(taskID string)

	mu        sync.Mutex
	seq       int // counts insertions: the last tie-break of an ordering
	accounts  table[string, account]
	nonces    map[nonceKey]time.Time
	clusters  table[string, ackscale.Cluster]
	pools     table[string, ackscale.NodePool] // by id
	tasks     table[string, ackscale.Task]
	jobs      []string
	enqueued  []string                  // jobs enqueued under the lock, for unlock
	workers   table[string, worker]     // by client token
	specs     table[string, workerSpec] // by task id
	instances table[string, instance]   // by id
	byToken   map[string]string         // instance ids by client token
	usage     table[scopeKey, counts]
	stockLive map[stockKey]int // live instances of each zone × type
	ipPools   map[poolKey]*ipPool
	held      map[heldKey]string // the instance holding each IP of a pool
	// reservations are the tasks' quota reservations, by task id.
	reservations table[string, reservation]
	stock        table[stockKey, ackscale.StockOverride]
	quotas       table[quotaKey, ackscale.QuotaOverride]
	faults       table[string, fault]
}

// New returns an empty store.
func New(opts ...Option) *Store {
	s := &Store{
		now:          ackscale.NowUTC,
		accounts:     map[string]account{},
		nonces:       map[nonceKey]time.Time{},
		clusters:     map[string]ackscale.Cluster{},
		pools:        map[string]ackscale.NodePool{},
		tasks:        map[string]ackscale.Task{},
		workers:      map[string]worker{},
		specs:        map[string]workerSpec{},
		instances:    map[string]instance{},
		byToken:      map[string]string{},
		stockLive:    map[stockKey]int{},
		ipPools:      map[poolKey]*ipPool{},
		held:         map[heldKey]string{},
		usage:        map[scopeKey]counts{},
		reservations: map[string]reservation{},
		stock:        map[stockKey]ackscale.StockOverride{},
		quotas:       map[quotaKey]ackscale.QuotaOverride{},
		faults:       map[string]fault{},
	}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// Jobs returns the task ids whose jobs were enqueued so far, in order.
func (s *Store) Jobs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.jobs)
}

// unlock releases the lock, and then tells the OnEnqueue function about
// the jobs enqueued while it was held (so the function may call the
// store). Methods that enqueue jobs release the lock with it.
func (s *Store) unlock() {
	enqueued := s.enqueued
	s.enqueued = nil
	s.mu.Unlock()
	if s.onEnqueue == nil {
		return
	}
	for _, taskID := range enqueued {
		s.onEnqueue(taskID)
	}
}

// nextSeq returns the next insertion number. The caller holds the lock.
func (s *Store) nextSeq() int {
	s.seq++
	return s.seq
}

// orNow returns t, or the store's time when t is zero.
func (s *Store) orNow(t time.Time) time.Time { return orTime(t, s.now()) }

// orTime returns t, or def when t is zero.
func orTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

// page returns the part of all that an offset and limit (0: no limit)
// select.
func page[T any](all []T, offset, limit int) []T {
	offset = min(max(offset, 0), len(all))
	end := len(all)
	if limit > 0 {
		end = min(offset+limit, end)
	}
	return all[offset:end]
}

// cloneJSON copies v through JSON, as SQLite stores it (a password marked
// json:"-" is dropped). The types it copies always encode.
func cloneJSON[T any](v T) T {
	data, err := json.Marshal(v)
	if err != nil {
		panic("memstore: copy " + err.Error())
	}
	var out T
	if err := json.Unmarshal(data, &out); err != nil {
		panic("memstore: copy " + err.Error())
	}
	return out
}

func cloneCluster(c ackscale.Cluster) ackscale.Cluster {
	c.Spec = cloneJSON(c.Spec)
	return c
}

func cloneTask(t ackscale.Task) ackscale.Task {
	t.Params = cloneJSON(t.Params)
	t.Stages = slices.Clone(t.Stages)
	t.Events = slices.Clone(t.Events)
	return t
}

func cloneWorker(w ackscale.Worker) ackscale.Worker {
	w.Labels = maps.Clone(w.Labels)
	w.Taints = slices.Clone(w.Taints)
	return w
}
