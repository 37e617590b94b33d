// Package rpcapi serves the emulated cloud through its own RPC-style APIs,
// read-only: VPC 2016-04-28 (DescribeVpcs, DescribeVSwitches,
// DescribeVSwitchAttributes, DescribeNatGateways) and ECS 2014-05-26
// (DescribeInstances, DescribeInstanceTypes, DescribeZones, DescribeImages,
// DescribeKeyPairs, DescribeAvailableResource). It answers from the catalog
// and from the same store the CS tasks change, so an instance a scale-out
// created shows in DescribeInstances and takes an IP from its vSwitch's
// AvailableIpAddressCount.
//
// A request names its action and version in the query or form (Action,
// Version), or in the x-acs-action and x-acs-version headers (ACS3). It is
// signed with the RPC HMAC-SHA1 scheme or ACS3 (sign.Verifier.VerifyRPC),
// and answered in the envelope the RPC SDKs parse: PascalCase JSON with a
// RequestId, errors as {"RequestId","HostId","Code","Message","Recommend"}
// with the HTTP status of the error's kind.
//
// IsRPC tells an RPC request from a ROA one, for a front handler that
// serves both on one endpoint:
//
//	rpc, err := rpcapi.New(rpcapi.Config{Catalog: cat, Cloud: store,
//		Accounts: store, Owners: rpcapi.WorkerOwners(store)})
//	front := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		if rpcapi.IsRPC(r) {
//			rpc.ServeHTTP(w, r)
//			return
//		}
//		cs.ServeHTTP(w, r)
//	})
package rpcapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
	"github.com/ackscale/ackscale/sign"
)

// The API versions served, one per product.
const (
	VPCVersion = "2016-04-28"
	ECSVersion = "2014-05-26"
)

// Catalog is what the APIs read of the emulated cloud's static
// description. *catalog.Catalog implements it.
type Catalog interface {
	Regions() []catalog.Region
	Region(id string) (catalog.Region, bool)
	VSwitch(id string) (catalog.VSwitch, bool)
	DefaultVSwitches(regionID string) []catalog.VSwitch
	InstanceTypes() []catalog.InstanceType
	InstanceType(name string) (catalog.InstanceType, bool)
	Images() []catalog.Image
	Image(id string) (catalog.Image, bool)
	DiskCategories() []catalog.DiskCategory
	Stock(zoneID, instanceType string) (n int, limited bool)
}

var _ Catalog = (*catalog.Catalog)(nil)

// Cloud is what the APIs read of the emulated cloud's state. The store
// (ackscale.CloudStore) implements it.
type Cloud interface {
	// InstanceList returns instances, oldest first.
	InstanceList(ctx context.Context, p ackscale.InstanceListParams) ([]ackscale.Instance, error)
	// StockList returns the stock overrides set at run time.
	StockList(ctx context.Context) ([]ackscale.StockOverride, error)
}

// Owners tells which ACK cluster and node pool own instances.
type Owners interface {
	// InstanceOwners returns the owner of each instance that one of
	// clientTokens created for a worker of the account's clusters; a token
	// of no worker (an instance that left its cluster) is left out.
	InstanceOwners(ctx context.Context, accountID string, clientTokens []string) (map[string]Owner, error)
}

// Owner is the cluster and node pool an instance is a worker of, and the
// worker's host name.
type Owner struct {
	ClusterID  string
	NodePoolID string
	Hostname   string
}

// Config configures a Handler.
type Config struct {
	Catalog  Catalog
	Cloud    Cloud
	Accounts sign.Accounts // the account store: keys and nonces
	// Owners gives instances their ACK tags; nil: instances have none.
	Owners Owners
	Logger *slog.Logger
	Now    func() time.Time
	// MaxSkew is how far a request's Timestamp (or x-acs-date) may be
	// from Now; sign.DefaultMaxSkew when zero.
	MaxSkew     time.Duration
	MaxBodySize int64 // default 1 MiB
	// ThrottleFunc takes a token of the account's request bucket, or says
	// how long to wait for one; nil: no limit. Give it the CS API's so that
	// one account has one budget on the whole endpoint.
	ThrottleFunc func(ctx context.Context, accountID string) (ok bool, wait time.Duration)
}

func (c *Config) validate() error {
	if c.Catalog == nil || c.Cloud == nil || c.Accounts == nil {
		return errors.New("rpcapi: Catalog, Cloud and Accounts are required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = ackscale.NowUTC
	}
	if c.MaxBodySize <= 0 {
		c.MaxBodySize = 1 << 20
	}
	return nil
}

// Handler serves the RPC APIs.
type Handler struct {
	cfg    Config
	log    *slog.Logger
	verify *sign.AccountVerifier
	apis   map[string]api
}

// api is one product at one version and its actions.
type api struct {
	product string // as the SDKs name it: Vpc, Ecs
	host    string // its public endpoint, the HostId of errors
	actions map[string]action
}

// action answers one call; its result is the response body.
type action func(ctx context.Context, c *call) (any, error)

// New returns a Handler.
func New(cfg Config) (*Handler, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, log: cfg.Logger}
	h.verify = sign.NewAccountVerifier(cfg.Accounts, sign.Verifier{Now: cfg.Now, MaxSkew: cfg.MaxSkew})
	h.apis = map[string]api{
		VPCVersion: {product: "Vpc", host: "vpc.aliyuncs.com", actions: map[string]action{
			"DescribeVpcs":              h.describeVpcs,
			"DescribeVSwitches":         h.describeVSwitches,
			"DescribeVSwitchAttributes": h.describeVSwitchAttributes,
			"DescribeNatGateways":       h.describeNatGateways,
		}},
		ECSVersion: {product: "Ecs", host: "ecs.aliyuncs.com", actions: map[string]action{
			"DescribeInstances":         h.describeInstances,
			"DescribeInstanceTypes":     h.describeInstanceTypes,
			"DescribeZones":             h.describeZones,
			"DescribeImages":            h.describeImages,
			"DescribeKeyPairs":          h.describeKeyPairs,
			"DescribeAvailableResource": h.describeAvailableResource,
		}},
	}
	return h, nil
}

// versions are the API versions IsRPC routes here.
var versions = map[string]bool{VPCVersion: true, ECSVersion: true}

// IsRPC reports whether r is an RPC-style request, for this package,
// rather than a ROA one, for the CS API: it has Action and Version
// parameters in its query; or its x-acs-version header names a version
// this package serves (the CS SDKs send x-acs-action and x-acs-version
// 2015-12-15 too, so the header's presence decides nothing); or, having
// neither, it is a form POST to "/", where an RPC client may put every
// parameter in the body and no CS path lies. It reads no body.
func IsRPC(r *http.Request) bool {
	q := r.URL.Query()
	if q.Get("Action") != "" && q.Get("Version") != "" {
		return true
	}
	if v := r.Header.Get("x-acs-version"); v != "" {
		return versions[v]
	}
	return r.Method == http.MethodPost && (r.URL.Path == "/" || r.URL.Path == "") &&
		strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/x-www-form-urlencoded")
}

// call is one request being answered.
type call struct {
	r       *http.Request
	id      string // the request id
	params  url.Values
	account ackscale.Account
	api     api
	action  string
	log     *slog.Logger
}

// ServeHTTP answers one request: request id, body, signature, throttle,
// version and action, the action's parameters, the envelope.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.cfg.Now()
	c := &call{r: r, id: ackscale.NewRequestID()}
	c.log = h.log.With("request_id", c.id)
	w.Header().Set("x-acs-request-id", c.id)
	body, err := h.serve(r.Context(), w, c)
	if err != nil {
		h.writeError(w, c, err)
	} else {
		writeJSON(w, http.StatusOK, body)
	}
	c.log.Info("request", "method", r.Method, "action", c.action, "product", c.api.product,
		"account_id", c.account.ID, "code", ackscale.ErrorCode(err), "duration_ms", h.cfg.Now().Sub(start).Milliseconds())
}

func (h *Handler) serve(ctx context.Context, w http.ResponseWriter, c *call) (resp any, err error) {
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("panic", "panic", p)
			err = ackscale.Errorf(ackscale.CodeInternal, "internal error")
		}
	}()
	body, err := readBody(c.r, h.cfg.MaxBodySize)
	if err != nil {
		return nil, err
	}
	c.params = sign.RPCParams(c.r, body)
	c.account, err = h.authenticate(ctx, c.r, body)
	if err != nil {
		return nil, err
	}
	c.log = c.log.With("account_id", c.account.ID)
	if f := h.cfg.ThrottleFunc; f != nil {
		if ok, wait := f(ctx, c.account.ID); !ok {
			return nil, throttled(w, wait)
		}
	}
	act, err := h.route(c)
	if err != nil {
		return nil, err
	}
	return act(ctx, c)
}

// route finds the action, from the parameters or, for ACS3, the x-acs-*
// headers; the two may not differ. A format other than JSON is refused.
func (h *Handler) route(c *call) (action, error) {
	version, err := pick(c, "Version", "x-acs-version")
	if err != nil {
		return nil, err
	}
	name, err := pick(c, "Action", "x-acs-action")
	if err != nil {
		return nil, err
	}
	a, ok := h.apis[version]
	if !ok {
		return nil, ackscale.Errorf(CodeInvalidVersion,
			"Specified parameter Version %q is not valid: this endpoint serves VPC %s and ECS %s", version, VPCVersion, ECSVersion)
	}
	c.api, c.action = a, name
	if f := c.params.Get("Format"); f != "" && !strings.EqualFold(f, "JSON") {
		return nil, ackscale.FieldErrorf(ackscale.CodeInvalidParameter, "Format", "Format %q is not served; use JSON", f)
	}
	act, ok := a.actions[name]
	if !ok {
		return nil, ackscale.Errorf(ackscale.CodeRouteNotFound,
			"Specified api is not found: %s %s has no action %q here; ackscale serves the read-only actions %s",
			a.product, version, name, strings.Join(actionNames(a), ", "))
	}
	return act, nil
}

// pick returns a parameter, or the header that stands for it in ACS3.
func pick(c *call, param, header string) (string, error) {
	p, hv := c.params.Get(param), c.r.Header.Get(header)
	switch {
	case p != "" && hv != "" && p != hv:
		return "", ackscale.FieldErrorf(ackscale.CodeInvalidParameter, param,
			"the %s parameter %q and the %s header %q differ", param, p, header, hv)
	case p != "":
		return p, nil
	case hv != "":
		return hv, nil
	}
	return "", ackscale.FieldErrorf(ackscale.CodeMissingParameter, param, "%s is mandatory for this request", param)
}

// authenticate checks the signature and returns the account that signed.
func (h *Handler) authenticate(ctx context.Context, r *http.Request, body []byte) (ackscale.Account, error) {
	return h.verify.VerifyRPC(ctx, r, body)
}

// readBody reads at most limit bytes.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, ackscale.Errorf(ackscale.CodeBodyTooLarge, "the request body is %d bytes; the limit is %d", r.ContentLength, limit)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	var netErr net.Error
	switch {
	case errors.As(err, &netErr) && netErr.Timeout():
		return nil, ackscale.Errorf(ackscale.CodeRequestTimeout, "the request body did not arrive within the server's read timeout")
	case err != nil:
		return nil, ackscale.Errorf(ackscale.CodeMalformedBody, "the request body could not be read whole")
	case int64(len(body)) > limit:
		return nil, ackscale.Errorf(ackscale.CodeBodyTooLarge, "the request body is over the limit of %d bytes", limit)
	}
	return body, nil
}

// throttled is the error and retry hint of a refused call, as the CS API
// gives them.
func throttled(w http.ResponseWriter, wait time.Duration) error {
	ms := int64(math.Ceil(float64(wait) / float64(time.Millisecond)))
	w.Header().Set("x-acs-retry-after", strconv.FormatInt(ms, 10))
	w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(wait.Seconds())), 10))
	return ackscale.Errorf(ackscale.CodeThrottling, "Request was denied due to user flow control: retry after %d ms", ms)
}
