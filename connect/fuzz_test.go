package connect

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// The seed corpus holds tokens signed by a fixed key at a fixed time, so
// the valid one stays valid. After changing what the seeds should be:
//
//	go test -run TestFuzzSeeds ./connect/ -args -write-fuzz-seeds
var writeFuzzSeeds = flag.Bool("write-fuzz-seeds", false, "rewrite testdata/fuzz/FuzzVerifyLogoutToken")

const fuzzSeeds = "testdata/fuzz/FuzzVerifyLogoutToken"

// FuzzVerifyLogoutToken posts anything at logout-token validation: it must
// never panic, and never accept a token that the provider's key did not
// sign with an algorithm we allow.
func FuzzVerifyLogoutToken(f *testing.F) {
	provider, client := newFuzzProvider(f)
	public := provider.signingKey().key.(*ecdsa.PrivateKey).Public()
	f.Fuzz(func(t *testing.T, token string) {
		got, err := client.VerifyLogoutToken(t.Context(), token)
		if err != nil {
			if !errors.Is(err, ErrLogoutTokenInvalid) {
				t.Fatalf("error %v, want ErrLogoutTokenInvalid: the keys are held", err)
			}
			return
		}
		jws, err := jose.ParseSignedCompact(token, signingAlgorithms)
		if err != nil {
			t.Fatalf("accepted a token that is no RS256/ES256 compact JWS: %v", err)
		}
		if _, err := jws.Verify(public); err != nil {
			t.Fatalf("accepted a token the provider's key did not sign: %v", err)
		}
		if got.SessionID == "" && got.Subject == "" {
			t.Fatal("accepted a token naming neither sid nor sub")
		}
	})
}

// newFuzzProvider is a provider with a fixed ES256 key and a clock that
// stands still at the seeds' time, and a client that has its keys already.
func newFuzzProvider(t testing.TB) (*testProvider, *Client) {
	sum := sha256.Sum256([]byte("connect fuzz seed key: for tests only"))
	key, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), sum[:])
	if err != nil {
		t.Fatal(err)
	}
	provider := newTestProvider(t, providerOptions{key: &testKey{id: "fuzz-key", key: key, alg: jose.ES256}})
	provider.clock.base = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	// The issuer is fixed too: the server's address changes from run to run.
	provider.issuer = "https://connect.example/oauth"
	client := provider.newClient(t, func(c *Config) {
		c.HTTPClient = &http.Client{Timeout: 5 * time.Second, Transport: rewriteHost{to: provider.server.URL}}
	})
	if _, err := client.VerifyLogoutToken(t.Context(), provider.sign("logout+jwt", provider.logoutClaims())); err != nil {
		t.Fatalf("fuzz provider's own token: %v", err)
	}
	return provider, client
}

// rewriteHost sends every request to the test server, whatever its URL.
type rewriteHost struct{ to string }

func (rw rewriteHost) RoundTrip(r *http.Request) (*http.Response, error) {
	target, _ := url.Parse(rw.to)
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = target.Scheme, target.Host
	return http.DefaultTransport.RoundTrip(r)
}

// fuzzSeedTokens are the seed corpus: the valid token and each kind of
// malformed one. Only names starting with "valid" may be accepted.
func fuzzSeedTokens(t testing.TB, provider *testProvider) map[string]string {
	key := provider.signingKey()
	claims := provider.logoutClaims()
	claims["jti"] = "seed-jti"
	valid := signWith(t, key, "logout+jwt", claims)
	parts := strings.Split(valid, ".")
	b64 := base64.RawURLEncoding.EncodeToString
	return map[string]string{
		"valid":                valid,
		"valid-sid-only":       signWith(t, key, "logout+jwt", with(claims, map[string]any{"sub": nil})),
		"alg-none":             unsigned("logout+jwt", claims),
		"hs256-with-a-secret":  signWith(t, testKey{id: key.id, key: []byte(testSecret + testSecret), alg: jose.HS256}, "logout+jwt", claims),
		"foreign-key-same-kid": signWith(t, testKey{id: key.id, key: newECKey(t), alg: jose.ES256}, "logout+jwt", claims),
		"unknown-kid":          signWith(t, testKey{id: "made-up", key: newECKey(t), alg: jose.ES256}, "logout+jwt", claims),
		"no-kid-foreign-key":   signWith(t, testKey{key: newECKey(t), alg: jose.ES256}, "logout+jwt", claims),
		"nonce-present":        signWith(t, key, "logout+jwt", with(claims, map[string]any{"nonce": "n"})),
		"no-event":             signWith(t, key, "logout+jwt", with(claims, map[string]any{"events": map[string]any{}})),
		"no-sid-no-sub":        signWith(t, key, "logout+jwt", with(claims, map[string]any{"sid": nil, "sub": nil})),
		"other-audience":       signWith(t, key, "logout+jwt", with(claims, map[string]any{"aud": "other-client"})),
		"other-issuer":         signWith(t, key, "logout+jwt", with(claims, map[string]any{"iss": "https://evil.example/oauth"})),
		"expired":              signWith(t, key, "logout+jwt", with(claims, map[string]any{"exp": provider.clock.Now().Add(-time.Hour).Unix()})),
		"payload-swapped":      parts[0] + "." + b64([]byte(`{"sub":"someone-else"}`)) + "." + parts[2],
		"signature-cut":        valid[:len(valid)-10],
		"payload-not-json":     parts[0] + "." + b64([]byte("not json")) + "." + parts[2],
		"header-not-json":      b64([]byte("{")) + "." + parts[1] + "." + parts[2],
		"json-serialization":   fmt.Sprintf(`{"payload":%q,"protected":%q,"signature":%q}`, parts[1], parts[0], parts[2]),
		"two-parts":            parts[0] + "." + parts[1],
		"not-base64":           "!!!.???.***",
		"empty":                "",
	}
}

func TestFuzzSeedsSayWhatTheirNamesSay(t *testing.T) {
	provider, client := newFuzzProvider(t)
	if *writeFuzzSeeds {
		os.RemoveAll(fuzzSeeds)
		os.MkdirAll(fuzzSeeds, 0o755)
		for name, token := range fuzzSeedTokens(t, provider) {
			corpus := "go test fuzz v1\nstring(" + strconv.Quote(token) + ")\n"
			if err := os.WriteFile(filepath.Join(fuzzSeeds, name), []byte(corpus), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(fuzzSeeds, "*"))
	if len(files) < 10 {
		t.Fatalf("%d seeds in %s, want the valid token and each kind of malformed one", len(files), fuzzSeeds)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			quoted, ok := strings.CutPrefix(strings.TrimSpace(string(raw)), "go test fuzz v1\nstring(")
			token, err := strconv.Unquote(strings.TrimSuffix(quoted, ")"))
			if !ok || err != nil {
				t.Fatalf("seed is not a corpus file with one string: %v", err)
			}
			_, err = client.VerifyLogoutToken(t.Context(), token)
			if wantValid := strings.HasPrefix(name, "valid"); wantValid != (err == nil) {
				t.Errorf("VerifyLogoutToken = %v; want accepted: %v", err, wantValid)
			}
		})
	}
}
