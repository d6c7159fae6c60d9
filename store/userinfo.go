package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/telenordigital/connect-web-sample/connect"
)

// MaxUserInfoAge is how long a userinfo answer is shown again without
// asking CONNECT: a profile page view should not cost a call to CONNECT
// each time, and a minute is short enough for a changed name to show.
const MaxUserInfoAge = time.Minute

// KeptUserInfo is a userinfo answer kept for the profile page, with when
// it was fetched.
type KeptUserInfo struct {
	Info      *connect.UserInfo `json:"info"`
	FetchedAt time.Time         `json:"fetched_at"`
	// Scope is what the access token it was fetched with was granted.
	Scope string `json:"scope,omitempty"`
	// Until is when it stops being shown: MaxUserInfoAge after it was
	// fetched, or the notAfter its keeper gave (the access token's
	// expiry, or when it falls due for refresh), whichever is first. It is
	// sealed with the answer, so Redis's expiry is not the only control.
	Until time.Time `json:"until"`
}

// The answer has a key of its own, named by the session: not in the
// session value every page reads, nor in the token record, which a
// refresh replaces whole. It is not deleted with the session: it expires
// within a minute, and only the session's token names it.
func (s *Sessions) userInfoKey(ctx context.Context) (string, error) {
	h, err := s.current(ctx)
	if err != nil {
		return "", err
	}
	return s.keys.userInfo(h), nil
}

// KeptUserInfo returns this session's kept userinfo answer, if it is
// still within its limits.
func (s *Sessions) KeptUserInfo(ctx context.Context) (*KeptUserInfo, bool, error) {
	key, err := s.userInfoKey(ctx)
	if err != nil {
		return nil, false, err
	}
	sealed, err := s.rdb.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, unavailable("read userinfo", err)
	}
	plain, err := s.secrets.open(sealed, key)
	if err != nil {
		return nil, false, nil
	}
	var kept KeptUserInfo
	if err := json.Unmarshal(plain, &kept); err != nil || kept.Info == nil || !s.now().Before(kept.Until) {
		return nil, false, nil
	}
	return &kept, true, nil
}

// KeepUserInfo keeps info, fetched now with an access token granted
// scope, for at most MaxUserInfoAge and not after notAfter (at the latest
// the token's expiry).
func (s *Sessions) KeepUserInfo(ctx context.Context, info *connect.UserInfo, scope string, notAfter time.Time) (*KeptUserInfo, error) {
	now := s.now()
	kept := &KeptUserInfo{Info: info, FetchedAt: now, Scope: scope, Until: now.Add(MaxUserInfoAge)}
	if !notAfter.IsZero() && notAfter.Before(kept.Until) {
		kept.Until = notAfter
	}
	ttl := kept.Until.Sub(now)
	if ttl <= 0 {
		return kept, nil
	}
	key, err := s.userInfoKey(ctx)
	if err != nil {
		return kept, err
	}
	plain, err := json.Marshal(kept)
	if err != nil {
		return kept, err
	}
	if err := s.rdb.Set(ctx, key, s.secrets.seal(plain, key), ttl).Err(); err != nil {
		return kept, unavailable("keep userinfo", err)
	}
	return kept, nil
}
