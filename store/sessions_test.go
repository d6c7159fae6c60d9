package store_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/redis/go-redis/v9"

	"github.com/telenordigital/connect-web-sample/connect"
	. "github.com/telenordigital/connect-web-sample/store"
	"github.com/telenordigital/connect-web-sample/store/storetest"
)

func testSecret(b byte) []byte { return []byte(strings.Repeat(string(rune('a'+b)), 32)) }

func testSecrets(t *testing.T, current, previous []byte) *Secrets {
	t.Helper()
	s, err := NewSecrets(current, previous)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	testClaims = connect.Claims{Subject: "310000000001", Profile: connect.Profile{Name: "Kari Nordmann"}, ACR: "1", ShortLivedSession: true, SessionID: "connect-sid-1"}
	testTokens = connect.TokenSet{AccessToken: "access-token-secret-value", RefreshToken: "refresh-token-secret-value", IDToken: "id.token.value"}
)

// testStore is one set of Sessions on a Redis, under a key prefix of the
// test's own.
type testStore struct {
	*Sessions
	rdb    redis.UniversalClient
	prefix string
}

type storeOptions struct {
	secrets     *Secrets
	idleTimeout time.Duration
	secure      bool
	now         func() time.Time
	acrFloor    string
}

func newTestStore(t *testing.T, rdb redis.UniversalClient, o storeOptions) *testStore {
	t.Helper()
	return newTestStoreAt(t, rdb, storetest.KeyPrefix(t), o)
}

// newTestStoreAt builds Sessions on an existing prefix: another instance
// of the app, or the same one restarted with other secrets.
func newTestStoreAt(t *testing.T, rdb redis.UniversalClient, prefix string, o storeOptions) *testStore {
	t.Helper()
	if o.secrets == nil {
		o.secrets = testSecrets(t, testSecret(0), nil)
	}
	if o.idleTimeout == 0 {
		o.idleTimeout = 10 * time.Minute
	}
	s, err := NewSessions(SessionOptions{Redis: rdb, Secrets: o.secrets, IdleTimeout: o.idleTimeout, Lifetime: time.Hour, Secure: o.secure, KeyPrefix: prefix, Now: o.now, ACRFloor: o.acrFloor})
	if err != nil {
		t.Fatal(err)
	}
	return &testStore{Sessions: s, rdb: rdb, prefix: prefix}
}

// load loads a session the way a request does.
func (s *testStore) load(t *testing.T, token string) context.Context {
	t.Helper()
	ctx, err := s.Manager.Load(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

// save ends a request the way the app's middleware does, and returns the
// session token (empty when nothing was written).
func (s *testStore) save(t *testing.T, ctx context.Context) (string, error) {
	t.Helper()
	s.BeforeSave(ctx, time.Now())
	if s.Manager.Status(ctx) != scs.Modified {
		return "", nil
	}
	token, _, err := s.Manager.Commit(ctx)
	return token, err
}

// logIn runs a login the way the callback does, and returns the token.
func (s *testStore) logIn(t *testing.T, claims connect.Claims) string {
	t.Helper()
	ctx := s.load(t, "")
	if _, err := s.LogIn(ctx, NewLogin{Claims: claims, Tokens: testTokens, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	token, err := s.save(t, ctx)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func (s *testStore) loggedIn(t *testing.T, token string) bool {
	t.Helper()
	_, ok := s.CurrentUser(s.load(t, token))
	return ok
}

// Every Redis must behave the same: the embedded one for `go run .`, a
// plain server, and in CI a Cluster and a Sentinel-managed master.
func TestSessionsOnEveryRedis(t *testing.T) {
	for _, backend := range storetest.Backends() {
		t.Run(backend.Name, func(t *testing.T) {
			rdb := backend.Open(t)
			s := newTestStore(t, rdb, storeOptions{})
			ctx := context.Background()

			t.Run("a logged-in user is found by the session token, with the login's tokens", func(t *testing.T) {
				token := s.logIn(t, testClaims)
				rctx := s.load(t, token)
				u, ok := s.CurrentUser(rctx)
				if !ok || u.Claims.Subject != testClaims.Subject || u.ID == "" {
					t.Fatalf("CurrentUser = %+v, %v; want the user who logged in, with an id", u, ok)
				}
				rec, err := s.Tokens(rctx)
				if err != nil || rec.Tokens.RefreshToken != testTokens.RefreshToken || rec.Version != 1 {
					t.Fatalf("Tokens = %+v, %v; want the tokens of the login, version 1", rec, err)
				}
			})
			t.Run("an unknown token has no user", func(t *testing.T) {
				if s.loggedIn(t, "no-such-session-token-at-all-000000000") {
					t.Fatal("an unknown token is logged in")
				}
			})
			t.Run("logout removes the session and its tokens from Redis", func(t *testing.T) {
				token := s.logIn(t, testClaims)
				tokens, err := s.LogOut(s.load(t, token))
				if err != nil || tokens.RefreshToken != testTokens.RefreshToken {
					t.Fatalf("LogOut = %+v, %v; want the tokens to revoke", tokens, err)
				}
				key := s.SessionKeyForTest(token)
				if n := rdb.Exists(ctx, key).Val(); n != 0 {
					t.Fatalf("%s still exists after LogOut", key)
				}
				if s.loggedIn(t, token) {
					t.Fatal("logged in after LogOut")
				}
			})
			t.Run("a request still in flight cannot bring an ended session back", func(t *testing.T) {
				token := s.logIn(t, testClaims)
				slow := s.load(t, token) // loaded before the logout, saved after it
				if _, err := s.LogOut(s.load(t, token)); err != nil {
					t.Fatal(err)
				}
				s.BeforeSave(slow, time.Now().Add(time.Hour)) // due to move its idle timeout
				if _, _, err := s.Manager.Commit(slow); !errors.Is(err, ErrSessionEnded) {
					t.Fatalf("late Commit = %v, want ErrSessionEnded", err)
				}
				if s.loggedIn(t, token) {
					t.Fatal("logged in after logout and a late write")
				}
			})
			t.Run("a page view that changes nothing writes nothing", func(t *testing.T) {
				token := s.logIn(t, testClaims)
				rctx := s.load(t, token)
				if written, err := s.save(t, rctx); written != "" || err != nil {
					t.Fatalf("save after an unchanged page view wrote %q (%v), want nothing", written, err)
				}
			})
			t.Run("the session's idle timeout moves once a step has passed", func(t *testing.T) {
				token := s.logIn(t, testClaims)
				key := s.SessionKeyForTest(token)
				rdb.PExpire(ctx, key, time.Minute) // as if idle for all but a minute
				rctx := s.load(t, token)
				s.BeforeSave(rctx, time.Now().Add(s.TouchStepForTest()))
				if s.Manager.Status(rctx) != scs.Modified {
					t.Fatalf("after a step, status = %v, want Modified: the idle timeout must move on", s.Manager.Status(rctx))
				}
				if _, _, err := s.Manager.Commit(rctx); err != nil {
					t.Fatal(err)
				}
				if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 10*time.Minute {
					t.Errorf("TTL after the save = %v, want the idle timeout (10 min) again", ttl)
				}
			})
			t.Run("a write based on an old token version loses to the newer one", func(t *testing.T) {
				rctx := s.load(t, s.logIn(t, testClaims))
				ok, err := s.ReplaceTokensForTest(rctx, 1, TokenRecord{Tokens: connect.TokenSet{RefreshToken: "rt-2"}, Refreshes: 1})
				if err != nil || !ok {
					t.Fatalf("first ReplaceTokens = %v, %v; want it to win", ok, err)
				}
				ok, err = s.ReplaceTokensForTest(rctx, 1, TokenRecord{Tokens: connect.TokenSet{RefreshToken: "rt-stale"}})
				if err != nil || ok {
					t.Fatalf("stale ReplaceTokens = %v, %v; want it to lose", ok, err)
				}
				rec, _ := s.Tokens(rctx)
				if rec.Tokens.RefreshToken != "rt-2" || rec.Version != 2 || rec.Refreshes != 1 {
					t.Fatalf("Tokens = %+v, want rt-2 at version 2", rec)
				}
			})
			t.Run("an ended session's tokens cannot be written back", func(t *testing.T) {
				token := s.logIn(t, testClaims)
				rctx := s.load(t, token)
				if _, err := s.LogOut(s.load(t, token)); err != nil {
					t.Fatal(err)
				}
				if ok, _ := s.ReplaceTokensForTest(rctx, 1, TokenRecord{}); ok {
					t.Fatal("ReplaceTokens brought an ended session's tokens back")
				}
				if _, err := s.Tokens(rctx); !errors.Is(err, ErrNoTokens) {
					t.Fatalf("Tokens after logout = %v, want ErrNoTokens", err)
				}
			})
			t.Run("one holder of the refresh lock at a time, everywhere", func(t *testing.T) {
				token := s.logIn(t, testClaims)
				other := newTestStoreAt(t, rdb, s.prefix, storeOptions{}) // a second app instance
				unlock, ok, err := s.LockRefreshForTest(s.load(t, token), time.Minute)
				if err != nil || !ok {
					t.Fatalf("first LockRefresh = %v, %v; want it taken", ok, err)
				}
				if _, ok, _ := other.LockRefreshForTest(other.load(t, token), time.Minute); ok {
					t.Fatal("second instance took the lock while the first holds it")
				}
				unlock()
				unlock2, ok, _ := other.LockRefreshForTest(other.load(t, token), time.Minute)
				if !ok {
					t.Fatal("lock not free after unlock")
				}
				unlock2()
			})
			t.Run("an expired refresh lock is free, and its old holder cannot release the new one", func(t *testing.T) {
				rctx := s.load(t, s.logIn(t, testClaims))
				staleUnlock, ok, err := s.LockRefreshForTest(rctx, 50*time.Millisecond)
				if !ok || err != nil {
					t.Fatalf("LockRefresh = %v, %v; want the lock", ok, err)
				}
				time.Sleep(150 * time.Millisecond)
				_, ok, _ = s.LockRefreshForTest(rctx, time.Minute)
				if !ok {
					t.Fatal("lock not free after its holder's TTL")
				}
				staleUnlock()
				if _, ok, _ := s.LockRefreshForTest(rctx, time.Minute); ok {
					t.Fatal("the old holder's unlock released the new holder's lock")
				}
			})
		})
	}
}

// Expiry must happen on the wall clock in every Redis, the embedded one
// included: it does not count time down unless told to.
func TestExpiryOnEveryRedis(t *testing.T) {
	for _, backend := range storetest.Backends() {
		t.Run(backend.Name, func(t *testing.T) {
			rdb := backend.Open(t)
			t.Run("a saved session lives the idle timeout plus one step", func(t *testing.T) {
				s := newTestStore(t, rdb, storeOptions{idleTimeout: time.Minute}) // step: 6 s
				token := s.logIn(t, testClaims)
				if ttl := rdb.PTTL(context.Background(), s.SessionKeyForTest(token)).Val(); ttl <= time.Minute || ttl > 66*time.Second {
					t.Fatalf("TTL after login = %v, want the idle timeout plus its step (66 s)", ttl)
				}
			})
			t.Run("a session idles out, tokens and all", func(t *testing.T) {
				s := newTestStore(t, rdb, storeOptions{idleTimeout: time.Second}) // step: 100 ms
				token := s.logIn(t, testClaims)
				key := s.SessionKeyForTest(token)
				time.Sleep(1300 * time.Millisecond)
				if s.loggedIn(t, token) {
					t.Fatal("logged in after the idle timeout")
				}
				if n := rdb.Exists(context.Background(), key).Val(); n != 0 {
					t.Fatal("the idled-out session is still in Redis")
				}
			})
			t.Run("a tombstone expires", func(t *testing.T) {
				s := newTestStore(t, rdb, storeOptions{})
				s.SetTombstoneTTLForTest(200 * time.Millisecond)
				token := s.logIn(t, testClaims)
				if _, err := s.LogOut(s.load(t, token)); err != nil {
					t.Fatal(err)
				}
				ended := s.EndedKeyForTest(token)
				if n := rdb.Exists(context.Background(), ended).Val(); n != 1 {
					t.Fatal("no tombstone after logout")
				}
				time.Sleep(400 * time.Millisecond)
				if n := rdb.Exists(context.Background(), ended).Val(); n != 0 {
					t.Fatal("the tombstone outlived its TTL")
				}
			})
		})
	}
}

func TestRedisHoldsNoCredentialAndNoReadableToken(t *testing.T) {
	rdb := storetest.Redis(t)
	s := newTestStore(t, rdb, storeOptions{})
	token := s.logIn(t, testClaims)
	ctx := context.Background()

	keys := storetest.Keys(t, rdb, s.prefix)
	if len(keys) == 0 {
		t.Fatal("the login wrote no key under the test's prefix")
	}
	for _, key := range keys {
		dump := key + " " + strings.Join(values(t, rdb, key), " ")
		for _, secret := range []string{token, testClaims.Subject, testClaims.SessionID, "access-token-secret-value", "refresh-token-secret-value", "id.token.value", "Kari Nordmann"} {
			if strings.Contains(dump, secret) {
				t.Errorf("Redis key %s holds %q in clear", key, secret)
			}
		}
	}

	t.Run("another secret cannot read it", func(t *testing.T) {
		other := newTestStoreAt(t, rdb, s.prefix, storeOptions{secrets: testSecrets(t, testSecret(1), nil)})
		if other.loggedIn(t, token) {
			t.Fatal("logged in under another secret")
		}
	})
	t.Run("a sealed session does not open under another name", func(t *testing.T) {
		key := s.SessionKeyForTest(token)
		sealed := rdb.Get(ctx, key).Val()
		stolen := "moved-session-token-0000000000000000000000"
		movedTo := s.SessionKeyForTest(stolen)
		rdb.Set(ctx, movedTo, sealed, time.Minute)
		if s.loggedIn(t, stolen) {
			t.Fatal("a session moved to another name opened")
		}
	})
}

// values reads every value of a key, whatever its type.
func values(t *testing.T, rdb redis.UniversalClient, key string) []string {
	t.Helper()
	ctx := context.Background()
	switch typ := rdb.Type(ctx, key).Val(); typ {
	case "string":
		return []string{rdb.Get(ctx, key).Val()}
	case "hash":
		var out []string
		for f, v := range rdb.HGetAll(ctx, key).Val() {
			out = append(out, f, v)
		}
		return out
	case "set":
		return rdb.SMembers(ctx, key).Val()
	default:
		t.Fatalf("key %s has type %q, which the store never writes", key, typ)
		return nil
	}
}

func TestLogInRenewsTheSessionToken(t *testing.T) {
	s := newTestStore(t, storetest.Redis(t), storeOptions{})
	before := s.logIn(t, testClaims)
	ctx := s.load(t, before)
	if _, err := s.LogIn(ctx, NewLogin{Claims: testClaims, Tokens: testTokens, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	after, _ := s.save(t, ctx)
	if after == before || after == "" {
		t.Fatalf("session token %q after a second login, want a new one (session fixation)", after)
	}
	if s.loggedIn(t, before) {
		t.Fatal("the replaced session token still logs in")
	}
}

func TestSessionCookieOnHTTPS(t *testing.T) {
	s := newTestStore(t, storetest.Redis(t), storeOptions{secure: true})
	ctx := s.load(t, "")
	if _, err := s.LogIn(ctx, NewLogin{Claims: testClaims, Tokens: testTokens, At: time.Now()}); err != nil {
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
