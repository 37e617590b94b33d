package sign

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ackscale/ackscale"
)

// The parameters of the RPC scheme. The SDKs send them in the query (the
// old Go SDK, darabonba's RPC path, the aliyun CLI) beside the API's own.
const (
	RPCParamSignature        = "Signature"
	RPCParamAccessKeyID      = "AccessKeyId"
	RPCParamSignatureMethod  = "SignatureMethod"
	RPCParamSignatureVersion = "SignatureVersion"
	RPCParamSignatureNonce   = "SignatureNonce"
	RPCParamSignatureType    = "SignatureType"
	RPCParamTimestamp        = "Timestamp"
)

// The only RPC signature method and version the SDKs use with an
// AccessKey (alibaba-cloud-sdk-go sdk/auth/rpc_signature_composer.go).
const (
	RPCSignatureMethod  = "HMAC-SHA1"
	RPCSignatureVersion = "1.0"
)

// rpcEscapes turn Go's query escaping into the RFC 3986 percent-encoding
// of the RPC scheme: a space is %20, not +; * is escaped; ~ is not.
var rpcEscapes = strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~")

// RPCPercentEncode returns s percent-encoded as the RPC scheme encodes
// keys and values: every byte but A-Z a-z 0-9 - _ . ~ as %XX (upper-case
// hex), a space as %20.
func RPCPercentEncode(s string) string {
	return rpcEscapes.Replace(url.QueryEscape(s))
}

// RPCCanonicalQuery returns the RPC canonicalized query string: every
// parameter but Signature, keys sorted, each RPCPercentEncode(k) "="
// RPCPercentEncode(v), joined with "&". A key with several values appears
// once per value, in the order received (the SDKs never send one twice).
func RPCCanonicalQuery(params url.Values) string {
	var pairs []string
	for _, k := range slices.Sorted(maps.Keys(params)) {
		if k == RPCParamSignature {
			continue
		}
		for _, v := range params[k] {
			pairs = append(pairs, RPCPercentEncode(k)+"="+RPCPercentEncode(v))
		}
	}
	return strings.Join(pairs, "&")
}

// RPCStringToSign returns the RPC string to sign: method, "&",
// RPCPercentEncode("/") (that is "%2F"), "&", and the percent-encoded
// RPCCanonicalQuery of params. params are the query and form parameters
// together (RPCParams); Signature, if present, is left out.
func RPCStringToSign(method string, params url.Values) string {
	return method + "&" + RPCPercentEncode("/") + "&" + RPCPercentEncode(RPCCanonicalQuery(params))
}

// RPCSignature returns base64(HMAC-SHA1(secret + "&", stringToSign)): the
// RPC scheme keys the HMAC with the AccessKeySecret followed by "&".
func RPCSignature(secret, stringToSign string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// RPCParams returns the parameters of an RPC-style request: those of its
// query and, when the body is application/x-www-form-urlencoded, those of
// its body (the old Go SDK signs both together). Malformed pairs are
// dropped, as r.URL.Query() drops them, so that what a handler reads is
// exactly what the signature covers. A body of another type is not read:
// no RPC parameter comes from it.
func RPCParams(r *http.Request, body []byte) url.Values {
	params, _ := url.ParseQuery(r.URL.RawQuery)
	if len(body) == 0 || !isForm(r.Header.Get("Content-Type")) {
		return params
	}
	form, _ := url.ParseQuery(string(body))
	for k, vs := range form {
		params[k] = append(params[k], vs...)
	}
	return params
}

// isForm reports whether a Content-Type is a form body.
func isForm(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// rpcSigned reports whether params carry an RPC signature.
func rpcSigned(params url.Values) bool {
	_, ok := params[RPCParamSignature]
	return ok
}

// parseRPC reads the access key id and signature from an RPC request's
// parameters. Each must be there once and not empty.
func parseRPC(params url.Values) (Authorization, error) {
	var values [2]string
	for i, name := range []string{RPCParamAccessKeyID, RPCParamSignature} {
		v, err := singleParam(params, name)
		if err != nil {
			return Authorization{}, err
		}
		values[i] = v
	}
	return Authorization{Scheme: SchemeRPC, AccessKeyID: values[0], Signature: values[1]}, nil
}

// singleParam returns the one non-empty value of a signature parameter.
func singleParam(params url.Values, name string) (string, error) {
	switch vs := params[name]; {
	case len(vs) > 1:
		return "", incomplete("the RPC signature parameter %s is sent %d times", name, len(vs))
	case len(vs) == 0 || vs[0] == "":
		return "", incomplete("the RPC signature parameter %s is missing", name)
	default:
		return vs[0], nil
	}
}

// rpc implements scheme for the RPC HMAC-SHA1 scheme, whose fields are
// request parameters rather than headers.
type rpc struct{ params url.Values }

// checkSigned requires the fields every SDK sends: the method and version
// it signs with, a nonce and a timestamp, each once. A bearer-token
// request (SignatureType=BEARERTOKEN) is refused: ackscale has no tokens.
func (s rpc) checkSigned(lowered, Authorization) error {
	want := map[string]string{RPCParamSignatureMethod: RPCSignatureMethod, RPCParamSignatureVersion: RPCSignatureVersion}
	for _, name := range []string{RPCParamSignatureMethod, RPCParamSignatureVersion, RPCParamSignatureNonce, RPCParamTimestamp} {
		v, err := singleParam(s.params, name)
		if err != nil {
			return err
		}
		if w, ok := want[name]; ok && v != w {
			return incomplete("the RPC signature parameter %s is %q; ackscale verifies %s only", name, clip(v), w)
		}
	}
	if t := strings.Join(s.params[RPCParamSignatureType], ","); t != "" {
		return incomplete("SignatureType %q is not supported: sign with an AccessKey, without SignatureType", clip(t))
	}
	return nil
}

// requestTime parses Timestamp: ISO 8601 in UTC as the SDKs write it
// (2006-01-02T15:04:05Z), or any RFC 3339 time, which names its offset.
func (s rpc) requestTime(lowered) (time.Time, error) {
	ts := s.params.Get(RPCParamTimestamp)
	if t, err := time.Parse(ACS3DateFormat, ts); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return time.Time{}, incomplete("the Timestamp parameter %q is not a UTC time such as %q", clip(ts), ACS3DateFormat)
	}
	return t, nil
}

// bodyDigest has nothing to check: a form body's parameters are signed one
// by one, and any other body is not read.
func (rpc) bodyDigest(lowered, []byte) (string, error) { return "", nil }

// verify compares the signature over the request's parameters.
func (s rpc) verify(r *http.Request, _ lowered, a Authorization, secret, _ string) error {
	sts := RPCStringToSign(r.Method, s.params)
	if hmac.Equal([]byte(RPCSignature(secret, sts)), []byte(a.Signature)) {
		return nil
	}
	return ackscale.Errorf(ackscale.CodeSignatureMismatch, "%s %s%s", mismatchText, stringToSignMarker, sts)
}

// nonce is the SignatureNonce parameter.
func (s rpc) nonce(lowered) string { return s.params.Get(RPCParamSignatureNonce) }
