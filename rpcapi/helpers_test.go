package rpcapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
	"github.com/ackscale/ackscale/cloud"
	"github.com/ackscale/ackscale/internal/memstore"
	"github.com/ackscale/ackscale/sign"
)

// The SDK fills its endpoint maps lazily and without a lock when a client
// is made; filling them once here keeps parallel tests from racing there.
func init() {
	vpc.GetEndpointMap()
	ecs.GetEndpointMap()
}

// Two accounts: every vSwitch of the catalog is, in each, its own.
const (
	accountA, akA, skA = "5000000000000001", "AKIDaaaaaaaaaaaa", "secret-a"
	accountB, akB, skB = "5000000000000002", "AKIDbbbbbbbbbbbb", "secret-b"
)

// Catalog ids used below (catalog/default.json).
const (
	hangzhou   = "cn-hangzhou"
	zoneG      = "cn-hangzhou-g"
	zoneH      = "cn-hangzhou-h"
	prodVPC    = "vpc-bp1ackscaleprod000001"
	prodVSwG   = "vsw-bp1ackscaleprodg0001" // 10.0.0.0/24
	prodVSwH   = "vsw-bp1ackscaleprodh0001" // 10.0.1.0/24
	defaultVPC = "vpc-bp1ackscaledefault001"
	defVSwG    = "vsw-bp1ackscaledefaultg01" // 192.168.0.0/20
)

type testBundle struct {
	store   *memstore.Store
	cat     *catalog.Catalog
	cloud   *cloud.Cloud
	handler *Handler
	srv     *httptest.Server
	host    string
	port    string
	// throttle, when set, is the handler's ThrottleFunc.
	mu       sync.Mutex
	throttle func(string) (bool, time.Duration)
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	ctx := context.Background()
	b := &testBundle{store: memstore.New(), cat: catalog.Default()}
	for _, a := range [][3]string{{accountA, akA, skA}, {accountB, akB, skB}} {
		require.NoError(t, b.store.AccountCreate(ctx, ackscale.AccountCreateParams{
			Account: ackscale.Account{ID: a[0], AccessKeyID: a[1]}, Secret: a[2]}))
	}
	zero := time.Duration(0)
	// The cloud's clock ticks a second a call, so that instances are
	// created in order (listings are oldest first).
	var clockMu sync.Mutex
	tick := time.Now().UTC()
	now := func() time.Time {
		clockMu.Lock()
		defer clockMu.Unlock()
		tick = tick.Add(time.Second)
		return tick
	}
	var err error
	b.cloud, err = cloud.New(cloud.Config{Store: b.store, Catalog: b.cat, BootLatency: &zero, Now: now})
	require.NoError(t, err)
	b.handler, err = New(Config{
		Catalog: b.cat, Cloud: b.store, Accounts: b.store, Owners: WorkerOwners(b.store),
		ThrottleFunc: func(_ context.Context, accountID string) (bool, time.Duration) {
			b.mu.Lock()
			defer b.mu.Unlock()
			if b.throttle == nil {
				return true, 0
			}
			return b.throttle(accountID)
		},
	})
	require.NoError(t, err)
	b.srv = httptest.NewServer(b.handler)
	t.Cleanup(b.srv.Close)
	b.host, b.port, err = net.SplitHostPort(strings.TrimPrefix(b.srv.URL, "http://"))
	require.NoError(t, err)
	return b
}

// point sends an SDK request to the test server.
func (b *testBundle) point(r *requests.RpcRequest) {
	r.Scheme, r.Domain, r.Port = "http", b.host, b.port
}

func (b *testBundle) vpcClient(t *testing.T, ak, sk string) *vpc.Client {
	t.Helper()
	c, err := vpc.NewClientWithAccessKey(hangzhou, ak, sk)
	require.NoError(t, err)
	return c
}

func (b *testBundle) ecsClient(t *testing.T, ak, sk, region string) *ecs.Client {
	t.Helper()
	c, err := ecs.NewClientWithAccessKey(region, ak, sk)
	require.NoError(t, err)
	return c
}

// worker says which cluster and pool an instance created by run belongs
// to ("" for none: an instance that left its cluster).
type worker struct{ cluster, pool, hostname string }

// run creates one instance through the cloud, as a task does, and records
// its worker.
func (b *testBundle) run(t *testing.T, account, zone, vswitch, instanceType string, w worker) ackscale.Instance {
	t.Helper()
	ctx := context.Background()
	token := "token-" + ackscale.NewRequestID()
	region, _ := b.cat.ZoneRegion(zone)
	if region == "" {
		region = zone // an ENS region
	}
	in, err := b.cloud.RunInstance(ctx, ackscale.InstanceRequest{ClientToken: token, AccountID: account, RegionID: region,
		ZoneID: zone, VSwitchID: vswitch, InstanceTypes: []string{instanceType}})
	require.NoError(t, err)
	if w.cluster != "" {
		require.NoError(t, b.store.WorkerInsert(ctx, []ackscale.Worker{{ClusterID: w.cluster, NodePoolID: w.pool,
			AccountID: account, TaskID: "T-" + w.cluster, ClientToken: token, InstanceID: in.ID, IP: in.IP,
			Hostname: w.hostname, RegionID: region, ZoneID: zone, VSwitchID: vswitch, InstanceType: instanceType,
			State: ackscale.NodeRunning}}))
	}
	return in
}

// boot makes a Pending instance Running, as a task polling it does.
func (b *testBundle) boot(t *testing.T, id string) ackscale.Instance {
	t.Helper()
	in, err := b.cloud.DescribeInstance(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, ackscale.InstanceRunning, in.Status)
	return in
}

// rpcGet sends a GET signed with the RPC scheme by hand, with params as
// the whole query besides the signature fields.
func (b *testBundle) rpcGet(t *testing.T, ak, sk string, params map[string]string) (int, map[string]any) {
	t.Helper()
	q := url.Values{}
	for k, v := range params {
		q.Set(k, v)
	}
	q.Set("Timestamp", time.Now().UTC().Format(sign.ACS3DateFormat))
	q.Set("SignatureMethod", "HMAC-SHA1")
	q.Set("SignatureVersion", "1.0")
	q.Set("SignatureNonce", ackscale.NewRequestID())
	q.Set("AccessKeyId", ak)
	q.Set("Signature", sign.RPCSignature(sk, sign.RPCStringToSign(http.MethodGet, q)))
	resp, err := http.Get(b.srv.URL + "/?" + q.Encode())
	require.NoError(t, err)
	return decode(t, resp)
}

// acs3Request sends an RPC call signed with ACS3-HMAC-SHA256 as darabonba
// signs one: action and version in x-acs-* headers, parameters in the
// query, path "/".
func (b *testBundle) acs3Request(t *testing.T, ak, sk, action, version string, query url.Values) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+"/?"+strings.ReplaceAll(query.Encode(), "+", "%20"), nil)
	require.NoError(t, err)
	sum := sha256.Sum256(nil)
	h := map[string]string{
		"x-acs-action": action, "x-acs-version": version, "x-acs-date": time.Now().UTC().Format(sign.ACS3DateFormat),
		"x-acs-signature-nonce": ackscale.NewRequestID(), "x-acs-content-sha256": hex.EncodeToString(sum[:]),
	}
	for k, v := range h {
		req.Header[k] = []string{v}
	}
	signed := []string{"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"}
	canonical := sign.ACS3CanonicalRequest(http.MethodPost, "/", req.URL.RawQuery, req.Header, req.URL.Host, signed, h["x-acs-content-sha256"])
	req.Header.Set("Authorization", "ACS3-HMAC-SHA256 Credential="+ak+",SignedHeaders="+strings.Join(signed, ";")+
		",Signature="+sign.ACS3Signature(sk, canonical))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, body
}

func decode(t *testing.T, resp *http.Response) (int, map[string]any) {
	t.Helper()
	defer resp.Body.Close()
	require.Equal(t, "application/json;charset=utf-8", resp.Header.Get("Content-Type"))
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return resp.StatusCode, m
}
