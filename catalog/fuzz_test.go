package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzLoad feeds arbitrary bytes to Load. Nothing may panic; an error is
// either a decode error or a *ValidationError with at least one problem;
// and whatever loads must survive a marshal round trip unchanged and still
// be valid. The seed corpus is in testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	f.Add(DefaultJSON())
	minimal, err := json.Marshal(minimalDoc())
	require.NoError(f, err)
	f.Add(minimal)

	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Load(bytes.NewReader(data))
		if err != nil {
			require.Nil(t, c)
			if verr := (*ValidationError)(nil); errors.As(err, &verr) {
				require.NotEmpty(t, verr.Problems)
			}
			return
		}
		require.NoError(t, validate(&c.doc))

		out, err := json.Marshal(c)
		require.NoError(t, err)
		again, err := Load(bytes.NewReader(out))
		require.NoError(t, err, "%s", out)
		require.Equal(t, c, again)
		require.NoError(t, validate(&again.doc))
	})
}
