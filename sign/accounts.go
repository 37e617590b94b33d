package sign

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/ackscale/ackscale"
)

// Accounts is what verifying a request needs of the account store: the
// account and secret of an access key, and the record of nonces.
type Accounts interface {
	// AccountGetByKey returns the account of an access key and its secret;
	// a not-found error when there is none.
	AccountGetByKey(ctx context.Context, accessKeyID string) (ackscale.Account, string, error)
	// NonceUse records a nonce; fresh is false when it was seen before.
	NonceUse(ctx context.Context, p ackscale.NonceUseParams) (fresh bool, err error)
}

// AccountVerifier verifies requests against the access keys of an
// account store and returns the account that signed each.
type AccountVerifier struct {
	v        Verifier
	accounts Accounts
}

// NewAccountVerifier returns an AccountVerifier on accounts, with the
// clock and skew of v (v's SecretFunc and Nonces are accounts').
func NewAccountVerifier(accounts Accounts, v Verifier) *AccountVerifier {
	v.Nonces = storeNonces{accounts}
	return &AccountVerifier{v: v, accounts: accounts}
}

// Verify checks r's signature as Verifier.Verify does (ROA and ACS3).
func (a *AccountVerifier) Verify(ctx context.Context, r *http.Request, body []byte) (ackscale.Account, error) {
	return a.check(ctx, func(v *Verifier) error { _, err := v.Verify(ctx, r, body); return err })
}

// VerifyRPC checks r's signature as Verifier.VerifyRPC does.
func (a *AccountVerifier) VerifyRPC(ctx context.Context, r *http.Request, body []byte) (ackscale.Account, error) {
	return a.check(ctx, func(v *Verifier) error { _, err := v.VerifyRPC(ctx, r, body); return err })
}

// check runs verify with a copy of the Verifier whose SecretFunc reads the
// store, keeping the account it found. A failure of the store is returned
// as such ("look up access key: …"), not as an unknown key.
func (a *AccountVerifier) check(ctx context.Context, verify func(*Verifier) error) (ackscale.Account, error) {
	var account ackscale.Account
	var lookupErr error
	v := a.v // per request: the lookup keeps what it read
	v.SecretFunc = func(accessKeyID string) (string, bool) {
		acc, secret, err := a.accounts.AccountGetByKey(ctx, accessKeyID)
		if err != nil {
			if !ackscale.IsNotFound(err) {
				lookupErr = err
			}
			return "", false
		}
		account = acc
		return secret, true
	}
	if err := verify(&v); err != nil {
		if lookupErr != nil {
			return ackscale.Account{}, fmt.Errorf("look up access key: %w", lookupErr)
		}
		return ackscale.Account{}, err
	}
	return account, nil
}

// storeNonces adapts the account store to NonceChecker.
type storeNonces struct{ a Accounts }

func (n storeNonces) UseNonce(ctx context.Context, accessKeyID, nonce string, expires time.Time) (bool, error) {
	return n.a.NonceUse(ctx, ackscale.NonceUseParams{AccessKeyID: accessKeyID, Nonce: nonce, Expires: expires})
}
