package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ackscale/ackscale"
)

// isUniqueViolation reports whether err is SQLite refusing a row whose
// unique or primary key is taken.
func isUniqueViolation(err error) bool {
	var se *msqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return true
	}
	return false
}

// insertError translates the error of an INSERT: a taken unique key is a
// conflict (ackscale.ConflictErrorf, which callers may retry with another
// value) described by what; any other error is wrapped as "insert what".
func insertError(err error, what string) error {
	if err == nil {
		return nil
	}
	if isUniqueViolation(err) {
		return ackscale.ConflictErrorf("%s is taken", what)
	}
	return fmt.Errorf("insert %s: %w", what, err)
}

// stateful names a table whose rows change state along a transition
// table: its key and state columns, and what its rows are called.
type stateful struct{ table, key, state, what string }

var (
	clusterRows  = stateful{"clusters", "id", "state", "cluster"}
	taskRows     = stateful{"tasks", "id", "state", "task"}
	workerRows   = stateful{"workers", "client_token", "state", "worker"}
	instanceRows = stateful{"cloud_instances", "id", "status", "instance"}
)

// unchanged explains a conditional UPDATE of the row key that changed
// nothing: the row is missing (notFound), or it is in a state that may
// not move to state to (a *TransitionError).
func (r stateful) unchanged(ctx context.Context, tx *sql.Tx, key, to string, notFound error) error {
	var from string
	err := tx.QueryRowContext(ctx, `SELECT `+r.state+` FROM `+r.table+` WHERE `+r.key+` = ?`, key).Scan(&from)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound
	}
	if err != nil {
		return fmt.Errorf("read %s state: %w", r.what, err)
	}
	return &ackscale.TransitionError{What: r.what, ID: key, From: from, To: to}
}
