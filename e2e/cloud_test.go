package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/testserver"
)

// The emulated cloud misbehaving (issue 4): each fault, quota and stock case
// runs a scale-out through the Go SDK and checks the task's final state, its
// error code, the worker list and the cloud's instance list.

const adminToken = "e2e-admin-token"

// admin calls the server's admin interface and fails t on an error or a
// status of 300 or more.
func admin(t testing.TB, srv *testserver.Server, method, path string, in, out any) {
	t.Helper()
	require.NoError(t, srv.Admin(context.Background(), method, path, in, out))
}

// liveInstances lists the cloud's unreleased instances.
func liveInstances(t testing.TB, srv *testserver.Server) []ackscale.Instance {
	var all []ackscale.Instance
	admin(t, srv, "GET", "instances", nil, &all)
	var live []ackscale.Instance
	for _, in := range all {
		if in.Status != ackscale.InstanceReleased {
			live = append(live, in)
		}
	}
	return live
}

// taskEnd waits for a task to end and returns its state and error code.
func taskEnd(t testing.TB, c *sdkClient, taskID string) (state, code string) {
	t.Helper()
	poll(t, "task "+taskID, func() (bool, string, error) {
		resp, err := c.TaskInfo(taskID)
		if err != nil {
			return false, "", err
		}
		state = resp.State
		var body struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.Unmarshal([]byte(resp.GetHttpContentString()), &body)
		code = body.Error.Code
		return state != "running", state, nil
	})
	return state, code
}

type cloudCase struct {
	name     string
	setup    func(t *testing.T, srv *testserver.Server, accountID string)
	count    int
	vswitch  string // "" = the cluster's (every zone)
	rollback bool   // disable_rollback false
	timeout  int    // timeout_mins, 0 = default
	// refused is the code of a scale-out refused before anything is created.
	refused string
	// state and code of the ended task, workers listed after it, live instances.
	state, code   string
	workers, live int
	workersState  string // every listed worker's state
	avoidZone     string // no worker may be in this zone
}

const hzZoneG, hzVSwitchG = "cn-hangzhou-g", "vsw-bp1ackscaledefaultg01"

func fault(f ackscale.Fault) func(*testing.T, *testserver.Server, string) {
	return func(t *testing.T, srv *testserver.Server, _ string) { admin(t, srv, "POST", "faults", f, nil) }
}

func stock(zone string, capacity int) func(*testing.T, *testserver.Server, string) {
	return func(t *testing.T, srv *testserver.Server, _ string) {
		admin(t, srv, "PUT", "stock", ackscale.StockOverride{ZoneID: zone, InstanceType: "ecs.c5.xlarge", Capacity: capacity}, nil)
	}
}

func quota(name string, value int) func(*testing.T, *testserver.Server, string) {
	return func(t *testing.T, srv *testserver.Server, accountID string) {
		admin(t, srv, "PUT", "quotas", ackscale.QuotaOverride{AccountID: accountID, Name: name, Value: value}, nil)
	}
}

var cloudCases = []cloudCase{
	{name: "create error, rollback", setup: fault(ackscale.Fault{Operation: ackscale.FaultCreate, Code: "InternalError", Count: 1}),
		count: 2, rollback: true, state: "failed", code: "InternalError", workers: 0, live: 0},
	{name: "create error, keep", setup: fault(ackscale.Fault{Operation: ackscale.FaultCreate, Code: "InvalidParameter.Conflict", Count: 1}),
		count: 1, state: "failed", code: "InvalidParameter.Conflict", workers: 1, live: 0, workersState: "failed"},
	{name: "create latency", setup: fault(ackscale.Fault{Operation: ackscale.FaultCreate, Latency: 300 * time.Millisecond}),
		count: 2, state: "success", workers: 2, live: 2, workersState: "running"},
	{name: "stock-out in one zone falls back to others", setup: stock(hzZoneG, 0),
		count: 4, state: "success", workers: 4, live: 4, workersState: "running", avoidZone: hzZoneG},
	{name: "stock runs out, rollback releases what was made", setup: stock(hzZoneG, 1), vswitch: hzVSwitchG,
		count: 2, rollback: true, state: "failed", code: ackscale.CodeNoStock, workers: 0, live: 0},
	{name: "stock runs out, keep", setup: stock(hzZoneG, 1), vswitch: hzVSwitchG,
		count: 2, state: "failed", code: ackscale.CodeNoStock, workers: 2, live: 1},
	{name: "injected NoStock everywhere", setup: fault(ackscale.Fault{Operation: ackscale.FaultCreate, Code: ackscale.CodeNoStock}),
		count: 1, rollback: true, state: "failed", code: ackscale.CodeNoStock, workers: 0, live: 0},
	{name: "boot fails", setup: fault(ackscale.Fault{Operation: ackscale.FaultStart, Code: "InstanceStartFailed", Count: 1}),
		count: 2, rollback: true, state: "failed", code: "InstanceStartFailed", workers: 0, live: 0},
	{name: "never running times out, keep", setup: fault(ackscale.Fault{Operation: ackscale.FaultStart, NeverRunning: true}),
		count: 2, timeout: 1, state: "failed", code: ackscale.CodeTaskTimeout, workers: 2, live: 2, workersState: "failed"},
	{name: "never running times out, rollback", setup: fault(ackscale.Fault{Operation: ackscale.FaultStart, NeverRunning: true}),
		count: 2, timeout: 1, rollback: true, state: "failed", code: ackscale.CodeTaskTimeout, workers: 0, live: 0},
	{name: "release errors are retried during rollback",
		setup: func(t *testing.T, srv *testserver.Server, a string) {
			fault(ackscale.Fault{Operation: ackscale.FaultRelease, Code: "IncorrectInstanceStatus", Count: 2})(t, srv, a)
			fault(ackscale.Fault{Operation: ackscale.FaultStart, Code: "InstanceStartFailed", Count: 1})(t, srv, a)
		},
		count: 1, rollback: true, state: "failed", code: "InstanceStartFailed", workers: 0, live: 0},
	{name: "instance quota", setup: quota(ackscale.QuotaECSInstancesPerRegion, 2), count: 3, refused: ackscale.CodeQuotaExceeded},
	{name: "vCPU quota", setup: quota(ackscale.QuotaECSVCPUsPerRegion, 8), count: 3, refused: ackscale.CodeQuotaExceeded},
	{name: "workers per cluster quota", setup: quota(ackscale.QuotaWorkersPerCluster, 2), count: 3, refused: ackscale.CodeQuotaExceeded},
}

func TestCloudFaultsQuotasStock(t *testing.T) {
	t.Parallel()
	for _, tc := range cloudCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// 60x: timeout_mins 1 is one second; boot times are instant.
			srv := startServer(t, testserver.Options{Args: []string{"--time-scale", "60"}, AdminToken: adminToken})
			c := sdkClientOf(t, srv)
			id := c.createCluster(t, fmt.Sprintf(createStandardHangzhou, "cloud-case"))
			tc.setup(t, srv, "5000000000000001")

			body := map[string]any{"count": tc.count, "key_pair": "secrity-key", "worker_instance_types": []string{"ecs.c5.xlarge"},
				"disable_rollback": !tc.rollback}
			if tc.vswitch != "" {
				body["vswitch_ids"] = []string{tc.vswitch}
			}
			if tc.timeout > 0 {
				body["timeout_mins"] = tc.timeout
			}
			raw, err := json.Marshal(body)
			require.NoError(t, err)
			resp, err := c.ScaleOut(id, string(raw))
			if tc.refused != "" {
				se := serverError(t, err)
				require.Equal(t, 400, se.HttpStatus())
				require.Equal(t, tc.refused, se.ErrorCode())
				require.Contains(t, se.Message(), "quota")
				tc.workers, tc.live = 0, 0
			} else {
				require.NoError(t, err)
				state, code := taskEnd(t, c, resp.TaskId)
				require.Equal(t, tc.state, state)
				require.Equal(t, tc.code, code)
			}
			nodes, err := c.Nodes(id, "all")
			require.NoError(t, err)
			require.Len(t, nodes.Nodes, tc.workers, nodes.GetHttpContentString())
			for _, n := range nodes.Nodes {
				if tc.workersState != "" {
					require.Equal(t, tc.workersState, n.State, n.NodeName)
				}
				if n.State == "failed" {
					require.NotEmpty(t, n.ErrorMessage)
				}
				if tc.avoidZone != "" {
					require.False(t, strings.Contains(nodes.GetHttpContentString(), `"zone_id":"`+tc.avoidZone+`"`))
				}
			}
			require.Len(t, liveInstances(t, srv), tc.live)
			var check ackscale.Check
			admin(t, srv, "GET", "check", nil, &check)
			require.Zero(t, check.Leaked)
			require.Zero(t, check.Lost)
			require.Zero(t, check.Duplicated)
		})
	}
}
