package localconnect

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"net/http"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// signingKey is the stand-in's one RS256 key. A new one is made at every
// start, so tokens from an earlier run no longer verify, and clients see a
// new kid (they must refetch the JWK set on an unknown kid).
type signingKey struct {
	private      *rsa.PrivateKey
	kid          string
	idTokens     jose.Signer // typ "JWT"
	logoutTokens jose.Signer // typ "logout+jwt", as OIDC Back-Channel Logout 2.4 recommends
}

func newSigningKey() (*signingKey, error) {
	private, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	public := jose.JSONWebKey{Key: &private.PublicKey}
	thumbprint, err := public.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("key thumbprint: %w", err)
	}
	k := &signingKey{private: private, kid: base64.RawURLEncoding.EncodeToString(thumbprint)}
	// A JSONWebKey with a KeyID makes go-jose put "kid" in every header.
	signing := jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: private, KeyID: k.kid}}
	if k.idTokens, err = jose.NewSigner(signing, (&jose.SignerOptions{}).WithType("JWT")); err != nil {
		return nil, fmt.Errorf("ID token signer: %w", err)
	}
	if k.logoutTokens, err = jose.NewSigner(signing, (&jose.SignerOptions{}).WithType("logout+jwt")); err != nil {
		return nil, fmt.Errorf("logout token signer: %w", err)
	}
	return k, nil
}

func sign(signer jose.Signer, claims map[string]any) (string, error) {
	return jwt.Signed(signer).Claims(claims).Serialize()
}

// verify checks that raw was signed with this key and decodes its claims.
// It does not check expiry: an expired ID token is still a fine id_token_hint.
func (k *signingKey) verify(raw string, claims any) error {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return err
	}
	return tok.Claims(&k.private.PublicKey, claims)
}

func (k *signingKey) publicKeySet() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key:       &k.private.PublicKey,
		KeyID:     k.kid,
		Algorithm: string(jose.RS256),
		Use:       "sig",
	}}}
}

// handleJWKS serves GET {issuer}/public_keys.jwks, the public half of the
// signing key, for clients to verify ID tokens and logout tokens.
func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	// Short caching: the key changes at every restart of the stand-in.
	w.Header().Set("Cache-Control", "public, max-age=60")
	writeJSON(w, http.StatusOK, s.key.publicKeySet())
}
