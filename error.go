package ackscale

import (
	"errors"
	"fmt"
)

// ACK error codes the server answers with. httpapi maps each to an HTTP
// status in one table; docs/api.md lists them all.
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
	CodeClusterNotFound = "ErrorClusterNotFound"
	CodeTaskNotFound    = "ErrorTaskNotFound"
	CodeRouteNotFound   = "InvalidAction.NotFound"

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
	CodeThrottling = "Throttling.User"
	CodeInternal   = "InternalError"
)

// Error is an error a client is meant to see: an ACK code, the field it is
// about (when there is one) and a message that names that field.
type Error struct {
	Code    string
	Field   string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an *Error about one field.
func FieldErrorf(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or
// CodeInternal for any other error, or "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the message of the first *Error in err's chain, or a
// generic message for any other error: internal details are logged, not shown.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// Task failure codes (in DescribeTaskInfo's error).
const (
	CodeTaskTimeout = "TaskTimeout"
)
