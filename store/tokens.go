package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/telenordigital/connect-web-sample/connect"
)

// Why tokens are not in the scs session: scs saves a session as one blob,
// and every request that touched the session writes its whole copy back.
// A slow request that loaded the session before a refresh would then put
// the old, already rotated refresh token back, and the user would be
// logged out at the next refresh. So tokens live in a record of their own,
// written only by compare-and-swap on a version number.

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

// Tokens keeps token records and the per-session refresh lock, in Redis so
// that every app instance sees the same, or in memory for a single process.
type Tokens interface {
	// Create stores the first record of a session, version 1.
	Create(ctx context.Context, id string, rec TokenRecord, ttl time.Duration) error
	// Get returns the record, or ErrNoTokens.
	Get(ctx context.Context, id string) (TokenRecord, error)
	// Replace stores rec as version old.Version+1 if the stored version is
	// still old.Version, and reports whether it did.
	Replace(ctx context.Context, id string, old int64, rec TokenRecord) (bool, error)
	// Delete removes the record.
	Delete(ctx context.Context, id string) error
	// Lock takes the refresh lock of a session for at most ttl, if nobody
	// holds it. unlock releases it, but only if it is still ours.
	Lock(ctx context.Context, id string, ttl time.Duration) (unlock func(), ok bool, err error)
}

// NewTokenID returns a random id for a session's token record.
func NewTokenID() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Redis keys of the token records and their locks; see the README.
// The braces put a session's keys in one Redis Cluster hash slot: its
// token record's id is its session token (see Sessions.LogIn).
func tokensKey(id string) string      { return "connect-sample:tokens:{" + id + "}" }
func refreshLockKey(id string) string { return "connect-sample:refresh-lock:{" + id + "}" }

// RedisTokens keeps token records in Redis hashes (fields v: version,
// d: the sealed record), so a Lua script can compare versions without
// decrypting anything.
type RedisTokens struct {
	rdb redis.UniversalClient
	sealer
}

var _ Tokens = (*RedisTokens)(nil)

// NewRedisTokens stores token records in rdb, sealed with key.
func NewRedisTokens(rdb redis.UniversalClient, key []byte) (*RedisTokens, error) {
	sl, err := newSealer(key)
	if err != nil {
		return nil, fmt.Errorf("token %w", err)
	}
	return &RedisTokens{rdb: rdb, sealer: sl}, nil
}

func (t *RedisTokens) Create(ctx context.Context, id string, rec TokenRecord, ttl time.Duration) error {
	data, err := t.sealRecord(id, rec)
	if err != nil {
		return err
	}
	key := tokensKey(id)
	_, err = t.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, "v", 1, "d", data)
		p.PExpire(ctx, key, ttl)
		return nil
	})
	return unavailable("store tokens", err)
}

func (t *RedisTokens) Get(ctx context.Context, id string) (TokenRecord, error) {
	fields, err := t.rdb.HGetAll(ctx, tokensKey(id)).Result()
	if err != nil {
		return TokenRecord{}, unavailable("read tokens", err)
	}
	if fields["d"] == "" {
		return TokenRecord{}, ErrNoTokens
	}
	rec, err := t.openRecord(id, []byte(fields["d"]))
	if err != nil {
		return TokenRecord{}, ErrNoTokens
	}
	rec.Version, _ = strconv.ParseInt(fields["v"], 10, 64)
	return rec, nil
}

// replaceScript writes the new record only if the version is still the
// one the caller read. HSET keeps the key's expiry.
var replaceScript = redis.NewScript(`
if redis.call("HGET", KEYS[1], "v") ~= ARGV[1] then return 0 end
redis.call("HSET", KEYS[1], "v", tonumber(ARGV[1]) + 1, "d", ARGV[2])
return 1`)

func (t *RedisTokens) Replace(ctx context.Context, id string, old int64, rec TokenRecord) (bool, error) {
	data, err := t.sealRecord(id, rec)
	if err != nil {
		return false, err
	}
	n, err := replaceScript.Run(ctx, t.rdb, []string{tokensKey(id)}, strconv.FormatInt(old, 10), data).Int()
	if err != nil {
		return false, unavailable("replace tokens", err)
	}
	return n == 1, nil
}

func (t *RedisTokens) Delete(ctx context.Context, id string) error {
	return unavailable("delete tokens", t.rdb.Del(ctx, tokensKey(id)).Err())
}

// unlockScript deletes the lock only if it still holds our random value:
// a lock that expired and was taken by another instance stays theirs.
var unlockScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0`)

func (t *RedisTokens) Lock(ctx context.Context, id string, ttl time.Duration) (func(), bool, error) {
	owner := NewTokenID()
	key := refreshLockKey(id)
	ok, err := t.rdb.SetNX(ctx, key, owner, ttl).Result()
	if err != nil {
		return nil, false, unavailable("take refresh lock", err)
	}
	if !ok {
		return nil, false, nil
	}
	return func() {
		// The request may be over; the lock must still be released.
		unlockScript.Run(context.WithoutCancel(ctx), t.rdb, []string{key}, owner)
	}, true, nil
}

func (t *RedisTokens) sealRecord(id string, rec TokenRecord) ([]byte, error) {
	plain, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode tokens: %w", err)
	}
	return t.seal(plain, tokensKey(id)), nil
}

func (t *RedisTokens) openRecord(id string, sealed []byte) (TokenRecord, error) {
	plain, err := t.open(sealed, tokensKey(id))
	if err != nil {
		return TokenRecord{}, err
	}
	var rec TokenRecord
	err = json.Unmarshal(plain, &rec)
	return rec, err
}

func unavailable(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %s: %v", ErrUnavailable, op, err)
}

// MemoryTokens keeps token records in this process, for `go run .`
// without Redis. The same rules hold, within one process.
type MemoryTokens struct {
	now func() time.Time

	mu      sync.Mutex
	records map[string]memoryRecord
	locks   map[string]time.Time // id -> lock expiry
}

type memoryRecord struct {
	rec     TokenRecord
	expires time.Time
}

var _ Tokens = (*MemoryTokens)(nil)

// NewMemoryTokens returns an empty in-memory store.
func NewMemoryTokens() *MemoryTokens {
	return &MemoryTokens{now: time.Now, records: map[string]memoryRecord{}, locks: map[string]time.Time{}}
}

func (m *MemoryTokens) Create(_ context.Context, id string, rec TokenRecord, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropExpired()
	rec.Version = 1
	m.records[id] = memoryRecord{rec: rec, expires: m.now().Add(ttl)}
	return nil
}

func (m *MemoryTokens) Get(_ context.Context, id string) (TokenRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[id]
	if !ok || !m.now().Before(r.expires) {
		return TokenRecord{}, ErrNoTokens
	}
	return r.rec, nil
}

func (m *MemoryTokens) Replace(_ context.Context, id string, old int64, rec TokenRecord) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[id]
	if !ok || r.rec.Version != old {
		return false, nil
	}
	rec.Version = old + 1
	m.records[id] = memoryRecord{rec: rec, expires: r.expires}
	return true, nil
}

func (m *MemoryTokens) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.records, id)
	return nil
}

func (m *MemoryTokens) Lock(_ context.Context, id string, ttl time.Duration) (func(), bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if until, held := m.locks[id]; held && m.now().Before(until) {
		return nil, false, nil
	}
	until := m.now().Add(ttl)
	m.locks[id] = until
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.locks[id] == until {
			delete(m.locks, id)
		}
	}, true, nil
}

// dropExpired forgets expired records; called on writes, so memory stays
// bounded by the sessions of the last lifetime.
func (m *MemoryTokens) dropExpired() {
	now := m.now()
	for id, r := range m.records {
		if !now.Before(r.expires) {
			delete(m.records, id)
		}
	}
	for id, until := range m.locks {
		if !now.Before(until) {
			delete(m.locks, id)
		}
	}
}
