package localconnect

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestDiscovery(t *testing.T) {
	e := newTestEnv(t)
	resp := e.get("/oauth/.well-known/openid-configuration", nil)
	if resp.status != http.StatusOK {
		t.Fatalf("GET discovery = %d, want 200", resp.status)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(resp.body), &doc); err != nil {
		t.Fatalf("discovery is not JSON: %v", err)
	}
	issuer := e.url + "/oauth"
	want := map[string]any{
		"issuer":                                issuer,
		"authorization_endpoint":                issuer + "/authorize",
		"token_endpoint":                        issuer + "/token",
		"userinfo_endpoint":                     issuer + "/userinfo",
		"jwks_uri":                              issuer + "/public_keys.jwks",
		"revocation_endpoint":                   issuer + "/revoke",
		"end_session_endpoint":                  issuer + "/logout",
		"response_types_supported":              []any{"code"},
		"grant_types_supported":                 []any{"authorization_code", "refresh_token"},
		"id_token_signing_alg_values_supported": []any{"RS256"},
		"code_challenge_methods_supported":      []any{"S256"},
		"token_endpoint_auth_methods_supported": []any{"client_secret_basic", "none"},
		"scopes_supported":                      []any{"openid", "profile", "email", "phone"},
		"acr_values_supported":                  []any{"1", "2"},
		"ui_locales_supported":                  []any{"en", "nb"},
		"backchannel_logout_supported":          true,
		"backchannel_logout_session_supported":  true,
	}
	for field, w := range want {
		if got := doc[field]; !reflect.DeepEqual(got, w) {
			t.Errorf("%s = %v, want %v", field, got, w)
		}
	}
	claims, _ := doc["claims_supported"].([]any)
	for _, c := range []string{"acr", "amr", "auth_time", "td_sls", "td_au", "sid"} {
		if !containsAny(claims, c) {
			t.Errorf("claims_supported %v lacks %q", claims, c)
		}
	}
	if got := e.srv.Issuer(); got != issuer {
		t.Errorf("Issuer() = %q, want %q", got, issuer)
	}
	if got := e.srv.Count("discovery"); got != 1 {
		t.Errorf("Count(discovery) = %d, want 1", got)
	}
}

func containsAny(list []any, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func TestEndpointsLiveUnderTheIssuerPath(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.Issuer += "/nested/" })
	if got, want := e.srv.Issuer(), e.url+"/oauth/nested"; got != want {
		t.Fatalf("Issuer() = %q, want %q (trailing slash dropped)", got, want)
	}
	if resp := e.get("/oauth/nested/.well-known/openid-configuration", nil); resp.status != http.StatusOK {
		t.Errorf("GET discovery under the issuer path = %d, want 200", resp.status)
	}
	if resp := e.get("/oauth/.well-known/openid-configuration", nil); resp.status != http.StatusNotFound {
		t.Errorf("GET discovery outside the issuer path = %d, want 404", resp.status)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	good := Client{ID: "app", RedirectURIs: []string{"http://localhost:8081/connect/oauth2callback"}}
	weakKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts Options
	}{
		{"an issuer that is not a URL", Options{Issuer: "localhost:8082", Clients: []Client{good}}},
		{"an issuer with a query", Options{Issuer: "http://localhost:8082/oauth?x=1", Clients: []Client{good}}},
		{"a client without ID", Options{Issuer: "http://localhost:8082/oauth", Clients: []Client{{RedirectURIs: good.RedirectURIs}}}},
		{"a client registered twice", Options{Issuer: "http://localhost:8082/oauth", Clients: []Client{good, good}}},
		{"a client without redirect URI", Options{Issuer: "http://localhost:8082/oauth", Clients: []Client{{ID: "app"}}}},
		{"a relative redirect URI", Options{Issuer: "http://localhost:8082/oauth", Clients: []Client{{ID: "app", RedirectURIs: []string{"/cb"}}}}},
		{"an empty user list", Options{Issuer: "http://localhost:8082/oauth", Clients: []Client{good}, Users: []User{}}},
		{"two users with one sub", Options{Issuer: "http://localhost:8082/oauth", Clients: []Client{good}, Users: []User{kari, kari}}},
		{"a signing key under 2048 bits", Options{Issuer: "http://localhost:8082/oauth", Clients: []Client{good}, SigningKey: weakKey}},
	}
	for _, tt := range tests {
		t.Run("New refuses "+tt.name, func(t *testing.T) {
			if _, err := New(tt.opts); err == nil {
				t.Errorf("New(%+v) = nil error, want an error", tt.opts)
			}
		})
	}
}

func TestDefaultUsersLookNorwegian(t *testing.T) {
	users := DefaultUsers()
	if len(users) < 3 || len(users) > 4 {
		t.Fatalf("DefaultUsers() has %d users, want 3 or 4", len(users))
	}
	for _, u := range users {
		if u.Sub == "" || u.Name == "" || u.Password == "" {
			t.Errorf("user %+v lacks sub, name or password", u)
		}
		if len(u.PhoneNumber) != 11 || !strings.HasPrefix(u.PhoneNumber, "+47") {
			t.Errorf("%s's phone number %q is not +47 and 8 digits", u.Name, u.PhoneNumber)
		}
		if !strings.HasSuffix(u.Email, "@example.no") {
			t.Errorf("%s's e-mail %q is not at example.no", u.Name, u.Email)
		}
	}
}
