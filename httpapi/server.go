// Package httpapi serves ACK's CS OpenAPI (2015-12-15, ROA style): routes,
// signature checks, body decoding and validation, and ACK's error envelope.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/ops"
	"github.com/ackscale/ackscale/sign"
)

// Accounts is what the API reads to authenticate a request: the key's
// account and secret, and the signature nonces seen.
type Accounts interface {
	AccountGetByKey(ctx context.Context, accessKeyID string) (ackscale.Account, string, error)
	NonceUse(ctx context.Context, p ackscale.NonceUseParams) (fresh bool, err error)
}

// Config configures a Server.
type Config struct {
	Accounts    Accounts
	Ops         *ops.Service
	Logger      *slog.Logger
	Now         func() time.Time
	MaxBodySize int64 // default 1 MiB
	// RateLimit is each account's sustained requests per second (0: no
	// limit), Burst how many it may send at once.
	RateLimit float64
	Burst     int
}

// Server is the CS API server.
type Server struct {
	cfg      Config
	log      *slog.Logger
	verify   *sign.Verifier
	mux      *http.ServeMux
	throttle *throttle
}

// New returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Accounts == nil || cfg.Ops == nil {
		return nil, errors.New("httpapi: Accounts and Ops are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = ackscale.NowUTC
	}
	if cfg.MaxBodySize <= 0 {
		cfg.MaxBodySize = 1 << 20
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	s.verify = &sign.Verifier{Nonces: nonces{cfg.Accounts}, Now: cfg.Now, MaxSkew: 15 * time.Minute}
	s.mux = s.routes()
	s.throttle = newThrottle(cfg.RateLimit, cfg.Burst)
	return s, nil
}

// authenticate checks r's signature and returns the account that signed
// it. The account is read once, by the Verifier's secret lookup; a store
// failure there is an internal error, not an unknown key.
func (s *Server) authenticate(ctx context.Context, r *http.Request, body []byte) (ackscale.Account, error) {
	var account ackscale.Account
	var lookupErr error
	v := *s.verify // per request: the lookup keeps what it read
	v.SecretFunc = func(accessKeyID string) (string, bool) {
		a, secret, err := s.cfg.Accounts.AccountGetByKey(ctx, accessKeyID)
		if err != nil {
			if !ackscale.IsNotFound(err) {
				lookupErr = err
			}
			return "", false
		}
		account = a
		return secret, true
	}
	if _, err := v.Verify(ctx, r, body); err != nil {
		if lookupErr != nil {
			return account, fmt.Errorf("look up access key: %w", lookupErr)
		}
		return account, err
	}
	return account, nil
}

// nonces adapts the account store to the Verifier's nonce check.
type nonces struct{ a Accounts }

func (n nonces) UseNonce(ctx context.Context, accessKeyID, nonce string, expires time.Time) (bool, error) {
	return n.a.NonceUse(ctx, ackscale.NonceUseParams{AccessKeyID: accessKeyID, Nonce: nonce, Expires: expires})
}

// request is what a handler gets: the request, its body, the caller.
type request struct {
	*http.Request
	id      string
	body    []byte
	account ackscale.Account
	op      string // the operation's name, once routed
	log     *slog.Logger
}

// caller is who asks, for the operations layer.
func (r *request) caller() ops.Caller { return ops.Caller{AccountID: r.account.ID, RequestID: r.id} }

// response is what a handler returns on success.
type response struct {
	status int
	body   any
}

// ServeHTTP answers one request: request id, body limit, signature,
// throttle, version and content coding, route, handler, envelope. Every
// answer carries the request id.
func (s *Server) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	start := s.cfg.Now()
	r := &request{Request: hr, id: ackscale.NewRequestID()}
	r.log = s.log.With("request_id", r.id)
	w.Header().Set("x-acs-request-id", r.id)
	resp, err := s.serve(hr.Context(), w, r)
	if err != nil {
		s.writeError(w, r, err)
	} else {
		write(w, hr, resp.status, resp.body)
	}
	r.log.Info("request", "method", hr.Method, "path", hr.URL.Path, "operation", r.op,
		"account_id", r.account.ID, "code", ackscale.ErrorCode(err), "duration_ms", s.cfg.Now().Sub(start).Milliseconds())
}

func (s *Server) serve(ctx context.Context, w http.ResponseWriter, r *request) (resp response, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("panic", "panic", p)
			err = ackscale.Errorf(ackscale.CodeInternal, "internal error")
		}
	}()
	if r.Header.Get("Authorization") == "" { // refused before its body is read
		return resp, ackscale.Errorf(ackscale.CodeMissingAuthorization, "the request has no Authorization header")
	}
	body, err := readBody(r.Request, s.cfg.MaxBodySize)
	if err != nil {
		return resp, err
	}
	r.body = body
	account, err := s.authenticate(ctx, r.Request, body)
	if err != nil {
		return resp, err
	}
	r.account = account
	r.log = r.log.With("account_id", account.ID)
	if ok, wait := s.throttle.allow(account.ID, s.cfg.Now()); !ok {
		return resp, throttled(w, wait)
	}
	if err := checkHeaders(r.Request); err != nil {
		return resp, err
	}
	op, err := s.route(r.Request)
	if err != nil {
		return resp, err
	}
	r.op = op.name
	return op.handle(ctx, r)
}

// readBody reads at most limit bytes; a larger body is refused with 413
// before it is read whole.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, ackscale.Errorf(ackscale.CodeBodyTooLarge, "the request body is %d bytes; the limit is %d", r.ContentLength, limit)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return nil, ackscale.Errorf(ackscale.CodeRequestTimeout, "the request body did not arrive within the server's read timeout")
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, ackscale.Errorf(ackscale.CodeBodyTooLarge, "the request body is over the limit of %d bytes", limit)
	}
	if err != nil {
		return nil, ackscale.Errorf(ackscale.CodeMalformedBody, "the request body could not be read whole")
	}
	if int64(len(body)) > limit {
		return nil, ackscale.Errorf(ackscale.CodeBodyTooLarge, "the request body is over the limit of %d bytes", limit)
	}
	return body, nil
}

func (s *Server) writeError(w http.ResponseWriter, r *request, err error) {
	code := ackscale.ErrorCode(err)
	if code == ackscale.CodeInternal {
		r.log.Error("internal error", "err", err)
	}
	status := ackscale.HTTPStatus(err)
	write(w, r.Request, status, newErrorBody(code, clip(ackscale.ErrorMessage(err)), r.id, hostOf(r.Request), status))
}

// maxMessage bounds an error message: a message may quote the value it
// refuses, and that value may be a megabyte long.
const maxMessage = 1024

func clip(msg string) string {
	if len(msg) <= maxMessage {
		return msg
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "… (message cut at 1 KiB)"
}

func hostOf(r *http.Request) string {
	if h := r.Host; h != "" {
		return strings.ToLower(h)
	}
	return "cs.aliyuncs.com"
}
