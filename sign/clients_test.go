package sign

// Request builders that sign the way each client does, written from the
// algorithms in api.md §1 independently of the package code, so that a
// round trip through Verify checks one implementation against another.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const (
	testAK     = "testAK"
	testSecret = "testSecret"
	testHost   = "cs.cn-hangzhou.aliyuncs.com"
	testNonce  = "0123456789abcdef0123456789abcdef"
)

// testNow is the server's clock in the Verify tests.
var testNow = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// call is one API call, before any client turns it into a request.
type call struct {
	method string
	path   string
	query  map[string]string
	body   []byte
	action string
	// headers are extra headers the caller sets (an STS token, say), by
	// the lower-case name the SDKs use.
	headers map[string]string
}

func getNodes() call {
	return call{
		method: http.MethodGet,
		path:   "/clusters/c1234/nodes",
		query:  map[string]string{"pageSize": "10", "pageNumber": "1", "nodepool_id": "np a*b~"},
		action: "DescribeClusterNodes",
	}
}

func scaleOut() call {
	return call{
		method: http.MethodPost,
		path:   "/api/v2/clusters/c1234",
		body:   []byte(`{"count":2}`),
		action: "ScaleOutCluster",
	}
}

// signed is a client-side request and the string its client signed.
type signed struct {
	req          *http.Request
	stringToSign string
}

// oldSDK signs like alibaba-cloud-sdk-go's ROA composer: a map of headers
// with lower-case x-acs-* names, Content-MD5 always, octet-stream when no
// content type is set, and the path with sorted raw query values as the
// resource. It leaves out the line of an empty fixed header.
func oldSDK(t *testing.T, c call, ak, secret string, date time.Time) signed {
	t.Helper()
	h := map[string]string{
		"Accept":                     "application/json",
		"Content-MD5":                md5Base64(c.body),
		"Content-Type":               "application/octet-stream",
		"Date":                       date.UTC().Format(http.TimeFormat),
		"x-acs-action":               c.action,
		"x-acs-version":              "2015-12-15",
		"x-acs-signature-method":     "HMAC-SHA1",
		"x-acs-signature-version":    "1.0",
		"x-acs-credentials-provider": "static_ak",
	}
	if len(c.body) > 0 {
		h["Content-Type"] = "application/json"
	}
	maps.Copy(h, c.headers)
	lines := []string{c.method}
	for _, name := range []string{"Accept", "Content-MD5", "Content-Type", "Date"} {
		if h[name] != "" {
			lines = append(lines, h[name])
		}
	}
	for _, name := range slices.Sorted(maps.Keys(h)) {
		if strings.HasPrefix(name, "x-acs-") {
			lines = append(lines, name+":"+h[name])
		}
	}
	sts := strings.Join(append(lines, rawResource(c.path, c.query)), "\n")
	h["Authorization"] = "acs " + ak + ":" + hmacSHA1Base64(secret, sts)

	req := newRequest(t, c, "http://"+testHost+c.path+encodeQuery(c.query))
	for name, value := range h {
		req.Header[name] = []string{value}
	}
	return signed{req, sts}
}

// aliyungo signs like denverdino/aliyungo/cs: Set for the standard headers,
// lower-case x-acs-* keys put into the map directly, a nonce, Content-MD5
// only with a body, and URL.RequestURI() as the resource.
func aliyungo(t *testing.T, c call, ak, secret string, date time.Time, nonce string) signed {
	t.Helper()
	req := newRequest(t, c, "http://"+testHost+c.path+encodeQuery(c.query))
	if len(c.body) > 0 {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Content-MD5", md5Base64(c.body))
	}
	req.Header.Set("Date", date.UTC().Format(http.TimeFormat))
	req.Header.Set("Accept", "application/json")
	req.Header["x-acs-version"] = []string{"2015-12-15"}
	req.Header["x-acs-signature-version"] = []string{"1.0"}
	req.Header["x-acs-signature-nonce"] = []string{nonce}
	req.Header["x-acs-signature-method"] = []string{"HMAC-SHA1"}
	for name, value := range c.headers {
		req.Header[name] = []string{value}
	}
	var acs strings.Builder
	for _, name := range slices.Sorted(maps.Keys(req.Header)) {
		if strings.HasPrefix(name, "x-acs-") {
			acs.WriteString(name + ":" + req.Header[name][0] + "\n")
		}
	}
	sts := c.method + "\n" + req.Header.Get("Accept") + "\n" + req.Header.Get("Content-MD5") + "\n" +
		req.Header.Get("Content-Type") + "\n" + req.Header.Get("Date") + "\n" + acs.String() + req.URL.RequestURI()
	req.Header.Set("Authorization", "acs "+ak+":"+hmacSHA1Base64(secret, sts))
	return signed{req, sts}
}

// darabonba signs like darabonba-openapi's ACS3-HMAC-SHA256 path: every
// x-acs-* header, host and content-type signed, trimmed and sorted.
func darabonba(t testing.TB, c call, ak, secret string, date time.Time, nonce string) signed {
	t.Helper()
	h := map[string]string{
		"host":                       testHost,
		"accept":                     "application/json",
		"user-agent":                 "AlibabaCloud (linux; amd64) Go/1.26 Core/1.0.0 TeaDSL/2",
		"x-acs-action":               c.action,
		"x-acs-version":              "2015-12-15",
		"x-acs-date":                 date.UTC().Format("2006-01-02T15:04:05Z"),
		"x-acs-signature-nonce":      nonce,
		"x-acs-credentials-provider": "static_ak",
		"x-acs-content-sha256":       sha256Hex(c.body),
	}
	if len(c.body) > 0 {
		h["content-type"] = "application/json; charset=utf-8"
	}
	maps.Copy(h, c.headers)
	req := newRequest(t, c, "http://"+testHost+c.path+encodeQuery(c.query))
	req.Host = h["host"]
	for name, value := range h {
		if name != "host" {
			req.Header[name] = []string{value}
		}
	}
	req.Header["Authorization"] = []string{acs3Authorization(c, h, ak, secret)}
	return signed{req: req}
}

// acs3Authorization signs the call with the headers h as the SDK would.
func acs3Authorization(c call, h map[string]string, ak, secret string) string {
	var names []string
	var headers strings.Builder
	for _, name := range slices.Sorted(maps.Keys(h)) {
		if strings.HasPrefix(name, "x-acs-") || name == "host" || name == "content-type" {
			names = append(names, name)
			headers.WriteString(name + ":" + strings.TrimSpace(h[name]) + "\n")
		}
	}
	fix := strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~")
	var query strings.Builder
	for _, k := range slices.Sorted(maps.Keys(c.query)) {
		query.WriteString("&" + k + "=" + url.QueryEscape(c.query[k]))
	}
	canonical := strings.Join([]string{
		c.method, fix.Replace(c.path), strings.TrimPrefix(fix.Replace(query.String()), "&"),
		headers.String(), strings.Join(names, ";"), sha256Hex(c.body),
	}, "\n")
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("ACS3-HMAC-SHA256\n" + sha256Hex([]byte(canonical))))
	return "ACS3-HMAC-SHA256 Credential=" + ak + ",SignedHeaders=" + strings.Join(names, ";") +
		",Signature=" + hex.EncodeToString(mac.Sum(nil))
}

func newRequest(t testing.TB, c call, target string) *http.Request {
	t.Helper()
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, target, body)
	require.NoError(t, err)
	return req
}

// toServer sends req over an in-memory wire and returns the request as
// Go's server reads it (canonical header names, Host moved out of the
// header map, RequestURI set) with its body.
func toServer(t testing.TB, req *http.Request) (*http.Request, []byte) {
	t.Helper()
	var wire bytes.Buffer
	require.NoError(t, req.Write(&wire))
	sr, err := http.ReadRequest(bufio.NewReader(&wire))
	require.NoError(t, err)
	body, err := io.ReadAll(sr.Body)
	require.NoError(t, err)
	return sr, body
}

// setBody replaces the body of a client-side request.
func setBody(req *http.Request, body []byte) {
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
}

// rawResource is the old SDK's resource: sorted keys, raw values.
func rawResource(path string, q map[string]string) string {
	var params []string
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if q[k] == "" {
			params = append(params, k)
		} else {
			params = append(params, k+"="+q[k])
		}
	}
	if len(params) == 0 {
		return path
	}
	return path + "?" + strings.Join(params, "&")
}

// encodeQuery is "?" and the escaped query, or "" when q is empty.
func encodeQuery(q map[string]string) string {
	v := url.Values{}
	for k, value := range q {
		v.Set(k, value)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

func md5Base64(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func hmacSHA1Base64(secret, s string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// memNonces is an in-memory NonceChecker that records every call.
type memNonces struct {
	mu      sync.Mutex
	used    map[string]time.Time // accessKeyID + "/" + nonce → expires
	failErr error
}

func newMemNonces() *memNonces { return &memNonces{used: map[string]time.Time{}} }

func (m *memNonces) UseNonce(_ context.Context, accessKeyID, nonce string, expires time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failErr != nil {
		return false, m.failErr
	}
	key := accessKeyID + "/" + nonce
	if _, ok := m.used[key]; ok {
		return false, nil
	}
	m.used[key] = expires
	return true, nil
}

func (m *memNonces) expires(accessKeyID, nonce string) (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.used[accessKeyID+"/"+nonce]
	return t, ok
}

var _ NonceChecker = (*memNonces)(nil)

// secrets is a SecretFunc over a map.
func secrets(m map[string]string) func(string) (string, bool) {
	return func(id string) (string, bool) {
		s, ok := m[id]
		return s, ok
	}
}
