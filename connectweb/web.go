// Package connectweb is CONNECT ID's web flow for a Go web site, over
// connect (the protocol) and store (sessions in Redis): the login start,
// the callback, both kinds of logout and the page CONNECT returns to
// after one, back-channel logout, and the tokens of a request, refreshed
// when due. Its handlers are plain http.Handlers; mount them on any
// ServeMux inside store's session middleware:
//
//	web, err := connectweb.New(connectweb.Options{Connect: client, Sessions: sessions, Logins: logins})
//	mux := http.NewServeMux()
//	web.Mount(mux)
//	mux.Handle("GET /orders", web.RequireLogin(orders))
//	http.ListenAndServe(":8080", sessions.LoadAndSave(mux))
//
// What a visitor sees, what is counted, the language CONNECT's pages
// speak and where a login may return to are the app's: Options has a
// hook for each, and each hook's default is plain (text pages, nothing
// counted). Each flow is one file and reads top to bottom.
package connectweb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/store"
)

// Options are the flow's dependencies, settings and hooks. Connect,
// Sessions and Logins are required; everything else has a default.
type Options struct {
	Connect  *connect.Client
	Sessions *store.Sessions
	// Logins keeps each login's state, nonce and PKCE verifier in a
	// cookie until the callback, and each logout's state until CONNECT
	// sends the browser back.
	Logins *store.LoginTransactions
	// Logger gets one line per thing worth knowing; nil means
	// slog.Default(). The app may give one whose handler adds a request
	// id from the context: every line is logged with the request's.
	Logger *slog.Logger

	// Paths are where Mount puts the flow's handlers; the zero value is
	// DefaultPaths, the URIs registered with CONNECT.
	Paths Paths
	// ACRValues (CONNECT_ACR_VALUES) is the floor: asked for at every
	// login, which may ask for more (a step-up) but never for less. A
	// login whose ID token comes back below it gets no session. It must be
	// store.SessionOptions.ACRFloor too (New checks), so a session from
	// before a raised floor is logged out.
	ACRValues string
	// SSO is true when the client is registered with single sign-on: only
	// then is "log out everywhere" (CONNECT's end-session) offered.
	SSO bool
	// RefreshMargin is how long before expiry an access token is
	// refreshed (CONNECT_REFRESH_MARGIN); zero means a minute.
	RefreshMargin time.Duration
	// StepUp is the level a sensitive page demands, and how recent.
	StepUp StepUpRule
	// LoggedInHome is where a logged-in browser goes from a callback it
	// already used (Back after logging in); "" means "/".
	LoggedInHome string
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// Failed shows a failure: the error page. nil writes the status and
	// the failure's code as plain text, never its cause.
	Failed func(w http.ResponseWriter, r *http.Request, f *Failure)
	// LoggedOut shows the page CONNECT returns the browser to after a
	// logout. nil writes a line of plain text.
	LoggedOut func(w http.ResponseWriter, r *http.Request, l LogoutResult)
	// Notify leaves a one-time message for the next page (a login that
	// asked nothing, a session CONNECT ended). nil says nothing.
	Notify func(w http.ResponseWriter, r *http.Request, n Notice)
	// Count is told each outcome as the flow decides it, for metrics.
	// nil counts nothing.
	Count func(Event)
	// UILocales is the ui_locales sent to CONNECT for this request, so
	// its pages speak the visitor's language. nil sends none.
	UILocales func(r *http.Request) string
	// ReturnPath turns a requested return path into one that is safe to
	// redirect to after login; nil means SafeReturnPath.
	ReturnPath func(raw string) string
}

// Paths are the flow's routes. The callback, the post-logout callback and
// back-channel logout must be the URIs registered with CONNECT.
type Paths struct {
	Login             string // GET: start a login
	Callback          string // GET: CONNECT's redirect URI
	Logout            string // POST: log out (everywhere=1 for CONNECT too)
	LogoutCallback    string // GET: CONNECT's post-logout redirect URI
	BackchannelLogout string // POST: CONNECT's back-channel logout URI
}

// LoginURL is the login start that comes back to returnTo, made safe
// with SafeReturnPath: what a "Log in" link or button points at.
func (p Paths) LoginURL(returnTo string) string {
	return p.Login + "?return_to=" + url.QueryEscape(SafeReturnPath(returnTo))
}

// DefaultPaths are the routes of DESIGN.md, which the stand-in registers.
var DefaultPaths = Paths{
	Login:             "/login",
	Callback:          "/connect/oauth2callback",
	Logout:            "/logout",
	LogoutCallback:    "/connect/logoutcallback",
	BackchannelLogout: "/connect/backchannellogout",
}

// StepUpRule is what a step-up asks of CONNECT: an authentication at ACR
// or above, no older than MaxAge.
type StepUpRule struct {
	ACR    string
	MaxAge time.Duration
}

// Web is the flow, shared by all requests.
type Web struct {
	opts Options
}

// New checks the options and fills in the defaults.
func New(o Options) (*Web, error) {
	if o.Connect == nil || o.Sessions == nil || o.Logins == nil {
		return nil, errors.New("connectweb: Connect, Sessions and Logins are required")
	}
	// One floor: the logins' (here) and the sessions' (store), or a
	// session from before a raised floor would live on.
	if o.ACRValues != o.Sessions.ACRFloor() {
		return nil, fmt.Errorf("connectweb: ACRValues %q must equal store.SessionOptions.ACRFloor %q", o.ACRValues, o.Sessions.ACRFloor())
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Paths == (Paths{}) {
		o.Paths = DefaultPaths
	}
	if o.RefreshMargin == 0 {
		o.RefreshMargin = time.Minute
	}
	if o.StepUp == (StepUpRule{}) {
		o.StepUp = StepUpRule{ACR: "2", MaxAge: 5 * time.Minute}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LoggedInHome == "" {
		o.LoggedInHome = "/"
	}
	if o.Failed == nil {
		o.Failed = func(w http.ResponseWriter, r *http.Request, f *Failure) {
			http.Error(w, http.StatusText(f.Status)+" ("+f.Code+")", f.Status)
		}
	}
	if o.LoggedOut == nil {
		o.LoggedOut = plainLoggedOut
	}
	if o.Notify == nil {
		o.Notify = func(http.ResponseWriter, *http.Request, Notice) {}
	}
	if o.Count == nil {
		o.Count = func(Event) {}
	}
	if o.UILocales == nil {
		o.UILocales = func(*http.Request) string { return "" }
	}
	if o.ReturnPath == nil {
		o.ReturnPath = SafeReturnPath
	}
	return &Web{opts: o}, nil
}

// Mount puts the flow's handlers on mux at Options.Paths. An app that
// wraps some of them (a rate limit on the login and the callback, say)
// mounts them one by one instead.
func (web *Web) Mount(mux *http.ServeMux) {
	p := web.opts.Paths
	mux.Handle("GET "+p.Login, web.Login())
	mux.Handle("GET "+p.Callback, web.Callback())
	mux.Handle("POST "+p.Logout, web.Logout())
	mux.Handle("GET "+p.LogoutCallback, web.LogoutCallback())
	mux.Handle("POST "+p.BackchannelLogout, web.BackchannelLogout())
}

// Notice is a one-time message for the visitor's next page.
type Notice string

const (
	// NoticeSilentLogin: CONNECT logged the user in without showing a
	// page (single sign-on); without a word, a login looks like a fault.
	NoticeSilentLogin Notice = "silent_login"
	// NoticeNoConnectSession: a prompt=none login found no CONNECT
	// session to log in with.
	NoticeNoConnectSession Notice = "no_connect_session"
	// NoticeSessionEnded: CONNECT ended the grant; the visitor is asked
	// to log in again.
	NoticeSessionEnded Notice = "connect_session_ended"
	// NoticeTokensRefreshed: a refresh the visitor asked for is done.
	NoticeTokensRefreshed Notice = "tokens_refreshed"
)

// Event is one outcome of a flow, for counting. Flow and Outcome are a
// short fixed list; Reason, when set, is one of a fixed list too (never
// a visitor's words), so all three make safe metric labels.
type Event struct {
	Flow    string // "login", "callback", "refresh", "backchannel_logout"
	Outcome string // login: started; callback: completed, failed, refused; refresh: ok, ended, unavailable, failed; backchannel_logout: accepted, invalid, unavailable
	Reason  string
}

// LogoutResult is what the post-logout page may say: which logout this
// browser started, as far as the state it brought back can vouch for.
type LogoutResult struct {
	AppOnly    bool // logged out of this app; CONNECT's session may live on
	Everywhere bool // CONNECT confirmed its session ended too
}

func plainLoggedOut(w http.ResponseWriter, r *http.Request, l LogoutResult) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	switch {
	case l.Everywhere:
		w.Write([]byte("You are logged out here and at CONNECT ID.\n"))
	default:
		w.Write([]byte("You are logged out.\n"))
	}
}

// log writes one line at level with the request's context.
func (web *Web) log(ctx context.Context, level slog.Level, msg string, args ...any) {
	web.opts.Logger.Log(ctx, level, msg, args...)
}

func (web *Web) count(flow, outcome, reason string) {
	web.opts.Count(Event{Flow: flow, Outcome: outcome, Reason: reason})
}
