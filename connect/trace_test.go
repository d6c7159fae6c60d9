package connect

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestTrace(t *testing.T) {
	for _, tc := range []struct{ name, secret, auth string }{
		{"confidential client", testSecret, ClientAuthBasic},
		{"public client", "", ClientAuthNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			provider := newTestProvider(t, providerOptions{secret: tc.secret})
			client := provider.newClient(t)
			code, pending := provider.authorize(t, client, AuthOptions{ACRValues: "2", MaxAge: 5 * time.Minute, UILocales: "nb en", LoginHint: "kari.nordmann@example.com"})
			login, err := client.Exchange(t.Context(), code, pending)
			if err != nil {
				t.Fatal(err)
			}
			refreshed, err := client.Refresh(t.Context(), login.Tokens, login.Claims)
			if err != nil {
				t.Fatal(err)
			}
			tr := login.Trace

			t.Run("the authorization request shows every parameter, the random ones by length", func(t *testing.T) {
				if tr.Authorization == nil || tr.Authorization.Endpoint != provider.server.URL+"/oauth/authorize" {
					t.Fatalf("authorization = %+v, want the endpoint from discovery", tr.Authorization)
				}
				shown := map[string]Param{}
				for _, p := range tr.Authorization.Params {
					shown[p.Name] = p
				}
				for name, want := range map[string]Param{
					"response_type":         {Name: "response_type", Value: "code"},
					"client_id":             {Name: "client_id", Value: testClientID},
					"redirect_uri":          {Name: "redirect_uri", Value: testRedirectURL},
					"state":                 {Name: "state", Random: len(pending.State)},
					"nonce":                 {Name: "nonce", Random: len(pending.Nonce)},
					"code_challenge":        {Name: "code_challenge", Random: 43},
					"code_challenge_method": {Name: "code_challenge_method", Value: "S256"},
					"acr_values":            {Name: "acr_values", Value: "2"},
					"max_age":               {Name: "max_age", Value: "300"},
					"ui_locales":            {Name: "ui_locales", Value: "nb en"},
					"login_hint":            {Name: "login_hint", Value: "k***@example.com", Masked: true},
				} {
					if shown[name] != want {
						t.Errorf("%s shown as %+v, want %+v", name, shown[name], want)
					}
				}
			})
			t.Run("the token request says how the client authenticated and what came back", func(t *testing.T) {
				call := tr.Token
				if call.Endpoint != provider.server.URL+"/oauth/token" || call.GrantType != "authorization_code" || call.ClientAuth != tc.auth {
					t.Errorf("token call %s %s %s, want the token endpoint, authorization_code, %s", call.Endpoint, call.GrantType, call.ClientAuth, tc.auth)
				}
				if call.Status != http.StatusOK || call.TokenType != "Bearer" || call.ExpiresIn != 3600 || call.Scope != "openid profile" || call.At.IsZero() {
					t.Errorf("answer %+v, want 200 Bearer 3600 and the granted scope", call)
				}
				want := []TokenLength{{"access_token", len(login.Tokens.AccessToken)}, {"refresh_token", len(login.Tokens.RefreshToken)}, {"id_token", len(login.Tokens.IDToken)}}
				if !slices.Equal(call.Tokens, want) {
					t.Errorf("tokens %v, want %v", call.Tokens, want)
				}
			})
			t.Run("the ID token's checks are listed in the order made", func(t *testing.T) {
				var names []string
				for _, c := range tr.Checks {
					names = append(names, c.Name)
				}
				want := []string{CheckIssuer, CheckAudience, CheckExpiry, CheckSignature, CheckNonce, CheckAZP, CheckIssuedAt, CheckACR, CheckAuthTime, CheckATHash}
				if !slices.Equal(names, want) {
					t.Errorf("checks %v, want %v", names, want)
				}
				if c := tr.Checks[3]; c.Value != "RS256" || c.Want == "" {
					t.Errorf("signature check %+v, want RS256 and the key id", c)
				}
				if c := tr.Checks[8]; c.Want != "300" || c.Value == "" {
					t.Errorf("auth_time check %+v, want its time and max_age 300", c)
				}
			})
			t.Run("the refresh has its own trace, with the same-user check", func(t *testing.T) {
				rt := refreshed.Trace
				if rt.Authorization != nil || rt.Token.GrantType != "refresh_token" || rt.Token.Status != http.StatusOK {
					t.Errorf("refresh trace %+v, want a refresh_token grant answered 200 and no authorization request", rt)
				}
				if len(rt.Checks) == 0 || !slices.ContainsFunc(rt.Checks, func(c Check) bool { return c.Name == CheckSameUser }) ||
					slices.ContainsFunc(rt.Checks, func(c Check) bool { return c.Name == CheckNonce }) {
					t.Errorf("refresh checks %+v, want same_user and no nonce", rt.Checks)
				}
			})
			t.Run("no secret is in either trace", func(t *testing.T) {
				b, _ := json.Marshal([]Trace{login.Trace, refreshed.Trace})
				for what, secret := range map[string]string{
					"state": pending.State, "nonce": pending.Nonce, "verifier": pending.CodeVerifier, "code": code,
					"access token": login.Tokens.AccessToken, "refresh token": login.Tokens.RefreshToken, "ID token": login.Tokens.IDToken,
					"new access token": refreshed.Tokens.AccessToken, "new refresh token": refreshed.Tokens.RefreshToken,
					"login hint": "kari.nordmann",
				} {
					if strings.Contains(string(b), secret) {
						t.Errorf("the %s is in the trace", what)
					}
				}
				if tc.secret != "" && strings.Contains(string(b), tc.secret) {
					t.Error("the client secret is in the trace")
				}
			})
		})
	}
}

func TestMaskLoginHint(t *testing.T) {
	for hint, want := range map[string]string{
		"":                  "",
		"kari@example.com":  "k***@example.com",
		"+4790012345":       "+47***45",
		"12345":             "***",
		"øyvind@example.no": "ø***@example.no",
	} {
		if got := MaskLoginHint(hint); got != want {
			t.Errorf("MaskLoginHint(%q) = %q, want %q", hint, got, want)
		}
	}
}
