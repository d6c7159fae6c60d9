package store

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// How a session ends: its keys are deleted and a tombstone left under its
// name in one script, so that a request still in flight cannot write it
// back (see the first comment of redisstore.go).

// endedSessionTTL is how long a deleted session's key stays refused. It
// needs to outlast any request in flight (the server's WriteTimeout is
// 30 s); after that an old cookie simply finds no session.
const endedSessionTTL = 5 * time.Minute

// ErrSessionEnded is a session write refused because the session was
// ended while the request was in flight. The response must then not set
// the dead session's cookie.
var ErrSessionEnded = errors.New("store: the session was ended during the request")

// DeleteCtx ends the session. Only its current secret's name needs it:
// scs loads a session before it deletes it, and FindCtx has moved it
// there. A visitor who never had a session (scs deletes the empty token)
// costs nothing.
func (st *sessionStore) DeleteCtx(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	_, err := st.end(ctx, st.secrets.current().hashedName("session", token))
	return err
}

// endScript ends a session unless it has ended already: it deletes the
// session, its token record and its login's trace, leaves the tombstone,
// and returns what the first two held (so the caller can revoke the
// tokens and tidy the index, or move them, rotation.go) and the session's
// remaining lifetime. The trace is not returned: a logout has no use for
// it, and a session moved to a new secret goes on without one.
var endScript = sessionScript(`
if redis.call("EXISTS", ended) == 1 then return false end
local held = {redis.call("GET", session), redis.call("GET", tokens), redis.call("PTTL", session)}
redis.call("DEL", session, tokens, trace)
redis.call("SET", ended, "1", "PX", ARGV[1])
return held`)

// endedSession is what an ended session held, still sealed, and how long
// it had left; nil and 0 when it had expired or ended already.
type endedSession struct {
	h              string
	session, token []byte
	ttl            time.Duration
}

func (st *sessionStore) end(ctx context.Context, h string) (endedSession, error) {
	held, err := endScript.Run(ctx, st.rdb, st.keys.ofSession(h).list(), st.tombstoneTTL.Milliseconds()).Slice()
	if errors.Is(err, redis.Nil) {
		return endedSession{h: h}, nil // ended already
	}
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
	if ms, ok := held[2].(int64); ok && ms > 0 {
		e.ttl = time.Duration(ms) * time.Millisecond
	}
	return e, nil
}
