package e2e

// Terraform's alicloud_cs_managed_kubernetes and alicloud_cs_edge_kubernetes
// (provider 1.289.0) replayed over HTTPS as ../shared/spec/clients.md
// records them, each call signed as the client that makes it signs it:
// the cs-20151215 v8 client (ACS3-HMAC-SHA256 with x-acs-source-ip and
// x-acs-secure-transport signed empty), aliyungo (ROA HMAC-SHA1) and the
// provider's VPC calls (RPC HMAC-SHA1 in the query). Every client trusts
// only the CA the server printed. Each answer is parsed into the models
// the clients read: the Go SDK's (alibaba-cloud-sdk-go services/cs and
// services/vpc, through its own responses.Unmarshal), and mirrors of the
// cs-20151215 v8 and aliyungo 2022 structs, decoded with encoding/json so
// that a field of the wrong JSON type fails.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/cs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	"github.com/denverdino/aliyungo/common"
	aliyungo "github.com/denverdino/aliyungo/cs"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/testserver"
)

// v8SignedHeaders are the headers the provider's cs-20151215 v8 client
// signs, exactly (clients.md): x-acs-secure-transport and x-acs-source-ip
// go out empty, and content-type, sent with a body, is not signed.
var v8SignedHeaders = []string{"host", "x-acs-action", "x-acs-content-sha256", "x-acs-credentials-provider", "x-acs-date",
	"x-acs-secure-transport", "x-acs-signature-nonce", "x-acs-source-ip", "x-acs-version"}

// tfUserAgent is the provider's user agent.
const tfUserAgent = "AlibabaCloud (linux; amd64) Go/go1.24 Core/0.01 TeaDSL/1 Terraform/1.12.6 Provider/1.289.0 Module/Terraform"

// tfManagedCreate is a CreateCluster body of alicloud_cs_managed_kubernetes
// with zone_ids and no workers, as the v8 client marshals its request
// model (fields left unset are omitted).
const tfManagedCreate = `{"name":"tf-managed","cluster_type":"ManagedKubernetes","cluster_spec":"ack.pro.small",` +
	`"profile":"Default","region_id":"cn-hangzhou","kubernetes_version":"1.34.4","zone_ids":["cn-hangzhou-g"],` +
	`"container_cidr":"172.20.0.0/16","service_cidr":"172.21.0.0/20","proxy_mode":"ipvs","snat_entry":true,` +
	`"endpoint_public_access":false,"deletion_protection":false,"timezone":"Asia/Shanghai"}`

// randomNonce is 16 random bytes in hex.
func randomNonce(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// percentEncode is the RFC 3986 encoding both ACS3 and the RPC signature
// use: url.QueryEscape, then + → %20, * → %2A, %7E → ~.
func percentEncode(s string) string {
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(url.QueryEscape(s))
}

// canonicalQuery is q with its keys sorted, each pair percent-encoded and
// joined with "&": the query both signatures sign, and the one sent.
func canonicalQuery(q url.Values) string {
	var pairs []string
	for _, k := range slices.Sorted(maps.Keys(q)) {
		for _, v := range q[k] {
			pairs = append(pairs, percentEncode(k)+"="+percentEncode(v))
		}
	}
	return strings.Join(pairs, "&")
}

// answer is one HTTP answer with its body read; resp.Body can be read again.
type answer struct {
	resp *http.Response
	raw  []byte
}

// send does req and reads the whole answer.
func send(t testing.TB, hc *http.Client, req *http.Request) answer {
	t.Helper()
	resp, err := hc.Do(req)
	require.NoError(t, err, "%s %s", req.Method, req.URL)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	return answer{resp: resp, raw: raw}
}

// sdkParse parses a as the old Go SDK parses its answers
// (responses.Unmarshal: the status, then the JSON into the model).
func (a answer) sdkParse(t testing.TB, model responses.AcsResponse) error {
	t.Helper()
	a.resp.Body = io.NopCloser(bytes.NewReader(a.raw))
	return responses.Unmarshal(model, a.resp, "JSON")
}

// decodeModel decodes a's body into model, strictly typed.
func (a answer) decodeModel(t testing.TB, model any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(a.raw, model), "decode into %T: %s", model, a.raw)
}

// v8Client sends CS calls as the provider's cs-20151215 v8 client does:
// ACS3-HMAC-SHA256 written here from the ACS3 specification (not from
// ackscale's sign package), over HTTPS.
type v8Client struct {
	base, host, ak, secret string
	hc                     *http.Client
	// tamperFunc, when set, changes a request after it is signed.
	tamperFunc func(*http.Request)
}

func newV8Client(t testing.TB, srv *testserver.Server) *v8Client {
	t.Helper()
	return &v8Client{base: srv.HTTPSURL(), host: srv.Addr, ak: srv.AccessKeyID, secret: srv.AccessKeySecret, hc: srv.HTTPSClient(t)}
}

// call sends action as method path?query with body (none when nil).
func (c *v8Client) call(t testing.TB, action, method, path string, query url.Values, body []byte) answer {
	t.Helper()
	sum := sha256.Sum256(body)
	h := map[string]string{
		"host":                       c.host,
		"x-acs-action":               action,
		"x-acs-version":              "2015-12-15",
		"x-acs-date":                 time.Now().UTC().Format("2006-01-02T15:04:05Z"),
		"x-acs-signature-nonce":      randomNonce(t),
		"x-acs-content-sha256":       hex.EncodeToString(sum[:]),
		"x-acs-credentials-provider": "static_ak",
		"x-acs-source-ip":            "",
		"x-acs-secure-transport":     "",
	}
	var canonHeaders strings.Builder
	for _, name := range v8SignedHeaders {
		canonHeaders.WriteString(name + ":" + strings.TrimSpace(h[name]) + "\n")
	}
	rawQuery := canonicalQuery(query)
	canonical := strings.Join([]string{method, path, rawQuery, canonHeaders.String(), strings.Join(v8SignedHeaders, ";"),
		hex.EncodeToString(sum[:])}, "\n")
	digest := sha256.Sum256([]byte(canonical))
	mac := hmac.New(sha256.New, []byte(c.secret))
	mac.Write([]byte("ACS3-HMAC-SHA256\n" + hex.EncodeToString(digest[:])))

	target := c.base + path
	if rawQuery != "" {
		target += "?" + rawQuery
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, target, rd)
	require.NoError(t, err)
	req.Host = c.host
	for k, v := range h {
		if k != "host" {
			req.Header[k] = []string{v} // lower case, as sent; empty values are sent empty
		}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", tfUserAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	req.Header.Set("Authorization", "ACS3-HMAC-SHA256 Credential="+c.ak+",SignedHeaders="+strings.Join(v8SignedHeaders, ";")+
		",Signature="+hex.EncodeToString(mac.Sum(nil)))
	if c.tamperFunc != nil {
		c.tamperFunc(req)
	}
	return send(t, c.hc, req)
}

// ok sends a call that must answer want.
func (c *v8Client) ok(t testing.TB, want int, action, method, path string, query url.Values, body []byte) answer {
	t.Helper()
	a := c.call(t, action, method, path, query, body)
	require.Equal(t, want, a.resp.StatusCode, "%s %s %s: %s", action, method, path, a.raw)
	return a
}

// waitTask polls DescribeTaskInfo every 5 s of emulated time until the
// task succeeds, as the provider does, and returns the last answer and
// how many polls found the task running.
func (c *v8Client) waitTask(t testing.TB, taskID string) (v8Task, int) {
	t.Helper()
	require.NotEmpty(t, taskID)
	deadline := time.Now().Add(pollTimeout)
	running := 0
	for {
		a := c.ok(t, http.StatusOK, "DescribeTaskInfo", http.MethodGet, "/tasks/"+taskID, nil, nil)
		var task v8Task
		a.decodeModel(t, &task)
		require.Equal(t, taskID, deref(task.TaskID))
		switch state := deref(task.State); state {
		case "success":
			return task, running
		case "fail", "failed":
			t.Fatalf("task %s %s: %s", taskID, state, a.raw)
		}
		running++
		require.True(t, time.Now().Before(deadline), "task %s still %s after %s", taskID, deref(task.State), pollTimeout)
		time.Sleep(tfPollEvery)
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// The cs-20151215 v8 response models the provider reads, as far as it
// reads them: the JSON names and types of the SDK's structs.
type (
	// v8Accepted is CreateClusterResponseBody and DeleteClusterResponseBody.
	v8Accepted struct {
		ClusterID *string `json:"cluster_id"`
		RequestID *string `json:"request_id"`
		TaskID    *string `json:"task_id"`
	}
	// v8Task is DescribeTaskInfoResponseBody. task_result is a list
	// here; the old Go SDK's model has an object, which ackscale gives
	// that SDK only (httpapi/tasks.go).
	v8Task struct {
		ClusterID    *string        `json:"cluster_id"`
		TaskID       *string        `json:"task_id"`
		TaskType     *string        `json:"task_type"`
		State        *string        `json:"state"`
		Created      *string        `json:"created"`
		Updated      *string        `json:"updated"`
		CurrentStage *string        `json:"current_stage"`
		Parameters   map[string]any `json:"parameters"`
		Target       *struct {
			ID   *string `json:"id"`
			Type *string `json:"type"`
		} `json:"target"`
		Stages []*struct {
			State     *string        `json:"state"`
			StartTime *string        `json:"start_time"`
			EndTime   *string        `json:"end_time"`
			Message   *string        `json:"message"`
			Outputs   map[string]any `json:"outputs"`
		} `json:"stages"`
		Events []*struct {
			Action    *string `json:"action"`
			Level     *string `json:"level"`
			Message   *string `json:"message"`
			Reason    *string `json:"reason"`
			Source    *string `json:"source"`
			Timestamp *string `json:"timestamp"`
		} `json:"events"`
		TaskResult []*struct {
			Data   *string `json:"data"`
			Status *string `json:"status"`
		} `json:"task_result"`
		Error *struct {
			Code    *string `json:"code"`
			Message *string `json:"message"`
		} `json:"error"`
	}
	// v8Cluster is DescribeClusterDetailResponseBody.
	v8Cluster struct {
		ClusterID          *string            `json:"cluster_id"`
		ClusterType        *string            `json:"cluster_type"`
		ClusterSpec        *string            `json:"cluster_spec"`
		Profile            *string            `json:"profile"`
		Name               *string            `json:"name"`
		RegionID           *string            `json:"region_id"`
		State              *string            `json:"state"`
		Size               *int64             `json:"size"`
		CurrentVersion     *string            `json:"current_version"`
		InitVersion        *string            `json:"init_version"`
		Created            *string            `json:"created"`
		Updated            *string            `json:"updated"`
		VpcID              *string            `json:"vpc_id"`
		VswitchID          *string            `json:"vswitch_id"`
		VswitchIDs         []*string          `json:"vswitch_ids"`
		SecurityGroupID    *string            `json:"security_group_id"`
		ContainerCidr      *string            `json:"container_cidr"`
		ServiceCidr        *string            `json:"service_cidr"`
		DeletionProtection *bool              `json:"deletion_protection"`
		PrivateZone        *bool              `json:"private_zone"`
		MasterURL          *string            `json:"master_url"`
		MetaData           *string            `json:"meta_data"`
		ResourceGroupID    *string            `json:"resource_group_id"`
		ZoneID             *string            `json:"zone_id"`
		Parameters         map[string]*string `json:"parameters"`
		Tags               []*struct {
			Key   *string `json:"key"`
			Value *string `json:"value"`
		} `json:"tags"`
		MaintenanceWindow *struct {
			Enable          *bool   `json:"enable"`
			MaintenanceTime *string `json:"maintenance_time"`
			Duration        *string `json:"duration"`
			WeeklyPeriod    *string `json:"weekly_period"`
			Recurrence      *string `json:"recurrence"`
		} `json:"maintenance_window"`
	}
	// v8Resource is one DescribeClusterResourcesResponseBody.
	v8Resource struct {
		ClusterID    *string `json:"cluster_id"`
		Created      *string `json:"created"`
		InstanceID   *string `json:"instance_id"`
		ResourceInfo *string `json:"resource_info"`
		ResourceType *string `json:"resource_type"`
		State        *string `json:"state"`
		AutoCreate   *int64  `json:"auto_create"`
		Dependencies []*struct {
			ClusterID    *string `json:"cluster_id"`
			ResourceType *string `json:"resource_type"`
			InstanceID   *string `json:"instance_id"`
		} `json:"dependencies"`
		AssociatedObject *struct {
			Kind      *string `json:"kind"`
			Namespace *string `json:"namespace"`
			Name      *string `json:"name"`
		} `json:"associated_object"`
		DeleteBehavior *struct {
			DeleteByDefault *bool `json:"delete_by_default"`
			Changeable      *bool `json:"changeable"`
		} `json:"delete_behavior"`
		CreatorType *string        `json:"creator_type"`
		ExtraInfo   map[string]any `json:"extra_info"`
	}
	// v8ControlPlaneLog is CheckControlPlaneLogEnableResponseBody.
	v8ControlPlaneLog struct {
		Aliuid     *string   `json:"aliuid"`
		Components []*string `json:"components"`
		LogProject *string   `json:"log_project"`
		LogTTL     *string   `json:"log_ttl"`
	}
	// v8Error is the error body darabonba reads (code, message, requestId).
	v8Error struct {
		Code      *string `json:"code"`
		Message   *string `json:"message"`
		RequestID *string `json:"requestId"`
	}
)

// aliyungoClusterDetail is aliyungo's KubernetesClusterDetail at the 2022
// commit the provider pins (DescribeKubernetesClusterDetail): created and
// updated are time.Time, so they must be RFC 3339.
type aliyungoClusterDetail struct {
	RegionID        common.Region `json:"region_id"`
	Name            string        `json:"name"`
	ClusterID       string        `json:"cluster_id"`
	Size            int64         `json:"size"`
	ClusterType     string        `json:"cluster_type"`
	Profile         string        `json:"profile"`
	VpcID           string        `json:"vpc_id"`
	VSwitchIDs      string        `json:"vswitch_id"`
	SecurityGroupID string        `json:"security_group_id"`
	ResourceGroupID string        `json:"resource_group_id"`
	NetworkMode     string        `json:"network_mode"`
	ContainerCIDR   string        `json:"subnet_cidr"`
	Tags            []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"tags"`
	State              string    `json:"state"`
	InitVersion        string    `json:"init_version"`
	CurrentVersion     string    `json:"current_version"`
	PrivateZone        bool      `json:"private_zone"`
	DeletionProtection bool      `json:"deletion_protection"`
	MetaData           string    `json:"meta_data"`
	Created            time.Time `json:"created"`
	Updated            time.Time `json:"updated"`
	WorkerRAMRoleName  string    `json:"worker_ram_role_name"`
	ClusterSpec        string    `json:"cluster_spec"`
	MasterURL          string    `json:"master_url"`
	MaintenanceWindow  struct {
		Enable          bool   `json:"enable"`
		MaintenanceTime string `json:"maintenance_time"`
		Duration        string `json:"duration"`
		Recurrence      string `json:"recurrence"`
		WeeklyPeriod    string `json:"weekly_period"`
	} `json:"maintenance_window"`
}

// newAliyungoHTTPS is aliyungo's CS client over HTTPS (the provider's
// edge code hard-codes https://) with hc as its HTTP client. The aliyungo
// the module pins keeps its *http.Client in an unexported field, with no
// setter, and uses it for every call: it is set here through reflect.
func newAliyungoHTTPS(t testing.TB, srv *testserver.Server, hc *http.Client) *aliyungo.Client {
	t.Helper()
	c := aliyungo.NewClient(srv.AccessKeyID, srv.AccessKeySecret)
	c.SetEndpoint(srv.HTTPSURL())
	f := reflect.ValueOf(c).Elem().FieldByName("httpClient")
	require.True(t, f.IsValid() && f.Type() == reflect.TypeOf(hc), "aliyungo's Client has no httpClient *http.Client field")
	reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Set(reflect.ValueOf(hc))
	return c
}

// rpcCall sends an RPC call as the provider's VPC client does (tea-rpc):
// POST /, every parameter in the query with the HMAC-SHA1 RPC signature
// (Action, Version, Format, AccessKeyId, SignatureMethod,
// SignatureVersion, SignatureNonce, Timestamp, Signature), written here
// from the RPC specification.
func rpcCall(t testing.TB, hc *http.Client, base, ak, secret, action, version string, params map[string]string) answer {
	t.Helper()
	q := url.Values{"Action": {action}, "Version": {version}, "Format": {"JSON"}, "AccessKeyId": {ak},
		"SignatureMethod": {"HMAC-SHA1"}, "SignatureVersion": {"1.0"}, "SignatureNonce": {randomNonce(t)},
		"Timestamp": {time.Now().UTC().Format("2006-01-02T15:04:05Z")}}
	for k, v := range params {
		q.Set(k, v)
	}
	canonical := canonicalQuery(q)
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(http.MethodPost + "&" + percentEncode("/") + "&" + percentEncode(canonical)))
	signature := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost,
		base+"/?"+canonical+"&Signature="+percentEncode(signature), nil)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", tfUserAgent)
	return send(t, hc, req)
}

// vswitchAttributes is VPC DescribeVSwitchAttributes as the provider
// calls it, parsed into the Go SDK's model.
func vswitchAttributes(t testing.TB, srv *testserver.Server, hc *http.Client, base, id string) *vpc.DescribeVSwitchAttributesResponse {
	t.Helper()
	a := rpcCall(t, hc, base, srv.AccessKeyID, srv.AccessKeySecret, "DescribeVSwitchAttributes", "2016-04-28",
		map[string]string{"RegionId": fixtureRegion, "VSwitchId": id})
	resp := vpc.CreateDescribeVSwitchAttributesResponse()
	require.NoError(t, a.sdkParse(t, resp), "DescribeVSwitchAttributes: %s", a.raw)
	require.NotEmpty(t, resp.RequestId)
	require.Equal(t, id, resp.VSwitchId)
	return resp
}

// cidrSize is how many addresses a CIDR block holds.
func cidrSize(t testing.TB, cidr string) int64 {
	t.Helper()
	p, err := netip.ParsePrefix(cidr)
	require.NoError(t, err, "CidrBlock %q", cidr)
	return new(big.Int).Lsh(big.NewInt(1), uint(p.Addr().BitLen()-p.Bits())).Int64()
}

// requireRFC3339 fails unless s is an RFC 3339 time.
func requireRFC3339(t testing.TB, s, what string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err, "%s %q is not RFC 3339", what, s)
	return ts
}

// TestTerraformManagedClusterHTTPS replays alicloud_cs_managed_kubernetes:
// create, the reads of its Read (DescribeClusterDetail twice, with both
// signatures; resources; NAT gateways; the kubeconfig; the control-plane
// log configuration, whose 404 would be fatal), and destroy.
func TestTerraformManagedClusterHTTPS(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{
		Args: []string{"--time-scale", fmt.Sprint(tfTimeScale), "--boot-latency", tfBootLatency.String()}})
	v8 := newV8Client(t, srv)

	// 1. CreateCluster → 202.
	a := v8.ok(t, http.StatusAccepted, "CreateCluster", http.MethodPost, "/clusters", nil, []byte(tfManagedCreate))
	created := cs.CreateCreateClusterResponse()
	require.NoError(t, a.sdkParse(t, created))
	var acc v8Accepted
	a.decodeModel(t, &acc)
	require.Regexp(t, `^c[0-9a-z]+$`, created.ClusterId)
	require.Equal(t, created.ClusterId, deref(acc.ClusterID))
	require.Equal(t, created.TaskId, deref(acc.TaskID))
	require.NotEmpty(t, deref(acc.RequestID))
	id := created.ClusterId

	// The empty headers are signed: one sent with a value is refused.
	for _, name := range []string{"x-acs-source-ip", "x-acs-secure-transport"} {
		tampered := *v8
		tampered.tamperFunc = func(r *http.Request) { r.Header[name] = []string{"10.0.0.1"} }
		a := tampered.call(t, "DescribeClusterDetail", http.MethodGet, "/clusters/"+created.ClusterId, nil, nil)
		require.Equal(t, http.StatusBadRequest, a.resp.StatusCode, "%s changed after signing: %s", name, a.raw)
		var e v8Error
		a.decodeModel(t, &e)
		require.Equal(t, "SignatureDoesNotMatch", deref(e.Code), "%s", a.raw)
	}

	// 2. DescribeTaskInfo until success.
	task, running := v8.waitTask(t, created.TaskId)
	require.Equal(t, id, deref(task.ClusterID))
	requireRFC3339(t, deref(task.Created), "task created")
	t.Logf("create task: %d polls found it running", running)

	// 3. DescribeClusterDetail, ACS3 then aliyungo's HMAC-SHA1.
	a = v8.ok(t, http.StatusOK, "DescribeClusterDetail", http.MethodGet, "/clusters/"+id, nil, nil)
	require.NoError(t, a.sdkParse(t, cs.CreateDescribeClusterDetailResponse()))
	var cl v8Cluster
	a.decodeModel(t, &cl)
	require.Equal(t, id, deref(cl.ClusterID))
	require.Equal(t, "tf-managed", deref(cl.Name))
	require.Equal(t, "ManagedKubernetes", deref(cl.ClusterType))
	require.Equal(t, "ack.pro.small", deref(cl.ClusterSpec))
	require.Equal(t, fixtureRegion, deref(cl.RegionID))
	require.Equal(t, string(ackscale.ClusterRunning), deref(cl.State))
	require.Equal(t, "172.20.0.0/16", deref(cl.ContainerCidr))
	require.Equal(t, "172.21.0.0/20", deref(cl.ServiceCidr))
	require.NotNil(t, cl.DeletionProtection)
	require.False(t, *cl.DeletionProtection)
	require.NotEmpty(t, deref(cl.VpcID))
	createdAt := requireRFC3339(t, deref(cl.Created), "created")

	ag := newAliyungoHTTPS(t, srv, srv.HTTPSClient(t))
	var agd aliyungoClusterDetail
	require.NoError(t, ag.Invoke("", http.MethodGet, "/clusters/"+id, nil, nil, &agd), "aliyungo DescribeKubernetesClusterDetail")
	require.Equal(t, id, agd.ClusterID)
	require.Equal(t, deref(cl.State), agd.State)
	require.Equal(t, deref(cl.VpcID), agd.VpcID)
	require.Equal(t, deref(cl.Size), agd.Size)
	require.True(t, createdAt.Equal(agd.Created), "both reads give one creation time")

	// 4. DescribeClusterResources (a 404 is tolerated; ackscale serves it).
	// (The old Go SDK's DescribeClusterResourcesResponse is an object and
	// cannot hold the documented list; the v8 model is a list.)
	a = v8.ok(t, http.StatusOK, "DescribeClusterResources", http.MethodGet, "/clusters/"+id+"/resources", nil, nil)
	var resources []v8Resource
	a.decodeModel(t, &resources)
	require.NotEmpty(t, resources)
	types := map[string]string{}
	for _, r := range resources {
		require.Equal(t, id, deref(r.ClusterID), "%s", a.raw)
		require.NotEmpty(t, deref(r.InstanceID))
		types[deref(r.ResourceType)] = deref(r.InstanceID)
		requireRFC3339(t, deref(r.Created), "resource created")
		if info := deref(r.ResourceInfo); info != "" {
			require.True(t, json.Valid([]byte(info)), "resource_info is JSON: %q", info)
		}
	}
	require.Equal(t, deref(cl.VpcID), types["ALIYUN::ECS::VPC"], "the cluster's VPC is a resource: %s", a.raw)

	// 5. VPC DescribeNatGateways, RPC style over the same port.
	a = rpcCall(t, v8.hc, srv.HTTPSURL(), srv.AccessKeyID, srv.AccessKeySecret, "DescribeNatGateways", "2016-04-28",
		map[string]string{"RegionId": fixtureRegion, "VpcId": deref(cl.VpcID), "PageSize": "50", "PageNumber": "1"})
	nat := vpc.CreateDescribeNatGatewaysResponse()
	require.NoError(t, a.sdkParse(t, nat), "DescribeNatGateways: %s", a.raw)
	require.NotEmpty(t, nat.RequestId)
	require.Equal(t, 1, nat.PageNumber)
	require.Equal(t, 50, nat.PageSize)
	require.Equal(t, len(nat.NatGateways.NatGateway), nat.TotalCount)

	// 6. The kubeconfig: with --kube=off there is none, and the provider
	// only logs the error; it must be an error it reads, not a 404 or 5xx.
	a = v8.call(t, "DescribeClusterUserKubeconfig", http.MethodGet, "/k8s/"+id+"/user_config",
		url.Values{"PrivateIpAddress": {"false"}}, nil)
	require.Equal(t, http.StatusBadRequest, a.resp.StatusCode, "%s", a.raw)
	var kerr v8Error
	a.decodeModel(t, &kerr)
	require.Equal(t, ackscale.CodeClusterState, deref(kerr.Code), "%s", a.raw)
	require.NotEmpty(t, deref(kerr.Message))
	require.NotEmpty(t, deref(kerr.RequestID))
	var se *sdkerrors.ServerError
	require.ErrorAs(t, a.sdkParse(t, cs.CreateDescribeClusterUserKubeconfigResponse()), &se)
	require.Equal(t, ackscale.CodeClusterState, se.ErrorCode())

	// 7. CheckControlPlaneLogEnable: a 404 here stops apply, refresh and destroy.
	a = v8.ok(t, http.StatusOK, "CheckControlPlaneLogEnable", http.MethodGet, "/clusters/"+id+"/controlplanelog", nil, nil)
	var cpl v8ControlPlaneLog
	a.decodeModel(t, &cpl)
	require.NotNil(t, cpl.Components, "components is required in the model: %s", a.raw)
	require.NotEmpty(t, deref(cpl.Aliuid), "%s", a.raw)

	// Destroy: DeleteCluster → 202, the task to success, then a 404.
	a = v8.ok(t, http.StatusAccepted, "DeleteCluster", http.MethodDelete, "/clusters/"+id, nil, nil)
	require.NoError(t, a.sdkParse(t, cs.CreateDeleteClusterResponse()))
	var del v8Accepted
	a.decodeModel(t, &del)
	require.Equal(t, id, deref(del.ClusterID))
	require.NotEmpty(t, deref(del.RequestID))
	v8.waitTask(t, deref(del.TaskID))
	a = v8.call(t, "DescribeClusterDetail", http.MethodGet, "/clusters/"+id, nil, nil)
	require.Equal(t, http.StatusNotFound, a.resp.StatusCode, "%s", a.raw)
	var nf v8Error
	a.decodeModel(t, &nf)
	require.Equal(t, ackscale.CodeClusterNotFound, deref(nf.Code))
	require.NotEmpty(t, deref(nf.RequestID))
	require.ErrorAs(t, a.sdkParse(t, cs.CreateDescribeClusterDetailResponse()), &se)
	require.Equal(t, http.StatusNotFound, se.HttpStatus())
	require.Equal(t, ackscale.CodeClusterNotFound, se.ErrorCode())
}

// TestTerraformEdgeClusterHTTPS replays alicloud_cs_edge_kubernetes over
// HTTPS: DescribeVSwitchAttributes, aliyungo's CreateCluster with
// fixtures/tf-edge-create.json, GET /clusters/{id} until running, the
// worker_number change with fixtures/aliyungo2022-scale-out.json (one ECS
// cloud worker), the certificates, the nodes of each node pool, and
// destroy; the vSwitch's free IP count follows the workers.
func TestTerraformEdgeClusterHTTPS(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{AdminToken: adminToken,
		Args: []string{"--time-scale", fmt.Sprint(tfTimeScale), "--boot-latency", tfBootLatency.String()}})
	hc := srv.HTTPSClient(t)
	createBody, err := os.ReadFile(tfEdgeCreatePath)
	require.NoError(t, err)
	scaleBody, err := os.ReadFile(aliyungoScaleOutPath)
	require.NoError(t, err)

	// aliyungo really goes over HTTPS: trusting nothing, it fails.
	untrusting := newAliyungoHTTPS(t, srv, testserver.TLSClient(&tls.Config{RootCAs: x509.NewCertPool()}))
	_, err = untrusting.GetClusterCerts("c00000000000000000000000000000000")
	requireCertificateError(t, err)

	vsw := vswitchAttributes(t, srv, hc, srv.HTTPSURL(), fixtureVSwitch)
	require.Equal(t, "vpc-bp1ackscaledefault001", vsw.VpcId)
	require.Equal(t, "Available", vsw.Status)
	free0 := vsw.AvailableIpAddressCount
	require.Equal(t, cidrSize(t, vsw.CidrBlock)-4, free0, "a vSwitch nothing uses: its CIDR less VPC's 4 reserved addresses")

	ag := newAliyungoHTTPS(t, srv, hc)
	var created asyncAnswer
	require.NoError(t, ag.Invoke(common.Region(fixtureRegion), http.MethodPost, "/clusters", nil, json.RawMessage(createBody), &created),
		"POST /clusters with tf-edge-create.json")
	require.Regexp(t, `^c[0-9a-z]+$`, created.ClusterID)
	require.NotEmpty(t, created.RequestID)
	id := created.ClusterID
	waitEdgeRunning(t, ag, id)
	var detail aliyungoClusterDetail
	require.NoError(t, ag.Invoke("", http.MethodGet, "/clusters/"+id, nil, nil, &detail))
	require.Equal(t, "Edge", detail.Profile)
	requireEdgeWorkers(t, srv, ag, id, 1)
	require.Equal(t, free0-1, vswitchAttributes(t, srv, hc, srv.HTTPSURL(), fixtureVSwitch).AvailableIpAddressCount,
		"the create's worker takes one address of the vSwitch")

	// worker_number 1 → 2.
	var scaled asyncAnswer
	require.NoError(t, ag.Invoke("", http.MethodPost, "/api/v2/clusters/"+id, nil, json.RawMessage(scaleBody), &scaled),
		"POST /api/v2/clusters/{id} with aliyungo2022-scale-out.json")
	require.Equal(t, id, scaled.ClusterID)
	waitAliyungoTask(t, ag, scaled.TaskID)
	waitEdgeRunning(t, ag, id)
	requireEdgeWorkers(t, srv, ag, id, 2)
	require.Equal(t, free0-2, vswitchAttributes(t, srv, hc, srv.HTTPSURL(), fixtureVSwitch).AvailableIpAddressCount)

	// The certificates (none without Kubernetes, but an answer aliyungo reads).
	_, err = ag.GetClusterCerts(id)
	require.NoError(t, err, "GET /clusters/{id}/certs")

	// The nodes of each pool, as aliyungo lists them by nodepool_id.
	var pools json.RawMessage
	require.NoError(t, ag.Invoke("", http.MethodGet, "/clusters/"+id+"/nodepools", nil, nil, &pools))
	total := 0
	for _, p := range decodePools(t, pools) {
		np := p.NodepoolInfo.NodepoolID
		var page aliyungo.GetKubernetesClusterNodesResponse
		require.NoError(t, ag.Invoke("", http.MethodGet, "/clusters/"+id+"/nodes?nodepool_id="+np+"&pageNumber=1&pageSize=100",
			nil, nil, &page), "GET /clusters/{id}/nodes?nodepool_id=%s", np)
		require.Equal(t, len(page.Nodes), page.Page.TotalCount, "pool %s", np)
		var raw struct {
			Nodes []struct {
				NodepoolID string `json:"nodepool_id"`
			} `json:"nodes"`
		}
		require.NoError(t, ag.Invoke("", http.MethodGet, "/clusters/"+id+"/nodes?nodepool_id="+np+"&pageNumber=1&pageSize=100",
			nil, nil, &raw))
		for _, n := range raw.Nodes {
			require.Equal(t, np, n.NodepoolID, "a node listed for pool %s is in it", np)
		}
		total += page.Page.TotalCount
	}
	require.Equal(t, 2, total, "the pools' nodes are the cluster's two workers")

	// Destroy: DELETE, then GET until 404; the addresses come back.
	require.NoError(t, ag.Invoke("", http.MethodDelete, "/clusters/"+id, nil, nil, nil))
	poll(t, "cluster "+id+" gone", func() (bool, string, error) {
		var d aliyungoClusterDetail
		err := ag.Invoke("", http.MethodGet, "/clusters/"+id, nil, nil, &d)
		var ae *common.Error
		if errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound {
			return ae.Code == ackscale.CodeClusterNotFound, ae.Code, nil
		}
		return false, d.State, err
	})
	require.Empty(t, liveInstances(t, srv), "the cluster's instances are released")
	require.Equal(t, free0, vswitchAttributes(t, srv, hc, srv.HTTPSURL(), fixtureVSwitch).AvailableIpAddressCount)
}

// requireCertificateError fails unless err is a TLS certificate
// verification failure.
func requireCertificateError(t testing.TB, err error) {
	t.Helper()
	require.Error(t, err)
	var unknown x509.UnknownAuthorityError
	var verify *tls.CertificateVerificationError
	require.True(t, errors.As(err, &unknown) || errors.As(err, &verify) || strings.Contains(err.Error(), "certificate"),
		"want a certificate verification error, got %T: %v", err, err)
}

// TestHTTPSTrust: the server prints its CA and its HTTPS URL; a client
// that trusts only that CA connects on the one port (by IP and by name,
// which the certificate covers), one that trusts nothing or only the
// system's roots fails on the certificate, and plain HTTP still works.
func TestHTTPSTrust(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{})
	caFile := srv.CACertFile(t)
	require.Equal(t, filepath.Join(srv.DataDir, "tls"), filepath.Dir(caFile), "the CA lives in DATA_DIR/tls")
	require.Equal(t, srv.HTTPSURL(), srv.PrintedHTTPSURL(t))
	require.Contains(t, srv.Logs(), "SSL_CERT_FILE="+caFile)
	pool := srv.CAPool(t)
	_, port, err := net.SplitHostPort(srv.Addr)
	require.NoError(t, err)

	caPEM, err := os.ReadFile(caFile)
	require.NoError(t, err)
	ca := parsePEMCert(t, caPEM)
	require.True(t, ca.IsCA)

	for _, tc := range []struct {
		name    string
		url     string
		roots   *x509.CertPool // nil: the system's
		wantErr bool
	}{
		{name: "the printed CA, by IP", url: "https://127.0.0.1:" + port, roots: pool},
		{name: "the printed CA, by name", url: "https://localhost:" + port, roots: pool},
		{name: "trusting nothing", url: "https://127.0.0.1:" + port, roots: x509.NewCertPool(), wantErr: true},
		{name: "the system's roots", url: "https://127.0.0.1:" + port, wantErr: true},
		{name: "plain HTTP on the same port", url: srv.URL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hc := testserver.TLSClient(&tls.Config{RootCAs: tc.roots, MinVersion: tls.VersionTLS12})
			c := &v8Client{base: tc.url, host: strings.TrimPrefix(strings.TrimPrefix(tc.url, "https://"), "http://"),
				ak: srv.AccessKeyID, secret: srv.AccessKeySecret, hc: hc}
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, tc.url+"/clusters", nil)
			require.NoError(t, err)
			if tc.wantErr {
				_, err := hc.Do(req)
				requireCertificateError(t, err)
				return
			}
			a := c.ok(t, http.StatusOK, "DescribeClusters", http.MethodGet, "/api/v1/clusters", nil, nil)
			if !strings.HasPrefix(tc.url, "https://") {
				require.Nil(t, a.resp.TLS)
				return
			}
			state := a.resp.TLS
			require.NotNil(t, state, "an HTTPS answer")
			require.NotEmpty(t, state.VerifiedChains)
			chain := state.VerifiedChains[0]
			require.True(t, chain[len(chain)-1].Equal(ca), "the chain ends at the printed CA")
			leaf := state.PeerCertificates[0]
			for _, h := range []string{"127.0.0.1", "::1", "localhost"} {
				require.NoError(t, leaf.VerifyHostname(h), "the server certificate covers %s", h)
			}
		})
	}
}

// parsePEMCert parses the first certificate of a PEM file.
func parsePEMCert(t testing.TB, pemBytes []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(pemBytes)
	require.NotNil(t, block, "no PEM block")
	require.Equal(t, "CERTIFICATE", block.Type)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	return cert
}
