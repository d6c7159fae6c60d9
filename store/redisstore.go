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

// keyLayout names every key the store writes (the README's Redis section
// shows them). Everything one session writes is in one hash, named by the
// keyed hash of its token; the braces make that hash a Redis Cluster hash
// tag, so the session, its tombstone and its refresh lock share a slot and
// one script may touch them together.
type keyLayout struct{ prefix string }

func (k keyLayout) session(h string) string     { return k.prefix + "session:{" + h + "}" }
func (k keyLayout) ended(h string) string       { return k.prefix + "ended:{" + h + "}" }
func (k keyLayout) refreshLock(h string) string { return k.prefix + "refresh-lock:{" + h + "}" }
func (k keyLayout) bySID(h string) string       { return k.prefix + "sid:" + h }
func (k keyLayout) bySub(h string) string       { return k.prefix + "sub:" + h }
func (k keyLayout) logoutJTI(h string) string   { return k.prefix + "logout-jti:" + h }
func (k keyLayout) validatedToken(h string) string {
	return k.prefix + "api-token:" + h
}

// The fields of a session's hash. s is scs's session data (the user's
// claims), t the token record, v its version; s and t are sealed, each
// bound to its key and field, so neither opens anywhere else.
const (
	fieldSession = "s"
	fieldTokens  = "t"
	fieldVersion = "v"
)

func sealedAs(key, field string) string { return key + "#" + field }

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

// FindCtx reads a session: one HGET under the current secret's name. A
// session still named and sealed under the previous secret is moved to
// the current one's on the way (rotation.go).
func (st *sessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	for i, ring := range st.secrets.rings {
		h := ring.hashedName("session", token)
		key := st.keys.session(h)
		sealed, err := st.rdb.HGet(ctx, key, fieldSession).Bytes()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		b, err := st.secrets.open(sealed, sealedAs(key, fieldSession))
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
// expiry of everything it holds, tokens included.
var commitScript = redis.NewScript(`
if redis.call("EXISTS", KEYS[2]) == 1 then return 0 end
redis.call("HSET", KEYS[1], "s", ARGV[1])
redis.call("PEXPIRE", KEYS[1], ARGV[2])
return 1`)

func (st *sessionStore) CommitCtx(ctx context.Context, token string, b []byte, deadline time.Time) error {
	ttl := min(time.Until(deadline), st.maxIdle).Milliseconds()
	if ttl <= 0 {
		return st.DeleteCtx(ctx, token)
	}
	h := st.secrets.current().hashedName("session", token)
	key := st.keys.session(h)
	sealed := st.secrets.seal(b, sealedAs(key, fieldSession))
	written, err := commitScript.Run(ctx, st.rdb, []string{key, st.keys.ended(h)}, sealed, strconv.FormatInt(ttl, 10)).Int()
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

// endScript deletes a session, leaves its tombstone, and returns what it
// held, so the caller can revoke its tokens and tidy the index.
var endScript = redis.NewScript(`
local held = redis.call("HMGET", KEYS[1], "s", "t")
redis.call("DEL", KEYS[1])
redis.call("SET", KEYS[2], "1", "PX", ARGV[1])
return held`)

// endedSession is what an ended session held, still sealed; empty fields
// when it had expired already.
type endedSession struct {
	key            string
	session, token []byte
}

func (st *sessionStore) end(ctx context.Context, h string) (endedSession, error) {
	key := st.keys.session(h)
	held, err := endScript.Run(ctx, st.rdb, []string{key, st.keys.ended(h)}, st.tombstoneTTL.Milliseconds()).Slice()
	if err != nil {
		return endedSession{}, unavailable("end session", err)
	}
	e := endedSession{key: key}
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
