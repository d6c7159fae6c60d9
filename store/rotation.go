package store

import (
	"context"
	"errors"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// After SESSION_SECRET changes (the old one in SESSION_SECRET_PREVIOUS), a
// session's key is still named, and its values sealed, under the old
// secret. The first request that reads it moves it: new name, values
// sealed anew, index entries under the new names. Then the old secret can
// go without logging that user out.
//
// The two names are in different Cluster slots, so the move cannot be one
// atomic step. It is ordered so that whatever runs alongside it, a session
// that is ended stays ended:
//
//  1. list the new name in the index, so a back-channel logout that reads
//     the index from here on finds it;
//  2. take the old session, unless it was ended: delete it and leave its
//     tombstone, in one script;
//  3. write it under the new name, unless that was ended meanwhile.
//
// A concurrent request of the same browser that reads between 2 and 3
// finds no session and shows that one page logged out; nothing is lost.

// takeScript removes a session for moving, returning its fields and its
// remaining lifetime, or nil if it was ended.
var takeScript = redis.NewScript(`
if redis.call("EXISTS", KEYS[2]) == 1 then return false end
local held = redis.call("HMGET", KEYS[1], "s", "v", "t")
local ttl = redis.call("PTTL", KEYS[1])
redis.call("DEL", KEYS[1])
redis.call("SET", KEYS[2], "1", "PX", ARGV[1])
return {held[1], held[2], held[3], ttl}`)

// putScript writes a moved session under its new name, unless that name
// has been ended.
var putScript = redis.NewScript(`
if redis.call("EXISTS", KEYS[2]) == 1 then return 0 end
redis.call("HSET", KEYS[1], "s", ARGV[1])
if ARGV[3] ~= "" then redis.call("HSET", KEYS[1], "v", ARGV[2], "t", ARGV[3]) end
redis.call("PEXPIRE", KEYS[1], ARGV[4])
return 1`)

// moveToCurrentSecret moves the session of token, found under the old
// name oldH with data b (already opened), to the current secret's name.
// It returns the session as FindCtx does: not found if it was ended.
func (st *sessionStore) moveToCurrentSecret(ctx context.Context, token, oldH string, b []byte) ([]byte, bool, error) {
	_, values, err := (sessionCodec{}).Decode(b)
	if err != nil {
		return nil, false, nil
	}
	u, _ := values[userKey].(*User)
	newH := st.secrets.current().hashedName("session", token)
	if u != nil {
		if err := st.index.add(ctx, u.Claims.SessionID, u.Claims.Subject, newH); err != nil {
			return nil, false, err
		}
	}

	oldKey := st.keys.session(oldH)
	held, err := takeScript.Run(ctx, st.rdb, []string{oldKey, st.keys.ended(oldH)}, st.tombstoneTTL.Milliseconds()).Slice()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil // ended while we looked
	}
	if err != nil || len(held) != 4 {
		return nil, false, unavailable("move session to the new secret", err)
	}
	version, _ := held[1].(string)
	ttl, _ := held[3].(int64)
	if ttl <= 0 {
		return nil, false, nil // expired while we looked
	}

	newKey := st.keys.session(newH)
	var tokens []byte
	if sealed, ok := held[2].(string); ok {
		plain, err := st.secrets.open([]byte(sealed), sealedAs(oldKey, fieldTokens))
		if err == nil {
			tokens = st.secrets.seal(plain, sealedAs(newKey, fieldTokens))
		}
	}
	session := st.secrets.seal(b, sealedAs(newKey, fieldSession))
	written, err := putScript.Run(ctx, st.rdb, []string{newKey, st.keys.ended(newH)},
		session, version, tokens, strconv.FormatInt(ttl, 10)).Int()
	if err != nil {
		return nil, false, unavailable("move session to the new secret", err)
	}
	if written == 0 {
		return nil, false, nil
	}
	if u != nil {
		// The old entries would be pruned when read; tidier to go now.
		_ = st.index.removeOld(ctx, u.Claims.SessionID, u.Claims.Subject, oldH)
	}
	return b, true, nil
}
