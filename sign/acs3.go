package sign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ackscale/ackscale"
)

// acs3Escapes are the fix-ups the SDKs apply to the canonical URI and query
// after Go-style escaping, turning it into RFC 3986 percent-encoding.
var acs3Escapes = strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~")

// ACS3CanonicalRequest returns the ACS3-HMAC-SHA256 canonical request, its
// lines joined with "\n": method; escapedPath ("/" when empty) with the
// fix-ups + → %20, * → %2A, %7E → ~; the query of rawQuery, keys sorted,
// each url.QueryEscape(k) + "=" + url.QueryEscape(v) (a key with several
// values once per value), joined with "&", with the same fix-ups over the whole string; a
// "name:value\n" line for each of signedHeaders in the order given, the
// value of "host" being host and any other the header's values trimmed,
// sorted and joined with ","; signedHeaders joined with ";"; payloadHash.
func ACS3CanonicalRequest(method, escapedPath, rawQuery string, h http.Header, host string, signedHeaders []string, payloadHash string) string {
	return acs3CanonicalRequest(method, escapedPath, rawQuery, lower(h), host, signedHeaders, payloadHash)
}

func acs3CanonicalRequest(method, escapedPath, rawQuery string, l lowered, host string, signedHeaders []string, payloadHash string) string {
	var b strings.Builder
	b.Grow(len(method) + len(escapedPath) + 2*len(rawQuery) + 64*len(signedHeaders) + len(payloadHash) + 8)
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(acs3CanonicalURI(escapedPath))
	b.WriteByte('\n')
	b.WriteString(acs3CanonicalQuery(rawQuery))
	b.WriteByte('\n')
	writeACS3CanonicalHeaders(&b, l, host, signedHeaders)
	b.WriteByte('\n')
	for i, name := range signedHeaders {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(name)
	}
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

func acs3CanonicalURI(escapedPath string) string {
	if escapedPath == "" {
		return "/"
	}
	return acs3Escapes.Replace(escapedPath)
}

// acs3CanonicalQuery rebuilds the query the SDK signed from its decoded
// parameters. Malformed pairs are dropped, as r.URL.Query() drops them for
// the handlers, so nothing unsigned reaches a handler through them. Keys
// are escaped like values: the SDKs do not escape keys, which changes
// nothing for the plain keys of the CS API, but a key decoded from
// "name%3Dx%26a" must not canonicalise like the two pairs "name=x&a", or
// a re-encoded query would keep its signature and change its meaning.
func acs3CanonicalQuery(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	q, _ := url.ParseQuery(rawQuery)
	var params []string
	for _, k := range slices.Sorted(maps.Keys(q)) {
		for _, v := range q[k] {
			params = append(params, url.QueryEscape(k)+"="+url.QueryEscape(v))
		}
	}
	return acs3Escapes.Replace(strings.Join(params, "&"))
}

// writeACS3CanonicalHeaders writes a "name:value\n" line for each signed
// header.
func writeACS3CanonicalHeaders(b *strings.Builder, l lowered, host string, signedHeaders []string) {
	for _, name := range signedHeaders {
		value := host
		if name != "host" {
			value = acs3HeaderValue(l[name])
		}
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(value)
		b.WriteByte('\n')
	}
}

func acs3HeaderValue(values []string) string {
	if len(values) == 1 {
		return strings.TrimSpace(values[0])
	}
	trimmed := make([]string, len(values))
	for i, v := range values {
		trimmed[i] = strings.TrimSpace(v)
	}
	slices.Sort(trimmed)
	return strings.Join(trimmed, ",")
}

// ACS3StringToSign returns "ACS3-HMAC-SHA256\n" + hex(SHA-256(canonicalRequest)).
func ACS3StringToSign(canonicalRequest string) string {
	var line acs3Line
	return string(line.of(canonicalRequest))
}

// ACS3Signature returns hex(HMAC-SHA256(secret, ACS3StringToSign(canonicalRequest))).
func ACS3Signature(secret, canonicalRequest string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	var line acs3Line
	mac.Write(line.of(canonicalRequest))
	return hex.EncodeToString(mac.Sum(nil))
}

// acs3Line holds the string to sign of a canonical request, built without
// a string of its own.
type acs3Line [len(SchemeACS3) + 1 + 2*sha256.Size]byte

// of fills l with canonicalRequest's string to sign and returns it.
func (l *acs3Line) of(canonicalRequest string) []byte {
	sum := sha256.Sum256([]byte(canonicalRequest))
	n := copy(l[:], SchemeACS3)
	l[n] = '\n'
	hex.Encode(l[n+1:], sum[:])
	return l[:]
}

// hexSHA256 returns the hex SHA-256 of b, the ACS3 HashedPayload.
func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ACS3DateFormat is the layout of the x-acs-date header.
const ACS3DateFormat = "2006-01-02T15:04:05Z"

// acs3 implements scheme for ACS3-HMAC-SHA256.
type acs3 struct{}

// checkSigned requires host and x-acs-date, which bind the request to this
// server and time, and every x-acs-* header the request carries: every SDK
// signs them all, and the handlers must be able to trust x-acs-action or
// x-acs-security-token. Other headers (content-type among them) may go
// unsigned.
func (acs3) checkSigned(l lowered, a Authorization) error {
	for _, name := range []string{"host", "x-acs-date"} {
		if !slices.Contains(a.SignedHeaders, name) {
			return incomplete("SignedHeaders must include %s", name)
		}
	}
	for _, name := range l.withPrefix("x-acs-") {
		if !slices.Contains(a.SignedHeaders, name) {
			return incomplete("SignedHeaders must include %s, which the request carries", clip(name))
		}
	}
	return nil
}

// requestTime parses x-acs-date.
func (acs3) requestTime(l lowered) (time.Time, error) {
	date := l.get("x-acs-date")
	if date == "" {
		return time.Time{}, incomplete("the x-acs-date header is missing")
	}
	t, err := time.Parse(ACS3DateFormat, date)
	if err != nil {
		return time.Time{}, incomplete("the x-acs-date header %q is not a UTC time such as %q", clip(date), ACS3DateFormat)
	}
	return t, nil
}

// bodyDigest returns the hex SHA-256 of the body, the HashedPayload every
// signature covers, after checking x-acs-content-sha256 when it was sent.
func (acs3) bodyDigest(l lowered, body []byte) (string, error) {
	digest := hexSHA256(body)
	if sent := l.get("x-acs-content-sha256"); sent != "" && !strings.EqualFold(sent, digest) {
		return "", ackscale.Errorf(ackscale.CodeContentSHA256Mismatch, "the x-acs-content-sha256 header does not match the SHA-256 of the body")
	}
	return digest, nil
}

// verify compares the signature over the canonical request rebuilt from r.
func (acs3) verify(r *http.Request, l lowered, a Authorization, secret, digest string) error {
	canonical := acs3CanonicalRequest(r.Method, r.URL.EscapedPath(), r.URL.RawQuery, l, r.Host, a.SignedHeaders, digest)
	if hmac.Equal([]byte(ACS3Signature(secret, canonical)), []byte(a.Signature)) {
		return nil
	}
	return ackscale.Errorf(ackscale.CodeSignatureMismatch, "%s server canonical request is:%s\n%s%s",
		mismatchText, canonical, stringToSignMarker, ACS3StringToSign(canonical))
}

// nonce is x-acs-signature-nonce.
func (acs3) nonce(l lowered) string { return l.get(headerNonce) }
