package sign

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// fakeAccounts is an account store of one key, whose reads can fail.
type fakeAccounts struct {
	mu      sync.Mutex
	fail    error
	reads   int
	nonces  map[string]bool
	account ackscale.Account
}

func (f *fakeAccounts) AccountGetByKey(_ context.Context, id string) (ackscale.Account, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	switch {
	case f.fail != nil:
		return ackscale.Account{}, "", f.fail
	case id != testAK:
		return ackscale.Account{}, "", ackscale.Errorf(ackscale.CodeAccessKeyNotFound, "no key %s", id)
	}
	return f.account, testSecret, nil
}

func (f *fakeAccounts) NonceUse(_ context.Context, p ackscale.NonceUseParams) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := p.AccessKeyID + "/" + p.Nonce
	if f.nonces[k] {
		return false, nil
	}
	f.nonces[k] = true
	return true, nil
}

// TestAccountVerifier: a good signature gives the key's account, read
// once; a nonce is recorded in the store; an unknown key is refused as
// such; a store that fails is an internal error, not an unknown key.
func TestAccountVerifier(t *testing.T) {
	ctx := context.Background()
	store := &fakeAccounts{nonces: map[string]bool{}, account: ackscale.Account{ID: "5000000000000001", AccessKeyID: testAK}}
	v := NewAccountVerifier(store, Verifier{Now: func() time.Time { return testNow }})

	sr, body := toServer(t, darabonba(t, getNodes(), testAK, testSecret, testNow, testNonce).req)
	a, err := v.Verify(ctx, sr, body)
	require.NoError(t, err)
	require.Equal(t, store.account, a)
	require.Equal(t, 1, store.reads)
	require.True(t, store.nonces[testAK+"/"+testNonce], "the nonce went to the store")
	sr, body = toServer(t, darabonba(t, getNodes(), testAK, testSecret, testNow, testNonce).req)
	_, err = v.Verify(ctx, sr, body)
	require.Equal(t, ackscale.CodeNonceUsed, ackscale.ErrorCode(err))

	req := darabonba(t, getNodes(), "LTAIunknown", testSecret, testNow, "n2").req
	sr, body = toServer(t, req)
	a, err = v.Verify(ctx, sr, body)
	requireCode(t, ackscale.CodeAccessKeyNotFound, err, req)
	require.Empty(t, a.ID)

	store.fail = errors.New("database is locked")
	sr, body = toServer(t, darabonba(t, getNodes(), testAK, testSecret, testNow, "n3").req)
	_, err = v.Verify(ctx, sr, body)
	require.ErrorIs(t, err, store.fail)
	require.ErrorContains(t, err, "look up access key")
	require.Equal(t, ackscale.KindInternal, ackscale.KindOf(err))
}
