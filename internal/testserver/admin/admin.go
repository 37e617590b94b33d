// Package admin calls the admin interface of a running ackscale server, for
// the harnesses that drive one: testserver's Server.Admin and the bench.
// It needs no testing.TB, so programs use it too.
package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// Client calls one server's admin interface with its bearer token.
type Client struct {
	URL   string // http://host:port
	Token string
}

// Do sends method on /admin/v1/path with in as the JSON body (none when
// nil), decoding the answer into out (when not nil). A status of 300 or
// more is an error.
func (c Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL+"/admin/v1/"+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	switch {
	case err != nil:
		return err
	case resp.StatusCode >= 300:
		return fmt.Errorf("admin %s %s: %d %s", method, path, resp.StatusCode, raw)
	case out != nil:
		return json.Unmarshal(raw, out)
	}
	return nil
}
