package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
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
	aead  cipher.AEAD
}

var _ scs.CtxStore = (*encryptedStore)(nil)

// newEncryptedStore seals sessions with key (32 bytes).
func newEncryptedStore(inner scs.CtxStore, key []byte) (*encryptedStore, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("session encryption key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("session encryption key: %w", err)
	}
	return &encryptedStore{inner: inner, aead: aead}, nil
}

// errUnreadableSession is a stored session that does not open with our key:
// written with another SESSION_SECRET, or tampered with. It is treated as no
// session at all.
var errUnreadableSession = errors.New("store: session does not decrypt")

func (s *encryptedStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	sealed, found, err := s.inner.FindCtx(ctx, token)
	if err != nil || !found {
		return nil, found, err
	}
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, false, nil
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(token))
	if err != nil {
		// Not an outage: the visitor simply has no valid session.
		return nil, false, nil
	}
	return plain, true, nil
}

func (s *encryptedStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return s.inner.CommitCtx(ctx, token, s.aead.Seal(nonce, nonce, b, []byte(token)), expiry)
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
