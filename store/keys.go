// Package store keeps the app's state between requests: the short-lived
// login transaction and one-time messages in encrypted cookies, and the
// user's session in Redis through scs, sealed at rest, under key names
// that reveal nothing a visitor could present as a cookie.
//
// There is one code path, on any redis.UniversalClient: a standalone
// Redis, Sentinel or Cluster (OpenRedis, in redis.go, reads REDIS_URL
// for each), or an embedded Redis that the app's main starts itself, so
// that this package lifts into another app with connect alone.
package store

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"sync"
)

// Secrets are the keys derived from SESSION_SECRET and, during a rotation,
// from SESSION_SECRET_PREVIOUS: everything is written with the current
// secret's keys and read with either, so that changing the secret logs
// nobody out (see docs/redis.md, "Rotating the secret").
type Secrets struct {
	rings []keyring // the current secret's first
}

// keyring is what one secret keys, one key per purpose, so that no key is
// used for two things.
type keyring struct {
	cookieHash  []byte // signs the login-transaction and message cookies (HMAC-SHA256)
	cookieBlock []byte // encrypts them (AES-256)
	names       []byte // keys the hashes in Redis key names (HMAC-SHA256)
	sealer             // encrypts values in Redis (AES-256-GCM)
	// nameMACs are HMACs keyed with names, reused: every page view names
	// its session, and a new HMAC costs two SHA-256 blocks and five
	// allocations before it hashes anything.
	nameMACs *sync.Pool
}

// NewSecrets derives the keys of the current secret and, if it is not
// nil, of the previous one, with HKDF-SHA256. Every app instance that
// shares a Redis must have the same secrets.
func NewSecrets(current, previous []byte) (*Secrets, error) {
	if len(current) == 0 {
		return nil, errors.New("store: a session secret is required")
	}
	s := &Secrets{}
	for _, secret := range [][]byte{current, previous} {
		if secret == nil {
			continue
		}
		ring, err := deriveKeyring(secret)
		if err != nil {
			return nil, err
		}
		s.rings = append(s.rings, ring)
	}
	return s, nil
}

func deriveKeyring(secret []byte) (keyring, error) {
	derive := func(purpose string) []byte {
		// HKDF fails only for lengths SHA-256 cannot give; 32 it can.
		key, _ := hkdf.Key(sha256.New, secret, nil, "connect-sample "+purpose, 32)
		return key
	}
	k := keyring{
		cookieHash:  derive("cookie hash"),
		cookieBlock: derive("cookie block"),
		names:       derive("redis key names"),
	}
	k.nameMACs = &sync.Pool{New: func() any { return hmac.New(sha256.New, k.names) }}
	var err error
	if k.sealer, err = newSealer(derive("values at rest")); err != nil {
		return keyring{}, fmt.Errorf("store: derive keys: %w", err)
	}
	return k, nil
}

// current is the keyring everything is written with.
func (s *Secrets) current() keyring { return s.rings[0] }

// hashedName is what stands in a Redis key name for a value that must not
// be readable there: a session token (which would be a credential), a
// user's CONNECT id, a CONNECT session id. It is an HMAC, so nobody
// without the secret can compute it from the value, nor the value from
// it; 128 bits of it are plenty to tell sessions apart.
func (k keyring) hashedName(kind, value string) string {
	mac := k.nameMACs.Get().(hash.Hash)
	defer k.nameMACs.Put(mac)
	mac.Reset()
	mac.Write([]byte(kind))
	mac.Write([]byte{0})
	mac.Write([]byte(value))
	var sum [sha256.Size]byte
	return base64.RawURLEncoding.EncodeToString(mac.Sum(sum[:0])[:16])
}

// open decrypts a value sealed with any of the secrets.
func (s *Secrets) open(sealed []byte, boundTo string) ([]byte, error) {
	for _, k := range s.rings {
		if plain, err := k.open(sealed, boundTo); err == nil {
			return plain, nil
		}
	}
	return nil, errUnsealable
}

// seal encrypts with the current secret.
func (s *Secrets) seal(plain []byte, boundTo string) []byte {
	return s.current().seal(plain, boundTo)
}

// cookieKeyPairs are the hash and block keys of every secret, current
// first, as gorilla/securecookie takes them: it writes with the first
// pair and reads with any.
func (s *Secrets) cookieKeyPairs() [][]byte {
	var pairs [][]byte
	for _, k := range s.rings {
		pairs = append(pairs, k.cookieHash, k.cookieBlock)
	}
	return pairs
}
