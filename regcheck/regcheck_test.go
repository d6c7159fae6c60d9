package regcheck_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telenordigital/connect-web-sample/handlers"
	"github.com/telenordigital/connect-web-sample/localconnect"
	"github.com/telenordigital/connect-web-sample/regcheck"
)

const (
	clientID    = "sample-web"
	secret      = "the-registered-secret"
	appURL      = "http://localhost:8081"
	redirectURL = appURL + "/connect/oauth2callback"
)

// signingKey is made once per test binary: an RSA key costs more than a
// test.
var signingKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// standIn starts a stand-in with the app's client registered as a
// confidential client on appURL, the way the partner registered it.
func standIn(t *testing.T) *localconnect.Server {
	t.Helper()
	server := httptest.NewServer(nil)
	t.Cleanup(server.Close)
	provider, err := localconnect.New(localconnect.Options{
		Issuer: server.URL + "/oauth",
		Clients: []localconnect.Client{{
			ID: clientID, Secret: secret,
			RedirectURIs:           []string{redirectURL},
			PostLogoutRedirectURIs: []string{appURL + "/connect/logoutcallback"},
		}},
		SigningKey: signingKey(),
	})
	if err != nil {
		t.Fatal(err)
	}
	server.Config.Handler = provider
	return provider
}

// options are the app's settings, right for the stand-in's registration.
func options(issuer string) regcheck.Options {
	return regcheck.Options{
		Issuer:               issuer,
		StandIn:              true,
		ClientID:             clientID,
		ClientSecret:         secret,
		RedirectURL:          redirectURL,
		BaseURL:              appURL,
		BackchannelLogoutURL: appURL + "/connect/backchannellogout",
		Scopes:               []string{"openid", "profile", "email", "phone"},
		PingRedis:            func(context.Context) error { return nil },
	}
}

// report is the lines as `check` prints them, for failure messages.
func report(lines []regcheck.Line) string { return handlers.CheckReport("en", lines) }

// find returns the line with key.
func find(lines []regcheck.Line, key string) (regcheck.Line, bool) {
	i := slices.IndexFunc(lines, func(l regcheck.Line) bool { return l.Key == key })
	if i < 0 {
		return regcheck.Line{}, false
	}
	return lines[i], true
}

func TestEverythingPassesWithTheRightSettings(t *testing.T) {
	provider := standIn(t)
	lines := regcheck.Run(t.Context(), options(provider.Issuer()))

	for _, l := range lines {
		if l.Status != regcheck.Pass && l.Key != "check.standin" {
			t.Errorf("%s is %s, want every line but the stand-in's note to pass:\n%s", l.Key, l.Status, report(lines))
		}
	}
	for _, key := range []string{"check.discovery.ok", "check.issuer.ok", "check.endpoints.ok", "check.keys.ok",
		"check.client.ok_confidential", "check.redirect.ok", "check.scopes.ok", "check.clock.ok",
		"check.redis.ok", "check.secret.ok", "check.base_url.local"} {
		if _, ok := find(lines, key); !ok {
			t.Errorf("no %s line:\n%s", key, report(lines))
		}
	}
	if n := regcheck.Failed(lines); n != 0 {
		t.Errorf("Failed = %d, want 0", n)
	}
	t.Run("and the client was checked with its secret, by HTTP Basic", func(t *testing.T) {
		reqs := provider.Requests("token")
		if len(reqs) != 1 {
			t.Fatalf("the token endpoint got %d requests, want 1", len(reqs))
		}
		if id, got, ok := (&http.Request{Header: reqs[0].Header}).BasicAuth(); !ok || id != clientID || got != secret {
			t.Errorf("the token request's Basic credentials are %q, %v; want the client's", id, ok)
		}
	})
}

// TestEachMistakeHasItsOwnLine runs the check against each mistake a
// partner makes first, and wants one ✗ line for it, naming what to change.
func TestEachMistakeHasItsOwnLine(t *testing.T) {
	tests := []struct {
		name    string
		faults  func(issuer string) localconnect.Faults
		options func(o *regcheck.Options)
		wantKey string
		// wantWords is in the line's English: the setting or the fix.
		wantWords string
	}{
		{name: "a wrong client secret",
			options: func(o *regcheck.Options) { o.ClientSecret = "not-the-registered-one" },
			wantKey: "check.client.refused_confidential", wantWords: "CONNECT_CLIENT_SECRET"},
		{name: "a wrong client id",
			options: func(o *regcheck.Options) { o.ClientID = "someone-else" },
			wantKey: "check.client.refused_confidential", wantWords: "CONNECT_CLIENT_ID"},
		{name: "a confidential client sending no secret",
			options: func(o *regcheck.Options) { o.ClientSecret = "" },
			wantKey: "check.client.refused_public", wantWords: "CONNECT_CLIENT_SECRET"},
		{name: "an unregistered redirect URI",
			options: func(o *regcheck.Options) { o.RedirectURL = "http://localhost:9000/connect/oauth2callback" },
			wantKey: "check.redirect.refused", wantWords: "APP_BASE_URL"},
		{name: "an issuer with a trailing slash",
			faults:  func(issuer string) localconnect.Faults { return localconnect.Faults{DiscoveryIssuer: issuer + "/"} },
			wantKey: "check.issuer.trailing_slash", wantWords: "CONNECT_ISSUER"},
		{name: "an issuer without /oauth",
			faults: func(issuer string) localconnect.Faults {
				return localconnect.Faults{DiscoveryIssuer: strings.TrimSuffix(issuer, "/oauth")}
			},
			wantKey: "check.issuer.oauth", wantWords: "CONNECT_ISSUER"},
		{name: "a clock five minutes off",
			faults:  func(string) localconnect.Faults { return localconnect.Faults{ClockSkew: 5 * time.Minute} },
			wantKey: "check.clock.ahead", wantWords: "clock right (NTP)"},
		{name: "a scope the client may not ask for",
			faults:  func(string) localconnect.Faults { return localconnect.Faults{UnsupportedScopes: []string{"phone"}} },
			wantKey: "check.scopes.unsupported", wantWords: "CONNECT_SCOPES"},
		{name: "a level of assurance CONNECT does not offer",
			options: func(o *regcheck.Options) { o.ACRValues = "3" },
			wantKey: "check.acr.unsupported", wantWords: "CONNECT_ACR_VALUES"},
		{name: "plain http on a public host",
			options: func(o *regcheck.Options) { o.BaseURL = "http://app.example.com" },
			wantKey: "check.base_url.insecure", wantWords: "https"},
		{name: "Redis not answering",
			options: func(o *regcheck.Options) {
				o.PingRedis = func(context.Context) error { return context.DeadlineExceeded }
			},
			wantKey: "check.redis.failed", wantWords: "REDIS_URL"},
		{name: "a setting the configuration refused",
			options: func(o *regcheck.Options) {
				o.Problems = []regcheck.Problem{{Variable: "SESSION_IDLE_TIMEOUT", Message: "must be a duration"}}
			},
			wantKey: "check.config", wantWords: "SESSION_IDLE_TIMEOUT: must be a duration"},
		{name: "a weak session secret",
			options: func(o *regcheck.Options) {
				o.Problems = []regcheck.Problem{{Variable: "SESSION_SECRET", Message: "has only 3 different bytes"}}
			},
			wantKey: "check.secret.refused", wantWords: "SESSION_SECRET has only 3 different bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is one ✗ line naming what to change", func(t *testing.T) {
			provider := standIn(t)
			if tt.faults != nil {
				provider.SetFaults(tt.faults(provider.Issuer()))
			}
			o := options(provider.Issuer())
			if tt.options != nil {
				tt.options(&o)
			}
			lines := regcheck.Run(t.Context(), o)
			out := report(lines)
			line, ok := find(lines, tt.wantKey)
			if !ok || line.Status != regcheck.Fail {
				t.Fatalf("no ✗ %s line:\n%s", tt.wantKey, out)
			}
			if text := handlers.CheckReport("en", []regcheck.Line{line}); !strings.Contains(text, tt.wantWords) {
				t.Errorf("the line reads %q, want it to name %q", text, tt.wantWords)
			}
			if regcheck.Failed(lines) == 0 {
				t.Errorf("Failed = 0, want the check to fail")
			}
			if strings.Contains(out, secret) {
				t.Errorf("the report shows the client secret:\n%s", out)
			}
		})
	}
}

func TestAProviderWithoutRevocationOrEndSessionPassesWithTwoNotes(t *testing.T) {
	provider := standIn(t)
	provider.SetFaults(localconnect.Faults{NoRevocation: true, NoEndSession: true})
	lines := regcheck.Run(t.Context(), options(provider.Issuer()))
	if n := regcheck.Failed(lines); n != 0 {
		t.Errorf("Failed = %d, want 0:\n%s", n, report(lines))
	}
	for _, key := range []string{"check.endpoints.no_revocation", "check.endpoints.no_end_session"} {
		if l, ok := find(lines, key); !ok || l.Status != regcheck.Note {
			t.Errorf("no note %s:\n%s", key, report(lines))
		}
	}
}

func TestAClockHalfAMinuteOffIsAWarning(t *testing.T) {
	provider := standIn(t)
	provider.SetFaults(localconnect.Faults{ClockSkew: -45 * time.Second})
	lines := regcheck.Run(t.Context(), options(provider.Issuer()))
	if l, ok := find(lines, "check.clock.skewed"); !ok || l.Status != regcheck.Warning {
		t.Errorf("no clock warning:\n%s", report(lines))
	}
	if n := regcheck.Failed(lines); n != 0 {
		t.Errorf("Failed = %d, want 0: a warning does not fail the check", n)
	}
}

// TestTheSecretGoesOnlyToTheConfiguredIssuer: a discovery document whose
// issuer is not CONNECT_ISSUER, or whose token endpoint is elsewhere, may
// not be CONNECT's, and gets neither the secret nor any token request.
func TestTheSecretGoesOnlyToTheConfiguredIssuer(t *testing.T) {
	t.Run("not when discovery's issuer differs", func(t *testing.T) {
		provider := standIn(t)
		provider.SetFaults(localconnect.Faults{DiscoveryIssuer: provider.Issuer() + "/"})
		lines := regcheck.Run(t.Context(), options(provider.Issuer()))
		if l, ok := find(lines, "check.client.not_sent_issuer"); !ok || l.Status != regcheck.Fail {
			t.Errorf("no ✗ line saying the credentials were not sent:\n%s", report(lines))
		}
		if n := provider.Count("token"); n != 0 {
			t.Errorf("the token endpoint got %d requests, want none", n)
		}
	})

	t.Run("not to a token endpoint on another host", func(t *testing.T) {
		var elsewhere []*http.Request
		var mu sync.Mutex
		collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			elsewhere = append(elsewhere, r)
		}))
		t.Cleanup(collector.Close)
		issuer := fakeProvider(t, func(issuer string) map[string]any {
			return map[string]any{"token_endpoint": collector.URL + "/oauth/token"}
		})
		o := options(issuer)
		lines := regcheck.Run(t.Context(), o)
		if l, ok := find(lines, "check.client.not_sent_endpoint"); !ok || l.Status != regcheck.Fail {
			t.Errorf("no ✗ line saying the credentials were not sent:\n%s", report(lines))
		}
		mu.Lock()
		defer mu.Unlock()
		if len(elsewhere) != 0 {
			t.Errorf("the other host got %d requests, want none", len(elsewhere))
		}
	})
}

// TestAnswersItDoesNotKnowAreCouldNotTell: an answer the check does not
// recognise is neither ✓ nor ✗.
func TestAnswersItDoesNotKnowAreCouldNotTell(t *testing.T) {
	issuer := fakeProvider(t, nil)
	o := options(issuer)
	lines := regcheck.Run(t.Context(), o)
	for _, key := range []string{"check.client.unknown", "check.redirect.unknown"} {
		if l, ok := find(lines, key); !ok || l.Status != regcheck.Unknown {
			t.Errorf("no %q line that could not tell:\n%s", key, report(lines))
		}
	}
}

// fakeProvider serves a discovery document on its own issuer, with edit's
// fields over the defaults, and a 500 from every other endpoint.
func fakeProvider(t *testing.T, edit func(issuer string) map[string]any) string {
	t.Helper()
	var issuer string
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/oauth/.well-known/openid-configuration" {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		doc := map[string]any{
			"issuer":                 issuer,
			"authorization_endpoint": issuer + "/authorize",
			"token_endpoint":         issuer + "/token",
			"userinfo_endpoint":      issuer + "/userinfo",
			"jwks_uri":               issuer + "/jwks",
		}
		if edit != nil {
			for k, v := range edit(issuer) {
				doc[k] = v
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(doc); err != nil {
			t.Error(err)
		}
	}))
	t.Cleanup(server.Close)
	issuer = server.URL + "/oauth"
	return issuer
}
