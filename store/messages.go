package store

import (
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
)

// Messages are one-time messages for the next page a browser sees ("Your
// tokens were refreshed", "No CONNECT session in this browser"). They
// travel in a short-lived encrypted cookie of their own, not in the
// session: a visitor who is not logged in (a cancelled login, a silent
// check that found no CONNECT session) must cost Redis nothing, and a
// logged-in one saves a Redis write per message.
type Messages struct {
	codecs []securecookie.Codec
	name   string
	secure bool
}

// messageTTL is how long a message waits to be shown: long enough for a
// round trip through CONNECT's login page.
const messageTTL = 10 * time.Minute

// MessageOptions configure the message cookie.
type MessageOptions struct {
	// Secrets seal the cookie.
	Secrets *Secrets
	// Secure as for SessionOptions.
	Secure bool
	// CookieName names the cookie; empty means "connect_message". When
	// Secure, the __Host- prefix is added to it.
	CookieName string
}

// NewMessages keeps messages in a sealed cookie.
func NewMessages(o MessageOptions) *Messages {
	codecs := securecookie.CodecsFromPairs(o.Secrets.cookieKeyPairs()...)
	for _, c := range codecs {
		c.(*securecookie.SecureCookie).MaxAge(int(messageTTL.Seconds()))
	}
	return &Messages{codecs: codecs, name: cookieName(o.CookieName, "connect_message", o.Secure), secure: o.Secure}
}

// Set keeps msg for the next page this browser sees.
func (m *Messages) Set(w http.ResponseWriter, msg string) {
	value, err := securecookie.EncodeMulti(m.name, msg, m.codecs...)
	if err != nil {
		return // a message is a courtesy: the page works without it
	}
	m.write(w, value, int(messageTTL.Seconds()))
}

// Pop returns the pending message, if any, and clears it.
func (m *Messages) Pop(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(m.name)
	if err != nil {
		return ""
	}
	m.write(w, "", -1)
	var msg string
	if securecookie.DecodeMulti(m.name, c.Value, &msg, m.codecs...) != nil {
		return "" // expired, tampered with, or from before a key change
	}
	return msg
}

func (m *Messages) write(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: m.name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: m.secure, SameSite: http.SameSiteLaxMode,
	})
}
