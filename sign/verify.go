// Package sign verifies the signatures of incoming requests in the schemes
// Alibaba Cloud's SDKs use: against ACK (ROA style), ROA v2 (HMAC-SHA1,
// "acs AK:sig"), sent by the old Go SDK, aliyungo and darabonba's v2 mode,
// and ACS3-HMAC-SHA256, sent by current SDKs; against the RPC-style APIs
// (VPC, ECS), the RPC scheme (HMAC-SHA1 over the sorted parameters, the
// Signature among them) and ACS3.
//
// The building blocks (ParseAuthorization, ROAStringToSign,
// ACS3CanonicalRequest, RPCStringToSign, ...) are pure; Verifier puts them
// together with a key lookup, a clock and a nonce store.
package sign

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ackscale/ackscale"
)

// DefaultMaxSkew is how far a request's time may be from the server's when
// Verifier.MaxSkew is not set.
const DefaultMaxSkew = 15 * time.Minute

// Lower-case names of the headers Verify reads.
const (
	headerAuthorization = "authorization"
	headerNonce         = "x-acs-signature-nonce"
)

// stringToSignMarker precedes the server's string to sign at the very end
// of a SignatureDoesNotMatch message. The old Go SDK splits the message on
// it and compares the rest with its own string to sign, to tell a wrong
// AccessKeySecret from a signing bug.
const stringToSignMarker = "server string to sign is:"

// mismatchText opens every SignatureDoesNotMatch message.
const mismatchText = "The request signature does not match the signature the server calculated. " +
	"Check your AccessKeySecret and how the request is signed."

// Verifier checks the signature of incoming requests.
type Verifier struct {
	// SecretFunc returns the secret of an access key id, and false if the
	// key does not exist. Required.
	SecretFunc func(accessKeyID string) (secret string, ok bool)
	// Nonces records the x-acs-signature-nonce (or RPC SignatureNonce) of
	// verified requests. When nil, nonces are not checked.
	Nonces NonceChecker
	// Now is the clock; ackscale.NowUTC when nil.
	Now func() time.Time
	// MaxSkew is how far a request's time may be from Now, either way;
	// DefaultMaxSkew when zero or negative.
	MaxSkew time.Duration
}

// NonceChecker remembers the nonces of verified requests. The store
// implements it.
type NonceChecker interface {
	// UseNonce records nonce for accessKeyID until expires. fresh is false
	// if the nonce was already recorded and has not expired. An error is a
	// failure of the store, not of the request.
	UseNonce(ctx context.Context, accessKeyID, nonce string, expires time.Time) (fresh bool, err error)
}

// scheme is what Verify needs to know about one signing scheme.
type scheme interface {
	// checkSigned refuses an Authorization that leaves unsigned a header
	// (or parameter) the scheme must cover.
	checkSigned(l lowered, a Authorization) error
	// requestTime returns the time the client says it signed the request.
	requestTime(l lowered) (time.Time, error)
	// bodyDigest checks the body against the hash header the scheme
	// defines, if sent, and returns the digest the signature covers.
	bodyDigest(l lowered, body []byte) (string, error)
	// verify compares the signature with the one computed with secret.
	verify(r *http.Request, l lowered, a Authorization, secret, digest string) error
	// nonce returns the request's signature nonce, "" when it has none.
	nonce(l lowered) string
}

// Verify checks the signature of r, whose body has already been read into
// body, and returns the access key id that signed it. It takes the two
// schemes of the Authorization header, ROA and ACS3 (the RPC scheme, whose
// signature is a request parameter, only VerifyRPC takes). The checks run
// in this order, and the first that fails gives an *ackscale.Error:
//
//   - Authorization missing: CodeMissingAuthorization; malformed, or an
//     ACS3 request that does not sign host, x-acs-date and every x-acs-*
//     header it carries: CodeIncompleteSignature.
//   - unknown access key: CodeAccessKeyNotFound.
//   - Date (ROA) or x-acs-date (ACS3) missing or unparsable:
//     CodeIncompleteSignature; more than MaxSkew from Now:
//     CodeTimestampExpired.
//   - Content-MD5 (ROA) that does not match the body:
//     CodeContentMD5Mismatch; x-acs-content-sha256 (ACS3) that does not:
//     CodeContentSHA256Mismatch.
//   - wrong signature: CodeSignatureMismatch, whose message ends with
//     "server string to sign is:" and the server's string to sign.
//   - x-acs-signature-nonce already used: CodeNonceUsed. The nonce is
//     recorded only once the signature is good, so a forger cannot burn
//     a client's nonces.
//   - a request without a nonce whose method changes something (any
//     method but GET, HEAD, OPTIONS and TRACE) and whose signature was
//     already seen: CodeNonceUsed. The old Go SDK sends no nonce, so its
//     signature is the only thing that tells a replay from a new request.
//
// A failure of Nonces is returned wrapped, as a plain error. No message
// contains a secret or a signature.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (accessKeyID string, err error) {
	if v.SecretFunc == nil {
		return "", errors.New("verify signature: Verifier.SecretFunc is nil")
	}
	l := lower(r.Header)
	a, err := requestAuthorization(l)
	if err != nil {
		return "", err
	}
	return v.verify(ctx, r, body, l, a, schemeOf(a))
}

// VerifyRPC checks the signature of a request to an RPC-style API (VPC,
// ECS), whose body has already been read into body, and returns the access
// key id that signed it. The request is signed either with the RPC scheme
// (SchemeRPC: the Signature parameter in the query or form body, as the
// old Go SDK, darabonba's RPC path and the aliyun CLI sign) or with ACS3 in
// the Authorization header (darabonba's default, with x-acs-action and
// x-acs-version); a request with both, or with a ROA signature, is
// refused with CodeIncompleteSignature. The checks and their codes are
// Verify's, with the RPC scheme's own fields: Signature, AccessKeyId,
// SignatureMethod (HMAC-SHA1), SignatureVersion (1.0), SignatureNonce
// and Timestamp must each be sent once, or CodeIncompleteSignature;
// Timestamp is held to MaxSkew; SignatureNonce is recorded in Nonces as
// x-acs-signature-nonce is. RPCParams gives the parameters a handler may
// then read: exactly those the signature covers.
func (v *Verifier) VerifyRPC(ctx context.Context, r *http.Request, body []byte) (accessKeyID string, err error) {
	if v.SecretFunc == nil {
		return "", errors.New("verify signature: Verifier.SecretFunc is nil")
	}
	l := lower(r.Header)
	params := RPCParams(r, body)
	hasAuthorization := len(l[headerAuthorization]) > 0
	switch {
	case rpcSigned(params) && hasAuthorization:
		return "", incomplete("the request carries both a Signature parameter and an Authorization header; sign it once")
	case rpcSigned(params):
		a, err := parseRPC(params)
		if err != nil {
			return "", err
		}
		return v.verify(ctx, r, body, l, a, rpc{params})
	case !hasAuthorization:
		return "", ackscale.Errorf(ackscale.CodeMissingAuthorization,
			"the request has neither a Signature parameter (RPC HMAC-SHA1) nor an Authorization header (ACS3-HMAC-SHA256)")
	}
	a, err := requestAuthorization(l)
	if err != nil {
		return "", err
	}
	if a.Scheme != SchemeACS3 {
		return "", incomplete("an RPC API takes the RPC HMAC-SHA1 signature (the Signature parameter) or %s, not %q", SchemeACS3, a.Scheme)
	}
	return v.verify(ctx, r, body, l, a, acs3{})
}

// verify runs the checks of Verify after the parsing of the signature.
func (v *Verifier) verify(ctx context.Context, r *http.Request, body []byte, l lowered, a Authorization, s scheme) (string, error) {
	if err := s.checkSigned(l, a); err != nil {
		return "", err
	}
	secret, ok := v.SecretFunc(a.AccessKeyID)
	if !ok {
		return "", ackscale.Errorf(ackscale.CodeAccessKeyNotFound, "the access key %q does not exist", clip(a.AccessKeyID))
	}
	now := v.now()
	sent, err := s.requestTime(l)
	if err != nil {
		return "", err
	}
	if err := v.checkSkew(now, sent); err != nil {
		return "", err
	}
	digest, err := s.bodyDigest(l, body)
	if err != nil {
		return "", err
	}
	if err := s.verify(r, l, a, secret, digest); err != nil {
		return "", err
	}
	if err := v.useNonce(ctx, r.Method, s.nonce(l), a, now, sent); err != nil {
		return "", err
	}
	return a.AccessKeyID, nil
}

// requestAuthorization parses the request's only Authorization header.
func requestAuthorization(l lowered) (Authorization, error) {
	if n := len(l[headerAuthorization]); n > 1 {
		return Authorization{}, incomplete("the request has %d Authorization headers", n)
	}
	return ParseAuthorization(l.get(headerAuthorization))
}

func schemeOf(a Authorization) scheme {
	if a.Scheme == SchemeACS3 {
		return acs3{}
	}
	return roa{}
}

func (v *Verifier) now() time.Time {
	if v.Now == nil {
		return ackscale.NowUTC()
	}
	return v.Now()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return DefaultMaxSkew
}

// checkSkew refuses a request signed more than MaxSkew before or after now.
func (v *Verifier) checkSkew(now, sent time.Time) error {
	skew := v.maxSkew()
	if d := now.Sub(sent); d > skew || d < -skew {
		return ackscale.Errorf(ackscale.CodeTimestampExpired,
			"the request time %s is more than %s from the server time %s",
			sent.UTC().Format(time.RFC3339), skew, now.UTC().Format(time.RFC3339))
	}
	return nil
}

// signatureKeyPrefix marks the key useNonce records for a request
// without a nonce: its signature, which no nonce the SDKs send looks like.
const signatureKeyPrefix = "sig:"

// useNonce records the request's nonce or, when it has none and its method
// changes something, its signature, so that the same signed request is
// executed once. Reads without a nonce stay replayable: repeating one
// changes nothing. The key is kept until the request could no longer pass
// checkSkew: MaxSkew after the later of now and the request's own time,
// which may lie up to MaxSkew ahead.
func (v *Verifier) useNonce(ctx context.Context, method, nonce string, a Authorization, now, sent time.Time) error {
	if v.Nonces == nil {
		return nil
	}
	key := nonce
	if nonce == "" {
		if safeMethod(method) {
			return nil
		}
		key = signatureKeyPrefix + a.Signature
	}
	expires := now
	if sent.After(now) {
		expires = sent
	}
	fresh, err := v.Nonces.UseNonce(ctx, a.AccessKeyID, key, expires.Add(v.maxSkew()))
	if err != nil {
		return fmt.Errorf("use signature nonce: %w", err)
	}
	switch {
	case fresh:
		return nil
	case nonce == "":
		return ackscale.Errorf(ackscale.CodeNonceUsed,
			"the same signed %s request was already received within the last %s and is not executed twice; "+
				"to repeat it, sign it again: a later date or an x-acs-signature-nonce gives it a new signature",
			clip(method), v.maxSkew())
	default:
		return ackscale.Errorf(ackscale.CodeNonceUsed, "the signature nonce %q has already been used", clip(nonce))
	}
}

// safeMethod reports whether method only reads (RFC 9110 §9.2.1).
func safeMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}
