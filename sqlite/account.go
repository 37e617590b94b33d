package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ackscale/ackscale"
)

// AccountStore keeps accounts, their access keys (secrets sealed at rest)
// and the signature nonces seen.
type AccountStore struct{ db *DB }

var _ ackscale.AccountStore = (*AccountStore)(nil)

// NewAccountStore returns the account store of db.
func NewAccountStore(db *DB) *AccountStore { return &AccountStore{db: db} }

// AccountCreate adds an account with its key; a taken id or key id is a
// conflict.
func (s *AccountStore) AccountCreate(ctx context.Context, p ackscale.AccountCreateParams) error {
	a := s.withCreated(p.Account)
	_, err := s.db.db.ExecContext(ctx, `INSERT INTO accounts (id, access_key_id, access_key_secret, created_at) VALUES (?, ?, ?, ?)`,
		a.ID, a.AccessKeyID, s.db.box.seal(p.Secret), ms(a.Created))
	return insertError(err, fmt.Sprintf("account %s or access key %s", a.ID, a.AccessKeyID))
}

// AccountEnsure adds the account or replaces its key and secret, and
// returns it as stored; the default account is ensured at every start. A
// key id held by another account is a conflict.
func (s *AccountStore) AccountEnsure(ctx context.Context, p ackscale.AccountCreateParams) (ackscale.Account, error) {
	a := s.withCreated(p.Account)
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, access_key_id, access_key_secret, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET access_key_id = excluded.access_key_id, access_key_secret = excluded.access_key_secret`,
			a.ID, a.AccessKeyID, s.db.box.seal(p.Secret), ms(a.Created))
		if err != nil {
			return insertError(err, "access key "+a.AccessKeyID)
		}
		var created int64
		if err := tx.QueryRowContext(ctx, `SELECT created_at FROM accounts WHERE id = ?`, a.ID).Scan(&created); err != nil {
			return fmt.Errorf("read account: %w", err)
		}
		a.Created = fromMS(created)
		return nil
	})
	if err != nil {
		return ackscale.Account{}, err
	}
	return a, nil
}

func (s *AccountStore) withCreated(a ackscale.Account) ackscale.Account {
	if a.Created.IsZero() {
		a.Created = s.db.now()
	}
	return a
}

// AccountGetByKey returns the account owning an access key id and the
// key's secret; CodeAccessKeyNotFound when there is none.
func (s *AccountStore) AccountGetByKey(ctx context.Context, accessKeyID string) (ackscale.Account, string, error) {
	var a ackscale.Account
	var sealed string
	var created int64
	err := s.db.read.QueryRowContext(ctx, `SELECT id, access_key_id, access_key_secret, created_at FROM accounts WHERE access_key_id = ?`,
		accessKeyID).Scan(&a.ID, &a.AccessKeyID, &sealed, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return a, "", ackscale.Errorf(ackscale.CodeAccessKeyNotFound, "access key id %q does not exist", accessKeyID)
	}
	if err != nil {
		return a, "", fmt.Errorf("get account: %w", err)
	}
	a.Created = fromMS(created)
	secret, err := s.db.box.open(sealed)
	if err != nil {
		return a, "", err
	}
	return a, secret, nil
}

// NonceUse records a nonce of an access key until it expires; fresh is
// false when it was recorded before and has not expired. One statement,
// outside any transaction: a new nonce is inserted, an expired one takes
// its new expiry, a live one changes nothing.
func (s *AccountStore) NonceUse(ctx context.Context, p ackscale.NonceUseParams) (bool, error) {
	n, err := changed(ctx, s.db.db, "use nonce", `INSERT INTO nonces (access_key_id, nonce, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (access_key_id, nonce) DO UPDATE SET expires_at = excluded.expires_at WHERE nonces.expires_at < ?`,
		p.AccessKeyID, p.Nonce, ms(p.Expires), ms(s.db.now()))
	return n == 1, err
}

// NoncePrune forgets nonces that expired before t, and says how many.
func (s *AccountStore) NoncePrune(ctx context.Context, t time.Time) (int, error) {
	n, err := changed(ctx, s.db.db, "prune nonces", `DELETE FROM nonces WHERE expires_at < ?`, ms(t))
	return int(n), err
}
