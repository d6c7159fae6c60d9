package localconnect

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// The clients every test provider has registered.
const (
	publicClient         = "public-app"
	confidentialClient   = "confidential-app"
	clientSecret         = "s3cret/with+chars" // needs form-encoding in HTTP Basic
	publicRedirect       = "https://public.example/callback"
	confidentialRedirect = "https://confidential.example/callback"
	postLogoutRedirect   = "https://confidential.example/loggedout"
)

// kari is the first default user, preselected on the login page.
var kari = DefaultUsers()[0]

// Signing keys are made once per test binary and shared by every stand-in
// the tests start: making an RSA key costs more than most tests.
var (
	testSigningKey = keyOnce()
	// testNextSigningKey is what a test rotates to.
	testNextSigningKey = keyOnce()
)

func keyOnce() func() *rsa.PrivateKey {
	return sync.OnceValue(func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	})
}

// testClock is a clock the test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testEnv is a stand-in on a real HTTP server, and a browser for it.
type testEnv struct {
	t       *testing.T
	srv     *Server
	url     string
	clock   *testClock
	browser *http.Client
}

// newTestEnv starts a stand-in with a public and a confidential client.
// configure may change the options before New.
func newTestEnv(t *testing.T, configure ...func(*Options)) *testEnv {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	ts.Start()
	t.Cleanup(ts.Close)
	clock := &testClock{t: time.Now().Truncate(time.Second)}
	opts := Options{
		Issuer: ts.URL + "/oauth",
		Clients: []Client{
			{ID: publicClient, RedirectURIs: []string{publicRedirect}},
			{ID: confidentialClient, Secret: clientSecret, RedirectURIs: []string{confidentialRedirect},
				PostLogoutRedirectURIs: []string{postLogoutRedirect}},
		},
		Now:        clock.now,
		SigningKey: testSigningKey(),
	}
	for _, f := range configure {
		f(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts.Config.Handler = srv
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	return &testEnv{t: t, srv: srv, url: ts.URL, clock: clock, browser: browser}
}

// in returns the env reporting to t, for use inside a subtest.
func (e *testEnv) in(t *testing.T) *testEnv {
	c := *e
	c.t = t
	return &c
}

// inNewBrowser is in, with a browser of its own: no cookies, so neither
// an SSO session nor a language chosen before.
func (e *testEnv) inNewBrowser(t *testing.T) *testEnv {
	c := e.in(t)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c.browser = &http.Client{Jar: jar, CheckRedirect: e.browser.CheckRedirect}
	return c
}

// response is an HTTP response with its body read.
type response struct {
	status  int
	header  http.Header
	cookies []*http.Cookie
	body    string
}

func (e *testEnv) do(client *http.Client, req *http.Request) response {
	e.t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read body: %v", err)
	}
	return response{status: resp.StatusCode, header: resp.Header, cookies: resp.Cookies(), body: string(body)}
}

// get is a browser GET of a path on the stand-in.
func (e *testEnv) get(path string, query url.Values) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.url+path+"?"+query.Encode(), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(e.browser, req)
}

// post is a browser form POST to a path on the stand-in.
func (e *testEnv) post(path string, form url.Values, header http.Header) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(e.browser, req)
}

// location returns the Location of a redirect, failing unless r is a 302.
func (r response) location(t *testing.T) *url.URL {
	t.Helper()
	if r.status != http.StatusFound {
		t.Fatalf("status = %d, want 302; body: %.300s", r.status, r.body)
	}
	u, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		t.Fatalf("Location %q: %v", r.header.Get("Location"), err)
	}
	return u
}

// pkcePair returns a fresh code verifier and its S256 challenge.
func pkcePair() (verifier, challenge string) {
	verifier = randomString()
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

func redirectFor(clientID string) string {
	if clientID == confidentialClient {
		return confidentialRedirect
	}
	return publicRedirect
}

// authorizeQuery is a valid authorization request; tests change what they test.
func authorizeQuery(clientID, challenge string) url.Values {
	return url.Values{
		"response_type":         {"code"},
		"client_id":             {clientID},
		"redirect_uri":          {redirectFor(clientID)},
		"scope":                 {"openid profile email phone"},
		"state":                 {"state-123"},
		"nonce":                 {"nonce-456"},
		"code_challenge":        {challenge},
		"code_challenge_method": {"S256"},
	}
}

var requestIDPattern = regexp.MustCompile(`name="request_id" value="([^"]+)"`)

// openLogin asks for the login page and returns the page and its request_id.
func (e *testEnv) openLogin(q url.Values) (response, string) {
	e.t.Helper()
	page := e.get("/oauth/authorize", q)
	if page.status != http.StatusOK {
		e.t.Fatalf("GET /oauth/authorize = %d, want 200 (login page); Location %q", page.status, page.header.Get("Location"))
	}
	m := requestIDPattern.FindStringSubmatch(page.body)
	if m == nil {
		e.t.Fatalf("login page has no request_id field:\n%s", page.body)
	}
	return page, m[1]
}

// login fills in the login page like a browser and returns the client's
// callback query. password "" leaves the field out.
func (e *testEnv) login(q url.Values, user User, password string, staySignedIn bool) url.Values {
	e.t.Helper()
	page, _ := e.openLogin(q)
	return e.submitLogin(page, user, password, staySignedIn)
}

// submitLogin posts the login page's form.
func (e *testEnv) submitLogin(page response, user User, password string, staySignedIn bool) url.Values {
	e.t.Helper()
	m := requestIDPattern.FindStringSubmatch(page.body)
	if m == nil {
		e.t.Fatalf("login page has no request_id field:\n%s", page.body)
	}
	form := url.Values{"request_id": {m[1]}, "user": {user.Sub}, "action": {"login"}}
	if password != "" {
		form.Set("password", password)
	}
	if staySignedIn {
		form.Set("stay_signed_in", "on")
	}
	return e.post("/oauth/authorize", form, nil).location(e.t).Query()
}

// backend is a server-to-server POST to a path on the stand-in, without the
// browser's cookies. auth authenticates the client.
func (e *testEnv) backend(path string, form url.Values, auth func(*http.Request, url.Values)) response {
	e.t.Helper()
	form = cloneValues(form)
	req, err := http.NewRequest(http.MethodPost, e.url+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if auth != nil {
		auth(req, form)
	}
	req.Body = io.NopCloser(strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(http.DefaultClient, req)
}

// basic authenticates with HTTP Basic, form-encoding as RFC 6749 2.3.1 says.
func basic(id, secret string) func(*http.Request, url.Values) {
	return func(r *http.Request, _ url.Values) { r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret)) }
}

// inBody sends client_id in the form body, as a public client does.
func inBody(id string) func(*http.Request, url.Values) {
	return func(_ *http.Request, form url.Values) { form.Set("client_id", id) }
}

// authFor authenticates as the client rightly does.
func authFor(clientID string) func(*http.Request, url.Values) {
	if clientID == confidentialClient {
		return basic(confidentialClient, clientSecret)
	}
	return inBody(clientID)
}

// tokenReply is the token endpoint's answer, success or error.
type tokenReply struct {
	tokenResponse
	Error       string `json:"error"`
	Description string `json:"error_description"`
	status      int
	header      http.Header
}

func (e *testEnv) token(form url.Values, auth func(*http.Request, url.Values)) tokenReply {
	e.t.Helper()
	resp := e.backend("/oauth/token", form, auth)
	var reply tokenReply
	if err := json.Unmarshal([]byte(resp.body), &reply); err != nil {
		e.t.Fatalf("token response %q: %v", resp.body, err)
	}
	reply.status, reply.header = resp.status, resp.header
	return reply
}

func (e *testEnv) exchange(clientID, code, verifier string) tokenReply {
	e.t.Helper()
	return e.token(url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {redirectFor(clientID)}, "code_verifier": {verifier}}, authFor(clientID))
}

func (e *testEnv) refresh(clientID, refreshToken string) tokenReply {
	e.t.Helper()
	return e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}, authFor(clientID))
}

// codeFlow gets kari a code for clientID, through the login page or by SSO,
// with extra authorization parameters, and exchanges it, failing the test
// unless both succeed.
func (e *testEnv) codeFlow(clientID string, extra url.Values) tokenReply {
	e.t.Helper()
	verifier, challenge := pkcePair()
	q := authorizeQuery(clientID, challenge)
	for k, v := range extra {
		q[k] = v
	}
	var callback url.Values
	if resp := e.get("/oauth/authorize", q); resp.status == http.StatusOK {
		callback = e.submitLogin(resp, kari, "", false)
	} else {
		callback = resp.location(e.t).Query()
	}
	reply := e.exchange(clientID, callback.Get("code"), verifier)
	if reply.status != http.StatusOK {
		e.t.Fatalf("code exchange = %d %s (%s), want 200", reply.status, reply.Error, reply.Description)
	}
	return reply
}

// verifyJWT checks raw's signature against the stand-in's published JWK set,
// as a client does, and returns its header and claims.
func (e *testEnv) verifyJWT(raw string) (jose.Header, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.url+"/oauth/public_keys.jwks", nil)
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(e.do(http.DefaultClient, req).body), &set); err != nil {
		e.t.Fatalf("JWK set: %v", err)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		e.t.Fatalf("parse JWT: %v", err)
	}
	header := tok.Headers[0]
	keys := set.Key(header.KeyID)
	if len(keys) != 1 {
		e.t.Fatalf("JWK set has %d keys with kid %q, want 1", len(keys), header.KeyID)
	}
	var claims map[string]any
	if err := tok.Claims(keys[0].Key, &claims); err != nil {
		e.t.Fatalf("JWT signature does not verify against the JWK set: %v", err)
	}
	return header, claims
}

func (e *testEnv) idTokenClaims(reply tokenReply) map[string]any {
	e.t.Helper()
	_, claims := e.verifyJWT(reply.IDToken)
	return claims
}

// userinfo calls userinfo with an access token.
func (e *testEnv) userinfo(accessToken string) (response, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.url+"/oauth/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp := e.do(http.DefaultClient, req)
	var claims map[string]any
	if resp.status == http.StatusOK {
		if err := json.Unmarshal([]byte(resp.body), &claims); err != nil {
			e.t.Fatalf("userinfo body %q: %v", resp.body, err)
		}
	}
	return resp, claims
}

// silentLogin asks for a code with prompt=none and returns the callback query.
func (e *testEnv) silentLogin(clientID string) url.Values {
	e.t.Helper()
	_, challenge := pkcePair()
	q := authorizeQuery(clientID, challenge)
	q.Set("prompt", "none")
	return e.get("/oauth/authorize", q).location(e.t).Query()
}
