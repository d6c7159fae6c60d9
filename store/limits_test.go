package store_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/store/storetest"
)

// TestSealedLimitsHoldWithoutRedisExpiry: a session's idle timeout,
// lifetime and level of assurance are checked on every load from what
// was sealed with it, so a writer who makes a key persistent (or restores
// an old copy) cannot keep a session alive past them.
func TestSealedLimitsHoldWithoutRedisExpiry(t *testing.T) {
	rdb := storetest.Redis(t)
	var ahead atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	// loggedIn serves one page with token's cookie and says whether the
	// page saw the user.
	loggedIn := func(s *testStore, token string) bool {
		var seen bool
		r := httptest.NewRequest(http.MethodGet, "/page", nil)
		r.AddCookie(&http.Cookie{Name: "session", Value: token})
		s.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, seen = s.CurrentUser(r.Context())
		})).ServeHTTP(httptest.NewRecorder(), r)
		return seen
	}
	persistAll := func(t *testing.T, s *testStore) {
		keys, err := rdb.Keys(context.Background(), s.prefix+"*").Result()
		if err != nil || len(keys) == 0 {
			t.Fatalf("keys under %s: %v, %v", s.prefix, keys, err)
		}
		for _, k := range keys {
			rdb.Persist(context.Background(), k)
		}
	}

	for _, tc := range []struct {
		name  string
		opts  storeOptions
		ahead time.Duration
	}{
		{"past the idle timeout", storeOptions{idleTimeout: 10 * time.Minute, now: clock}, 12 * time.Minute},
		{"past the lifetime, though not idle", storeOptions{idleTimeout: 2 * time.Hour, now: clock}, 61 * time.Minute},
	} {
		t.Run("a persisted session "+tc.name+" is logged out", func(t *testing.T) {
			ahead.Store(0)
			s := newTestStore(t, rdb, tc.opts)
			token := s.logIn(t, testClaims)
			persistAll(t, s)
			if !loggedIn(s, token) {
				t.Fatal("a fresh session is not logged in")
			}
			ahead.Store(int64(tc.ahead))
			if loggedIn(s, token) {
				t.Fatalf("%s with no Redis expiry, the session is still logged in", tc.name)
			}
			ahead.Store(0)
			if loggedIn(s, token) {
				t.Error("the session came back: it was not ended, only hidden")
			}
		})
	}

	t.Run("a session below a floor raised since it began is logged out", func(t *testing.T) {
		ahead.Store(0)
		before := newTestStore(t, rdb, storeOptions{now: clock}) // testClaims are at level 1
		token := before.logIn(t, testClaims)
		same := newTestStoreAt(t, rdb, before.prefix, storeOptions{now: clock, acrFloor: "1"})
		if !loggedIn(same, token) {
			t.Fatal("a level 1 session is logged out under a floor of 1")
		}
		raised := newTestStoreAt(t, rdb, before.prefix, storeOptions{now: clock, acrFloor: "2"})
		if loggedIn(raised, token) {
			t.Fatal("a level 1 session is still logged in under a floor of 2")
		}
		if loggedIn(before, token) {
			t.Error("the session was hidden, not ended")
		}
	})
}

// TestKeptUserInfoHoldsItsOwnLimit: the profile's userinfo answer is shown
// again for at most a minute, and never past the access token's expiry,
// whatever Redis's expiry says.
func TestKeptUserInfoHoldsItsOwnLimit(t *testing.T) {
	rdb := storetest.Redis(t)
	var ahead atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	s := newTestStore(t, rdb, storeOptions{now: clock})
	token := s.logIn(t, testClaims)
	ctx := s.load(t, token)
	info := &connect.UserInfo{Subject: testClaims.Subject}
	for _, tc := range []struct {
		name        string
		tokenExpiry time.Time
		gone        time.Duration
	}{
		{"a minute after it was fetched", time.Now().Add(time.Hour), 61 * time.Second},
		{"when the access token expires first", time.Now().Add(20 * time.Second), 21 * time.Second},
	} {
		t.Run("kept, persisted, and gone "+tc.name, func(t *testing.T) {
			ahead.Store(0)
			if _, err := s.KeepUserInfo(ctx, info, "openid", tc.tokenExpiry); err != nil {
				t.Fatal(err)
			}
			if _, found, _ := s.KeptUserInfo(ctx); !found {
				t.Fatal("a userinfo answer just kept is not found")
			}
			keys, _ := rdb.Keys(context.Background(), s.prefix+"userinfo:*").Result()
			for _, k := range keys {
				rdb.Persist(context.Background(), k)
			}
			ahead.Store(int64(tc.gone))
			if kept, found, err := s.KeptUserInfo(ctx); found || err != nil {
				t.Errorf("%s, with no Redis expiry, KeptUserInfo = %+v, %v, %v; want not found", tc.name, kept, found, err)
			}
		})
	}
}
