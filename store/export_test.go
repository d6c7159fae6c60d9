package store

import (
	"context"
	"time"
)

// What the external tests (package store_test, which may import
// storetest) need to see of the inside.

// SessionKeyForTest is the Redis key of the session of token.
func (s *Sessions) SessionKeyForTest(token string) string {
	return s.keys.session(s.secrets.current().hashedName("session", token))
}

// EndedKeyForTest is the Redis key of the tombstone of token's session.
func (s *Sessions) EndedKeyForTest(token string) string {
	return s.keys.ended(s.secrets.current().hashedName("session", token))
}

// SetTombstoneTTLForTest shortens how long an ended session stays refused.
func (s *Sessions) SetTombstoneTTLForTest(d time.Duration) { s.store.tombstoneTTL = d }

// TouchStepForTest is how often an unchanged session is saved.
func (s *Sessions) TouchStepForTest() time.Duration { return s.touchStep }

// TraceKeyForTest is the Redis key of the trace of token's session.
func (s *Sessions) TraceKeyForTest(token string) string {
	return s.keys.trace(s.secrets.current().hashedName("session", token))
}

// MaxTraceSizeForTest is the most a session's sealed trace may weigh.
const MaxTraceSizeForTest = maxTraceSize

// ReplaceTokensForTest and LockRefreshForTest are the refresh protocol's
// two primitives, unexported so that only FreshTokens uses them outside
// tests.
func (s *Sessions) ReplaceTokensForTest(ctx context.Context, old int64, rec TokenRecord) (bool, error) {
	return s.replaceTokens(ctx, old, rec)
}

func (s *Sessions) LockRefreshForTest(ctx context.Context, ttl time.Duration) (unlock func(), ok bool, err error) {
	return s.lockRefresh(ctx, ttl)
}
