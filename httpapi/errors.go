package httpapi

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
