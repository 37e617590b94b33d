package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

func (s suite) accountCreate(t *testing.T) {
	s.run(t, "stores the account and its secret", func(t *testing.T, b *testBundle) {
		a, secret, err := b.Accounts.AccountGetByKey(b.ctx, b.account.AccessKeyID)
		require.NoError(t, err)
		require.Equal(t, b.account, a)
		require.Equal(t, secretOf(b.account), secret)
	})
	s.run(t, "a taken id is a conflict and writes nothing", func(t *testing.T, b *testBundle) {
		a := b.newAccount()
		a.ID = b.account.ID
		err := b.Accounts.AccountCreate(b.ctx, ackscale.AccountCreateParams{Account: a, Secret: "s"})
		require.True(t, ackscale.IsConflict(err), "want a conflict, got %v", err)
		_, _, err = b.Accounts.AccountGetByKey(b.ctx, a.AccessKeyID)
		require.Equal(t, ackscale.CodeAccessKeyNotFound, ackscale.ErrorCode(err))
	})
	s.run(t, "a taken key id is a conflict and writes nothing", func(t *testing.T, b *testBundle) {
		a := b.newAccount()
		a.AccessKeyID = b.account.AccessKeyID
		err := b.Accounts.AccountCreate(b.ctx, ackscale.AccountCreateParams{Account: a, Secret: "s"})
		require.True(t, ackscale.IsConflict(err), "want a conflict, got %v", err)
		got, secret, err := b.Accounts.AccountGetByKey(b.ctx, b.account.AccessKeyID)
		require.NoError(t, err)
		require.Equal(t, b.account.ID, got.ID)
		require.Equal(t, secretOf(b.account), secret)
	})
}

func (s suite) accountEnsure(t *testing.T) {
	s.run(t, "adds a new account", func(t *testing.T, b *testBundle) {
		a := b.newAccount()
		got, err := b.Accounts.AccountEnsure(b.ctx, ackscale.AccountCreateParams{Account: a, Secret: "s1"})
		require.NoError(t, err)
		require.Equal(t, a.ID, got.ID)
		require.Equal(t, a.AccessKeyID, got.AccessKeyID)
		stored, secret, err := b.Accounts.AccountGetByKey(b.ctx, a.AccessKeyID)
		require.NoError(t, err)
		require.Equal(t, got, stored)
		require.Equal(t, "s1", secret)
	})
	s.run(t, "replaces the key of an existing account", func(t *testing.T, b *testBundle) {
		a := b.account
		a.AccessKeyID, _ = ackscale.NewAccessKey()
		got, err := b.Accounts.AccountEnsure(b.ctx, ackscale.AccountCreateParams{Account: a, Secret: "s2"})
		require.NoError(t, err)
		require.Equal(t, b.account.ID, got.ID)
		require.Equal(t, a.AccessKeyID, got.AccessKeyID)
		stored, secret, err := b.Accounts.AccountGetByKey(b.ctx, a.AccessKeyID)
		require.NoError(t, err)
		require.Equal(t, b.account.ID, stored.ID)
		require.Equal(t, "s2", secret)
		_, _, err = b.Accounts.AccountGetByKey(b.ctx, b.account.AccessKeyID)
		require.Equal(t, ackscale.CodeAccessKeyNotFound, ackscale.ErrorCode(err), "the old key must be gone")
	})
	s.run(t, "the same key with a new secret replaces the secret", func(t *testing.T, b *testBundle) {
		_, err := b.Accounts.AccountEnsure(b.ctx, ackscale.AccountCreateParams{Account: b.account, Secret: "s3"})
		require.NoError(t, err)
		_, secret, err := b.Accounts.AccountGetByKey(b.ctx, b.account.AccessKeyID)
		require.NoError(t, err)
		require.Equal(t, "s3", secret)
	})
}

func (s suite) accountGetByKey(t *testing.T) {
	s.run(t, "an unknown key is CodeAccessKeyNotFound", func(t *testing.T, b *testBundle) {
		_, _, err := b.Accounts.AccountGetByKey(b.ctx, "LTAINOSUCHKEY")
		require.Equal(t, ackscale.CodeAccessKeyNotFound, ackscale.ErrorCode(err))
		require.True(t, ackscale.IsNotFound(err))
	})
}

func (s suite) nonceUse(t *testing.T) {
	s.run(t, "fresh once, then not until it expires", func(t *testing.T, b *testBundle) {
		p := ackscale.NonceUseParams{AccessKeyID: b.account.AccessKeyID, Nonce: "n1", Expires: b.now.Add(15 * time.Minute)}
		requireFresh(t, b, p, true)
		requireFresh(t, b, p, false)
	})
	s.run(t, "nonces are per access key", func(t *testing.T, b *testBundle) {
		p := ackscale.NonceUseParams{AccessKeyID: b.account.AccessKeyID, Nonce: "n1", Expires: b.now.Add(15 * time.Minute)}
		requireFresh(t, b, p, true)
		p.AccessKeyID = b.other.AccessKeyID
		requireFresh(t, b, p, true)
	})
	s.run(t, "an expired nonce may be used again", func(t *testing.T, b *testBundle) {
		p := ackscale.NonceUseParams{AccessKeyID: b.account.AccessKeyID, Nonce: "old", Expires: b.now.Add(-time.Minute)}
		requireFresh(t, b, p, true)
		p.Expires = b.now.Add(15 * time.Minute)
		requireFresh(t, b, p, true)
		requireFresh(t, b, p, false)
	})
}

func (s suite) noncePrune(t *testing.T) {
	s.run(t, "forgets the nonces expired before t and counts them", func(t *testing.T, b *testBundle) {
		use := func(nonce string, expires time.Time) ackscale.NonceUseParams {
			p := ackscale.NonceUseParams{AccessKeyID: b.account.AccessKeyID, Nonce: nonce, Expires: expires}
			requireFresh(t, b, p, true)
			return p
		}
		use("n1", b.now.Add(-2*time.Hour))
		use("n2", b.now.Add(-time.Hour))
		live := use("n3", b.now.Add(time.Hour))

		n, err := b.Accounts.NoncePrune(b.ctx, b.now.Add(-90*time.Minute))
		require.NoError(t, err)
		require.Equal(t, 1, n, "NoncePrune(now-90m)")
		n, err = b.Accounts.NoncePrune(b.ctx, b.now)
		require.NoError(t, err)
		require.Equal(t, 1, n, "NoncePrune(now)")
		n, err = b.Accounts.NoncePrune(b.ctx, b.now)
		require.NoError(t, err)
		require.Zero(t, n, "NoncePrune(now) again")
		requireFresh(t, b, live, false)
	})
}

func requireFresh(t *testing.T, b *testBundle, p ackscale.NonceUseParams, want bool) {
	t.Helper()
	fresh, err := b.Accounts.NonceUse(b.ctx, p)
	require.NoError(t, err)
	require.Equal(t, want, fresh, "NonceUse(%s, %s): fresh", p.AccessKeyID, p.Nonce)
}
