package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/cs"
	"github.com/spf13/pflag"
)

// Defaults of the client commands when neither a flag, the environment nor
// a profile says otherwise.
const (
	defaultEndpoint = "http://127.0.0.1:9696"
	defaultDataDir  = "./ackscale-data"
	defaultRegion   = "cn-hangzhou"
)

// clientFlags are the flags every client command shares: where the server
// is, which key signs, and how answers are printed.
type clientFlags struct {
	endpoint, addr  string
	accessKeyID     string
	accessKeySecret string
	profile         string
	dataDir         string
	output          string
}

// add puts the flags on fs (a command's persistent flags, so its
// subcommands have them too).
func (f *clientFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.endpoint, "endpoint", "", "server address, host:port or a URL (env ACKSCALE_ENDPOINT; default "+defaultEndpoint+")")
	fs.StringVar(&f.addr, "addr", "", "same as --endpoint (kept for older scripts)")
	_ = fs.MarkHidden("addr")
	fs.StringVar(&f.accessKeyID, "access-key-id", "", "access key id (env ACKSCALE_ACCESS_KEY_ID)")
	fs.StringVar(&f.accessKeySecret, "access-key-secret", "", "access key secret (env ACKSCALE_ACCESS_KEY_SECRET)")
	fs.StringVar(&f.profile, "profile", "", "profile of the config file to use (env ACKSCALE_PROFILE; see: ackscale configure)")
	fs.StringVar(&f.dataDir, "data", defaultDataDir, "data directory whose default-key.json is used when no key is set otherwise")
	fs.StringVarP(&f.output, "output", "o", "table", "output format of answers: table or json")
}

// target is a resolved server address and signing key.
type target struct {
	Endpoint        *url.URL
	AccessKeyID     string
	AccessKeySecret string
	RegionID        string
	// AdminToken is the profile's admin token, if it has one.
	AdminToken string
}

// resolveEndpoint finds the server's address: --endpoint (or --addr), then
// ACKSCALE_ENDPOINT, then the profile, then 127.0.0.1:9696.
func (f *clientFlags) resolveEndpoint(p profile) (*url.URL, error) {
	raw := firstNonEmpty(f.endpoint, f.addr, os.Getenv("ACKSCALE_ENDPOINT"), p.Endpoint, defaultEndpoint)
	return parseEndpoint(raw)
}

// resolve finds the server and the key. Each value comes from the first of:
// the flag, the environment, the profile (--profile, ACKSCALE_PROFILE or
// the config file's current one), and last the defaults: 127.0.0.1:9696 and
// the data dir's default-key.json.
func (f *clientFlags) resolve() (target, error) {
	p, err := loadProfile(f.profile)
	if err != nil {
		return target{}, err
	}
	ep, err := f.resolveEndpoint(p)
	if err != nil {
		return target{}, err
	}
	t := target{Endpoint: ep, RegionID: firstNonEmpty(p.RegionID, defaultRegion), AdminToken: p.AdminToken}
	switch {
	case f.accessKeyID != "" || f.accessKeySecret != "":
		t.AccessKeyID, t.AccessKeySecret = f.accessKeyID, f.accessKeySecret
	case os.Getenv("ACKSCALE_ACCESS_KEY_ID") != "" || os.Getenv("ACKSCALE_ACCESS_KEY_SECRET") != "":
		t.AccessKeyID, t.AccessKeySecret = os.Getenv("ACKSCALE_ACCESS_KEY_ID"), os.Getenv("ACKSCALE_ACCESS_KEY_SECRET")
	case p.AccessKeyID != "":
		t.AccessKeyID, t.AccessKeySecret = p.AccessKeyID, p.AccessKeySecret
	default:
		dir := firstNonEmpty(f.dataDir, defaultDataDir)
		if dir == defaultDataDir && p.DataDir != "" {
			dir = p.DataDir // --data left as it is: the profile's
		}
		k, err := readKeyFile(filepath.Join(dir, "default-key.json"))
		if err != nil {
			return target{}, fmt.Errorf("no key: set --access-key-id/--access-key-secret, ACKSCALE_ACCESS_KEY_ID/SECRET, "+
				"a profile (ackscale configure set), or --data to the server's data dir: %w", err)
		}
		t.AccessKeyID, t.AccessKeySecret = k.AccessKeyID, k.AccessKeySecret
	}
	if t.AccessKeyID == "" || t.AccessKeySecret == "" {
		return target{}, errors.New("no key: an access key id needs its secret, and a secret its id")
	}
	return t, nil
}

func readKeyFile(path string) (keyFile, error) {
	var k keyFile
	b, err := os.ReadFile(path)
	if err != nil {
		return k, err
	}
	if err := json.Unmarshal(b, &k); err != nil {
		return k, fmt.Errorf("read %s: %w", path, err)
	}
	return k, nil
}

// parseEndpoint reads host:port, http://host:port or https://host:port.
func parseEndpoint(raw string) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("endpoint %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("endpoint %q: the scheme must be http or https", raw)
	}
	if u.Hostname() == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("endpoint %q: want host:port or a URL without a path", raw)
	}
	u.Path = ""
	return u, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// api resolves the server and key and makes the SDK client.
func (f *clientFlags) api() (*api, error) {
	t, err := f.resolve()
	if err != nil {
		return nil, err
	}
	return newAPI(t)
}

// readAPI checks --output, then makes the client: the start of every
// command that prints an answer.
func (f *clientFlags) readAPI() (*api, error) {
	if err := checkOutput(f.output); err != nil {
		return nil, err
	}
	return f.api()
}

// api is the official Go SDK's CS client (alibaba-cloud-sdk-go/services/cs,
// ROA HMAC-SHA1) pointed at one ackscale server: the CLI signs as any
// client does.
type api struct {
	c                  *cs.Client
	scheme, host, port string
	endpoint           string
}

// newAPI makes the SDK client of t. The SDK does not retry on its own: a
// command that repeats a request signs it again.
func newAPI(t target) (*api, error) {
	cfg := sdk.NewConfig().WithAutoRetry(false).WithTimeout(30 * time.Second)
	c, err := cs.NewClientWithOptions(t.RegionID, cfg, credentials.NewAccessKeyCredential(t.AccessKeyID, t.AccessKeySecret))
	if err != nil {
		return nil, err
	}
	c.AppendUserAgent("ackscale-cli", version())
	if isLoopback(t.Endpoint.Hostname()) {
		// The SDK sends through HTTP_PROXY unless NO_PROXY matches; a
		// server on this machine is never behind a proxy.
		c.SetNoProxy(regexp.QuoteMeta(t.Endpoint.Hostname()))
	}
	port := t.Endpoint.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[t.Endpoint.Scheme]
	}
	return &api{c: c, scheme: t.Endpoint.Scheme, host: t.Endpoint.Hostname(), port: port,
		endpoint: t.Endpoint.Scheme + "://" + net.JoinHostPort(t.Endpoint.Hostname(), port)}, nil
}

// roa points a typed ROA request at the server, with a JSON body when body
// is not nil and a fresh x-acs-signature-nonce, which the SDK does not send
// on its own: with it, two identical requests in the same second are two
// requests, not a replay.
func (a *api) roa(r *requests.RoaRequest, body []byte) {
	r.Scheme, r.Domain, r.Port = a.scheme, a.host, a.port
	r.SetReadTimeout(30 * time.Second)
	r.SetConnectTimeout(5 * time.Second)
	r.GetHeaders()["x-acs-signature-nonce"] = nonce()
	if body != nil {
		r.SetContent(body)
		r.SetContentType("application/json")
	}
}

// common is a ROA request the SDK has no typed request for.
func (a *api) common(method, path string, query map[string]string, body []byte) *requests.CommonRequest {
	r := requests.NewCommonRequest()
	r.Method, r.Product, r.Version, r.PathPattern = method, "CS", "2015-12-15", path
	r.Scheme, r.Domain, r.Port = a.scheme, a.host, a.port
	r.SetReadTimeout(30 * time.Second)
	r.SetConnectTimeout(5 * time.Second)
	r.GetHeaders()["x-acs-signature-nonce"] = nonce()
	for k, v := range query {
		r.QueryParams[k] = v
	}
	if body != nil {
		r.SetContent(body)
		r.SetContentType("application/json")
	}
	return r
}

// do sends req and returns the answer's body, with the SDK's errors made
// readable.
func (a *api) do(req requests.AcsRequest) ([]byte, error) {
	if c, ok := req.(*requests.CommonRequest); ok {
		c.TransToAcsRequest()
	}
	resp := responses.NewCommonResponse()
	if err := a.c.DoAction(req, resp); err != nil {
		return nil, a.explain(err)
	}
	return resp.GetHttpContentBytes(), nil
}

// doJSON sends req and decodes the answer into out.
func (a *api) doJSON(req requests.AcsRequest, out any) error {
	_, err := a.doRaw(req, out)
	return err
}

// doRaw sends req, decodes the answer into out and returns it as the
// server wrote it, for -o json.
func (a *api) doRaw(req requests.AcsRequest, out any) ([]byte, error) {
	b, err := a.do(req)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return b, fmt.Errorf("read the answer of %s: %w", req.GetActionName(), err)
	}
	return b, nil
}

// apiError is an error answer of the server.
type apiError struct {
	Status            int
	Code, Message, ID string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s: %s (HTTP %d, request %s)", e.Code, e.Message, e.Status, e.ID)
}

// explain turns the SDK's multi-line errors into one line: the server's
// code and message, or what kept the request from the server.
func (a *api) explain(err error) error {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		return &apiError{Status: se.HttpStatus(), Code: se.ErrorCode(), Message: se.Message(), ID: se.RequestId()}
	}
	cause := err
	var ce *sdkerrors.ClientError
	if errors.As(err, &ce) && ce.OriginError() != nil {
		cause = ce.OriginError()
	}
	var ue *url.Error
	if errors.As(cause, &ue) {
		return fmt.Errorf("cannot reach ackscale at %s (is `ackscale serve` running? set --endpoint or ACKSCALE_ENDPOINT): %w",
			a.endpoint, ue.Err)
	}
	return err
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func nonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
