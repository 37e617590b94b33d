package hostile

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
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
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale/sign"
)

// wireReq is a request as it goes on the wire. The test signs one and may
// then change any part of it (method, target, host, a header, the body)
// before sending it: sign one thing, send another.
type wireReq struct {
	method string
	target string      // request-target: path and raw query, sent as is
	host   string      // Host header; the server's address when empty
	header http.Header // names are sent exactly as written here, any case
	body   []byte
}

func newReq(method, target string, body []byte) *wireReq {
	return &wireReq{method: method, target: target, header: http.Header{}, body: body}
}

// set replaces every spelling of name with one header written as name.
func (w *wireReq) set(name, value string) {
	w.del(name)
	w.header[name] = []string{value}
}

// add adds a header line written as name, keeping the others.
func (w *wireReq) add(name, value string) { w.header[name] = append(w.header[name], value) }

// del removes every spelling of name.
func (w *wireReq) del(name string) {
	for k := range w.header {
		if strings.EqualFold(k, name) {
			delete(w.header, k)
		}
	}
}

// get returns the first value of name, whatever its spelling.
func (w *wireReq) get(name string) string {
	for k, v := range w.header {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func (w *wireReq) has(name string) bool {
	for k := range w.header {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// setDefault sets name unless some spelling of it is already there.
func (w *wireReq) setDefault(name, value string) {
	if !w.has(name) {
		w.header[name] = []string{value}
	}
}

// rename sends every header under its name with the case changed by f.
func (w *wireReq) rename(f func(string) string) {
	h := http.Header{}
	for k, v := range w.header {
		h[f(k)] = append(h[f(k)], v...)
	}
	w.header = h
}

// withHeader is a pre-signing edit that sets a header.
func withHeader(name, value string) func(*wireReq) {
	return func(w *wireReq) { w.set(name, value) }
}

func (w *wireReq) url() *url.URL {
	u, err := url.Parse(w.target)
	if err != nil {
		panic(fmt.Sprintf("bad target %q: %v", w.target, err))
	}
	return u
}

func (w *wireReq) hostOr(addr string) string { return cmpOr(w.host, addr) }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// account is a key pair of one account.
type account struct{ key, secret string }

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func base64MD5(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func nonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func acsDate(offset time.Duration) string {
	return time.Now().UTC().Add(offset).Format(sign.ACS3DateFormat)
}

func httpDate(offset time.Duration) string {
	return time.Now().UTC().Add(offset).Format(http.TimeFormat)
}

// signACS3 signs w as darabonba's ACS3-HMAC-SHA256 signer does, for the
// server at addr, filling the x-acs-* headers it does not have yet. It signs
// host, content-type and every x-acs-* header, and returns the signature.
func signACS3(w *wireReq, addr string, k account) string {
	w.setDefault("x-acs-action", "HostileSuite")
	w.setDefault("x-acs-version", "2015-12-15")
	w.setDefault("x-acs-date", acsDate(0))
	w.setDefault("x-acs-signature-nonce", nonce())
	w.setDefault("x-acs-content-sha256", hexSHA256(w.body))
	w.setDefault("accept", "application/json")
	if len(w.body) > 0 {
		w.setDefault("content-type", "application/json; charset=utf-8")
	}
	names := acs3SignedHeaders(w.header)
	u := w.url()
	canon := sign.ACS3CanonicalRequest(w.method, u.EscapedPath(), u.RawQuery, w.header, w.hostOr(addr), names, hexSHA256(w.body))
	sig := sign.ACS3Signature(k.secret, canon)
	w.set("Authorization", acs3Authorization(k.key, names, sig))
	return sig
}

func acs3SignedHeaders(h http.Header) []string {
	names := []string{"host"}
	for k := range h {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-acs-") || lk == "content-type" {
			names = append(names, lk)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func acs3Authorization(key string, signedHeaders []string, sig string) string {
	return "ACS3-HMAC-SHA256 Credential=" + key + ",SignedHeaders=" + strings.Join(signedHeaders, ";") + ",Signature=" + sig
}

// signROA signs w as the old Go SDK signs ROA v2 (HMAC-SHA1), with
// Content-MD5 when withMD5 and, like darabonba's v2 path, a signature
// nonce. It returns the signature.
func signROA(w *wireReq, k account, withMD5 bool) string {
	w.setDefault("accept", "application/json")
	w.setDefault("date", httpDate(0))
	if len(w.body) > 0 {
		w.setDefault("content-type", "application/json")
	}
	if withMD5 {
		w.setDefault("content-md5", base64MD5(w.body))
	}
	w.setDefault("x-acs-action", "HostileSuite")
	w.setDefault("x-acs-version", "2015-12-15")
	w.setDefault("x-acs-signature-method", "HMAC-SHA1")
	w.setDefault("x-acs-signature-version", "1.0")
	w.setDefault("x-acs-signature-nonce", nonce())
	u := w.url()
	sts := sign.ROAStringToSign(w.method, w.header, sign.ROACanonicalResource(u.Path, u.Query()))
	sig := sign.ROASignature(k.secret, sts)
	w.set("Authorization", "acs "+k.key+":"+sig)
	return sig
}

// answer is what the server sent back.
type answer struct {
	status int
	header http.Header
	raw    []byte
}

// clip returns the body, shortened for a failure message.
func (a answer) clip() string {
	const limit = 400
	if len(a.raw) <= limit {
		return string(a.raw)
	}
	return string(a.raw[:limit]) + fmt.Sprintf("... (%d bytes)", len(a.raw))
}

// client sends wire requests; it keeps connections alive like the SDKs do.
var client = &http.Client{Timeout: 30 * time.Second}

// send sends w to addr with Go's client, which writes header names as given.
func send(ctx context.Context, addr string, w *wireReq) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, w.method, "http://"+addr+w.target, bytes.NewReader(w.body))
	if err != nil {
		return answer{}, err
	}
	if len(w.body) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	req.Header = w.header.Clone()
	req.Host = w.hostOr(addr)
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, raw: raw}, err
}

// requireError checks an ACK error answer: the status, the code in both
// spellings, a request id equal to the x-acs-request-id header, and no
// secret or signature from leak anywhere in the body.
func requireError(t *testing.T, a answer, status int, code string, leak []string) {
	t.Helper()
	require.Equal(t, status, a.status, "body: %s", a.clip())
	var body map[string]any
	require.NoError(t, json.Unmarshal(a.raw, &body), "body: %s", a.clip())
	require.Equal(t, code, body["code"], "body: %s", a.clip())
	require.Equal(t, code, body["Code"], "body: %s", a.clip())
	require.NotEmpty(t, body["requestId"], "body: %s", a.clip())
	require.Equal(t, a.header.Get("x-acs-request-id"), body["requestId"], "body: %s", a.clip())
	requireNoLeak(t, string(a.raw), leak)
}

// requireNoLeak fails if text contains any of leak.
func requireNoLeak(t *testing.T, text string, leak []string) {
	t.Helper()
	for _, s := range leak {
		require.NotContains(t, text, s, "a secret or a signature leaked")
	}
}

// leakSet is every secret and signature the suite used, safe for
// concurrent use.
type leakSet struct {
	mu sync.Mutex
	m  map[string]bool
}

func (s *leakSet) add(v ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]bool{}
	}
	for _, x := range v {
		if x != "" {
			s.m[x] = true
		}
	}
}

func (s *leakSet) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.m))
}
