// Package adminapi is ackscale's run-time control of the emulated cloud:
// stock, quotas and faults, read and changed while the server runs, and the
// invariant check the crash tests use. It is served under /admin/ and
// authenticated with a bearer token.
package adminapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/cloud"
)

// Cloud is the control surface of the emulated cloud.
type Cloud interface {
	SetStock(ctx context.Context, o ackscale.StockOverride) error
	Stock(ctx context.Context) ([]cloud.StockView, error)
	SetQuota(ctx context.Context, q ackscale.QuotaOverride) error
	Quotas(ctx context.Context, accountID string) (map[string]int, error)
	QuotaOverrides(ctx context.Context) ([]ackscale.QuotaOverride, error)
	AddFault(ctx context.Context, f ackscale.Fault) (ackscale.Fault, error)
	Faults(ctx context.Context) ([]ackscale.Fault, error)
	DeleteFault(ctx context.Context, id string) error
	Instances(ctx context.Context) ([]ackscale.Instance, error)
}

// Store answers the invariant check.
type Store interface {
	Check(ctx context.Context) (ackscale.Check, error)
}

// Prefix is where the admin interface is served.
const Prefix = "/admin/"

// Handler serves the admin interface.
type Handler struct {
	Cloud  Cloud
	Store  Store
	Token  string
	Logger *slog.Logger
	mux    *http.ServeMux
}

// New returns the admin handler.
func New(c Cloud, s Store, token string, log *slog.Logger) *Handler {
	h := &Handler{Cloud: c, Store: s, Token: token, Logger: log, mux: http.NewServeMux()}
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

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if h.Token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(h.Token)) != 1 {
		writeErr(w, http.StatusUnauthorized, ackscale.Errorf(ackscale.CodeMissingAuthorization, "the admin interface needs Authorization: Bearer <admin token>"))
		return
	}
	h.mux.ServeHTTP(w, r)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"code": ackscale.ErrorCode(err), "message": ackscale.ErrorMessage(err)})
}

func (h *Handler) fail(w http.ResponseWriter, err error) {
	var e *ackscale.Error
	if errors.As(err, &e) {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	h.Logger.Error("admin", "err", err)
	writeErr(w, http.StatusInternalServerError, err)
}

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return ackscale.Errorf(ackscale.CodeMalformedBody, "body: %v", err)
	}
	return nil
}

func (h *Handler) getStock(w http.ResponseWriter, r *http.Request) {
	v, err := h.Cloud.Stock(r.Context())
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (h *Handler) putStock(w http.ResponseWriter, r *http.Request) {
	var o ackscale.StockOverride
	if err := decode(r, &o); err != nil {
		h.fail(w, err)
		return
	}
	if err := h.Cloud.SetStock(r.Context(), o); err != nil {
		h.fail(w, err)
		return
	}
	h.Logger.Info("stock set", "zone", o.ZoneID, "instance_type", o.InstanceType, "capacity", o.Capacity)
	writeJSON(w, http.StatusOK, o)
}

func (h *Handler) getQuotas(w http.ResponseWriter, r *http.Request) {
	overrides, err := h.Cloud.QuotaOverrides(r.Context())
	if err != nil {
		h.fail(w, err)
		return
	}
	body := map[string]any{"overrides": overrides}
	if acc := r.URL.Query().Get("account_id"); acc != "" {
		eff, err := h.Cloud.Quotas(r.Context(), acc)
		if err != nil {
			h.fail(w, err)
			return
		}
		body["effective"] = eff
	}
	writeJSON(w, http.StatusOK, body)
}

func (h *Handler) putQuota(w http.ResponseWriter, r *http.Request) {
	var q ackscale.QuotaOverride
	if err := decode(r, &q); err != nil {
		h.fail(w, err)
		return
	}
	if err := h.Cloud.SetQuota(r.Context(), q); err != nil {
		h.fail(w, err)
		return
	}
	h.Logger.Info("quota set", "account_id", q.AccountID, "name", q.Name, "value", q.Value)
	writeJSON(w, http.StatusOK, q)
}

func (h *Handler) getFaults(w http.ResponseWriter, r *http.Request) {
	fs, err := h.Cloud.Faults(r.Context())
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, fs)
}

func (h *Handler) postFault(w http.ResponseWriter, r *http.Request) {
	var f ackscale.Fault
	if err := decode(r, &f); err != nil {
		h.fail(w, err)
		return
	}
	f, err := h.Cloud.AddFault(r.Context(), f)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, f)
}

func (h *Handler) deleteFaults(w http.ResponseWriter, r *http.Request) {
	if err := h.Cloud.DeleteFault(r.Context(), r.PathValue("id")); err != nil {
		h.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) getInstances(w http.ResponseWriter, r *http.Request) {
	in, err := h.Cloud.Instances(r.Context())
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, in)
}

func (h *Handler) getCheck(w http.ResponseWriter, r *http.Request) {
	c, err := h.Store.Check(r.Context())
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}
