package connect

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
)

// testProvider is a bare OpenID provider for these tests: a discovery
// document and a JWK set holding one RSA key. Tokens are signed by the test
// itself, so each case can break exactly one rule.
type testProvider struct {
	server    *httptest.Server
	key       *rsa.PrivateKey
	jwksCalls atomic.Int32
	// rotated, once set, is published as "key-2" beside key-1.
	rotated atomic.Pointer[rsa.PrivateKey]
}

func newTestProvider(t *testing.T) *testProvider {
	t.Helper()
	p := &testProvider{key: mustRSAKey(t)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		issuer := p.issuer()
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                 issuer,
			"authorization_endpoint": issuer + "/authorize",
			"token_endpoint":         issuer + "/token",
			"userinfo_endpoint":      issuer + "/userinfo",
			"jwks_uri":               issuer + "/public_keys.jwks",
		})
	})
	mux.HandleFunc("GET /oauth/public_keys.jwks", func(w http.ResponseWriter, r *http.Request) {
		p.jwksCalls.Add(1)
		keys := []jose.JSONWebKey{{Key: p.key.Public(), KeyID: "key-1", Algorithm: "RS256", Use: "sig"}}
		if k := p.rotated.Load(); k != nil {
			keys = append(keys, jose.JSONWebKey{Key: k.Public(), KeyID: "key-2", Algorithm: "RS256", Use: "sig"})
		}
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: keys})
	})
	p.server = httptest.NewServer(mux)
	t.Cleanup(p.server.Close)
	return p
}

func (p *testProvider) issuer() string { return p.server.URL + "/oauth" }

func mustRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// sign makes a compact JWS of the claims with the given key, algorithm and kid.
func sign(t *testing.T, key any, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key},
		(&jose.SignerOptions{}).WithHeader("kid", kid).WithType("JWT"))
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
func unsigned(claims map[string]any) string {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT"})
	payload, _ := json.Marshal(claims)
	return enc.EncodeToString(header) + "." + enc.EncodeToString(payload) + "."
}

func TestVerifyIDToken(t *testing.T) {
	provider := newTestProvider(t)
	now := time.Now()
	client, err := New(Config{
		Issuer:       provider.issuer(),
		ClientID:     "sample-web",
		ClientSecret: "shared-secret-of-the-sample-web-client",
		RedirectURL:  "http://localhost:8081/connect/oauth2callback",
		Scopes:       []string{"openid", "profile"},
		Now:          func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}

	valid := func() map[string]any {
		return map[string]any{
			"iss":       provider.issuer(),
			"sub":       "310000000001",
			"aud":       "sample-web",
			"exp":       now.Add(time.Hour).Unix(),
			"iat":       now.Unix(),
			"auth_time": now.Add(-time.Minute).Unix(),
			"nonce":     "the-nonce",
			"acr":       "2",
			"amr":       []string{"UID_PWD"},
			"td_sls":    true,
			"sid":       "connect-session-1",
		}
	}
	with := func(changes map[string]any) map[string]any {
		c := valid()
		for k, v := range changes {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	goodKey := provider.key
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	want := Expectations{Nonce: "the-nonce", ACR: "2", MaxAge: 5 * time.Minute}

	tests := []struct {
		name    string
		token   string
		want    Expectations
		wantErr error  // our own checks
		wantMsg string // go-oidc's checks, wrapped in ErrIDTokenInvalid
	}{
		{name: "a valid token is accepted", token: sign(t, goodKey, jose.RS256, "key-1", valid()), want: want},
		{name: "a signature by another key is rejected", token: sign(t, mustRSAKey(t), jose.RS256, "key-1", valid()), want: want, wantErr: ErrIDTokenInvalid, wantMsg: "failed to verify signature"},
		{name: "alg none is rejected", token: unsigned(valid()), want: want, wantErr: ErrIDTokenInvalid, wantMsg: `unexpected signature algorithm "none"`},
		{name: "HS256 keyed with the client secret is rejected", token: sign(t, []byte("shared-secret-of-the-sample-web-client"), jose.HS256, "key-1", valid()), want: want, wantErr: ErrIDTokenInvalid, wantMsg: `unexpected signature algorithm "HS256"`},
		{name: "an ES256 token from an unknown key is rejected", token: sign(t, ecKey, jose.ES256, "key-2", valid()), want: want, wantErr: ErrUnavailable, wantMsg: "unknown signing key"},
		{name: "another issuer is rejected", token: sign(t, goodKey, jose.RS256, "key-1", with(map[string]any{"iss": "https://evil.example/oauth"})), want: want, wantErr: ErrIDTokenInvalid, wantMsg: "issued by a different provider"},
		{name: "an audience without this client is rejected", token: sign(t, goodKey, jose.RS256, "key-1", with(map[string]any{"aud": "other-client"})), want: want, wantErr: ErrIDTokenInvalid, wantMsg: "expected audience"},
		{name: "an extra untrusted audience is rejected", token: sign(t, goodKey, jose.RS256, "key-1", with(map[string]any{"aud": []string{"sample-web", "other-client"}, "azp": "sample-web"})), want: want, wantErr: ErrUntrustedAudience},
		{name: "azp naming another client is rejected", token: sign(t, goodKey, jose.RS256, "key-1", with(map[string]any{"azp": "other-client"})), want: want, wantErr: ErrAuthorizedParty},
		{name: "an expired token is rejected", token: sign(t, goodKey, jose.RS256, "key-1", with(map[string]any{"exp": now.Add(-5 * time.Minute).Unix()})), want: want, wantErr: ErrIDTokenInvalid, wantMsg: "token is expired"},
		{name: "a missing nonce is rejected", token: sign(t, goodKey, jose.RS256, "key-1", with(map[string]any{"nonce": nil})), want: want, wantErr: ErrNonceMismatch},
		{name: "a different nonce is rejected", token: sign(t, goodKey, jose.RS256, "key-1", with(map[string]any{"nonce": "another-nonce"})), want: want, wantErr: ErrNonceMismatch},
		{name: "a missing sub is rejected", token: sign(t, goodKey, jose.RS256, "key-1", with(map[string]any{"sub": nil})), want: want, wantErr: ErrMissingSubject},
		{name: "iat in the future is rejected", token: sign(t, goodKey, jose.RS256, "key-1", with(map[string]any{"iat": now.Add(10 * time.Minute).Unix()})), want: want, wantErr: ErrIssuedAt},
		{name: "iat long ago is rejected", token: sign(t, goodKey, jose.RS256, "key-1", with(map[string]any{"iat": now.Add(-time.Hour).Unix()})), want: want, wantErr: ErrIssuedAt},
		{name: "acr below the requested level is rejected", token: sign(t, goodKey, jose.RS256, "key-1", with(map[string]any{"acr": "1"})), want: want, wantErr: ErrInsufficientACR},
		{name: "auth_time older than max_age is rejected", token: sign(t, goodKey, jose.RS256, "key-1", with(map[string]any{"auth_time": now.Add(-time.Hour).Unix()})), want: want, wantErr: ErrAuthTimeTooOld},
		{name: "a missing auth_time is rejected when max_age was sent", token: sign(t, goodKey, jose.RS256, "key-1", with(map[string]any{"auth_time": nil})), want: want, wantErr: ErrAuthTimeTooOld},
		{name: "a missing auth_time is fine when max_age was not sent", token: sign(t, goodKey, jose.RS256, "key-1", with(map[string]any{"auth_time": nil})), want: Expectations{Nonce: "the-nonce"}},
		// Moments after the key set was fetched, an unknown kid is not worth
		// another fetch: "try again shortly" (see keyset.go).
		{name: "an unknown kid is rejected", token: sign(t, mustRSAKey(t), jose.RS256, "rotated-key", valid()), want: want, wantErr: ErrUnavailable, wantMsg: "unknown signing key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims, err := client.VerifyIDToken(context.Background(), tt.token, tt.want)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("VerifyIDToken: %v, want success", err)
				}
				if claims.Subject != "310000000001" || claims.SessionID != "connect-session-1" || !claims.ShortLivedSession || claims.ACR != "2" {
					t.Errorf("claims = %+v, want sub, sid, td_sls and acr from the token", claims)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("VerifyIDToken error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantMsg != "" && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("VerifyIDToken error = %q, want it to mention %q", err, tt.wantMsg)
			}
		})
	}
}

func TestVerifyIDTokenRefetchesKeysOnceForUnknownKid(t *testing.T) {
	provider := newTestProvider(t)
	client, err := New(Config{Issuer: provider.issuer(), ClientID: "sample-web", RedirectURL: "http://localhost/cb", Scopes: []string{oidc.ScopeOpenID},
		KeyRefetchInterval: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims := map[string]any{"iss": provider.issuer(), "sub": "u", "aud": "sample-web", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}

	if _, err := client.VerifyIDToken(context.Background(), sign(t, provider.key, jose.RS256, "key-1", claims), Expectations{}); err != nil {
		t.Fatalf("first token: %v", err)
	}
	if _, err := client.VerifyIDToken(context.Background(), sign(t, provider.key, jose.RS256, "key-1", claims), Expectations{}); err != nil {
		t.Fatalf("second token: %v", err)
	}
	if got := provider.jwksCalls.Load(); got != 1 {
		t.Errorf("JWK set fetched %d times for two tokens with a known kid, want 1 (cached)", got)
	}
	if _, err := client.VerifyIDToken(context.Background(), sign(t, mustRSAKey(t), jose.RS256, "new-kid", claims), Expectations{}); err == nil {
		t.Fatal("token with an unknown kid accepted")
	}
	if got := provider.jwksCalls.Load(); got != 2 {
		t.Errorf("JWK set fetched %d times after an unknown kid, want 2 (one refetch)", got)
	}
}

func TestForgedTokensDoNotMakeUsHammerTheKeySet(t *testing.T) {
	provider := newTestProvider(t)
	client, err := New(Config{Issuer: provider.issuer(), ClientID: "sample-web", RedirectURL: "http://localhost/cb", Scopes: []string{oidc.ScopeOpenID}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims := map[string]any{"iss": provider.issuer(), "sub": "u", "aud": "sample-web", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
	forger := mustRSAKey(t)
	for i := range 5 {
		_, err := client.VerifyIDToken(context.Background(), sign(t, forger, jose.RS256, fmt.Sprintf("made-up-kid-%d", i), claims), Expectations{})
		// The first one costs a fetch and fails its signature; the rest,
		// moments later, are told to come back without a fetch.
		want := ErrUnavailable
		if i == 0 {
			want = ErrIDTokenInvalid
		}
		if !errors.Is(err, want) {
			t.Fatalf("forged token %d: %v, want %v", i+1, err, want)
		}
	}
	// A forged signature under the real kid is checked against the keys
	// already fetched.
	if _, err := client.VerifyIDToken(context.Background(), sign(t, forger, jose.RS256, "key-1", claims), Expectations{}); !errors.Is(err, ErrIDTokenInvalid) {
		t.Errorf("forged token with the real kid: %v, want ErrIDTokenInvalid", err)
	}
	if got := provider.jwksCalls.Load(); got != 1 {
		t.Errorf("JWK set fetched %d times for 6 forged tokens within 10s, want 1", got)
	}
	if _, err := client.VerifyIDToken(context.Background(), sign(t, provider.key, jose.RS256, "key-1", claims), Expectations{}); err != nil {
		t.Errorf("a genuine token after the forged ones: %v, want success", err)
	}
}

func TestAKeyPublishedLaterIsAcceptedOnceTheIntervalHasPassed(t *testing.T) {
	provider := newTestProvider(t)
	var offset atomic.Int64 // the client's clock, moved by the test
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	client, err := New(Config{Issuer: provider.issuer(), ClientID: "sample-web", RedirectURL: "http://localhost/cb", Scopes: []string{oidc.ScopeOpenID}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	next := mustRSAKey(t)
	claims := func() map[string]any {
		now := clock()
		return map[string]any{"iss": provider.issuer(), "sub": "u", "aud": "sample-web", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
	}
	if _, err := client.VerifyIDToken(context.Background(), sign(t, provider.key, jose.RS256, "key-1", claims()), Expectations{}); err != nil {
		t.Fatalf("token with the current key: %v", err)
	}

	provider.rotated.Store(next) // CONNECT publishes a new key and signs with it
	_, err = client.VerifyIDToken(context.Background(), sign(t, next, jose.RS256, "key-2", claims()), Expectations{})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("new key right after a fetch: %v, want ErrUnavailable (try again shortly)", err)
	}
	if _, err := client.VerifyIDToken(context.Background(), sign(t, provider.key, jose.RS256, "key-1", claims()), Expectations{}); err != nil {
		t.Fatalf("the current key meanwhile: %v, want success", err)
	}
	offset.Add(int64(11 * time.Second)) // past the 10 s interval
	if _, err := client.VerifyIDToken(context.Background(), sign(t, next, jose.RS256, "key-2", claims()), Expectations{}); err != nil {
		t.Fatalf("new key after the interval: %v, want success", err)
	}
	if got := provider.jwksCalls.Load(); got != 2 {
		t.Errorf("JWK set fetched %d times, want 2", got)
	}
}

func TestAFailedKeyFetchDoesNotLockOutTheCurrentKey(t *testing.T) {
	provider := newTestProvider(t)
	var offset atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	client, err := New(Config{Issuer: provider.issuer(), ClientID: "sample-web", RedirectURL: "http://localhost/cb", Scopes: []string{oidc.ScopeOpenID}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	claims := func() map[string]any {
		now := clock()
		return map[string]any{"iss": provider.issuer(), "sub": "u", "aud": "sample-web", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
	}
	if _, err := client.VerifyIDToken(context.Background(), sign(t, provider.key, jose.RS256, "key-1", claims()), Expectations{}); err != nil {
		t.Fatalf("token with the current key: %v", err)
	}
	// Later, a forged token makes go-oidc refetch, and that fetch fails.
	offset.Add(int64(11 * time.Second))
	provider.server.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	})
	if _, err := client.VerifyIDToken(context.Background(), sign(t, mustRSAKey(t), jose.RS256, "made-up", claims()), Expectations{}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("forged token while the key set is down: %v, want ErrUnavailable", err)
	}
	if _, err := client.VerifyIDToken(context.Background(), sign(t, provider.key, jose.RS256, "key-1", claims()), Expectations{}); err != nil {
		t.Fatalf("genuine token right after the failed fetch: %v, want success (key-1 is still known)", err)
	}
}

func TestNewRefusesScopesWithoutOpenID(t *testing.T) {
	_, err := New(Config{Issuer: "https://connect.example/oauth", ClientID: "c", RedirectURL: "https://app.example/cb", Scopes: []string{"profile"}})
	if err == nil || !strings.Contains(err.Error(), "openid") {
		t.Fatalf("New with scopes %q = %v, want an error about openid", "profile", err)
	}
}
