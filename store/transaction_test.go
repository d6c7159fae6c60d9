package store

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/telenordigital/connect-web-sample/connect"
)

// browser carries cookies from one response to the next request, like a
// browser would for this one site.
type browser struct{ cookies map[string]*http.Cookie }

func (b *browser) request() *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/connect/oauth2callback", nil)
	for _, c := range b.cookies {
		r.AddCookie(c)
	}
	return r
}

func (b *browser) keep(w *httptest.ResponseRecorder) {
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
}

func testKey(b byte) []byte { return []byte(strings.Repeat(string(rune('a'+b)), 32)) }

func secretsOf(t *testing.T, current, previous []byte) *Secrets {
	t.Helper()
	s, err := NewSecrets(current, previous)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newTransactions(t *testing.T, now *time.Time) *LoginTransactions {
	t.Helper()
	return NewLoginTransactions(LoginTransactionOptions{Secrets: secretsOf(t, testKey(0), nil), Now: func() time.Time { return *now }})
}

func save(t *testing.T, lt *LoginTransactions, b *browser, state, returnTo string) {
	t.Helper()
	w := httptest.NewRecorder()
	if err := lt.Save(w, b.request(), LoginTransaction{PendingLogin: connect.PendingLogin{State: state, Nonce: "n-" + state}, ReturnTo: returnTo}); err != nil {
		t.Fatal(err)
	}
	b.keep(w)
}

func take(lt *LoginTransactions, b *browser, state string) (LoginTransaction, error) {
	w := httptest.NewRecorder()
	tx, err := lt.Take(w, b.request(), state)
	b.keep(w)
	return tx, err
}

func TestLoginTransactions(t *testing.T) {
	now := time.Now()

	t.Run("two tabs can log in at once, each callback finds its own login once", func(t *testing.T) {
		lt, b := newTransactions(t, &now), &browser{cookies: map[string]*http.Cookie{}}
		save(t, lt, b, "state-tab-1", "/protected")
		save(t, lt, b, "state-tab-2", "/profile")

		tx, err := take(lt, b, "state-tab-2")
		if err != nil || tx.ReturnTo != "/profile" || tx.Nonce != "n-state-tab-2" {
			t.Fatalf("Take(tab 2) = %+v, %v; want its own login", tx, err)
		}
		tx, err = take(lt, b, "state-tab-1")
		if err != nil || tx.ReturnTo != "/protected" {
			t.Fatalf("Take(tab 1) = %+v, %v; want its own login", tx, err)
		}
		if _, err := take(lt, b, "state-tab-1"); !errors.Is(err, ErrNoTransaction) {
			t.Fatalf("replayed Take = %v, want ErrNoTransaction", err)
		}
		if len(b.cookies) != 0 {
			t.Errorf("cookie left after the last login completed: %v", b.cookies)
		}
	})

	t.Run("an unknown or empty state finds nothing", func(t *testing.T) {
		lt, b := newTransactions(t, &now), &browser{cookies: map[string]*http.Cookie{}}
		save(t, lt, b, "the-real-state", "/")
		for _, state := range []string{"forged-state", ""} {
			if _, err := take(lt, b, state); !errors.Is(err, ErrNoTransaction) {
				t.Errorf("Take(%q) = %v, want ErrNoTransaction", state, err)
			}
		}
	})

	t.Run("a login older than ten minutes has expired", func(t *testing.T) {
		clock := now
		lt, b := newTransactions(t, &clock), &browser{cookies: map[string]*http.Cookie{}}
		save(t, lt, b, "slow-state", "/")
		clock = clock.Add(11 * time.Minute)
		if _, err := take(lt, b, "slow-state"); !errors.Is(err, ErrNoTransaction) {
			t.Fatalf("Take after 11 minutes = %v, want ErrNoTransaction", err)
		}
	})

	t.Run("a tampered cookie counts as none", func(t *testing.T) {
		lt, b := newTransactions(t, &now), &browser{cookies: map[string]*http.Cookie{}}
		save(t, lt, b, "state", "/")
		c := b.cookies["connect_login"]
		c.Value = c.Value[:len(c.Value)-4] + "AAAA"
		if _, err := take(lt, b, "state"); !errors.Is(err, ErrNoTransaction) {
			t.Fatalf("Take with a tampered cookie = %v, want ErrNoTransaction", err)
		}
	})

	t.Run("the cookie is encrypted, HttpOnly, SameSite=Lax and short-lived", func(t *testing.T) {
		lt, b := newTransactions(t, &now), &browser{cookies: map[string]*http.Cookie{}}
		save(t, lt, b, "visible-state-value", "/secret-return-path")
		c := b.cookies["connect_login"]
		if c == nil {
			t.Fatal("no connect_login cookie")
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.MaxAge != 600 {
			t.Errorf("cookie HttpOnly=%v SameSite=%v MaxAge=%d, want true, Lax, 600", c.HttpOnly, c.SameSite, c.MaxAge)
		}
		// securecookie's output is base64 of name|date|value|mac.
		decoded, _ := base64.URLEncoding.DecodeString(c.Value)
		for _, secret := range []string{"visible-state-value", "secret-return-path"} {
			if strings.Contains(c.Value, secret) || strings.Contains(string(decoded), secret) {
				t.Errorf("cookie value reveals %q", secret)
			}
		}
	})

	t.Run("on https the cookie is Secure and __Host- prefixed", func(t *testing.T) {
		lt := NewLoginTransactions(LoginTransactionOptions{Secrets: secretsOf(t, testKey(0), nil), Secure: true})
		w := httptest.NewRecorder()
		lt.Save(w, httptest.NewRequest(http.MethodGet, "/login", nil), LoginTransaction{PendingLogin: connect.PendingLogin{State: "s"}})
		cookies := w.Result().Cookies()
		if len(cookies) != 1 || cookies[0].Name != "__Host-connect_login" || !cookies[0].Secure || cookies[0].Path != "/" || cookies[0].Domain != "" {
			t.Fatalf("cookies = %+v, want one Secure __Host-connect_login with Path=/ and no Domain", cookies)
		}
	})

	t.Run("at most four logins are pending; the oldest gives way", func(t *testing.T) {
		lt, b := newTransactions(t, &now), &browser{cookies: map[string]*http.Cookie{}}
		for _, s := range []string{"s1", "s2", "s3", "s4", "s5"} {
			save(t, lt, b, s, "/")
		}
		if _, err := take(lt, b, "s1"); !errors.Is(err, ErrNoTransaction) {
			t.Errorf("oldest login still pending: %v", err)
		}
		if _, err := take(lt, b, "s5"); err != nil {
			t.Errorf("newest login not pending: %v", err)
		}
	})
}

func TestLoginTransactionsSurviveASecretRotation(t *testing.T) {
	old, next := testKey(0), testKey(1)
	before := NewLoginTransactions(LoginTransactionOptions{Secrets: secretsOf(t, old, nil)})
	b := &browser{cookies: map[string]*http.Cookie{}}
	w := httptest.NewRecorder()
	if err := before.Save(w, b.request(), LoginTransaction{PendingLogin: connect.PendingLogin{State: "started-before"}, ReturnTo: "/profile"}); err != nil {
		t.Fatal(err)
	}
	b.keep(w)

	t.Run("with the old secret as the previous one, the login completes", func(t *testing.T) {
		rotated := NewLoginTransactions(LoginTransactionOptions{Secrets: secretsOf(t, next, old)})
		tx, err := rotated.Take(httptest.NewRecorder(), b.request(), "started-before")
		if err != nil || tx.ReturnTo != "/profile" {
			t.Fatalf("Take after the rotation = %+v, %v; want the login started before it", tx, err)
		}
	})
	t.Run("without it, the login has simply expired", func(t *testing.T) {
		onlyNew := NewLoginTransactions(LoginTransactionOptions{Secrets: secretsOf(t, next, nil)})
		if _, err := onlyNew.Take(httptest.NewRecorder(), b.request(), "started-before"); !errors.Is(err, ErrNoTransaction) {
			t.Fatalf("Take with only the new secret = %v, want ErrNoTransaction", err)
		}
	})
}

// TestFourTracedLoginsFitTheCookie: each pending login also carries the
// optional parameters its request sent (PendingLogin.Sent, for the
// login's trace), and four of them, with real-sized secrets, every
// optional parameter and a longish return path, still fit in one cookie.
func TestFourTracedLoginsFitTheCookie(t *testing.T) {
	now := time.Now()
	lt := newTransactions(t, &now)
	b := &browser{cookies: map[string]*http.Cookie{}}
	random := strings.Repeat("x", 43) // randomValue's and the verifier's length
	for i := range maxPendingLogins {
		tx := LoginTransaction{
			PendingLogin: connect.PendingLogin{
				State: random[:42] + string(rune('a'+i)), Nonce: random, CodeVerifier: random, ACRValues: "2", MaxAge: 5 * time.Minute,
				Sent: []connect.Param{
					{Name: "prompt", Value: "login"}, {Name: "acr_values", Value: "2"}, {Name: "ui_locales", Value: "nb en"},
					{Name: "login_hint", Value: connect.MaskLoginHint("kari.nordmann@example.com"), Masked: true}, {Name: "max_age", Value: "300"},
				},
			},
			ReturnTo: "/profile?tab=scopes#email", StepUp: true, Subject: "310000001234567",
		}
		w := httptest.NewRecorder()
		if err := lt.Save(w, b.request(), tx); err != nil {
			t.Fatal(err)
		}
		b.keep(w)
	}
	c := b.cookies["connect_login"]
	if c == nil {
		t.Fatal("no login cookie")
	}
	if n := len(c.Name) + 1 + len(c.Value); n > 4000 {
		t.Errorf("the cookie of 4 pending logins is %d bytes, want at most 4000 (browsers keep about 4096)", n)
	} else {
		t.Logf("the cookie of 4 pending logins is %d bytes", n)
	}
	tx, err := lt.Take(httptest.NewRecorder(), b.request(), random[:42]+"a")
	if err != nil || len(tx.Sent) != 5 || tx.Sent[3] != (connect.Param{Name: "login_hint", Value: "k***@example.com", Masked: true}) || tx.Sent[2].Value != "nb en" {
		t.Errorf("the first login: %v, parameters sent %+v; want it kept whole, the hint masked", err, tx.Sent)
	}
}
