package sign

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// The test vectors of api.md §1.2 and §1.3.

func TestROAVectors(t *testing.T) {
	t.Parallel()
	sdkHeaders := func(accept, md5, contentType string) http.Header {
		return http.Header{
			"Accept":                     {accept},
			"Content-MD5":                {md5},
			"Content-Type":               {contentType},
			"Date":                       {"mock date"},
			"x-acs-credentials-provider": {"static_ak"},
			"x-acs-signature-method":     {"HMAC-SHA1"},
			"x-acs-signature-version":    {"1.0"},
			"x-acs-version":              {""},
		}
	}
	tests := []struct {
		name     string
		method   string
		header   http.Header
		resource string
		secret   string
		wantSTS  string
		wantSig  string
	}{
		{
			// alibaba-cloud-sdk-go sdk/auth/roa_signature_composer_test.go TestRoaSignatureComposer.
			name:     "old SDK GET",
			method:   http.MethodGet,
			header:   sdkHeaders("application/json", "1B2M2Y8AsgTpgAmY7PhCfg==", "application/octet-stream"),
			resource: "/users/:user",
			secret:   "accessKeySecret",
			wantSTS: "GET\napplication/json\n1B2M2Y8AsgTpgAmY7PhCfg==\napplication/octet-stream\nmock date\n" +
				"x-acs-credentials-provider:static_ak\nx-acs-signature-method:HMAC-SHA1\nx-acs-signature-version:1.0\nx-acs-version:\n/users/:user",
			wantSig: "PPPSwv0LPoLvg6rGxp7dd4uPESo=",
		},
		{
			// Same file, TestRoaSignatureComposer2: form body key=value, XML.
			name:     "old SDK form body",
			method:   http.MethodGet,
			header:   sdkHeaders("application/xml", "7xdqbEJPlU+kLUzeA5SYlw==", "application/x-www-form-urlencoded"),
			resource: "/users/:user",
			secret:   "accessKeySecret",
			wantSTS: "GET\napplication/xml\n7xdqbEJPlU+kLUzeA5SYlw==\napplication/x-www-form-urlencoded\nmock date\n" +
				"x-acs-credentials-provider:static_ak\nx-acs-signature-method:HMAC-SHA1\nx-acs-signature-version:1.0\nx-acs-version:\n/users/:user",
			wantSig: "X/tjQCOP4ZMCzQ1I1IdCra3byPA=",
		},
		{
			// darabonba GetStringToSign + GetROASignature, canonical
			// header names as Go's server hands them over.
			name:   "darabonba v2",
			method: http.MethodGet,
			header: http.Header{
				"Accept":                  {"application/json"},
				"Date":                    {"Mon, 01 Jan 2024 00:00:00 GMT"},
				"X-Acs-Action":            {"DescribeClusterNodes"},
				"X-Acs-Signature-Method":  {"HMAC-SHA1"},
				"X-Acs-Signature-Nonce":   {testNonce},
				"X-Acs-Signature-Version": {"1.0"},
				"X-Acs-Version":           {"2015-12-15"},
				"User-Agent":              {"not signed"},
			},
			resource: ROACanonicalResource("/clusters/c1234/nodes", map[string][]string{"pageSize": {"10"}, "pageNumber": {"1"}}),
			secret:   testSecret,
			wantSTS: "GET\napplication/json\n\n\nMon, 01 Jan 2024 00:00:00 GMT\nx-acs-action:DescribeClusterNodes\n" +
				"x-acs-signature-method:HMAC-SHA1\nx-acs-signature-nonce:0123456789abcdef0123456789abcdef\n" +
				"x-acs-signature-version:1.0\nx-acs-version:2015-12-15\n/clusters/c1234/nodes?pageNumber=1&pageSize=10",
			wantSig: "zJteEcPYKnsksb6fmggJQP75YjY=",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sts := ROAStringToSign(tt.method, tt.header, tt.resource)
			require.Equal(t, tt.wantSTS, sts)
			require.Equal(t, tt.wantSig, ROASignature(tt.secret, sts))
		})
	}
}

func TestACS3Vectors(t *testing.T) {
	t.Parallel()
	const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	const countSHA256 = "57413ce83ee1d989e384dfd3a82c6e2d9052a23c4204706bd2d7df11aa4c2d7c" // {"count":2}
	common := func(action, sha string) http.Header {
		return http.Header{
			"X-Acs-Action":          {action},
			"X-Acs-Content-Sha256":  {sha},
			"X-Acs-Date":            {"2024-01-01T00:00:00Z"},
			"X-Acs-Signature-Nonce": {testNonce},
			"X-Acs-Version":         {"2015-12-15"},
		}
	}
	post := common("ScaleOutCluster", countSHA256)
	post.Set("Content-Type", "application/json; charset=utf-8")

	tests := []struct {
		name          string
		method        string
		escapedPath   string
		rawQuery      string
		header        http.Header
		host          string
		signedHeaders []string
		payloadHash   string
		secret        string
		wantCanonical string
		wantSig       string
	}{
		{
			// darabonba-openapi utils/client_test.go Test_GetAuthorization:
			// the method is nil there, the path "" and the payload hash
			// given; the full hash is in that test's source.
			name:          "darabonba Test_GetAuthorization",
			rawQuery:      "test=ok&empty=",
			header:        http.Header{"x-acs-test": {"http"}, "x-acs-TEST": {"https"}},
			signedHeaders: []string{"x-acs-test"},
			payloadHash:   "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23",
			secret:        "secret",
			wantCanonical: "\n/\nempty=&test=ok\nx-acs-test:http,https\n\nx-acs-test\n" +
				"55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23",
			wantSig: "4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3",
		},
		{
			name:          "ScaleOutCluster POST",
			method:        http.MethodPost,
			escapedPath:   "/api/v2/clusters/c1234",
			header:        post,
			host:          testHost,
			signedHeaders: []string{"content-type", "host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"},
			payloadHash:   countSHA256,
			secret:        testSecret,
			wantCanonical: "POST\n/api/v2/clusters/c1234\n\ncontent-type:application/json; charset=utf-8\nhost:cs.cn-hangzhou.aliyuncs.com\n" +
				"x-acs-action:ScaleOutCluster\nx-acs-content-sha256:" + countSHA256 + "\nx-acs-date:2024-01-01T00:00:00Z\n" +
				"x-acs-signature-nonce:0123456789abcdef0123456789abcdef\nx-acs-version:2015-12-15\n\n" +
				"content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n" + countSHA256,
			wantSig: "026d0fa8eb5549cf4fe1a037d7b5e4bc21959a6ee77eafc510b821a5bb550016",
		},
		{
			name:          "DescribeClusterNodes GET",
			method:        http.MethodGet,
			escapedPath:   "/clusters/c1234/nodes",
			rawQuery:      "pageSize=10&pageNumber=1&nodepool_id=np+a%2Ab~",
			header:        common("DescribeClusterNodes", emptySHA256),
			host:          testHost,
			signedHeaders: []string{"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"},
			payloadHash:   emptySHA256,
			secret:        testSecret,
			wantCanonical: "GET\n/clusters/c1234/nodes\nnodepool_id=np%20a%2Ab~&pageNumber=1&pageSize=10\nhost:cs.cn-hangzhou.aliyuncs.com\n" +
				"x-acs-action:DescribeClusterNodes\nx-acs-content-sha256:" + emptySHA256 + "\nx-acs-date:2024-01-01T00:00:00Z\n" +
				"x-acs-signature-nonce:0123456789abcdef0123456789abcdef\nx-acs-version:2015-12-15\n\n" +
				"host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n" + emptySHA256,
			wantSig: "e7ccd460e85f5f7622ae4243e0f5b7e703a8b971f16f5c68127323c4ab3b94da",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			canonical := ACS3CanonicalRequest(tt.method, tt.escapedPath, tt.rawQuery, tt.header, tt.host, tt.signedHeaders, tt.payloadHash)
			require.Equal(t, tt.wantCanonical, canonical)
			require.Equal(t, tt.wantSig, ACS3Signature(tt.secret, canonical))
		})
	}
}

// TestACS3VectorAuthorization parses the Authorization header darabonba's
// Test_GetAuthorization expects.
func TestACS3VectorAuthorization(t *testing.T) {
	t.Parallel()
	a, err := ParseAuthorization("ACS3-HMAC-SHA256 Credential=acesskey,SignedHeaders=x-acs-test," +
		"Signature=4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3")
	require.NoError(t, err)
	require.Equal(t, Authorization{
		Scheme:        SchemeACS3,
		AccessKeyID:   "acesskey",
		SignedHeaders: []string{"x-acs-test"},
		Signature:     "4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3",
	}, a)
}
