package connect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
)

// Config is what the client needs to know about CONNECT and about itself.
type Config struct {
	// Issuer is CONNECT's issuer URL, e.g.
	// https://connect.staging.telenordigital.com/oauth. ID tokens must carry
	// exactly this value in iss.
	Issuer string
	// ClientID and ClientSecret come from client registration. An empty
	// secret makes this a public client: no HTTP Basic authentication, the
	// client_id goes in the form body, and PKCE carries the protection.
	ClientID     string
	ClientSecret string
	// RedirectURL is the registered redirect URI, sent exactly as registered.
	RedirectURL string
	// PostLogoutRedirectURL is the registered post-logout redirect URI, where
	// CONNECT sends the browser after ending its session (SSO clients).
	PostLogoutRedirectURL string
	// Scopes to request; must contain "openid".
	Scopes []string
	// HTTPClient makes every back-end call to CONNECT. It must have a
	// timeout: a hanging provider must not hang the app.
	HTTPClient *http.Client
	// EndSessionEndpoint and RevocationEndpoint name those endpoints for a
	// provider whose discovery document leaves them out. CONNECT's own
	// hosts need neither (see isConnectHost). With neither discovery nor
	// these naming one, the provider has none: LogoutURL answers
	// ErrNoEndSession, and Revoke makes no call.
	EndSessionEndpoint string
	RevocationEndpoint string
	// KeyRefetchInterval is the least time between two fetches of CONNECT's
	// JWK set caused by tokens anyone can send us (logout tokens, access
	// tokens), so forged ones cannot make us hammer CONNECT. An ID token
	// from the token endpoint may always cause one. Zero means 10 seconds.
	KeyRefetchInterval time.Duration
	// KeySetFetched, when set, is called after every fetch of the JWK set
	// with its outcome (nil on success): a hook for the app's metrics, so
	// this package needs no metrics library. It must return quickly and
	// must not call the Client.
	KeySetFetched func(err error)
	// ClockSkew is how far CONNECT's clock may be from ours when checking
	// iat, exp and auth_time. Zero means one minute.
	ClockSkew time.Duration
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time
}

// Endpoints are the provider's URLs as found by discovery. Where the
// document names no revocation or end-session endpoint, Config's are used,
// and on CONNECT's own hosts CONNECT's documented paths.
type Endpoints struct {
	Authorization string
	Token         string
	UserInfo      string
	JWKS          string
	// Revocation and EndSession are empty when the provider has none (see
	// Config.EndSessionEndpoint); Introspection is empty when discovery
	// lists none.
	Revocation    string
	EndSession    string
	Introspection string
}

// Client talks to CONNECT. It is safe for concurrent use. Discovery happens
// on first use (or with Discover at start-up) and is retried on later calls
// while it fails, so an app started while CONNECT is down recovers by itself.
type Client struct {
	cfg Config

	// backgroundCtx carries our HTTP client, and no request's values, for
	// the fetches made on behalf of every caller (discovery).
	backgroundCtx context.Context

	mu          sync.Mutex
	provider    *provider     // nil until discovery succeeds
	discovering chan struct{} // closed when the discovery in flight ends; nil when none is
	lastAttempt time.Time
	lastErr     error
}

// provider is what discovery gives us, built once.
type provider struct {
	endpoints Endpoints
	oauth2    oauth2.Config
	keys      *keySet
	verifier  *oidc.IDTokenVerifier // ID and logout tokens: audience is us
}

// discoveryRetryInterval keeps a failing CONNECT from being asked on every
// request: at most one discovery attempt per interval.
const discoveryRetryInterval = 5 * time.Second

// signingAlgorithms are the only token algorithms we accept. "none" and
// the HMAC family are refused: HS256 would be keyed with the client secret,
// which a public client does not have and a confidential one shares.
var signingAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// New checks the configuration and returns a client. It does not contact
// CONNECT; the first call that needs CONNECT does.
func New(cfg Config) (*Client, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("connect: Issuer, ClientID and RedirectURL are required")
	}
	if !containsScope(cfg.Scopes, oidc.ScopeOpenID) {
		return nil, errors.New(`connect: Scopes must contain "openid"`)
	}
	for _, endpoint := range []string{cfg.Issuer, cfg.EndSessionEndpoint, cfg.RevocationEndpoint} {
		if u, err := url.Parse(endpoint); endpoint != "" && (err != nil || u.Scheme == "" || u.Host == "") {
			return nil, fmt.Errorf("connect: %q is not an absolute URL", endpoint)
		}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.KeyRefetchInterval == 0 {
		cfg.KeyRefetchInterval = 10 * time.Second
	}
	if cfg.ClockSkew == 0 {
		cfg.ClockSkew = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{
		cfg:           cfg,
		backgroundCtx: oidc.ClientContext(context.Background(), cfg.HTTPClient),
	}, nil
}

// Discover loads CONNECT's discovery document, if it is not loaded yet.
func (c *Client) Discover(ctx context.Context) error {
	_, err := c.discovered(ctx)
	return err
}

// Endpoints returns the endpoints found by discovery.
func (c *Client) Endpoints(ctx context.Context) (Endpoints, error) {
	p, err := c.discovered(ctx)
	if err != nil {
		return Endpoints{}, err
	}
	return p.endpoints, nil
}

// ClientID returns the client id this client authenticates as.
func (c *Client) ClientID() string { return c.cfg.ClientID }

// Confidential reports whether the client authenticates with a secret.
func (c *Client) Confidential() bool { return c.cfg.ClientSecret != "" }

func (c *Client) discovered(ctx context.Context) (*provider, error) {
	c.mu.Lock()
	if c.provider != nil {
		defer c.mu.Unlock()
		return c.provider, nil
	}
	if c.discovering == nil {
		if c.lastErr != nil && c.cfg.Now().Sub(c.lastAttempt) < discoveryRetryInterval {
			defer c.mu.Unlock()
			return nil, c.lastErr
		}
		c.lastAttempt = c.cfg.Now()
		c.discovering = make(chan struct{})
		go c.runDiscovery(c.discovering)
	}
	done := c.discovering
	c.mu.Unlock()

	// Every caller waits for the one discovery in flight, each only as
	// long as its own context allows: no lock is held during the fetch.
	select {
	case <-done:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: waiting for discovery at %s: %v", ErrUnavailable, c.cfg.Issuer, ctx.Err())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.provider != nil {
		return c.provider, nil
	}
	return nil, c.lastErr
}

// runDiscovery fetches the discovery document for all waiting callers.
// It runs on the client's own context: no visitor giving up cancels it,
// and the HTTP client's timeout bounds it.
func (c *Client) runDiscovery(done chan struct{}) {
	p, err := c.discover(c.backgroundCtx)
	c.mu.Lock()
	// The retry interval counts from the end of an attempt: one that hung
	// until the HTTP timeout must not be followed by another at once.
	c.lastAttempt = c.cfg.Now()
	if err != nil {
		c.lastErr = fmt.Errorf("%w: discovery at %s: %v", ErrUnavailable, c.cfg.Issuer, err)
	} else {
		c.provider, c.lastErr = p, nil
	}
	c.discovering = nil
	c.mu.Unlock()
	close(done)
}

func (c *Client) discover(ctx context.Context) (*provider, error) {
	op, err := oidc.NewProvider(oidc.ClientContext(ctx, c.cfg.HTTPClient), c.cfg.Issuer)
	if err != nil {
		return nil, err
	}
	var extra struct {
		JWKS          string `json:"jwks_uri"`
		Revocation    string `json:"revocation_endpoint"`
		EndSession    string `json:"end_session_endpoint"`
		Introspection string `json:"introspection_endpoint"`
	}
	if err := op.Claims(&extra); err != nil {
		return nil, fmt.Errorf("read discovery document: %w", err)
	}
	endpoints := Endpoints{
		Authorization: op.Endpoint().AuthURL,
		Token:         op.Endpoint().TokenURL,
		UserInfo:      op.UserInfoEndpoint(),
		JWKS:          extra.JWKS,
		Revocation:    c.endpoint(extra.Revocation, c.cfg.RevocationEndpoint, "/oauth/revoke"),
		EndSession:    c.endpoint(extra.EndSession, c.cfg.EndSessionEndpoint, "/oauth/logout"),
		Introspection: extra.Introspection,
	}
	authStyle := oauth2.AuthStyleInHeader
	if c.cfg.ClientSecret == "" {
		// Public client: client_id in the body, no secret at all.
		authStyle = oauth2.AuthStyleInParams
	}
	keys := &keySet{url: endpoints.JWKS, client: c.cfg.HTTPClient, interval: c.cfg.KeyRefetchInterval, now: c.cfg.Now, fetched: c.cfg.KeySetFetched}
	return &provider{
		endpoints: endpoints,
		oauth2: oauth2.Config{
			ClientID:     c.cfg.ClientID,
			ClientSecret: c.cfg.ClientSecret,
			RedirectURL:  c.cfg.RedirectURL,
			Scopes:       c.cfg.Scopes,
			Endpoint: oauth2.Endpoint{
				AuthURL:   endpoints.Authorization,
				TokenURL:  endpoints.Token,
				AuthStyle: authStyle,
			},
		},
		keys:     keys,
		verifier: c.verifier(keys, c.cfg.ClientID),
	}, nil
}

// verifier is go-oidc's half of checking a signed token meant for
// audience: signature (with keys), algorithm, iss, aud and exp.
func (c *Client) verifier(keys *keySet, audience string) *oidc.IDTokenVerifier {
	algorithms := make([]string, len(signingAlgorithms))
	for i, a := range signingAlgorithms {
		algorithms[i] = string(a)
	}
	return oidc.NewVerifier(c.cfg.Issuer, keys, &oidc.Config{
		ClientID:             audience,
		SupportedSigningAlgs: algorithms,
		// exp gets the same allowance for clock skew as iat.
		Now: func() time.Time { return c.cfg.Now().Add(-c.cfg.ClockSkew) },
	})
}

// endpoint picks an endpoint discovery may leave out: the one discovery
// names, else the one Config names, else, on CONNECT's own hosts only,
// CONNECT's documented path. Guessing a path on another provider would
// send browsers and tokens to a URL it does not serve; "" says it has none.
func (c *Client) endpoint(discovered, configured, connectPath string) string {
	switch {
	case discovered != "":
		return discovered
	case configured != "":
		return configured
	}
	u, err := url.Parse(c.cfg.Issuer)
	if err != nil || !isConnectHost(u.Hostname()) {
		return ""
	}
	// The paths hang off the host, not the issuer.
	return u.Scheme + "://" + u.Host + connectPath
}

// isConnectHost reports whether host is one of Telenor CONNECT ID's own,
// whose endpoint paths we know: the one list of them.
func isConnectHost(host string) bool {
	switch strings.ToLower(host) {
	case "connect.telenordigital.com", "connect.staging.telenordigital.com":
		return true
	}
	return false
}

func containsScope(scopes []string, want string) bool {
	for _, s := range scopes {
		for _, f := range strings.Fields(s) {
			if f == want {
				return true
			}
		}
	}
	return false
}
