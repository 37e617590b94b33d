package memstore

import (
	"context"
	"time"

	"github.com/ackscale/ackscale"
)

type account struct {
	ackscale.Account
	secret string
}

type nonceKey struct{ accessKeyID, nonce string }

// AccountCreate adds an account with its key; a taken id or key id is a
// KindConflict error.
func (s *Store) AccountCreate(_ context.Context, p ackscale.AccountCreateParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := p.Account
	if _, ok := s.accounts[a.ID]; ok {
		return ackscale.ConflictErrorf("account %s is taken", a.ID)
	}
	if _, ok := s.accountByKey(a.AccessKeyID); ok {
		return ackscale.ConflictErrorf("access key %s is taken", a.AccessKeyID)
	}
	a.Created = s.orNow(a.Created)
	s.accounts[a.ID] = account{Account: a, secret: p.Secret}
	return nil
}

// AccountEnsure adds the account or replaces its key and secret, and
// returns it as stored. A key id held by another account is a conflict.
func (s *Store) AccountEnsure(_ context.Context, p ackscale.AccountCreateParams) (ackscale.Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if held, ok := s.accountByKey(p.Account.AccessKeyID); ok && held.ID != p.Account.ID {
		return ackscale.Account{}, ackscale.ConflictErrorf("access key %s is taken", p.Account.AccessKeyID)
	}
	a, ok := s.accounts[p.Account.ID]
	if !ok {
		a.ID, a.Created = p.Account.ID, s.orNow(p.Account.Created)
	}
	a.AccessKeyID, a.secret = p.Account.AccessKeyID, p.Secret
	s.accounts[a.ID] = a
	return a.Account, nil
}

// AccountGetByKey returns the account owning an access key id and the
// key's secret; CodeAccessKeyNotFound when there is none.
func (s *Store) AccountGetByKey(_ context.Context, accessKeyID string) (ackscale.Account, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accountByKey(accessKeyID)
	if !ok {
		return ackscale.Account{}, "", ackscale.Errorf(ackscale.CodeAccessKeyNotFound, "access key id %q does not exist", accessKeyID)
	}
	return a.Account, a.secret, nil
}

// accountByKey finds the account of a key. The caller holds the lock.
func (s *Store) accountByKey(accessKeyID string) (account, bool) {
	return s.accounts.find(func(a account) bool { return a.AccessKeyID == accessKeyID })
}

// NonceUse records a nonce of an access key until it expires; fresh is
// false when it was recorded before and has not expired.
func (s *Store) NonceUse(_ context.Context, p ackscale.NonceUseParams) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := nonceKey{p.AccessKeyID, p.Nonce}
	if expires, ok := s.nonces[k]; ok && !expires.Before(s.now()) {
		return false, nil
	}
	s.nonces[k] = p.Expires
	return true, nil
}

// NoncePrune forgets nonces that expired before t, and says how many.
func (s *Store) NoncePrune(_ context.Context, t time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, expires := range s.nonces {
		if expires.Before(t) {
			delete(s.nonces, k)
			n++
		}
	}
	return n, nil
}
