// Package store keeps the app's state between requests: the short-lived
// login transaction in an encrypted cookie, and the user's session in Redis
// (or in memory for a quick local run) through scs, encrypted at rest.
package store

import (
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
)

// Keys are the keys derived from SESSION_SECRET, one per purpose, so that
// no key is used for two things.
type Keys struct {
	CookieHash  []byte // signs the login-transaction cookie (HMAC-SHA256)
	CookieBlock []byte // encrypts it (AES-256)
	AtRest      []byte // encrypts user sessions in Redis (AES-256-GCM)
}

// DeriveKeys derives the Keys from the session secret with HKDF-SHA256.
// Every app instance that shares a Redis must share the secret.
func DeriveKeys(secret []byte) (Keys, error) {
	derive := func(purpose string) ([]byte, error) {
		return hkdf.Key(sha256.New, secret, nil, "connect-sample "+purpose, 32)
	}
	var k Keys
	var err error
	if k.CookieHash, err = derive("cookie hash"); err != nil {
		return Keys{}, fmt.Errorf("derive keys: %w", err)
	}
	if k.CookieBlock, err = derive("cookie block"); err != nil {
		return Keys{}, fmt.Errorf("derive keys: %w", err)
	}
	if k.AtRest, err = derive("session at rest"); err != nil {
		return Keys{}, fmt.Errorf("derive keys: %w", err)
	}
	return k, nil
}
