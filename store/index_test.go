package store

import (
	"context"
	"testing"
	"time"

	"github.com/telenordigital/connect-web-sample/connect"
)

// TestEndSessionsOnEveryBackend checks back-channel logout's store side:
// the sid/sub index and the logout-token cache, in memory and in Redis.
func TestEndSessionsOnEveryBackend(t *testing.T) {
	ctx := context.Background()
	for name, backend := range sessionBackends {
		t.Run(name, func(t *testing.T) {
			s := newTestSessions(t, backend)
			sub := "index-test-" + NewTokenID() // a user no other test has
			logInTo := func(sid string) string {
				return logInWith(t, s, connect.Claims{Subject: sub, SessionID: sid})
			}
			loggedIn := func(token string) bool {
				_, ok := s.CurrentUser(load(t, s, token))
				return ok
			}

			phone, laptop := logInTo("sid-phone-"+sub), logInTo("sid-laptop-"+sub)
			n, err := s.EndSessions(ctx, "sid-phone-"+sub, sub)
			if err != nil || n != 1 {
				t.Fatalf("EndSessions(sid) = %d, %v; want 1 session ended", n, err)
			}
			if loggedIn(phone) || !loggedIn(laptop) {
				t.Fatalf("after ending the phone's sid: phone logged in %v, laptop %v; want false, true", loggedIn(phone), loggedIn(laptop))
			}

			other := logInTo("sid-other-" + sub)
			n, err = s.EndSessions(ctx, "", sub)
			if err != nil || n != 2 {
				t.Fatalf("EndSessions(sub only) = %d, %v; want the user's 2 remaining sessions", n, err)
			}
			if loggedIn(laptop) || loggedIn(other) {
				t.Fatal("a session of the user survived a sub-only logout")
			}

			jti := NewTokenID()
			if seen, _ := s.LogoutTokenSeen(ctx, jti); seen {
				t.Fatal("a new jti counts as seen")
			}
			if err := s.RememberLogoutToken(ctx, jti, time.Now().Add(2*time.Minute)); err != nil {
				t.Fatal(err)
			}
			if seen, _ := s.LogoutTokenSeen(ctx, jti); !seen {
				t.Fatal("a remembered jti does not count as seen")
			}
		})
	}
}
