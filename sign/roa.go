package sign

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ackscale/ackscale"
)

// roaFixedHeaders are the four headers whose values, or empty lines, always
// open the ROA string to sign.
var roaFixedHeaders = []string{"accept", "content-md5", "content-type", "date"}

// ROAStringToSign returns the ROA v2 string to sign: the method; the
// Accept, Content-MD5, Content-Type and Date values, each on its own line
// and empty when absent; every header whose lower-cased name starts with
// "x-acs-", as "name:value" lines sorted by name; then resource. Header
// names are matched case-insensitively and a repeated header's values are
// joined with ",".
func ROAStringToSign(method string, h http.Header, resource string) string {
	return roaStringToSign(method, lower(h), resource)
}

func roaStringToSign(method string, l lowered, resource string) string {
	var b strings.Builder
	b.WriteString(method + "\n")
	for _, name := range roaFixedHeaders {
		b.WriteString(l.get(name) + "\n")
	}
	for _, name := range l.withPrefix("x-acs-") {
		b.WriteString(name + ":" + l.get(name) + "\n")
	}
	b.WriteString(resource)
	return b.String()
}

// ROACanonicalResource returns path followed, when q is not empty, by "?"
// and the parameters sorted by key, each "k=v" with its raw (decoded) value,
// or just "k" when the value is empty, joined with "&". A key with several
// values appears once per value, in the order received.
func ROACanonicalResource(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	var params []string
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if len(q[k]) == 0 {
			params = append(params, k)
		}
		for _, v := range q[k] {
			if v == "" {
				params = append(params, k)
			} else {
				params = append(params, k+"="+v)
			}
		}
	}
	return path + "?" + strings.Join(params, "&")
}

// ROASignature returns base64(HMAC-SHA1(secret, stringToSign)).
func ROASignature(secret, stringToSign string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// roaResources returns the resources a ROA client may have signed for r,
// the spec's canonical form first. The old Go SDK signs the decoded path,
// darabonba's v2 path the percent-encoded one, both with sorted raw query
// values; aliyungo signs URL.RequestURI(), the query as sent. Each is
// computed from the request as received, so whichever matches, the
// signature binds its path and query. (The raw-value form cannot tell
// "a=1&b=2" from "a=1%26b%3D2"; that ambiguity is the scheme's own.)
func roaResources(r *http.Request) []string {
	q := r.URL.Query()
	resources := []string{ROACanonicalResource(r.URL.Path, q)}
	for _, res := range []string{ROACanonicalResource(r.URL.EscapedPath(), q), r.URL.RequestURI(), r.RequestURI} {
		if res != "" && !slices.Contains(resources, res) {
			resources = append(resources, res)
		}
	}
	return resources
}

// roa implements scheme for ROA v2.
type roa struct{}

// checkSigned has nothing to refuse: the ROA string to sign covers every
// x-acs-* header received, whatever the client meant to sign.
func (roa) checkSigned(lowered, Authorization) error { return nil }

// requestTime parses the Date header.
func (roa) requestTime(l lowered) (time.Time, error) {
	date := l.get("date")
	if date == "" {
		return time.Time{}, incomplete("the Date header is missing")
	}
	t, err := parseHTTPDate(date)
	if err != nil {
		return time.Time{}, incomplete("the Date header %q is not a GMT date such as %q", clip(date), http.TimeFormat)
	}
	return t, nil
}

// parseHTTPDate parses http.TimeFormat, or time.RFC1123 in GMT or UTC. Go
// would read any other zone name as UTC unless the server's own zone knows
// it, so those are refused rather than read differently on each server.
func parseHTTPDate(s string) (time.Time, error) {
	if t, err := time.Parse(http.TimeFormat, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC1123, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse date: %w", err)
	}
	if zone, _ := t.Zone(); zone != "GMT" && zone != "UTC" {
		return time.Time{}, fmt.Errorf("parse date: zone %q is not GMT", zone)
	}
	return t, nil
}

// bodyDigest checks Content-MD5 when the client sent one (the old Go SDK
// and aliyungo do, darabonba's v2 path does not: its body is then not
// covered by the signature at all). The signature covers the header, not a
// digest, so it returns "".
func (roa) bodyDigest(l lowered, body []byte) (string, error) {
	sent := l.get("content-md5")
	if sent == "" {
		return "", nil
	}
	sum := md5.Sum(body)
	if sent != base64.StdEncoding.EncodeToString(sum[:]) {
		return "", ackscale.Errorf(ackscale.CodeContentMD5Mismatch, "the Content-MD5 header does not match the MD5 of the body")
	}
	return "", nil
}

// verify accepts a signature over any of roaResources. The message shows
// the string to sign of the spec's canonical resource, the one the old Go
// SDK compares with its own.
func (roa) verify(r *http.Request, l lowered, a Authorization, secret, _ string) error {
	if err := roaUnambiguous(r.URL.Query()); err != nil {
		return err
	}
	var first string
	for i, resource := range roaResources(r) {
		sts := roaStringToSign(r.Method, l, resource)
		if hmac.Equal([]byte(ROASignature(secret, sts)), []byte(a.Signature)) {
			return nil
		}
		if i == 0 {
			first = sts
		}
	}
	return ackscale.Errorf(ackscale.CodeSignatureMismatch, "%s %s%s", mismatchText, stringToSignMarker, first)
}

// roaUnambiguous refuses a query the ROA resource cannot bind: with raw
// values, a key holding "=" or "&", or a value holding "&", signs the same
// as a different set of parameters (found by the hostile-request suite).
// No parameter of the CS API needs either character.
func roaUnambiguous(q url.Values) error {
	for k, vs := range q {
		bad := strings.ContainsAny(k, "=&")
		for _, v := range vs {
			bad = bad || strings.Contains(v, "&")
		}
		if bad {
			return ackscale.Errorf(ackscale.CodeIncompleteSignature,
				"query parameter %.64q holds '&' or '=' and cannot be signed unambiguously with ROA; use ACS3-HMAC-SHA256", k)
		}
	}
	return nil
}

// nonce is x-acs-signature-nonce, which aliyungo and darabonba send.
func (roa) nonce(l lowered) string { return l.get(headerNonce) }
