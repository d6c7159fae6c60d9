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
// Deleting a session here leaves a short-lived tombstone, and a write
// under a tombstone is dropped, in one atomic step. It also keeps the
// session token out of Redis: keys are named by a keyed hash of it.

// ErrSessionEnded is a session write refused because the session was
// ended while the request was in flight. The response must then not set
// the dead session's cookie.
var ErrSessionEnded = errors.New("store: the session was ended during the request")

// endedSessionTTL is how long a deleted session's key stays refused. It
// needs to outlast any request in flight (the server's WriteTimeout is
// 30 s); after that an old cookie simply finds no session.
const endedSessionTTL = 5 * time.Minute

// keyLayout names every key the store writes (docs/redis.md shows them).
// A session is two keys named by the keyed hash of its token: its scs
// data, which a page view reads with one GET, and its token record, read
// only by pages that call CONNECT. The braces make that hash a Redis
// Cluster hash tag, so both keys, the tombstone and the refresh lock share
// a slot, and one script may touch them together. Each value is sealed
// bound to its key's name, so it opens nowhere else.
type keyLayout struct{ prefix string }

func (k keyLayout) session(h string) string        { return k.prefix + "session:{" + h + "}" }
func (k keyLayout) tokens(h string) string         { return k.prefix + "tokens:{" + h + "}" }
func (k keyLayout) ended(h string) string          { return k.prefix + "ended:{" + h + "}" }
func (k keyLayout) refreshLock(h string) string    { return k.prefix + "refresh-lock:{" + h + "}" }
func (k keyLayout) bySID(h string) string          { return k.prefix + "sid:" + h }
func (k keyLayout) bySub(h string) string          { return k.prefix + "sub:" + h }
func (k keyLayout) logoutJTI(h string) string      { return k.prefix + "logout-jti:" + h }
func (k keyLayout) validatedToken(h string) string { return k.prefix + "api-token:" + h }

// sessionStore keeps scs sessions in Redis.
type sessionStore struct {
	rdb     redis.UniversalClient
	secrets *Secrets
	keys    keyLayout
	index   sessionIndex
	// maxIdle is how long a saved session lives without another save:
	// the idle timeout plus the step that saves are spaced by (see
	// Sessions.BeforeSave), so that it never ends sooner than the idle
	// timeout after the last request.
	maxIdle time.Duration
	// tombstoneTTL is endedSessionTTL; tests shorten it.
	tombstoneTTL time.Duration
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

// commitScript writes a session unless it has been ended, and moves the
// expiry of its token record with it.
var commitScript = redis.NewScript(`
if redis.call("EXISTS", KEYS[2]) == 1 then return 0 end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
redis.call("PEXPIRE", KEYS[3], ARGV[2])
return 1`)

func (st *sessionStore) CommitCtx(ctx context.Context, token string, b []byte, deadline time.Time) error {
	ttl := min(time.Until(deadline), st.maxIdle).Milliseconds()
	if ttl <= 0 {
		return st.DeleteCtx(ctx, token)
	}
	h := st.secrets.current().hashedName("session", token)
	key := st.keys.session(h)
	sealed := st.secrets.seal(b, key)
	keys := []string{key, st.keys.ended(h), st.keys.tokens(h)}
	written, err := commitScript.Run(ctx, st.rdb, keys, sealed, strconv.FormatInt(ttl, 10)).Int()
	if err != nil {
		return err
	}
	if written == 0 {
		return ErrSessionEnded
	}
	return nil
}

// DeleteCtx ends the session under every secret's name. A visitor who
// never had a session (scs deletes the empty token) costs nothing.
func (st *sessionStore) DeleteCtx(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	for _, ring := range st.secrets.rings {
		if _, err := st.end(ctx, ring.hashedName("session", token)); err != nil {
			return err
		}
	}
	return nil
}

// endScript deletes a session and its token record, leaves its
// tombstone, and returns what they held, so the caller can revoke the
// tokens and tidy the index.
var endScript = redis.NewScript(`
local held = {redis.call("GET", KEYS[1]), redis.call("GET", KEYS[2])}
redis.call("DEL", KEYS[1], KEYS[2])
redis.call("SET", KEYS[3], "1", "PX", ARGV[1])
return held`)

// endedSession is what an ended session held, still sealed; nil when it
// had expired already.
type endedSession struct {
	h              string
	session, token []byte
}

func (st *sessionStore) end(ctx context.Context, h string) (endedSession, error) {
	keys := []string{st.keys.session(h), st.keys.tokens(h), st.keys.ended(h)}
	held, err := endScript.Run(ctx, st.rdb, keys, st.tombstoneTTL.Milliseconds()).Slice()
	if err != nil {
		return endedSession{}, unavailable("end session", err)
	}
	e := endedSession{h: h}
	if s, ok := held[0].(string); ok {
		e.session = []byte(s)
	}
	if t, ok := held[1].(string); ok {
		e.token = []byte(t)
	}
	return e, nil
}

// The non-context methods make scs accept the store; scs calls the context
// ones when a store has them.

func (st *sessionStore) Find(token string) ([]byte, bool, error) {
	return st.FindCtx(context.Background(), token)
}

func (st *sessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return st.CommitCtx(context.Background(), token, b, expiry)
}

func (st *sessionStore) Delete(token string) error {
	return st.DeleteCtx(context.Background(), token)
}
