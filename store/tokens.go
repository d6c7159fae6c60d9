package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/telenordigital/connect-web-sample/connect"
)

// Why tokens are apart from scs's session data: scs writes its data back
// whole, so a slow request that loaded the session before a refresh would
// put the old, already rotated refresh token back, and the user would be
// logged out at the next refresh. So the tokens are a record of their own,
// in a field of the session's hash, written only by compare-and-swap on a
// version number, never by scs.

// ErrNoTokens means the session's token record is gone: the session was
// ended (logout, back-channel logout) or has expired.
var ErrNoTokens = errors.New("store: no tokens for this session")

// TokenRecord is one session's tokens and how they have been kept alive.
type TokenRecord struct {
	Tokens connect.TokenSet `json:"tokens"`
	// Version grows by one with every write; a write names the version it
	// replaces, and loses if another write came first.
	Version     int64     `json:"-"`
	RefreshedAt time.Time `json:"refreshed_at,omitzero"`
	Refreshes   int       `json:"refreshes,omitempty"`
	// Claims are those of the newest ID token a refresh brought, if any;
	// the session keeps the claims of the login.
	Claims *connect.Claims `json:"claims,omitempty"`
}

// currentKey is the Redis name of this request's session, under the
// current secret (a session found under an old one has been moved by the
// time a handler runs).
func (s *Sessions) currentKey(ctx context.Context) (h, key string, err error) {
	token := s.Manager.Token(ctx)
	if token == "" {
		return "", "", ErrNoTokens
	}
	h = s.secrets.current().hashedName("session", token)
	return h, s.keys.session(h), nil
}

// createTokens stores the first record of a session, version 1, for ttl:
// short, until the session's first save gives it the session's expiry.
func (s *Sessions) createTokens(ctx context.Context, rec TokenRecord, ttl time.Duration) error {
	_, key, err := s.currentKey(ctx)
	if err != nil {
		return err
	}
	sealed, err := s.sealTokens(key, rec)
	if err != nil {
		return err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, fieldVersion, 1, fieldTokens, sealed)
		p.PExpire(ctx, key, ttl)
		return nil
	})
	return unavailable("store tokens", err)
}

// Tokens returns this request's session's token record, or ErrNoTokens.
func (s *Sessions) Tokens(ctx context.Context) (TokenRecord, error) {
	_, key, err := s.currentKey(ctx)
	if err != nil {
		return TokenRecord{}, err
	}
	fields, err := s.rdb.HMGet(ctx, key, fieldVersion, fieldTokens).Result()
	if err != nil {
		return TokenRecord{}, unavailable("read tokens", err)
	}
	version, _ := fields[0].(string)
	sealed, _ := fields[1].(string)
	if sealed == "" {
		return TokenRecord{}, ErrNoTokens
	}
	rec, err := s.openTokens(key, []byte(sealed))
	if err != nil {
		return TokenRecord{}, ErrNoTokens
	}
	rec.Version, _ = strconv.ParseInt(version, 10, 64)
	return rec, nil
}

// replaceScript writes the new record only if the version is still the
// one the caller read (and the session still exists). HSET keeps the
// key's expiry.
var replaceScript = redis.NewScript(`
if redis.call("HGET", KEYS[1], "v") ~= ARGV[1] then return 0 end
redis.call("HSET", KEYS[1], "v", tonumber(ARGV[1]) + 1, "t", ARGV[2])
return 1`)

// ReplaceTokens stores rec as version old+1 if the stored version is still
// old, and reports whether it did.
func (s *Sessions) ReplaceTokens(ctx context.Context, old int64, rec TokenRecord) (bool, error) {
	_, key, err := s.currentKey(ctx)
	if err != nil {
		return false, err
	}
	sealed, err := s.sealTokens(key, rec)
	if err != nil {
		return false, err
	}
	n, err := replaceScript.Run(ctx, s.rdb, []string{key}, strconv.FormatInt(old, 10), sealed).Int()
	if err != nil {
		return false, unavailable("replace tokens", err)
	}
	return n == 1, nil
}

// unlockScript deletes the lock only if it still holds our random value:
// a lock that expired and was taken by another instance stays theirs.
var unlockScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0`)

// LockRefresh takes this session's refresh lock for at most ttl, if
// nobody holds it, on every app instance at once. unlock releases it, but
// only if it is still ours.
func (s *Sessions) LockRefresh(ctx context.Context, ttl time.Duration) (unlock func(), ok bool, err error) {
	h, _, err := s.currentKey(ctx)
	if err != nil {
		return nil, false, err
	}
	owner := randomID()
	key := s.keys.refreshLock(h)
	ok, err = s.rdb.SetNX(ctx, key, owner, ttl).Result()
	if err != nil {
		return nil, false, unavailable("take refresh lock", err)
	}
	if !ok {
		return nil, false, nil
	}
	return func() {
		// The request may be over; the lock must still be released.
		unlockScript.Run(context.WithoutCancel(ctx), s.rdb, []string{key}, owner)
	}, true, nil
}

func (s *Sessions) sealTokens(key string, rec TokenRecord) ([]byte, error) {
	plain, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode tokens: %w", err)
	}
	return s.secrets.seal(plain, sealedAs(key, fieldTokens)), nil
}

func (s *Sessions) openTokens(key string, sealed []byte) (TokenRecord, error) {
	plain, err := s.secrets.open(sealed, sealedAs(key, fieldTokens))
	if err != nil {
		return TokenRecord{}, err
	}
	var rec TokenRecord
	err = json.Unmarshal(plain, &rec)
	return rec, err
}

// randomID returns 16 random bytes, base64url encoded: an id nobody can
// guess.
func randomID() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails; see crypto/rand.Read
	return base64.RawURLEncoding.EncodeToString(b)
}

func unavailable(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %s: %v", ErrUnavailable, op, err)
}
