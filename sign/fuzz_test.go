package sign

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// Seed corpora are the f.Add calls below plus testdata/fuzz/FuzzXxx/.

func FuzzParseAuthorization(f *testing.F) {
	for _, h := range []string{
		"",
		"acs AK:PPPSwv0LPoLvg6rGxp7dd4uPESo=",
		"acs :",
		"acs a:b:c",
		"ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;x-acs-date,Signature=4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3",
		"ACS3-HMAC-SHA256 Signature=x, Credential=a=b, SignedHeaders=a",
		"ACS3-HMAC-SHA256 ,,,",
		"ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=b;a,Signature=s",
		"Bearer x",
	} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, h string) {
		a, err := ParseAuthorization(h)
		if err != nil {
			require.Contains(t, []string{ackscale.CodeMissingAuthorization, ackscale.CodeIncompleteSignature}, ackscale.ErrorCode(err))
			require.Equal(t, Authorization{}, a)
			return
		}
		require.NotEmpty(t, a.AccessKeyID)
		require.NotEmpty(t, a.Signature)
		if a.Scheme == SchemeACS3 {
			require.NotEmpty(t, a.SignedHeaders)
			require.True(t, slices.IsSorted(a.SignedHeaders))
			require.Equal(t, slices.Compact(slices.Clone(a.SignedHeaders)), a.SignedHeaders)
		}
		again, err := ParseAuthorization(formatAuthorization(a))
		require.NoError(t, err)
		require.Equal(t, a, again, "formatting and parsing again must give the same fields")
	})
}

// formatAuthorization writes a the way the SDKs do.
func formatAuthorization(a Authorization) string {
	if a.Scheme == SchemeROA {
		return "acs " + a.AccessKeyID + ":" + a.Signature
	}
	return "ACS3-HMAC-SHA256 Credential=" + a.AccessKeyID + ",SignedHeaders=" +
		strings.Join(a.SignedHeaders, ";") + ",Signature=" + a.Signature
}

var base64SHA1 = regexp.MustCompile(`^[A-Za-z0-9+/]{27}=$`)

func FuzzROAStringToSign(f *testing.F) {
	f.Add("GET", "X-Acs-Version", "2015-12-15", "Date", "mock date", "/users/:user")
	f.Add("POST", "x-acs-a", "1", "X-ACS-A", "2", "/p?a=1&b")
	f.Add("", "", "", "Content-MD5", "", "")
	f.Add("GET\n", "x-acs-\n", "\x00", "accept", "a\nb", "/\n")
	f.Fuzz(func(t *testing.T, method, name1, value1, name2, value2, resource string) {
		h := http.Header{name1: {value1}}
		h[name2] = append(h[name2], value2)
		sts := ROAStringToSign(method, h, resource)
		for range 3 { // map order varies from call to call
			require.Equal(t, sts, ROAStringToSign(method, h.Clone(), resource))
		}
		require.True(t, strings.HasPrefix(sts, method+"\n"))
		require.True(t, strings.HasSuffix(sts, resource))
		sig := ROASignature("secret", sts)
		require.Equal(t, sig, ROASignature("secret", sts))
		require.Regexp(t, base64SHA1, sig)
	})
}

var hexSHA256Sig = regexp.MustCompile(`^[0-9a-f]{64}$`)

func FuzzACS3CanonicalRequest(f *testing.F) {
	f.Add("GET", "/clusters/c1234/nodes", "pageSize=10&pageNumber=1&nodepool_id=np+a%2Ab~", "X-Acs-Action", "DescribeClusterNodes",
		testHost, "host;x-acs-action", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
	f.Add("", "", "test=ok&empty=", "x-acs-test", "http", "", "x-acs-test", "55e1")
	f.Add("POST", "/a+b*c%7E", "%zz&a=%&;b=1&a%2Bb*=c", "Content-Type", " v ", "h:1", "content-type;;Host", "")
	f.Fuzz(func(t *testing.T, method, path, rawQuery, name, value, host, signed, payload string) {
		h := http.Header{name: {value, value + " "}}
		signedHeaders := strings.Split(signed, ";")
		canonical := ACS3CanonicalRequest(method, path, rawQuery, h, host, signedHeaders, payload)
		for range 3 {
			require.Equal(t, canonical, ACS3CanonicalRequest(method, path, rawQuery, h.Clone(), host, signedHeaders, payload))
		}
		require.True(t, strings.HasPrefix(canonical, method+"\n"))
		require.True(t, strings.HasSuffix(canonical, "\n"+signed+"\n"+payload))
		require.Regexp(t, hexSHA256Sig, ACS3Signature("secret", canonical))
	})
}

// fuzzSecret is the only secret the FuzzVerify server knows; no seed is
// signed with it, so no input may pass.
const fuzzSecret = "fuzz-secret-the-fuzzer-never-sees"

// verifyInput is one FuzzVerify input.
type verifyInput struct {
	authz, date, acsDate, nonce, contentMD5, contentSHA, target, host, extraName, extraValue string
	body                                                                                     []byte
}

// request builds the server-side request.
func (in verifyInput) request() *http.Request {
	u, err := url.ParseRequestURI(in.target)
	if err != nil {
		u = &url.URL{Path: "/"}
	}
	h := http.Header{
		"Authorization":         {in.authz},
		"Date":                  {in.date},
		"X-Acs-Date":            {in.acsDate},
		"X-Acs-Signature-Nonce": {in.nonce},
		"Content-Md5":           {in.contentMD5},
		"X-Acs-Content-Sha256":  {in.contentSHA},
	}
	h[in.extraName] = append(h[in.extraName], in.extraValue)
	return &http.Request{Method: http.MethodPost, URL: u, RequestURI: in.target, Host: in.host, Header: h}
}

// fuzzSeeds signs well-formed requests with a wrong secret so that the
// fuzzer starts from inputs that reach the signature comparison.
func fuzzSeeds() []verifyInput {
	body := []byte(`{"count":2}`)
	roa := verifyInput{
		date: "Mon, 01 Jan 2024 00:00:00 GMT", acsDate: "2024-01-01T00:00:00Z", nonce: testNonce,
		contentMD5: md5Base64(body), target: "/api/v2/clusters/c1234?a=1&b=x%20y", host: testHost,
		extraName: "X-Acs-Action", extraValue: "ScaleOutCluster", body: body,
	}
	roa.authz = "acs " + testAK + ":" + ROASignature("wrongSecret",
		ROAStringToSign(http.MethodPost, roa.request().Header, "/api/v2/clusters/c1234?a=1&b=x y"))

	acs := roa
	acs.contentMD5, acs.contentSHA = "", sha256Hex(body)
	signed := []string{"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce"}
	canonical := ACS3CanonicalRequest(http.MethodPost, "/api/v2/clusters/c1234", "a=1&b=x%20y", acs.request().Header, acs.host, signed, acs.contentSHA)
	acs.authz = "ACS3-HMAC-SHA256 Credential=" + testAK + ",SignedHeaders=" + strings.Join(signed, ";") +
		",Signature=" + ACS3Signature("wrongSecret", canonical)

	return []verifyInput{
		roa,
		acs,
		{target: "/"},
		{authz: "acs k:s", date: "Mon, 01 Jan 2024 00:00:00 UTC", target: "*", extraName: "x-acs-a", extraValue: "1", body: []byte("x")},
	}
}

func FuzzVerify(f *testing.F) {
	for _, in := range fuzzSeeds() {
		f.Add(in.authz, in.date, in.acsDate, in.nonce, in.contentMD5, in.contentSHA, in.target, in.host, in.extraName, in.extraValue, in.body)
	}
	v := &Verifier{
		SecretFunc: func(string) (string, bool) { return fuzzSecret, true },
		Nonces:     newMemNonces(),
		Now:        func() time.Time { return testNow },
	}
	authCodes := []string{
		ackscale.CodeMissingAuthorization, ackscale.CodeIncompleteSignature, ackscale.CodeSignatureMismatch,
		ackscale.CodeTimestampExpired, ackscale.CodeContentMD5Mismatch, ackscale.CodeContentSHA256Mismatch,
	}
	f.Fuzz(func(t *testing.T, authz, date, acsDate, nonce, contentMD5, contentSHA, target, host, extraName, extraValue string, body []byte) {
		in := verifyInput{authz, date, acsDate, nonce, contentMD5, contentSHA, target, host, extraName, extraValue, body}
		id, err := v.Verify(context.Background(), in.request(), body)
		require.Error(t, err, "a request passed without the secret")
		require.Empty(t, id)
		require.Contains(t, authCodes, ackscale.ErrorCode(err), err.Error())
		require.NotContains(t, err.Error(), fuzzSecret)
	})
}

// TestFuzzVerifySeeds checks that the signed seeds are well formed: they
// pass with the secret they were signed with and reach the signature
// comparison with the fuzz server's, so FuzzVerify starts deep.
func TestFuzzVerifySeeds(t *testing.T) {
	t.Parallel()
	for _, in := range fuzzSeeds()[:2] {
		for secret, wantCode := range map[string]string{"wrongSecret": "", fuzzSecret: ackscale.CodeSignatureMismatch} {
			v := &Verifier{
				SecretFunc: func(string) (string, bool) { return secret, true },
				Now:        func() time.Time { return testNow },
			}
			_, err := v.Verify(context.Background(), in.request(), in.body)
			require.Equal(t, wantCode, ackscale.ErrorCode(err), "%s with %s", in.authz[:3], secret)
		}
	}
}

func FuzzRPCStringToSign(f *testing.F) {
	f.Add("GET", "Action", "DescribeRegions", "TimeStamp", "2016-02-23T12:46:24Z", "Signature", "x")
	f.Add("POST", "q", "http://domain/?q=value&q2=value2", "key", "value", "key", "again")
	f.Add("", "", "", "a b*c~", "é+%", "Tag.1.Key", "ack.aliyun.com")
	f.Add("POST\n", "=&", "&=", "%zz", "\x00\xff", "Signature", "")
	f.Fuzz(func(t *testing.T, method, k1, v1, k2, v2, k3, v3 string) {
		params := url.Values{}
		params.Add(k1, v1)
		params.Add(k2, v2)
		params.Add(k3, v3)
		sts := RPCStringToSign(method, params)
		for range 3 { // map order varies from call to call
			require.Equal(t, sts, RPCStringToSign(method, cloneValues(params)))
		}
		rest, ok := strings.CutPrefix(sts, method+"&%2F&")
		require.True(t, ok, "METHOD&%%2F& opens the string to sign")
		require.NotContains(t, rest, "&", "the encoded query has no bare separator")
		require.Regexp(t, `^[A-Za-z0-9\-_.~%]*$`, rest, "only unreserved characters and escapes")

		// The encoding is injective: decoding gives back every parameter
		// but Signature, so two parameter sets never sign alike.
		canonical, err := url.QueryUnescape(rest)
		require.NoError(t, err)
		require.Equal(t, RPCCanonicalQuery(params), canonical)
		back, err := url.ParseQuery(canonical)
		require.NoError(t, err)
		want := cloneValues(params)
		delete(want, RPCParamSignature)
		if len(want) == 0 {
			require.Empty(t, back)
		} else {
			require.Equal(t, want, back)
		}
		require.Regexp(t, base64SHA1, RPCSignature("secret", sts))
	})
}

// rpcVerifyInput is one FuzzVerifyRPC input: a query, a form body, and an
// Authorization header.
type rpcVerifyInput struct {
	method, query, contentType, authz string
	body                              []byte
}

func (in rpcVerifyInput) request() *http.Request {
	u := &url.URL{Path: "/", RawQuery: in.query}
	h := http.Header{"Content-Type": {in.contentType}}
	if in.authz != "" {
		h.Set("Authorization", in.authz)
	}
	return &http.Request{Method: in.method, URL: u, RequestURI: u.RequestURI(), Host: testHost, Header: h}
}

// rpcFuzzSeeds signs well-formed RPC requests with a wrong secret so that
// the fuzzer starts from inputs that reach the signature comparison.
func rpcFuzzSeeds() []rpcVerifyInput {
	params := url.Values{
		"Action": {"DescribeVSwitchAttributes"}, "Version": {"2016-04-28"}, "Format": {"JSON"}, "RegionId": {"cn-hangzhou"},
		"VSwitchId": {"vsw-1"}, "Timestamp": {testNow.Format(ACS3DateFormat)}, "SignatureMethod": {RPCSignatureMethod},
		"SignatureVersion": {RPCSignatureVersion}, "SignatureNonce": {testNonce}, "AccessKeyId": {testAK},
	}
	form := url.Values{"VSwitchName": {"a b"}}
	all := cloneValues(params)
	all["VSwitchName"] = form["VSwitchName"]
	params.Set(RPCParamSignature, RPCSignature("wrongSecret", RPCStringToSign(http.MethodPost, all)))
	return []rpcVerifyInput{
		{method: http.MethodPost, query: params.Encode(), contentType: "application/x-www-form-urlencoded", body: []byte(form.Encode())},
		{method: http.MethodGet, query: "Signature=x&Signature=y&AccessKeyId=k", authz: "acs k:s"},
		{method: http.MethodGet, query: "Action=DescribeVpcs", authz: "ACS3-HMAC-SHA256 Credential=k,SignedHeaders=host,Signature=s"},
	}
}

func FuzzVerifyRPC(f *testing.F) {
	for _, in := range rpcFuzzSeeds() {
		f.Add(in.method, in.query, in.contentType, in.authz, in.body)
	}
	v := &Verifier{
		SecretFunc: func(string) (string, bool) { return fuzzSecret, true },
		Nonces:     newMemNonces(),
		Now:        func() time.Time { return testNow },
	}
	authCodes := []string{
		ackscale.CodeMissingAuthorization, ackscale.CodeIncompleteSignature, ackscale.CodeSignatureMismatch,
		ackscale.CodeTimestampExpired, ackscale.CodeContentSHA256Mismatch,
	}
	f.Fuzz(func(t *testing.T, method, query, contentType, authz string, body []byte) {
		in := rpcVerifyInput{method, query, contentType, authz, body}
		id, err := v.VerifyRPC(context.Background(), in.request(), body)
		require.Error(t, err, "a request passed without the secret")
		require.Empty(t, id)
		require.Contains(t, authCodes, ackscale.ErrorCode(err), err.Error())
		require.NotContains(t, err.Error(), fuzzSecret)
	})
}

// TestFuzzVerifyRPCSeeds checks that the signed seed passes with the secret
// it was signed with and reaches the signature comparison with the fuzz
// server's.
func TestFuzzVerifyRPCSeeds(t *testing.T) {
	t.Parallel()
	in := rpcFuzzSeeds()[0]
	for secret, wantCode := range map[string]string{"wrongSecret": "", fuzzSecret: ackscale.CodeSignatureMismatch} {
		v := &Verifier{SecretFunc: func(string) (string, bool) { return secret, true }, Now: func() time.Time { return testNow }}
		_, err := v.VerifyRPC(context.Background(), in.request(), in.body)
		require.Equal(t, wantCode, ackscale.ErrorCode(err), "with %s", secret)
	}
}
