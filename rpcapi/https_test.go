package rpcapi

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/tlsmux"
)

// TestOverHTTPS serves the handler on one port with tlsmux, as serve will,
// and calls it with the old Go SDK over HTTPS, trusting only the data
// dir's CA, and over plain HTTP.
func TestOverHTTPS(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ca, err := tlsmux.LoadOrCreateCA(filepath.Join(t.TempDir(), "tls"))
	require.NoError(t, err)
	cfg, err := ca.ServerConfig(nil)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: b.handler, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(tlsmux.Listen(ln, cfg)) }()
	t.Cleanup(func() { _ = srv.Close() })
	_, port, err := net.SplitHostPort(ln.Addr().String())
	require.NoError(t, err)

	for _, scheme := range []string{"https", "http"} {
		c := b.vpcClient(t, akA, skA)
		c.SetTransport(&http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}})
		req := vpc.CreateDescribeVSwitchAttributesRequest()
		req.Scheme, req.Domain, req.Port = scheme, "localhost", port
		req.VSwitchId = prodVSwG
		resp, err := c.DescribeVSwitchAttributes(req)
		require.NoError(t, err, scheme)
		require.Equal(t, prodVPC, resp.VpcId, scheme)
	}

	c := b.vpcClient(t, akA, skA)
	req := vpc.CreateDescribeVSwitchAttributesRequest()
	req.Scheme, req.Domain, req.Port = "https", "127.0.0.1", port
	req.VSwitchId = prodVSwG
	_, err = c.DescribeVSwitchAttributes(req)
	require.ErrorContains(t, err, "certificate", "a client that does not trust the CA")
}

// fakeWorkers records WorkerList calls.
type fakeWorkers struct {
	calls   [][]string
	workers []ackscale.Worker
}

func (f *fakeWorkers) WorkerList(_ context.Context, p ackscale.WorkerListParams) ([]ackscale.Worker, int, error) {
	f.calls = append(f.calls, p.ClientTokens)
	var out []ackscale.Worker
	for _, w := range f.workers {
		for _, tok := range p.ClientTokens {
			if tok == w.ClientToken {
				out = append(out, w)
			}
		}
	}
	return out, len(out), nil
}

func TestWorkerOwners(t *testing.T) {
	t.Parallel()
	f := &fakeWorkers{workers: []ackscale.Worker{
		{ClientToken: "t1", AccountID: accountA, ClusterID: "c1", NodePoolID: "np1", Hostname: "h1"},
		{ClientToken: "t1200", AccountID: accountB, ClusterID: "c2", NodePoolID: "np2"},
	}}
	tokens := make([]string, 1201)
	for i := range tokens {
		tokens[i] = "t" + string(rune('0'+i%10))
	}
	tokens[1200] = "t1200"
	tokens[1] = "t1"
	owners, err := WorkerOwners(f).InstanceOwners(context.Background(), accountA, tokens)
	require.NoError(t, err)
	require.Equal(t, map[string]Owner{"t1": {ClusterID: "c1", NodePoolID: "np1", Hostname: "h1"}}, owners,
		"another account's worker is not an owner")
	require.Len(t, f.calls, 3, "batches of 500 tokens")
}
