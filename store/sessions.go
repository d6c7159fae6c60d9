package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/redis/go-redis/v9"

	"github.com/telenordigital/connect-web-sample/connect"
)

// ErrUnavailable means the session store (Redis) could not be reached.
// Callers answer 503; the next request tries again.
var ErrUnavailable = errors.New("store: session store is unavailable")

// SessionOptions configure the user sessions.
type SessionOptions struct {
	// Redis is the session store; nil keeps sessions in this process's
	// memory (fine for `go run .`, lost on restart, not shared).
	Redis redis.UniversalClient
	// AtRestKey encrypts every session before it is stored.
	AtRestKey []byte
	// IdleTimeout ends a session that has not been used for this long;
	// Lifetime ends it this long after login, used or not.
	IdleTimeout time.Duration
	Lifetime    time.Duration
	// Secure marks the cookie Secure and gives it the __Host- prefix, which
	// browsers accept only on https, with Path=/ and no Domain: no other
	// host and no plain-http page can set or read it.
	Secure bool
}

// Sessions are the server-side sessions of logged-in users. The browser's
// cookie holds only scs's random session token; claims and tokens stay on
// the server.
type Sessions struct {
	// Manager is the scs session manager; its LoadAndSave middleware wraps
	// every page.
	Manager *scs.SessionManager
	// Tokens holds each session's tokens, apart from the scs session (see
	// tokens.go for why).
	Tokens Tokens

	sessions scs.CtxStore // the sealed session store, for ending sessions by token
	index    sessionIndex
	lifetime time.Duration
	// newTokensTTL is a new token record's expiry until its session is
	// first saved. In Redis each save gives the record the session's
	// expiry, so it starts short: a login whose session is never saved
	// leaves nothing behind for long. In memory nothing moves it, so it
	// is the lifetime.
	newTokensTTL time.Duration
}

// NewSessions builds the session manager over Redis, or memory.
func NewSessions(o SessionOptions) (*Sessions, error) {
	var inner scs.CtxStore = newMemorySessionStore()
	var tokens Tokens = NewMemoryTokens()
	var index sessionIndex = newMemoryIndex()
	newTokensTTL := o.Lifetime
	if o.Redis != nil {
		if o.IdleTimeout > 0 {
			newTokensTTL = min(o.IdleTimeout, o.Lifetime)
		}
		index = redisIndex{o.Redis}
		inner = redisSessionStore{o.Redis}
		var err error
		if tokens, err = NewRedisTokens(o.Redis, o.AtRestKey); err != nil {
			return nil, err
		}
	}
	sealed, err := newEncryptedStore(inner, o.AtRestKey)
	if err != nil {
		return nil, err
	}
	m := scs.New()
	m.Store = sealed
	m.IdleTimeout = o.IdleTimeout
	m.Lifetime = o.Lifetime
	m.Cookie.Name = "session"
	if o.Secure {
		m.Cookie.Name = "__Host-session"
	}
	m.Cookie.Path = "/"
	m.Cookie.HttpOnly = true
	m.Cookie.SameSite = http.SameSiteLaxMode
	m.Cookie.Secure = o.Secure
	// Persistence is decided per session at login, from td_sls.
	m.Cookie.Persist = false
	return &Sessions{Manager: m, Tokens: tokens, sessions: sealed, index: index, lifetime: o.Lifetime, newTokensTTL: newTokensTTL}, nil
}

// User is what the session keeps about a logged-in user: enough to show
// every page without another round trip. The tokens are in the token
// record named by TokensID (the session token given at login), read only
// by pages that call CONNECT.
type User struct {
	Claims     connect.Claims `json:"claims"`
	TokensID   string         `json:"tokens_id"`
	LoggedInAt time.Time      `json:"logged_in_at"`
}

// PersistentCookie reports whether the session cookie outlives the browser:
// only when the user ticked "stay signed in" at CONNECT (td_sls false).
func (u *User) PersistentCookie() bool { return !u.Claims.ShortLivedSession }

const (
	userKey  = "user"
	flashKey = "flash"
)

// LogIn starts the session of a user who has just logged in: it stores the
// tokens, and renews the session token, so that a token planted in the
// browser before login (session fixation) never becomes a logged-in
// session. When the login replaces one (a step-up, say), it returns the
// replaced tokens, for the caller to revoke.
func (s *Sessions) LogIn(ctx context.Context, claims connect.Claims, tokens connect.TokenSet, now time.Time) (replaced connect.TokenSet, err error) {
	if replaced, err = s.forgetCurrent(ctx); err != nil {
		return replaced, err
	}
	if err := s.Manager.RenewToken(ctx); err != nil {
		return replaced, fmt.Errorf("%w: renew session token: %v", ErrUnavailable, err)
	}
	// The token record is named after the new session token, so that in
	// Redis it lives exactly as long as the session: every save of the
	// session moves its expiry too (store/redisstore.go), and a session
	// that ends by idle timeout leaves no tokens behind.
	u := User{Claims: claims, TokensID: s.Manager.Token(ctx), LoggedInAt: now}
	if err := s.Tokens.Create(ctx, u.TokensID, TokenRecord{Tokens: tokens}, s.newTokensTTL); err != nil {
		return replaced, err
	}
	// List the session for back-channel logout.
	if err := s.index.add(ctx, indexKeys(claims.SessionID, claims.Subject), u.TokensID, s.lifetime); err != nil {
		return replaced, unavailable("update session index", err)
	}
	b, err := json.Marshal(u)
	if err != nil {
		return replaced, fmt.Errorf("encode session: %w", err)
	}
	s.Manager.Put(ctx, userKey, b)
	// td_sls=true: the user did not ask to stay signed in, so the cookie
	// must end with the browser session (CONNECT's rule for clients).
	s.Manager.RememberMe(ctx, u.PersistentCookie())
	return replaced, nil
}

// CurrentUser returns the logged-in user of this request, or false.
func (s *Sessions) CurrentUser(ctx context.Context) (*User, bool) {
	b := s.Manager.GetBytes(ctx, userKey)
	if b == nil {
		return nil, false
	}
	var u User
	if err := json.Unmarshal(b, &u); err != nil {
		return nil, false
	}
	return &u, true
}

// LogOut ends the session: its tokens and the session itself are deleted
// from the store and the cookie is cleared.
func (s *Sessions) LogOut(ctx context.Context) error {
	if _, err := s.forgetCurrent(ctx); err != nil {
		return err
	}
	if err := s.Manager.Destroy(ctx); err != nil {
		return fmt.Errorf("%w: delete session: %v", ErrUnavailable, err)
	}
	return nil
}

// forgetCurrent deletes the token record and index entries of the user
// logged in now, if any, and returns the tokens it held: at logout, and
// when a new login (a step-up, say) replaces the session.
func (s *Sessions) forgetCurrent(ctx context.Context) (connect.TokenSet, error) {
	u, ok := s.CurrentUser(ctx)
	if !ok {
		return connect.TokenSet{}, nil
	}
	rec, err := s.Tokens.Get(ctx, u.TokensID)
	if err != nil && !errors.Is(err, ErrNoTokens) {
		return connect.TokenSet{}, err
	}
	if err := s.Tokens.Delete(ctx, u.TokensID); err != nil {
		return connect.TokenSet{}, err
	}
	if err := s.index.remove(ctx, indexKeys(u.Claims.SessionID, u.Claims.Subject), u.TokensID); err != nil {
		// The record is gone: the caller must still get the tokens to revoke.
		return rec.Tokens, unavailable("update session index", err)
	}
	return rec.Tokens, nil
}

// SetFlash keeps a one-line message for the next page this browser sees.
func (s *Sessions) SetFlash(ctx context.Context, msg string) { s.Manager.Put(ctx, flashKey, msg) }

// PopFlash returns and forgets the pending message, if any.
func (s *Sessions) PopFlash(ctx context.Context) string { return s.Manager.PopString(ctx, flashKey) }

// memorySessionStore is scs's memstore with the same rule as
// redisSessionStore: a deleted session is not written back by a request
// that was still in flight.
type memorySessionStore struct {
	*memstore.MemStore
	mu    sync.Mutex
	ended map[string]time.Time // token -> until
}

func newMemorySessionStore() *memorySessionStore {
	return &memorySessionStore{MemStore: memstore.New(), ended: map[string]time.Time{}}
}

func (s *memorySessionStore) FindCtx(_ context.Context, token string) ([]byte, bool, error) {
	return s.Find(token)
}

func (s *memorySessionStore) CommitCtx(_ context.Context, token string, b []byte, expiry time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if until, ok := s.ended[token]; ok && time.Now().Before(until) {
		return ErrSessionEnded
	}
	return s.Commit(token, b, expiry)
}

func (s *memorySessionStore) DeleteCtx(_ context.Context, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for t, until := range s.ended {
		if !now.Before(until) {
			delete(s.ended, t)
		}
	}
	s.ended[token] = now.Add(endedSessionTTL)
	return s.Delete(token)
}
