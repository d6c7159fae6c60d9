package connect

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestDiscovery(t *testing.T) {
	provider := newTestProvider(t, providerOptions{secret: testSecret, introspection: true})
	client := provider.newClient(t)
	if err := client.Discover(t.Context()); err != nil {
		t.Fatalf("Discover: %v", err)
	}
	got, err := client.Endpoints(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := Endpoints{
		Authorization: provider.issuer + "/authorize", Token: provider.issuer + "/token", UserInfo: provider.issuer + "/userinfo",
		JWKS: provider.issuer + "/public_keys.jwks", Revocation: provider.issuer + "/revoke", EndSession: provider.issuer + "/logout",
		Introspection: provider.issuer + "/introspect",
	}
	if got != want {
		t.Errorf("Endpoints = %+v, want %+v", got, want)
	}
	if client.ClientID() != testClientID || !client.Confidential() {
		t.Errorf("ClientID %q, Confidential %v; want %q, true", client.ClientID(), client.Confidential(), testClientID)
	}
	if provider.newClient(t, func(c *Config) { c.ClientSecret = "" }).Confidential() {
		t.Error("a client without a secret says it is confidential")
	}
}

func TestDiscoveryOutageIsRetriedLater(t *testing.T) {
	provider := newTestProvider(t, providerOptions{})
	provider.clock.base = time.Now()
	handler := provider.server.Config.Handler
	provider.server.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	})
	client := provider.newClient(t)
	if err := client.Discover(t.Context()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Discover while the provider is down = %v, want ErrUnavailable", err)
	}
	provider.server.Config.Handler = handler
	if err := client.Discover(t.Context()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Discover moments later = %v, want the remembered failure, not another attempt", err)
	}
	provider.clock.Advance(6 * time.Second)
	if err := client.Discover(t.Context()); err != nil {
		t.Fatalf("Discover after the retry interval = %v, want success", err)
	}
	t.Run("a caller that gives up waiting is told CONNECT is unavailable", func(t *testing.T) {
		client := provider.newClient(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := client.Endpoints(ctx); !errors.Is(err, ErrUnavailable) {
			t.Errorf("Endpoints with a cancelled context = %v, want ErrUnavailable", err)
		}
	})
}

// A provider that is not CONNECT and lists neither an end-session nor a
// revocation endpoint: nothing is guessed.
func TestAProviderWithoutEndSessionOrRevocation(t *testing.T) {
	provider := newTestProvider(t, providerOptions{leaveOut: []string{"end_session_endpoint", "revocation_endpoint"}})
	client := provider.newClient(t)
	login, err := provider.logIn(t, client, AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("the endpoints are empty, not CONNECT's paths", func(t *testing.T) {
		got, err := client.Endpoints(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got.EndSession != "" || got.Revocation != "" {
			t.Errorf("EndSession %q, Revocation %q; want both empty", got.EndSession, got.Revocation)
		}
	})
	t.Run("log out everywhere is not possible, and says so", func(t *testing.T) {
		if client.CanLogOutEverywhere() {
			t.Error("CanLogOutEverywhere = true, want false")
		}
		if _, err := client.LogoutURL(t.Context(), login.Tokens.IDToken, NewState()); !errors.Is(err, ErrNoEndSession) {
			t.Errorf("LogoutURL = %v, want ErrNoEndSession", err)
		}
	})
	t.Run("revoking makes no call and is not an error", func(t *testing.T) {
		if err := client.RevokeTokens(t.Context(), login.Tokens); err != nil {
			t.Errorf("RevokeTokens = %v, want nil", err)
		}
		if n := len(provider.requests("revoke")); n != 0 {
			t.Errorf("%d revocation calls, want none", n)
		}
	})
	t.Run("endpoints named in Config are used", func(t *testing.T) {
		client := provider.newClient(t, func(c *Config) {
			c.EndSessionEndpoint = provider.issuer + "/logout"
			c.RevocationEndpoint = provider.issuer + "/revoke"
		})
		got, err := client.Endpoints(t.Context())
		if err != nil || got.EndSession != provider.issuer+"/logout" || got.Revocation != provider.issuer+"/revoke" {
			t.Errorf("Endpoints = %+v, %v; want the configured end-session and revocation endpoints", got, err)
		}
		if err := client.RevokeTokens(t.Context(), login.Tokens); err != nil || len(provider.requests("revoke")) != 2 {
			t.Errorf("RevokeTokens = %v with %d calls, want two calls to the configured endpoint", err, len(provider.requests("revoke")))
		}
	})
}

// CONNECT's own discovery may leave the two endpoints out; its paths are
// known. The test reaches the provider under CONNECT's staging host name
// through a dialer that connects every host to the test server.
func TestCONNECTsOwnHostsGetCONNECTsPaths(t *testing.T) {
	for _, host := range []string{"connect.staging.telenordigital.com", "CONNECT.telenordigital.com"} {
		t.Run(host, func(t *testing.T) {
			issuer := "http://" + host + "/oauth"
			provider := newTestProvider(t, providerOptions{issuer: issuer, leaveOut: []string{"end_session_endpoint", "revocation_endpoint"}})
			var dialer net.Dialer
			toTestServer := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return dialer.DialContext(ctx, network, provider.server.Listener.Addr().String())
			}}
			client := provider.newClient(t, func(c *Config) { c.HTTPClient = &http.Client{Timeout: 5 * time.Second, Transport: toTestServer} })
			got, err := client.Endpoints(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if got.EndSession != "http://"+host+"/oauth/logout" || got.Revocation != "http://"+host+"/oauth/revoke" {
				t.Errorf("EndSession %q, Revocation %q; want CONNECT's /oauth/logout and /oauth/revoke on %s", got.EndSession, got.Revocation, host)
			}
		})
	}
}
