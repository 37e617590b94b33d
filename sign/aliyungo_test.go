package sign

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/denverdino/aliyungo/common"
	"github.com/denverdino/aliyungo/cs"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// TestVerifyRealAliyungoClient signs with the real aliyungo cs client (the
// SDK older Terraform used), which signs URL.RequestURI() and sends a nonce,
// against a server that verifies with the real clock.
func TestVerifyRealAliyungoClient(t *testing.T) {
	t.Parallel()
	v := &Verifier{SecretFunc: secrets(map[string]string{testAK: testSecret}), Nonces: newMemNonces()}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err == nil {
			_, err = v.Verify(r.Context(), r, body)
		}
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"Code": ackscale.ErrorCode(err), "Message": ackscale.ErrorMessage(err)})
			return
		}
		_, _ = io.WriteString(w, "{}")
	}))
	t.Cleanup(srv.Close)

	newClient := func(secret string) *cs.Client {
		c := cs.NewClient(testAK, secret)
		c.SetEndpoint(srv.URL)
		return c
	}
	query := url.Values{"pageSize": {"10"}, "nodepool_id": {"np a*b~/"}, "empty": {""}}
	tests := []struct {
		name     string
		secret   string
		method   string
		query    url.Values
		args     any
		wantCode string
	}{
		{name: "GET with an escaped query", secret: testSecret, method: http.MethodGet, query: query},
		{name: "PUT with a body", secret: testSecret, method: http.MethodPut, args: map[string]int{"num_of_nodes": 3}},
		{name: "wrong secret", secret: "wrongSecret", method: http.MethodGet, query: query, wantCode: ackscale.CodeSignatureMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := newClient(tt.secret).Invoke("", tt.method, "/clusters/c1234/nodes", tt.query, tt.args, nil)
			if tt.wantCode == "" {
				require.NoError(t, err)
				return
			}
			var apiErr *common.Error
			require.True(t, errors.As(err, &apiErr), "%v", err)
			require.Equal(t, tt.wantCode, apiErr.Code)
		})
	}
}
