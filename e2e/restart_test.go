package e2e

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale/internal/testserver"
)

// TestServerRestart checks that state survives a restart of the process on
// the same data dir, after a graceful stop (SIGTERM) and after SIGKILL
// right after a scale-out was accepted: the task still ends, exactly once.
func TestServerRestart(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{})
	c := sdkClientOf(t, srv)
	id := c.createCluster(t, fmt.Sprintf(createStandardHangzhou, "e2e-restart"))
	first := c.scaleOut(t, id, 2)
	before := instanceIDs(requireNodes(t, c, id, 2, "ecs.g6.large", "cn-hangzhou"))

	// Graceful stop: a clean exit, then the same cluster, nodes and key.
	srv2 := srv.Restart(false)
	require.NoError(t, srv.ExitErr(), "ackscale serve exits cleanly on SIGTERM")
	require.Equal(t, srv.Addr, srv2.Addr)
	c = sdkClientOf(t, srv2)
	d, err := c.Detail(id)
	require.NoError(t, err)
	require.Equal(t, "running", d.State)
	require.Equal(t, 2, d.Size)
	require.ElementsMatch(t, before, instanceIDs(requireNodes(t, c, id, 2, "ecs.g6.large", "cn-hangzhou")))
	task, err := c.TaskInfo(first.TaskId)
	require.NoError(t, err)
	require.Equal(t, "success", task.State)

	// SIGKILL just after a scale-out is accepted: whatever the task had
	// done by then, after the restart it finishes with exactly 3 more.
	so, err := c.ScaleOut(id, `{"count":3,"key_pair":"secrity-key","worker_instance_types":["ecs.g6.large"]}`)
	require.NoError(t, err)
	srv3 := srv2.Restart(true)
	c = sdkClientOf(t, srv3)
	task = c.waitTask(t, so.TaskId)
	require.Len(t, task.TaskResult.Task, 3, "task_result: %s", task.GetHttpContentString())
	after := instanceIDs(requireNodes(t, c, id, 5, "ecs.g6.large", "cn-hangzhou"))
	require.Subset(t, after, before)
	d, err = c.Detail(id)
	require.NoError(t, err)
	require.Equal(t, "running", d.State)
	require.Equal(t, 5, d.Size)
}
