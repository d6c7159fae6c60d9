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

// takeScript removes a session and its token record for moving,
// returning what they held and the session's remaining lifetime, or nil
// if it was ended.
var takeScript = redis.NewScript(`
if redis.call("EXISTS", KEYS[3]) == 1 then return false end
local held = {redis.call("GET", KEYS[1]), redis.call("GET", KEYS[2]), redis.call("PTTL", KEYS[1])}
redis.call("DEL", KEYS[1], KEYS[2])
redis.call("SET", KEYS[3], "1", "PX", ARGV[1])
return held`)

// putScript writes a moved session and its token record under their new
// names, unless those have been ended.
var putScript = redis.NewScript(`
if redis.call("EXISTS", KEYS[3]) == 1 then return 0 end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[3])
if ARGV[2] ~= "" then redis.call("SET", KEYS[2], ARGV[2], "PX", ARGV[3]) end
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

	old := []string{st.keys.session(oldH), st.keys.tokens(oldH), st.keys.ended(oldH)}
	held, err := takeScript.Run(ctx, st.rdb, old, st.tombstoneTTL.Milliseconds()).Slice()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil // ended while we looked
	}
	if err != nil || len(held) != 3 {
		return nil, false, unavailable("move session to the new secret", err)
	}
	ttl, _ := held[2].(int64)
	if ttl <= 0 {
		return nil, false, nil // expired while we looked
	}

	moved := []string{st.keys.session(newH), st.keys.tokens(newH), st.keys.ended(newH)}
	var tokens []byte
	if value, ok := held[1].(string); ok {
		// A record that does not open moves as none: pages that need the
		// tokens then send the user to log in again.
		if rec, err := st.secrets.openTokenValue(old[1], []byte(value)); err == nil {
			tokens, _ = st.secrets.tokenValue(moved[1], rec.Version, rec)
		}
	}
	session := st.secrets.seal(b, moved[0])
	written, err := putScript.Run(ctx, st.rdb, moved, session, tokens, strconv.FormatInt(ttl, 10)).Int()
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
