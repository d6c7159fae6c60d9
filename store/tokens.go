package store

import (
	"bytes"
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
// a key beside the session's, written only by compare-and-swap on a
// version number, never by scs. The key holds "<version>:<sealed record>",
// so a script can compare versions without decrypting anything.

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
}

// current names this request's session in Redis, under the current
// secret (a session found under an old one has been moved by the time a
// handler runs).
func (s *Sessions) current(ctx context.Context) (h string, err error) {
	token := s.Manager.Token(ctx)
	if token == "" {
		return "", ErrNoTokens
	}
	return s.secrets.current().hashedName("session", token), nil
}

// createTokens stores the first record of a session, version 1, for ttl:
// short, until the session's first save gives it the session's expiry.
func (s *Sessions) createTokens(ctx context.Context, rec TokenRecord, ttl time.Duration) error {
	h, err := s.current(ctx)
	if err != nil {
		return err
	}
	value, err := s.secrets.tokenValue(s.keys.tokens(h), 1, rec)
	if err != nil {
		return err
	}
	return unavailable("store tokens", s.rdb.Set(ctx, s.keys.tokens(h), value, ttl).Err())
}

// Tokens returns this request's session's token record, or ErrNoTokens.
func (s *Sessions) Tokens(ctx context.Context) (TokenRecord, error) {
	h, err := s.current(ctx)
	if err != nil {
		return TokenRecord{}, err
	}
	value, err := s.rdb.Get(ctx, s.keys.tokens(h)).Bytes()
	if errors.Is(err, redis.Nil) {
		return TokenRecord{}, ErrNoTokens
	}
	if err != nil {
		return TokenRecord{}, unavailable("read tokens", err)
	}
	rec, err := s.secrets.openTokenValue(s.keys.tokens(h), value)
	if err != nil {
		return TokenRecord{}, ErrNoTokens
	}
	return rec, nil
}

// replaceScript writes the new record only if the version is still the
// one the caller read (and the record still exists). KEEPTTL: the record
// keeps its session's expiry.
var replaceScript = newScript(replaceKeys{tokens: "tokens"}.list(), `
local current = redis.call("GET", tokens)
if not current or string.match(current, "^(%d+):") ~= ARGV[1] then return 0 end
redis.call("SET", tokens, ARGV[2], "KEEPTTL")
return 1`)

// replaceKeys are replaceScript's keys: the session's token record.
type replaceKeys struct{ tokens string }

func (k replaceKeys) list() []string { return []string{k.tokens} }

// replaceTokens stores rec as version old+1 if the stored version is still
// old, and reports whether it did.
func (s *Sessions) replaceTokens(ctx context.Context, old int64, rec TokenRecord) (bool, error) {
	h, err := s.current(ctx)
	if err != nil {
		return false, err
	}
	key := s.keys.tokens(h)
	value, err := s.secrets.tokenValue(key, old+1, rec)
	if err != nil {
		return false, err
	}
	n, err := replaceScript.Run(ctx, s.rdb, replaceKeys{tokens: key}.list(), strconv.FormatInt(old, 10), value).Int()
	if err != nil {
		return false, unavailable("replace tokens", err)
	}
	return n == 1, nil
}

// unlockScript deletes the lock only if it still holds our random value:
// a lock that expired and was taken by another instance stays theirs.
var unlockScript = newScript(unlockKeys{lock: "lock"}.list(), `
if redis.call("GET", lock) == ARGV[1] then return redis.call("DEL", lock) end
return 0`)

// unlockKeys are unlockScript's keys: the session's refresh lock.
type unlockKeys struct{ lock string }

func (k unlockKeys) list() []string { return []string{k.lock} }

// lockRefresh takes this session's refresh lock for at most ttl, if
// nobody holds it, on every app instance at once. unlock releases it, but
// only if it is still ours.
func (s *Sessions) lockRefresh(ctx context.Context, ttl time.Duration) (unlock func(), ok bool, err error) {
	h, err := s.current(ctx)
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
		unlockScript.Run(context.WithoutCancel(ctx), s.rdb, unlockKeys{lock: key}.list(), owner)
	}, true, nil
}

// tokenValue is what the token record's key holds: the version, then
// the record sealed under the key's name.
func (s *Secrets) tokenValue(key string, version int64, rec TokenRecord) ([]byte, error) {
	plain, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode tokens: %w", err)
	}
	return append(strconv.AppendInt(nil, version, 10), append([]byte{':'}, s.seal(plain, key)...)...), nil
}

// openTokenValue reads what tokenValue wrote under key.
func (s *Secrets) openTokenValue(key string, value []byte) (TokenRecord, error) {
	version, sealed, ok := bytes.Cut(value, []byte{':'})
	if !ok {
		return TokenRecord{}, errUnsealable
	}
	plain, err := s.open(sealed, key)
	if err != nil {
		return TokenRecord{}, err
	}
	var rec TokenRecord
	if err := json.Unmarshal(plain, &rec); err != nil {
		return TokenRecord{}, err
	}
	rec.Version, err = strconv.ParseInt(string(version), 10, 64)
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
