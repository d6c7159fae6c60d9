package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/redis/go-redis/v9"

	"github.com/telenordigital/connect-web-sample/connect"
)

// ErrUnavailable means the session store (Redis) could not be reached.
// Callers answer 503; the next request tries again.
var ErrUnavailable = errors.New("store: session store is unavailable")

// DefaultKeyPrefix starts every key the store writes.
const DefaultKeyPrefix = "connect-sample:"

// SessionOptions configure the user sessions.
type SessionOptions struct {
	// Redis is the session store: a real one (standalone, Sentinel or
	// Cluster) or the embedded one; the code is the same.
	Redis redis.UniversalClient
	// Secrets seal what is stored and key the hashes in key names.
	Secrets *Secrets
	// IdleTimeout ends a session that has not been used for this long;
	// Lifetime ends it this long after login, used or not.
	IdleTimeout time.Duration
	Lifetime    time.Duration
	// Secure marks the cookie Secure and gives it the __Host- prefix, which
	// browsers accept only on https, with Path=/ and no Domain: no other
	// host and no plain-http page can set or read it.
	Secure bool
	// CookieName names the session cookie; empty means "session". When
	// Secure, the __Host- prefix is added to it. A partner whose app has a
	// "session" cookie of its own sets another name here.
	CookieName string
	// KeyPrefix starts every key; empty means DefaultKeyPrefix. Tests use
	// one of their own so they can count their keys.
	KeyPrefix string
	// ErrorFunc answers a request whose session could not be loaded or
	// saved (LoadAndSave); nil means a plain-text 503. It becomes
	// Sessions.ErrorFunc.
	ErrorFunc func(w http.ResponseWriter, r *http.Request, err error)
	// Now is the clock BeforeSave reads in LoadAndSave; nil means time.Now.
	Now func() time.Time
	// EndedSessionMemory is how long a CONNECT session (sid) whose session
	// here was ended from the sessions page is remembered (EndedAt); zero
	// remembers nothing.
	EndedSessionMemory time.Duration
	// ACRFloor is the lowest level of assurance a session may hold
	// (CONNECT_ACR_VALUES): one that began below it, before the floor was
	// raised, counts as logged out at its next load.
	ACRFloor string
}

// Sessions are the server-side sessions of logged-in users. The browser's
// cookie holds only scs's random session token; claims and tokens stay in
// Redis, sealed, under a name derived from the token by a keyed hash.
type Sessions struct {
	// Manager is the scs session manager; LoadAndSave loads and saves
	// through it.
	Manager *scs.SessionManager
	// ErrorFunc answers a request whose session could not be loaded or
	// saved, as scs's SessionManager.ErrorFunc does for its LoadAndSave;
	// err wraps ErrUnavailable. Nil means a plain-text 503 "Service
	// Unavailable". An app whose error page is built after its Sessions
	// sets it then (handlers.New does), before serving.
	ErrorFunc func(w http.ResponseWriter, r *http.Request, err error)

	now func() time.Time
	rdb redis.UniversalClient
	// maxIdle and acrFloor are what a loaded session must still meet
	// (LoadAndSave), whatever Redis's expiry says.
	maxIdle     time.Duration
	acrFloor    string
	endedMemory time.Duration
	secrets     *Secrets
	keys        keyLayout
	store       *sessionStore
	index       sessionIndex
	// touchStep is how often at most a page view that changed nothing
	// saves the session, to move its idle timeout on (see BeforeSave).
	touchStep time.Duration
	// newTokensTTL is a new token record's expiry until its session is
	// first saved, which gives it the session's: a login whose session is
	// never saved leaves nothing behind for long.
	newTokensTTL time.Duration
}

// NewSessions builds the session manager over Redis.
func NewSessions(o SessionOptions) (*Sessions, error) {
	if o.Redis == nil || o.Secrets == nil {
		return nil, errors.New("store: Redis and Secrets are required")
	}
	if o.IdleTimeout <= 0 || o.Lifetime <= 0 {
		return nil, errors.New("store: IdleTimeout and Lifetime must be more than zero")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	keys := keyLayout{prefix: cmp.Or(o.KeyPrefix, DefaultKeyPrefix)}
	index := sessionIndex{rdb: o.Redis, secrets: o.Secrets, keys: keys, lifetime: o.Lifetime, idleTimeout: o.IdleTimeout}
	// A minute, or a tenth of the idle timeout when that is shorter: a
	// session may then outlive its idle timeout by at most this much.
	step := min(time.Minute, o.IdleTimeout/10)
	st := &sessionStore{rdb: o.Redis, secrets: o.Secrets, keys: keys, index: index,
		maxIdle: o.IdleTimeout + step, tombstoneTTL: endedSessionTTL}

	m := scs.New()
	m.Store = st
	m.Codec = sessionCodec{}
	// The idle timeout is ours to move (BeforeSave); scs would save the
	// session on every request to move it.
	m.IdleTimeout = 0
	m.Lifetime = o.Lifetime
	m.Cookie.Name = cookieName(o.CookieName, "session", o.Secure)
	m.Cookie.Path = "/"
	m.Cookie.HttpOnly = true
	m.Cookie.SameSite = http.SameSiteLaxMode
	m.Cookie.Secure = o.Secure
	// Persistence is decided per session at login, from td_sls.
	m.Cookie.Persist = false
	return &Sessions{
		Manager: m, ErrorFunc: o.ErrorFunc, now: o.Now, rdb: o.Redis, secrets: o.Secrets, keys: keys, store: st, index: index,
		touchStep: step, newTokensTTL: min(o.IdleTimeout, o.Lifetime),
		maxIdle: o.IdleTimeout + step, acrFloor: o.ACRFloor, endedMemory: o.EndedSessionMemory,
	}, nil
}

// ACRFloor is SessionOptions.ACRFloor: connectweb checks that its own
// floor is the same, so that the two cannot disagree.
func (s *Sessions) ACRFloor() string { return s.acrFloor }

// cookieName is a cookie's name: name, else def, with the __Host- prefix
// when secure (see SessionOptions.Secure).
func cookieName(name, def string, secure bool) string {
	name = cmp.Or(name, def)
	if secure {
		return "__Host-" + name
	}
	return name
}

// User is what the session keeps about a logged-in user: enough to show
// every page without another round trip. The tokens are in the session's
// token record (tokens.go), read only by pages that call CONNECT.
type User struct {
	// ID names this session on the sessions page and in a request to end
	// it. It is random, and works as nothing else: not as a cookie, not
	// as a Redis key.
	ID         string         `json:"id"`
	Claims     connect.Claims `json:"claims"`
	LoggedInAt time.Time      `json:"logged_in_at"`
	// LastSeen is when the session was last saved: at most the idle
	// timeout step behind the user's last request.
	LastSeen time.Time `json:"last_seen"`
	Device   Device    `json:"device,omitzero"`
}

// Device is the browser a session was started in, in coarse words from
// its User-Agent, for the sessions page.
type Device struct {
	Browser  string `json:"browser,omitempty"`
	Platform string `json:"platform,omitempty"`
}

// PersistentCookie reports whether the session cookie outlives the browser:
// only when the user ticked "stay signed in" at CONNECT (td_sls false).
func (u *User) PersistentCookie() bool { return !u.Claims.ShortLivedSession }

// NewLogin is a login the callback has just checked.
type NewLogin struct {
	Claims connect.Claims
	Tokens connect.TokenSet
	At     time.Time
	Device Device
	// Trace is how the login went (connect.Login.Trace), kept for the
	// session page; nil keeps none.
	Trace *connect.Trace
}

// LogIn starts the session of a user who has just logged in: it stores the
// tokens, and renews the session token, so that a token planted in the
// browser before login (session fixation) never becomes a logged-in
// session. When the login replaces one (a step-up, say), it returns the
// replaced tokens, for the caller to revoke.
func (s *Sessions) LogIn(ctx context.Context, login NewLogin) (replaced connect.TokenSet, err error) {
	if replaced, err = s.forgetCurrent(ctx); err != nil {
		return replaced, err
	}
	if err := s.Manager.RenewToken(ctx); err != nil {
		return replaced, unavailable("renew session token", err)
	}
	if err := s.createTokens(ctx, TokenRecord{Tokens: login.Tokens}, s.newTokensTTL); err != nil {
		return replaced, err
	}
	h, _ := s.current(ctx)
	if login.Trace != nil {
		if err := s.putTrace(ctx, h, LoginTrace{Login: *login.Trace}, s.newTokensTTL, false); err != nil {
			return replaced, err
		}
	}
	if err := s.index.add(ctx, login.Claims.SessionID, login.Claims.Subject, h); err != nil {
		return replaced, err
	}
	s.Manager.Put(ctx, userKey, &User{
		ID: randomID(), Claims: pageClaims(login.Claims), LoggedInAt: login.At, LastSeen: login.At, Device: login.Device,
	})
	// td_sls=true: the user did not ask to stay signed in, so the cookie
	// must end with the browser session (CONNECT's rule for clients).
	s.Manager.RememberMe(ctx, !login.Claims.ShortLivedSession)
	return replaced, nil
}

// pageClaims are the claims a session keeps: those its pages show and a
// step-up or back-channel logout needs. The ID token itself, every claim
// in it, is in the token record (connect.ClaimsOf reads it), so the
// session, read on every page view, stays small and quick to decode.
func pageClaims(c connect.Claims) connect.Claims {
	return connect.Claims{
		Subject:           c.Subject,
		Profile:           connect.Profile{Name: c.Name, Email: c.Email, PhoneNumber: c.PhoneNumber},
		ACR:               c.ACR,
		AMR:               c.AMR,
		AuthTime:          c.AuthTime,
		ShortLivedSession: c.ShortLivedSession,
		Username:          c.Username,
		SessionID:         c.SessionID,
	}
}

// CurrentUser returns the logged-in user of this request, or false.
func (s *Sessions) CurrentUser(ctx context.Context) (*User, bool) {
	u, ok := s.Manager.Get(ctx, userKey).(*User)
	return u, ok
}

// BeforeSave runs just before the response goes out, and decides whether
// the session is written back. A page view that changed nothing costs one
// read and no write, except that once per step (a minute, or a tenth of
// the idle timeout) the session is saved to move its idle timeout on. A
// save for any other reason moves it too.
func (s *Sessions) BeforeSave(ctx context.Context, now time.Time) {
	u, ok := s.CurrentUser(ctx)
	if !ok {
		return
	}
	if s.Manager.Status(ctx) == scs.Modified || now.Sub(u.LastSeen) >= s.touchStep {
		u.LastSeen = now
		s.Manager.Put(ctx, userKey, u)
	}
}

// LogOut ends this request's session: it is deleted from Redis (with a
// tombstone, so no request in flight brings it back), the index forgets
// it and the cookie is cleared. It returns the tokens the session held,
// for the caller to revoke.
func (s *Sessions) LogOut(ctx context.Context) (connect.TokenSet, error) {
	tokens, err := s.forgetCurrent(ctx)
	if err != nil {
		return tokens, err
	}
	if err := s.Manager.Destroy(ctx); err != nil {
		return tokens, unavailable("delete session", err)
	}
	return tokens, nil
}

// forgetCurrent ends the session of the user logged in now, if any, and
// returns the tokens it held: at logout, and when a new login (a step-up,
// say) replaces the session.
func (s *Sessions) forgetCurrent(ctx context.Context) (connect.TokenSet, error) {
	if _, ok := s.CurrentUser(ctx); !ok {
		return connect.TokenSet{}, nil
	}
	h, err := s.current(ctx)
	if err != nil {
		return connect.TokenSet{}, err
	}
	tokens, _, err := s.endByName(ctx, h)
	return tokens, err
}

// endByName ends the session named h, wherever it was started, tidies the
// index, and returns the tokens and user it held (the zero values when it
// had ended already).
func (s *Sessions) endByName(ctx context.Context, h string) (connect.TokenSet, *User, error) {
	e, err := s.store.end(ctx, h)
	if err != nil {
		return connect.TokenSet{}, nil, err
	}
	u := s.openUser(s.keys.session(h), e.session)
	var tokens connect.TokenSet
	if rec, err := s.secrets.openTokenValue(s.keys.tokens(h), e.token); err == nil {
		tokens = rec.Tokens
	}
	if u != nil {
		if err := s.index.remove(ctx, u.Claims.SessionID, u.Claims.Subject, h); err != nil {
			// The session is gone: the caller must still get its tokens.
			return tokens, u, err
		}
	}
	return tokens, u, nil
}

// openUser decodes the user of a session's sealed data, or nil.
func (s *Sessions) openUser(key string, sealed []byte) *User {
	if sealed == nil {
		return nil
	}
	b, err := s.secrets.open(sealed, key)
	if err != nil {
		return nil
	}
	_, values, err := (sessionCodec{}).Decode(b)
	if err != nil {
		return nil
	}
	u, _ := values[userKey].(*User)
	return u
}

// EndSessions ends every session of CONNECT session sid, or, when sid is
// empty, every session of user sub, on every instance: the next request of
// those browsers finds no login. It returns how many live sessions it
// ended.
func (s *Sessions) EndSessions(ctx context.Context, sid, sub string) (int, error) {
	kind, value := "sub", sub
	if sid != "" {
		kind, value = "sid", sid
	}
	members, err := s.index.members(ctx, kind, value)
	if err != nil {
		return 0, err
	}
	ended := 0
	for _, m := range members {
		_, u, err := s.endByName(ctx, m.h)
		if err != nil {
			return ended, err
		}
		if u != nil {
			ended++ // and endByName took it out of the index
			continue
		}
		if err := s.index.prune(ctx, m); err != nil {
			return ended, err
		}
	}
	return ended, nil
}

// ActiveSession is one of a user's sessions, as the sessions page shows it.
type ActiveSession struct {
	User
	// Current is the session of the request that asked.
	Current bool
	name    string // its hashed name in Redis, to end it by
}

// List returns the sessions of this request's user, on every instance and
// in every browser, most recently seen first. Index entries of sessions
// that have idled out are pruned on the way.
func (s *Sessions) List(ctx context.Context) ([]ActiveSession, error) {
	me, ok := s.CurrentUser(ctx)
	if !ok {
		return nil, nil
	}
	members, err := s.index.members(ctx, "sub", me.Claims.Subject)
	if err != nil {
		return nil, err
	}
	cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, m := range members {
			p.Get(ctx, s.keys.session(m.h))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, unavailable("read sessions", err)
	}
	var found []ActiveSession
	for i, m := range members {
		sealed, _ := cmds[i].(*redis.StringCmd).Bytes()
		u := s.openUser(s.keys.session(m.h), sealed)
		if u == nil || u.Claims.Subject != me.Claims.Subject {
			if u != nil || s.index.prunable(m) {
				if err := s.index.prune(ctx, m); err != nil {
					return nil, err
				}
			}
			continue
		}
		found = append(found, ActiveSession{User: *u, Current: u.ID == me.ID, name: m.h})
	}
	slices.SortStableFunc(found, func(a, b ActiveSession) int { return b.LastSeen.Compare(a.LastSeen) })
	return found, nil
}

// End ends one other session of this request's user, named by its ID
// (from List), and returns the tokens it held, for the caller to revoke.
// An ID that names no other session of this user ends nothing and
// returns false: it may have ended meanwhile, or never been this user's.
func (s *Sessions) End(ctx context.Context, id string) (connect.TokenSet, bool, error) {
	sessions, err := s.List(ctx)
	if err != nil {
		return connect.TokenSet{}, false, err
	}
	for _, a := range sessions {
		if a.ID == id && !a.Current {
			tokens, u, err := s.endByName(ctx, a.name)
			if err == nil {
				err = s.rememberEnded(ctx, u)
			}
			return tokens, true, err
		}
	}
	return connect.TokenSet{}, false, nil
}

// EndOthers ends every session of this request's user but this one, and
// returns the tokens they held.
func (s *Sessions) EndOthers(ctx context.Context) ([]connect.TokenSet, error) {
	sessions, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	var all []connect.TokenSet
	for _, a := range sessions {
		if a.Current {
			continue
		}
		tokens, u, err := s.endByName(ctx, a.name)
		if err == nil {
			err = s.rememberEnded(ctx, u)
		}
		if err != nil {
			return all, err
		}
		all = append(all, tokens)
	}
	return all, nil
}

// LogoutTokenSeen reports whether a logout token with this jti has been
// acted on already; a replay must end nothing new.
func (s *Sessions) LogoutTokenSeen(ctx context.Context, jti string) (bool, error) {
	return s.index.logoutTokenMarked(ctx, jti)
}

// RememberLogoutToken records a logout token's jti until the token
// expires (and at least a minute, against clock skew).
func (s *Sessions) RememberLogoutToken(ctx context.Context, jti string, expiry time.Time) error {
	return s.index.markLogoutToken(ctx, jti, max(time.Until(expiry), time.Minute))
}

// String describes the sessions' settings for the start-up log.
func (s *Sessions) String() string {
	return fmt.Sprintf("sessions in Redis under %q, idle timeout moved at most every %s", s.keys.prefix, s.touchStep)
}
