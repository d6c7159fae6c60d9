package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/telenordigital/connect-web-sample/connect"
)

// ValidatedTokens remembers access tokens a resource server (the app's
// /api/me) has found valid, so that a client calling it again and again
// does not cost a call to CONNECT each time, on any app instance. Only
// valid tokens are kept, under a keyed hash of the token (the token itself
// would be a credential in Redis), and for at most MaxValidatedTokenAge:
// a revoked token stops working within that time. A refused token adds
// nothing, so garbage sent to the API cannot fill Redis.
type ValidatedTokens struct {
	rdb     redis.UniversalClient
	secrets *Secrets
	keys    keyLayout
}

// MaxValidatedTokenAge bounds how long a validation is trusted.
const MaxValidatedTokenAge = time.Minute

// NewValidatedTokens keeps validations in rdb; keyPrefix as for
// SessionOptions.
func NewValidatedTokens(rdb redis.UniversalClient, secrets *Secrets, keyPrefix string) *ValidatedTokens {
	if keyPrefix == "" {
		keyPrefix = DefaultKeyPrefix
	}
	return &ValidatedTokens{rdb: rdb, secrets: secrets, keys: keyLayout{prefix: keyPrefix}}
}

// Find returns what an earlier validation found for token, if it is still
// trusted.
func (v *ValidatedTokens) Find(ctx context.Context, token string) (*connect.AccessToken, bool, error) {
	for _, ring := range v.secrets.rings {
		key := v.keys.validatedToken(ring.hashedName("access token", token))
		sealed, err := v.rdb.Get(ctx, key).Bytes()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, false, unavailable("read validated token", err)
		}
		plain, err := v.secrets.open(sealed, key)
		if err != nil {
			continue
		}
		var at connect.AccessToken
		if err := json.Unmarshal(plain, &at); err != nil {
			continue
		}
		return &at, true, nil
	}
	return nil, false, nil
}

// Remember keeps a valid token's validation until the earlier of its
// expiry and MaxValidatedTokenAge from now.
func (v *ValidatedTokens) Remember(ctx context.Context, token string, at *connect.AccessToken, now time.Time) error {
	ttl := MaxValidatedTokenAge
	if !at.Expiry.IsZero() {
		ttl = min(ttl, at.Expiry.Sub(now))
	}
	if ttl <= 0 {
		return nil
	}
	plain, err := json.Marshal(at)
	if err != nil {
		return fmt.Errorf("encode validated token: %w", err)
	}
	key := v.keys.validatedToken(v.secrets.current().hashedName("access token", token))
	return unavailable("remember validated token", v.rdb.Set(ctx, key, v.secrets.seal(plain, key), ttl).Err())
}
