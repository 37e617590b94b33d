package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAdminToken sets ACKSCALE_ADMIN_TOKEN, so it is not parallel.
func TestAdminToken(t *testing.T) {
	t.Run("EnvironmentWins", func(t *testing.T) {
		t.Setenv("ACKSCALE_ADMIN_TOKEN", "from-env")
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "admin-token"), []byte("from-file\n"), 0o600))
		for _, create := range []bool{true, false} {
			tok, err := adminToken(dir, create)
			require.NoError(t, err)
			require.Equal(t, "from-env", tok)
		}
		empty := t.TempDir()
		tok, err := adminToken(empty, true)
		require.NoError(t, err)
		require.Equal(t, "from-env", tok)
		require.NoFileExists(t, filepath.Join(empty, "admin-token"), "nothing is written when the environment has the token")
	})

	t.Run("CreatedOnceAndReused", func(t *testing.T) {
		t.Setenv("ACKSCALE_ADMIN_TOKEN", "")
		dir := t.TempDir()
		path := filepath.Join(dir, "admin-token")
		tok, err := adminToken(dir, true)
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(tok), 16)
		fi, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, tok+"\n", string(raw))

		for _, create := range []bool{true, false} {
			again, err := adminToken(dir, create)
			require.NoError(t, err)
			require.Equal(t, tok, again)
		}
		other, err := adminToken(t.TempDir(), true)
		require.NoError(t, err)
		require.NotEqual(t, tok, other, "every data dir has its own token")
	})

	t.Run("FileIsTrimmed", func(t *testing.T) {
		t.Setenv("ACKSCALE_ADMIN_TOKEN", "")
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "admin-token"), []byte("  handmade \r\n"), 0o600))
		tok, err := adminToken(dir, false)
		require.NoError(t, err)
		require.Equal(t, "handmade", tok)
	})

	t.Run("NoFileNoCreate", func(t *testing.T) {
		t.Setenv("ACKSCALE_ADMIN_TOKEN", "")
		dir := t.TempDir()
		_, err := adminToken(dir, false)
		require.ErrorContains(t, err, "ACKSCALE_ADMIN_TOKEN")
		require.ErrorIs(t, err, os.ErrNotExist)
		require.NoFileExists(t, filepath.Join(dir, "admin-token"))
	})

	t.Run("Unreadable", func(t *testing.T) {
		t.Setenv("ACKSCALE_ADMIN_TOKEN", "")
		dir := t.TempDir()
		require.NoError(t, os.Mkdir(filepath.Join(dir, "admin-token"), 0o700)) // a directory, not a file
		_, err := adminToken(dir, true)
		require.ErrorContains(t, err, "admin token")
	})

	t.Run("DirMissing", func(t *testing.T) {
		t.Setenv("ACKSCALE_ADMIN_TOKEN", "")
		_, err := adminToken(filepath.Join(t.TempDir(), "missing"), true)
		require.ErrorContains(t, err, "write admin token")
	})

	t.Run("EmptyFile", func(t *testing.T) {
		t.Setenv("ACKSCALE_ADMIN_TOKEN", "")
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "admin-token"), []byte(" \n"), 0o600))
		_, err := adminToken(dir, false)
		require.ErrorContains(t, err, "is empty", "a client is told why")
		tok, err := adminToken(dir, true)
		require.NoError(t, err)
		require.NotEmpty(t, tok, "serve makes a new token")
		again, err := adminToken(dir, false)
		require.NoError(t, err)
		require.Equal(t, tok, again)
	})
}
