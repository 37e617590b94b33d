package memstore

import (
	"slices"

	"github.com/ackscale/ackscale"
)

// table is a map of rows by key, with the lookups the store repeats. The
// caller holds the store's lock.
type table[K comparable, V any] map[K]V

// get returns the row under key; notFound(key) when there is none.
func (t table[K, V]) get(key K, notFound func(K) error) (V, error) {
	v, ok := t[key]
	if !ok {
		return v, notFound(key)
	}
	return v, nil
}

// update changes the row under key with change and stores it, unless
// change fails (its error); notFound(key) when there is none.
func (t table[K, V]) update(key K, notFound func(K) error, change func(*V) error) error {
	v, err := t.get(key, notFound)
	if err != nil {
		return err
	}
	if err := change(&v); err != nil {
		return err
	}
	t[key] = v
	return nil
}

// find returns a row that match accepts, if there is one.
func (t table[K, V]) find(match func(V) bool) (V, bool) {
	for _, v := range t {
		if match(v) {
			return v, true
		}
	}
	var zero V
	return zero, false
}

// count counts the rows that match accepts.
func (t table[K, V]) count(match func(V) bool) int {
	n := 0
	for _, v := range t {
		if match(v) {
			n++
		}
	}
	return n
}

// sorted returns the rows that keep accepts (nil keep: every row), sorted
// by cmp; nil when there are none.
func (t table[K, V]) sorted(keep func(V) bool, cmp func(a, b V) int) []V {
	var out []V
	for _, v := range t {
		if keep == nil || keep(v) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, cmp)
	return out
}

// setOrDelete stores v under key, or deletes key when del.
func (t table[K, V]) setOrDelete(key K, v V, del bool) {
	if del {
		delete(t, key)
		return
	}
	t[key] = v
}

// convert returns f of each row, in order; nil when there are none.
func convert[V, T any](rows []V, f func(V) T) []T {
	var out []T
	for _, v := range rows {
		out = append(out, f(v))
	}
	return out
}

// nonNil returns s, or an empty slice when s is nil: for the lists that
// answer [] rather than nil.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// state is a state type with a transition table.
type state[S any] interface {
	~string
	CanMoveTo(to S) bool
}

// checkMove returns a *TransitionError when what id may not move from
// state from to state to.
func checkMove[S state[S]](what, id string, from, to S) error {
	if from.CanMoveTo(to) {
		return nil
	}
	return &ackscale.TransitionError{What: what, ID: id, From: string(from), To: string(to)}
}
