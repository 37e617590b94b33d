package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ackscale/ackscale"
)

// AccountCreate adds an account with its key pair.
func (s *Store) AccountCreate(ctx context.Context, a ackscale.Account, secret string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO accounts (id, access_key_id, access_key_secret, created_at) VALUES (?, ?, ?, ?)`,
		a.ID, a.AccessKeyID, s.box.seal(secret), ms(a.Created))
	if err != nil {
		return fmt.Errorf("insert account: %w", err)
	}
	return nil
}

// AccountEnsure makes sure an account with this key exists (with this
// secret) and returns it; the default account is ensured at every start.
func (s *Store) AccountEnsure(ctx context.Context, id, accessKeyID, secret string) (ackscale.Account, error) {
	a := ackscale.Account{ID: id, AccessKeyID: accessKeyID, Created: s.now()}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, access_key_id, access_key_secret, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET access_key_id = excluded.access_key_id, access_key_secret = excluded.access_key_secret`,
			a.ID, a.AccessKeyID, s.box.seal(secret), ms(a.Created))
		return err
	})
	if err != nil {
		return a, fmt.Errorf("ensure account: %w", err)
	}
	return a, nil
}

// AccountByKey returns the account owning accessKeyID and its secret.
func (s *Store) AccountByKey(ctx context.Context, accessKeyID string) (ackscale.Account, string, error) {
	var a ackscale.Account
	var secret string
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT id, access_key_id, access_key_secret, created_at FROM accounts WHERE access_key_id = ?`,
		accessKeyID).Scan(&a.ID, &a.AccessKeyID, &secret, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return a, "", ackscale.Errorf(ackscale.CodeAccessKeyNotFound, "access key id %q does not exist", accessKeyID)
	}
	if err != nil {
		return a, "", fmt.Errorf("get account: %w", err)
	}
	a.Created = fromMS(created)
	if secret, err = s.box.open(secret); err != nil {
		return a, "", err
	}
	return a, secret, nil
}

// UseNonce records a signature nonce; fresh is false when it was seen before
// and has not expired.
func (s *Store) UseNonce(ctx context.Context, accessKeyID, nonce string, expires time.Time) (bool, error) {
	now := ms(s.now())
	var fresh bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM nonces WHERE access_key_id = ? AND nonce = ? AND expires_at < ?`, accessKeyID, nonce, now); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO nonces (access_key_id, nonce, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			accessKeyID, nonce, ms(expires))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		fresh = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("use nonce: %w", err)
	}
	return fresh, nil
}

// NoncesPrune deletes expired nonces.
func (s *Store) NoncesPrune(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM nonces WHERE expires_at < ?`, ms(s.now())); err != nil {
		return fmt.Errorf("prune nonces: %w", err)
	}
	return nil
}
