package sign

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

func TestParseAuthorization(t *testing.T) {
	t.Parallel()
	const sig = "0123456789abcdef"
	tests := []struct {
		name        string
		header      string
		want        Authorization
		wantCode    string
		wantMessage string // a substring of the message
	}{
		{
			name:   "ROA",
			header: "acs AK:PPPSwv0LPoLvg6rGxp7dd4uPESo=",
			want:   Authorization{Scheme: SchemeROA, AccessKeyID: "AK", Signature: "PPPSwv0LPoLvg6rGxp7dd4uPESo="},
		},
		{
			name:   "ACS3",
			header: "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;x-acs-date,Signature=" + sig,
			want:   Authorization{Scheme: SchemeACS3, AccessKeyID: "AK", SignedHeaders: []string{"host", "x-acs-date"}, Signature: sig},
		},
		{
			name:   "ACS3 fields in another order, spaces after commas",
			header: "ACS3-HMAC-SHA256 Signature=" + sig + ", Credential=AK, SignedHeaders=host",
			want:   Authorization{Scheme: SchemeACS3, AccessKeyID: "AK", SignedHeaders: []string{"host"}, Signature: sig},
		},
		{name: "empty", header: "", wantCode: ackscale.CodeMissingAuthorization},
		{name: "unknown scheme", header: "Bearer token", wantCode: ackscale.CodeIncompleteSignature, wantMessage: `must start with "acs " or "ACS3-HMAC-SHA256 "`},
		{name: "scheme without space", header: "acsAK:sig", wantCode: ackscale.CodeIncompleteSignature},
		{name: "scheme in other case", header: "ACS AK:sig", wantCode: ackscale.CodeIncompleteSignature},
		{name: "ROA without colon", header: "acs AK", wantCode: ackscale.CodeIncompleteSignature, wantMessage: "acs <AccessKeyId>:<Signature>"},
		{name: "ROA without key", header: "acs :sig", wantCode: ackscale.CodeIncompleteSignature},
		{name: "ROA without signature", header: "acs AK:", wantCode: ackscale.CodeIncompleteSignature},
		{name: "ACS3 bare", header: "ACS3-HMAC-SHA256 ", wantCode: ackscale.CodeIncompleteSignature, wantMessage: "is not name=value"},
		{name: "ACS3 no Credential", header: "ACS3-HMAC-SHA256 SignedHeaders=host,Signature=" + sig, wantCode: ackscale.CodeIncompleteSignature, wantMessage: "has no Credential"},
		{name: "ACS3 no SignedHeaders", header: "ACS3-HMAC-SHA256 Credential=AK,Signature=" + sig, wantCode: ackscale.CodeIncompleteSignature, wantMessage: "has no SignedHeaders"},
		{name: "ACS3 no Signature", header: "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host", wantCode: ackscale.CodeIncompleteSignature, wantMessage: "has no Signature"},
		{name: "ACS3 empty Credential", header: "ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=" + sig, wantCode: ackscale.CodeIncompleteSignature, wantMessage: "has no Credential"},
		{name: "ACS3 unknown field", header: "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host,Signature=" + sig + ",Region=x", wantCode: ackscale.CodeIncompleteSignature, wantMessage: `unknown field "Region"`},
		{name: "ACS3 repeated field", header: "ACS3-HMAC-SHA256 Credential=AK,Credential=BK,SignedHeaders=host,Signature=" + sig, wantCode: ackscale.CodeIncompleteSignature, wantMessage: "repeats Credential"},
		{name: "ACS3 part without =", header: "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host," + sig, wantCode: ackscale.CodeIncompleteSignature, wantMessage: "part 3"},
		{name: "SignedHeaders upper case", header: "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=Host,Signature=" + sig, wantCode: ackscale.CodeIncompleteSignature, wantMessage: "lower-case"},
		{name: "SignedHeaders empty entry", header: "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;;x-acs-date,Signature=" + sig, wantCode: ackscale.CodeIncompleteSignature},
		{name: "SignedHeaders unsorted", header: "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=x-acs-date;host,Signature=" + sig, wantCode: ackscale.CodeIncompleteSignature, wantMessage: "sorted"},
		{name: "SignedHeaders repeated", header: "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;host,Signature=" + sig, wantCode: ackscale.CodeIncompleteSignature, wantMessage: "without repeats"},
		{name: "SignedHeaders with authorization", header: "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=authorization;host,Signature=" + sig, wantCode: ackscale.CodeIncompleteSignature, wantMessage: "must not include authorization"},
		{name: "SignedHeaders with space", header: "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host; x-acs-date,Signature=" + sig, wantCode: ackscale.CodeIncompleteSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseAuthorization(tt.header)
			if tt.wantCode == "" {
				require.NoError(t, err)
				require.Equal(t, tt.want, got)
				return
			}
			require.Error(t, err)
			require.Equal(t, tt.wantCode, ackscale.ErrorCode(err))
			require.Contains(t, ackscale.ErrorMessage(err), tt.wantMessage)
			require.NotContains(t, ackscale.ErrorMessage(err), sig, "the message must not echo a signature")
		})
	}
}
