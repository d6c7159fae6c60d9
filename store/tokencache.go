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
//
// The bound does not rest on the key's TTL alone: anyone who may write to
// Redis can PERSIST a key, or put back a copy of an old value. So each
// entry holds, sealed, when the token was validated and when it expires,
// and Find ignores an entry past the earlier of the two bounds, whatever
// Redis says of its key.
type ValidatedTokens struct {
	rdb     redis.UniversalClient
	secrets *Secrets
	keys    keyLayout
}

// MaxValidatedTokenAge bounds how long a validation is trusted.
const MaxValidatedTokenAge = time.Minute

// validation is one entry, as sealed in Redis.
type validation struct {
	Token connect.AccessToken `json:"token"`
	// ValidatedAt is when CONNECT (or the token's signature) said the
	// token was valid. An entry without it is never trusted.
	ValidatedAt time.Time `json:"validated_at"`
}

// trustedUntil is when the entry stops counting: MaxValidatedTokenAge
// after the validation, or the token's expiry if that comes first.
func (v validation) trustedUntil() time.Time {
	until := v.ValidatedAt.Add(MaxValidatedTokenAge)
	if !v.Token.Expiry.IsZero() && v.Token.Expiry.Before(until) {
		until = v.Token.Expiry
	}
	return until
}

// NewValidatedTokens keeps validations in rdb; keyPrefix as for
// SessionOptions.
func NewValidatedTokens(rdb redis.UniversalClient, secrets *Secrets, keyPrefix string) *ValidatedTokens {
	if keyPrefix == "" {
		keyPrefix = DefaultKeyPrefix
	}
	return &ValidatedTokens{rdb: rdb, secrets: secrets, keys: keyLayout{prefix: keyPrefix}}
}

// Find returns what an earlier validation found for token, if it is still
// trusted at now.
func (v *ValidatedTokens) Find(ctx context.Context, token string, now time.Time) (*connect.AccessToken, bool, error) {
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
		var entry validation
		if err := json.Unmarshal(plain, &entry); err != nil {
			continue
		}
		if entry.ValidatedAt.IsZero() || !now.Before(entry.trustedUntil()) {
			// Outlived its own bounds: a key kept past its TTL, or an old
			// value put back. Validate again.
			continue
		}
		return &entry.Token, true, nil
	}
	return nil, false, nil
}

// Remember keeps a valid token's validation, made at now, until the
// earlier of its expiry and MaxValidatedTokenAge from now.
func (v *ValidatedTokens) Remember(ctx context.Context, token string, at *connect.AccessToken, now time.Time) error {
	entry := validation{Token: *at, ValidatedAt: now}
	ttl := entry.trustedUntil().Sub(now)
	if ttl <= 0 {
		return nil
	}
	plain, err := json.Marshal(entry)
	if err != nil {
		return fmt.Errorf("encode validated token: %w", err)
	}
	key := v.keys.validatedToken(v.secrets.current().hashedName("access token", token))
	return unavailable("remember validated token", v.rdb.Set(ctx, key, v.secrets.seal(plain, key), ttl).Err())
}
