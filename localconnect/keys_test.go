package localconnect

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func TestJWKSPublishesOnePublicRS256Key(t *testing.T) {
	e := newTestEnv(t)
	resp := e.get("/oauth/public_keys.jwks", nil)
	if resp.status != http.StatusOK {
		t.Fatalf("GET /oauth/public_keys.jwks = %d, want 200", resp.status)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(resp.body), &set); err != nil {
		t.Fatalf("JWK set does not parse: %v", err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("JWK set has %d keys, want 1", len(set.Keys))
	}
	k := set.Keys[0]
	if !k.IsPublic() {
		t.Error("the published key has private parts")
	}
	if k.KeyID == "" || k.Algorithm != "RS256" || k.Use != "sig" {
		t.Errorf("key kid=%q alg=%q use=%q, want a kid, RS256, sig", k.KeyID, k.Algorithm, k.Use)
	}
	if got := e.srv.Count("jwks"); got != 1 {
		t.Errorf("Count(jwks) = %d, want 1", got)
	}
}

func TestRotateSigningKey(t *testing.T) {
	e := newTestEnv(t)
	before := e.codeFlow(confidentialClient, nil)
	oldHeader, _ := e.verifyJWT(before.IDToken)

	if err := e.srv.RotateSigningKey(nil); err != nil {
		t.Fatalf("RotateSigningKey: %v", err)
	}
	after := e.codeFlow(confidentialClient, nil)

	t.Run("new tokens carry the new kid and verify against the JWK set", func(t *testing.T) {
		header, _ := e.in(t).verifyJWT(after.IDToken)
		if header.KeyID == oldHeader.KeyID {
			t.Errorf("kid after the rotation = %q, the same as before", header.KeyID)
		}
	})

	t.Run("the JWK set publishes the new key first and keeps the old one", func(t *testing.T) {
		set := e.in(t).jwks()
		header, _ := e.in(t).verifyJWT(after.IDToken)
		if len(set.Keys) != 2 || set.Keys[0].KeyID != header.KeyID || set.Keys[1].KeyID != oldHeader.KeyID {
			t.Errorf("JWK set kids = %v, want [%s %s]", kids(set), header.KeyID, oldHeader.KeyID)
		}
		e.in(t).verifyJWT(before.IDToken) // fails the test if the old key is gone
	})

	t.Run("an ID token signed before the rotation is still a good id_token_hint", func(t *testing.T) {
		e := e.in(t)
		resp := e.get("/oauth/logout", url.Values{"id_token_hint": {before.IDToken},
			"post_logout_redirect_uri": {postLogoutRedirect}, "state": {"s"}})
		if loc := resp.location(t); !strings.HasPrefix(loc.String(), postLogoutRedirect) {
			t.Errorf("logout redirected to %q, want %s", loc, postLogoutRedirect)
		}
	})

	t.Run("the old key leaves the JWK set once its tokens have expired", func(t *testing.T) {
		e := e.in(t)
		e.clock.advance(time.Hour + time.Second) // the ID token lifetime
		set := e.jwks()
		header, _ := e.verifyJWT(after.IDToken)
		if len(set.Keys) != 1 || set.Keys[0].KeyID != header.KeyID {
			t.Errorf("JWK set kids = %v, want [%s]", kids(set), header.KeyID)
		}
	})
}

// jwks fetches the stand-in's JWK set.
func (e *testEnv) jwks() jose.JSONWebKeySet {
	e.t.Helper()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(e.get("/oauth/public_keys.jwks", nil).body), &set); err != nil {
		e.t.Fatalf("JWK set does not parse: %v", err)
	}
	return set
}

func kids(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	return out
}
