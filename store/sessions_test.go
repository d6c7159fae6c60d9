package store

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/store/storetest"
)

func testKey(b byte) []byte { return []byte(strings.Repeat(string(rune('a'+b)), 32)) }

var (
	testClaims = connect.Claims{Subject: "310000000001", Profile: connect.Profile{Name: "Kari Nordmann"}, ACR: "1", ShortLivedSession: true}
	testTokens = connect.TokenSet{AccessToken: "access-token-secret-value", RefreshToken: "refresh-token-secret-value", IDToken: "id.token.value"}
)

// logIn runs LogIn the way a request would, and returns the new token.
func logIn(t *testing.T, s *Sessions) string {
	t.Helper()
	return logInWith(t, s, testClaims)
}

// logInWith is logIn with the given ID token claims.
func logInWith(t *testing.T, s *Sessions, claims connect.Claims) string {
	t.Helper()
	ctx, err := s.Manager.Load(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.LogIn(ctx, claims, testTokens, time.Now()); err != nil {
		t.Fatal(err)
	}
	token, _, err := s.Manager.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func load(t *testing.T, s *Sessions, token string) context.Context {
	t.Helper()
	ctx, err := s.Manager.Load(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

// sessionBackends are the session stores every test runs on: memory for
// `go run .`, Redis for production.
var sessionBackends = map[string]func(t *testing.T) SessionOptions{
	"memory": func(t *testing.T) SessionOptions { return SessionOptions{} },
	"redis":  func(t *testing.T) SessionOptions { return SessionOptions{Redis: storetest.Redis(t)} },
}

// newTestSessions builds Sessions on one backend with test settings.
func newTestSessions(t *testing.T, backend func(t *testing.T) SessionOptions) *Sessions {
	t.Helper()
	opts := backend(t)
	opts.AtRestKey, opts.IdleTimeout, opts.Lifetime = testKey(0), time.Minute, time.Hour
	s, err := NewSessions(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Every backend must behave the same; the Redis one is what production uses.
func TestSessionsOnEveryBackend(t *testing.T) {
	for name, backend := range sessionBackends {
		t.Run(name, func(t *testing.T) {
			s := newTestSessions(t, backend)

			t.Run("a logged-in user is found by the session token", func(t *testing.T) {
				token := logIn(t, s)
				ctx := load(t, s, token)
				u, ok := s.CurrentUser(ctx)
				if !ok || u.Claims.Subject != "310000000001" {
					t.Fatalf("CurrentUser = %+v, %v; want the user who logged in", u, ok)
				}
				rec, err := s.Tokens.Get(ctx, u.TokensID)
				if err != nil || rec.Tokens.RefreshToken != "refresh-token-secret-value" || rec.Version != 1 {
					t.Fatalf("Tokens.Get = %+v, %v; want the tokens of the login, version 1", rec, err)
				}
			})
			t.Run("an unknown token has no user", func(t *testing.T) {
				if u, ok := s.CurrentUser(load(t, s, "no-such-session-token-at-all-000000000")); ok {
					t.Fatalf("CurrentUser = %+v, want none", u)
				}
			})
			t.Run("logout deletes the session and its tokens from the store", func(t *testing.T) {
				token := logIn(t, s)
				ctx := load(t, s, token)
				u, _ := s.CurrentUser(ctx)
				if err := s.LogOut(ctx); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Tokens.Get(ctx, u.TokensID); !errors.Is(err, ErrNoTokens) {
					t.Errorf("Tokens.Get after LogOut = %v, want ErrNoTokens", err)
				}
				if _, found, _ := s.Manager.Store.(scs.CtxStore).FindCtx(context.Background(), token); found {
					t.Fatal("session still in the store after LogOut")
				}
			})
			t.Run("a request still in flight cannot bring an ended session back", func(t *testing.T) {
				token := logIn(t, s)
				slow := load(t, s, token) // loaded before the logout, saved after it
				if err := s.LogOut(load(t, s, token)); err != nil {
					t.Fatal(err)
				}
				s.SetFlash(slow, "written by the slow request")
				if _, _, err := s.Manager.Commit(slow); !errors.Is(err, ErrSessionEnded) {
					t.Fatalf("late Commit = %v, want ErrSessionEnded", err)
				}
				if u, ok := s.CurrentUser(load(t, s, token)); ok {
					t.Fatalf("CurrentUser after logout and a late write = %+v, want none", u)
				}
			})
			t.Run("a flash is shown once", func(t *testing.T) {
				ctx := load(t, s, logIn(t, s))
				s.SetFlash(ctx, "hello")
				if got := s.PopFlash(ctx); got != "hello" {
					t.Errorf("PopFlash = %q, want %q", got, "hello")
				}
				if got := s.PopFlash(ctx); got != "" {
					t.Errorf("second PopFlash = %q, want empty", got)
				}
			})
		})
	}
}

func TestRedisHoldsNoReadableToken(t *testing.T) {
	rdb := storetest.Redis(t)
	s, err := NewSessions(SessionOptions{Redis: rdb, AtRestKey: testKey(0), IdleTimeout: time.Minute, Lifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	token := logIn(t, s)

	raw, err := rdb.Get(context.Background(), sessionKey(token)).Bytes()
	if err != nil {
		t.Fatalf("session not in Redis under %q: %v", sessionKey(token), err)
	}
	u, _ := s.CurrentUser(load(t, s, token))
	tokenFields := rdb.HGetAll(context.Background(), tokensKey(u.TokensID)).Val()
	if tokenFields["d"] == "" {
		t.Fatalf("no token record in Redis under %q", tokensKey(u.TokensID))
	}
	for _, secret := range []string{"access-token-secret-value", "refresh-token-secret-value", "id.token.value", "Kari Nordmann"} {
		if strings.Contains(string(raw), secret) || strings.Contains(tokenFields["d"], secret) {
			t.Errorf("Redis holds %q in clear text", secret)
		}
	}
	if ttl := rdb.TTL(context.Background(), sessionKey(token)).Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("Redis TTL = %v, want the idle timeout (1m) at most", ttl)
	}
	// The token record follows the session, not the 1h lifetime: a session
	// that idles out leaves no tokens behind.
	if ttl := rdb.TTL(context.Background(), tokensKey(u.TokensID)).Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("token record TTL = %v, want the session's (1m at most)", ttl)
	}

	t.Run("another secret cannot read it", func(t *testing.T) {
		other, err := NewSessions(SessionOptions{Redis: rdb, AtRestKey: testKey(1), IdleTimeout: time.Minute, Lifetime: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if u, ok := other.CurrentUser(load(t, other, token)); ok {
			t.Fatalf("CurrentUser with another key = %+v, want none", u)
		}
	})
	t.Run("a sealed session cannot be moved under another token", func(t *testing.T) {
		stolen := "moved-session-token-0000000000000000000000"
		rdb.Set(context.Background(), sessionKey(stolen), raw, time.Minute)
		t.Cleanup(func() { rdb.Del(context.Background(), sessionKey(stolen)) })
		if u, ok := s.CurrentUser(load(t, s, stolen)); ok {
			t.Fatalf("CurrentUser under a moved token = %+v, want none", u)
		}
	})
}

func TestLogInRenewsTheSessionToken(t *testing.T) {
	s, err := NewSessions(SessionOptions{AtRestKey: testKey(0), IdleTimeout: time.Minute, Lifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, _ := s.Manager.Load(context.Background(), "")
	s.SetFlash(ctx, "before login")
	before, _, err := s.Manager.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ctx = load(t, s, before)
	if _, err := s.LogIn(ctx, testClaims, testTokens, time.Now()); err != nil {
		t.Fatal(err)
	}
	after, _, _ := s.Manager.Commit(ctx)
	if after == before {
		t.Fatalf("session token %q unchanged by login, want a new one (session fixation)", after)
	}
}

func TestSessionCookieOnHTTPS(t *testing.T) {
	s, err := NewSessions(SessionOptions{AtRestKey: testKey(0), IdleTimeout: time.Minute, Lifetime: time.Hour, Secure: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, _ := s.Manager.Load(context.Background(), "")
	if _, err := s.LogIn(ctx, testClaims, testTokens, time.Now()); err != nil {
		t.Fatal(err)
	}
	token, expiry, err := s.Manager.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	s.Manager.WriteSessionCookie(ctx, w, token, expiry)
	cookies := w.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("got %d cookies, want 1", len(cookies))
	}
	c := cookies[0]
	if c.Name != "__Host-session" || !c.Secure || !c.HttpOnly || c.Path != "/" || c.Domain != "" || c.SameSite != http.SameSiteLaxMode {
		t.Errorf("cookie %+v, want __Host-session, Secure, HttpOnly, Path=/, no Domain, SameSite=Lax", c)
	}
	if c.MaxAge != 0 || !c.Expires.IsZero() {
		t.Errorf("cookie Max-Age=%d Expires=%v, want a browser-session cookie for td_sls=true", c.MaxAge, c.Expires)
	}
}
