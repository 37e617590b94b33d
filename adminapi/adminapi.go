// Package adminapi is ackscale's run-time control of the emulated cloud:
// stock, quotas and faults, read and changed while the server runs, and the
// invariant check the crash tests use. It is served under /admin/ and
// authenticated with a bearer token; every operation is the operations
// layer's.
package adminapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/ops"
)

// Prefix is where the admin interface is served.
const Prefix = "/admin/"

// maxBody bounds an admin request body.
const maxBody = 1 << 20

// Handler serves the admin interface.
type Handler struct {
	ops   *ops.Service
	token string
	log   *slog.Logger
	mux   *http.ServeMux
}

// New returns the admin handler. An empty token refuses every request.
func New(o *ops.Service, token string, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{ops: o, token: token, log: log, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /admin/v1/stock", h.getStock)
	h.mux.HandleFunc("PUT /admin/v1/stock", h.putStock)
	h.mux.HandleFunc("GET /admin/v1/quotas", h.getQuotas)
	h.mux.HandleFunc("PUT /admin/v1/quotas", h.putQuota)
	h.mux.HandleFunc("GET /admin/v1/faults", h.getFaults)
	h.mux.HandleFunc("POST /admin/v1/faults", h.postFault)
	h.mux.HandleFunc("DELETE /admin/v1/faults", h.deleteFaults)
	h.mux.HandleFunc("DELETE /admin/v1/faults/{id}", h.deleteFaults)
	h.mux.HandleFunc("GET /admin/v1/instances", h.getInstances)
	h.mux.HandleFunc("GET /admin/v1/check", h.getCheck)
	return h
}

// ServeHTTP checks the bearer token, then routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(r.Header.Get("Authorization")) {
		h.fail(w, ackscale.Errorf(ackscale.CodeMissingAuthorization, "the admin interface needs Authorization: Bearer <admin token>"))
		return
	}
	if _, pattern := h.mux.Handler(r); pattern == "" {
		h.fail(w, h.routeError(w, r))
		return
	}
	h.mux.ServeHTTP(w, r)
}

// routeError is the JSON error of a request no route takes: 405 with an
// Allow header when the path exists with other methods, else 404.
func (h *Handler) routeError(w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete} {
		other := r.Clone(r.Context())
		other.Method = m
		if _, pattern := h.mux.Handler(other); pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		return ackscale.Errorf(ackscale.CodeRouteNotFound, "no admin operation at %s %s", r.Method, r.URL.Path)
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	return ackscale.Errorf(ackscale.CodeMethodNotAllowed, "%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, strings.Join(allow, ", "))
}

// authorized reports whether the header is "Bearer <token>"; the scheme's
// case does not matter (RFC 7235), a bare token is refused.
func (h *Handler) authorized(header string) bool {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || h.token == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(h.token)) == 1
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fail answers err with the status of its kind (the table the CS API
// uses too); internal errors are logged and answered generically.
func (h *Handler) fail(w http.ResponseWriter, err error) {
	if ackscale.KindOf(err) == ackscale.KindInternal {
		h.log.Error("admin", "err", err)
	}
	writeJSON(w, ackscale.HTTPStatus(err), map[string]string{"code": ackscale.ErrorCode(err), "message": ackscale.ErrorMessage(err)})
}

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return ackscale.Errorf(ackscale.CodeMalformedBody, "body: %v", err)
	}
	return nil
}

// answer writes v (200) or the error.
func (h *Handler) answer(w http.ResponseWriter, v any, err error) {
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// write decodes the body into in, runs op on it and answers its result.
func write[T, R any](h *Handler, w http.ResponseWriter, r *http.Request, status int, op func(context.Context, T) (R, error)) {
	var in T
	if err := decode(r, &in); err != nil {
		h.fail(w, err)
		return
	}
	out, err := op(r.Context(), in)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, status, out)
}

func (h *Handler) getStock(w http.ResponseWriter, r *http.Request) {
	v, err := h.ops.Stock(r.Context())
	h.answer(w, v, err)
}

func (h *Handler) putStock(w http.ResponseWriter, r *http.Request) {
	write(h, w, r, http.StatusOK, func(ctx context.Context, o ackscale.StockOverride) (ackscale.StockOverride, error) {
		return o, h.ops.SetStock(ctx, o)
	})
}

func (h *Handler) getQuotas(w http.ResponseWriter, r *http.Request) {
	v, err := h.ops.Quotas(r.Context(), r.URL.Query().Get("account_id"))
	h.answer(w, v, err)
}

func (h *Handler) putQuota(w http.ResponseWriter, r *http.Request) {
	write(h, w, r, http.StatusOK, h.ops.SetQuota)
}

func (h *Handler) getFaults(w http.ResponseWriter, r *http.Request) {
	v, err := h.ops.Faults(r.Context())
	h.answer(w, v, err)
}

func (h *Handler) postFault(w http.ResponseWriter, r *http.Request) {
	write(h, w, r, http.StatusCreated, h.ops.AddFault)
}

func (h *Handler) deleteFaults(w http.ResponseWriter, r *http.Request) {
	if err := h.ops.DeleteFault(r.Context(), r.PathValue("id")); err != nil {
		h.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) getInstances(w http.ResponseWriter, r *http.Request) {
	v, err := h.ops.Instances(r.Context())
	h.answer(w, v, err)
}

func (h *Handler) getCheck(w http.ResponseWriter, r *http.Request) {
	v, err := h.ops.Check(r.Context())
	h.answer(w, v, err)
}
