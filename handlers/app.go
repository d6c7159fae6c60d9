// Package handlers is the web site: routes, middleware, one file per page
// or flow, and template rendering. It uses connect to talk to CONNECT and
// store to remember logins and sessions.
package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"time"

	"github.com/telenordigital/connect-web-sample/config"
	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/connectweb"
	"github.com/telenordigital/connect-web-sample/regcheck"
	"github.com/telenordigital/connect-web-sample/store"
)

// Options are the app's dependencies and settings, built by main.
type Options struct {
	Connect *connect.Client
	// Sessions' ErrorFunc, unless main set one, becomes the app's error
	// page (New sets it).
	Sessions *store.Sessions
	Logins   *store.LoginTransactions
	// Messages carries one-time messages to the next page.
	Messages *store.Messages
	// ValidatedTokens caches /api/me's validations of access tokens.
	ValidatedTokens *store.ValidatedTokens
	// Ping reports whether the session store answers.
	Ping   func(context.Context) error
	Logger *slog.Logger

	// Issuer is CONNECT's issuer; its origin is allowed as a form target.
	Issuer string
	// BaseURL is APP_BASE_URL, for the commands pages show.
	BaseURL string
	// APIPolicy is whom /api/me accepts access tokens for: API_AUDIENCE,
	// API_ALLOWED_CLIENTS and API_ALLOW_USERINFO.
	APIPolicy connect.AccessTokenPolicy
	// HTTPS is true when APP_BASE_URL is https: browsers are then told to
	// use nothing else (HSTS).
	HTTPS bool
	// Registration is what /setup tells a partner to register.
	Registration Registration
	// Scopes are the scopes every login requests.
	Scopes []string
	// Warnings are the configuration's warnings (in-memory sessions, a
	// random session secret, ...), shown on /setup in the visitor's language.
	Warnings []config.Warning
	// StandInURL is the local stand-in's address, or "" with real CONNECT.
	StandInURL string
	// RepositoryURL is the web view of this repository's files, without a
	// trailing slash; /guide links code paths to {RepositoryURL}/{path}.
	// Empty: the paths are plain text.
	RepositoryURL string
	// SSO is true when the client is registered with single sign-on.
	SSO bool
	// ACRValues is sent with every login unless the login asks for
	// something else. UILocales (CONNECT_UI_LOCALES) is sent as ui_locales;
	// empty, the visitor's language here is sent.
	ACRValues string
	UILocales string
	// EmbeddedRedis says sessions are in a Redis inside the process (no
	// REDIS_URL), which the home page owns up to.
	EmbeddedRedis bool
	// RefreshMargin is how long before expiry an access token is refreshed.
	RefreshMargin time.Duration
	// StepUpMaxAge is how recent the LoA2 authentication /stepup demands is.
	StepUpMaxAge time.Duration
	// EndedSessionMemory is how long a device whose session was ended on
	// /sessions must authenticate afresh (store.SessionOptions has it too);
	// the page says so.
	EndedSessionMemory time.Duration
	// ServeSetupPage serves /setup; without it /setup is a plain 404, since
	// it shows the client's registration and the start-up warnings.
	ServeSetupPage bool
	// RegistrationCheck runs the registration check (regcheck.Run with
	// the app's settings) for /setup's button; nil offers no button.
	RegistrationCheck func(context.Context) []regcheck.Line
	// TrustedProxies are the proxies whose X-Forwarded-For names the
	// client (clientaddr.go).
	TrustedProxies []netip.Prefix
	// RateLimitPerAddress and RateLimitRefresh are the rate limits, in
	// events a minute (ratelimit.go); zero means the defaults, 300 and 10.
	RateLimitPerAddress int
	RateLimitRefresh    int
	// Metrics count what operators watch; nil means counted, not served.
	Metrics *Metrics
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Registration is the client's URIs as registered with Telenor, derived
// from APP_BASE_URL by config.
type Registration struct {
	RedirectURL           string
	PostLogoutRedirectURL string
	BackchannelLogoutURL  string
	// InsecureBaseURL is true for plain http on a host other than
	// localhost, which CONNECT refuses.
	InsecureBaseURL bool
}

// App holds every dependency of the handlers: the Options main built, and
// what New derives from them once. It is shared by all requests.
type App struct {
	Options
	// web is CONNECT's web flow (connectweb), with this site's pages,
	// words and metrics plugged into its hooks.
	web       *connectweb.Web
	templates templateCache
	// standInBanners are written once per language (render.go).
	standInBanners map[string]*standInBanner
	// formTargets is the Content-Security-Policy form-action list: our own
	// origin, and CONNECT's, which a logout form redirects to.
	formTargets string
	// addressLimits and refreshLimits are the rate limits' buckets.
	addressLimits *rateLimiter
	refreshLimits *rateLimiter
}

// New checks the options and parses every template, so that a broken
// template stops start-up instead of failing a visitor.
func New(o Options) (*App, error) {
	templates, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	return newApp(o, templates)
}

// newApp is New with the templates parsed already, so the tests, which
// build about ninety Apps, parse them once.
func newApp(o Options, templates templateCache) (*App, error) {
	if o.Connect == nil || o.Sessions == nil || o.Logins == nil || o.Messages == nil || o.ValidatedTokens == nil || o.Ping == nil || o.Logger == nil {
		return nil, fmt.Errorf("handlers: Connect, Sessions, Logins, Messages, ValidatedTokens, Ping and Logger are required")
	}
	issuer, err := url.Parse(o.Issuer)
	if err != nil || issuer.Host == "" {
		return nil, fmt.Errorf("handlers: Issuer %q is not an absolute URL", o.Issuer)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics()
	}
	if o.RateLimitPerAddress == 0 {
		o.RateLimitPerAddress = defaultRateLimitPerAddress
	}
	if o.RateLimitRefresh == 0 {
		o.RateLimitRefresh = defaultRateLimitRefresh
	}
	app := &App{
		Options:        o,
		templates:      templates,
		standInBanners: standInBanners(o.StandInURL),
		formTargets:    "'self' " + issuer.Scheme + "://" + issuer.Host,
		addressLimits:  newRateLimiter(o.RateLimitPerAddress, o.Now),
		refreshLimits:  newRateLimiter(o.RateLimitRefresh, o.Now),
	}
	app.web, err = connectweb.New(connectweb.Options{
		Connect:  o.Connect,
		Sessions: o.Sessions,
		Logins:   o.Logins,
		// Its lines carry the request id, as the site's own do.
		Logger:        slog.New(requestIDs{o.Logger.Handler()}),
		ACRValues:     o.ACRValues,
		SSO:           o.SSO,
		RefreshMargin: o.RefreshMargin,
		StepUp:        connectweb.StepUpRule{ACR: stepUpACR, MaxAge: o.StepUpMaxAge},
		LoggedInHome:  "/protected",
		Now:           o.Now,
		Failed:        app.showFailure,
		LoggedOut:     app.showLoggedOut,
		Notify:        app.notify,
		Count:         o.Metrics.count,
		UILocales:     app.uiLocales,
	})
	if err != nil {
		return nil, err
	}
	if o.Sessions.ErrorFunc == nil {
		// The session middleware's failures get the site's error page.
		o.Sessions.ErrorFunc = app.serveError
	}
	return app, nil
}
