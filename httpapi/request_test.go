package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/sign"
)

// roaRequest is a request signed once, as the old Go SDK signs ROA
// (HMAC-SHA1, Content-MD5 always, no x-acs-signature-nonce), that can be
// sent again byte for byte.
type roaRequest struct {
	method, target string
	header         http.Header
	body           []byte
}

// signROA signs method target with body like the old Go SDK. hdr are
// name/value pairs set before signing; an empty value removes the header.
func (b *testBundle) signROA(k key, method, target string, body []byte, hdr ...string) roaRequest {
	b.t.Helper()
	md5sum := md5.Sum(body)
	h := http.Header{
		"Accept":                     {"application/json"},
		"Content-MD5":                {base64.StdEncoding.EncodeToString(md5sum[:])},
		"Content-Type":               {"application/octet-stream"},
		"Date":                       {time.Now().UTC().Format(http.TimeFormat)},
		"x-acs-action":               {"ackscale-test"},
		"x-acs-version":              {"2015-12-15"},
		"x-acs-signature-method":     {"HMAC-SHA1"},
		"x-acs-signature-version":    {"1.0"},
		"x-acs-credentials-provider": {"static_ak"},
	}
	if len(body) > 0 {
		h["Content-Type"] = []string{"application/json"}
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			delete(h, hdr[i])
		} else {
			h[hdr[i]] = []string{hdr[i+1]}
		}
	}
	u, err := url.Parse(target)
	require.NoError(b.t, err)
	sts := sign.ROAStringToSign(method, h, sign.ROACanonicalResource(u.Path, u.Query()))
	h["Authorization"] = []string{"acs " + k.id + ":" + sign.ROASignature(k.secret, sts)}
	return roaRequest{method: method, target: target, header: h, body: body}
}

// send sends the signed request, the same bytes every time.
func (b *testBundle) send(w roaRequest) reply {
	b.t.Helper()
	req, err := http.NewRequest(w.method, b.srv.URL+w.target, bytes.NewReader(w.body))
	require.NoError(b.t, err)
	req.Header = w.header.Clone()
	return b.do(req)
}

// requireRefused checks an error answer: status, code, and a message
// holding each of want.
func requireRefused(t *testing.T, r reply, status int, code string, want ...string) {
	t.Helper()
	require.Equal(t, status, r.status, string(r.raw))
	require.Equal(t, code, r.body["code"], string(r.raw))
	for _, w := range want {
		require.Contains(t, r.body["message"], w)
	}
}

func scaleOutBody(count int) map[string]any {
	return map[string]any{"count": count, "worker_instance_types": []string{"ecs.c5.xlarge"}, "key_pair": "secrity-key"}
}

// TestReplayOfMutatingRequestWithoutNonceRefused: a ScaleOutCluster signed
// by the old Go SDK (no nonce) and re-sent byte for byte within the window
// was executed again, a new task each time (issue 10, item 4).
func TestReplayOfMutatingRequestWithoutNonceRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createCluster(b.alice, standardCluster("replayed"))
	body := mustJSON(scaleOutBody(1))
	w := b.signROA(b.alice, "POST", "/api/v2/clusters/"+id, body)
	_, sig, _ := strings.Cut(w.header.Get("Authorization"), ":")
	first := b.send(w)
	require.Equal(t, 202, first.status, string(first.raw))
	require.Equal(t, "success", b.waitTask(b.alice, first.body["task_id"].(string))["state"])
	tasks, jobs, instances := b.counts()

	replay := b.send(w)
	requireRefused(t, replay, 400, ackscale.CodeNonceUsed, "the same signed POST request was already received", "sign it again")
	require.NotContains(t, string(replay.raw), sig)
	t2, j2, i2 := b.counts()
	require.Equal(t, []int{tasks, jobs, instances}, []int{t2, j2, i2}, "the replay changed something")

	// Signed again (a later Date), the same call is a new request.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	again := b.send(b.signROA(b.alice, "POST", "/api/v2/clusters/"+id, body))
	require.Equal(t, 202, again.status, string(again.raw))

	// Reads stay replayable.
	get := b.signROA(b.alice, "GET", "/clusters/"+id+"/nodes?pageNumber=1&pageSize=10", nil)
	for range 2 {
		r := b.send(get)
		require.Equal(t, 200, r.status, string(r.raw))
	}
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// TestContentEncodingRefused: a gzip (or any) Content-Encoding was ignored
// and the body read as it came (issue 10, item 8).
func TestContentEncodingRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createCluster(b.alice, standardCluster("encoded"))
	plain := mustJSON(scaleOutBody(1))
	tasks, jobs, instances := b.counts()
	for _, tc := range []struct {
		name, method, path string
		body               any
		encoding           string
	}{
		{"gzip body", "POST", "/api/v2/clusters/" + id, string(gzipped(t, plain)), "gzip"},
		{"plain body labelled br", "POST", "/api/v2/clusters/" + id, string(plain), "br"},
		{"identity then gzip", "POST", "/api/v2/clusters/" + id, string(plain), "identity, gzip"},
		{"GET with deflate", "GET", "/clusters/" + id, nil, "deflate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.call(b.alice, tc.method, tc.path, tc.body, "content-encoding", tc.encoding)
			requireRefused(t, r, 415, ackscale.CodeUnsupportedMedia, "Content-Encoding", tc.encoding)
		})
	}
	t2, j2, i2 := b.counts()
	require.Equal(t, []int{tasks, jobs, instances}, []int{t2, j2, i2})

	for _, encoding := range []string{"identity", "IDENTITY"} {
		r := b.call(b.alice, "GET", "/clusters/"+id, nil, "content-encoding", encoding)
		require.Equal(t, 200, r.status, string(r.raw))
	}
}

// TestNonUTF8CharsetRefused: a body declared in another charset was read
// as UTF-8 (issue 10, item 8). darabonba's "application/json;
// charset=utf-8" must stay accepted.
func TestNonUTF8CharsetRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tasks, jobs, instances := b.counts()
	for ct, charset := range map[string]string{"application/json; charset=iso-8859-1": "iso-8859-1",
		"application/json;charset=GBK": "GBK", "text/json; charset=utf-16": "utf-16", `application/json; charset="latin1"`: "latin1"} {
		t.Run(ct, func(t *testing.T) {
			r := b.call(b.alice, "POST", "/clusters", standardCluster("latin"), "content-type", ct)
			requireRefused(t, r, 415, ackscale.CodeUnsupportedMedia, "Content-Type", `charset "`+charset+`"`)
		})
	}
	t2, j2, i2 := b.counts()
	require.Equal(t, []int{tasks, jobs, instances}, []int{t2, j2, i2})

	for i, ct := range []string{"application/json; charset=utf-8", "application/json; charset=UTF-8",
		"application/json;charset=utf8", `application/json; charset="utf-8"`, "application/json"} {
		r := b.call(b.alice, "POST", "/clusters", standardCluster("utf-"+string(rune('a'+i))), "content-type", ct)
		require.Equal(t, 202, r.status, "%s: %s", ct, r.raw)
	}
}

// TestUnsupportedAPIVersionRefused: any x-acs-version was accepted
// (issue 10, item 8). ACK's gateway answers InvalidVersion.
func TestUnsupportedAPIVersionRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, jobs, _ := b.counts()
	for _, version := range []string{"2018-04-18", "2015-12-15,2015-12-15", "v1"} {
		t.Run(version, func(t *testing.T) {
			r := b.call(b.alice, "GET", "/api/v1/clusters", nil, "x-acs-version", version)
			requireRefused(t, r, 400, "InvalidVersion", "x-acs-version", "2015-12-15")
			r = b.call(b.alice, "POST", "/clusters", standardCluster("versioned"), "x-acs-version", version)
			requireRefused(t, r, 400, "InvalidVersion", "2015-12-15")
		})
	}
	_, jobs2, _ := b.counts()
	require.Equal(t, jobs, jobs2)

	require.Equal(t, 200, b.call(b.alice, "GET", "/api/v1/clusters", nil, "x-acs-version", "2015-12-15").status)
	for _, name := range []string{"x-acs-version", "X-Acs-Version"} {
		r := b.send(b.signROA(b.alice, "GET", "/api/v1/clusters", nil, "x-acs-version", "", name, "2016-01-01"))
		requireRefused(t, r, 400, "InvalidVersion", "2016-01-01")
	}
	// A client that sends no version is served 2015-12-15.
	r := b.send(b.signROA(b.alice, "GET", "/api/v1/clusters", nil, "x-acs-version", ""))
	require.Equal(t, 200, r.status, string(r.raw))
}

// TestEscapedSlashIsNotAPathSeparator: /clusters/{id}%2Fnodes must not
// reach DescribeClusterNodes (issue 10, item 8). Path values match one
// escaped segment, so it is DescribeClusterDetail of cluster "{id}/nodes",
// which does not exist. ROA is checked too: its server also accepts a
// signature over the decoded path, which reads /clusters/{id}/nodes.
func TestEscapedSlashIsNotAPathSeparator(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createCluster(b.alice, standardCluster("slashed"))
	require.Equal(t, 200, b.call(b.alice, "GET", "/clusters/"+id+"/nodes", nil).status)
	for _, target := range []string{"/clusters/" + id + "%2Fnodes", "/clusters/" + id + "%2fnodes",
		"/clusters/" + id + "%2Fnodes?pageNumber=1&pageSize=10"} {
		t.Run(target, func(t *testing.T) {
			r := b.call(b.alice, "GET", target, nil)
			requireRefused(t, r, 404, ackscale.CodeClusterNotFound, id+"/nodes")
			require.NotContains(t, r.body, "nodes")

			r = b.send(b.signROA(b.alice, "GET", target, nil))
			requireRefused(t, r, 404, ackscale.CodeClusterNotFound, id+"/nodes")
		})
	}
	// The mutating route behind the same path: DeleteClusterNodes must not
	// be reached through POST /clusters/{id}%2Fnodes either.
	r := b.call(b.alice, "POST", "/clusters/"+id+"%2Fnodes", map[string]any{"nodes": []string{"cn-hangzhou.192.168.0.10"}})
	requireRefused(t, r, 405, ackscale.CodeMethodNotAllowed)
}

// TestPageNumberOverflow: page numbers near or past the int64 limit must
// be refused, not overflow the offset; a page past the end is empty with
// the right total (issue 10, item 8).
func TestPageNumberOverflow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createCluster(b.alice, standardCluster("paged"))
	r := b.call(b.alice, "POST", "/api/v2/clusters/"+id, scaleOutBody(2))
	require.Equal(t, 202, r.status, string(r.raw))
	require.Equal(t, "success", b.waitTask(b.alice, r.body["task_id"].(string))["state"])

	for _, n := range []string{"9223372036854775807", "9223372036854775808", "1000001", "-9223372036854775808", "0"} {
		t.Run(n, func(t *testing.T) {
			r := b.call(b.alice, "GET", "/api/v1/clusters?page_size=100&page_number="+n, nil)
			requireRefused(t, r, 400, ackscale.CodeOutOfRange, "page_number")
			r = b.call(b.alice, "GET", "/clusters/"+id+"/nodes?pageSize=100&pageNumber="+n, nil)
			requireRefused(t, r, 400, ackscale.CodeOutOfRange, "pageNumber")
		})
	}

	for _, n := range []string{"2", "1000000"} {
		r := b.call(b.alice, "GET", "/api/v1/clusters?page_size=100&page_number="+n, nil)
		require.Equal(t, 200, r.status, string(r.raw))
		require.Empty(t, r.body["clusters"])
		require.EqualValues(t, 1, r.body["page_info"].(map[string]any)["total_count"], string(r.raw))

		r = b.call(b.alice, "GET", "/clusters/"+id+"/nodes?pageSize=100&pageNumber="+n, nil)
		require.Equal(t, 200, r.status, string(r.raw))
		require.Empty(t, r.body["nodes"])
		require.EqualValues(t, 2, r.body["page"].(map[string]any)["total_count"], string(r.raw))
	}
}
