package sign

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

type testBundle struct {
	nonces   *memNonces
	verifier *Verifier
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	nonces := newMemNonces()
	return &testBundle{
		nonces: nonces,
		verifier: &Verifier{
			SecretFunc: secrets(map[string]string{testAK: testSecret, "otherAK": "otherSecret"}),
			Nonces:     nonces,
			Now:        func() time.Time { return testNow },
		},
	}
}

// verify sends req over the wire and verifies what the server reads.
func (b *testBundle) verify(t *testing.T, req *http.Request) (string, error) {
	t.Helper()
	sr, body := toServer(t, req)
	return b.verifier.Verify(context.Background(), sr, body)
}

// requireCode checks that err is an *ackscale.Error with code whose
// message holds neither a secret nor the request's signature.
func requireCode(t *testing.T, code string, err error, req *http.Request) {
	t.Helper()
	require.Error(t, err)
	var e *ackscale.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, code, e.Code, e.Message)
	for _, secret := range []string{testSecret, "otherSecret"} {
		require.NotContains(t, e.Message, secret)
	}
	if _, sig, ok := strings.Cut(req.Header.Get("Authorization"), "Signature="); ok {
		require.NotContains(t, e.Message, sig)
	} else if _, sig, ok := strings.Cut(req.Header.Get("Authorization"), ":"); ok && sig != "" {
		require.NotContains(t, e.Message, sig)
	}
}

// verifyCase is one request built by a client, perhaps tampered with after
// signing, and the code Verify must answer ("" for success).
type verifyCase struct {
	name        string
	build       func(t *testing.T) *http.Request
	wantCode    string
	wantMessage string // a substring of the message
}

func runVerifyCases(t *testing.T, tests []verifyCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			req := tt.build(t)
			id, err := b.verify(t, req)
			if tt.wantCode == "" {
				require.NoError(t, err)
				require.Equal(t, testAK, id)
				return
			}
			requireCode(t, tt.wantCode, err, req)
			require.Contains(t, ackscale.ErrorMessage(err), tt.wantMessage)
			require.Empty(t, id)
		})
	}
}

// tamper builds with sign and then applies change to the client request.
func tamper(sign func(t *testing.T) *http.Request, change func(r *http.Request)) func(t *testing.T) *http.Request {
	return func(t *testing.T) *http.Request {
		r := sign(t)
		change(r)
		return r
	}
}

func TestVerifyOldSDK(t *testing.T) {
	t.Parallel()
	signAt := func(c call, ak, secret string, date time.Time) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request { return oldSDK(t, c, ak, secret, date).req }
	}
	get := signAt(getNodes(), testAK, testSecret, testNow)
	post := signAt(scaleOut(), testAK, testSecret, testNow)
	sts := scaleOut()
	sts.headers = map[string]string{"x-acs-security-token": "CAIS-sts-token"}
	runVerifyCases(t, []verifyCase{
		{name: "GET octet-stream", build: get},
		{name: "POST json", build: post},
		{name: "STS token signed like any x-acs header", build: signAt(sts, testAK, testSecret, testNow)},
		{name: "14 minutes early", build: signAt(getNodes(), testAK, testSecret, testNow.Add(-14*time.Minute))},
		{name: "14 minutes late", build: signAt(getNodes(), testAK, testSecret, testNow.Add(14*time.Minute))},
		{name: "16 minutes early", build: signAt(getNodes(), testAK, testSecret, testNow.Add(-16*time.Minute)), wantCode: ackscale.CodeTimestampExpired,
			wantMessage: "the request time 2023-12-31T23:44:00Z is more than 15m0s from the server time 2024-01-01T00:00:00Z"},
		{name: "16 minutes late", build: signAt(getNodes(), testAK, testSecret, testNow.Add(16*time.Minute)), wantCode: ackscale.CodeTimestampExpired},
		{name: "wrong secret", build: signAt(getNodes(), testAK, "wrongSecret", testNow), wantCode: ackscale.CodeSignatureMismatch},
		{name: "another key's secret", build: signAt(getNodes(), testAK, "otherSecret", testNow), wantCode: ackscale.CodeSignatureMismatch},
		{name: "unknown key", build: signAt(getNodes(), "nobody", testSecret, testNow), wantCode: ackscale.CodeAccessKeyNotFound, wantMessage: `"nobody"`},
		{name: "body tampered", build: tamper(post, func(r *http.Request) { setBody(r, []byte(`{"count":9}`)) }), wantCode: ackscale.CodeContentMD5Mismatch},
		{name: "body and Content-MD5 tampered", build: tamper(post, func(r *http.Request) {
			setBody(r, []byte(`{"count":9}`))
			r.Header["Content-MD5"] = []string{md5Base64([]byte(`{"count":9}`))}
		}), wantCode: ackscale.CodeSignatureMismatch},
		{name: "method changed", build: tamper(get, func(r *http.Request) { r.Method = http.MethodDelete }), wantCode: ackscale.CodeSignatureMismatch},
		{name: "path tampered", build: tamper(get, func(r *http.Request) { r.URL.Path = "/clusters/c9999/nodes" }), wantCode: ackscale.CodeSignatureMismatch},
		{name: "query value tampered", build: tamper(get, func(r *http.Request) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "pageSize=10", "pageSize=99", 1)
		}), wantCode: ackscale.CodeSignatureMismatch},
		{name: "query parameter added", build: tamper(get, func(r *http.Request) { r.URL.RawQuery += "&state=running" }), wantCode: ackscale.CodeSignatureMismatch},
		{name: "x-acs header tampered", build: tamper(get, func(r *http.Request) { r.Header["x-acs-action"] = []string{"DeleteCluster"} }), wantCode: ackscale.CodeSignatureMismatch},
		{name: "x-acs header added", build: tamper(get, func(r *http.Request) { r.Header["x-acs-security-token"] = []string{"stolen"} }), wantCode: ackscale.CodeSignatureMismatch},
		{name: "Accept tampered", build: tamper(get, func(r *http.Request) { r.Header["Accept"] = []string{"application/xml"} }), wantCode: ackscale.CodeSignatureMismatch},
		{name: "Date missing", build: tamper(get, func(r *http.Request) { delete(r.Header, "Date") }), wantCode: ackscale.CodeIncompleteSignature, wantMessage: "the Date header is missing"},
		{name: "Date unparsable", build: tamper(get, func(r *http.Request) { r.Header["Date"] = []string{"yesterday"} }), wantCode: ackscale.CodeIncompleteSignature, wantMessage: `"yesterday" is not a GMT date`},
		{name: "Authorization missing", build: tamper(get, func(r *http.Request) { delete(r.Header, "Authorization") }), wantCode: ackscale.CodeMissingAuthorization},
		{name: "Authorization without key", build: tamper(get, func(r *http.Request) { r.Header["Authorization"] = []string{"acs sig"} }), wantCode: ackscale.CodeIncompleteSignature},
		{name: "Authorization scheme unknown", build: tamper(get, func(r *http.Request) { r.Header["Authorization"] = []string{"Basic dTpw"} }), wantCode: ackscale.CodeIncompleteSignature},
		{name: "two Authorization headers", build: tamper(get, func(r *http.Request) { r.Header.Add("Authorization", "acs testAK:x") }), wantCode: ackscale.CodeIncompleteSignature, wantMessage: "2 Authorization headers"},
	})
}

func TestVerifyAliyungo(t *testing.T) {
	t.Parallel()
	signAt := func(c call, date time.Time) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request { return aliyungo(t, c, testAK, testSecret, date, testNonce).req }
	}
	get := signAt(getNodes(), testNow)
	runVerifyCases(t, []verifyCase{
		{name: "GET, resource is RequestURI", build: get},
		{name: "PUT json", build: signAt(call{method: http.MethodPut, path: "/clusters/c1234", body: []byte(`{"num_of_nodes":3}`)}, testNow)},
		{name: "query tampered", build: tamper(get, func(r *http.Request) { r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "np+a", "np+b", 1) }), wantCode: ackscale.CodeSignatureMismatch},
		{name: "query reordered", build: tamper(get, func(r *http.Request) {
			r.URL.RawQuery = "pageSize=10&pageNumber=1&nodepool_id=np+a%2Ab~"
		}), wantCode: ackscale.CodeSignatureMismatch},
		{name: "nonce tampered", build: tamper(get, func(r *http.Request) { r.Header["x-acs-signature-nonce"] = []string{"fresh"} }), wantCode: ackscale.CodeSignatureMismatch},
		{name: "16 minutes late", build: signAt(getNodes(), testNow.Add(16*time.Minute)), wantCode: ackscale.CodeTimestampExpired},
	})
}

func TestVerifyDarabonba(t *testing.T) {
	t.Parallel()
	signAt := func(c call, ak, secret string, date time.Time) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request { return darabonba(t, c, ak, secret, date, testNonce).req }
	}
	get := signAt(getNodes(), testAK, testSecret, testNow)
	post := signAt(scaleOut(), testAK, testSecret, testNow)
	sts := scaleOut()
	sts.headers = map[string]string{"x-acs-security-token": "CAIS-sts-token", "x-acs-accesskey-id": "STS.x"}
	// resign signs c with the headers h changed first by change.
	resign := func(c call, change func(h map[string]string)) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			r := darabonba(t, c, testAK, testSecret, testNow, testNonce).req
			h := map[string]string{"host": r.Host}
			for name, v := range r.Header {
				if name != "Authorization" {
					h[name] = v[0]
				}
			}
			change(h)
			r.Header = http.Header{"Authorization": {acs3Authorization(c, h, testAK, testSecret)}}
			for name, v := range h {
				if name != "host" {
					r.Header[name] = []string{v}
				}
			}
			return r
		}
	}
	runVerifyCases(t, []verifyCase{
		{name: "GET", build: get},
		{name: "POST json", build: post},
		{name: "STS token", build: signAt(sts, testAK, testSecret, testNow)},
		{name: "14 minutes early", build: signAt(getNodes(), testAK, testSecret, testNow.Add(-14*time.Minute))},
		{name: "16 minutes early", build: signAt(getNodes(), testAK, testSecret, testNow.Add(-16*time.Minute)), wantCode: ackscale.CodeTimestampExpired},
		{name: "16 minutes late", build: signAt(getNodes(), testAK, testSecret, testNow.Add(16*time.Minute)), wantCode: ackscale.CodeTimestampExpired},
		{name: "wrong secret", build: signAt(getNodes(), testAK, "wrongSecret", testNow), wantCode: ackscale.CodeSignatureMismatch},
		{name: "unknown key", build: signAt(getNodes(), "nobody", testSecret, testNow), wantCode: ackscale.CodeAccessKeyNotFound},
		{name: "body tampered", build: tamper(post, func(r *http.Request) { setBody(r, []byte(`{"count":9}`)) }), wantCode: ackscale.CodeContentSHA256Mismatch},
		{name: "body and x-acs-content-sha256 tampered", build: tamper(post, func(r *http.Request) {
			setBody(r, []byte(`{"count":9}`))
			r.Header["x-acs-content-sha256"] = []string{sha256Hex([]byte(`{"count":9}`))}
		}), wantCode: ackscale.CodeSignatureMismatch},
		{name: "body tampered, x-acs-content-sha256 removed", build: tamper(post, func(r *http.Request) {
			setBody(r, []byte(`{"count":9}`))
			delete(r.Header, "x-acs-content-sha256")
		}), wantCode: ackscale.CodeSignatureMismatch},
		{name: "path tampered", build: tamper(get, func(r *http.Request) { r.URL.Path = "/clusters/c9999/nodes" }), wantCode: ackscale.CodeSignatureMismatch},
		{name: "query tampered", build: tamper(get, func(r *http.Request) { r.URL.RawQuery += "&state=running" }), wantCode: ackscale.CodeSignatureMismatch},
		{name: "signed header tampered", build: tamper(get, func(r *http.Request) { r.Header["x-acs-action"] = []string{"DeleteCluster"} }), wantCode: ackscale.CodeSignatureMismatch},
		{name: "host tampered", build: tamper(get, func(r *http.Request) { r.Host = "evil.example" }), wantCode: ackscale.CodeSignatureMismatch},
		{name: "content-type tampered", build: tamper(post, func(r *http.Request) { r.Header["content-type"] = []string{"application/xml"} }), wantCode: ackscale.CodeSignatureMismatch},
		{name: "unsigned x-acs header added", build: tamper(get, func(r *http.Request) { r.Header["x-acs-security-token"] = []string{"stolen"} }), wantCode: ackscale.CodeIncompleteSignature,
			wantMessage: "SignedHeaders must include x-acs-security-token, which the request carries"},
		{name: "unsigned other header added", build: tamper(get, func(r *http.Request) { r.Header["x-sdk-client"] = []string{"go"} })},
		{name: "host not signed", build: resign(getNodes(), func(h map[string]string) { delete(h, "host") }), wantCode: ackscale.CodeIncompleteSignature, wantMessage: "SignedHeaders must include host"},
		{name: "x-acs-date missing", build: resign(getNodes(), func(h map[string]string) { delete(h, "x-acs-date") }), wantCode: ackscale.CodeIncompleteSignature, wantMessage: "SignedHeaders must include x-acs-date"},
		{name: "x-acs-date unparsable", build: resign(getNodes(), func(h map[string]string) { h["x-acs-date"] = "Mon, 01 Jan 2024 00:00:00 GMT" }), wantCode: ackscale.CodeIncompleteSignature,
			wantMessage: "is not a UTC time such as"},
		{name: "no nonce, no content hash", build: resign(getNodes(), func(h map[string]string) {
			delete(h, "x-acs-signature-nonce")
			delete(h, "x-acs-content-sha256")
		})},
		{name: "Authorization without Signature", build: tamper(get, func(r *http.Request) {
			a, _, _ := strings.Cut(r.Header.Get("Authorization"), ",Signature=")
			r.Header.Set("Authorization", a)
		}), wantCode: ackscale.CodeIncompleteSignature, wantMessage: "has no Signature"},
	})
}

func TestVerifyNonce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sign func(t *testing.T, secret, nonce string) *http.Request
	}{
		{name: "aliyungo", sign: func(t *testing.T, secret, nonce string) *http.Request {
			return aliyungo(t, getNodes(), testAK, secret, testNow, nonce).req
		}},
		{name: "darabonba", sign: func(t *testing.T, secret, nonce string) *http.Request {
			return darabonba(t, getNodes(), testAK, secret, testNow, nonce).req
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" reused", func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			_, err := b.verify(t, tt.sign(t, testSecret, testNonce))
			require.NoError(t, err)
			req := tt.sign(t, testSecret, testNonce)
			_, err = b.verify(t, req)
			requireCode(t, ackscale.CodeNonceUsed, err, req)
			_, err = b.verify(t, tt.sign(t, testSecret, "another-nonce"))
			require.NoError(t, err)
		})
		t.Run(tt.name+" not burnt by a bad signature", func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			forged := tt.sign(t, "guessedSecret", testNonce)
			_, err := b.verify(t, forged)
			requireCode(t, ackscale.CodeSignatureMismatch, err, forged)
			_, err = b.verify(t, tt.sign(t, testSecret, testNonce))
			require.NoError(t, err)
		})
	}
}

func TestVerifyNonceExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		signedAt    time.Time
		maxSkew     time.Duration
		wantExpires time.Time
	}{
		{name: "past request: now plus skew", signedAt: testNow.Add(-10 * time.Minute), wantExpires: testNow.Add(DefaultMaxSkew)},
		{name: "future request: its time plus skew", signedAt: testNow.Add(10 * time.Minute), wantExpires: testNow.Add(25 * time.Minute)},
		{name: "custom skew", signedAt: testNow, maxSkew: time.Minute, wantExpires: testNow.Add(time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.verifier.MaxSkew = tt.maxSkew
			_, err := b.verify(t, darabonba(t, getNodes(), testAK, testSecret, tt.signedAt, testNonce).req)
			require.NoError(t, err)
			expires, ok := b.nonces.expires(testAK, testNonce)
			require.True(t, ok)
			require.Equal(t, tt.wantExpires, expires)
		})
	}
}

func TestVerifyNonceStoreFailure(t *testing.T) {
	t.Parallel()
	b := setup(t)
	storeErr := errors.New("database is locked")
	b.nonces.failErr = storeErr
	_, err := b.verify(t, darabonba(t, getNodes(), testAK, testSecret, testNow, testNonce).req)
	require.ErrorIs(t, err, storeErr)
	require.Equal(t, ackscale.CodeInternal, ackscale.ErrorCode(err))
}

func TestVerifyWithoutNonceChecker(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.verifier.Nonces = nil
	for range 2 {
		_, err := b.verify(t, darabonba(t, getNodes(), testAK, testSecret, testNow, testNonce).req)
		require.NoError(t, err)
	}
}

func TestVerifyWithoutSecretFunc(t *testing.T) {
	t.Parallel()
	v := &Verifier{}
	sr, body := toServer(t, darabonba(t, getNodes(), testAK, testSecret, testNow, testNonce).req)
	_, err := v.Verify(context.Background(), sr, body)
	require.Equal(t, ackscale.CodeInternal, ackscale.ErrorCode(err))
}

func TestVerifyCheckOrder(t *testing.T) {
	t.Parallel()
	// A request wrong in every way reports the first check in Verify's order.
	build := func(t *testing.T, ak string, date time.Time, body []byte) *http.Request {
		r := oldSDK(t, scaleOut(), ak, "wrongSecret", date).req
		setBody(r, body)
		return r
	}
	late := testNow.Add(time.Hour)
	tests := []struct {
		name     string
		req      func(t *testing.T) *http.Request
		wantCode string
	}{
		{name: "key before date", req: func(t *testing.T) *http.Request { return build(t, "nobody", late, []byte("x")) }, wantCode: ackscale.CodeAccessKeyNotFound},
		{name: "date before body", req: func(t *testing.T) *http.Request { return build(t, testAK, late, []byte("x")) }, wantCode: ackscale.CodeTimestampExpired},
		{name: "body before signature", req: func(t *testing.T) *http.Request { return build(t, testAK, testNow, []byte("x")) }, wantCode: ackscale.CodeContentMD5Mismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := tt.req(t)
			_, err := setup(t).verify(t, req)
			requireCode(t, tt.wantCode, err, req)
		})
	}
}

// TestVerifyMismatchMessage checks the message the old Go SDK's
// SignatureDoesNotMatch wrapper reads: it splits the message on "server
// string to sign is:" and compares the second part with its own string to
// sign; equal means the secret is wrong.
func TestVerifyMismatchMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		c    call
	}{
		{name: "GET with query", c: getNodes()},
		{name: "POST with body", c: scaleOut()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := oldSDK(t, tt.c, testAK, "wrongSecret", testNow)
			_, err := setup(t).verify(t, s.req)
			requireCode(t, ackscale.CodeSignatureMismatch, err, s.req)
			parts := strings.Split(ackscale.ErrorMessage(err), "server string to sign is:")
			require.Len(t, parts, 2)
			require.Equal(t, s.stringToSign, parts[1])
		})
	}
	t.Run("ACS3 shows the canonical request", func(t *testing.T) {
		t.Parallel()
		req := darabonba(t, getNodes(), testAK, "wrongSecret", testNow, testNonce).req
		_, err := setup(t).verify(t, req)
		requireCode(t, ackscale.CodeSignatureMismatch, err, req)
		msg := ackscale.ErrorMessage(err)
		require.Contains(t, msg, "server canonical request is:GET\n/clusters/c1234/nodes\nnodepool_id=np%20a%2Ab~&pageNumber=1&pageSize=10\n")
		_, sts, ok := strings.Cut(msg, "server string to sign is:")
		require.True(t, ok)
		require.Regexp(t, `^ACS3-HMAC-SHA256\n[0-9a-f]{64}$`, sts)
	})
}

// TestVerifyEncodedPath covers the resources ROA clients may sign for a
// path with an escaped character: the decoded path (old SDK), the escaped
// one (darabonba v2) and RequestURI (aliyungo).
func TestVerifyEncodedPath(t *testing.T) {
	t.Parallel()
	const target = "http://" + testHost + "/clusters/a%2Fb/nodes?b=x%20y&a=1"
	tests := []struct {
		name     string
		resource string
	}{
		{name: "decoded path, sorted raw query", resource: "/clusters/a/b/nodes?a=1&b=x y"},
		{name: "escaped path, sorted raw query", resource: "/clusters/a%2Fb/nodes?a=1&b=x y"},
		{name: "RequestURI", resource: "/clusters/a%2Fb/nodes?b=x%20y&a=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(http.MethodGet, target, nil)
			require.NoError(t, err)
			req.Header.Set("Date", testNow.Format(http.TimeFormat))
			req.Header["x-acs-version"] = []string{"2015-12-15"}
			sts := "GET\n\n\n\n" + req.Header.Get("Date") + "\nx-acs-version:2015-12-15\n" + tt.resource
			req.Header.Set("Authorization", "acs "+testAK+":"+hmacSHA1Base64(testSecret, sts))
			_, err = setup(t).verify(t, req)
			require.NoError(t, err)
		})
	}
}

// A ROA query whose decoded key or value holds '&' or '=' is refused: the
// raw-value resource cannot tell it from another set of parameters.
func TestROARefusesAmbiguousQuery(t *testing.T) {
	t.Parallel()
	for _, q := range []string{"name%3Dx%26page_size=1", "a=1%262"} {
		r := httptest.NewRequest("GET", "/clusters?"+q, nil)
		err := roaUnambiguous(r.URL.Query())
		require.Equal(t, ackscale.CodeIncompleteSignature, ackscale.ErrorCode(err), q)
	}
	require.NoError(t, roaUnambiguous(url.Values{"pageSize": {"10"}, "name": {"a=b"}}))
}

// TestReplayOfMutatingRequestWithoutNonceRefused: the old Go SDK signs
// without x-acs-signature-nonce, so a captured ScaleOutCluster re-sent
// byte for byte within the window used to be executed again. Its
// signature now stands in for the nonce; reads stay replayable.
func TestReplayOfMutatingRequestWithoutNonceRefused(t *testing.T) {
	t.Parallel()
	withMethod := func(method string) call {
		c := scaleOut()
		c.method = method
		return c
	}
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		t.Run(method+" replayed", func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			_, err := b.verify(t, oldSDK(t, withMethod(method), testAK, testSecret, testNow).req)
			require.NoError(t, err)
			replay := oldSDK(t, withMethod(method), testAK, testSecret, testNow).req
			_, err = b.verify(t, replay)
			requireCode(t, ackscale.CodeNonceUsed, err, replay)
			require.Contains(t, ackscale.ErrorMessage(err), "the same signed "+method+" request was already received")
			require.Contains(t, ackscale.ErrorMessage(err), "sign it again")
		})
	}
	t.Run("kept as long as a nonce", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		s := oldSDK(t, scaleOut(), testAK, testSecret, testNow.Add(5*time.Minute))
		_, err := b.verify(t, s.req)
		require.NoError(t, err)
		_, sig, _ := strings.Cut(s.req.Header.Get("Authorization"), ":")
		expires, ok := b.nonces.expires(testAK, "sig:"+sig)
		require.True(t, ok)
		require.Equal(t, testNow.Add(5*time.Minute+DefaultMaxSkew), expires)
	})
	t.Run("signed again a second later: accepted", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := b.verify(t, oldSDK(t, scaleOut(), testAK, testSecret, testNow).req)
		require.NoError(t, err)
		_, err = b.verify(t, oldSDK(t, scaleOut(), testAK, testSecret, testNow.Add(time.Second)).req)
		require.NoError(t, err)
	})
	t.Run("not burnt by a bad signature", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		forged := oldSDK(t, scaleOut(), testAK, testSecret, testNow).req
		setBody(forged, []byte(`{"count":9}`))
		forged.Header["Content-MD5"] = []string{md5Base64([]byte(`{"count":9}`))}
		_, err := b.verify(t, forged)
		requireCode(t, ackscale.CodeSignatureMismatch, err, forged)
		_, err = b.verify(t, oldSDK(t, scaleOut(), testAK, testSecret, testNow).req)
		require.NoError(t, err)
	})
	t.Run("GET replayed: accepted", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for range 3 {
			_, err := b.verify(t, oldSDK(t, getNodes(), testAK, testSecret, testNow).req)
			require.NoError(t, err)
		}
		require.Empty(t, b.nonces.used)
	})
	t.Run("ACS3 POST without a nonce", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		sign := func() *http.Request {
			r := darabonba(t, scaleOut(), testAK, testSecret, testNow, testNonce).req
			h := map[string]string{"host": r.Host}
			for name, v := range r.Header {
				if name != "Authorization" && name != "x-acs-signature-nonce" {
					h[name] = v[0]
				}
			}
			delete(r.Header, "x-acs-signature-nonce")
			r.Header["Authorization"] = []string{acs3Authorization(scaleOut(), h, testAK, testSecret)}
			return r
		}
		_, err := b.verify(t, sign())
		require.NoError(t, err)
		replay := sign()
		_, err = b.verify(t, replay)
		requireCode(t, ackscale.CodeNonceUsed, err, replay)
	})
}

// BenchmarkVerifyACS3 verifies DescribeClusterNodes requests as the
// darabonba SDKs sign them, each with its own nonce: the signature work of
// every CS API request.
func BenchmarkVerifyACS3(b *testing.B) {
	v := &Verifier{SecretFunc: secrets(map[string]string{testAK: testSecret}), Nonces: newMemNonces(),
		Now: func() time.Time { return testNow }}
	type served struct {
		req  *http.Request
		body []byte
	}
	reqs := make([]served, b.N)
	for i := range reqs {
		sr, body := toServer(b, darabonba(b, getNodes(), testAK, testSecret, testNow, fmt.Sprintf("nonce-%d", i)).req)
		reqs[i] = served{sr, body}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := v.Verify(context.Background(), reqs[i].req, reqs[i].body); err != nil {
			b.Fatal(err)
		}
	}
}
