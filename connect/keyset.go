package connect

import (
	"context"
	"strings"

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
