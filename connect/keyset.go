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
// interval after a fetch, a token under a kid that fetch listed is checked
// against the keys it returned (a forged signature is still just invalid),
// and a token under any other kid is answered as an outage without a
// fetch: a key CONNECT has just published is accepted once the interval
// has passed, as key rotation allows.
type keySet struct {
	remote  *oidc.RemoteKeySet
	fetches *keyFetches
}

type keyFetchKey struct{}

// verifySigned runs one of go-oidc's verifications (ID token or logout
// token) and sorts its failure: keys that could not be fetched are
// ErrUnavailable, anything else is invalid.
func verifySigned[T any](c *Client, ctx context.Context, invalid error, verify func(context.Context) (T, error)) (T, error) {
	var keysUnavailable error
	v, err := verify(context.WithValue(c.backEndContext(ctx), keyFetchKey{}, &keysUnavailable))
	if keysUnavailable != nil {
		var zero T
		return zero, fmt.Errorf("%w: %v", ErrUnavailable, keysUnavailable)
	}
	if err != nil {
		var zero T
		return zero, fmt.Errorf("%w: %v", invalid, err)
	}
	return v, nil
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

// keyID returns the kid of a compact JWS, if it names one. A token without
// a kid is checked against every key go-oidc holds, like any other.
func keyID(jwt string) (string, bool) {
	algs := make([]jose.SignatureAlgorithm, len(signingAlgorithms))
	for i, a := range signingAlgorithms {
		algs[i] = jose.SignatureAlgorithm(a)
	}
	jws, err := jose.ParseSignedCompact(jwt, algs)
	if err != nil || len(jws.Signatures) != 1 || jws.Signatures[0].Header.KeyID == "" {
		return "", false
	}
	return jws.Signatures[0].Header.KeyID, true
}

// keyFetches is the HTTP transport of the key set's fetches from url. It
// remembers the last good answer and the kids it listed, and within the
// interval after a fetch it answers a refetch with that answer (or, after
// a failed fetch, with the same failure) instead of asking CONNECT again.
// Requests for other URLs (a redirect, say) pass straight through.
type keyFetches struct {
	next     http.RoundTripper
	interval time.Duration
	now      func() time.Time

	mu       sync.Mutex
	url      string        // the JWK set's URL, from discovery
	at       time.Time     // when the last fetch started
	inFlight chan struct{} // closed when the fetch in flight ends; nil when none is
	failure  error         // what the last fetch failed with, if it did
	body     []byte        // the last good answer
	header   http.Header   //
	kids     map[string]bool
}

// maxKeySetSize bounds the JWK set we accept; a real one is a few KB.
const maxKeySetSize = 1 << 20

func newKeyFetches(next http.RoundTripper, interval time.Duration, now func() time.Time) *keyFetches {
	if next == nil {
		next = http.DefaultTransport
	}
	return &keyFetches{next: next, interval: interval, now: now}
}

// setURL names the JWK set's URL, once discovery has found it.
func (f *keyFetches) setURL(url string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.url = url
}

// mayFetchFor reports whether a token signed by kid may go on to go-oidc,
// which fetches the key set if it cannot verify the token: yes when the
// last good fetch listed kid, or the last fetch is older than the interval.
// It never waits for a fetch in flight.
func (f *keyFetches) mayFetchFor(kid string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.kids[kid] || f.at.IsZero() || f.now().Sub(f.at) >= f.interval
}

func (f *keyFetches) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	if req.URL.String() != f.url {
		f.mu.Unlock()
		return f.next.RoundTrip(req)
	}
	for f.inFlight != nil { // one fetch at a time; wait for its outcome
		done := f.inFlight
		f.mu.Unlock()
		select {
		case <-done:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
		f.mu.Lock()
	}
	if !f.at.IsZero() && f.now().Sub(f.at) < f.interval {
		defer f.mu.Unlock()
		if f.failure != nil || f.body == nil {
			return nil, fmt.Errorf("key set: last fetch failed moments ago: %w", f.failure)
		}
		return f.replay(req), nil
	}
	done := make(chan struct{})
	f.at, f.inFlight = f.now(), done
	f.mu.Unlock()

	body, header, err := f.fetch(req)

	f.mu.Lock()
	defer f.mu.Unlock()
	f.inFlight = nil
	close(done)
	f.failure = err
	if err != nil {
		return nil, err // the last good keys and kids stay as they were
	}
	f.body, f.header, f.kids = body, header, listedKids(body)
	return f.replay(req), nil
}

// fetch asks CONNECT for the key set, without holding the lock.
func (f *keyFetches) fetch(req *http.Request) ([]byte, http.Header, error) {
	resp, err := f.next.RoundTrip(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("key set answered %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxKeySetSize+1))
	if err == nil && len(body) > maxKeySetSize {
		err = errors.New("key set larger than 1 MiB")
	}
	return body, resp.Header.Clone(), err
}

// replay answers req with the last good key set.
func (f *keyFetches) replay(req *http.Request) *http.Response {
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: f.header.Clone(), ContentLength: int64(len(f.body)),
		Body: io.NopCloser(bytes.NewReader(f.body)), Request: req,
	}
}

func listedKids(body []byte) map[string]bool {
	var set struct {
		Keys []struct {
			KeyID string `json:"kid"`
		} `json:"keys"`
	}
	kids := map[string]bool{}
	if json.Unmarshal(body, &set) == nil {
		for _, k := range set.Keys {
			kids[k.KeyID] = true
		}
	}
	return kids
}
