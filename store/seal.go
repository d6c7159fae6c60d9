package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// sealer encrypts what the app stores with AES-256-GCM. The additional
// data is the key the value is stored under, so a sealed value moved to
// another key does not open.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (sealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return sealer{}, fmt.Errorf("encryption key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealer{}, fmt.Errorf("encryption key: %w", err)
	}
	return sealer{aead: aead}, nil
}

func (s sealer) seal(plain []byte, boundTo string) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plain, []byte(boundTo))
}

// errUnsealable is a value that does not open with our key: written with
// another SESSION_SECRET, moved, or tampered with.
var errUnsealable = errors.New("store: stored value does not decrypt")

func (s sealer) open(sealed []byte, boundTo string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errUnsealable
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(boundTo))
	if err != nil {
		return nil, errUnsealable
	}
	return plain, nil
}
