package store

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Back-channel logout names a CONNECT session (sid) or a user (sub), not
// one of our sessions, and may reach any app instance. So at login each
// session is listed under its sid and its sub, in Redis, where every
// instance can find and end it.

// Redis keys of the index and the logout-token replay cache; see README.
func sidKey(sid string) string { return "connect-sample:sid:" + sid }
func subKey(sub string) string { return "connect-sample:sub:" + sub }
func jtiKey(jti string) string { return "connect-sample:logout-jti:" + jti }

// sessionIndex is a set per key, each expiring with the newest session it
// lists, plus a set-once marker for replay detection.
type sessionIndex interface {
	add(ctx context.Context, keys []string, entry string, ttl time.Duration) error
	remove(ctx context.Context, keys []string, entry string) error
	members(ctx context.Context, key string) ([]string, error)
	// mark sets a marker for ttl; marked reports whether it is set.
	mark(ctx context.Context, key string, ttl time.Duration) error
	marked(ctx context.Context, key string) (bool, error)
}

// indexKeys are the index sets a session with these claims belongs to.
func indexKeys(sid, sub string) []string {
	var keys []string
	if sid != "" {
		keys = append(keys, sidKey(sid))
	}
	if sub != "" {
		keys = append(keys, subKey(sub))
	}
	return keys
}

// EndSessions ends every local session of CONNECT session sid, or, when
// sid is empty, every session of user sub, on every instance: the session
// and its tokens are deleted from the store, so the next request of that
// browser finds no login. It returns how many sessions it ended.
func (s *Sessions) EndSessions(ctx context.Context, sid, sub string) (int, error) {
	key := subKey(sub)
	if sid != "" {
		key = sidKey(sid)
	}
	entries, err := s.index.members(ctx, key)
	if err != nil {
		return 0, unavailable("read session index", err)
	}
	// Each entry is a session token, which also names the session's token
	// record (see LogIn).
	for _, token := range entries {
		if err := s.sessions.DeleteCtx(ctx, token); err != nil {
			return 0, unavailable("delete session", err)
		}
		if err := s.Tokens.Delete(ctx, token); err != nil {
			return 0, err
		}
		if err := s.index.remove(ctx, indexKeys(sid, sub), token); err != nil {
			return 0, unavailable("update session index", err)
		}
	}
	return len(entries), nil
}

// LogoutTokenSeen reports whether a logout token with this jti has been
// acted on already; a replay must end nothing new.
func (s *Sessions) LogoutTokenSeen(ctx context.Context, jti string) (bool, error) {
	seen, err := s.index.marked(ctx, jtiKey(jti))
	if err != nil {
		return false, unavailable("read logout token cache", err)
	}
	return seen, nil
}

// RememberLogoutToken records a logout token's jti until the token
// expires (and at least a minute, against clock skew).
func (s *Sessions) RememberLogoutToken(ctx context.Context, jti string, expiry time.Time) error {
	ttl := max(time.Until(expiry), time.Minute)
	if err := s.index.mark(ctx, jtiKey(jti), ttl); err != nil {
		return unavailable("record logout token", err)
	}
	return nil
}

// redisIndex keeps the index in Redis sets.
type redisIndex struct{ rdb redis.UniversalClient }

func (x redisIndex) add(ctx context.Context, keys []string, entry string, ttl time.Duration) error {
	// Pipelined, not a transaction: the keys may live on different
	// Redis Cluster nodes.
	_, err := x.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, key := range keys {
			p.SAdd(ctx, key, entry)
			p.Expire(ctx, key, ttl)
		}
		return nil
	})
	return err
}

func (x redisIndex) remove(ctx context.Context, keys []string, entry string) error {
	_, err := x.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, key := range keys {
			p.SRem(ctx, key, entry)
		}
		return nil
	})
	return err
}

func (x redisIndex) members(ctx context.Context, key string) ([]string, error) {
	return x.rdb.SMembers(ctx, key).Result()
}

func (x redisIndex) mark(ctx context.Context, key string, ttl time.Duration) error {
	return x.rdb.Set(ctx, key, 1, ttl).Err()
}

func (x redisIndex) marked(ctx context.Context, key string) (bool, error) {
	n, err := x.rdb.Exists(ctx, key).Result()
	return n == 1, err
}

// memoryIndex is the same in one process, for sessions kept in memory.
type memoryIndex struct {
	mu    sync.Mutex
	sets  map[string]map[string]time.Time // key -> entry -> expiry
	marks map[string]time.Time            // key -> expiry
}

func newMemoryIndex() *memoryIndex {
	return &memoryIndex{sets: map[string]map[string]time.Time{}, marks: map[string]time.Time{}}
}

func (x *memoryIndex) add(_ context.Context, keys []string, entry string, ttl time.Duration) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.dropExpired()
	for _, key := range keys {
		if x.sets[key] == nil {
			x.sets[key] = map[string]time.Time{}
		}
		x.sets[key][entry] = time.Now().Add(ttl)
	}
	return nil
}

func (x *memoryIndex) remove(_ context.Context, keys []string, entry string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, key := range keys {
		delete(x.sets[key], entry)
		if len(x.sets[key]) == 0 {
			delete(x.sets, key)
		}
	}
	return nil
}

func (x *memoryIndex) members(_ context.Context, key string) ([]string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	var entries []string
	for entry, expiry := range x.sets[key] {
		if time.Now().Before(expiry) {
			entries = append(entries, entry)
		}
	}
	return entries, nil
}

func (x *memoryIndex) mark(_ context.Context, key string, ttl time.Duration) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.dropExpired()
	x.marks[key] = time.Now().Add(ttl)
	return nil
}

func (x *memoryIndex) marked(_ context.Context, key string) (bool, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	until, ok := x.marks[key]
	return ok && time.Now().Before(until), nil
}

// dropExpired forgets what Redis would have expired by now; called on
// writes, so memory stays bounded by the sessions of the last lifetime.
func (x *memoryIndex) dropExpired() {
	now := time.Now()
	for key, entries := range x.sets {
		for entry, expiry := range entries {
			if !now.Before(expiry) {
				delete(entries, entry)
			}
		}
		if len(entries) == 0 {
			delete(x.sets, key)
		}
	}
	for key, expiry := range x.marks {
		if !now.Before(expiry) {
			delete(x.marks, key)
		}
	}
}
