package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ackscale/ackscale"
)

// Check is one dependency /readyz asks about; Func returns nil when it
// answers.
type Check struct {
	Name string
	Func func(ctx context.Context) error
}

// checkTimeout bounds each readiness check.
const checkTimeout = 3 * time.Second

// DocsURL is where the index points for the API's documentation.
const DocsURL = "https://github.com/ackscale/ackscale/blob/main/docs/api.md"

// publicRoutes are the paths served without a signature, before the CS
// API's checks: the index, liveness, readiness and metrics. Only GET (and
// HEAD); any other method, or any other path, is the CS API's.
func (s *Server) publicRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.cfg.Metrics, promhttp.HandlerOpts{
		ErrorLog:      promLogger{s.log},
		ErrorHandling: promhttp.ContinueOnError, // a failing source leaves out its metrics, not the others
		Registry:      s.cfg.Metrics,            // promhttp_metric_handler_errors_total
	}))
	return mux
}

// servePublic serves a public path; its log line is at debug level, as
// probes and scrapes come every few seconds.
func (s *Server) servePublic(w http.ResponseWriter, r *http.Request, h http.Handler) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	h.ServeHTTP(sw, r)
	s.log.LogAttrs(r.Context(), slog.LevelDebug, "request", slog.String("method", r.Method),
		slog.String("path", r.URL.Path), slog.Int("status", sw.status),
		slog.Int64("duration_ms", time.Since(start).Milliseconds()))
}

// indexBody is what GET / answers: what this server is and where to look.
type indexBody struct {
	Service string `json:"service"`
	Version string `json:"version"`
	API     string `json:"api"`
	Docs    string `json:"docs"`
	Health  string `json:"health"`
	Ready   string `json:"ready"`
	Metrics string `json:"metrics"`
	Note    string `json:"note"`
}

func (s *Server) index(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, indexBody{Service: "ackscale", Version: s.cfg.Version,
		API: "Alibaba Cloud ACK CS OpenAPI 2015-12-15 (ROA)", Docs: DocsURL,
		Health: "/healthz", Ready: "/readyz", Metrics: "/metrics",
		Note: "every other path is the CS API and needs a signed request"})
}

// healthz answers while the process serves HTTP.
func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// checkResult is one check's line in /readyz's answer.
type checkResult struct {
	Name       string `json:"name"`
	OK         bool   `json:"ok"`
	Error      string `json:"error,omitempty"`
	DurationMS int64  `json:"duration_ms"`
}

// readyBody is /readyz's answer.
type readyBody struct {
	Status string        `json:"status"` // ready | not ready
	Checks []checkResult `json:"checks"`
}

// readyz runs every check at once, each within checkTimeout: 200 when all
// pass, 503 otherwise, with each check's result.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	var checks []Check
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), checkTimeout) // listing them may read the store
		checks = s.cfg.Ready(ctx)
		cancel()
	}
	results := make([]checkResult, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() { results[i] = runCheck(r.Context(), c) })
	}
	wg.Wait()
	body, status := readyBody{Status: "ready", Checks: results}, http.StatusOK
	for _, res := range results {
		if !res.OK {
			body.Status, status = "not ready", http.StatusServiceUnavailable
			s.log.LogAttrs(r.Context(), slog.LevelDebug, "not ready", slog.String("check", res.Name), slog.String("err", res.Error))
		}
	}
	writeJSON(w, status, body)
}

func runCheck(ctx context.Context, c Check) (res checkResult) {
	res.Name = c.Name
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			res.OK, res.Error = false, fmt.Sprintf("check panicked: %v", p)
		}
		res.DurationMS = time.Since(start).Milliseconds()
	}()
	if err := c.Func(ctx); err != nil {
		res.Error = ackscale.ClipMessage(err.Error())
		return res
	}
	res.OK = true
	return res
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// statusWriter keeps the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// promLogger logs the metrics handler's errors (a source that failed).
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) { l.log.Warn("serve metrics", "err", fmt.Sprint(v...)) }
