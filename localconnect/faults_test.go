package localconnect

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

// TestRegistrationCheckFaults: each named fault makes the stand-in wrong
// in the one way the app's registration check must notice.
func TestRegistrationCheckFaults(t *testing.T) {
	e := newTestEnv(t)
	discovery := func(t *testing.T) map[string]any {
		t.Helper()
		resp := e.in(t).get("/oauth/.well-known/openid-configuration", nil)
		var doc map[string]any
		if err := json.Unmarshal([]byte(resp.body), &doc); err != nil {
			t.Fatalf("discovery is not JSON: %v", err)
		}
		return doc
	}
	named := func(t *testing.T, names ...string) {
		t.Helper()
		f, err := e.srv.NamedFaults(names)
		if err != nil {
			t.Fatal(err)
		}
		e.srv.SetFaults(f)
		t.Cleanup(func() { e.srv.SetFaults(Faults{}) })
	}

	t.Run("issuer: discovery names the issuer with a trailing slash", func(t *testing.T) {
		named(t, "issuer")
		if got, want := discovery(t)["issuer"], e.url+"/oauth/"; got != want {
			t.Errorf("issuer = %v, want %v", got, want)
		}
	})
	t.Run("clock: the Date header and the tokens' times are five minutes ahead", func(t *testing.T) {
		named(t, "clock")
		resp := e.in(t).get("/oauth/.well-known/openid-configuration", nil)
		date, err := http.ParseTime(resp.header.Get("Date"))
		if want := e.clock.now().Add(5 * time.Minute); err != nil || date.Sub(want).Abs() > time.Second {
			t.Errorf("Date = %q, want %s", resp.header.Get("Date"), want.UTC().Format(http.TimeFormat))
		}
		claims := e.in(t).idTokenClaims(e.in(t).codeFlow(confidentialClient, nil))
		if iat := time.Unix(int64(claims["iat"].(float64)), 0); iat.Sub(e.clock.now()) != 5*time.Minute {
			t.Errorf("iat = %s, want five minutes after %s", iat, e.clock.now())
		}
	})
	t.Run("scope: scopes_supported lacks phone", func(t *testing.T) {
		named(t, "scope")
		if got := discovery(t)["scopes_supported"].([]any); slices.Contains(got, any("phone")) || !slices.Contains(got, any("openid")) {
			t.Errorf("scopes_supported = %v, want it without phone only", got)
		}
	})
	t.Run("no_revocation and no_end_session: gone from discovery, and 404", func(t *testing.T) {
		named(t, "no_revocation", "no_end_session")
		doc := discovery(t)
		for _, field := range []string{"revocation_endpoint", "end_session_endpoint"} {
			if _, listed := doc[field]; listed {
				t.Errorf("discovery lists %s", field)
			}
		}
		if r := e.in(t).backend("/oauth/revoke", url.Values{"token": {"x"}}, authFor(confidentialClient)); r.status != http.StatusNotFound {
			t.Errorf("POST /oauth/revoke = %d, want 404", r.status)
		}
		if r := e.in(t).get("/oauth/logout", nil); r.status != http.StatusNotFound {
			t.Errorf("GET /oauth/logout = %d, want 404", r.status)
		}
	})
	t.Run("an unknown name is refused, naming the faults there are", func(t *testing.T) {
		if _, err := e.srv.NamedFaults([]string{"everything"}); err == nil {
			t.Errorf("NamedFaults(everything) = nil error, want one")
		}
	})
}
