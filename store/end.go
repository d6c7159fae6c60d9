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
