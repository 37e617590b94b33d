package sign

import (
	"strings"

	"github.com/ackscale/ackscale"
)

// Scheme is a request-signing scheme, named by the first word of the
// Authorization header.
type Scheme string

// The schemes ACK's SDKs use (api.md §1.1), and the RPC scheme of the
// RPC-style APIs (VPC, ECS).
const (
	// SchemeROA is ROA v2: "acs <AccessKeyId>:<base64 HMAC-SHA1>".
	SchemeROA Scheme = "acs"
	// SchemeACS3 is "ACS3-HMAC-SHA256 Credential=<AccessKeyId>,
	// SignedHeaders=<a;b;c>,Signature=<hex HMAC-SHA256>".
	SchemeACS3 Scheme = "ACS3-HMAC-SHA256"
	// SchemeRPC is the RPC scheme: no Authorization header, but
	// Signature, AccessKeyId, SignatureMethod=HMAC-SHA1,
	// SignatureVersion=1.0, SignatureNonce and Timestamp among the request
	// parameters (query or form body); see RPCStringToSign. Only
	// Verifier.VerifyRPC accepts it.
	SchemeRPC Scheme = "RPC"
)

// Authorization is a parsed Authorization header. It has no String method
// on purpose: it holds a signature, which must not reach a log.
type Authorization struct {
	Scheme      Scheme
	AccessKeyID string
	// SignedHeaders is set for SchemeACS3 only: lower-case header names in
	// ascending order, without repeats.
	SignedHeaders []string
	Signature     string
}

// ParseAuthorization parses an Authorization header value, dispatching on
// its "acs " or "ACS3-HMAC-SHA256 " prefix. It checks syntax only; which
// headers an ACS3 request must sign depends on the request (see Verify).
// An empty value gives CodeMissingAuthorization and anything malformed
// CodeIncompleteSignature, as an *ackscale.Error whose message never
// contains the signature.
func ParseAuthorization(h string) (Authorization, error) {
	if h == "" {
		return Authorization{}, ackscale.Errorf(ackscale.CodeMissingAuthorization, "the Authorization header is missing")
	}
	if rest, ok := strings.CutPrefix(h, string(SchemeROA)+" "); ok {
		return parseROA(rest)
	}
	if rest, ok := strings.CutPrefix(h, string(SchemeACS3)+" "); ok {
		return parseACS3(rest)
	}
	return Authorization{}, incomplete("the Authorization header must start with %q or %q", SchemeROA+" ", SchemeACS3+" ")
}

// parseROA parses "<AccessKeyId>:<Signature>".
func parseROA(rest string) (Authorization, error) {
	id, sig, ok := strings.Cut(rest, ":")
	if !ok || id == "" || sig == "" {
		return Authorization{}, incomplete("the Authorization header must be \"acs <AccessKeyId>:<Signature>\"")
	}
	return Authorization{Scheme: SchemeROA, AccessKeyID: id, Signature: sig}, nil
}

// The fields of an ACS3 Authorization header.
const (
	fieldCredential    = "Credential"
	fieldSignedHeaders = "SignedHeaders"
	fieldSignature     = "Signature"
)

// parseACS3 parses "Credential=AK,SignedHeaders=a;b,Signature=hex". The
// SDKs put no space after the commas; spaces there are tolerated.
func parseACS3(rest string) (Authorization, error) {
	fields, err := acs3Fields(rest)
	if err != nil {
		return Authorization{}, err
	}
	for _, name := range []string{fieldCredential, fieldSignedHeaders, fieldSignature} {
		if fields[name] == "" {
			return Authorization{}, incomplete("the %s Authorization header has no %s", SchemeACS3, name)
		}
	}
	signed, err := parseSignedHeaders(fields[fieldSignedHeaders])
	if err != nil {
		return Authorization{}, err
	}
	return Authorization{
		Scheme:        SchemeACS3,
		AccessKeyID:   fields[fieldCredential],
		SignedHeaders: signed,
		Signature:     fields[fieldSignature],
	}, nil
}

// acs3Fields splits the comma-separated name=value fields, refusing
// unknown and repeated names.
func acs3Fields(rest string) (map[string]string, error) {
	fields := make(map[string]string, 3)
	for i, part := range strings.Split(rest, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			// The part is not echoed: it may be a signature.
			return nil, incomplete("part %d of the %s Authorization header is not name=value", i+1, SchemeACS3)
		}
		switch name {
		case fieldCredential, fieldSignedHeaders, fieldSignature:
		default:
			return nil, incomplete("the %s Authorization header has an unknown field %q", SchemeACS3, clip(name))
		}
		if _, dup := fields[name]; dup {
			return nil, incomplete("the %s Authorization header repeats %s", SchemeACS3, name)
		}
		fields[name] = value
	}
	return fields, nil
}

// parseSignedHeaders splits "a;b;c". Every client sorts the names and
// writes them lower-case; anything else could not have been signed the same
// way, so it is refused with a message rather than left to mismatch.
func parseSignedHeaders(s string) ([]string, error) {
	names := strings.Split(s, ";")
	for i, name := range names {
		switch {
		case !isLowerToken(name):
			return nil, incomplete("SignedHeaders entry %q is not a lower-case header name", clip(name))
		case name == headerAuthorization:
			// It cannot sign itself, and the mismatch message, which shows
			// the signed headers, must not echo a signature.
			return nil, incomplete("SignedHeaders must not include authorization")
		case i > 0 && name <= names[i-1]:
			return nil, incomplete("SignedHeaders must be sorted and without repeats: %q comes after %q", clip(name), clip(names[i-1]))
		}
	}
	return names, nil
}

// isLowerToken reports whether s is a non-empty RFC 9110 token with no
// upper-case letters.
func isLowerToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// incomplete returns a CodeIncompleteSignature error.
func incomplete(format string, args ...any) error {
	return ackscale.Errorf(ackscale.CodeIncompleteSignature, format, args...)
}
