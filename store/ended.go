package store

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// A session ended from the sessions page must keep that device out. Ending
// it here is not enough: the device's browser still has its CONNECT
// session, and single sign-on would log it straight back in. So the
// CONNECT session it came from (its sid) is remembered with the time it
// was ended, and a login that carries that sid and an authentication from
// before then is not accepted (connectweb's callback asks for a fresh
// one).

// rememberEnded records the CONNECT session of u, a session just ended
// from the sessions page, for Sessions' EndedSessionMemory.
func (s *Sessions) rememberEnded(ctx context.Context, u *User) error {
	if u == nil || u.Claims.SessionID == "" || s.endedMemory <= 0 {
		return nil
	}
	key := s.keys.endedSID(s.secrets.current().hashedName("sid", u.Claims.SessionID))
	if err := s.rdb.Set(ctx, key, strconv.FormatInt(s.now().Unix(), 10), s.endedMemory).Err(); err != nil {
		return unavailable("remember ended session", err)
	}
	return nil
}

// EndedAt reports when a session of CONNECT session sid was last ended
// from the sessions page, if within EndedSessionMemory.
func (s *Sessions) EndedAt(ctx context.Context, sid string) (time.Time, bool, error) {
	if sid == "" || s.endedMemory <= 0 {
		return time.Time{}, false, nil
	}
	key := s.keys.endedSID(s.secrets.current().hashedName("sid", sid))
	v, err := s.rdb.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, unavailable("read ended session", err)
	}
	unix, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		// Not a value we wrote: treat the sid as ended just now.
		return s.now(), true, nil
	}
	return time.Unix(unix, 0), true, nil
}
