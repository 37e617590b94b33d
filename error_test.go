package ackscale

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestErrorKinds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err       error
		code      string
		kind      ErrorKind
		status    int
		cloud     bool // IsCloudRefusal
		retryable bool
	}{
		{Errorf(CodeMissingParameter, "count"), CodeMissingParameter, KindInvalid, 400, false, false},
		{Errorf(CodeClusterNotFound, "c"), CodeClusterNotFound, KindNotFound, 404, false, false},
		{Errorf(CodeAccessKeyNotFound, "k"), CodeAccessKeyNotFound, KindNotFound, 404, false, false},
		{Errorf(CodeMissingAuthorization, "none"), CodeMissingAuthorization, KindUnauthenticated, 401, false, false},
		{Errorf(CodeClusterState, "busy"), CodeClusterState, KindConflict, 400, false, false},
		{Errorf(CodeThrottling, "slow"), CodeThrottling, KindThrottled, 400, false, false},
		{Errorf(CodeBodyTooLarge, "big"), CodeBodyTooLarge, KindTooLarge, 413, false, false},
		{Errorf(CodeUnsupportedMedia, "xml"), CodeUnsupportedMedia, KindUnsupportedMedia, 415, false, false},
		{Errorf(CodeRequestTimeout, "slow"), CodeRequestTimeout, KindTimeout, 408, false, false},
		{Errorf(CodeMethodNotAllowed, "get"), CodeMethodNotAllowed, KindMethodNotAllowed, 405, false, false},
		{Errorf(CodeQuotaExceeded, "q"), CodeQuotaExceeded, KindQuota, 400, true, false},
		{CloudErrorf(CodeNoStock, "sold out"), CodeNoStock, KindNoStock, 400, true, false},
		{CloudErrorf("InstanceStartFailed", "fault"), "InstanceStartFailed", KindCloud, 400, true, false},
		{CloudErrorf(CodeVSwitchNotFound, "gone"), CodeVSwitchNotFound, KindCloud, 400, true, false},
		{Errorf(CodeVSwitchNotFound, "bad body"), CodeVSwitchNotFound, KindInvalid, 400, false, false},
		{ConflictErrorf("ip taken"), CodeConflictInternal, KindConflict, 400, false, true},
		{errors.New("disk I/O error"), CodeInternal, KindInternal, 500, false, true},
		{fmt.Errorf("create instances: %w", CloudErrorf(CodeNoStock, "x")), CodeNoStock, KindNoStock, 400, true, false},
	} {
		require.Equal(t, tc.code, ErrorCode(tc.err), "%v", tc.err)
		require.Equal(t, tc.kind, KindOf(tc.err), "%v", tc.err)
		require.Equal(t, tc.status, HTTPStatus(tc.err), "%v", tc.err)
		require.Equal(t, tc.cloud, IsCloudRefusal(tc.err), "%v", tc.err)
		require.Equal(t, tc.retryable, IsRetryable(tc.err), "%v", tc.err)
	}
	require.Equal(t, "", ErrorCode(nil))
	require.False(t, IsRetryable(nil))
	require.Equal(t, "internal error", ErrorMessage(errors.New("secret detail")))
}

// Every kind has a status, and every status a kind maps to is one ACK answers.
func TestKindStatusTable(t *testing.T) {
	t.Parallel()
	for k := KindInvalid; k <= KindInternal; k++ {
		s, ok := kindStatus[k]
		require.True(t, ok, "kind %d has no status", k)
		require.NotEmpty(t, http.StatusText(s))
	}
}

func TestClipMessage(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 1023) + "é" + "tail" // é starts at byte 1023 and ends past 1024
	for _, tc := range []struct{ name, in, want string }{
		{"short", "bad value", "bad value"},
		{"exactly 1 KiB", strings.Repeat("x", 1024), strings.Repeat("x", 1024)},
		{"cut", strings.Repeat("x", 2000), strings.Repeat("x", 1024) + "… (message cut at 1 KiB)"},
		{"cut before a rune it would split", long, strings.Repeat("a", 1023) + "… (message cut at 1 KiB)"},
	} {
		require.Equal(t, tc.want, ClipMessage(tc.in), tc.name)
	}
}
