package connect

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Every case gets a client of its own, with no keys fetched yet, so each
// passes alone: go test -run 'TestVerifyIDToken/<case>' ./connect/
func TestVerifyIDToken(t *testing.T) {
	provider := newTestProvider(t, providerOptions{secret: testSecret})
	provider.clock.base = time.Now() // one instant for signing and checking
	now := provider.clock.Now()
	valid := provider.idClaims()
	goodKey := provider.signingKey()
	foreignKey := testKey{id: "key-1", key: newRSAKey(t), alg: jose.RS256}
	want := Expectations{Nonce: "the-nonce", ACR: "2", MaxAge: 5 * time.Minute}

	tests := []struct {
		name    string
		token   string
		want    Expectations
		wantErr error  // our own checks
		wantMsg string // go-oidc's checks, wrapped in ErrIDTokenInvalid
	}{
		{name: "a valid token is accepted", token: signWith(t, goodKey, "JWT", valid), want: want},
		{name: "a signature by another key under the real kid is rejected", token: signWith(t, foreignKey, "JWT", valid), want: want, wantErr: ErrIDTokenInvalid, wantMsg: "failed to verify signature"},
		{name: "alg none is rejected", token: unsigned("JWT", valid), want: want, wantErr: ErrIDTokenInvalid, wantMsg: "malformed jwt"},
		{name: "HS256 keyed with the client secret is rejected", token: signWith(t, testKey{id: "key-1", key: []byte(testSecret + testSecret), alg: jose.HS256}, "JWT", valid), want: want, wantErr: ErrIDTokenInvalid, wantMsg: "malformed jwt"},
		{name: "an ES256 token from an unknown key is rejected", token: signWith(t, testKey{id: "key-2", key: newECKey(t), alg: jose.ES256}, "JWT", valid), want: want, wantErr: ErrIDTokenInvalid, wantMsg: "no key of CONNECT's verifies"},
		{name: "a kid CONNECT does not publish is rejected", token: signWith(t, testKey{id: "rotated-key", key: newRSAKey(t), alg: jose.RS256}, "JWT", valid), want: want, wantErr: ErrIDTokenInvalid, wantMsg: "no key of CONNECT's verifies"},
		{name: "another issuer is rejected", token: signWith(t, goodKey, "JWT", with(valid, map[string]any{"iss": "https://evil.example/oauth"})), want: want, wantErr: ErrIDTokenInvalid, wantMsg: "issued by a different provider"},
		{name: "an audience without this client is rejected", token: signWith(t, goodKey, "JWT", with(valid, map[string]any{"aud": "other-client"})), want: want, wantErr: ErrIDTokenInvalid, wantMsg: "expected audience"},
		{name: "an extra untrusted audience is rejected", token: signWith(t, goodKey, "JWT", with(valid, map[string]any{"aud": []string{testClientID, "other-client"}, "azp": testClientID})), want: want, wantErr: ErrUntrustedAudience},
		{name: "azp naming another client is rejected", token: signWith(t, goodKey, "JWT", with(valid, map[string]any{"azp": "other-client"})), want: want, wantErr: ErrAuthorizedParty},
		{name: "an expired token is rejected", token: signWith(t, goodKey, "JWT", with(valid, map[string]any{"exp": now.Add(-5 * time.Minute).Unix()})), want: want, wantErr: ErrIDTokenInvalid, wantMsg: "token is expired"},
		{name: "a token expired within the clock skew is accepted", token: signWith(t, goodKey, "JWT", with(valid, map[string]any{"exp": now.Add(-30 * time.Second).Unix()})), want: want},
		{name: "a missing nonce is rejected", token: signWith(t, goodKey, "JWT", with(valid, map[string]any{"nonce": nil})), want: want, wantErr: ErrNonceMismatch},
		{name: "a different nonce is rejected", token: signWith(t, goodKey, "JWT", with(valid, map[string]any{"nonce": "another-nonce"})), want: want, wantErr: ErrNonceMismatch},
		{name: "a missing sub is rejected", token: signWith(t, goodKey, "JWT", with(valid, map[string]any{"sub": nil})), want: want, wantErr: ErrMissingSubject},
		{name: "iat in the future is rejected", token: signWith(t, goodKey, "JWT", with(valid, map[string]any{"iat": now.Add(10 * time.Minute).Unix()})), want: want, wantErr: ErrIssuedAt},
		{name: "iat long ago is rejected", token: signWith(t, goodKey, "JWT", with(valid, map[string]any{"iat": now.Add(-time.Hour).Unix()})), want: want, wantErr: ErrIssuedAt},
		{name: "acr below the requested level is rejected", token: signWith(t, goodKey, "JWT", with(valid, map[string]any{"acr": "1"})), want: want, wantErr: ErrInsufficientACR},
		{name: "auth_time older than max_age is rejected", token: signWith(t, goodKey, "JWT", with(valid, map[string]any{"auth_time": now.Add(-time.Hour).Unix()})), want: want, wantErr: ErrAuthTimeTooOld},
		{name: "a missing auth_time is rejected when max_age was sent", token: signWith(t, goodKey, "JWT", with(valid, map[string]any{"auth_time": nil})), want: want, wantErr: ErrAuthTimeTooOld},
		{name: "a missing auth_time is fine when max_age was not sent", token: signWith(t, goodKey, "JWT", with(valid, map[string]any{"auth_time": nil})), want: Expectations{Nonce: "the-nonce"}},
		{name: "another user than the session's is rejected on refresh", token: signWith(t, goodKey, "JWT", with(valid, map[string]any{"sub": "310000000002", "nonce": nil})), want: Expectations{Previous: &Claims{Issuer: provider.issuer, Subject: testSubject, Audience: audience{testClientID}}}, wantErr: ErrSubjectChanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := provider.newClient(t)
			claims, err := client.VerifyIDToken(t.Context(), tt.token, tt.want)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("VerifyIDToken: %v, want success", err)
				}
				if claims.Subject != testSubject || claims.SessionID != "connect-session-1" || !claims.ShortLivedSession || claims.ACR != "2" || claims.AMR[0] != "UID_PWD" {
					t.Errorf("claims = %+v, want sub, sid, td_sls, acr and amr from the token", claims)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("VerifyIDToken error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantMsg != "" && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("VerifyIDToken error = %q, want it to mention %q", err, tt.wantMsg)
			}
			var claimErr *ClaimError
			if errors.As(err, &claimErr) && (claimErr.Detail == "" || !strings.HasPrefix(claimErr.Error(), claimErr.Err.Error())) {
				t.Errorf("ClaimError %q: want the sentinel's text and a detail", claimErr.Error())
			}
		})
	}
}

func TestMeetsAppliesTheCallbacksRule(t *testing.T) {
	provider := newTestProvider(t, providerOptions{})
	client := provider.newClient(t)
	now := provider.clock.Now()
	recent := Claims{ACR: "2", AuthTime: NumericDate(now.Add(-2 * time.Minute).Unix())}
	for _, tc := range []struct {
		name   string
		claims Claims
		acr    string
		maxAge time.Duration
		want   bool
	}{
		{"LoA2 two minutes ago meets LoA2 within five minutes", recent, "2", 5 * time.Minute, true},
		{"LoA1 does not meet LoA2", Claims{ACR: "1", AuthTime: recent.AuthTime}, "2", 0, false},
		{"an acr that is no number meets nothing", Claims{ACR: "high"}, "1", 0, false},
		{"two minutes ago is too old for 30 s, a minute of skew included", recent, "2", 30 * time.Second, false},
		{"no auth_time fails any max_age", Claims{ACR: "2"}, "2", time.Hour, false},
		{"nothing asked is always met", Claims{}, "", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := client.Meets(tc.claims, tc.acr, tc.maxAge); got != tc.want {
				t.Errorf("Meets(acr %q, auth_time %v; %q, %s) = %v, want %v", tc.claims.ACR, tc.claims.AuthTime.Time(), tc.acr, tc.maxAge, got, tc.want)
			}
		})
	}
}

func TestClaimsDecodeBothFormsOfAudAndFractionalDates(t *testing.T) {
	var c Claims
	if err := json.Unmarshal([]byte(`{"aud":"one","iat":1700000000.5,"exp":1700003600}`), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Audience) != 1 || c.Audience[0] != "one" || c.IssuedAt.Time().Unix() != 1700000000 {
		t.Errorf("got aud %v iat %v, want [one] and 1700000000", c.Audience, c.IssuedAt.Time().Unix())
	}
	if err := json.Unmarshal([]byte(`{"aud":["one","two"]}`), &c); err != nil || len(c.Audience) != 2 {
		t.Errorf("aud as an array: %v %v, want two audiences", c.Audience, err)
	}
	if !NumericDate(0).Time().IsZero() {
		t.Error("NumericDate(0).Time() is not the zero time")
	}
	if err := json.Unmarshal([]byte(`{"iat":"yesterday"}`), &c); err == nil {
		t.Error("a string iat was accepted")
	}
}

func TestClaimsOfReadsAVerifiedTokenBack(t *testing.T) {
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"https://connect.example/oauth","sub":"42","aud":"web","acr":"2","td_sls":true}`))
	c, err := ClaimsOf("eyJhbGciOiJSUzI1NiJ9." + payload + ".signature-not-checked")
	if err != nil || c.Issuer != "https://connect.example/oauth" || c.Subject != "42" || c.Audience[0] != "web" || c.ACR != "2" || !c.ShortLivedSession {
		t.Fatalf("ClaimsOf = %+v, %v; want the payload's claims", c, err)
	}
	for _, bad := range []string{"", "one.two", "a.%%%.c", "a." + base64.RawURLEncoding.EncodeToString([]byte("not json")) + ".c"} {
		if _, err := ClaimsOf(bad); !errors.Is(err, ErrIDTokenInvalid) {
			t.Errorf("ClaimsOf(%q) = %v, want ErrIDTokenInvalid", bad, err)
		}
	}
}

func TestNewRefusesWhatCannotWork(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"scopes without openid", Config{Issuer: "https://connect.example/oauth", ClientID: "c", RedirectURL: "https://app.example/cb", Scopes: []string{"profile"}}, "openid"},
		{"no client id", Config{Issuer: "https://connect.example/oauth", RedirectURL: "https://app.example/cb", Scopes: []string{"openid"}}, "required"},
		{"a relative end-session endpoint", Config{Issuer: "https://connect.example/oauth", ClientID: "c", RedirectURL: "https://app.example/cb", Scopes: []string{"openid"}, EndSessionEndpoint: "/logout"}, "absolute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}
