package httpapi

import (
	"net/http"

	"github.com/ackscale/ackscale"
)

// statusOf is the one table from ACK error code to HTTP status. A code not
// listed is a validation error (400); InternalError is 500.
var statusOf = map[string]int{
	ackscale.CodeClusterNotFound:       http.StatusNotFound,
	ackscale.CodeTaskNotFound:          http.StatusNotFound,
	ackscale.CodeRouteNotFound:         http.StatusNotFound,
	ackscale.CodeNodeNotFound:          http.StatusNotFound,
	ackscale.CodeAccessKeyNotFound:     http.StatusNotFound,
	ackscale.CodeMissingAuthorization:  http.StatusUnauthorized,
	ackscale.CodeIncompleteSignature:   http.StatusBadRequest,
	ackscale.CodeSignatureMismatch:     http.StatusBadRequest,
	ackscale.CodeTimestampExpired:      http.StatusBadRequest,
	ackscale.CodeNonceUsed:             http.StatusBadRequest,
	ackscale.CodeContentMD5Mismatch:    http.StatusBadRequest,
	ackscale.CodeContentSHA256Mismatch: http.StatusBadRequest,
	ackscale.CodeUnsupportedMedia:      http.StatusUnsupportedMediaType,
	ackscale.CodeBodyTooLarge:          http.StatusRequestEntityTooLarge,
	ackscale.CodeRequestTimeout:        http.StatusRequestTimeout,
	ackscale.CodeClusterState:          http.StatusBadRequest,
	ackscale.CodeQuotaExceeded:         http.StatusBadRequest,
	ackscale.CodeThrottling:            http.StatusBadRequest, // as ACK answers Throttling.User
	ackscale.CodeInternal:              http.StatusInternalServerError,
	codeMethodNotAllowed:               http.StatusMethodNotAllowed,
}

const codeMethodNotAllowed = "InvalidAction.MethodNotAllowed"

// httpStatus returns the HTTP status of an ACK code.
func httpStatus(code string) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusBadRequest
}

// errorBody is ACK's error envelope with both key spellings, so that the old
// Go SDK (case-sensitive Code/Message/RequestId) and the darabonba SDKs
// (code/message/requestId) both read it.
type errorBody struct {
	Code       string `json:"code" xml:"-"`
	Message    string `json:"message" xml:"-"`
	RequestID  string `json:"requestId" xml:"-"`
	CodeU      string `json:"Code" xml:"Code"`
	MessageU   string `json:"Message" xml:"Message"`
	RequestIDU string `json:"RequestId" xml:"RequestId"`
	HostID     string `json:"HostId" xml:"HostId"`
	Status     int    `json:"status" xml:"-"`
}

func newErrorBody(code, msg, requestID, host string, status int) errorBody {
	return errorBody{Code: code, Message: msg, RequestID: requestID, CodeU: code, MessageU: msg,
		RequestIDU: requestID, HostID: host, Status: status}
}
