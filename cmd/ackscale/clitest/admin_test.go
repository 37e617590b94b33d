package clitest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAdmin runs every admin command through the binary, the endpoint and
// token from the environment, then the token from the data dir.
func TestAdmin(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := newCLI(t, srv)
	id := c.createCluster("admin")
	c.ok("scale-out", id, "--count", "1")

	decode := func(out string, v any) {
		t.Helper()
		require.NoError(t, json.Unmarshal([]byte(out), v), out)
	}
	var stock map[string]any
	decode(c.ok("admin", "stock", "set", "--zone", "cn-hangzhou-g", "--type", "ecs.c5.xlarge", "--capacity", "3"), &stock)
	require.EqualValues(t, 3, stock["capacity"])
	require.Contains(t, c.ok("admin", "stock", "list"), "ecs.c5.xlarge")
	var quota map[string]any
	decode(c.ok("admin", "quota", "set", "--name", "workers_per_cluster", "--value", "9"), &quota)
	require.EqualValues(t, 9, quota["value"])
	require.Contains(t, c.ok("admin", "quota", "list", "--account", "5000000000000001"), "workers_per_cluster")
	var fault struct{ ID string }
	decode(c.ok("admin", "fault", "add", "--op", "start", "--latency", "1s"), &fault)
	require.Contains(t, c.ok("admin", "fault", "list"), fault.ID)
	c.ok("admin", "fault", "delete", fault.ID)
	c.ok("admin", "fault", "add", "--op", "create", "--code", "InternalError")
	c.ok("admin", "fault", "clear")
	require.Equal(t, "[]", strings.TrimSpace(c.ok("admin", "fault", "list")))
	var instances []map[string]any
	decode(c.ok("admin", "instances"), &instances)
	require.Len(t, instances, 1)
	var check map[string]any
	decode(c.ok("admin", "check"), &check)
	require.EqualValues(t, 1, check["workers"])

	// The token kept in the data dir, the endpoint from --endpoint.
	d := newCLI(t, nil)
	dataDir := filepath.Join(d.dir, "data")
	require.NoError(t, os.Mkdir(dataDir, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dataDir, "admin-token"), []byte(srv.AdminToken+"\n"), 0o600))
	decode(d.ok("admin", "check", "--endpoint", srv.Addr, "--data", dataDir), &check)
	require.Contains(t, d.fails("admin", "check", "--endpoint", srv.Addr), "ACKSCALE_ADMIN_TOKEN")
	require.Contains(t, c.fails("admin", "fault", "add", "--op", "explode"), "400")
}
