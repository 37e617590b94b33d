// Package httpapi serves ACK's CS OpenAPI (2015-12-15, ROA style): routes,
// signature checks, body decoding and validation, and ACK's error envelope.
package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/ops"
	"github.com/ackscale/ackscale/sign"
)

// Config configures a Server.
type Config struct {
	Accounts    sign.Accounts // the account store: keys and nonces
	Ops         *ops.Service
	Logger      *slog.Logger
	Now         func() time.Time
	MaxBodySize int64 // default 1 MiB
	// RateLimit is each account's sustained requests per second (0: no
	// limit), Burst how many it may send at once.
	RateLimit float64
	Burst     int
	// Limiter, when set, decides instead of RateLimit and Burst: a budget
	// the replicas of one database share.
	Limiter Limiter
	// Metrics is the registry the server adds its request metrics to and
	// serves at /metrics (default: a registry of its own).
	Metrics *prometheus.Registry
	// Ready lists the checks of one /readyz request (none: always ready).
	Ready func(ctx context.Context) []Check
	// Version is the version GET / names.
	Version string
}

// Server is the CS API server.
type Server struct {
	cfg      Config
	log      *slog.Logger
	verify   *sign.AccountVerifier
	mux      *http.ServeMux
	public   *http.ServeMux // served without a signature (health.go)
	throttle Limiter
	metrics  *requestMetrics
	answers  answers // kept answers of the reads clients poll (answers.go)
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
	if cfg.Metrics == nil {
		cfg.Metrics = prometheus.NewRegistry()
	}
	s := &Server{cfg: cfg, log: cfg.Logger, answers: answers{max: maxAnswers, maxBytes: maxAnswerBytes}}
	var err error
	if s.metrics, err = newRequestMetrics(cfg.Metrics); err != nil {
		return nil, err
	}
	s.verify = sign.NewAccountVerifier(cfg.Accounts, sign.Verifier{Now: cfg.Now, MaxSkew: 15 * time.Minute})
	s.mux = s.routes()
	s.public = s.publicRoutes()
	s.throttle = cfg.Limiter
	if s.throttle == nil {
		s.throttle = newThrottle(cfg.RateLimit, cfg.Burst, cfg.Now)
	}
	return s, nil
}

// authenticate checks r's signature and returns the account that signed
// it. The account is read once, by the Verifier's secret lookup; a store
// failure there is an internal error, not an unknown key.
func (s *Server) authenticate(ctx context.Context, r *http.Request, body []byte) (ackscale.Account, error) {
	return s.verify.Verify(ctx, r, body)
}

// request is what a handler gets: the request, its body, the caller.
type request struct {
	*http.Request
	id      string
	body    []byte
	account ackscale.Account
	op      string // the operation's name, once routed
}

// logger is s's logger with the request's id and, once authenticated, its
// account: made only when a line is logged (most requests log only their
// access line, logAndCount).
func (r *request) logger(s *Server) *slog.Logger {
	if r.account.ID == "" {
		return s.log.With("request_id", r.id)
	}
	return s.log.With("request_id", r.id, "account_id", r.account.ID)
}

// caller is who asks, for the operations layer.
func (r *request) caller() ops.Caller { return ops.Caller{AccountID: r.account.ID, RequestID: r.id} }

// response is what a handler returns on success: a body to encode, or
// an answer encoded already (answers.go).
type response struct {
	status  int
	body    any
	encoded *keptAnswer
}

// ServeHTTP answers one request. GET of the index, /healthz, /readyz and
// /metrics is answered without a signature (health.go); anything else is
// the CS API: request id, body limit, signature, throttle, version and
// content coding, route, handler, envelope. Every CS API answer carries the
// request id, and is logged in one line and counted in the metrics.
func (s *Server) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	if h, pattern := s.public.Handler(hr); pattern != "" {
		s.servePublic(w, hr, h)
		return
	}
	start := time.Now() // monotonic: the duration; cfg.Now is the signature clock
	r := &request{Request: hr, id: ackscale.NewRequestID()}
	w.Header().Set("x-acs-request-id", r.id)
	resp, err := s.serve(hr.Context(), w, r)
	status := resp.status
	switch {
	case err != nil:
		status = s.writeError(w, r, err)
	case resp.encoded != nil:
		send(w, resp.status, resp.encoded.contentType, resp.encoded.body)
	default:
		write(w, hr, resp.status, resp.body)
	}
	s.logAndCount(r, status, ackscale.ErrorCode(err), time.Since(start))
}

// logAndCount writes a request's access line and counts it in the
// metrics.
func (s *Server) logAndCount(r *request, status int, code string, d time.Duration) {
	s.metrics.observe(r.op, status, code, d)
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("request_id", r.id),
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("operation", r.op),
		slog.String("account_id", r.account.ID), slog.Int("status", status), slog.String("code", code),
		slog.Int64("duration_ms", d.Milliseconds()))
}

func (s *Server) serve(ctx context.Context, w http.ResponseWriter, r *request) (resp response, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.logger(s).Error("panic", "panic", p)
			err = ackscale.Errorf(ackscale.CodeInternal, "internal error")
		}
	}()
	// Routed first, so that every answer (a refused signature too) is
	// logged and counted under its operation; a routing error is answered
	// in its turn, after the signature and the headers.
	op, routeErr := s.route(r.Request)
	r.op = op.name
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
	if ok, wait := s.Allow(ctx, account.ID); !ok {
		s.metrics.throttled.WithLabelValues(account.ID).Inc()
		return resp, throttled(w, wait)
	}
	if err := checkHeaders(r.Request); err != nil {
		return resp, err
	}
	if routeErr != nil {
		return resp, routeErr
	}
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

// writeError writes err's envelope and returns its HTTP status.
func (s *Server) writeError(w http.ResponseWriter, r *request, err error) int {
	code := ackscale.ErrorCode(err)
	if code == ackscale.CodeInternal {
		r.logger(s).Error("internal error", "err", err)
	}
	status := ackscale.HTTPStatus(err)
	write(w, r.Request, status, newErrorBody(code, ackscale.ClipMessage(ackscale.ErrorMessage(err)), r.id, hostOf(r.Request), status))
	return status
}

func hostOf(r *http.Request) string {
	if h := r.Host; h != "" {
		return strings.ToLower(h)
	}
	return "cs.aliyuncs.com"
}
