package localconnect

import (
	"encoding/json"
	"net/http"
	"testing"

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
