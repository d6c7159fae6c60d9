// Package config reads the sample's settings from the environment and an
// optional .env file, checks them, and hands them out typed.
//
// It is the only place that looks at the environment. Every check runs at
// start-up, so a bad value stops the app with one line naming the variable
// instead of failing later in the middle of a login. The variables, their
// defaults and their meaning are listed by Variables and in
// config.example.env.
package config

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/telenordigital/connect-web-sample/connectweb"
	"github.com/telenordigital/connect-web-sample/localconnect"
	"github.com/telenordigital/connect-web-sample/store"
)

// minSecretLen is the least SESSION_SECRET length accepted: 32 bytes is
// 256 bits, the size of the keys derived from it.
const minSecretLen = 32

// Config holds every setting of the app, checked and typed.
type Config struct {
	// Issuer is CONNECT's issuer URL, compared exactly with the ID token's
	// iss. Empty means the local stand-in is used.
	Issuer string
	// ClientID is the client_id from the client registration.
	ClientID string
	// ClientSecret is the client_secret; empty for a public client.
	ClientSecret string
	// Scopes are the scopes requested at login; they include "openid".
	Scopes []string
	// SSO says the client is registered with single sign-on, so logout
	// can also end the CONNECT session.
	SSO bool
	// ACRValues is the level of assurance asked for at login: "", "1" or "2".
	ACRValues string
	// UILocales are the preferred languages of CONNECT's pages, e.g. "en nb".
	UILocales string

	// BaseURL is the app's public URL, without a trailing slash.
	BaseURL *url.URL
	// Listen is the address the app listens on.
	Listen string

	// RedisURL locates Redis; empty means an embedded Redis runs in the
	// process.
	RedisURL string
	// RedisMode says which of go-redis's URL forms RedisURL is in:
	// "standalone", "cluster" or "sentinel".
	RedisMode string
	// SessionSecret keys cookie encryption, tokens at rest and the hashing
	// of session ids in Redis. When SESSION_SECRET is unset it holds random
	// bytes made by Load.
	SessionSecret []byte
	// RandomSessionSecret says SessionSecret was made up at start-up, so
	// sessions do not survive a restart or work across instances.
	RandomSessionSecret bool
	// PreviousSessionSecret is the secret before the last rotation, still
	// accepted for reading; nil when not rotating.
	PreviousSessionSecret []byte
	// SessionIdleTimeout ends a session after this long without a request.
	SessionIdleTimeout time.Duration
	// SessionLifetime ends a session this long after login.
	SessionLifetime time.Duration

	// LocalConnectURL is where the local stand-in listens; it has a port
	// and no path.
	LocalConnectURL *url.URL
	// RefreshMargin is how long before the access token expires it is
	// refreshed.
	RefreshMargin time.Duration
	// StepUpMaxAge is how recent an LoA2 authentication /stepup accepts.
	StepUpMaxAge time.Duration
	// EndedSessionMemory is how long a device whose session was ended from
	// /sessions must authenticate afresh before SSO lets it back in.
	EndedSessionMemory time.Duration
	// LocalConnectAccessTokenTTL is the lifetime of the stand-in's access
	// tokens.
	LocalConnectAccessTokenTTL time.Duration

	// MetricsListen is where Prometheus metrics are served; "" for none.
	MetricsListen string
	// TrustedProxies are the proxies whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// RateLimitPerAddress is how many login starts, callbacks and access
	// token validations that reach CONNECT one client address may make
	// per minute; RateLimitRefresh how many POST /refresh one session may.
	RateLimitPerAddress int
	RateLimitRefresh    int
	// SetupPage is "auto", "on" or "off"; see ServeSetupPage.
	SetupPage string
	// RepositoryURL is the web view of the repository's files, without a
	// trailing slash; "" for none.
	RepositoryURL string
	// APIAudience is the audience /api/me requires of JWT access tokens,
	// and of introspection answers that name one.
	APIAudience string
	// APIAllowedClients are the clients whose tokens /api/me accepts when
	// an introspection answer names no audience.
	APIAllowedClients []string
	// APIAllowUserInfo lets /api/me validate by userinfo, which cannot
	// tell whose token it was, when no other way applies.
	APIAllowUserInfo bool

	// LocalConnectListen is the stand-in's listen address.
	LocalConnectListen string
	// LocalConnectAccessTokens is "opaque" or "jwt".
	LocalConnectAccessTokens string
	// LocalConnectIntrospection says whether the stand-in offers token
	// introspection.
	LocalConnectIntrospection bool
	// LocalConnectClients are the clients the stand-in registers beside
	// the app's own; nil for none.
	LocalConnectClients []LocalConnectClient
	// LocalConnectFaults name the registration mistakes the stand-in
	// makes (localconnect.FaultNames), so `check` has something to find in
	// a demo; nil for none.
	LocalConnectFaults []string

	// LogLevel is the least level logged.
	LogLevel slog.Level
	// LogFormat is "text" or "json".
	LogFormat string

	// standInListenFollowsURL says LOCAL_CONNECT_LISTEN is unset, so the
	// stand-in's port is LOCAL_CONNECT_URL's; see StandInPortSetting.
	standInListenFollowsURL bool
}

// Load reads the settings from lookupEnv (os.LookupEnv outside tests) and
// from the .env file envFile ("" for none; a missing file is fine). The
// environment wins over the file, and an empty value means the default.
//
// The error, if any, has one line per bad setting, each naming its
// variable.
func Load(lookupEnv func(string) (string, bool), envFile string) (*Config, error) {
	c, problems, err := LoadPartial(lookupEnv, envFile)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		errs := make([]error, len(problems))
		for i, p := range problems {
			errs[i] = p
		}
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// Problem is one bad setting: the variable, and what is wrong with it and
// what a good value looks like.
type Problem struct {
	Variable string
	Message  string
}

func (p Problem) Error() string { return "config: " + p.Variable + ": " + p.Message }

// LoadPartial is Load for the registration check (`check`), which reports
// every bad setting and goes on with the rest: it returns the settings it
// could read, with the zero value (a nil URL, a nil secret) for each bad
// one, and the problems, in the documented order. The error is for a .env
// file that cannot be read. Nothing but the check may run on a Config
// that came with problems.
func LoadPartial(lookupEnv func(string) (string, bool), envFile string) (*Config, []Problem, error) {
	fromFile, err := readEnvFile(envFile)
	if err != nil {
		return nil, nil, err
	}
	r := &reader{lookupEnv: lookupEnv, fromFile: fromFile, defaults: make(map[string]string)}
	for _, v := range Variables() {
		r.defaults[v.Name] = v.Default
	}

	// In the order of Variables, so errors come in the documented order.
	c := &Config{}
	c.Issuer = r.issuer("CONNECT_ISSUER")
	c.ClientID = r.clientID("CONNECT_CLIENT_ID", c.Issuer)
	c.ClientSecret = r.value("CONNECT_CLIENT_SECRET")
	c.Scopes = r.scopes("CONNECT_SCOPES")
	c.SSO = r.bool("CONNECT_SSO")
	c.ACRValues = r.acr("CONNECT_ACR_VALUES")
	c.UILocales = r.locales("CONNECT_UI_LOCALES")
	c.BaseURL = r.baseURL("APP_BASE_URL")
	c.Listen = r.appListen("APP_LISTEN")
	if r.raw("APP_BASE_URL") == "" && c.Listen != "" {
		c.BaseURL = r.followListen("APP_BASE_URL", c.Listen, c.Issuer)
	}
	c.RedisURL = r.value("REDIS_URL")
	c.SessionSecret, c.RandomSessionSecret = r.sessionSecret("SESSION_SECRET")
	c.PreviousSessionSecret = r.previousSessionSecret("SESSION_SECRET_PREVIOUS", c)
	c.RedisMode = r.oneOf("REDIS_MODE", "standalone", "cluster", "sentinel")
	r.redisURL("REDIS_URL", c.RedisURL, c.RedisMode)
	c.MetricsListen = r.optionalListen("METRICS_LISTEN")
	c.TrustedProxies = r.prefixes("TRUSTED_PROXIES")
	c.RateLimitPerAddress = r.positiveInt("RATE_LIMIT_PER_ADDRESS")
	c.RateLimitRefresh = r.positiveInt("RATE_LIMIT_REFRESH")
	c.SetupPage = r.oneOf("SETUP_PAGE", "auto", "on", "off")
	c.RepositoryURL = r.repositoryURL("REPOSITORY_URL")
	c.APIAudience = r.value("API_AUDIENCE")
	if c.APIAudience == "" {
		c.APIAudience = c.ClientID
	}
	c.APIAllowedClients = strings.Fields(r.value("API_ALLOWED_CLIENTS"))
	if len(c.APIAllowedClients) == 0 {
		c.APIAllowedClients = []string{c.ClientID}
	}
	c.APIAllowUserInfo = r.bool("API_ALLOW_USERINFO")
	c.LocalConnectAccessTokens = r.oneOf("LOCAL_CONNECT_ACCESS_TOKENS", "opaque", "jwt")
	c.LocalConnectIntrospection = r.bool("LOCAL_CONNECT_INTROSPECTION")
	c.SessionIdleTimeout = r.duration("SESSION_IDLE_TIMEOUT")
	c.SessionLifetime = r.duration("SESSION_LIFETIME")
	c.LocalConnectURL = r.localConnectURL("LOCAL_CONNECT_URL")
	c.LocalConnectListen = r.optionalListen("LOCAL_CONNECT_LISTEN")
	c.LocalConnectClients = r.localConnectClients("LOCAL_CONNECT_CLIENTS", c.ClientID, c.UsesStandIn())
	c.RefreshMargin = r.duration("CONNECT_REFRESH_MARGIN")
	c.StepUpMaxAge = r.duration("STEPUP_MAX_AGE")
	c.EndedSessionMemory = r.duration("ENDED_SESSION_MEMORY")
	c.LocalConnectAccessTokenTTL = r.duration("LOCAL_CONNECT_ACCESS_TOKEN_TTL")
	c.LocalConnectFaults = r.localConnectFaults("LOCAL_CONNECT_FAULTS")
	c.LogLevel = r.logLevel("LOG_LEVEL")
	c.LogFormat = r.oneOf("LOG_FORMAT", "text", "json")

	if c.SessionIdleTimeout > 0 && c.SessionLifetime > 0 && c.SessionIdleTimeout > c.SessionLifetime {
		r.errorf("SESSION_IDLE_TIMEOUT", "must not exceed SESSION_LIFETIME (%s), got %s", c.SessionLifetime, c.SessionIdleTimeout)
	}
	// With the stand-in both servers run in this process.
	if c.UsesStandIn() && c.Listen != "" && c.LocalConnectURL != nil {
		_, appPort, _ := net.SplitHostPort(c.Listen)
		if port := c.LocalConnectURL.Port(); port == appPort && port != "0" {
			r.errorf("LOCAL_CONNECT_URL", "port %s is also APP_LISTEN's; the stand-in needs a port of its own", port)
		}
	}
	if c.MetricsListen != "" && c.Listen != "" {
		_, appPort, _ := net.SplitHostPort(c.Listen)
		if _, port, _ := net.SplitHostPort(c.MetricsListen); port == appPort && port != "0" {
			r.errorf("METRICS_LISTEN", "port %s is also APP_LISTEN's; metrics must never be served on the public listener", port)
		}
	}
	// The stand-in lets anyone who reaches it log in as any test user and
	// end anyone's CONNECT session, so it stays on this machine unless the
	// operator says otherwise, in so many words.
	if c.UsesStandIn() && c.BaseURL != nil && !isLoopback(c.BaseURL.Hostname()) && c.LocalConnectListen == "" {
		r.errorf("LOCAL_CONNECT_LISTEN", "must be set when APP_BASE_URL (%s) is not on this machine and the stand-in runs: it lets anyone log in as its test users, so say where it may listen (e.g. :8082), or set CONNECT_ISSUER", c.BaseURL)
	}
	if c.LocalConnectListen == "" && c.LocalConnectURL != nil {
		c.LocalConnectListen = net.JoinHostPort("127.0.0.1", c.LocalConnectURL.Port())
		c.standInListenFollowsURL = true
	}

	return c, r.problems, nil
}

// UsesStandIn reports whether no issuer is configured, so the app starts
// and uses the local CONNECT stand-in.
func (c *Config) UsesStandIn() bool { return c.Issuer == "" }

// IssuerURL is the issuer the app talks to: CONNECT_ISSUER, or the
// stand-in's issuer.
func (c *Config) IssuerURL() string {
	if c.UsesStandIn() {
		return c.LocalConnectURL.String() + "/oauth"
	}
	return c.Issuer
}

// RedirectURL is the redirect URI to register at CONNECT.
func (c *Config) RedirectURL() string { return c.BaseURL.String() + connectweb.DefaultPaths.Callback }

// PostLogoutRedirectURL is the post-logout redirect URI SSO clients
// register at CONNECT.
func (c *Config) PostLogoutRedirectURL() string {
	return c.BaseURL.String() + connectweb.DefaultPaths.LogoutCallback
}

// BackchannelLogoutURL is the back-channel logout URI to register at
// CONNECT.
func (c *Config) BackchannelLogoutURL() string {
	return c.BaseURL.String() + connectweb.DefaultPaths.BackchannelLogout
}

// SecureCookies reports whether cookies get the Secure flag: browsers
// drop Secure cookies sent over plain http, so only on an https base URL.
func (c *Config) SecureCookies() bool { return c.BaseURL.Scheme == "https" }

// Confidential reports whether the client has a secret, and so
// authenticates with HTTP Basic at the token and revocation endpoints.
func (c *Config) Confidential() bool { return c.ClientSecret != "" }

// Warning is a setting that is fine for a local run but not for
// production. It is a message key with its values, so that /setup says it
// in the visitor's language and the start-up log in English, both from
// the app's message files (handlers/locales/*.toml).
type Warning struct {
	Key  string
	Args []any
}

// Warnings lists settings that are fine for a local run but not for
// production: logged at start-up, and shown on /setup.
func (c *Config) Warnings() []Warning {
	var w []Warning
	if c.UsesStandIn() {
		w = append(w, Warning{"warning.standin", []any{c.IssuerURL()}})
	}
	if c.RedisURL == "" {
		w = append(w, Warning{Key: "warning.embedded_redis"})
	}
	if c.RandomSessionSecret {
		w = append(w, Warning{Key: "warning.random_secret"})
	}
	if c.UsesStandIn() && c.RefreshMargin >= c.LocalConnectAccessTokenTTL {
		w = append(w, Warning{"warning.refresh_margin", []any{c.RefreshMargin.String(), c.LocalConnectAccessTokenTTL.String()}})
	}
	if c.APIAllowUserInfo {
		w = append(w, Warning{Key: "warning.userinfo_fallback"})
	}
	if base, listen, ok := c.portMismatch(); ok {
		w = append(w, Warning{"warning.port_mismatch", []any{c.BaseURL.String(), base, c.Listen, listen}})
	}
	if c.InsecureBaseURL() {
		w = append(w, Warning{"warning.insecure_base_url", []any{c.BaseURL.String()}})
	}
	return w
}

// portMismatch reports the two ports when APP_BASE_URL is on this
// machine and names another port than the one the app listens on: after
// a port change in one setting but not the other, the redirect URI leads
// nowhere. Port 0 (a port the kernel picks, in tests) is left alone.
func (c *Config) portMismatch() (basePort, listenPort string, ok bool) {
	host, listenPort, err := net.SplitHostPort(c.Listen)
	if err != nil || listenPort == "0" || !isLoopback(c.BaseURL.Hostname()) {
		return "", "", false
	}
	if host != "" && !isLoopback(host) && !isUnspecified(host) {
		return "", "", false
	}
	basePort = c.BaseURL.Port()
	if basePort == "" {
		basePort = map[string]string{"http": "80", "https": "443"}[c.BaseURL.Scheme]
	}
	return basePort, listenPort, basePort != listenPort
}

// StandInPortSetting names the setting that chooses the stand-in's port,
// for a message about it: LOCAL_CONNECT_LISTEN when set, else
// LOCAL_CONNECT_URL, whose port the stand-in listens on.
func (c *Config) StandInPortSetting() string {
	if c.standInListenFollowsURL {
		return "LOCAL_CONNECT_URL"
	}
	return "LOCAL_CONNECT_LISTEN"
}

// ServeSetupPage reports whether /setup is served. The page shows the
// client's registration and the start-up warnings: useful on a laptop,
// nobody else's business on a deployment. "auto" serves it with the
// stand-in or on a loopback base URL.
func (c *Config) ServeSetupPage() bool {
	switch c.SetupPage {
	case "on":
		return true
	case "off":
		return false
	}
	return c.UsesStandIn() || isLoopback(c.BaseURL.Hostname())
}

// InsecureBaseURL reports whether APP_BASE_URL is plain http on a host
// other than this machine: CONNECT refuses such redirect URIs.
func (c *Config) InsecureBaseURL() bool {
	return c.BaseURL.Scheme == "http" && !isLoopback(c.BaseURL.Hostname())
}

// LogValue lets the settings be logged without their secrets.
func (c *Config) LogValue() slog.Value {
	redis := "embedded"
	if u, err := url.Parse(c.RedisURL); err == nil && c.RedisURL != "" {
		// Scheme, host and database only: passwords may be in the user
		// part or, for Sentinel's master, in the query (password=).
		redis = c.RedisMode + " " + u.Scheme + "://" + u.Host + u.Path
	}
	attrs := []slog.Attr{
		slog.String("issuer", c.IssuerURL()),
		slog.Bool("stand_in", c.UsesStandIn()),
		slog.String("client_id", c.ClientID),
		slog.Bool("confidential", c.Confidential()),
		slog.String("scopes", strings.Join(c.Scopes, " ")),
		slog.Bool("sso", c.SSO),
		slog.String("base_url", c.BaseURL.String()),
		slog.String("listen", c.Listen),
		slog.String("sessions", redis),
		slog.Bool("random_session_secret", c.RandomSessionSecret),
		slog.Bool("rotating_session_secret", c.PreviousSessionSecret != nil),
	}
	if c.UsesStandIn() {
		// Ids only: whoever points another app at the stand-in sees that
		// its client is registered.
		var ids []string
		for _, client := range c.LocalConnectClients {
			ids = append(ids, client.ID)
		}
		attrs = append(attrs, slog.String("stand_in_clients", strings.Join(ids, " ")))
	}
	return slog.GroupValue(attrs...)
}

// isLoopback reports whether host (without brackets or port) names this
// machine, where CONNECT allows http redirect URIs.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isUnspecified reports whether host (without brackets) is a wildcard
// address such as 0.0.0.0 or ::, which listens on every interface.
func isUnspecified(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

// reader looks up variables and collects one error per bad one, so a
// single start-up reports every mistake at once.
type reader struct {
	lookupEnv func(string) (string, bool)
	fromFile  map[string]string
	defaults  map[string]string
	problems  []Problem
}

func (r *reader) errorf(name, format string, args ...any) {
	r.problems = append(r.problems, Problem{Variable: name, Message: fmt.Sprintf(format, args...)})
}

// raw returns the variable's value from the environment or else the file,
// without the default.
func (r *reader) raw(name string) string {
	v, _ := r.lookup(name)
	return v
}

// lookup returns the variable's value from the environment or else the
// file, and whether it is set in either, even to "".
func (r *reader) lookup(name string) (string, bool) {
	if v, ok := r.lookupEnv(name); ok {
		return strings.TrimSpace(v), true
	}
	v, ok := r.fromFile[name]
	return strings.TrimSpace(v), ok
}

// value returns the variable's value, or its default when empty.
func (r *reader) value(name string) string {
	if v := r.raw(name); v != "" {
		return v
	}
	return r.defaults[name]
}

func (r *reader) issuer(name string) string {
	s := r.value(name)
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		r.errorf(name, "must be an https URL such as https://connect.staging.telenordigital.com/oauth, got %q", s)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		// The code, the tokens and the client secret travel to the issuer.
		r.errorf(name, "must be https (plain http only on localhost), got %q", s)
	case u.User != nil:
		r.errorf(name, "must not contain a user name or password")
	case u.RawQuery != "" || u.ForceQuery || strings.Contains(s, "#"):
		r.errorf(name, "must not have a query or fragment, got %q", s)
	}
	return s
}

func (r *reader) clientID(name, issuer string) string {
	s := r.raw(name)
	switch {
	case s != "":
		return s
	case issuer == "":
		return r.defaults[name]
	default:
		r.errorf(name, "required when CONNECT_ISSUER is set: use the client_id from your CONNECT client registration")
		return ""
	}
}

func (r *reader) scopes(name string) []string {
	s := r.value(name)
	scopes := strings.Fields(s)
	if !slices.Contains(scopes, "openid") {
		r.errorf(name, "must contain \"openid\", got %q", s)
		return nil // LoadPartial's zero value for a refused setting
	}
	return scopes
}

func (r *reader) bool(name string) bool {
	s := r.value(name)
	b, err := strconv.ParseBool(s)
	if err != nil {
		r.errorf(name, "must be true or false, got %q", s)
	}
	return b
}

func (r *reader) acr(name string) string {
	s := r.value(name)
	if s != "" && s != "1" && s != "2" {
		r.errorf(name, "must be empty, 1 (mobile phone) or 2 (password), got %q", s)
		return "" // LoadPartial's zero value for a refused setting
	}
	return s
}

func (r *reader) locales(name string) string {
	s := r.value(name)
	for _, c := range s {
		if !(c == '-' || c == ' ' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			r.errorf(name, "must be language tags separated by spaces, such as \"en nb\", got %q", s)
			break
		}
	}
	return strings.Join(strings.Fields(s), " ")
}

// baseURL checks APP_BASE_URL. The redirect URIs are built by appending
// paths to it, so it must be a bare origin. Unset, it is nil: Load then
// derives it from the listen address (followListen).
func (r *reader) baseURL(name string) *url.URL {
	s := r.value(name)
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		r.errorf(name, "must be a URL such as https://app.example.com, got %q", s)
	case u.Scheme != "https" && u.Scheme != "http":
		r.errorf(name, "must start with https:// or http://, got %q", s)
	case u.Host == "":
		r.errorf(name, "must be a URL such as https://app.example.com, got %q", s)
	case u.User != nil:
		r.errorf(name, "must not contain a user name or password")
	case u.RawQuery != "" || u.ForceQuery || strings.Contains(s, "#"):
		r.errorf(name, "must not have a query or fragment, got %q", s)
	case u.Path != "" && u.Path != "/":
		r.errorf(name, "must not have a path (the app serves from /), got %q", s)
	default:
		u.Path, u.RawPath = "", ""
		return u
	}
	return nil
}

// appListen reads APP_LISTEN. Unset, the app listens on every interface
// on PORT when that is set, as hosting platforms that set PORT expect
// (Heroku, Cloud Run, Render and the like route only to it), else on the
// default :8081.
func (r *reader) appListen(name string) string {
	port := r.raw("PORT")
	if r.raw(name) != "" || port == "" {
		return r.listen(name)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		r.errorf("PORT", "must be a port number from 1 to 65535 (with APP_LISTEN unset the app listens on :PORT), got %q", port)
		return ""
	}
	return ":" + port
}

// followListen is APP_BASE_URL when it is unset: the address at which a
// browser reaches the listen address, so that changing the port alone
// moves the redirect URIs with it. A loopback or wildcard address is
// reached at http://localhost:PORT (CONNECT accepts plain http redirect
// URIs only on localhost).
//
// With CONNECT_ISSUER set and a listen address other than loopback, the
// browser reaches the app by a name only the operator knows (a proxy, a
// platform's domain); guessing would send CONNECT a redirect URI that
// fails only at the first login, so the setting is required instead.
func (r *reader) followListen(name, listen, issuer string) *url.URL {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return nil // reported by appListen
	}
	if issuer != "" && !isLoopback(host) {
		r.errorf(name, "required when CONNECT_ISSUER is set and APP_LISTEN (%s) is not a loopback address: set the public URL registered at CONNECT, such as https://app.example.com (or listen on 127.0.0.1:%s to use http://localhost:%s)", listen, port, port)
		return nil
	}
	if host == "" || isLoopback(host) || isUnspecified(host) {
		host = "localhost"
	}
	return &url.URL{Scheme: "http", Host: net.JoinHostPort(host, port)}
}

func (r *reader) listen(name string) string {
	s := r.value(name)
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		r.errorf(name, "must be host:port such as :8081 or 127.0.0.1:8081, got %q", s)
		return ""
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		r.errorf(name, "port must be a number from 0 to 65535, got %q", s)
		return ""
	}
	return s
}

// redisURL checks REDIS_URL with store.CheckRedisURL, the check
// store.OpenRedis makes, so what passes here opens there. Whether Redis
// answers is for /readyz. Neither ever echoes the value: it may hold a
// password.
func (r *reader) redisURL(name, s, mode string) {
	if s == "" {
		return
	}
	if err := store.CheckRedisURL(s, mode); err != nil {
		r.errorf(name, "%v", err)
	}
}

// sessionSecret returns SESSION_SECRET's bytes, or 32 random bytes and
// true when it is unset.
func (r *reader) sessionSecret(name string) ([]byte, bool) {
	s := r.value(name)
	if s == "" {
		secret := make([]byte, minSecretLen)
		rand.Read(secret) // never fails: see crypto/rand.Read
		return secret, true
	}
	if len(s) < minSecretLen {
		r.errorf(name, "must be at least %d bytes, got %d (generate one with: openssl rand -base64 48)", minSecretLen, len(s))
		return nil, false
	}
	if weakness := secretWeakness(s); weakness != "" {
		r.errorf(name, "%s (generate one with: openssl rand -base64 48)", weakness)
		return nil, false
	}
	return []byte(s), false
}

// previousSessionSecret returns SESSION_SECRET_PREVIOUS's bytes, or nil.
// It only makes sense next to a SESSION_SECRET of the operator's own.
func (r *reader) previousSessionSecret(name string, c *Config) []byte {
	s := r.value(name)
	weakness := secretWeakness(s)
	switch {
	case s == "":
		return nil
	case len(s) < minSecretLen:
		r.errorf(name, "must be at least %d bytes, got %d: it must be the SESSION_SECRET used before the rotation", minSecretLen, len(s))
	case weakness != "":
		// Keeping it would keep its sessions as weak as it is.
		r.errorf(name, "%s: leave it empty (sessions made under it end) and keep SESSION_SECRET one made with: openssl rand -base64 48", weakness)
	case c.RandomSessionSecret:
		r.errorf(name, "needs SESSION_SECRET set to the new secret; a rotation replaces one secret of yours with another")
	case s == string(c.SessionSecret):
		r.errorf(name, "is the same as SESSION_SECRET; after a rotation it holds the old secret")
	default:
		return []byte(s)
	}
	return nil
}

// optionalListen checks a host:port that may be empty.
func (r *reader) optionalListen(name string) string {
	if r.value(name) == "" {
		return ""
	}
	return r.listen(name)
}

// prefixes reads CIDRs separated by commas or spaces; a bare address is
// a prefix of one address.
func (r *reader) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(r.value(name), func(c rune) bool { return c == ',' || c == ' ' }) {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			addr, err2 := netip.ParseAddr(f)
			if err2 != nil {
				r.errorf(name, "must be CIDRs such as 10.0.0.0/8 or 192.0.2.7, separated by commas, got %q", f)
				continue
			}
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out
}

func (r *reader) positiveInt(name string) int {
	s := r.value(name)
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		r.errorf(name, "must be a whole number of at least 1, got %q", s)
	}
	return n
}

// repositoryURL checks REPOSITORY_URL: an http(s) URL that file paths are
// appended to.
func (r *reader) repositoryURL(name string) string {
	s := r.value(name)
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		r.errorf(name, "must be an https URL of the repository's files, such as https://github.com/you/app/blob/main, got %q", s)
		return ""
	}
	return strings.TrimSuffix(s, "/")
}

func (r *reader) duration(name string) time.Duration {
	s := r.value(name)
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		r.errorf(name, "must be a duration such as 90s, 30m or 12h, got %q", s)
	case d <= 0:
		r.errorf(name, "must be more than zero, got %q", s)
	}
	return d
}

// localConnectURL checks LOCAL_CONNECT_URL. The stand-in listens on its
// port, so the port must be explicit.
func (r *reader) localConnectURL(name string) *url.URL {
	s := r.value(name)
	u, err := url.Parse(s)
	switch {
	case err != nil:
		r.errorf(name, "must be a URL such as http://localhost:8082, got %q", s)
	case u.Scheme != "http" && u.Scheme != "https":
		r.errorf(name, "must start with http:// or https://, got %q", s)
	case u.Host == "":
		r.errorf(name, "must be a URL such as http://localhost:8082, got %q", s)
	case u.Port() == "":
		r.errorf(name, "must name a port, such as http://localhost:8082, got %q", s)
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || strings.Contains(s, "#") || (u.Path != "" && u.Path != "/"):
		r.errorf(name, "must be scheme, host and port only, such as http://localhost:8082, got %q", s)
	default:
		u.Path, u.RawPath = "", ""
		return u
	}
	return nil
}

// localConnectFaults reads fault names separated by commas or spaces.
func (r *reader) localConnectFaults(name string) []string {
	var names []string
	for _, f := range strings.FieldsFunc(r.value(name), func(c rune) bool { return c == ',' || c == ' ' }) {
		if !slices.Contains(localconnect.FaultNames(), f) {
			r.errorf(name, "must be fault names separated by commas (%s), got %q", strings.Join(localconnect.FaultNames(), ", "), f)
			continue
		}
		names = append(names, f)
	}
	return names
}

func (r *reader) logLevel(name string) slog.Level {
	levels := map[string]slog.Level{
		"debug": slog.LevelDebug,
		"info":  slog.LevelInfo,
		"warn":  slog.LevelWarn,
		"error": slog.LevelError,
	}
	s := r.value(name)
	level, ok := levels[strings.ToLower(s)]
	if !ok {
		r.errorf(name, "must be debug, info, warn or error, got %q", s)
	}
	return level
}

func (r *reader) oneOf(name string, allowed ...string) string {
	s := r.value(name)
	if !slices.Contains(allowed, strings.ToLower(s)) {
		r.errorf(name, "must be %s, got %q", strings.Join(allowed, " or "), s)
	}
	return strings.ToLower(s)
}
