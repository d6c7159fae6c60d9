// Package regcheck is the registration check: before the first login, it
// asks the configured CONNECT whether this app's registration and settings
// will work, and says what to change when they will not.
//
// A first login against CONNECT staging usually fails for one of a few
// reasons: a redirect URI that is not the registered one, a wrong or
// missing client secret, a scope or level the client may not ask for, an
// issuer typed with or without /oauth, a clock that is off. Each shows up
// as a failed login, often on CONNECT's own error page. The check finds
// them one by one, with requests CONNECT answers without a user: discovery,
// the key set, a token request with a made-up code (the answer says whether
// the client authenticated), and an authorization request with prompt=none
// (where CONNECT sends it back says whether the redirect URI is
// registered).
//
// Run returns Lines: a status and a message key with its arguments, so
// `go run . check` prints them in English and /setup shows them in the
// visitor's language, from the same message files (handlers/locales). The
// package knows nothing of handlers or config: main hands it the settings.
package regcheck

import (
	"context"
	"net/http"
	"time"
)

// Status is what a Line found.
type Status int

const (
	// Pass: this works.
	Pass Status = iota + 1
	// Fail: this will not work; the line says which setting or
	// registration field fixes it. Any Fail makes the check fail.
	Fail
	// Unknown: CONNECT answered in a way the check does not recognise,
	// so it could not tell; the line says what came back.
	Unknown
	// Note: worth knowing, not wrong.
	Note
	// Warning: works now, but is likely to break.
	Warning
)

// Symbol is the status's mark in the command's output.
func (s Status) Symbol() string {
	switch s {
	case Pass:
		return "✓"
	case Fail:
		return "✗"
	case Unknown:
		return "?"
	case Warning:
		return "!"
	}
	return "i"
}

// Key is the message key of the status's name, for /setup's badges.
func (s Status) Key() string {
	switch s {
	case Pass:
		return "check.status.pass"
	case Fail:
		return "check.status.fail"
	case Unknown:
		return "check.status.unknown"
	case Warning:
		return "check.status.warning"
	}
	return "check.status.note"
}

// String is the status's name in logs and test failures.
func (s Status) String() string {
	switch s {
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	case Unknown:
		return "could not tell"
	case Warning:
		return "warning"
	}
	return "note"
}

// Line is one thing checked: its status and its message, as a key of the
// message files and the arguments its text takes (fmt verbs, in order).
// No argument is ever a secret.
type Line struct {
	Status Status
	Key    string
	Args   []any
}

// Problem is a setting the configuration refused: the variable and what
// is wrong with it (config.Problem, handed over by main).
type Problem struct {
	Variable string
	Message  string
}

// Options are the settings to check, as the app runs with them.
type Options struct {
	// Problems are the settings the configuration refused. Each becomes a
	// Fail line, and the check goes on with the rest; a setting with a
	// problem is passed as its zero value ("" or nil) below.
	Problems []Problem

	// Issuer is the issuer the app talks to (CONNECT_ISSUER, or the
	// stand-in's); "" when none is usable, which skips every check that
	// asks CONNECT.
	Issuer string
	// StandIn says Issuer is the local stand-in, started because
	// CONNECT_ISSUER is empty; StandInShared that its port was taken, so
	// the check asked the stand-in already listening there (an app that
	// runs with the same settings).
	StandIn       bool
	StandInShared bool
	ClientID      string
	// ClientSecret is sent only to a token endpoint on the issuer's host,
	// by https or on loopback, and only when discovery's issuer is Issuer
	// exactly. It is never in a Line.
	ClientSecret string
	// RedirectURL is APP_BASE_URL's callback; BaseURL is APP_BASE_URL and
	// BackchannelLogoutURL its back-channel logout URI.
	RedirectURL          string
	BaseURL              string
	BackchannelLogoutURL string
	Scopes               []string
	// ACRValues is CONNECT_ACR_VALUES; "" for none.
	ACRValues string

	// EmbeddedRedis says sessions live in a Redis inside the process (no
	// REDIS_URL); otherwise PingRedis asks Redis, and nil skips it (its
	// setting has a problem).
	EmbeddedRedis bool
	PingRedis     func(context.Context) error
	// RandomSessionSecret says SESSION_SECRET is unset, so a random one
	// is made at each start. A weak one is a Problem of SESSION_SECRET.
	RandomSessionSecret bool

	// HTTPClient makes every request; nil means one with a 10 s timeout.
	// The check never follows a redirect, whatever its CheckRedirect.
	HTTPClient *http.Client
	// Now is this machine's clock; nil means time.Now.
	Now func() time.Time
}

// Run makes every check and returns one Line for each, in the order a
// partner fixes them: the settings, CONNECT's answers, the app's own side.
func Run(ctx context.Context, o Options) []Line {
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	// The check's requests stop at the first answer: a redirect is read,
	// never followed (into the app, least of all), and no cookie is kept.
	client := *o.HTTPClient
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	client.Jar = nil
	o.HTTPClient = &client
	if o.Now == nil {
		o.Now = time.Now
	}
	c := &checker{Options: o}
	c.settings()
	if o.Issuer != "" {
		c.provider(ctx)
	}
	c.appSide(ctx)
	return c.lines
}

// Failed counts the Fail lines: the check passes when there are none.
func Failed(lines []Line) int {
	n := 0
	for _, l := range lines {
		if l.Status == Fail {
			n++
		}
	}
	return n
}

// checker collects the lines of one run.
type checker struct {
	Options
	lines []Line
}

func (c *checker) add(status Status, key string, args ...any) {
	c.lines = append(c.lines, Line{Status: status, Key: key, Args: args})
}

// problem returns the configuration's problem with variable, if any.
func (c *checker) problem(variable string) (Problem, bool) {
	for _, p := range c.Problems {
		if p.Variable == variable {
			return p, true
		}
	}
	return Problem{}, false
}

// settings reports the configuration's problems, but SESSION_SECRET's,
// which its own line below reports.
func (c *checker) settings() {
	for _, p := range c.Problems {
		if p.Variable != "SESSION_SECRET" {
			c.add(Fail, "check.config", p.Variable, p.Message)
		}
	}
	switch {
	case c.StandIn && c.StandInShared:
		c.add(Note, "check.standin.shared", c.Issuer)
	case c.StandIn:
		c.add(Note, "check.standin", c.Issuer)
	}
}
