package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/store/storetest"
)

// uniqueSub is a user no other test has.
func uniqueSub() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "index-test-" + hex.EncodeToString(b)
}

// TestEndSessionsOnEveryRedis checks back-channel logout's store side: the
// sid/sub index and the logout-token cache.
func TestEndSessionsOnEveryRedis(t *testing.T) {
	ctx := context.Background()
	for _, backend := range storetest.Backends() {
		t.Run(backend.Name, func(t *testing.T) {
			rdb := backend.Open(t)
			s := newTestStore(t, rdb, storeOptions{})
			other := newTestStoreAt(t, rdb, s.prefix, storeOptions{}) // another app instance
			sub := uniqueSub()
			logInTo := func(sid string) string { return s.logIn(t, connect.Claims{Subject: sub, SessionID: sid}) }

			phone, laptop := logInTo("sid-phone"), logInTo("sid-laptop")
			n, err := other.EndSessions(ctx, "sid-phone", sub)
			if err != nil || n != 1 {
				t.Fatalf("EndSessions(sid) = %d, %v; want 1 session ended", n, err)
			}
			if s.loggedIn(t, phone) || !s.loggedIn(t, laptop) {
				t.Fatalf("after ending the phone's sid: phone logged in %v, laptop %v; want false, true", s.loggedIn(t, phone), s.loggedIn(t, laptop))
			}

			tablet := logInTo("sid-tablet")
			n, err = other.EndSessions(ctx, "", sub)
			if err != nil || n != 2 {
				t.Fatalf("EndSessions(sub only) = %d, %v; want the user's 2 remaining sessions", n, err)
			}
			if s.loggedIn(t, laptop) || s.loggedIn(t, tablet) {
				t.Fatal("a session of the user survived a sub-only logout")
			}
			if keys := storetest.Keys(t, rdb, s.prefix+"sub:"); len(keys) != 0 {
				t.Errorf("index sets left after every session ended: %v", keys)
			}

			jti := uniqueSub()
			if seen, _ := s.LogoutTokenSeen(ctx, jti); seen {
				t.Fatal("a new jti counts as seen")
			}
			if err := s.RememberLogoutToken(ctx, jti, time.Now().Add(2*time.Minute)); err != nil {
				t.Fatal(err)
			}
			if seen, _ := other.LogoutTokenSeen(ctx, jti); !seen {
				t.Fatal("a remembered jti does not count as seen on another instance")
			}
		})
	}
}

func TestIndexForgetsEndedSessions(t *testing.T) {
	rdb := storetest.Redis(t)
	s := newTestStore(t, rdb, storeOptions{idleTimeout: time.Second})
	sub := uniqueSub()
	members := func() int {
		n := 0
		for _, key := range storetest.Keys(t, rdb, s.prefix+"sub:") {
			n += int(rdb.HLen(context.Background(), key).Val())
		}
		return n
	}

	t.Run("a logout removes the session from the index at once", func(t *testing.T) {
		token := s.logIn(t, connect.Claims{Subject: sub, SessionID: "sid-a"})
		if members() != 1 {
			t.Fatalf("index holds %d sessions after a login, want 1", members())
		}
		if _, err := s.LogOut(s.load(t, token)); err != nil {
			t.Fatal(err)
		}
		if members() != 0 {
			t.Fatalf("index holds %d sessions after the logout, want 0", members())
		}
	})
	t.Run("a session that idled out is pruned when the index is read", func(t *testing.T) {
		idle := s.logIn(t, connect.Claims{Subject: sub, SessionID: "sid-b"})
		_ = idle
		time.Sleep(1300 * time.Millisecond)
		active := s.logIn(t, connect.Claims{Subject: sub, SessionID: "sid-c"})
		if members() != 2 {
			t.Fatalf("index holds %d sessions before it is read, want the idle one and the active one", members())
		}
		list, err := s.List(s.load(t, active))
		if err != nil || len(list) != 1 {
			t.Fatalf("List = %d sessions, %v; want the active one only", len(list), err)
		}
		if members() != 1 {
			t.Fatalf("index holds %d sessions after it was read, want 1", members())
		}
	})
	t.Run("an entry listed moments ago whose session is not there yet is kept: it is being moved", func(t *testing.T) {
		active := s.logIn(t, connect.Claims{Subject: sub, SessionID: "sid-d"})
		set := storetest.Keys(t, rdb, s.prefix+"sub:")[0]
		ctx := context.Background()
		rdb.HSet(ctx, set, "a-session-being-moved", time.Now().Unix())
		if _, err := s.List(s.load(t, active)); err != nil {
			t.Fatal(err)
		}
		if !rdb.HExists(ctx, set, "a-session-being-moved").Val() {
			t.Fatal("List pruned an entry listed moments ago: a back-channel logout by sub would miss that session once moved")
		}
		rdb.HSet(ctx, set, "a-session-being-moved", time.Now().Add(-time.Minute).Unix())
		if _, err := s.List(s.load(t, active)); err != nil {
			t.Fatal(err)
		}
		if rdb.HExists(ctx, set, "a-session-being-moved").Val() {
			t.Error("List kept an entry listed longer ago than the idle timeout, whose session is gone")
		}
	})
}

func TestListAndEndAUsersSessions(t *testing.T) {
	rdb := storetest.Redis(t)
	s := newTestStore(t, rdb, storeOptions{})
	sub := uniqueSub()
	laptop := s.logIn(t, connect.Claims{Subject: sub, SessionID: "sid-laptop", ACR: "2"})
	phone := s.logIn(t, connect.Claims{Subject: sub, SessionID: "sid-phone", ACR: "1"})
	stranger := s.logIn(t, connect.Claims{Subject: uniqueSub(), SessionID: "sid-stranger"})
	ctx := s.load(t, laptop)

	list, err := s.List(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("List = %d sessions, %v; want the user's 2", len(list), err)
	}
	var current, phoneID string
	for _, a := range list {
		if a.Current {
			current = a.ID
		} else {
			phoneID = a.ID
		}
	}
	if current == "" || phoneID == "" || current == phoneID {
		t.Fatalf("List = %+v, want this browser's session marked and the other not", list)
	}
	strangerUser, _ := s.CurrentUser(s.load(t, stranger))

	t.Run("another user's session id ends nothing", func(t *testing.T) {
		if _, ended, err := s.End(ctx, strangerUser.ID); ended || err != nil {
			t.Fatalf("End(stranger's id) = %v, %v; want nothing ended", ended, err)
		}
		if !s.loggedIn(t, stranger) {
			t.Fatal("the stranger was logged out")
		}
	})
	t.Run("this browser's own session is not ended by End", func(t *testing.T) {
		if _, ended, _ := s.End(ctx, current); ended || !s.loggedIn(t, laptop) {
			t.Fatal("End ended the session that asked; logging out is for that")
		}
	})
	t.Run("the other device is ended by its id, and its tokens returned for revocation", func(t *testing.T) {
		tokens, ended, err := s.End(ctx, phoneID)
		if err != nil || !ended || tokens.RefreshToken != testTokens.RefreshToken {
			t.Fatalf("End(phone) = %+v, %v, %v; want it ended with its tokens", tokens, ended, err)
		}
		if s.loggedIn(t, phone) || !s.loggedIn(t, laptop) {
			t.Fatal("want the phone logged out and the laptop still in")
		}
	})
	t.Run("log out all other devices", func(t *testing.T) {
		tablet := s.logIn(t, connect.Claims{Subject: sub, SessionID: "sid-tablet"})
		tv := s.logIn(t, connect.Claims{Subject: sub, SessionID: "sid-tv"})
		all, err := s.EndOthers(ctx)
		if err != nil || len(all) != 2 {
			t.Fatalf("EndOthers = %d token sets, %v; want 2", len(all), err)
		}
		if s.loggedIn(t, tablet) || s.loggedIn(t, tv) || !s.loggedIn(t, laptop) {
			t.Fatal("want every other device logged out, and this one in")
		}
	})
}

// TestSecretRotation: after SESSION_SECRET changes, with the old one in
// SESSION_SECRET_PREVIOUS, sessions still work and move to the new secret
// on their first read; once the old secret is dropped, the sessions that
// moved still work and the others are simply gone.
func TestSecretRotation(t *testing.T) {
	for _, backend := range storetest.Backends() {
		t.Run(backend.Name, func(t *testing.T) {
			rdb := backend.Open(t)
			old, next := testSecret(0), testSecret(1)
			before := newTestStore(t, rdb, storeOptions{secrets: testSecrets(t, old, nil)})
			sub := uniqueSub()
			active := before.logIn(t, connect.Claims{Subject: sub, SessionID: "sid-active"})
			dormant := before.logIn(t, connect.Claims{Subject: sub, SessionID: "sid-dormant"})

			rotated := newTestStoreAt(t, rdb, before.prefix, storeOptions{secrets: testSecrets(t, next, old)})
			ctx := rotated.load(t, active)
			if u, ok := rotated.CurrentUser(ctx); !ok || u.Claims.Subject != sub {
				t.Fatal("a session from before the rotation is not found after it")
			}
			if rec, err := rotated.Tokens(ctx); err != nil || rec.Tokens.RefreshToken != testTokens.RefreshToken {
				t.Fatalf("Tokens after the rotation = %+v, %v; want the login's", rec, err)
			}
			if n := rdb.Exists(context.Background(), rotated.SessionKeyForTest(active)).Val(); n != 1 {
				t.Fatal("the session read after the rotation was not moved to the new secret's name")
			}

			newOnly := newTestStoreAt(t, rdb, before.prefix, storeOptions{secrets: testSecrets(t, next, nil)})
			if !newOnly.loggedIn(t, active) {
				t.Fatal("the session moved during the rotation is lost once the old secret is dropped")
			}
			if rec, err := newOnly.Tokens(newOnly.load(t, active)); err != nil || rec.Version != 1 {
				t.Fatalf("its tokens after the old secret is dropped = %+v, %v; want them, version 1", rec, err)
			}
			if newOnly.loggedIn(t, dormant) {
				t.Fatal("a session nobody used during the rotation still opens without the old secret")
			}
			n, err := newOnly.EndSessions(context.Background(), "sid-active", sub)
			if err != nil || n != 1 {
				t.Fatalf("back-channel logout of the moved session = %d, %v; want it found under its new name", n, err)
			}
		})
	}
}

func TestRotationKeepsAnEndedSessionEnded(t *testing.T) {
	rdb := storetest.Redis(t)
	old, next := testSecret(0), testSecret(1)
	before := newTestStore(t, rdb, storeOptions{secrets: testSecrets(t, old, nil)})
	sub := uniqueSub()
	token := before.logIn(t, connect.Claims{Subject: sub, SessionID: "sid-x"})
	// A back-channel logout reaches an instance still on the old secret.
	if n, err := before.EndSessions(context.Background(), "sid-x", sub); err != nil || n != 1 {
		t.Fatalf("EndSessions = %d, %v", n, err)
	}
	rotated := newTestStoreAt(t, rdb, before.prefix, storeOptions{secrets: testSecrets(t, next, old)})
	if rotated.loggedIn(t, token) {
		t.Fatal("an ended session came back after the rotation")
	}
	if slices.Contains(storetest.Keys(t, rdb, before.prefix), rotated.SessionKeyForTest(token)) {
		t.Fatal("the rotation wrote an ended session under the new name")
	}
}
