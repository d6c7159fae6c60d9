package store_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	. "github.com/telenordigital/connect-web-sample/store"
	"github.com/telenordigital/connect-web-sample/store/storetest"
)

// TestLoadAndSave checks the session middleware's order on a real Redis:
// load before the handler, save before the first byte, and a failed save
// that replaces the response rather than following it.
func TestLoadAndSave(t *testing.T) {
	rdb, outage := storetest.RedisWithOutage(t)
	// serve runs one request with cookie (if any) through s.LoadAndSave(h).
	serve := func(s *testStore, cookie string, h http.HandlerFunc) *http.Response {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, "/page", nil)
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: "session", Value: cookie})
		}
		w := httptest.NewRecorder()
		s.LoadAndSave(h).ServeHTTP(w, r)
		return w.Result()
	}
	body := func(resp *http.Response) string {
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	sessionCookie := func(resp *http.Response) *http.Cookie {
		for _, c := range resp.Cookies() {
			if c.Name == "session" {
				return c
			}
		}
		return nil
	}
	// logInAndRedirect is a callback: it logs in, then redirects.
	logInAndRedirect := func(s *testStore, before func()) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if _, err := s.LogIn(r.Context(), NewLogin{Claims: testClaims, Tokens: testTokens, At: time.Now()}); err != nil {
				t.Fatal(err)
			}
			before()
			w.Header().Set("Location", "/next")
			w.WriteHeader(http.StatusSeeOther)
			io.WriteString(w, "redirecting")
			io.WriteString(w, " to /next")
		}
	}

	t.Run("the session is loaded for the handler, and the response varies by cookie", func(t *testing.T) {
		s := newTestStore(t, rdb, storeOptions{})
		token := s.logIn(t, testClaims)
		var loaded, user bool
		resp := serve(s, token, func(w http.ResponseWriter, r *http.Request) {
			loaded = s.Loaded(r.Context())
			_, user = s.CurrentUser(r.Context())
		})
		if !loaded || !user {
			t.Errorf("in the handler, Loaded = %v and CurrentUser found = %v; want both true", loaded, user)
		}
		if got := resp.Header.Values("Vary"); len(got) != 1 || got[0] != "Cookie" {
			t.Errorf("Vary = %q, want Cookie", got)
		}
		if s.Loaded(context.Background()) {
			t.Error("Loaded outside the middleware = true, want false")
		}
	})

	t.Run("a login is saved before the first byte, and its cookie goes with the redirect", func(t *testing.T) {
		s := newTestStore(t, rdb, storeOptions{})
		resp := serve(s, "", logInAndRedirect(s, func() {}))
		c := sessionCookie(resp)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/next" || c == nil {
			t.Fatalf("got %d, Location %q, session cookie %v; want 303 to /next with the cookie", resp.StatusCode, resp.Header.Get("Location"), c)
		}
		if !s.loggedIn(t, c.Value) {
			t.Error("the cookie's session is not logged in")
		}
	})

	t.Run("a handler that writes nothing has its session saved after it returns", func(t *testing.T) {
		s := newTestStore(t, rdb, storeOptions{})
		resp := serve(s, "", func(w http.ResponseWriter, r *http.Request) {
			if _, err := s.LogIn(r.Context(), NewLogin{Claims: testClaims, Tokens: testTokens, At: time.Now()}); err != nil {
				t.Fatal(err)
			}
		})
		if c := sessionCookie(resp); c == nil || !s.loggedIn(t, c.Value) {
			t.Fatalf("session cookie %v, want one of a logged-in session", c)
		}
	})

	t.Run("a save that fails gives a plain 503 alone, without ErrorFunc", func(t *testing.T) {
		s := newTestStore(t, rdb, storeOptions{})
		defer outage.Restore()
		resp := serve(s, "", logInAndRedirect(s, outage.Cut))
		if got := body(resp); resp.StatusCode != http.StatusServiceUnavailable || got != "Service Unavailable\n" {
			t.Errorf("got %d %q, want 503 \"Service Unavailable\" and nothing of the handler's", resp.StatusCode, got)
		}
		if loc := resp.Header.Get("Location"); loc != "" {
			t.Errorf("Location = %q, want none: the redirect's promise was not kept", loc)
		}
		if c := sessionCookie(resp); c != nil {
			t.Errorf("session cookie %v set, want none", c)
		}
	})

	t.Run("ErrorFunc gets the error and the request as it came in, without the session", func(t *testing.T) {
		s := newTestStore(t, rdb, storeOptions{})
		var got error
		var loaded bool
		s.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
			got, loaded = err, s.Loaded(r.Context())
			w.WriteHeader(http.StatusTeapot)
			io.WriteString(w, "the app's error page")
		}
		defer outage.Restore()
		resp := serve(s, "", logInAndRedirect(s, outage.Cut))
		if b := body(resp); resp.StatusCode != http.StatusTeapot || b != "the app's error page" {
			t.Errorf("got %d %q, want ErrorFunc's answer alone", resp.StatusCode, b)
		}
		if !errors.Is(got, ErrUnavailable) {
			t.Errorf("ErrorFunc got %v, want it to wrap ErrUnavailable", got)
		}
		if loaded {
			t.Error("ErrorFunc's request has the session; want the request without it")
		}
	})

	t.Run("a load that fails answers with ErrorFunc, and the handler does not run", func(t *testing.T) {
		s := newTestStore(t, rdb, storeOptions{})
		token := s.logIn(t, testClaims)
		var got error
		s.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
			got = err
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		outage.Cut()
		defer outage.Restore()
		ran := false
		resp := serve(s, token, func(http.ResponseWriter, *http.Request) { ran = true })
		if ran || resp.StatusCode != http.StatusServiceUnavailable || !errors.Is(got, ErrUnavailable) {
			t.Errorf("handler ran = %v, status %d, error %v; want no run, 503, ErrUnavailable", ran, resp.StatusCode, got)
		}
	})

	t.Run("a session ended while the request ran keeps the page, without a cookie", func(t *testing.T) {
		// Half an hour on: the page view is due to move the idle timeout, so
		// it saves, and finds the session ended.
		s := newTestStore(t, rdb, storeOptions{idleTimeout: 2 * time.Hour, now: func() time.Time { return time.Now().Add(30 * time.Minute) }})
		token := s.logIn(t, testClaims)
		resp := serve(s, token, func(w http.ResponseWriter, r *http.Request) {
			if n, err := s.EndSessions(r.Context(), testClaims.SessionID, ""); err != nil || n != 1 {
				t.Fatalf("EndSessions = %d, %v; want 1 ended", n, err)
			}
			io.WriteString(w, "the page")
		})
		if b := body(resp); resp.StatusCode != http.StatusOK || b != "the page" {
			t.Errorf("got %d %q, want 200 and the page", resp.StatusCode, b)
		}
		if c := sessionCookie(resp); c != nil {
			t.Errorf("session cookie %v set, want none for an ended session", c)
		}
	})
}

func TestCookieNames(t *testing.T) {
	secrets := testSecrets(t, testSecret(0), nil)
	s, err := NewSessions(SessionOptions{Redis: storetest.Redis(t), Secrets: secrets, IdleTimeout: time.Minute, Lifetime: time.Hour, Secure: true, CookieName: "app_session"})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Manager.Cookie.Name; got != "__Host-app_session" {
		t.Errorf("session cookie = %q, want __Host-app_session", got)
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	NewMessages(MessageOptions{Secrets: secrets, CookieName: "app_message"}).Set(w, "hello")
	NewLoginTransactions(LoginTransactionOptions{Secrets: secrets, CookieName: "app_login"}).Save(w, r, LoginTransaction{})
	var names []string
	for _, c := range w.Result().Cookies() {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, " "); got != "app_message app_login" {
		t.Errorf("cookies = %s, want app_message app_login", got)
	}
}
