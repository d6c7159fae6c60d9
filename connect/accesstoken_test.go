package connect

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

const testAudience = "https://api.example.com"

func TestAccessTokenByIntrospection(t *testing.T) {
	for _, tc := range []struct{ name, secret string }{
		{"confidential client", testSecret},
		{"public client", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			provider := newTestProvider(t, providerOptions{secret: tc.secret, introspection: true})
			client := provider.newClient(t)
			login, err := provider.logIn(t, client, AuthOptions{})
			if err != nil {
				t.Fatal(err)
			}
			token := login.Tokens.AccessToken

			path, err := client.AccessTokenPath(t.Context(), token)
			if err != nil || path != ByIntrospection || !path.ReachesCONNECT() {
				t.Fatalf("AccessTokenPath = %q, %v; want introspection, which reaches CONNECT", path, err)
			}
			got, err := client.ValidateAccessToken(t.Context(), token, AccessTokenPolicy{Audience: testAudience})
			if err != nil {
				t.Fatalf("ValidateAccessToken: %v", err)
			}
			if got.Path != ByIntrospection || got.Subject != testSubject || got.Scope != "openid profile" || got.ClientID != testClientID || got.Expiry.IsZero() {
				t.Errorf("got %+v, want sub, scope, client_id and exp from introspection", got)
			}
			t.Run("the provider received the token, with the client's authentication", func(t *testing.T) {
				asked := provider.requests("introspect")
				if len(asked) != 1 || asked[0].form.Get("token") != token || asked[0].form.Get("token_type_hint") != "access_token" {
					t.Fatalf("introspection calls %d, want one with the token and its hint", len(asked))
				}
				wantClientAuthentication(t, asked[0], tc.secret)
			})
			t.Run("a revoked token is invalid", func(t *testing.T) {
				if err := client.Revoke(t.Context(), token, "access_token"); err != nil {
					t.Fatal(err)
				}
				if _, err := client.ValidateAccessToken(t.Context(), token, AccessTokenPolicy{Audience: testAudience}); !errors.Is(err, ErrInvalidAccessToken) {
					t.Errorf("ValidateAccessToken after revocation = %v, want ErrInvalidAccessToken", err)
				}
			})
			t.Run("an expired token is invalid", func(t *testing.T) {
				login, err := provider.logIn(t, client, AuthOptions{})
				if err != nil {
					t.Fatal(err)
				}
				provider.clock.Advance(2 * time.Hour)
				defer provider.clock.Advance(-2 * time.Hour)
				if _, err := client.ValidateAccessToken(t.Context(), login.Tokens.AccessToken, AccessTokenPolicy{Audience: testAudience}); !errors.Is(err, ErrInvalidAccessToken) {
					t.Errorf("ValidateAccessToken of an expired token = %v, want ErrInvalidAccessToken", err)
				}
			})
			t.Run("a JWT access token goes to introspection too", func(t *testing.T) {
				jwt := provider.sign("at+jwt", provider.accessClaims(testAudience))
				if path, err := client.AccessTokenPath(t.Context(), jwt); err != nil || path != ByIntrospection {
					t.Errorf("path %q, %v; want introspection first", path, err)
				}
				before := len(provider.requests("introspect"))
				client.ValidateAccessToken(t.Context(), jwt, AccessTokenPolicy{Audience: testAudience})
				if asked := len(provider.requests("introspect")) - before; asked != 1 {
					t.Errorf("introspection asked %d times for a JWT access token, want 1", asked)
				}
			})
			t.Run("an answer that names another audience is invalid, one that names this API valid", func(t *testing.T) {
				login, err := provider.logIn(t, client, AuthOptions{})
				if err != nil {
					t.Fatal(err)
				}
				defer provider.setAlterAnswer(nil)
				provider.setAlterAnswer(func(a, _ map[string]any) { a["aud"] = []string{"https://other-api.example"} })
				if _, err := client.ValidateAccessToken(t.Context(), login.Tokens.AccessToken, AccessTokenPolicy{Audience: testAudience}); !errors.Is(err, ErrInvalidAccessToken) {
					t.Errorf("ValidateAccessToken for another audience = %v, want ErrInvalidAccessToken", err)
				}
				provider.setAlterAnswer(func(a, _ map[string]any) { a["aud"] = testAudience })
				if _, err := client.ValidateAccessToken(t.Context(), login.Tokens.AccessToken, AccessTokenPolicy{Audience: testAudience}); err != nil {
					t.Errorf("ValidateAccessToken for this API = %v, want it valid", err)
				}
			})
			t.Run("an answer without aud must name an allowed client", func(t *testing.T) {
				login, err := provider.logIn(t, client, AuthOptions{})
				if err != nil {
					t.Fatal(err)
				}
				token := login.Tokens.AccessToken
				defer provider.setAlterAnswer(nil)
				for _, tt := range []struct {
					name     string
					clientID any // nil: no client_id in the answer
					policy   AccessTokenPolicy
					ok       bool
				}{
					{"this client, allowed by default", testClientID, AccessTokenPolicy{Audience: testAudience}, true},
					{"another client, not allowed by default", "partner-mobile", AccessTokenPolicy{Audience: testAudience}, false},
					{"another client, allowed", "partner-mobile", AccessTokenPolicy{Audience: testAudience, AllowedClients: []string{testClientID, "partner-mobile"}}, true},
					{"this client, when only others are allowed", testClientID, AccessTokenPolicy{Audience: testAudience, AllowedClients: []string{"partner-mobile"}}, false},
					{"no client at all", nil, AccessTokenPolicy{Audience: testAudience, AllowedClients: []string{""}}, false},
				} {
					provider.setAlterAnswer(func(a, _ map[string]any) {
						delete(a, "aud")
						a["client_id"] = tt.clientID
						if tt.clientID == nil {
							delete(a, "client_id")
						}
					})
					_, err := client.ValidateAccessToken(t.Context(), token, tt.policy)
					if tt.ok && err != nil {
						t.Errorf("%s: ValidateAccessToken = %v, want it valid", tt.name, err)
					}
					if !tt.ok && !errors.Is(err, ErrInvalidAccessToken) {
						t.Errorf("%s: ValidateAccessToken = %v, want ErrInvalidAccessToken", tt.name, err)
					}
				}
			})
			t.Run("an answer that names this API is valid whoever the client", func(t *testing.T) {
				login, err := provider.logIn(t, client, AuthOptions{})
				if err != nil {
					t.Fatal(err)
				}
				defer provider.setAlterAnswer(nil)
				provider.setAlterAnswer(func(a, _ map[string]any) { a["aud"] = testAudience; a["client_id"] = "partner-mobile" })
				if _, err := client.ValidateAccessToken(t.Context(), login.Tokens.AccessToken, AccessTokenPolicy{Audience: testAudience}); err != nil {
					t.Errorf("ValidateAccessToken = %v, want it valid: aud says it is for this API", err)
				}
			})
			t.Run("an active answer that names nobody is not trusted", func(t *testing.T) {
				login, err := provider.logIn(t, client, AuthOptions{})
				if err != nil {
					t.Fatal(err)
				}
				defer provider.setAlterAnswer(nil)
				provider.setAlterAnswer(func(a, _ map[string]any) { delete(a, "sub") })
				if _, err := client.ValidateAccessToken(t.Context(), login.Tokens.AccessToken, AccessTokenPolicy{Audience: testAudience}); !errors.Is(err, ErrBadResponse) {
					t.Errorf("ValidateAccessToken with no sub = %v, want ErrBadResponse", err)
				}
			})
			t.Run("CONNECT's refusal of the client is its own error, not an invalid token", func(t *testing.T) {
				wrong := provider.newClient(t, func(c *Config) { c.ClientSecret = "wrong"; c.ClientID = "someone-else" })
				var pe *ProviderError
				_, err := wrong.ValidateAccessToken(t.Context(), token, AccessTokenPolicy{Audience: testAudience})
				if !errors.As(err, &pe) || pe.Code != "invalid_client" || errors.Is(err, ErrInvalidAccessToken) {
					t.Errorf("ValidateAccessToken by an unknown client = %v, want an invalid_client ProviderError", err)
				}
			})
			t.Run("an introspection outage is ErrUnavailable", func(t *testing.T) {
				provider.fail("introspect", http.StatusServiceUnavailable)
				defer provider.fail("introspect", 0)
				if _, err := client.ValidateAccessToken(t.Context(), token, AccessTokenPolicy{Audience: testAudience}); !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrInvalidAccessToken) {
					t.Errorf("ValidateAccessToken = %v, want ErrUnavailable", err)
				}
			})
		})
	}
}

func TestAccessTokenAsAJWT(t *testing.T) {
	provider := newTestProvider(t, providerOptions{secret: testSecret})
	provider.clock.base = time.Now()
	now := provider.clock.Now()
	valid := provider.accessClaims(testAudience)
	key := provider.signingKey()

	tests := []struct {
		name     string
		token    string
		audience string
		ok       bool
	}{
		{"a valid token is accepted", signWith(t, key, "at+jwt", valid), testAudience, true},
		{"the media type application/at+jwt, in any case, is the same", signWith(t, key, "application/AT+JWT", valid), testAudience, true},
		{"the audience defaults to the client id", signWith(t, key, "at+jwt", with(valid, map[string]any{"aud": testClientID})), "", true},
		{"one of several audiences is enough", signWith(t, key, "at+jwt", with(valid, map[string]any{"aud": []string{"other", testAudience}})), testAudience, true},
		{"a token expired within the clock skew is accepted", signWith(t, key, "at+jwt", with(valid, map[string]any{"exp": now.Add(-30 * time.Second).Unix()})), testAudience, true},
		{"an expired token is refused", signWith(t, key, "at+jwt", with(valid, map[string]any{"exp": now.Add(-5 * time.Minute).Unix()})), testAudience, false},
		{"a token without exp is refused", signWith(t, key, "at+jwt", with(valid, map[string]any{"exp": nil})), testAudience, false},
		{"a token for another audience is refused", signWith(t, key, "at+jwt", with(valid, map[string]any{"aud": "https://other-api.example.com"})), testAudience, false},
		{"a token from another issuer is refused", signWith(t, key, "at+jwt", with(valid, map[string]any{"iss": "https://evil.example/oauth"})), testAudience, false},
		{"a token without sub is refused", signWith(t, key, "at+jwt", with(valid, map[string]any{"sub": nil})), testAudience, false},
		{"a forged signature under the real kid is refused", signWith(t, testKey{id: key.id, key: newRSAKey(t), alg: jose.RS256}, "at+jwt", valid), testAudience, false},
		{"a token under an unknown kid is refused", signWith(t, testKey{id: "made-up", key: newECKey(t), alg: jose.ES256}, "at+jwt", valid), testAudience, false},
		{"an unsigned token is refused", unsigned("at+jwt", valid), testAudience, false},
		{"HS256 keyed with the client secret is refused", signWith(t, testKey{id: key.id, key: []byte(testSecret + testSecret), alg: jose.HS256}, "at+jwt", valid), testAudience, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := provider.newClient(t)
			if path, _ := client.AccessTokenPath(t.Context(), tt.token); path != ByJWT || path.ReachesCONNECT() {
				t.Fatalf("path %q, want jwt, which does not reach CONNECT per token", path)
			}
			before := len(provider.requests("userinfo"))
			got, err := client.ValidateAccessToken(t.Context(), tt.token, AccessTokenPolicy{Audience: tt.audience})
			if n := len(provider.requests("userinfo")) - before; n != 0 {
				t.Errorf("userinfo called %d times, want none on the JWT path", n)
			}
			if !tt.ok {
				if !errors.Is(err, ErrInvalidAccessToken) || errors.Is(err, ErrUnavailable) {
					t.Fatalf("ValidateAccessToken = %v, want ErrInvalidAccessToken only", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ValidateAccessToken: %v, want success", err)
			}
			if got.Path != ByJWT || got.Subject != testSubject || got.Scope != "openid profile" || got.ClientID != testClientID || got.Expiry.IsZero() {
				t.Errorf("got %+v, want sub, scope, client_id and exp from the token", got)
			}
		})
	}
	t.Run("an ID token is not an access token: it goes to userinfo, which refuses it", func(t *testing.T) {
		client := provider.newClient(t)
		idToken := provider.sign("JWT", with(provider.idClaims(), map[string]any{"aud": testAudience}))
		if path, _ := client.AccessTokenPath(t.Context(), idToken); path != ByUserInfo {
			t.Fatalf("path %q, want userinfo", path)
		}
		if _, err := client.ValidateAccessToken(t.Context(), idToken, AccessTokenPolicy{Audience: testAudience, AllowUserInfo: true}); !errors.Is(err, ErrInvalidAccessToken) {
			t.Errorf("ValidateAccessToken of an ID token = %v, want ErrInvalidAccessToken", err)
		}
	})
	t.Run("unknown kids cause at most one key fetch per interval", func(t *testing.T) {
		client := provider.newClient(t)
		before := provider.fetches.Load()
		for i := range 50 {
			forged := signWith(t, testKey{id: randomValue()[:8], key: newECKey(t), alg: jose.ES256}, "at+jwt", valid)
			if _, err := client.ValidateAccessToken(t.Context(), forged, AccessTokenPolicy{Audience: testAudience}); !errors.Is(err, ErrInvalidAccessToken) {
				t.Fatalf("forged token %d: %v, want ErrInvalidAccessToken", i+1, err)
			}
		}
		if n := provider.fetches.Load() - before; n != 1 {
			t.Errorf("key set fetched %d times for 50 forged tokens within one interval, want 1", n)
		}
	})
	t.Run("keys that cannot be fetched are ErrUnavailable", func(t *testing.T) {
		client := provider.newClient(t)
		provider.fail("jwks", http.StatusServiceUnavailable)
		defer provider.fail("jwks", 0)
		if _, err := client.ValidateAccessToken(t.Context(), signWith(t, key, "at+jwt", valid), AccessTokenPolicy{Audience: testAudience}); !errors.Is(err, ErrUnavailable) {
			t.Errorf("ValidateAccessToken = %v, want ErrUnavailable", err)
		}
	})
}

// withUserInfo is a policy that lets userinfo decide.
var withUserInfo = AccessTokenPolicy{Audience: testAudience, AllowUserInfo: true}

func TestAccessTokenByUserInfo(t *testing.T) {
	provider := newTestProvider(t, providerOptions{secret: testSecret})
	client := provider.newClient(t)
	login, err := provider.logIn(t, client, AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	token := login.Tokens.AccessToken
	if path, _ := client.AccessTokenPath(t.Context(), token); path != ByUserInfo || !path.ReachesCONNECT() {
		t.Fatalf("path %q, want userinfo, which reaches CONNECT", path)
	}
	got, err := client.ValidateAccessToken(t.Context(), token, withUserInfo)
	if err != nil {
		t.Fatalf("ValidateAccessToken: %v", err)
	}
	if got.Path != ByUserInfo || got.Subject != testSubject || got.Scope != "" || !got.Expiry.IsZero() {
		t.Errorf("got %+v, want sub only: scope and exp are unknown on this path", got)
	}
	if asked := provider.requests("userinfo"); len(asked) != 1 || asked[0].header.Get("Authorization") != "Bearer "+token {
		t.Errorf("userinfo asked %d times, want once with the token as Bearer", len(asked))
	}
	t.Run("a revoked token is invalid", func(t *testing.T) {
		if err := client.Revoke(t.Context(), token, "access_token"); err != nil {
			t.Fatal(err)
		}
		if _, err := client.ValidateAccessToken(t.Context(), token, withUserInfo); !errors.Is(err, ErrInvalidAccessToken) {
			t.Errorf("ValidateAccessToken = %v, want ErrInvalidAccessToken", err)
		}
	})
	t.Run("a userinfo outage is ErrUnavailable", func(t *testing.T) {
		provider.fail("userinfo", http.StatusServiceUnavailable)
		defer provider.fail("userinfo", 0)
		if _, err := client.ValidateAccessToken(t.Context(), token, withUserInfo); !errors.Is(err, ErrUnavailable) {
			t.Errorf("ValidateAccessToken = %v, want ErrUnavailable", err)
		}
	})
	t.Run("a policy without userinfo refuses the token, without asking CONNECT", func(t *testing.T) {
		login, err := provider.logIn(t, client, AuthOptions{})
		if err != nil {
			t.Fatal(err)
		}
		before := len(provider.requests("userinfo"))
		if _, err := client.ValidateAccessToken(t.Context(), login.Tokens.AccessToken, AccessTokenPolicy{Audience: testAudience}); !errors.Is(err, ErrInvalidAccessToken) {
			t.Errorf("ValidateAccessToken without AllowUserInfo = %v, want ErrInvalidAccessToken", err)
		}
		if len(provider.requests("userinfo")) != before {
			t.Error("userinfo was asked although the policy does not allow it")
		}
	})
	t.Run("no token is invalid, without asking CONNECT", func(t *testing.T) {
		before := len(provider.requests("userinfo"))
		if _, err := client.ValidateAccessToken(t.Context(), "", withUserInfo); !errors.Is(err, ErrInvalidAccessToken) {
			t.Errorf("ValidateAccessToken(\"\") = %v, want ErrInvalidAccessToken", err)
		}
		if len(provider.requests("userinfo")) != before {
			t.Error("userinfo was asked about an empty token")
		}
	})
}
