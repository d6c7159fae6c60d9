// Package localconnect is a development stand-in for Telenor CONNECT ID: a small
// OAuth 2.0 / OpenID Connect authorization server that speaks CONNECT's paths and
// claims (acr, amr, auth_time, td_sls, td_au, sid), so the sample app can be run
// and tested before a partner has credentials, and without a network.
//
// It keeps everything in memory, makes a new signing key at every start
// (unless given one), lists test users with their passwords on its login page
// and says so on every page, in English and Norwegian Bokmål. It is not, and
// must never be used as, a production authorization server.
//
// One file per endpoint: discovery.go, keys.go (JWK set and key rotation),
// authorize.go and loginpage.go, token.go, accesstoken.go (opaque or RFC 9068
// JWT access tokens), userinfo.go, revoke.go, introspect.go (RFC 7662),
// logout.go, backchannel.go and sessionspage.go. store.go holds codes, tokens
// and SSO sessions; pages.go the root page, 404s and rendering; i18n.go every
// text the pages show.
package localconnect

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Client is a client registration at the stand-in.
type Client struct {
	ID string
	// Secret is empty for a public client: it sends client_id in the form body,
	// must use PKCE and must not use HTTP Basic authentication.
	Secret                 string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	// BackchannelLogoutURI receives logout tokens when a CONNECT session in
	// which this client got tokens ends. Empty: no back-channel logout.
	BackchannelLogoutURI string
}

// User is a test user.
type User struct {
	Sub, Name, Locale, Email, PhoneNumber, Password string
	EmailVerified, PhoneNumberVerified              bool
}

// Options configure a Server. Only Issuer and Clients are required.
type Options struct {
	// Issuer is the full issuer URL, e.g. "http://localhost:8082/oauth".
	// Every endpoint lives under its path, as CONNECT's do under /oauth.
	Issuer          string
	Clients         []Client
	Users           []User        // nil: DefaultUsers()
	AccessTokenTTL  time.Duration // 0: 2 minutes, short so refresh shows in a demo
	RefreshTokenTTL time.Duration // 0: 24 hours
	IDTokenTTL      time.Duration // 0: 1 hour
	Now             func() time.Time
	// HTTPClient sends back-channel logout POSTs. nil: a client with a 5s timeout.
	HTTPClient *http.Client
	Logger     *slog.Logger // nil: discard
	// SigningKey signs every token the stand-in issues. nil: a new RSA-2048
	// key, made in New. Making one takes longer than most tests, so tests
	// make one per test binary and pass it to every stand-in they start.
	SigningKey *rsa.PrivateKey
	// AccessTokens is the access-token format; "" is OpaqueAccessTokens.
	AccessTokens AccessTokenFormat
	// Introspection offers token introspection (RFC 7662) at
	// {issuer}/introspect and lists it in discovery. main turns it on
	// unless LOCAL_CONNECT_INTROSPECTION=false.
	Introspection bool
}

// Server is the stand-in authorization server. It is an http.Handler serving
// every endpoint under the issuer's path, and is safe for concurrent use.
type Server struct {
	issuer   string
	basePath string // the issuer's path, e.g. "/oauth"
	secure   bool   // issuer is https: cookies get Secure
	clients  map[string]Client
	apps     []appLink // where the clients live, for the root page and 404s
	users    []User

	accessTokenTTL    time.Duration
	idTokenTTL        time.Duration
	accessTokenFormat AccessTokenFormat
	introspection     bool
	now               func() time.Time
	httpClient        *http.Client
	log               *slog.Logger

	keys    *keyRing
	pages   *pages
	store   *store
	handler http.Handler

	// clockSkew is Faults.ClockSkew, read by every call of now without
	// taking mu, which some callers hold.
	clockSkew atomic.Int64

	mu         sync.Mutex // guards the fields below
	faults     Faults
	requests   map[string][]Request
	counts     map[string]int
	deliveries []delivery
}

// DefaultUsers returns the test users the stand-in offers when Options.Users is
// nil. Their passwords are shown on the login page: they protect nothing.
func DefaultUsers() []User {
	return []User{
		{Sub: "100000000001", Name: "Kari Nordmann", Locale: "nb", Email: "kari.nordmann@example.no",
			PhoneNumber: "+4791234567", Password: "kari1234", EmailVerified: true, PhoneNumberVerified: true},
		{Sub: "100000000002", Name: "Ola Nordmann", Locale: "nb", Email: "ola.nordmann@example.no",
			PhoneNumber: "+4798765432", Password: "ola1234", EmailVerified: true, PhoneNumberVerified: true},
		// Ingrid's e-mail is unverified and Lars's phone number is, so a client
		// can see how it handles the *_verified claims being false.
		{Sub: "100000000003", Name: "Ingrid Hansen", Locale: "en", Email: "ingrid.hansen@example.no",
			PhoneNumber: "+4741234567", Password: "ingrid1234", EmailVerified: false, PhoneNumberVerified: true},
		{Sub: "100000000004", Name: "Lars Johansen", Locale: "nb", Email: "lars.johansen@example.no",
			PhoneNumber: "+4747654321", Password: "lars1234", EmailVerified: true, PhoneNumberVerified: false},
	}
}

// New checks opts and returns a ready Server.
func New(opts Options) (*Server, error) {
	issuer, err := url.Parse(opts.Issuer)
	if err != nil || (issuer.Scheme != "http" && issuer.Scheme != "https") || issuer.Host == "" ||
		issuer.RawQuery != "" || issuer.Fragment != "" {
		return nil, fmt.Errorf("localconnect: issuer %q must be an absolute http(s) URL without query or fragment", opts.Issuer)
	}
	if _, err := norwegianTime(); err != nil {
		return nil, fmt.Errorf("localconnect: Norway's time zone, for Norwegian pages: %w", err)
	}
	s := &Server{
		issuer:            strings.TrimSuffix(opts.Issuer, "/"),
		basePath:          strings.TrimSuffix(issuer.Path, "/"),
		secure:            issuer.Scheme == "https",
		clients:           make(map[string]Client),
		users:             opts.Users,
		accessTokenTTL:    or(opts.AccessTokenTTL, 2*time.Minute),
		idTokenTTL:        or(opts.IDTokenTTL, time.Hour),
		now:               opts.Now,
		httpClient:        opts.HTTPClient,
		accessTokenFormat: opts.AccessTokens,
		introspection:     opts.Introspection,
		log:               opts.Logger,
		requests:          make(map[string][]Request),
		counts:            make(map[string]int),
	}
	if s.users == nil {
		s.users = DefaultUsers()
	}
	if s.now == nil {
		s.now = time.Now
	}
	clock := s.now
	s.now = func() time.Time { return clock().Add(time.Duration(s.clockSkew.Load())) }
	if s.httpClient == nil {
		s.httpClient = &http.Client{Timeout: 5 * time.Second}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := s.addClients(opts.Clients); err != nil {
		return nil, err
	}
	s.apps = appLinks(opts.Clients)
	if err := checkUsers(s.users); err != nil {
		return nil, err
	}
	if err := opts.AccessTokens.check(); err != nil {
		return nil, err
	}
	key, err := newSigningKey(opts.SigningKey)
	if err != nil {
		return nil, fmt.Errorf("localconnect: %w", err)
	}
	s.keys = &keyRing{now: s.now, retireFor: max(s.idTokenTTL, s.accessTokenTTL, logoutTokenTTL), current: key}
	if s.pages, err = parsePages(); err != nil {
		return nil, fmt.Errorf("localconnect: %w", err)
	}
	s.store = newStore(s.now, s.accessTokenTTL, or(opts.RefreshTokenTTL, 24*time.Hour), s.newAccessToken)
	s.handler = s.routes()
	return s, nil
}

func or(d, fallback time.Duration) time.Duration {
	if d <= 0 {
		return fallback
	}
	return d
}

func (s *Server) addClients(clients []Client) error {
	for _, c := range clients {
		if c.ID == "" {
			return errors.New("localconnect: a client has an empty ID")
		}
		if _, dup := s.clients[c.ID]; dup {
			return fmt.Errorf("localconnect: client %q is registered twice", c.ID)
		}
		if len(c.RedirectURIs) == 0 {
			return fmt.Errorf("localconnect: client %q has no redirect URI", c.ID)
		}
		for _, uri := range slices.Concat(c.RedirectURIs, c.PostLogoutRedirectURIs, []string{c.BackchannelLogoutURI}) {
			if u, err := url.Parse(uri); uri != "" && (err != nil || !u.IsAbs()) {
				return fmt.Errorf("localconnect: client %q: %q is not an absolute URL", c.ID, uri)
			}
		}
		s.clients[c.ID] = c
	}
	return nil
}

func checkUsers(users []User) error {
	if len(users) == 0 {
		return errors.New("localconnect: no test users")
	}
	seen := make(map[string]bool)
	for _, u := range users {
		if u.Sub == "" || seen[u.Sub] {
			return fmt.Errorf("localconnect: user %q needs a unique, non-empty Sub", u.Name)
		}
		seen[u.Sub] = true
	}
	return nil
}

// routes is the map of the stand-in: every endpoint, under the issuer's path.
// The endpoint names given to recorded are those Requests and Count take.
func (s *Server) routes() http.Handler {
	p := s.basePath
	mux := http.NewServeMux()
	// Only the login form and the sessions page take POSTs from a browser; the
	// token, revocation and userinfo endpoints are called by servers.
	csrf := http.NewCrossOriginProtection()

	mux.Handle("GET "+p+"/.well-known/openid-configuration", s.recorded("discovery", s.handleDiscovery))
	mux.Handle("GET "+p+"/public_keys.jwks", s.recorded("jwks", s.handleJWKS))
	mux.Handle("GET "+p+"/authorize", s.recorded("authorize", s.handleAuthorize))
	mux.Handle("POST "+p+"/authorize", s.recorded("authorize", csrf.Handler(http.HandlerFunc(s.handleLoginForm)).ServeHTTP))
	mux.Handle("POST "+p+"/token", s.recorded("token", s.handleToken))
	mux.Handle("GET "+p+"/userinfo", s.recorded("userinfo", s.handleUserinfo))
	mux.Handle("POST "+p+"/userinfo", s.recorded("userinfo", s.handleUserinfo))
	mux.Handle("POST "+p+"/revoke", s.recorded("revoke", s.handleRevoke))
	if s.introspection {
		mux.Handle("POST "+p+"/introspect", s.recorded("introspect", s.handleIntrospect))
	}
	mux.Handle("GET "+p+"/logout", s.recorded("logout", s.handleLogout))
	mux.HandleFunc("GET "+p+"/sessions", s.handleSessionsPage)
	mux.Handle("POST "+p+"/sessions/end", csrf.Handler(http.HandlerFunc(s.handleEndSession)))
	mux.HandleFunc("GET "+p+"/lang", s.handleLanguage)
	mux.HandleFunc("GET "+p+"/static/{file}", s.handleStatic)
	mux.HandleFunc("GET /{$}", s.handleRoot)
	if p != "" {
		mux.HandleFunc("GET "+p, s.handleRoot)
		mux.HandleFunc("GET "+p+"/{$}", s.handleRoot)
	}
	mux.HandleFunc("/", s.handleNotFound)
	return mux
}

// ServeHTTP serves the stand-in's endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.clockSkew.Load() != 0 {
		// net/http writes Date from the machine's clock unless it is set.
		w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
	}
	s.handler.ServeHTTP(w, r)
}

// Issuer returns the issuer URL, as it appears in discovery and in tokens.
func (s *Server) Issuer() string {
	return s.issuer
}

func (s *Server) endpoint(name string) string {
	return s.issuer + "/" + name
}

func (s *Server) user(sub string) (User, bool) {
	for _, u := range s.users {
		if u.Sub == sub {
			return u, true
		}
	}
	return User{}, false
}
