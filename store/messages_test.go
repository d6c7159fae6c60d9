package store

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMessages(t *testing.T) {
	m := NewMessages(MessageOptions{Secrets: secretsOf(t, testKey(0), nil)})
	set := httptest.NewRecorder()
	m.Set(set, "Tokens refreshed")
	cookies := set.Result().Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].MaxAge <= 0 {
		t.Fatalf("Set wrote cookies %+v, want one HttpOnly cookie with a lifetime", cookies)
	}
	if strings.Contains(cookies[0].Value, "refreshed") {
		t.Errorf("the message cookie shows its text: %q", cookies[0].Value)
	}
	request := func(c *http.Cookie) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.AddCookie(c)
		return r
	}

	t.Run("the next page gets the message and clears it", func(t *testing.T) {
		w := httptest.NewRecorder()
		if got := m.Pop(w, request(cookies[0])); got != "Tokens refreshed" {
			t.Fatalf("Pop = %q, want the message", got)
		}
		cleared := w.Result().Cookies()
		if len(cleared) != 1 || cleared[0].MaxAge >= 0 {
			t.Fatalf("Pop wrote %+v, want the cookie deleted", cleared)
		}
	})
	t.Run("a tampered cookie is no message", func(t *testing.T) {
		forged := *cookies[0]
		forged.Value = "x" + forged.Value[1:]
		if got := m.Pop(httptest.NewRecorder(), request(&forged)); got != "" {
			t.Fatalf("Pop of a tampered cookie = %q, want none", got)
		}
	})
	t.Run("another secret cannot read it", func(t *testing.T) {
		other := NewMessages(MessageOptions{Secrets: secretsOf(t, testKey(1), nil)})
		if got := other.Pop(httptest.NewRecorder(), request(cookies[0])); got != "" {
			t.Fatalf("Pop under another secret = %q, want none", got)
		}
	})
	t.Run("a page without the cookie writes none", func(t *testing.T) {
		w := httptest.NewRecorder()
		if got := m.Pop(w, httptest.NewRequest(http.MethodGet, "/", nil)); got != "" || len(w.Result().Cookies()) != 0 {
			t.Fatalf("Pop without a cookie = %q and cookies %v, want nothing", got, w.Result().Cookies())
		}
	})
}
