package ops

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ackscale/ackscale"
)

// The admin operations: run-time control of the emulated cloud (stock,
// quotas, faults), its instances, and the invariant check. The admin API
// and the CLI call them; the caller is the holder of the admin token.

// SetStock overrides the capacity of a zone × instance type; a negative
// capacity goes back to the catalog's.
func (s *Service) SetStock(ctx context.Context, o ackscale.StockOverride) error {
	if !s.cfg.Cloud.InstanceTypeExists(o.InstanceType) {
		return ackscale.FieldErrorf(ackscale.CodeInstanceTypeNotFound, "instance_type", "instance_type: %s does not exist", o.InstanceType)
	}
	if !s.cfg.Cloud.ZoneExists(o.ZoneID) {
		return ackscale.FieldErrorf(ackscale.CodeInvalidParameter, "zone_id", "zone_id: %s is neither a zone nor an ENS region", o.ZoneID)
	}
	if err := s.cfg.Cloud.SetStock(ctx, o); err != nil {
		return fmt.Errorf("set stock: %w", err)
	}
	s.log.InfoContext(ctx, "stock set", "zone", o.ZoneID, "instance_type", o.InstanceType, "capacity", o.Capacity)
	return nil
}

// Stock lists every limited zone × type with what is in use.
func (s *Service) Stock(ctx context.Context) ([]ackscale.StockView, error) {
	v, err := s.cfg.Cloud.Stock(ctx)
	return nonNil(v), err
}

// SetQuota overrides a quota of an account ("" or "*": every account); a
// negative value removes the override.
func (s *Service) SetQuota(ctx context.Context, q ackscale.QuotaOverride) (ackscale.QuotaOverride, error) {
	if !slices.Contains(ackscale.Quotas(), q.Name) {
		return q, ackscale.FieldErrorf(ackscale.CodeNotInEnum, "name", "name: %q is not a quota (%s)", q.Name,
			strings.Join(ackscale.Quotas(), ", "))
	}
	if q.AccountID == "" {
		q.AccountID = "*"
	}
	if err := s.cfg.Cloud.SetQuota(ctx, q); err != nil {
		return q, fmt.Errorf("set quota: %w", err)
	}
	s.log.InfoContext(ctx, "quota set", "account_id", q.AccountID, "name", q.Name, "value", q.Value)
	return q, nil
}

// QuotaReport is the quota overrides and, for one account, the quotas in
// force.
type QuotaReport struct {
	Overrides []ackscale.QuotaOverride `json:"overrides"`
	Effective map[string]int           `json:"effective,omitempty"`
}

// Quotas returns the overrides and, when accountID is set, its quotas in force.
func (s *Service) Quotas(ctx context.Context, accountID string) (QuotaReport, error) {
	var r QuotaReport
	var err error
	if r.Overrides, err = s.cfg.Cloud.QuotaOverrides(ctx); err != nil {
		return r, err
	}
	r.Overrides = nonNil(r.Overrides)
	if accountID != "" {
		if r.Effective, err = s.cfg.Cloud.Quotas(ctx, accountID); err != nil {
			return r, err
		}
	}
	return r, nil
}

var faultOps = []ackscale.FaultOp{ackscale.FaultCreate, ackscale.FaultStart, ackscale.FaultRelease, ackscale.FaultNode}

// AddFault validates a fault and records it; it fires on the next
// matching cloud calls.
func (s *Service) AddFault(ctx context.Context, f ackscale.Fault) (ackscale.Fault, error) {
	if err := validateFault(f); err != nil {
		return f, err
	}
	return s.cfg.Cloud.AddFault(ctx, f)
}

func validateFault(f ackscale.Fault) error {
	switch {
	case !slices.Contains(faultOps, f.Operation):
		return ackscale.FieldErrorf(ackscale.CodeNotInEnum, "operation", "operation: %q is not one of %v", f.Operation, faultOps)
	case f.Probability < 0 || f.Probability > 1:
		return ackscale.FieldErrorf(ackscale.CodeOutOfRange, "probability", "probability: %g is not in [0, 1]", f.Probability)
	case f.Count < 0:
		return ackscale.FieldErrorf(ackscale.CodeOutOfRange, "count", "count: %d is negative", f.Count)
	case f.Latency < 0:
		return ackscale.FieldErrorf(ackscale.CodeOutOfRange, "latency", "latency: %s is negative", f.Latency)
	case f.Code == "" && f.Latency == 0 && !f.NeverRunning:
		return ackscale.FieldErrorf(ackscale.CodeMissingParameter, "code", "a fault needs a code, a latency or never_running")
	case f.NeverRunning && f.Operation != ackscale.FaultStart && f.Operation != ackscale.FaultNode:
		return ackscale.FieldErrorf(ackscale.CodeConflict, "never_running", "never_running applies to the start and node operations only")
	}
	return nil
}

// Faults lists the faults that can still fire.
func (s *Service) Faults(ctx context.Context) ([]ackscale.Fault, error) {
	return s.cfg.Cloud.Faults(ctx)
}

// DeleteFault removes a fault, or every fault when id is "".
func (s *Service) DeleteFault(ctx context.Context, id string) error {
	return s.cfg.Cloud.DeleteFault(ctx, id)
}

// Instances lists every instance the cloud has had, released ones included.
func (s *Service) Instances(ctx context.Context) ([]ackscale.Instance, error) {
	in, err := s.cfg.Cloud.Instances(ctx)
	return nonNil(in), err
}

// nonNil makes an empty list a list: answers show [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Check runs the invariant check: instances and workers agree.
func (s *Service) Check(ctx context.Context) (ackscale.Check, error) {
	if s.cfg.Checker == nil {
		return ackscale.Check{}, ackscale.Errorf(ackscale.CodeInternal, "no invariant check is configured")
	}
	return s.cfg.Checker.Check(ctx)
}

// AccountKey is a new account and its key pair, as `account create`
// prints it.
type AccountKey struct {
	AccountID       string `json:"account_id"`
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret string `json:"access_key_secret"`
}

// CreateAccount creates an account with a new key pair.
func (s *Service) CreateAccount(ctx context.Context) (AccountKey, error) {
	if s.cfg.Accounts == nil {
		return AccountKey{}, ackscale.Errorf(ackscale.CodeInternal, "accounts cannot be created here")
	}
	k := AccountKey{AccountID: ackscale.NewAccountID()}
	k.AccessKeyID, k.AccessKeySecret = ackscale.NewAccessKey()
	a := ackscale.Account{ID: k.AccountID, AccessKeyID: k.AccessKeyID, Created: s.now()}
	if err := s.cfg.Accounts.AccountCreate(ctx, ackscale.AccountCreateParams{Account: a, Secret: k.AccessKeySecret}); err != nil {
		return AccountKey{}, fmt.Errorf("create account: %w", err)
	}
	return k, nil
}
