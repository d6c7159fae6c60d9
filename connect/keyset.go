package connect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// tokenSource is where a signed token came from, which decides whether a
// kid we do not hold may make us fetch CONNECT's key set again. From the
// token endpoint, where only CONNECT answers, always: a new kid means a
// rotated key, and refusing would lose a login. From anyone (logout and
// access tokens, ID tokens given to VerifyIDToken): once per interval, so
// forged tokens cannot make us hammer CONNECT; a kid still unknown then
// fails the signature, as invalid.
type tokenSource int

const (
	fromTokenEndpoint tokenSource = iota
	fromAnyone
)

// keySet is CONNECT's signing keys, for go-oidc's verifiers (an oidc.KeySet).
// learn, called before each verification, is the one place that fetches.
type keySet struct {
	url      string
	client   *http.Client
	interval time.Duration
	now      func() time.Time
	fetched  func(error) // Config.KeySetFetched, or nil

	mu      sync.Mutex
	keys    jose.JSONWebKeySet // the last good set: a failed fetch keeps it
	last    time.Time          // when the last fetch started
	pending func() error       // the fetch in flight; callers share its outcome
}

// learn fetches the key set if raw's kid is not held and its source
// allows. It fails only when the keys raw needs could not be fetched.
func (k *keySet) learn(raw string, from tokenSource) error {
	jws, err := jose.ParseSignedCompact(raw, signingAlgorithms)
	if err != nil {
		return nil // malformed: go-oidc refuses it, with no keys needed
	}
	kid := jws.Signatures[0].Header.KeyID
	k.mu.Lock()
	held := len(k.keys.Keys) > 0 && (kid == "" || len(k.keys.Key(kid)) > 0)
	fetch, none := k.pending, len(k.keys.Keys) == 0
	if !held && fetch == nil && (from == fromTokenEndpoint || k.now().Sub(k.last) >= k.interval) {
		fetch = sync.OnceValue(k.fetch)
		k.pending, k.last = fetch, k.now()
	}
	k.mu.Unlock()
	switch {
	case held:
		return nil
	case fetch != nil:
		if err := fetch(); err != nil {
			return fmt.Errorf("%w: fetching CONNECT's keys: %v", ErrUnavailable, err)
		}
	case none:
		return fmt.Errorf("%w: CONNECT's keys could not be fetched moments ago", ErrUnavailable)
	}
	return nil
}

// fetch runs once per pending fetch, bounded by the HTTP client's timeout
// and no caller's context: everyone waiting gets its outcome.
func (k *keySet) fetch() error {
	var set struct{ Keys []json.RawMessage }
	var keys jose.JSONWebKeySet
	resp, err := k.client.Get(k.url)
	if err == nil {
		defer resp.Body.Close()
		err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set)
		for _, raw := range set.Keys {
			var key jose.JSONWebKey // one of a type we do not know is skipped (RFC 7517 5)
			if key.UnmarshalJSON(raw) == nil {
				keys.Keys = append(keys.Keys, key)
			}
		}
		if resp.StatusCode != http.StatusOK || len(keys.Keys) == 0 {
			err = fmt.Errorf("key set answered %s with %d usable keys (%v)", resp.Status, len(keys.Keys), err)
		}
	}
	if k.fetched != nil {
		k.fetched(err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err == nil {
		k.keys = keys
	}
	k.pending = nil
	return err
}

// VerifySignature checks raw with the held keys of its kid (all of them
// when it names none); it never fetches.
func (k *keySet) VerifySignature(_ context.Context, raw string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(raw, signingAlgorithms)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	keys := k.keys
	k.mu.Unlock()
	if kid := jws.Signatures[0].Header.KeyID; kid != "" {
		keys.Keys = keys.Key(kid)
	}
	for _, key := range keys.Keys {
		if payload, err := jws.Verify(key); err == nil {
			return payload, nil
		}
	}
	return nil, errors.New("no key of CONNECT's verifies the signature")
}
