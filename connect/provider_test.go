package connect

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// testProvider is a small OpenID provider of connect's own, so these tests
// need neither the app nor the stand-in: copying connect/ copies its proof.
// It serves discovery, a JWK set, authorize, token, userinfo, revocation
// and introspection behind a real HTTP server, checks client
// authentication and PKCE as a provider must, and records what each
// endpoint received. Tests sign tokens with its keys (or others) directly,
// so a case can break exactly one rule.
type testProvider struct {
	t       testing.TB
	server  *httptest.Server
	issuer  string
	secret  string // the registered client's secret; "" for a public client
	clock   *testClock
	fetches atomic.Int32 // of the JWK set

	mu            sync.Mutex
	keys          []testKey         // all published; keys[0] signs
	extraKeys     []json.RawMessage // published as they are, after keys
	leaveOut      []string          // discovery fields to leave out
	introspection bool              // whether discovery lists introspection
	faults        map[string]int
	jwksGate      chan struct{}                         // when set, the JWK set answers once it is closed
	alterAnswer   func(answer, idClaims map[string]any) // token and introspection answers (idClaims nil)
	codes         map[string]authorization
	refreshTokens map[string]string // refresh token -> sub
	accessTokens  map[string]time.Time
	revoked       map[string]bool
	received      []received
}

// testKey signs tokens: an RSA or ECDSA key the provider may publish, or
// an HMAC secret ([]byte) as an attacker holding the client secret would.
type testKey struct {
	id  string
	key any
	alg jose.SignatureAlgorithm
}

// authorization is what the provider remembers of an authorization request
// until its code is redeemed.
type authorization struct {
	nonce, challenge, redirectURI, scope string
}

// received is one request to one of the provider's endpoints.
type received struct {
	endpoint string
	form     url.Values
	header   http.Header
}

const (
	testClientID    = "sample-web"
	testSubject     = "310000000001"
	testRedirectURL = "http://localhost:8081/connect/oauth2callback"
	testPostLogout  = "http://localhost:8081/connect/logoutcallback"
	// A secret RFC 6749 2.3.1 makes the client form-encode before Basic.
	testSecret = "s3cret:with/special+chars"
)

type providerOptions struct {
	secret        string // "" registers a public client
	issuer        string // "" for the server's own URL + "/oauth"
	leaveOut      []string
	introspection bool
	key           *testKey // nil for a fresh RSA key, "key-1"
}

func newTestProvider(t testing.TB, opts providerOptions) *testProvider {
	t.Helper()
	p := &testProvider{t: t, secret: opts.secret, clock: &testClock{}, leaveOut: opts.leaveOut, introspection: opts.introspection,
		faults: map[string]int{}, codes: map[string]authorization{}, refreshTokens: map[string]string{},
		accessTokens: map[string]time.Time{}, revoked: map[string]bool{}}
	if opts.key != nil {
		p.keys = []testKey{*opts.key}
	} else {
		p.keys = []testKey{{id: "key-1", key: sharedProviderKey(), alg: jose.RS256}}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth/.well-known/openid-configuration", p.handleDiscovery)
	mux.HandleFunc("GET /oauth/public_keys.jwks", p.handleKeys)
	mux.HandleFunc("GET /oauth/authorize", p.handleAuthorize)
	mux.HandleFunc("POST /oauth/token", p.handleToken)
	mux.HandleFunc("GET /oauth/userinfo", p.handleUserInfo)
	mux.HandleFunc("POST /oauth/revoke", p.handleRevoke)
	mux.HandleFunc("POST /oauth/introspect", p.handleIntrospect)
	p.server = httptest.NewServer(mux)
	t.Cleanup(p.server.Close)
	p.issuer = opts.issuer
	if p.issuer == "" {
		p.issuer = p.server.URL + "/oauth"
	}
	return p
}

// newClient is a client of this provider, as an app would configure it.
func (p *testProvider) newClient(t testing.TB, change ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		Issuer:                p.issuer,
		ClientID:              testClientID,
		ClientSecret:          p.secret,
		RedirectURL:           testRedirectURL,
		PostLogoutRedirectURL: testPostLogout,
		Scopes:                []string{"openid", "profile"},
		HTTPClient:            &http.Client{Timeout: 5 * time.Second},
		Now:                   p.clock.Now,
	}
	for _, c := range change {
		c(&cfg)
	}
	client, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// testClock is real time, moved forward by a test; or, with a base, a
// clock that stands still there.
type testClock struct {
	base   time.Time
	offset atomic.Int64
}

func (c *testClock) Now() time.Time {
	base := c.base
	if base.IsZero() {
		base = time.Now()
	}
	return base.Add(time.Duration(c.offset.Load()))
}
func (c *testClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

func (p *testProvider) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	doc := map[string]any{
		"issuer":                 p.issuer,
		"authorization_endpoint": p.issuer + "/authorize",
		"token_endpoint":         p.issuer + "/token",
		"userinfo_endpoint":      p.issuer + "/userinfo",
		"jwks_uri":               p.issuer + "/public_keys.jwks",
		"revocation_endpoint":    p.issuer + "/revoke",
		"end_session_endpoint":   p.issuer + "/logout",
	}
	if p.introspection {
		doc["introspection_endpoint"] = p.issuer + "/introspect"
	}
	for _, field := range p.leaveOut {
		delete(doc, field)
	}
	writeJSON(w, http.StatusOK, doc)
}

func (p *testProvider) handleKeys(w http.ResponseWriter, r *http.Request) {
	p.fetches.Add(1)
	p.mu.Lock()
	gate, status := p.jwksGate, p.faults["jwks"]
	var set struct {
		Keys []any `json:"keys"`
	}
	for _, k := range p.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.key.(crypto.Signer).Public(), KeyID: k.id, Algorithm: string(k.alg), Use: "sig"})
	}
	for _, k := range p.extraKeys {
		set.Keys = append(set.Keys, k)
	}
	p.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if status != 0 {
		http.Error(w, "key set unavailable", status)
		return
	}
	writeJSON(w, http.StatusOK, set)
}

// handleAuthorize stands in for the login: it remembers the request and
// sends the browser straight back with a code.
func (p *testProvider) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != testClientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	code := randomValue()
	p.mu.Lock()
	p.codes[code] = authorization{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirectURI: q.Get("redirect_uri"), scope: q.Get("scope")}
	p.mu.Unlock()
	back := url.Values{"code": {code}, "state": {q.Get("state")}}
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+back.Encode(), http.StatusFound)
}

func (p *testProvider) handleToken(w http.ResponseWriter, r *http.Request) {
	if !p.receive(w, r, "token") {
		return
	}
	form := r.PostForm
	p.mu.Lock()
	defer p.mu.Unlock()
	var sub, nonce, scope string
	switch form.Get("grant_type") {
	case "authorization_code":
		auth, ok := p.codes[form.Get("code")]
		delete(p.codes, form.Get("code")) // single use
		verifier := sha256.Sum256([]byte(form.Get("code_verifier")))
		if !ok || auth.redirectURI != form.Get("redirect_uri") || base64.RawURLEncoding.EncodeToString(verifier[:]) != auth.challenge {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
			return
		}
		sub, nonce, scope = testSubject, auth.nonce, auth.scope
	case "refresh_token":
		var ok bool
		sub, ok = p.refreshTokens[form.Get("refresh_token")]
		if !ok || p.revoked[form.Get("refresh_token")] {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
			return
		}
		delete(p.refreshTokens, form.Get("refresh_token")) // rotated
		scope = "openid profile"
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	access, refresh := "at-"+randomValue(), "rt-"+randomValue()
	p.accessTokens[access] = p.clock.Now().Add(time.Hour)
	p.refreshTokens[refresh] = sub
	now := p.clock.Now()
	idClaims := map[string]any{"iss": p.issuer, "sub": sub, "aud": testClientID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"auth_time": now.Unix(), "acr": "2", "sid": "connect-session-1", "at_hash": accessTokenHash(access)}
	if nonce != "" {
		idClaims["nonce"] = nonce
	}
	answer := map[string]any{"access_token": access, "token_type": "Bearer", "refresh_token": refresh, "expires_in": 3600, "scope": scope}
	if p.alterAnswer != nil {
		p.alterAnswer(answer, idClaims)
	}
	if _, set := answer["id_token"]; !set {
		answer["id_token"] = p.signLocked(p.keys[0], "JWT", idClaims)
	}
	writeJSON(w, http.StatusOK, answer)
}

func (p *testProvider) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	if !p.receive(w, r, "userinfo") {
		return
	}
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !p.activeAccessToken(token) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sub": testSubject, "name": "Kari Nordmann"})
}

func (p *testProvider) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if !p.receive(w, r, "revoke") || !p.clientAuthenticated(w, r) {
		return
	}
	p.mu.Lock()
	p.revoked[r.PostForm.Get("token")] = true
	p.mu.Unlock()
}

func (p *testProvider) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	if !p.receive(w, r, "introspect") || !p.clientAuthenticated(w, r) {
		return
	}
	token := r.PostForm.Get("token")
	if !p.activeAccessToken(token) {
		writeJSON(w, http.StatusOK, map[string]any{"active": false})
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	answer := map[string]any{"active": true, "sub": testSubject, "scope": "openid profile",
		"client_id": testClientID, "exp": p.accessTokens[token].Unix(), "token_type": "Bearer"}
	if p.alterAnswer != nil {
		p.alterAnswer(answer, nil)
	}
	writeJSON(w, http.StatusOK, answer)
}

// receive records the request, and answers instead of the endpoint when a
// test has made it fail. The token endpoint checks client authentication
// here too, as RFC 6749 2.3.1 and 3.2.1 ask.
func (p *testProvider) receive(w http.ResponseWriter, r *http.Request, endpoint string) bool {
	r.ParseForm()
	p.mu.Lock()
	p.received = append(p.received, received{endpoint: endpoint, form: r.PostForm, header: r.Header.Clone()})
	status := p.faults[endpoint]
	p.mu.Unlock()
	if status != 0 {
		http.Error(w, endpoint+" is failing", status)
		return false
	}
	return endpoint != "token" || p.clientAuthenticated(w, r)
}

// clientAuthenticated: HTTP Basic with form-encoded id and secret for the
// confidential client, client_id in the body and no secret for a public one.
func (p *testProvider) clientAuthenticated(w http.ResponseWriter, r *http.Request) bool {
	user, pass, basic := r.BasicAuth()
	user, _ = url.QueryUnescape(user)
	pass, _ = url.QueryUnescape(pass)
	ok := !basic && p.secret == "" && r.PostForm.Get("client_id") == testClientID
	if p.secret != "" {
		ok = basic && user == testClientID && pass == p.secret && r.PostForm.Get("client_secret") == ""
	}
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
	}
	return ok
}

func (p *testProvider) activeAccessToken(token string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	exp, ok := p.accessTokens[token]
	return ok && !p.revoked[token] && p.clock.Now().Before(exp)
}

// requests returns what endpoint has received so far, oldest first.
func (p *testProvider) requests(endpoint string) []received {
	p.mu.Lock()
	defer p.mu.Unlock()
	var got []received
	for _, r := range p.received {
		if r.endpoint == endpoint {
			got = append(got, r)
		}
	}
	return got
}

func (p *testProvider) fail(endpoint string, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults[endpoint] = status
}

func (p *testProvider) setAlterAnswer(f func(answer, idClaims map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.alterAnswer = f
}

// rotate publishes a new key and signs with it from now on; the old keys
// stay published.
func (p *testProvider) rotate(id string) testKey {
	k := testKey{id: id, key: newRSAKey(p.t), alg: jose.RS256}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = append([]testKey{k}, p.keys...)
	return k
}

func (p *testProvider) signingKey() testKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.keys[0]
}

// sign makes a token with the provider's current signing key.
func (p *testProvider) sign(typ string, claims map[string]any) string {
	return signWith(p.t, p.signingKey(), typ, claims)
}

func (p *testProvider) signLocked(k testKey, typ string, claims map[string]any) string {
	return signWith(p.t, k, typ, claims)
}

// logIn runs a whole login against the provider: the authorization URL,
// the provider's answer with a code, and the exchange.
func (p *testProvider) logIn(t *testing.T, client *Client, opts AuthOptions) (*Login, error) {
	t.Helper()
	code, pending := p.authorize(t, client, opts)
	return client.Exchange(t.Context(), code, pending)
}

// authorize follows the authorization URL as a browser would, up to the
// redirect back with the code.
func (p *testProvider) authorize(t *testing.T, client *Client, opts AuthOptions) (string, PendingLogin) {
	t.Helper()
	authURL, pending, err := client.AuthorizationURL(t.Context(), opts)
	if err != nil {
		t.Fatalf("AuthorizationURL: %v", err)
	}
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || back.Query().Get("state") != pending.State {
		t.Fatalf("authorize answered %d to %q, want a redirect with a code and the state", resp.StatusCode, resp.Header.Get("Location"))
	}
	return back.Query().Get("code"), pending
}

// idClaims are valid ID token claims for the client, at the provider's now.
func (p *testProvider) idClaims() map[string]any {
	now := p.clock.Now()
	return map[string]any{
		"iss": p.issuer, "sub": testSubject, "aud": testClientID,
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "auth_time": now.Add(-time.Minute).Unix(),
		"nonce": "the-nonce", "acr": "2", "amr": []string{"UID_PWD"}, "td_sls": true, "sid": "connect-session-1",
	}
}

// logoutClaims are valid back-channel logout token claims.
func (p *testProvider) logoutClaims() map[string]any {
	now := p.clock.Now()
	return map[string]any{
		"iss": p.issuer, "aud": testClientID, "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
		"jti": randomValue(), "sid": "connect-session-1", "sub": testSubject,
		"events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}},
	}
}

// accessClaims are valid RFC 9068 access token claims for audience.
func (p *testProvider) accessClaims(audience string) map[string]any {
	now := p.clock.Now()
	return map[string]any{
		"iss": p.issuer, "sub": testSubject, "aud": audience, "client_id": testClientID, "scope": "openid profile",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": randomValue(),
	}
}

// with returns claims with changes applied; a nil value removes the claim.
func with(claims map[string]any, changes map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range claims {
		out[k] = v
	}
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// sharedProviderKey signs for every test provider: made once per test
// binary, as an RSA key costs more than most tests. Keys a test needs to
// differ from it (a forger's, a rotated one) come from newRSAKey.
var sharedProviderKey = sync.OnceValue(func() *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return key
})

func newRSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func newECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// signWith makes a compact JWS of claims with key, under its kid and typ.
func signWith(t testing.TB, k testKey, typ string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
	if k.id != "" {
		opts = opts.WithHeader("kid", k.id)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	compact, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return compact
}

// unsigned makes an "alg: none" token, which no library will sign for us.
func unsigned(typ string, claims map[string]any) string {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": "none", "typ": typ})
	payload, _ := json.Marshal(claims)
	return enc.EncodeToString(header) + "." + enc.EncodeToString(payload) + "."
}

// accessTokenHash is at_hash for an RS256 or ES256 token (OIDC Core 3.1.3.6).
func accessTokenHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
