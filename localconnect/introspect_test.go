package localconnect

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"
)

func withIntrospection(o *Options) { o.Introspection = true }

func withAccessTokens(f AccessTokenFormat) func(*Options) {
	return func(o *Options) { o.AccessTokens = f }
}

// introspect asks the introspection endpoint about token and decodes the
// answer, whatever its status.
func (e *testEnv) introspect(token string, auth func(*http.Request, url.Values)) (response, map[string]any) {
	e.t.Helper()
	resp := e.backend("/oauth/introspect", url.Values{"token": {token}}, auth)
	var answer map[string]any
	if err := json.Unmarshal([]byte(resp.body), &answer); err != nil {
		e.t.Fatalf("introspection answer %q: %v", resp.body, err)
	}
	return resp, answer
}

var notActive = map[string]any{"active": false}

func TestIntrospectionIsListedOnlyWhenOffered(t *testing.T) {
	for _, offered := range []bool{false, true} {
		name := map[bool]string{false: "without Options.Introspection there is no endpoint",
			true: "with Options.Introspection discovery lists the endpoint"}[offered]
		t.Run(name, func(t *testing.T) {
			e := newTestEnv(t, func(o *Options) { o.Introspection = offered })
			var doc map[string]any
			if err := json.Unmarshal([]byte(e.get("/oauth/.well-known/openid-configuration", nil).body), &doc); err != nil {
				t.Fatal(err)
			}
			wantEndpoint, wantMethods := any(nil), any(nil)
			wantStatus := http.StatusNotFound
			if offered {
				wantEndpoint, wantMethods = e.url+"/oauth/introspect", []any{"client_secret_basic", "none"}
				wantStatus = http.StatusOK
			}
			if got := doc["introspection_endpoint"]; got != wantEndpoint {
				t.Errorf("introspection_endpoint = %v, want %v", got, wantEndpoint)
			}
			if got := doc["introspection_endpoint_auth_methods_supported"]; !reflect.DeepEqual(got, wantMethods) {
				t.Errorf("introspection_endpoint_auth_methods_supported = %v, want %v", got, wantMethods)
			}
			reply := e.codeFlow(publicClient, nil)
			if resp := e.backend("/oauth/introspect", url.Values{"token": {reply.AccessToken}}, inBody(publicClient)); resp.status != wantStatus {
				t.Errorf("POST /oauth/introspect = %d, want %d", resp.status, wantStatus)
			}
		})
	}
}

func TestIntrospection(t *testing.T) {
	for _, format := range []AccessTokenFormat{OpaqueAccessTokens, JWTAccessTokens} {
		t.Run("with "+string(format)+" access tokens", func(t *testing.T) {
			testIntrospection(t, format)
		})
	}
}

func testIntrospection(t *testing.T, format AccessTokenFormat) {
	t.Run("a live token of the caller is active, with what a resource server needs", func(t *testing.T) {
		for _, clientID := range []string{publicClient, confidentialClient} {
			e := newTestEnv(t, withIntrospection, withAccessTokens(format))
			reply := e.codeFlow(clientID, nil)
			issued := e.clock.now()
			resp, answer := e.introspect(reply.AccessToken, authFor(clientID))
			want := map[string]any{
				"active":     true,
				"sub":        kari.Sub,
				"scope":      "openid profile email phone",
				"client_id":  clientID,
				"iss":        e.url + "/oauth",
				"aud":        clientID,
				"token_type": "Bearer",
				"iat":        float64(issued.Unix()),
				"exp":        float64(issued.Add(2 * time.Minute).Unix()),
			}
			if resp.status != http.StatusOK || !reflect.DeepEqual(answer, want) {
				t.Errorf("%s: introspection = %d %v, want 200 %v", clientID, resp.status, answer, want)
			}
			if got := resp.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if got := e.srv.Count("introspect"); got != 1 {
				t.Errorf("Count(introspect) = %d, want 1", got)
			}
		}
	})

	inactive := []struct {
		name  string
		spoil func(e *testEnv, r tokenReply) string // returns the token to ask about
	}{
		{"an unknown token", func(*testEnv, tokenReply) string { return "made-up" }},
		{"an expired token", func(e *testEnv, r tokenReply) string {
			e.clock.advance(2*time.Minute + time.Second)
			return r.AccessToken
		}},
		{"a revoked token", func(e *testEnv, r tokenReply) string {
			e.backend("/oauth/revoke", url.Values{"token": {r.AccessToken}}, inBody(publicClient))
			return r.AccessToken
		}},
		{"a token of an ended CONNECT session", func(e *testEnv, r tokenReply) string {
			if err := e.srv.EndSession(e.idTokenClaims(r)["sid"].(string)); err != nil {
				e.t.Fatal(err)
			}
			return r.AccessToken
		}},
		{"a refresh token", func(_ *testEnv, r tokenReply) string { return r.RefreshToken }},
		{"the ID token", func(_ *testEnv, r tokenReply) string { return r.IDToken }},
	}
	for _, tt := range inactive {
		t.Run(tt.name+" is not active", func(t *testing.T) {
			e := newTestEnv(t, withIntrospection, withAccessTokens(format))
			reply := e.codeFlow(publicClient, nil)
			resp, answer := e.in(t).introspect(tt.spoil(e.in(t), reply), inBody(publicClient))
			if resp.status != http.StatusOK || !reflect.DeepEqual(answer, notActive) {
				t.Errorf("introspection = %d %v, want 200 %v", resp.status, answer, notActive)
			}
		})
	}

	t.Run("another client's token is not active for the caller", func(t *testing.T) {
		e := newTestEnv(t, withIntrospection, withAccessTokens(format))
		reply := e.codeFlow(publicClient, nil)
		resp, answer := e.introspect(reply.AccessToken, basic(confidentialClient, clientSecret))
		if resp.status != http.StatusOK || !reflect.DeepEqual(answer, notActive) {
			t.Errorf("introspection by another client = %d %v, want 200 %v", resp.status, answer, notActive)
		}
	})

	t.Run("Faults.IntrospectionOfAnyClient and IntrospectionWithoutAudience answer for another client's token, naming only its client", func(t *testing.T) {
		e := newTestEnv(t, withIntrospection, withAccessTokens(format))
		reply := e.codeFlow(publicClient, nil)
		e.srv.SetFaults(Faults{IntrospectionOfAnyClient: true, IntrospectionWithoutAudience: true})
		resp, answer := e.introspect(reply.AccessToken, basic(confidentialClient, clientSecret))
		if resp.status != http.StatusOK || answer["active"] != true || answer["client_id"] != publicClient || answer["aud"] != nil {
			t.Errorf("introspection by another client = %d %v, want active, client_id %s and no aud", resp.status, answer, publicClient)
		}
	})

	refused := []struct {
		name       string
		auth       func(*http.Request, url.Values)
		wantStatus int
		wantError  string
	}{
		{"no client authentication", nil, http.StatusUnauthorized, "invalid_client"},
		{"a wrong secret", basic(confidentialClient, "wrong"), http.StatusUnauthorized, "invalid_client"},
		{"a confidential client without HTTP Basic", inBody(confidentialClient), http.StatusUnauthorized, "invalid_client"},
		{"a public client with HTTP Basic", basic(publicClient, ""), http.StatusUnauthorized, "invalid_client"},
	}
	for _, tt := range refused {
		t.Run("client authentication is as at the token endpoint: refuses "+tt.name, func(t *testing.T) {
			e := newTestEnv(t, withIntrospection, withAccessTokens(format))
			reply := e.codeFlow(confidentialClient, nil)
			resp, answer := e.introspect(reply.AccessToken, tt.auth)
			if resp.status != tt.wantStatus || answer["error"] != tt.wantError || answer["active"] != nil {
				t.Errorf("introspection = %d %v, want %d with error %s and no active", resp.status, answer, tt.wantStatus, tt.wantError)
			}
		})
	}

	t.Run("a missing token is invalid_request", func(t *testing.T) {
		e := newTestEnv(t, withIntrospection, withAccessTokens(format))
		if resp := e.backend("/oauth/introspect", url.Values{}, inBody(publicClient)); resp.status != http.StatusBadRequest {
			t.Errorf("introspection without token = %d, want 400", resp.status)
		}
	})

	t.Run("Faults.IntrospectionStatus answers with that status", func(t *testing.T) {
		e := newTestEnv(t, withIntrospection, withAccessTokens(format))
		reply := e.codeFlow(publicClient, nil)
		e.srv.SetFaults(Faults{IntrospectionStatus: http.StatusServiceUnavailable})
		resp, answer := e.introspect(reply.AccessToken, inBody(publicClient))
		if resp.status != http.StatusServiceUnavailable || answer["error"] != "temporarily_unavailable" {
			t.Errorf("introspection = %d %v, want 503 temporarily_unavailable", resp.status, answer)
		}
	})
}
