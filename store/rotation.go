package store

import (
	"context"
	"strconv"
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
//     tombstone, in one script (endScript, as any end of a session);
//  3. write it under the new name, unless that was ended meanwhile
//     (commitScript, as any save).
//
// A concurrent request of the same browser that reads between 2 and 3
// finds no session and shows that one page logged out; nothing is lost.

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

	taken, err := st.end(ctx, oldH)
	if err != nil {
		return nil, false, err
	}
	if taken.session == nil || taken.ttl <= 0 {
		return nil, false, nil // ended or expired while we looked
	}

	moved := st.keys.ofSession(newH)
	var tokens []byte
	if taken.token != nil {
		// A record that does not open moves as none: pages that need the
		// tokens then send the user to log in again.
		if rec, err := st.secrets.openTokenValue(st.keys.tokens(oldH), taken.token); err == nil {
			tokens, _ = st.secrets.tokenValue(moved.tokens, rec.Version, rec)
		}
	}
	session := st.secrets.seal(b, moved.session)
	written, err := commitScript.Run(ctx, st.rdb, moved.list(), session, strconv.FormatInt(taken.ttl.Milliseconds(), 10), tokens).Int()
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
