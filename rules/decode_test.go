package rules

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

type decodeCase struct {
	name, body string
	code, want string // want: a part of the message
}

func decodeCases() []decodeCase {
	deep := strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1)
	tooDeep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	return []decodeCase{
		{name: "object accepted (R16)", body: ` {"a":1,"b":{"c":[1,"x",null]}} `},
		{name: "empty object accepted (R16)", body: `{}`},
		{name: "depth 32 accepted (R16)", body: `{"a":` + deep + `}`},
		{name: "nested keys may repeat across objects (R16)", body: `{"a":{"k":1},"b":{"k":1}}`},
		{name: "empty body (R16)", body: ``, code: ackscale.CodeMalformedBody, want: "empty"},
		{name: "whitespace body (R16)", body: " \n\t", code: ackscale.CodeMalformedBody, want: "empty"},
		{name: "array body (R16)", body: `[{"count":1}]`, code: ackscale.CodeMalformedBody, want: "not a JSON object"},
		{name: "null body (R16)", body: `null`, code: ackscale.CodeMalformedBody, want: "not a JSON object"},
		{name: "form body of the old SDK (R16)", body: `count=2&key_pair=k`, code: ackscale.CodeMalformedBody, want: "offset 0"},
		{name: "byte-order mark (R16)", body: "\ufeff{}", code: ackscale.CodeMalformedBody, want: "not a JSON object"},
		{name: "trailing data (R16)", body: `{"a":1} {"b":2}`, code: ackscale.CodeMalformedBody, want: "after the JSON object"},
		{name: "trailing garbage (R16)", body: `{"a":1}x`, code: ackscale.CodeMalformedBody, want: "offset"},
		{name: "duplicate key (R16)", body: `{"count":1,"count":2}`, code: ackscale.CodeMalformedBody, want: `duplicate key "count"`},
		{name: "duplicate key by escape (R16)", body: `{"count":1,"c\u006funt":2}`, code: ackscale.CodeMalformedBody, want: `duplicate key "count"`},
		{name: "nested duplicate key (R16)", body: `{"tags":[{"key":"a","key":"b"}]}`, code: ackscale.CodeMalformedBody, want: `duplicate key "key"`},
		{name: "depth 33 rejected (R16)", body: `{"a":` + tooDeep + `}`, code: ackscale.CodeMalformedBody, want: "deeper than 32"},
		{name: "invalid UTF-8 (R16)", body: "{\"a\":\"\xff\"}", code: ackscale.CodeMalformedBody, want: "UTF-8 at offset 6"},
		{name: "syntax error with offset (R16)", body: `{"a":1,}`, code: ackscale.CodeMalformedBody, want: "offset"},
		{name: "missing colon (R16)", body: `{"a" 1}`, code: ackscale.CodeMalformedBody, want: "invalid JSON"},
		{name: "truncated (R16)", body: `{"a":[1,2`, code: ackscale.CodeMalformedBody, want: "offset"},
		{name: "too large (R16)", body: `{"a":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, code: ackscale.CodeBodyTooLarge, want: "at most"},
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	for _, tc := range decodeCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := Decode([]byte(tc.body))
			if tc.code == "" {
				require.NoError(t, err)
				var want map[string]json.RawMessage
				require.NoError(t, json.Unmarshal([]byte(tc.body), &want))
				require.Equal(t, len(want), len(m))
				return
			}
			require.Error(t, err)
			e := err.(*ackscale.Error)
			require.Equal(t, tc.code, e.Code)
			require.Contains(t, e.Message, tc.want)
		})
	}
}

// TestDecodeEveryOp: every operation reads its body through Decode.
func TestDecodeEveryOp(t *testing.T) {
	t.Parallel()
	body := []byte(`{"count":1,"count":1}`)
	for _, err := range []error{
		func() error { _, err := ScaleOut(standardTarget(), body, fakeCloud{}); return err }(),
		func() error { _, err := Scale(legacyTarget(), body, fakeCloud{}); return err }(),
		func() error { _, err := CreateCluster(body, fakeCloud{}); return err }(),
		func() error { _, err := DeleteNodes(body); return err }(),
	} {
		require.Equal(t, ackscale.CodeMalformedBody, ackscale.ErrorCode(err))
	}
}
