package handlers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/store"
)

// "Your login, step by step" on /session: the session's trace (store's
// LoginTrace, kept as facts) written out in the visitor's language as
// lines of plain text, so that a partner can select the list and paste it
// into a support question as it reads. Parameter names and values are the
// protocol's and stay as they went over the wire; only the words around
// them are translated.

// traceView is the section's content.
type traceView struct {
	Found   bool
	Trimmed bool
	Login   []traceStep
	// Refresh is the latest refresh's steps; nil before the first.
	Refresh   []traceStep
	RefreshAt time.Time
}

// traceStep is one step of the exchange: a title and its facts.
type traceStep struct {
	Title string
	Lines []string
}

// loginTrace reads this session's trace and writes it out for tr.
// A session without one (from before traces were kept) shows a line
// saying so; only an unreachable Redis is an error.
func (app *App) loginTrace(ctx context.Context, tr translator) (traceView, error) {
	t, err := app.Sessions.Trace(ctx)
	if errors.Is(err, store.ErrNoTrace) {
		return traceView{}, nil
	}
	if err != nil {
		return traceView{}, err
	}
	w := traceWriter{tr: tr}
	v := traceView{Found: true, Trimmed: t.Trimmed}
	if a := t.Login.Authorization; a != nil {
		v.Login = append(v.Login, w.authorization(a))
	}
	if c := t.Login.Callback; c != nil {
		v.Login = append(v.Login, w.callback(c))
	}
	v.Login = append(v.Login, w.token(t.Login.Token), w.checks(t.Login.Checks),
		traceStep{Title: tr.T("trace.userinfo"), Lines: []string{tr.T("trace.userinfo_none")}})
	if r := t.Refresh; r != nil {
		v.Refresh, v.RefreshAt = []traceStep{w.token(r.Token), w.checks(r.Checks)}, r.Token.At
	}
	return v, nil
}

type traceWriter struct{ tr translator }

func (w traceWriter) authorization(a *connect.AuthorizationTrace) traceStep {
	s := traceStep{Title: w.tr.T("trace.authorize"), Lines: []string{"GET " + a.Endpoint}}
	for _, p := range a.Params {
		switch {
		case p.Random > 0:
			s.Lines = append(s.Lines, w.tr.T("trace.random", p.Name, p.Random))
		case p.Masked:
			s.Lines = append(s.Lines, w.tr.T("trace.masked", p.Name, p.Value))
		default:
			s.Lines = append(s.Lines, p.Name+"="+p.Value)
		}
	}
	return s
}

func (w traceWriter) callback(c *connect.CallbackTrace) traceStep {
	s := traceStep{Title: w.tr.T("trace.callback"), Lines: []string{
		w.tr.T("trace.callback_params", strings.Join(c.Params, ", ")),
		w.tr.T("trace.code_length", c.CodeLength),
	}}
	if c.StateMatched {
		s.Lines = append(s.Lines, w.tr.T("trace.state_matched"))
	}
	if c.Issuer != "" {
		s.Lines = append(s.Lines, "iss="+c.Issuer)
	}
	return s
}

func (w traceWriter) token(t connect.TokenCall) traceStep {
	s := traceStep{Title: w.tr.T("trace.token", w.tr.datetime(t.At)), Lines: []string{
		"POST " + t.Endpoint,
		"grant_type=" + t.GrantType,
		w.clientAuth(t.ClientAuth),
		w.tr.T("trace.answer", t.Status, t.Took.Milliseconds()),
		"token_type=" + t.TokenType,
		"expires_in=" + strconv.FormatInt(t.ExpiresIn, 10),
	}}
	if t.Scope != "" {
		s.Lines = append(s.Lines, "scope="+t.Scope)
	} else {
		s.Lines = append(s.Lines, w.tr.T("trace.scope_left_out"))
	}
	tokens := make([]string, len(t.Tokens))
	for i, tok := range t.Tokens {
		tokens[i] = w.tr.T("trace.token_length", tok.Name, tok.Length)
	}
	return traceStep{Title: s.Title, Lines: append(s.Lines, w.tr.T("trace.tokens", strings.Join(tokens, ", ")))}
}

func (w traceWriter) clientAuth(method string) string {
	if method == connect.ClientAuthNone {
		return w.tr.T("trace.client_auth_none")
	}
	return w.tr.T("trace.client_auth_basic")
}

func (w traceWriter) checks(checks []connect.Check) traceStep {
	s := traceStep{Title: w.tr.T("trace.checks")}
	if len(checks) == 0 {
		s.Lines = []string{w.tr.T("trace.no_id_token")}
	}
	for _, c := range checks {
		s.Lines = append(s.Lines, w.check(c))
	}
	return s
}

// check is one ID token check in words: what the token said, and what
// it was held to.
func (w traceWriter) check(c connect.Check) string {
	tr := w.tr
	switch c.Name {
	case connect.CheckIssuer:
		return tr.T("trace.check.iss", c.Value)
	case connect.CheckAudience:
		return tr.T("trace.check.aud", c.Value)
	case connect.CheckExpiry:
		return tr.T("trace.check.exp", w.when(c.Value))
	case connect.CheckSignature:
		return tr.T("trace.check.signature", c.Value, cmp.Or(c.Want, "—"))
	case connect.CheckNonce:
		return tr.T("trace.check.nonce")
	case connect.CheckAZP:
		if c.Absent {
			return tr.T("trace.check.azp_absent")
		}
		return tr.T("trace.check.azp", c.Value)
	case connect.CheckIssuedAt:
		return tr.T("trace.check.iat", w.when(c.Value))
	case connect.CheckACR:
		switch {
		case c.Want != "":
			return tr.T("trace.check.acr", c.Value, c.Want)
		case c.Absent:
			return tr.T("trace.check.acr_absent")
		}
		return tr.T("trace.check.acr_not_asked", c.Value)
	case connect.CheckAuthTime:
		switch {
		case c.Want != "":
			return tr.T("trace.check.auth_time", w.when(c.Value), c.Want)
		case c.Absent:
			return tr.T("trace.check.auth_time_absent")
		}
		return tr.T("trace.check.auth_time_not_asked", w.when(c.Value))
	case connect.CheckSameUser:
		return tr.T("trace.check.same_user")
	case connect.CheckATHash:
		if c.Absent {
			return tr.T("trace.check.at_hash_absent")
		}
		return tr.T("trace.check.at_hash")
	}
	return fmt.Sprintf("%s %s", c.Name, c.Value)
}

// when writes a JWT time (seconds since the epoch, as a string).
func (w traceWriter) when(unix string) string {
	n, err := strconv.ParseInt(unix, 10, 64)
	if err != nil {
		return unix
	}
	return w.tr.datetime(time.Unix(n, 0))
}
