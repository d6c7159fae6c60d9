package connect

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// keySet is go-oidc's cached remote JWK set, plus one thing go-oidc's
// errors do not tell: whether a token failed because its signature is
// wrong (reject it) or because CONNECT's keys could not be fetched (an
// outage: answer 503, so CONNECT retries a logout token and a visitor
// tries again later).
type keySet struct{ remote *oidc.RemoteKeySet }

type keyFetchKey struct{}

// withKeyFetchReport returns a context in which a failed key fetch is
// written to *failed.
func withKeyFetchReport(ctx context.Context, failed *error) context.Context {
	return context.WithValue(ctx, keyFetchKey{}, failed)
}

func (k keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.remote.VerifySignature(ctx, jwt)
	// go-oidc wraps only fetch failures, as "fetching keys ...".
	if err != nil && strings.HasPrefix(err.Error(), "fetching keys") {
		if failed, ok := ctx.Value(keyFetchKey{}).(*error); ok {
			*failed = err
		}
	}
	return payload, err
}

// rateLimitedClient is client for JWK set fetches: within interval of the
// last fetch, it answers with that fetch's keys instead of asking CONNECT
// again. A token signed with a key CONNECT published in the meantime is
// then rejected until the interval has passed, which key rotation (rare,
// and announced by publishing the new key first) tolerates.
func rateLimitedClient(client *http.Client, interval time.Duration) *http.Client {
	next := client.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	limited := *client
	limited.Transport = &replayingTransport{next: next, interval: interval}
	return &limited
}

type replayingTransport struct {
	next     http.RoundTripper
	interval time.Duration

	mu      sync.Mutex
	fetched time.Time
	body    []byte // the last good answer
	header  http.Header
}

func (t *replayingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.body != nil && time.Since(t.fetched) < t.interval {
		return &http.Response{
			StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: t.header.Clone(), Body: io.NopCloser(bytes.NewReader(t.body)), Request: req,
		}, nil
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	t.fetched, t.body, t.header = time.Now(), body, resp.Header.Clone()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}
