package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ackscale/ackscale"
)

// AccountStore keeps accounts, their access keys (secrets sealed at rest)
// and the signature nonces seen.
type AccountStore struct{ db *DB }

// keyCache keeps the accounts of the access keys signed requests used, by
// key id, with their secrets opened: every signed request reads one. One
// process owns the database file (serve's lock), and the account store is
// the only writer of accounts, so forgetting them all at each write keeps
// the cache exact.
type keyCache struct {
	mu   sync.RWMutex
	keys map[string]cachedKey
	gen  int // counts forget: a read older than the last one is not kept
}

type cachedKey struct {
	account ackscale.Account
	secret  string
}

// get returns the cached key, or the generation to put it with.
func (c *keyCache) get(keyID string) (k cachedKey, ok bool, gen int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	k, ok = c.keys[keyID]
	return k, ok, c.gen
}

// put keeps a key read from the database since get returned gen, unless
// the accounts changed meanwhile.
func (c *keyCache) put(keyID string, k cachedKey, gen int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.keys == nil {
		c.keys = map[string]cachedKey{}
	}
	c.keys[keyID] = k
}

// forget empties the cache: call it after the accounts changed.
func (c *keyCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys = nil
	c.gen++
}

var _ ackscale.AccountStore = (*AccountStore)(nil)

// NewAccountStore returns the account store of db.
func NewAccountStore(db *DB) *AccountStore { return &AccountStore{db: db} }

// AccountCreate adds an account with its key; a taken id or key id is a
// conflict.
func (s *AccountStore) AccountCreate(ctx context.Context, p ackscale.AccountCreateParams) error {
	a := s.withCreated(p.Account)
	_, err := s.db.db.ExecContext(ctx, `INSERT INTO accounts (id, access_key_id, access_key_secret, created_at) VALUES (?, ?, ?, ?)`,
		a.ID, a.AccessKeyID, s.db.box.seal(p.Secret), ms(a.Created))
	s.db.keys.forget()
	return insertError(err, fmt.Sprintf("account %s or access key %s", a.ID, a.AccessKeyID))
}

// AccountEnsure adds the account or replaces its key and secret, and
// returns it as stored; the default account is ensured at every start. A
// key id held by another account is a conflict.
func (s *AccountStore) AccountEnsure(ctx context.Context, p ackscale.AccountCreateParams) (ackscale.Account, error) {
	a := s.withCreated(p.Account)
	err := s.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
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
	s.db.keys.forget()
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
	k, ok, gen := s.db.keys.get(accessKeyID)
	if ok {
		return k.account, k.secret, nil
	}
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
	s.db.keys.put(accessKeyID, cachedKey{a, secret}, gen)
	return a, secret, nil
}

// NonceUse records a nonce of an access key until it expires; fresh is
// false when the key already used it and it has not expired. The nonce is
// decided at once and stored with the writer's next commit (nonce.go).
func (s *AccountStore) NonceUse(ctx context.Context, p ackscale.NonceUseParams) (bool, error) {
	return s.db.nonces.use(ctx, p, ms(s.db.now()), s.nonceStored)
}

// nonceStored reports whether the table has a nonce of hash h, unexpired
// at now; it makes the index by hash first (nonce.go).
func (s *AccountStore) nonceStored(ctx context.Context, h uint64, now int64) (bool, error) {
	if err := s.db.nonceIndex(ctx); err != nil {
		return false, err
	}
	var one int
	err := s.db.read.QueryRowContext(ctx, `SELECT 1 FROM nonce_log WHERE hash = ? AND expires_at >= ?`, int64(h), now).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read nonce: %w", err)
	}
	return true, nil
}

// NoncePrune forgets nonces that expired before t, and says how many.
func (s *AccountStore) NoncePrune(ctx context.Context, t time.Time) (int, error) {
	// In a transaction of the writer, whose prepare stores the pending
	// nonces first: the count includes them.
	var n int64
	err := s.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) (err error) {
		n, err = changed(ctx, tx, "prune nonces", `DELETE FROM nonce_log WHERE expires_at < ?`, ms(t))
		return err
	})
	return int(n), err
}
