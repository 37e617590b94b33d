package sign

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLower(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    http.Header
		want lowered
	}{
		{"canonical names", http.Header{"X-Acs-Date": {"d"}, "Authorization": {"a"}},
			lowered{"x-acs-date": {"d"}, "authorization": {"a"}}},
		{"one name in two spellings, merged in the spellings' order",
			http.Header{"x-acs-date": {"late"}, "X-Acs-Date": {"early"}, "Host": {"h"}},
			lowered{"x-acs-date": {"early", "late"}, "host": {"h"}}},
		{"three spellings", http.Header{"x-acs-nonce": {"3"}, "X-ACS-NONCE": {"1"}, "X-Acs-Nonce": {"2"}},
			lowered{"x-acs-nonce": {"1", "2", "3"}}},
		{"empty", http.Header{}, lowered{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 20 { // map order varies from run to run; the answer must not
				require.Equal(t, tc.want, lower(tc.h))
			}
		})
	}
}

// TestLowerName: lowerName is strings.ToLower, for the known names in
// the server's spelling and for any other spelling.
func TestLowerName(t *testing.T) {
	require.NotEmpty(t, knownNames)
	for canonical, lower := range knownNames {
		require.Equal(t, strings.ToLower(canonical), lower, canonical)
		require.Equal(t, lower, lowerName(canonical))
	}
	for _, name := range []string{"X-ACS-DATE", "x-acs-date", "X-Acs-Unknown", "", "Ünicode-Name"} {
		require.Equal(t, strings.ToLower(name), lowerName(name), name)
	}
}
