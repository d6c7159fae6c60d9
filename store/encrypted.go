package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/alexedwards/scs/v2"
)

// encryptedStore wraps an scs store so that what reaches Redis is sealed
// with AES-256-GCM: a dump of Redis, or a read-only Redis user, shows no
// token. The session token is the additional data, so a sealed session
// cannot be moved under another token.
type encryptedStore struct {
	inner scs.CtxStore
	sealer
}

var _ scs.CtxStore = (*encryptedStore)(nil)

// newEncryptedStore seals sessions with key (32 bytes).
func newEncryptedStore(inner scs.CtxStore, key []byte) (*encryptedStore, error) {
	sl, err := newSealer(key)
	if err != nil {
		return nil, fmt.Errorf("session %w", err)
	}
	return &encryptedStore{inner: inner, sealer: sl}, nil
}

func (s *encryptedStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	sealed, found, err := s.inner.FindCtx(ctx, token)
	if err != nil || !found {
		return nil, found, err
	}
	plain, err := s.open(sealed, token)
	if err != nil {
		// Not an outage: the visitor simply has no valid session.
		return nil, false, nil
	}
	return plain, true, nil
}

func (s *encryptedStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	return s.inner.CommitCtx(ctx, token, s.seal(b, token), expiry)
}

func (s *encryptedStore) DeleteCtx(ctx context.Context, token string) error {
	return s.inner.DeleteCtx(ctx, token)
}

func (s *encryptedStore) AllCtx(ctx context.Context) (map[string][]byte, error) {
	return nil, errors.New("store: listing sessions is not supported")
}

// The non-context methods make scs accept the store; scs calls the context
// ones when a store has them.

func (s *encryptedStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

func (s *encryptedStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

func (s *encryptedStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}
