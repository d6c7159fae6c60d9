package store

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/sessions"

	"github.com/telenordigital/connect-web-sample/connect"
)

// ErrNoTransaction means the callback's state matches no login this browser
// started: the cookie is missing (another browser, cookies blocked), the
// login was already completed (a replayed or reloaded callback), or the
// state was forged.
var ErrNoTransaction = errors.New("store: no pending login for this state")

// transactionTTL is how long a visitor may spend at CONNECT's login page.
const transactionTTL = 10 * time.Minute

// maxPendingLogins bounds the cookie's size (browsers keep about 4 KB per
// cookie); the oldest pending login gives way first.
const maxPendingLogins = 4

// LoginTransaction is one round trip to CONNECT in flight: for a login,
// what the callback needs to check CONNECT's answer and where to send the
// visitor afterwards; for a logout everywhere, just the state.
type LoginTransaction struct {
	connect.PendingLogin
	ReturnTo  string    `json:"return_to,omitempty"`
	StartedAt time.Time `json:"started_at"`
	// StepUp marks a re-authentication of the logged-in user: it must come
	// back as the same user, Subject.
	StepUp  bool   `json:"step_up,omitempty"`
	Subject string `json:"sub,omitempty"`
	// Reauthentication marks the fresh login a device whose session was
	// ended must make (Sessions.EndedAt); its answer gets no second round.
	Reauthentication bool `json:"reauth,omitempty"`
	// Logout marks the state of a logout round trip, which the login
	// callback must not accept (nor the logout callback a login's);
	// Everywhere says it went through CONNECT's end-session endpoint.
	Logout     bool `json:"logout,omitempty"`
	Everywhere bool `json:"everywhere,omitempty"`
}

// Expires is when this round trip's state stops being accepted.
func (tx LoginTransaction) Expires() time.Time { return tx.StartedAt.Add(transactionTTL) }

// LoginTransactions keep pending logins in a signed and encrypted cookie,
// keyed by state, so that a browser with two tabs can run two logins and an
// anonymous visitor costs Redis nothing.
type LoginTransactions struct {
	cookies *sessions.CookieStore
	name    string
	now     func() time.Time
}

// LoginTransactionOptions configure the login-transaction cookie.
type LoginTransactionOptions struct {
	// Secrets seal the cookie: written with the current secret and read
	// with either, so a login in flight survives a rotation of
	// SESSION_SECRET.
	Secrets *Secrets
	// Secure as for SessionOptions.
	Secure bool
	// CookieName names the cookie; empty means "connect_login". When
	// Secure, the __Host- prefix is added to it.
	CookieName string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NewLoginTransactions builds the store.
func NewLoginTransactions(o LoginTransactionOptions) *LoginTransactions {
	cs := sessions.NewCookieStore(o.Secrets.cookieKeyPairs()...)
	cs.MaxAge(int(transactionTTL.Seconds())) // cookie lifetime and signed timestamp alike
	cs.Options.Path = "/"
	cs.Options.HttpOnly = true
	cs.Options.Secure = o.Secure
	// Lax, not Strict: the callback is a top-level navigation from
	// CONNECT's site, and must carry this cookie.
	cs.Options.SameSite = http.SameSiteLaxMode
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &LoginTransactions{cookies: cs, name: cookieName(o.CookieName, "connect_login", o.Secure), now: now}
}

// Save adds a pending login to this browser's cookie.
func (t *LoginTransactions) Save(w http.ResponseWriter, r *http.Request, tx LoginTransaction) error {
	pending := t.read(r)
	tx.StartedAt = t.now()
	pending = append(pending, tx)
	if len(pending) > maxPendingLogins {
		pending = pending[len(pending)-maxPendingLogins:]
	}
	// Long return paths can push the cookie past the browser's 4 KB limit;
	// then older pending logins give way until the new one fits.
	for {
		err := t.write(w, r, pending)
		if err == nil || len(pending) == 1 {
			return err
		}
		pending = pending[1:]
	}
}

// Take finds the pending login for state and removes it from the cookie, so
// that the same callback cannot be used twice. The state is compared in
// constant time with every pending entry.
func (t *LoginTransactions) Take(w http.ResponseWriter, r *http.Request, state string) (LoginTransaction, error) {
	pending := t.read(r)
	found := -1
	for i, tx := range pending {
		if subtle.ConstantTimeCompare([]byte(tx.State), []byte(state)) == 1 {
			found = i
		}
	}
	if found < 0 || state == "" {
		return LoginTransaction{}, ErrNoTransaction
	}
	tx := pending[found]
	rest := append(pending[:found:found], pending[found+1:]...)
	if err := t.write(w, r, rest); err != nil {
		return LoginTransaction{}, err
	}
	return tx, nil
}

// read returns the unexpired pending logins. A cookie that does not decode
// (expired, tampered with, or from before a key change) counts as none.
func (t *LoginTransactions) read(r *http.Request) []LoginTransaction {
	session, err := t.cookies.New(r, t.name)
	if err != nil {
		return nil
	}
	b, _ := session.Values["pending"].([]byte)
	var all []LoginTransaction
	if json.Unmarshal(b, &all) != nil {
		return nil
	}
	live := all[:0]
	for _, tx := range all {
		if t.now().Sub(tx.StartedAt) < transactionTTL {
			live = append(live, tx)
		}
	}
	return live
}

func (t *LoginTransactions) write(w http.ResponseWriter, r *http.Request, pending []LoginTransaction) error {
	session := sessions.NewSession(t.cookies, t.name)
	opts := *t.cookies.Options
	session.Options = &opts
	if len(pending) == 0 {
		session.Options.MaxAge = -1 // delete the cookie
	}
	b, err := json.Marshal(pending)
	if err != nil {
		return fmt.Errorf("encode login transaction: %w", err)
	}
	session.Values["pending"] = b
	if err := t.cookies.Save(r, w, session); err != nil {
		return fmt.Errorf("write login transaction cookie: %w", err)
	}
	return nil
}
