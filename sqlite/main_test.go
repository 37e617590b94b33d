package sqlite

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// template is a migrated database that openTestDB copies: migrating
// River's tables anew for each of hundreds of subtests is most of their
// time under -race. TestReopen and TestRiverClient open fresh ones.
var template struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if template.dir != "" {
		_ = os.RemoveAll(template.dir)
	}
	os.Exit(code)
}

// openTestDB opens a migrated database of its own in t.TempDir(), closed
// when t ends.
func openTestDB(t testing.TB) *DB {
	t.Helper()
	template.once.Do(func() {
		template.dir, template.err = os.MkdirTemp("", "ackscale-sqlite-")
		if template.err != nil {
			return
		}
		db, err := Open(context.Background(), Config{Dir: template.dir})
		if err != nil {
			template.err = err
			return
		}
		template.err = db.Close() // checkpoints the WAL into the file
	})
	require.NoError(t, template.err)
	dir := t.TempDir()
	for _, name := range []string{"ackscale.db", "secret.key"} {
		copyFile(t, filepath.Join(template.dir, name), filepath.Join(dir, name))
	}
	db, err := Open(context.Background(), Config{Dir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	return db
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	require.NoError(t, err)
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	_, err = io.Copy(dst, src)
	require.NoError(t, err)
	require.NoError(t, dst.Close())
}
