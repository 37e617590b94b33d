package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	_, err := s.db.pool.Exec(ctx, `INSERT INTO accounts (id, access_key_id, access_key_secret, created_at) VALUES ($1, $2, $3, $4)`,
		a.ID, a.AccessKeyID, s.db.box.seal(p.Secret), ms(a.Created))
	return insertError(err, fmt.Sprintf("account %s or access key %s", a.ID, a.AccessKeyID))
}

// AccountEnsure adds the account or replaces its key and secret, and
// returns it as stored; the default account is ensured at every start
// (of every replica: the upsert settles replicas starting together). A
// key id held by another account is a conflict.
func (s *AccountStore) AccountEnsure(ctx context.Context, p ackscale.AccountCreateParams) (ackscale.Account, error) {
	a := s.withCreated(p.Account)
	var created int64
	err := s.db.pool.QueryRow(ctx, `INSERT INTO accounts (id, access_key_id, access_key_secret, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET access_key_id = excluded.access_key_id, access_key_secret = excluded.access_key_secret
		RETURNING created_at`,
		a.ID, a.AccessKeyID, s.db.box.seal(p.Secret), ms(a.Created)).Scan(&created)
	if err != nil {
		return ackscale.Account{}, insertError(err, "access key "+a.AccessKeyID)
	}
	a.Created = fromMS(created)
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
	err := s.db.pool.QueryRow(ctx, `SELECT id, access_key_id, access_key_secret, created_at FROM accounts WHERE access_key_id = $1`,
		accessKeyID).Scan(&a.ID, &a.AccessKeyID, &sealed, &created)
	if errors.Is(err, pgx.ErrNoRows) {
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
// false when it was recorded before and has not expired. Replicas racing
// with one nonce settle on the primary key: the INSERT of one waits for
// the other's transaction, then does nothing.
func (s *AccountStore) NonceUse(ctx context.Context, p ackscale.NonceUseParams) (bool, error) {
	now := ms(s.db.now())
	var fresh bool
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM nonces WHERE access_key_id = $1 AND nonce = $2 AND expires_at < $3`,
			p.AccessKeyID, p.Nonce, now); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO nonces (access_key_id, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			p.AccessKeyID, p.Nonce, ms(p.Expires))
		fresh = tag.RowsAffected() == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("use nonce: %w", err)
	}
	return fresh, nil
}

// NoncePrune forgets nonces that expired before t, and says how many.
func (s *AccountStore) NoncePrune(ctx context.Context, t time.Time) (int, error) {
	n, err := changed(ctx, s.db.pool, "prune nonces", `DELETE FROM nonces WHERE expires_at < $1`, ms(t))
	return int(n), err
}
