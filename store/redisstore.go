package store

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/redis/go-redis/v9"
)

// Why our own scs store rather than scs's goredisstore: scs writes a
// session back whole, so a request that loaded a session just before a
// logout (or a back-channel logout on another instance) would write it
// back after it was deleted, and the user would be logged in again.
// Deleting a session here leaves a short-lived tombstone (end.go), and a
// write under a tombstone is dropped, in one atomic step. Keys are named
// by a keyed hash of the session token, which never reaches Redis.

// sessionStore keeps scs sessions in Redis.
type sessionStore struct {
	rdb     redis.UniversalClient
	secrets *Secrets
	keys    keyLayout
	index   sessionIndex
	// maxIdle is a saved session's life: the idle timeout plus the step
	// between saves (Sessions.BeforeSave), so never less than the former.
	maxIdle      time.Duration
	tombstoneTTL time.Duration // endedSessionTTL; tests shorten it
}

var _ scs.CtxStore = (*sessionStore)(nil)

// FindCtx reads a session: one GET under the current secret's name. A
// session still named and sealed under the previous secret is moved to
// the current one's on the way (rotation.go).
func (st *sessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	for i, ring := range st.secrets.rings {
		h := ring.hashedName("session", token)
		key := st.keys.session(h)
		sealed, err := st.rdb.Get(ctx, key).Bytes()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		b, err := st.secrets.open(sealed, key)
		if err != nil {
			// Not an outage: the visitor simply has no valid session.
			return nil, false, nil
		}
		if i > 0 {
			return st.moveToCurrentSecret(ctx, token, h, b)
		}
		return b, true, nil
	}
	return nil, false, nil
}

// commitScript writes a session unless it has been ended, with its token
// record when given (a move, rotation.go), else moving that one's expiry;
// its login's trace expires with it.
var commitScript = sessionScript(`
if redis.call("EXISTS", ended) == 1 then return 0 end
redis.call("SET", session, ARGV[1], "PX", ARGV[2])
if ARGV[3] ~= "" then redis.call("SET", tokens, ARGV[3], "PX", ARGV[2])
else redis.call("PEXPIRE", tokens, ARGV[2]) end
redis.call("PEXPIRE", trace, ARGV[2])
return 1`)

func (st *sessionStore) CommitCtx(ctx context.Context, token string, b []byte, deadline time.Time) error {
	ttl := min(time.Until(deadline), st.maxIdle).Milliseconds()
	if ttl <= 0 {
		return st.DeleteCtx(ctx, token)
	}
	keys := st.keys.ofSession(st.secrets.current().hashedName("session", token))
	sealed := st.secrets.seal(b, keys.session)
	written, err := commitScript.Run(ctx, st.rdb, keys.list(), sealed, strconv.FormatInt(ttl, 10), "").Int()
	if err != nil {
		return err
	}
	if written == 0 {
		return ErrSessionEnded
	}
	return nil
}

// The non-context methods make scs accept the store; scs calls the context
// ones when a store has them.

func (st *sessionStore) Find(token string) ([]byte, bool, error) {
	return st.FindCtx(context.Background(), token)
}
func (st *sessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return st.CommitCtx(context.Background(), token, b, expiry)
}
func (st *sessionStore) Delete(token string) error { return st.DeleteCtx(context.Background(), token) }
