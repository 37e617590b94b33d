package badinput

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/acsclient"
	"github.com/ackscale/ackscale/internal/testserver"
)

// TestMain removes the ackscale binary testserver built once the tests end.
func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }

// fixture is one running server with one running cluster of each profile.
type fixture struct {
	srv      *testserver.Server
	client   *acsclient.Client
	http     *http.Client
	clusters map[ackscale.Profile]string // cluster id by profile
}

// setup starts the server and creates the four clusters, waiting for
// their create tasks.
func setup(t *testing.T) *fixture {
	t.Helper()
	srv := testserver.Start(t, testserver.Options{Args: []string{"--boot-latency", "0", "--rate-limit", "0"}})
	f := &fixture{srv: srv, client: srv.Client(), clusters: map[ackscale.Profile]string{},
		http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tasks := map[ackscale.Profile]string{}
	for p, body := range map[ackscale.Profile]string{
		ackscale.ProfileLegacy: createLegacy, ackscale.ProfileStandard: createStandard,
		ackscale.ProfileEdge: createEdge, ackscale.ProfileSandbox: createSandbox,
	} {
		var acc acsclient.Accepted
		require.NoError(t, f.client.Do(ctx, "POST", "/clusters", []byte(body), &acc), "create the %s cluster", p)
		f.clusters[p], tasks[p] = acc.ClusterID, acc.TaskID
	}
	for p, id := range tasks {
		task, err := f.client.WaitTask(ctx, id, 20*time.Millisecond)
		require.NoError(t, err)
		require.Equal(t, "success", task.State, "create task of the %s cluster: %+v", p, task.Error)
	}
	return f
}

// counts is what a refused request must not change.
type counts struct {
	Instances, Workers, Tasks, Clusters int
}

func (f *fixture) counts(t *testing.T) counts {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var c ackscale.Check
	require.NoError(t, f.srv.Admin(ctx, "GET", "check", nil, &c))
	var list struct {
		PageInfo struct {
			TotalCount int `json:"total_count"`
		} `json:"page_info"`
	}
	require.NoError(t, f.client.Do(ctx, "GET", "/api/v1/clusters?page_size=100", nil, &list))
	return counts{Instances: c.Instances, Workers: c.Workers, Tasks: c.TasksRunning + c.TasksSucceeded + c.TasksFailed,
		Clusters: list.PageInfo.TotalCount}
}

// request is one raw request: the body byte for byte, the Content-Type
// ("" sends none) and, with chunked, no Content-Length.
type request struct {
	method, path string
	body         []byte
	contentType  string
	chunked      bool
}

// answer is the server's answer to a request.
type answer struct {
	status        int
	code, message string
	raw           []byte
}

// send signs r as acsclient does (ACS3-HMAC-SHA256), but with the
// Content-Type and framing the case asks for.
func (f *fixture) send(ctx context.Context, r request) (answer, error) {
	var body io.Reader = bytes.NewReader(r.body)
	if r.chunked {
		body = io.NopCloser(bytes.NewReader(r.body)) // unknown length: chunked
	}
	req, err := http.NewRequestWithContext(ctx, r.method, "http://"+f.srv.Addr+r.path, body)
	if err != nil {
		return answer{}, err
	}
	if r.chunked {
		req.ContentLength = -1
	}
	req.Header.Set("x-acs-action", "badinput")
	if r.contentType != "" {
		req.Header.Set("content-type", r.contentType)
	}
	acsclient.Sign(req, r.body, f.srv.AccessKeyID, f.srv.AccessKeySecret)
	resp, err := f.http.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{status: resp.StatusCode, raw: raw}
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if resp.StatusCode >= 300 {
		_ = json.Unmarshal(raw, &e)
	}
	a.code, a.message = e.Code, e.Message
	return a, nil
}
