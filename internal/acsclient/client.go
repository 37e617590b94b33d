// Package acsclient is a minimal ACS3-HMAC-SHA256 signing client of the CS
// API, for ackscale's own harnesses (crash, soak, benchmarks). The official
// clients are exercised by the e2e tests; this one is small and fast.
package acsclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ackscale/ackscale/sign"
)

// Client sends signed requests to one ackscale server.
type Client struct {
	BaseURL     string // http://127.0.0.1:9696
	AccessKeyID string
	Secret      string
	HTTP        *http.Client
}

// Error is a non-2xx answer.
type Error struct {
	Status    int
	Code      string
	Message   string
	RequestID string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s (request %s)", e.Status, e.Code, e.Message, e.RequestID)
}

// Do sends method path with body (JSON-encoded unless nil or []byte) and
// decodes a 2xx answer into out (when not nil).
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	payload, err := encode(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	c.sign(req, payload)
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct{ Code, Message, RequestId string }
		_ = json.Unmarshal(raw, &e)
		return &Error{Status: resp.StatusCode, Code: e.Code, Message: e.Message, RequestID: e.RequestId}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

func encode(body any) ([]byte, error) {
	switch b := body.(type) {
	case nil:
		return nil, nil
	case []byte:
		return b, nil
	default:
		return json.Marshal(b)
	}
}

// sign signs req as the client's account.
func (c *Client) sign(req *http.Request, payload []byte) {
	if len(payload) > 0 {
		req.Header.Set("content-type", "application/json; charset=utf-8")
	}
	Sign(req, payload, c.AccessKeyID, c.Secret)
}

// Sign signs req, whose body is payload, with ACS3-HMAC-SHA256 as
// darabonba's signer does. It adds x-acs-version and x-acs-action unless
// set, and a fresh x-acs-date, nonce and x-acs-content-sha256; it signs host,
// content-type when set, and every x-acs-* header, so headers a caller sets
// before calling it are covered too. Accept defaults to JSON, unsigned.
func Sign(req *http.Request, payload []byte, accessKeyID, secret string) {
	sum := sha256.Sum256(payload)
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	for k, v := range map[string]string{"x-acs-version": "2015-12-15", "x-acs-action": "ackscale-client", "accept": "application/json"} {
		if req.Header.Get(k) == "" {
			req.Header.Set(k, v)
		}
	}
	req.Header.Set("x-acs-date", time.Now().UTC().Format(sign.ACS3DateFormat))
	req.Header.Set("x-acs-signature-nonce", hex.EncodeToString(nonce))
	req.Header.Set("x-acs-content-sha256", hex.EncodeToString(sum[:]))
	names := []string{"host"}
	for k := range req.Header {
		if k = strings.ToLower(k); strings.HasPrefix(k, "x-acs-") || k == "content-type" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	canon := sign.ACS3CanonicalRequest(req.Method, req.URL.EscapedPath(), req.URL.RawQuery, req.Header, req.URL.Host, names,
		hex.EncodeToString(sum[:]))
	req.Header.Set("Authorization", "ACS3-HMAC-SHA256 Credential="+accessKeyID+",SignedHeaders="+strings.Join(names, ";")+
		",Signature="+sign.ACS3Signature(secret, canon))
}

// Accepted is the answer of an asynchronous operation.
type Accepted struct {
	ClusterID string `json:"cluster_id"`
	RequestID string `json:"request_id"`
	TaskID    string `json:"task_id"`
}

// Task is the part of DescribeTaskInfo the harnesses read.
type Task struct {
	TaskID string `json:"task_id"`
	State  string `json:"state"`
	Error  *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// WaitTask polls DescribeTaskInfo until the task is no longer running.
func (c *Client) WaitTask(ctx context.Context, taskID string, poll time.Duration) (Task, error) {
	for {
		var t Task
		err := c.Do(ctx, "GET", "/tasks/"+url.PathEscape(taskID), nil, &t)
		if err == nil && t.State != "running" {
			return t, nil
		}
		select {
		case <-ctx.Done():
			return t, fmt.Errorf("wait task %s: %w (last error: %v)", taskID, ctx.Err(), err)
		case <-time.After(poll):
		}
	}
}
