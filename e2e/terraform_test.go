package e2e

// Terraform's alicloud_cs_kubernetes_node_pool (provider 1.289.0) replayed
// on the wire as ../shared/spec/clients.md records it, and the reads of its
// alicloud_cs_edge_kubernetes resource.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/seeds"
	"github.com/ackscale/ackscale/internal/testserver"
)

// tfNodePoolCreate is ../shared/spec/fixtures/tf-nodepool-create.json
// verbatim: the body provider 1.289.0 sends for a pool with desired_size 2.
// Its vSwitch is one of the default catalog's in cn-hangzhou.
const tfNodePoolCreate = seeds.TFNodePool

// tfTimeScale is the server's --time-scale in the Terraform replay, and
// tfBootLatency each instance's boot (emulated time): a boot takes
// 20 s / 25 = 0.8 s of real time.
const (
	tfTimeScale   = 25
	tfBootLatency = 20 * time.Second
)

// tfPollEvery is the provider's task poll interval, 5 s of emulated time:
// 5 s / 25 = 200 ms of real time.
const tfPollEvery = 5 * time.Second / tfTimeScale

// tfClient sends requests as the provider's node-pool code does: its
// RoaGet/RoaPost/RoaPut/RoaDelete go through tea-roa's DoRequest with no
// API name, so the request carries x-acs-signature-nonce, -method and
// -version and x-acs-version but no x-acs-action and no Content-MD5, the
// body is JSON with content-type "application/json; charset=utf-8", and
// the ROA HMAC-SHA1 signature covers method, accept, content-type, date,
// the sorted x-acs-* headers and the path with the sorted raw query. This
// is written from tea-roa and tea-roa-utils, not from ackscale's sign
// package.
type tfClient struct {
	url, host, ak, secret string
	hc                    *http.Client
}

func newTFClient(srv *testserver.Server) *tfClient {
	return &tfClient{url: srv.URL, host: srv.Addr, ak: srv.AccessKeyID, secret: srv.AccessKeySecret,
		hc: &http.Client{Timeout: 30 * time.Second}}
}

// do sends one request and returns the status and body.
func (c *tfClient) do(t testing.TB, method, path string, query map[string]string, body []byte) (int, []byte) {
	t.Helper()
	nonce := make([]byte, 16)
	_, err := rand.Read(nonce)
	require.NoError(t, err)
	h := map[string]string{
		"date":                    time.Now().UTC().Format(http.TimeFormat),
		"host":                    c.host,
		"accept":                  "application/json",
		"x-acs-signature-nonce":   hex.EncodeToString(nonce),
		"x-acs-signature-method":  "HMAC-SHA1",
		"x-acs-signature-version": "1.0",
		"x-acs-version":           "2015-12-15",
		"user-agent": "AlibabaCloud (linux; amd64) Go/go1.24 Core/0.01 TeaDSL/1 Terraform/1.12.6 " +
			"Provider/1.289.0 Module/Terraform",
	}
	if body != nil {
		h["content-type"] = "application/json; charset=utf-8"
	}
	resource := path
	var q []string
	for _, k := range slices.Sorted(maps.Keys(query)) {
		if query[k] == "" {
			q = append(q, k)
		} else {
			q = append(q, k+"="+query[k])
		}
	}
	if len(q) > 0 {
		resource += "?" + strings.Join(q, "&")
	}
	var acs strings.Builder
	for _, k := range slices.Sorted(maps.Keys(h)) {
		if strings.HasPrefix(k, "x-acs-") {
			acs.WriteString(k + ":" + h[k] + "\n")
		}
	}
	sts := method + "\n" + h["accept"] + "\n" + "" + "\n" + h["content-type"] + "\n" + h["date"] + "\n" + acs.String() + resource
	mac := hmac.New(sha1.New, []byte(c.secret))
	mac.Write([]byte(sts))
	h["authorization"] = "acs " + c.ak + ":" + base64.StdEncoding.EncodeToString(mac.Sum(nil))

	target := c.url + path
	if len(query) > 0 {
		v := url.Values{}
		for k, value := range query {
			v.Set(k, value)
		}
		target += "?" + v.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, target, rd)
	require.NoError(t, err)
	for k, v := range h {
		if k == "host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	require.NoError(t, err, "%s %s", method, path)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	// tea-roa reads every answer but a 204 as a JSON object.
	if resp.StatusCode != http.StatusNoContent {
		var obj map[string]any
		require.NoError(t, json.Unmarshal(raw, &obj), "%s %s answered %d with a body that is not a JSON object: %s",
			method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, raw
}

// ok sends a request that must answer 2xx and decodes the answer.
func (c *tfClient) ok(t testing.TB, method, path string, query map[string]string, body []byte) map[string]any {
	t.Helper()
	status, raw := c.do(t, method, path, query, body)
	require.True(t, status >= 200 && status < 300, "%s %s: %d %s", method, path, status, raw)
	var out map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	require.NoError(t, d.Decode(&out))
	return out
}

// waitTask polls GET /tasks/{id} every 5 s of emulated time until success,
// as the provider does (fail and failed end it with the task's error), and
// returns how many polls found it still running.
func (c *tfClient) waitTask(t testing.TB, taskID string) int {
	t.Helper()
	require.NotEmpty(t, taskID, "the answer has a task_id to poll")
	running := 0
	deadline := time.Now().Add(pollTimeout)
	for {
		task := c.ok(t, "GET", "/tasks/"+taskID, nil, nil)
		switch state := task["state"]; state {
		case "success":
			return running
		case "fail", "failed":
			t.Fatalf("task %s %s: %v", taskID, state, task["error"])
		default:
			running++
		}
		require.True(t, time.Now().Before(deadline), "task %s still %v after %s", taskID, task["state"], pollTimeout)
		time.Sleep(tfPollEvery)
	}
}

// TestTerraformNodePoolSequence replays alicloud_cs_kubernetes_node_pool:
// create with the fixture body, the task polled every 5 s on the emulated
// clock (the server runs 25 times faster, so every 200 ms), the pool read
// as the provider's Read does, desired_size 2 → 4 → 1 through PUT, then
// DELETE ?force=true and the read that finds the pool gone. It also does
// the edge resource's reads of an edge cluster's pools and nodes.
func TestTerraformNodePoolSequence(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{AdminToken: adminToken,
		Args: []string{"--time-scale", fmt.Sprint(tfTimeScale), "--boot-latency", tfBootLatency.String()}})
	sdk := sdkClientOf(t, srv)
	id := sdk.createCluster(t, fmt.Sprintf(createStandardHangzhou, "tf-pools"))
	tf := newTFClient(srv)
	pools := "/clusters/" + id + "/nodepools"

	// Create: the fixture compacted, as the provider marshals its map.
	var body bytes.Buffer
	require.NoError(t, json.Compact(&body, []byte(tfNodePoolCreate)))
	created := tf.ok(t, "POST", pools, nil, body.Bytes())
	np, _ := created["nodepool_id"].(string)
	require.Regexp(t, `^np[0-9a-f]{32}$`, np, "the provider's id is cluster:nodepool_id: %v", created)
	taskID, _ := created["task_id"].(string)
	running := tf.waitTask(t, taskID)
	require.GreaterOrEqual(t, running, 1, "a 20 s boot outlasts a 5 s poll: the provider saw the task running")
	t.Logf("create task: %d polls found it running (every %s real = 5 s emulated)", running, tfPollEvery)

	// Read, as resourceAlicloudAckNodepoolRead: what was sent reads back.
	read := func(desired int) poolView {
		t.Helper()
		status, raw := tf.do(t, "GET", pools+"/"+np, nil, nil)
		require.Equal(t, http.StatusOK, status, "%s", raw)
		p := decodePool(t, raw)
		require.Equal(t, np, p.NodepoolInfo.NodepoolID, "nodepool_info.nodepool_id is the id asked for")
		require.Equal(t, "tf-pool", *p.NodepoolInfo.Name)
		require.Equal(t, "ess", *p.NodepoolInfo.Type)
		require.Equal(t, []string{"ecs.g6.large"}, p.ScalingGroup.InstanceTypes)
		require.Equal(t, []string{"vsw-bp1ackscaledefaultg01"}, p.ScalingGroup.VSwitchIDs)
		require.Equal(t, "secrity-key", p.ScalingGroup.KeyPair)
		require.Equal(t, "PostPaid", p.ScalingGroup.InstanceChargeType, "the documented default of a field the provider leaves out")
		require.NotNil(t, p.KubernetesConfig.CMSEnabled, "kubernetes_config.cms_enabled: %s", raw)
		require.True(t, *p.KubernetesConfig.CMSEnabled, "cms_enabled reads back as sent")
		requireCounts(t, p, desired)
		return p
	}
	read(2)

	// desired_size changes: PUT with the provider's empty objects, task polled.
	resize := func(size int) {
		t.Helper()
		ans := tf.ok(t, "PUT", pools+"/"+np, nil,
			[]byte(fmt.Sprintf(`{"kubernetes_config":{},"nodepool_info":{},"scaling_group":{"desired_size":%d}}`, size)))
		tid, _ := ans["task_id"].(string)
		tf.waitTask(t, tid)
		read(size)
	}
	resize(4)
	resize(1)

	// The pool's nodes, as aliyungo lists them for a named-node removal.
	nodes := tf.ok(t, "GET", "/clusters/"+id+"/nodes", map[string]string{"nodepool_id": np, "pageNumber": "1", "pageSize": "50"}, nil)
	require.Len(t, nodes["nodes"], 1)

	// Delete, then the Read that drops the pool from state.
	ans := tf.ok(t, "DELETE", pools+"/"+np, map[string]string{"force": "true"}, nil)
	tid, _ := ans["task_id"].(string)
	tf.waitTask(t, tid)
	status, raw := tf.do(t, "GET", pools+"/"+np, nil, nil)
	require.Equal(t, http.StatusNotFound, status, "%s", raw)
	var e struct{ Code, Message, RequestId string }
	require.NoError(t, json.Unmarshal(raw, &e))
	require.Equal(t, ackscale.CodeNodePoolNotFound, e.Code, "%s", raw)
	require.NotEmpty(t, e.RequestId)
	// A DELETE of a pool already gone is a 404 (the provider's "already deleted").
	status, raw = tf.do(t, "DELETE", pools+"/"+np, map[string]string{"force": "true"}, nil)
	require.Equal(t, http.StatusNotFound, status, "%s", raw)
	require.Empty(t, liveInstances(t, srv))

	t.Run("edge resource reads", func(t *testing.T) {
		// An ENS worker (seed 001's scale-out), so that the default pool
		// holds an edge worker too; the provider's own worker_number change
		// (fixtures/aliyungo2022-scale-out.json, ECS cloud workers) is
		// replayed in fixtures_test.go.
		edge := sdk.createCluster(t, fmt.Sprintf(createEdge, "tf-edge"))
		so, err := sdk.ScaleOut(edge, seed001Body)
		require.NoError(t, err)
		sdk.waitTask(t, so.TaskId)

		// ACS3 reads, as the provider's v8 client makes them.
		c := srv.Client()
		ctx := context.Background()
		var list struct {
			Nodepools []json.RawMessage `json:"nodepools"`
		}
		require.NoError(t, c.Do(ctx, "GET", "/clusters/"+edge+"/nodepools", nil, &list))
		var def *poolView
		for _, rawPool := range list.Nodepools {
			p := decodePool(t, rawPool) // non-null nodepool_info.type and .name, else the provider panics
			if *p.NodepoolInfo.Type == "ess" && *p.NodepoolInfo.Name == ackscale.DefaultNodePoolName {
				def = &p
			}
		}
		require.NotNil(t, def, "the edge cluster's default-nodepool, found by type ess and its name")
		var page struct {
			Page *struct {
				TotalCount *int `json:"total_count"`
			} `json:"page"`
			Nodes []struct {
				InstanceID string   `json:"instance_id"`
				NodeName   string   `json:"node_name"`
				IPAddress  []string `json:"ip_address"`
				NodepoolID string   `json:"nodepool_id"`
			} `json:"nodes"`
		}
		require.NoError(t, c.Do(ctx, "GET", "/clusters/"+edge+"/nodes?nodepool_id="+def.NodepoolInfo.NodepoolID+
			"&pageSize=100&pageNumber=1", nil, &page))
		require.NotNil(t, page.Page)
		require.NotNil(t, page.Page.TotalCount, "page.total_count")
		require.Equal(t, 1, *page.Page.TotalCount, "worker_number: the worker seed 001's scale-out added is in default-nodepool")
		require.Len(t, page.Nodes, 1)
		for _, n := range page.Nodes {
			require.NotEmpty(t, n.IPAddress, "node %s", n.NodeName)
			require.NotEmpty(t, n.IPAddress[0])
			require.NotEmpty(t, n.InstanceID)
			require.Equal(t, def.NodepoolInfo.NodepoolID, n.NodepoolID)
		}
		require.Equal(t, 1, def.total())
	})
}
