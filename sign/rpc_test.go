package sign

import (
	"bytes"
	"context"
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

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// The SDK fills its endpoint maps lazily and without a lock when a client
// is made; filling them once here keeps parallel tests from racing there.
func init() {
	vpc.GetEndpointMap()
	ecs.GetEndpointMap()
}

func TestRPCVectors(t *testing.T) {
	t.Parallel()
	docParams := url.Values{
		"AccessKeyId": {"testid"}, "Action": {"DescribeRegions"}, "Format": {"XML"},
		"SignatureMethod": {"HMAC-SHA1"}, "SignatureNonce": {"3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
		"SignatureVersion": {"1.0"}, "TimeStamp": {"2016-02-23T12:46:24Z"}, "Version": {"2014-05-26"},
	}
	tests := []struct {
		name    string
		method  string
		params  url.Values
		secret  string
		wantSTS string
		wantSig string // "" to skip
	}{
		{
			// Alibaba Cloud's worked example of the RPC signature
			// (https://developer.aliyun.com/ask/210168, "API 签名机制(示例)"; the
			// page renders the %26 separators as "&", the signature is of %26).
			name: "doc DescribeRegions", method: http.MethodGet, params: docParams, secret: "testsecret",
			wantSTS: "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1" +
				"%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0" +
				"%26TimeStamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26",
			wantSig: "CT9X0VtwR86fNWSnsc6v8YGOjuE=",
		},
		{
			// alibaba-cloud-sdk-go sdk/auth/rpc_signature_composer_test.go
			// TestRpcSignatureComposer_buildRpcStringToSign (form and query
			// parameters together; a value that is itself a URL).
			name: "old SDK nested URL", method: http.MethodGet,
			params:  url.Values{"key": {"value"}, "q": {"http://domain/?q=value&q2=value2"}},
			wantSTS: "GET&%2F&key%3Dvalue%26q%3Dhttp%253A%252F%252Fdomain%252F%253Fq%253Dvalue%2526q2%253Dvalue2",
		},
		{
			name: "empty", method: http.MethodGet, params: url.Values{}, wantSTS: "GET&%2F&",
		},
		{
			// Signature is left out; space, *, ~ and non-ASCII as RFC 3986.
			name: "escapes", method: http.MethodPost,
			params:  url.Values{"Signature": {"x"}, "b": {"a b*c~d+é"}, "a": {""}},
			wantSTS: "POST&%2F&a%3D%26b%3Da%2520b%252Ac~d%252B%25C3%25A9",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sts := RPCStringToSign(tt.method, tt.params)
			require.Equal(t, tt.wantSTS, sts)
			if tt.wantSig != "" {
				require.Equal(t, tt.wantSig, RPCSignature(tt.secret, sts))
			}
		})
	}
}

// sdkCapture is a server the old Go SDK's VPC and ECS clients call: it
// verifies each request with VerifyRPC, keeps it, and answers as an RPC
// API does.
type sdkCapture struct {
	v    *Verifier
	srv  *httptest.Server
	mu   sync.Mutex
	last capturedRequest
}

type capturedRequest struct {
	method, target string
	header         http.Header
	body           []byte
}

func newSDKCapture(t *testing.T, v *Verifier) *sdkCapture {
	t.Helper()
	c := &sdkCapture{v: v}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		c.mu.Lock()
		c.last = capturedRequest{method: r.Method, target: r.RequestURI, header: r.Header.Clone(), body: body}
		c.mu.Unlock()
		_, err = v.VerifyRPC(r.Context(), r, body)
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		if err != nil {
			w.WriteHeader(ackscale.HTTPStatus(err))
			_ = json.NewEncoder(w).Encode(map[string]string{
				"RequestId": "R1", "HostId": "vpc.aliyuncs.com", "Code": ackscale.ErrorCode(err), "Message": ackscale.ErrorMessage(err),
			})
			return
		}
		_, _ = io.WriteString(w, `{"RequestId":"R1","VSwitchId":"vsw-1"}`)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// hostPort splits the server's address for the SDK's Domain and Port.
func (c *sdkCapture) hostPort(t *testing.T) (string, string) {
	t.Helper()
	host, port, err := net.SplitHostPort(strings.TrimPrefix(c.srv.URL, "http://"))
	require.NoError(t, err)
	return host, port
}

// replay sends the last request again, byte for byte.
func (c *sdkCapture) replay(t *testing.T) (string, error) {
	t.Helper()
	c.mu.Lock()
	last := c.last
	c.mu.Unlock()
	req := httptest.NewRequest(last.method, last.target, bytes.NewReader(last.body))
	req.Header = last.header.Clone()
	return c.v.VerifyRPC(context.Background(), req, last.body)
}

// TestVerifyRPCRealGoSDK signs with the old Go SDK's own RPC signer (its
// VPC and ECS clients, as the Terraform provider's VPC calls are signed)
// against a server that verifies with the real clock.
func TestVerifyRPCRealGoSDK(t *testing.T) {
	t.Parallel()
	v := &Verifier{SecretFunc: secrets(map[string]string{testAK: testSecret}), Nonces: newMemNonces()}
	c := newSDKCapture(t, v)
	host, port := c.hostPort(t)

	describe := func(secret string) (*vpc.DescribeVSwitchAttributesResponse, error) {
		client, err := vpc.NewClientWithAccessKey("cn-hangzhou", testAK, secret)
		require.NoError(t, err)
		req := vpc.CreateDescribeVSwitchAttributesRequest()
		req.Scheme, req.Domain, req.Port = "http", host, port
		req.VSwitchId = "vsw-1 with space*~"
		return client.DescribeVSwitchAttributes(req)
	}

	resp, err := describe(testSecret)
	require.NoError(t, err)
	require.Equal(t, "vsw-1", resp.VSwitchId)
	require.Equal(t, http.MethodPost, c.last.method, "the SDK's RPC requests are POSTs")
	q := mustQuery(t, c.last.target)
	for _, name := range []string{"Action", "Version", "Format", "Timestamp", "SignatureNonce", "SignatureMethod", "SignatureVersion", "AccessKeyId", "Signature", "RegionId"} {
		require.Contains(t, q, name)
	}

	_, err = c.replay(t)
	require.Equal(t, ackscale.CodeNonceUsed, ackscale.ErrorCode(err), "a replayed RPC request")

	_, err = describe("wrongSecret")
	var serverErr *sdkerrors.ServerError
	require.ErrorAs(t, err, &serverErr)
	require.Equal(t, ackscale.CodeSignatureMismatch, serverErr.ErrorCode())
	require.Contains(t, serverErr.Recommend(), "InvalidAccessKeySecret",
		"the SDK finds its own string to sign in the message, so the secret is the culprit")

	ecsClient, err := ecs.NewClientWithAccessKey("cn-hangzhou", testAK, testSecret)
	require.NoError(t, err)
	ecsReq := ecs.CreateDescribeInstancesRequest()
	ecsReq.Scheme, ecsReq.Domain, ecsReq.Port = "http", host, port
	ecsReq.InstanceIds = `["i-1","i-2"]`
	ecsReq.Tag = &[]ecs.DescribeInstancesTag{{Key: "ack.aliyun.com", Value: "c1"}}
	_, err = ecsClient.DescribeInstances(ecsReq)
	require.NoError(t, err, "repeated (Tag.1.Key) and JSON-array parameters")
	require.Equal(t, `["i-1","i-2"]`, mustQuery(t, c.last.target).Get("InstanceIds"))
}

// TestRPCGoSDKStringToSign checks RPCStringToSign against the string the
// SDK signed, taken from the mismatch message the SDK compares it with.
func TestRPCGoSDKStringToSign(t *testing.T) {
	t.Parallel()
	v := &Verifier{SecretFunc: secrets(map[string]string{testAK: "serverSecret"})}
	c := newSDKCapture(t, v)
	host, port := c.hostPort(t)
	client, err := ecs.NewClientWithAccessKey("cn-beijing", testAK, "clientSecret")
	require.NoError(t, err)
	req := ecs.CreateDescribeAvailableResourceRequest()
	req.Scheme, req.Domain, req.Port = "http", host, port
	req.DestinationResource, req.ZoneId = "InstanceType", "cn-beijing-g"
	req.FormParams = map[string]string{"Extra": "form value"}
	_, err = client.DescribeAvailableResource(req)
	var serverErr *sdkerrors.ServerError
	require.ErrorAs(t, err, &serverErr)
	require.Equal(t, ackscale.CodeSignatureMismatch, serverErr.ErrorCode())
	_, serverSTS, ok := strings.Cut(serverErr.Message(), stringToSignMarker)
	require.True(t, ok)
	require.Equal(t, req.GetStringToSign(), serverSTS, "the same string to sign, form parameter included")
	require.Contains(t, serverSTS, "Extra%3Dform%2520value")
	require.Equal(t, RPCSignature("clientSecret", serverSTS), mustQuery(t, c.last.target).Get("Signature"))
}

func mustQuery(t *testing.T, target string) url.Values {
	t.Helper()
	u, err := url.ParseRequestURI(target)
	require.NoError(t, err)
	return u.Query()
}

// rpcCall builds an RPC request as the old Go SDK does: every parameter in
// the query (formParams in a form body), signed with secret.
type rpcCall struct {
	method     string
	params     url.Values
	formParams url.Values
}

func newRPCCall() rpcCall {
	return rpcCall{method: http.MethodPost, params: url.Values{
		"Action": {"DescribeVSwitches"}, "Version": {"2016-04-28"}, "Format": {"JSON"}, "RegionId": {"cn-hangzhou"},
		"VpcId": {"vpc 1"}, "Timestamp": {testNow.Format(ACS3DateFormat)}, "SignatureMethod": {"HMAC-SHA1"},
		"SignatureVersion": {"1.0"}, "SignatureType": {""}, "SignatureNonce": {testNonce}, "AccessKeyId": {testAK},
	}}
}

// request signs c with secret and returns the server-side request.
func (c rpcCall) request(t *testing.T, secret string) *http.Request {
	t.Helper()
	all := url.Values{}
	for _, vs := range []url.Values{c.params, c.formParams} {
		for k, v := range vs {
			all[k] = append(all[k], v...)
		}
	}
	q := cloneValues(c.params)
	q.Set("Signature", RPCSignature(secret, RPCStringToSign(c.method, all)))
	req := httptest.NewRequest(c.method, "/?"+q.Encode(), strings.NewReader(c.formParams.Encode()))
	if c.formParams != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("x-acs-action", c.params.Get("Action"))
	req.Header.Set("x-acs-version", c.params.Get("Version"))
	return req
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// tamperQuery changes the signed request's raw query.
func tamperQuery(req *http.Request, f func(q url.Values)) *http.Request {
	q := req.URL.Query()
	f(q)
	req.URL.RawQuery = q.Encode()
	return req
}

// signedWith builds the call with the parameter key set to value (or
// removed, when value is empty), signed with the right secret.
func signedWith(key, value string) func(t *testing.T) *http.Request {
	return func(t *testing.T) *http.Request {
		c := newRPCCall()
		if value == "" {
			c.params.Del(key)
		} else {
			c.params.Set(key, value)
		}
		return c.request(t, testSecret)
	}
}

func TestVerifyRPC(t *testing.T) {
	t.Parallel()
	form := newRPCCall()
	form.formParams = url.Values{"VSwitchName": {"a&b=c"}}
	tests := []struct {
		name     string
		build    func(t *testing.T) *http.Request
		wantCode string
		wantMsg  string
	}{
		{name: "query", build: func(t *testing.T) *http.Request { return newRPCCall().request(t, testSecret) }},
		{name: "form body", build: func(t *testing.T) *http.Request { return form.request(t, testSecret) }},
		{name: "GET", build: func(t *testing.T) *http.Request {
			c := newRPCCall()
			c.method = http.MethodGet
			return c.request(t, testSecret)
		}},
		{name: "RFC 3339 timestamp with offset", build: signedWith("Timestamp", testNow.In(time.FixedZone("", 8*3600)).Format(time.RFC3339))},
		{name: "wrong secret", wantCode: ackscale.CodeSignatureMismatch, wantMsg: stringToSignMarker + "POST&%2F&AccessKeyId",
			build: func(t *testing.T) *http.Request { return newRPCCall().request(t, "wrong") }},
		{name: "value changed", wantCode: ackscale.CodeSignatureMismatch, build: func(t *testing.T) *http.Request {
			return tamperQuery(newRPCCall().request(t, testSecret), func(q url.Values) { q.Set("VpcId", "vpc-2") })
		}},
		{name: "parameter added", wantCode: ackscale.CodeSignatureMismatch, build: func(t *testing.T) *http.Request {
			return tamperQuery(newRPCCall().request(t, testSecret), func(q url.Values) { q.Set("ZoneId", "z") })
		}},
		{name: "parameter moved from form to query", wantCode: "", build: func(t *testing.T) *http.Request {
			req := form.request(t, testSecret)
			req = tamperQuery(req, func(q url.Values) { q.Set("VSwitchName", "a&b=c") })
			req.Body, req.ContentLength = io.NopCloser(strings.NewReader("")), 0
			return req
		}},
		{name: "form body changed", wantCode: ackscale.CodeSignatureMismatch, build: func(t *testing.T) *http.Request {
			req := form.request(t, testSecret)
			req.Body = io.NopCloser(strings.NewReader("VSwitchName=x"))
			return req
		}},
		{name: "form body as JSON is not a parameter", wantCode: ackscale.CodeSignatureMismatch, build: func(t *testing.T) *http.Request {
			req := form.request(t, testSecret)
			req.Header.Set("Content-Type", "application/json")
			return req
		}},
		{name: "method changed", wantCode: ackscale.CodeSignatureMismatch, build: func(t *testing.T) *http.Request {
			req := newRPCCall().request(t, testSecret)
			req.Method = http.MethodGet
			return req
		}},
		{name: "unknown key", wantCode: ackscale.CodeAccessKeyNotFound, build: signedWith("AccessKeyId", "nobody")},
		{name: "expired", wantCode: ackscale.CodeTimestampExpired, build: signedWith("Timestamp", testNow.Add(-16*time.Minute).Format(ACS3DateFormat))},
		{name: "bad timestamp", wantCode: ackscale.CodeIncompleteSignature, wantMsg: "Timestamp", build: signedWith("Timestamp", "Mon, 01 Jan 2024 00:00:00 GMT")},
		{name: "no nonce", wantCode: ackscale.CodeIncompleteSignature, wantMsg: "SignatureNonce", build: signedWith("SignatureNonce", "")},
		{name: "SHA256", wantCode: ackscale.CodeIncompleteSignature, wantMsg: "HMAC-SHA1", build: signedWith("SignatureMethod", "HMAC-SHA256")},
		{name: "bearer token", wantCode: ackscale.CodeIncompleteSignature, wantMsg: "SignatureType", build: signedWith("SignatureType", "BEARERTOKEN")},
		{name: "two signatures", wantCode: ackscale.CodeIncompleteSignature, wantMsg: "2 times", build: func(t *testing.T) *http.Request {
			return tamperQuery(newRPCCall().request(t, testSecret), func(q url.Values) { q.Add("Signature", "x") })
		}},
		{name: "empty signature", wantCode: ackscale.CodeIncompleteSignature, build: func(t *testing.T) *http.Request {
			return tamperQuery(newRPCCall().request(t, testSecret), func(q url.Values) { q.Set("Signature", "") })
		}},
		{name: "signature and Authorization", wantCode: ackscale.CodeIncompleteSignature, wantMsg: "both", build: func(t *testing.T) *http.Request {
			req := newRPCCall().request(t, testSecret)
			req.Header.Set("Authorization", "acs a:b")
			return req
		}},
		{name: "unsigned", wantCode: ackscale.CodeMissingAuthorization, build: func(t *testing.T) *http.Request {
			return httptest.NewRequest(http.MethodGet, "/?Action=DescribeVpcs&Version=2016-04-28", nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			req := tt.build(t)
			body, err := io.ReadAll(req.Body)
			require.NoError(t, err)
			id, err := b.verifier.VerifyRPC(context.Background(), req, body)
			if tt.wantCode == "" {
				require.NoError(t, err)
				require.Equal(t, testAK, id)
				return
			}
			require.Equal(t, tt.wantCode, ackscale.ErrorCode(err), "%v", err)
			require.Empty(t, id)
			require.Contains(t, ackscale.ErrorMessage(err), tt.wantMsg)
			require.NotContains(t, ackscale.ErrorMessage(err), testSecret)
			if sig := req.URL.Query().Get("Signature"); sig != "" {
				require.NotContains(t, ackscale.ErrorMessage(err), sig)
			}
		})
	}
}

func TestVerifyRPCNonce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	req := newRPCCall().request(t, testSecret)
	_, err := b.verifier.VerifyRPC(context.Background(), req, nil)
	require.NoError(t, err)
	expires, ok := b.nonces.expires(testAK, testNonce)
	require.True(t, ok, "the SignatureNonce is recorded")
	require.Equal(t, testNow.Add(DefaultMaxSkew), expires)

	_, err = b.verifier.VerifyRPC(context.Background(), newRPCCall().request(t, testSecret), nil)
	require.Equal(t, ackscale.CodeNonceUsed, ackscale.ErrorCode(err))

	other := newRPCCall()
	other.params.Set("SignatureNonce", "another")
	_, err = b.verifier.VerifyRPC(context.Background(), other.request(t, "wrong"), nil)
	require.Equal(t, ackscale.CodeSignatureMismatch, ackscale.ErrorCode(err))
	_, ok = b.nonces.expires(testAK, "another")
	require.False(t, ok, "a forged request does not burn the nonce")
}

// TestVerifyRPCACS3 checks an RPC-style ACS3 request, as darabonba's
// default path signs one for VPC: the action and version in x-acs-*
// headers, the API's parameters in the query, path "/".
func TestVerifyRPCACS3(t *testing.T) {
	t.Parallel()
	c := call{
		method: http.MethodPost, path: "/",
		query:   map[string]string{"RegionId": "cn-hangzhou", "VSwitchId": "vsw-bp1 *~"},
		action:  "DescribeVSwitchAttributes",
		headers: map[string]string{"x-acs-version": "2016-04-28"},
	}
	b := setup(t)
	req, body := toServer(t, darabonba(t, c, testAK, testSecret, testNow, testNonce).req)
	id, err := b.verifier.VerifyRPC(context.Background(), req, body)
	require.NoError(t, err)
	require.Equal(t, testAK, id)
	require.Equal(t, "vsw-bp1 *~", RPCParams(req, body).Get("VSwitchId"))

	req, body = toServer(t, darabonba(t, c, testAK, testSecret, testNow, "other-nonce").req)
	req.Header.Set("X-Acs-Action", "DescribeVpcs")
	_, err = b.verifier.VerifyRPC(context.Background(), req, body)
	require.Equal(t, ackscale.CodeSignatureMismatch, ackscale.ErrorCode(err), "the action header is signed")

	roaReq, roaBody := toServer(t, oldSDK(t, getNodes(), testAK, testSecret, testNow).req)
	_, err = b.verifier.VerifyRPC(context.Background(), roaReq, roaBody)
	require.Equal(t, ackscale.CodeIncompleteSignature, ackscale.ErrorCode(err), "ROA is not an RPC scheme")
}

// TestVerifyRefusesRPC checks that the CS verifier does not take an RPC
// signature: it covers neither the path nor the headers.
func TestVerifyRefusesRPC(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.verifier.Verify(context.Background(), newRPCCall().request(t, testSecret), nil)
	require.Equal(t, ackscale.CodeMissingAuthorization, ackscale.ErrorCode(err))
}

func TestRPCParams(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest(http.MethodPost, "/?a=1&b=%zz&c=x+y", strings.NewReader("a=2&d=%E2%82%AC"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	require.Equal(t, url.Values{"a": {"1", "2"}, "c": {"x y"}, "d": {"€"}}, RPCParams(req, []byte("a=2&d=%E2%82%AC")))
	req.Header.Set("Content-Type", "application/json")
	require.Equal(t, url.Values{"a": {"1"}, "c": {"x y"}}, RPCParams(req, []byte(`{"a":2}`)))
}
