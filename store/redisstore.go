package store

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/redis/go-redis/v9"
)

// Why our own scs store rather than scs's goredisstore: scs writes the
// whole session back at the end of every request (the idle timeout moves on
// each one), so a request that loaded a session just before a logout, or a
// back-channel logout on another instance, would write it back after it was
// deleted, and the user would be logged in again. Deleting a session here
// leaves a short-lived tombstone, and a write under a tombstone is dropped,
// in one atomic step. It also takes a redis.UniversalClient.

// ErrSessionEnded is a session write refused because the session was
// ended while the request was in flight. The response must then not set
// the dead session's cookie.
var ErrSessionEnded = errors.New("store: the session was ended during the request")

// endedSessionTTL is how long a deleted session's token is refused. It
// needs to outlast any request in flight (the server's WriteTimeout is 30 s);
// after that an old cookie simply finds no session.
const endedSessionTTL = 5 * time.Minute

// The braces make the session and its tombstone one Redis Cluster hash
// slot, so the commit script may touch both.
func sessionKey(token string) string { return "connect-sample:session:{" + token + "}" }
func endedKey(token string) string   { return "connect-sample:ended:{" + token + "}" }

// redisSessionStore keeps scs sessions in Redis.
type redisSessionStore struct{ rdb redis.UniversalClient }

var _ scs.CtxStore = redisSessionStore{}

func (s redisSessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	b, err := s.rdb.Get(ctx, sessionKey(token)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// commitScript writes a session unless its token has been ended, and gives
// the session's token record (if it has one) the same expiry.
var commitScript = redis.NewScript(`
if redis.call("EXISTS", KEYS[2]) == 1 then return 0 end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
redis.call("PEXPIRE", KEYS[3], ARGV[2])
return 1`)

func (s redisSessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	ttl := time.Until(expiry).Milliseconds()
	if ttl <= 0 {
		return s.DeleteCtx(ctx, token)
	}
	keys := []string{sessionKey(token), endedKey(token), tokensKey(token)}
	written, err := commitScript.Run(ctx, s.rdb, keys, b, strconv.FormatInt(ttl, 10)).Int()
	if err != nil {
		return err
	}
	if written == 0 {
		return ErrSessionEnded
	}
	return nil
}

func (s redisSessionStore) DeleteCtx(ctx context.Context, token string) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, sessionKey(token), tokensKey(token))
		p.Set(ctx, endedKey(token), 1, endedSessionTTL)
		return nil
	})
	return err
}

func (s redisSessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

func (s redisSessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

func (s redisSessionStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}
