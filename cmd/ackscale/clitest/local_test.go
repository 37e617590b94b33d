package clitest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale/internal/testserver"
)

// TestReset: refused while a serve holds the data dir; after it stopped,
// asks, and deletes only on yes (or --yes).
func TestReset(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := newCLI(t, srv)
	c.createCluster("kept-until-reset")

	stderr := c.fails("reset", "--yes", "--data", srv.DataDir)
	require.Contains(t, stderr, "in use by a running `ackscale serve`")
	require.Contains(t, stderr, "stops nothing it did not start")
	require.Contains(t, c.ok("cluster", "list"), "kept-until-reset", "reset stopped nothing")

	srv.Stop()
	r := c.runIn("n\n", "reset", "--data", srv.DataDir)
	require.NotZero(t, r.code)
	require.Contains(t, r.stderr, "Delete "+srv.DataDir)
	require.Contains(t, r.stderr, "nothing deleted")
	require.DirExists(t, srv.DataDir)
	r = c.runIn("", "reset", "--data", srv.DataDir)
	require.NotZero(t, r.code)
	require.Contains(t, r.stderr, "--yes")
	require.DirExists(t, srv.DataDir)

	r = c.runIn("y\n", "reset", "--data", srv.DataDir)
	require.Zero(t, r.code, r.stderr)
	require.Contains(t, r.stdout, "deleted "+srv.DataDir)
	require.NoDirExists(t, srv.DataDir)
	require.Contains(t, c.ok("reset", "--data", srv.DataDir), "nothing to reset")

	// A fresh server on the same dir has no clusters; --yes asks nothing.
	srv = testserver.Start(t, testserver.Options{DataDir: srv.DataDir, Args: fastArgs})
	c = newCLI(t, srv)
	require.NotContains(t, c.ok("cluster", "list"), "kept-until-reset")
	c.createCluster("kept-until-reset")
	srv.Stop()
	require.Contains(t, c.ok("reset", "--yes", "--data", srv.DataDir), "deleted")

	// A folder that is no data dir is never deleted.
	other := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(other, "notes.txt"), nil, 0o600))
	require.Contains(t, c.fails("reset", "--yes", "--data", other), "does not look like an ackscale data dir")
	require.FileExists(t, filepath.Join(other, "notes.txt"))
}

// TestVersion prints this binary's version and the server's.
func TestVersion(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := newCLI(t, srv)
	out := c.ok("version")
	require.Regexp(t, `^ackscale \S+ \(go1\.\S+ \S+/\S+\)\nserver at http://`+srv.Addr+`: ackscale \S+\n$`, out)
	var v struct {
		Client struct{ Version string }
		Server struct{ Version, Error string }
	}
	c.okJSON(&v, "version")
	require.NotEmpty(t, v.Client.Version)
	require.Equal(t, v.Client.Version, v.Server.Version, "the same binary")
	out = c.ok("version", "--endpoint", "127.0.0.1:1")
	require.Contains(t, out, "server at http://127.0.0.1:1: not reachable")
}

// TestConfigure: profiles set, listed, switched and used; flags and the
// environment win over them; the data dir's key is the last resort.
func TestConfigure(t *testing.T) {
	t.Parallel()
	srv := start(t)
	bare := newCLI(t, nil) // no endpoint or key in the environment

	// Without anything, 127.0.0.1:9696 and ./ackscale-data/default-key.json.
	require.Contains(t, bare.fails("cluster", "list"), "no key")
	require.NoError(t, os.MkdirAll(filepath.Join(bare.dir, "ackscale-data"), 0o700))
	key, err := json.Marshal(map[string]string{"access_key_id": srv.AccessKeyID, "access_key_secret": srv.AccessKeySecret})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(bare.dir, "ackscale-data", "default-key.json"), key, 0o600))
	require.Contains(t, bare.ok("cluster", "list", "--endpoint", srv.URL), "ID")

	out := bare.ok("configure", "set", "--profile", "here", "--endpoint", srv.Addr, "--access-key-id", srv.AccessKeyID,
		"--access-key-secret", srv.AccessKeySecret, "--region", "cn-beijing", "--admin-token", srv.AdminToken)
	require.Contains(t, out, "profile here saved")
	bare.ok("configure", "set", "--profile", "nowhere", "--endpoint", "127.0.0.1:1")
	list := bare.ok("configure", "list")
	require.Regexp(t, `(?m)^here\s+`+srv.Addr+`\s+`+srv.AccessKeyID+`\s+\*{6}\s+cn-beijing`, list)
	require.Regexp(t, `(?m)^nowhere \*\s+127\.0\.0\.1:1`, list)
	require.NotContains(t, list, srv.AccessKeySecret)

	require.Contains(t, bare.fails("cluster", "list"), "cannot reach ackscale at http://127.0.0.1:1")
	id := strings.TrimSpace(bare.ok("cluster", "create", "-q", "--name", "profiled", "--profile", "here"))
	var d map[string]any
	bare.okJSON(&d, "cluster", "describe", id, "--profile", "here")
	require.Equal(t, "cn-beijing", d["region_id"], "the profile's region")
	bare.ok("admin", "check", "--profile", "here")

	require.Contains(t, bare.ok("configure", "switch", "here"), "current profile: here")
	require.Contains(t, bare.ok("cluster", "list"), "profiled")
	require.Contains(t, bare.fails("cluster", "list", "--endpoint", "127.0.0.1:1"), "127.0.0.1:1", "a flag beats the profile")
	bare.env = append(bare.env, "ACKSCALE_ENDPOINT=127.0.0.1:1")
	require.Contains(t, bare.fails("cluster", "list"), "127.0.0.1:1", "the environment beats the profile")
	require.Contains(t, bare.fails("cluster", "list", "--profile", "gone"), `profile "gone"`)
	require.Contains(t, bare.fails("configure", "switch", "gone"), `profile "gone"`)
	require.Contains(t, bare.fails("configure", "set", "--endpoint", "ftp://x"), "http or https")
}

// TestHelp: every command answers --help with examples; completion works.
func TestHelp(t *testing.T) {
	t.Parallel()
	c := newCLI(t, nil)
	for _, cmd := range [][]string{{}, {"cluster"}, {"cluster", "create"}, {"scale-out"}, {"scale"}, {"nodepool"},
		{"nodepool", "remove-nodes"}, {"nodes"}, {"task"}, {"kubeconfig"}, {"call"}, {"admin"}, {"admin", "fault", "add"},
		{"reset"}, {"version"}, {"configure"}} {
		out := c.ok(append(cmd, "--help")...)
		require.Contains(t, out, "Examples:", cmd)
	}
	require.Contains(t, c.ok("completion", "bash"), "ackscale")
}
