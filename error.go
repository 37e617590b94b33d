package ackscale

import (
	"errors"
	"fmt"
	"net/http"
	"unicode/utf8"
)

// ACK error codes the server answers with. Each has a kind (codeKinds),
// and each kind an HTTP status (kindStatus); docs/api.md lists them all.
const (
	// Request validation (HTTP 400).
	CodeMissingParameter  = "MissingParameter"              // a required field is absent
	CodeInvalidType       = "InvalidParameter.Type"         // a JSON value of the wrong type
	CodeOutOfRange        = "InvalidParameter.OutOfRange"   // a number outside its bounds or step
	CodeNotInEnum         = "InvalidParameter.NotInEnum"    // a value outside an enumeration
	CodeConflict          = "InvalidParameter.Conflict"     // "exactly one of" broken
	CodeUnknownField      = "InvalidParameter.UnknownField" // a field the profile does not know
	CodeInvalidFormat     = "InvalidParameter.Format"       // a string of the wrong shape (password, id)
	CodeInvalidParameter  = "InvalidParameter"              // any other invalid value
	CodeMalformedBody     = "InvalidParameter.MalformedBody"
	CodePasswordMismatch  = "InvalidParameter.PasswordMismatch"
	CodeUnsupportedMedia  = "UnsupportedMediaType"
	CodeBodyTooLarge      = "RequestEntityTooLarge"
	CodeRequestTimeout    = "RequestTimeout"               // the body did not arrive within the read timeout
	CodeInvalidOperation  = "InvalidOperation.ClusterType" // operation not valid for this kind of cluster
	CodeClusterState      = "ErrorClusterState"            // cluster is not in a state that allows this
	CodeNoChange          = "InvalidParameter.NoChange"    // legacy num_of_nodes equals today's count
	CodeQuotaExceeded     = "QuotaExceeded"                // an emulated account quota
	CodeClusterNameExists = "ErrorClusterNameAlreadyExist"
	CodeNodeNotFound      = "ErrorNodeNotFound"
	CodeNodePoolState     = "ErrorNodePoolState" // the pool is busy, has nodes, or is the default one

	// Things the emulated cloud does not have (HTTP 400, or 404 for ids).
	CodeInstanceTypeNotFound = "InvalidInstanceType.NotFound"
	CodeVSwitchNotFound      = "InvalidVSwitchId.NotFound"
	CodeImageNotFound        = "InvalidImageId.NotFound"
	CodeKeyPairNotFound      = "InvalidKeyPairName.NotFound"
	CodeRegionNotFound       = "InvalidRegionId.NotFound"
	CodeENSRegionNotFound    = "InvalidEnsRegionId.NotFound"
	CodeDiskTooSmall         = "InvalidSystemDiskSize.LessThanImageSize"
	CodeInstanceNotFound     = "InvalidInstanceId.NotFound"
	CodeNoStock              = "OperationDenied.NoStock"
	CodeIPExhausted          = "InvalidVSwitchId.IpNotEnough"

	// Lookups (HTTP 404).
	CodeClusterNotFound  = "ErrorClusterNotFound"
	CodeTaskNotFound     = "ErrorTaskNotFound"
	CodeNodePoolNotFound = "ErrorNodePoolNotFound"
	CodeRouteNotFound    = "InvalidAction.NotFound"

	// Authentication (HTTP 400, 401 or 404 as ACK's gateway answers).
	CodeMissingAuthorization  = "MissingAuthorization"
	CodeIncompleteSignature   = "IncompleteSignature"
	CodeSignatureMismatch     = "SignatureDoesNotMatch"
	CodeAccessKeyNotFound     = "InvalidAccessKeyId.NotFound"
	CodeTimestampExpired      = "InvalidTimeStamp.Expired"
	CodeNonceUsed             = "SignatureNonceUsed"
	CodeContentMD5Mismatch    = "InvalidContentMD5"
	CodeContentSHA256Mismatch = "InvalidContentSHA256"

	// Service.
	CodeThrottling       = "Throttling.User"
	CodeInternal         = "InternalError"
	CodeMethodNotAllowed = "InvalidAction.MethodNotAllowed"
	// CodeConflictInternal marks a unique key a store found taken; it is
	// retried inside ackscale and never reaches a client.
	CodeConflictInternal = "Conflict"
)

// ErrorKind says what sort of failure an error is. It decides the HTTP
// status (one table, kindStatus) and how a task reacts: a cloud refusal
// fails the task, anything that is not an *Error is retried.
type ErrorKind int

// Error kinds.
const (
	KindInvalid          ErrorKind = iota + 1 // the request is wrong
	KindNotFound                              // what it names does not exist (in the caller's account)
	KindConflict                              // the target's state or a unique name forbids it now
	KindUnauthenticated                       // no credentials at all
	KindThrottled                             // too many requests
	KindTooLarge                              // the body is over the size limit
	KindUnsupportedMedia                      // the body's media type or encoding
	KindTimeout                               // the body did not arrive in time
	KindMethodNotAllowed                      // the path exists with another method
	KindQuota                                 // an account quota would be passed
	KindNoStock                               // the cloud has no stock of what was asked
	KindCloud                                 // the cloud refused a call
	KindInternal                              // a bug or a failing dependency
)

// kindStatus is the one table from error kind to HTTP status, shared by
// the CS API and the admin API. ACK answers 400 to conflicts, quotas and
// throttling, and so does ackscale.
var kindStatus = map[ErrorKind]int{
	KindInvalid:          http.StatusBadRequest,
	KindNotFound:         http.StatusNotFound,
	KindConflict:         http.StatusBadRequest,
	KindUnauthenticated:  http.StatusUnauthorized,
	KindThrottled:        http.StatusBadRequest,
	KindTooLarge:         http.StatusRequestEntityTooLarge,
	KindUnsupportedMedia: http.StatusUnsupportedMediaType,
	KindTimeout:          http.StatusRequestTimeout,
	KindMethodNotAllowed: http.StatusMethodNotAllowed,
	KindQuota:            http.StatusBadRequest,
	KindNoStock:          http.StatusBadRequest,
	KindCloud:            http.StatusBadRequest,
	KindInternal:         http.StatusInternalServerError,
}

// HTTPStatus returns the HTTP status of errors of kind k.
func (k ErrorKind) HTTPStatus() int {
	if s, ok := kindStatus[k]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// codeKinds gives each ACK code its kind. Errorf looks codes up here; a
// code not listed is a validation error.
var codeKinds = map[string]ErrorKind{
	CodeUnsupportedMedia:      KindUnsupportedMedia,
	CodeBodyTooLarge:          KindTooLarge,
	CodeRequestTimeout:        KindTimeout,
	CodeClusterState:          KindConflict,
	CodeClusterNameExists:     KindConflict,
	CodeQuotaExceeded:         KindQuota,
	CodeNoStock:               KindNoStock,
	CodeIPExhausted:           KindCloud,
	CodeNodeNotFound:          KindNotFound,
	CodeNodePoolNotFound:      KindNotFound,
	CodeNodePoolState:         KindConflict,
	CodeInstanceNotFound:      KindNotFound,
	CodeClusterNotFound:       KindNotFound,
	CodeTaskNotFound:          KindNotFound,
	CodeRouteNotFound:         KindNotFound,
	CodeAccessKeyNotFound:     KindNotFound,
	CodeMissingAuthorization:  KindUnauthenticated,
	CodeThrottling:            KindThrottled,
	CodeMethodNotAllowed:      KindMethodNotAllowed,
	CodeInternal:              KindInternal,
	CodeIncompleteSignature:   KindInvalid,
	CodeSignatureMismatch:     KindInvalid,
	CodeTimestampExpired:      KindInvalid,
	CodeNonceUsed:             KindInvalid,
	CodeContentMD5Mismatch:    KindInvalid,
	CodeContentSHA256Mismatch: KindInvalid,
}

// KindOfCode returns the kind of an ACK code (KindInvalid when unlisted).
func KindOfCode(code string) ErrorKind {
	if k, ok := codeKinds[code]; ok {
		return k
	}
	return KindInvalid
}

// Error is an error a client is meant to see: its kind, an ACK code, the
// field it is about (when there is one) and a message that names that
// field.
type Error struct {
	Kind    ErrorKind
	Code    string
	Field   string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the given code (its kind from codeKinds)
// and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Kind: KindOfCode(code), Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an *Error about one field.
func FieldErrorf(code, field, format string, args ...any) *Error {
	e := Errorf(code, format, args...)
	e.Field = field
	return e
}

// CloudErrorf returns the error of a cloud call the cloud refused with
// code: KindNoStock or KindQuota for those codes, KindCloud for any other
// (an injected fault may use any code).
func CloudErrorf(code, format string, args ...any) *Error {
	e := Errorf(code, format, args...)
	switch e.Kind {
	case KindNoStock, KindQuota:
	default:
		e.Kind = KindCloud
	}
	return e
}

// ConflictErrorf returns a KindConflict error with an internal code: a
// store's unique key was already taken (a caller may retry with another
// value).
func ConflictErrorf(format string, args ...any) *Error {
	return &Error{Kind: KindConflict, Code: CodeConflictInternal, Message: fmt.Sprintf(format, args...)}
}

func asError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// ErrorCode returns the code of the first *Error in err's chain, or
// CodeInternal for any other error, or "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := asError(err); ok {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the message of the first *Error in err's chain, or
// a generic message for any other error: internal details are logged, not
// shown.
func ErrorMessage(err error) string {
	if e, ok := asError(err); ok {
		return e.Message
	}
	return "internal error"
}

// maxMessage bounds an error message an API answers: a message may quote
// the value it refuses, and that value may be a megabyte long.
const maxMessage = 1024

// ClipMessage cuts msg at maxMessage bytes (on a rune boundary), saying so.
func ClipMessage(msg string) string {
	if len(msg) <= maxMessage {
		return msg
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "… (message cut at 1 KiB)"
}

// KindOf returns the kind of the first *Error in err's chain, or
// KindInternal for any other error, or 0 for nil.
func KindOf(err error) ErrorKind {
	if err == nil {
		return 0
	}
	if e, ok := asError(err); ok {
		return e.Kind
	}
	return KindInternal
}

// HTTPStatus returns the HTTP status an API answers err with.
func HTTPStatus(err error) int { return KindOf(err).HTTPStatus() }

// IsNotFound reports whether err says that what it names does not exist.
func IsNotFound(err error) bool { return KindOf(err) == KindNotFound }

// IsConflict reports whether err is a state or unique-key conflict.
func IsConflict(err error) bool { return KindOf(err) == KindConflict }

// IsQuota reports whether err is a refusal by an account quota.
func IsQuota(err error) bool { return KindOf(err) == KindQuota }

// IsNoStock reports whether err says the cloud has no stock.
func IsNoStock(err error) bool { return KindOf(err) == KindNoStock }

// IsCloudRefusal reports whether err is the cloud refusing a call for
// good (no stock, a quota, or any other cloud error code): a task fails
// on it rather than retrying.
func IsCloudRefusal(err error) bool {
	switch KindOf(err) {
	case KindNoStock, KindQuota, KindCloud:
		return true
	}
	return false
}

// IsRetryable reports whether err is a passing failure (a store busy, a
// lost connection, a conflict on a unique key) that the same call may
// get past when tried again.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	e, ok := asError(err)
	return !ok || e.Kind == KindConflict && e.Code == CodeConflictInternal
}

// IsTransition reports whether err is an illegal state transition.
func IsTransition(err error) bool {
	var te *TransitionError
	return errors.As(err, &te)
}

// Task failure codes (in DescribeTaskInfo's error).
const (
	CodeTaskTimeout = "TaskTimeout"
)
