package connect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
)

// keySet is go-oidc's cached remote JWK set with two additions.
//
// First, it tells apart the two ways a token can fail that go-oidc's
// errors do not: a wrong signature (reject the token: 400 or 502) and keys
// that could not be fetched (an outage: 503, so CONNECT retries a logout
// token and a visitor tries again later).
//
// Second, it bounds how often CONNECT's JWK set is fetched. go-oidc fetches
// it again for every token that does not verify with the keys it holds,
// and the back-channel endpoint is public, so forged tokens could otherwise
// make the app fetch CONNECT's keys at an attacker's pace. Within the
// interval after a fetch, a token whose kid the last fetch did not list is
// answered as an outage (try again soon), and any other token is checked
// against the keys already fetched: a key CONNECT has just published is
// accepted once the interval has passed, as key rotation allows.
type keySet struct {
	remote  *oidc.RemoteKeySet
	fetches *keyFetches
}

type keyFetchKey struct{}

// withKeyFetchReport returns a context in which a failed key fetch is
// written to *failed.
func withKeyFetchReport(ctx context.Context, failed *error) context.Context {
	return context.WithValue(ctx, keyFetchKey{}, failed)
}

func reportKeyFetchFailure(ctx context.Context, err error) {
	if failed, ok := ctx.Value(keyFetchKey{}).(*error); ok {
		*failed = err
	}
}

// errKeyFetchLimited is the answer for a token signed by a key we have not
// seen, shortly after the last fetch of the key set.
var errKeyFetchLimited = errors.New("unknown signing key, and the key set was fetched moments ago; try again shortly")

func (k keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	if kid, ok := keyID(jwt); ok && !k.fetches.mayFetchFor(kid) {
		err := fmt.Errorf("fetching keys: %w", errKeyFetchLimited)
		reportKeyFetchFailure(ctx, err)
		return nil, err
	}
	payload, err := k.remote.VerifySignature(ctx, jwt)
	// go-oidc wraps only fetch failures, as "fetching keys ...".
	if err != nil && strings.HasPrefix(err.Error(), "fetching keys") {
		reportKeyFetchFailure(ctx, err)
	}
	return payload, err
}

// keyID returns the kid of a compact JWS, if it names one.
func keyID(jwt string) (string, bool) {
	jws, err := jose.ParseSignedCompact(jwt, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil || len(jws.Signatures) != 1 || jws.Signatures[0].Header.KeyID == "" {
		return "", false
	}
	return jws.Signatures[0].Header.KeyID, true
}

// keyFetches is the HTTP transport of the key set's fetches: it remembers
// when the last fetch was made and which kids it listed, and within the
// interval after it answers a refetch with the same keys instead of asking
// CONNECT again (after a failed fetch, with the same failure).
type keyFetches struct {
	next     http.RoundTripper
	interval time.Duration

	mu      sync.Mutex
	at      time.Time           // when the last fetch was made
	failure error               // what it failed with, if it did
	body    []byte              // what it returned, if it succeeded
	header  http.Header         //
	kids    map[string]struct{} // the kids it listed
}

// maxKeySetSize bounds the JWK set we accept; a real one is a few KB.
const maxKeySetSize = 1 << 20

func newKeyFetches(next http.RoundTripper, interval time.Duration) *keyFetches {
	if next == nil {
		next = http.DefaultTransport
	}
	return &keyFetches{next: next, interval: interval}
}

// mayFetchFor reports whether a token signed by kid may go on to go-oidc,
// which fetches the key set if it does not know kid: yes when the last
// fetch listed kid, or is older than the interval.
func (f *keyFetches) mayFetchFor(kid string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, listed := f.kids[kid]; listed {
		return true
	}
	return f.at.IsZero() || time.Since(f.at) >= f.interval
}

func (f *keyFetches) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.at.IsZero() && time.Since(f.at) < f.interval {
		if f.failure != nil {
			return nil, f.failure
		}
		return f.replay(req), nil
	}
	f.at, f.failure, f.body, f.kids = time.Now(), nil, nil, nil
	resp, err := f.next.RoundTrip(req)
	if err != nil {
		f.failure = err
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		f.failure = fmt.Errorf("key set answered %s", resp.Status)
		return resp, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxKeySetSize+1))
	resp.Body.Close()
	if err == nil && len(body) > maxKeySetSize {
		err = errors.New("key set larger than 1 MiB")
	}
	if err != nil {
		f.failure = err
		return nil, err
	}
	f.body, f.header, f.kids = body, resp.Header.Clone(), listedKids(body)
	return f.replay(req), nil
}

// replay answers req with the last fetched key set.
func (f *keyFetches) replay(req *http.Request) *http.Response {
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: f.header.Clone(), ContentLength: int64(len(f.body)),
		Body: io.NopCloser(bytes.NewReader(f.body)), Request: req,
	}
}

func listedKids(body []byte) map[string]struct{} {
	var set struct {
		Keys []struct {
			KeyID string `json:"kid"`
		} `json:"keys"`
	}
	kids := map[string]struct{}{}
	if json.Unmarshal(body, &set) == nil {
		for _, k := range set.Keys {
			kids[k.KeyID] = struct{}{}
		}
	}
	return kids
}
