package localconnect

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// signingKey is one RS256 key and the signers made from it, one per token
// type, so each token says in its header what it is.
type signingKey struct {
	private      *rsa.PrivateKey
	kid          string
	idTokens     jose.Signer // typ "JWT"
	logoutTokens jose.Signer // typ "logout+jwt", as OIDC Back-Channel Logout 2.4 recommends
	accessTokens jose.Signer // typ "at+jwt", as RFC 9068 2.1 requires
}

// newSigningKey makes signers for private, or for a new RSA-2048 key when
// private is nil. The kid is the key's thumbprint (RFC 7638), so a client
// sees a new kid whenever the key changes.
func newSigningKey(private *rsa.PrivateKey) (*signingKey, error) {
	if private == nil {
		var err error
		if private, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return nil, fmt.Errorf("generate signing key: %w", err)
		}
	}
	if private.N.BitLen() < 2048 {
		return nil, fmt.Errorf("signing key has %d bits; RS256 needs at least 2048", private.N.BitLen())
	}
	public := jose.JSONWebKey{Key: &private.PublicKey}
	thumbprint, err := public.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("key thumbprint: %w", err)
	}
	k := &signingKey{private: private, kid: base64.RawURLEncoding.EncodeToString(thumbprint)}
	// A JSONWebKey with a KeyID makes go-jose put "kid" in every header.
	signing := jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: private, KeyID: k.kid}}
	for typ, signer := range map[string]*jose.Signer{"JWT": &k.idTokens, "logout+jwt": &k.logoutTokens, "at+jwt": &k.accessTokens} {
		if *signer, err = jose.NewSigner(signing, (&jose.SignerOptions{}).WithType(jose.ContentType(typ))); err != nil {
			return nil, fmt.Errorf("%s signer: %w", typ, err)
		}
	}
	return k, nil
}

func sign(signer jose.Signer, claims map[string]any) (string, error) {
	return jwt.Signed(signer).Claims(claims).Serialize()
}

func (k *signingKey) publicJWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: &k.private.PublicKey, KeyID: k.kid, Algorithm: string(jose.RS256), Use: "sig"}
}

// keyRing holds the key the stand-in signs with now, and the keys it signed
// with before a rotation. A retired key stays in the JWK set until every
// token it signed has expired, as a provider rotating keys must do, so a
// client can be tested against a rotation moments after a login.
type keyRing struct {
	now       func() time.Time
	retireFor time.Duration

	mu      sync.Mutex // guards the fields below
	current *signingKey
	retired []retiredKey
}

type retiredKey struct {
	key   *signingKey
	until time.Time
}

// signing returns the key to sign with now.
func (kr *keyRing) signing() *signingKey {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	return kr.current
}

// published returns the keys in the JWK set: the current one first, then
// the retired ones still within their time.
func (kr *keyRing) published() []*signingKey {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	now := kr.now()
	kr.retired = slices.DeleteFunc(kr.retired, func(r retiredKey) bool { return !now.Before(r.until) })
	keys := []*signingKey{kr.current}
	for _, r := range kr.retired {
		keys = append(keys, r.key)
	}
	return keys
}

func (kr *keyRing) rotate(next *signingKey) {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	kr.retired = append(kr.retired, retiredKey{key: kr.current, until: kr.now().Add(kr.retireFor)})
	kr.current = next
}

// verify checks that raw was signed by one of the published keys, the one
// its kid names, and decodes its claims. It does not check expiry: an
// expired ID token is still a fine id_token_hint.
func (kr *keyRing) verify(raw string, claims any) error {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return err
	}
	kid := tok.Headers[0].KeyID
	for _, k := range kr.published() {
		if k.kid == kid {
			return tok.Claims(&k.private.PublicKey, claims)
		}
	}
	return errors.New("signed with a key that is not in the JWK set")
}

// RotateSigningKey makes the stand-in sign with next from now on (a new
// RSA-2048 key when next is nil), as CONNECT does when it rotates its keys.
// The previous key stays in the JWK set, and its tokens stay valid, until
// the longest-lived token it may have signed has expired.
func (s *Server) RotateSigningKey(next *rsa.PrivateKey) error {
	k, err := newSigningKey(next)
	if err != nil {
		return fmt.Errorf("localconnect: rotate: %w", err)
	}
	s.keys.rotate(k)
	s.log.Info("signing key rotated", "kid", k.kid)
	return nil
}

// handleJWKS serves GET {issuer}/public_keys.jwks, the public halves of the
// signing keys, for clients to verify ID tokens, logout tokens and JWT
// access tokens.
func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	var set jose.JSONWebKeySet
	for _, k := range s.keys.published() {
		set.Keys = append(set.Keys, k.publicJWK())
	}
	// Short caching: the key changes at every restart of the stand-in.
	w.Header().Set("Cache-Control", "public, max-age=60")
	writeJSON(w, http.StatusOK, set)
}
