package rpcapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/ackscale/ackscale"
)

// Error codes of the VPC and ECS APIs that the root's table does not have.
// Codes not in the root's table are validation errors (HTTP 400) unless
// made with notFound.
const (
	// CodeInvalidVersion answers a Version no API here has.
	CodeInvalidVersion = "InvalidVersion"
	// CodeVSwitchNotFound is what VPC's DescribeVSwitchAttributes answers
	// for an unknown vSwitch, spelled as the Terraform provider matches it.
	CodeVSwitchNotFound = "InvalidVswitchID.NotFound"
	// CodeVpcNotFound answers an unknown VpcId where one must exist.
	CodeVpcNotFound = "InvalidVpcId.NotFound"
	// CodeZoneNotFound answers an unknown ZoneId.
	CodeZoneNotFound = "InvalidZoneId.NotFound"
)

// notFound returns a KindNotFound error (HTTP 404) with code.
func notFound(code, field, format string, args ...any) error {
	e := ackscale.FieldErrorf(code, field, format, args...)
	e.Kind = ackscale.KindNotFound
	return e
}

// errorBody is the RPC APIs' error envelope, read by the old Go SDK
// (sdk/errors.ServerError: RequestId, HostId, Code, Message, Recommend)
// and darabonba (Code, Message, RequestId).
type errorBody struct {
	RequestID string `json:"RequestId"`
	HostID    string `json:"HostId"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	Recommend string `json:"Recommend"`
}

func (h *Handler) writeError(w http.ResponseWriter, c *call, err error) {
	code := ackscale.ErrorCode(err)
	if code == ackscale.CodeInternal {
		c.log.Error("internal error", "err", err)
	}
	host := c.api.host
	if c.r.Host != "" {
		host = strings.ToLower(c.r.Host)
	}
	product := c.api.product
	if product == "" {
		product = "Ecs"
	}
	writeJSON(w, ackscale.HTTPStatus(err), errorBody{
		RequestID: c.id, HostID: host, Code: code, Message: ackscale.ClipMessage(ackscale.ErrorMessage(err)),
		Recommend: "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(code) + "&product=" + product,
	})
}

// writeJSON sends v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"Code":"InternalError","Message":"encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// actionNames lists an API's actions, sorted.
func actionNames(a api) []string {
	names := make([]string, 0, len(a.actions))
	for name := range a.actions {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
