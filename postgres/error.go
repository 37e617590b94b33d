package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ackscale/ackscale"
)

// SQLSTATE codes this package reacts to.
const (
	sqlUniqueViolation      = "23505"
	sqlSerializationFailure = "40001"
	sqlDeadlockDetected     = "40P01"
)

// pgError returns err's PostgreSQL error, or nil.
func pgError(err error) *pgconn.PgError {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

// uniqueViolation returns the name of the unique constraint or index that
// err violated, and whether it is a unique violation at all.
func uniqueViolation(err error) (constraint string, ok bool) {
	pe := pgError(err)
	if pe == nil || pe.Code != sqlUniqueViolation {
		return "", false
	}
	return pe.ConstraintName, true
}

// retryable reports whether err ends a transaction that may be run again
// as it is: PostgreSQL chose it as a deadlock's victim, or (under a
// stricter isolation than this package uses) a serialization failure.
func retryable(err error) bool {
	pe := pgError(err)
	return pe != nil && (pe.Code == sqlDeadlockDetected || pe.Code == sqlSerializationFailure)
}

// insertError translates the error of an INSERT: a taken unique key is a
// conflict (ackscale.ConflictErrorf, which callers may retry with another
// value) described by what; any other error is wrapped as "insert what".
func insertError(err error, what string) error {
	if err == nil {
		return nil
	}
	if _, ok := uniqueViolation(err); ok {
		return ackscale.ConflictErrorf("%s is taken", what)
	}
	return fmt.Errorf("insert %s: %w", what, err)
}

// stateful names a table whose rows change state along a transition
// table: its key and state columns, and what its rows are called.
type stateful struct{ table, key, state, what string }

var (
	clusterRows = stateful{"clusters", "id", "state", "cluster"}
	taskRows    = stateful{"tasks", "id", "state", "task"}
	workerRows  = stateful{"workers", "client_token", "state", "worker"}
)

// unchanged explains a conditional UPDATE of the row key that changed
// nothing: the row is missing (notFound), or it is in a state that may
// not move to state to (a *TransitionError).
func (r stateful) unchanged(ctx context.Context, q querier, key, to string, notFound error) error {
	var from string
	err := q.QueryRow(ctx, `SELECT `+r.state+` FROM `+r.table+` WHERE `+r.key+` = $1`, key).Scan(&from)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound
	}
	if err != nil {
		return fmt.Errorf("read %s state: %w", r.what, err)
	}
	return &ackscale.TransitionError{What: r.what, ID: key, From: from, To: to}
}
