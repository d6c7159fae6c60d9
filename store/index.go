package store

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Back-channel logout names a CONNECT session (sid) or a user (sub), not
// one of our sessions, and may reach any app instance. So each session is
// listed under its sid and its sub, in Redis hashes every instance can
// read (a hash, not a set: Redis keeps a small hash in a compact encoding,
// a set of strings never before Redis 7.2). The key names hold keyed
// hashes of sid and sub, and the fields keyed hashes of session tokens:
// the index says which sessions belong together, not whose they are, and
// nothing in it works as a cookie.
//
// A member whose session has ended stays until someone reads the set:
// sessions ended by the app are removed at once; those that idled out are
// pruned by whoever next reads the set (a logout, the sessions page).

// sessionIndex keeps the sid and sub indexes; "set" below means one of
// them, whatever Redis type holds it.
type sessionIndex struct {
	rdb      redis.UniversalClient
	secrets  *Secrets
	keys     keyLayout
	lifetime time.Duration // how long a set outlives its newest session
	// idleTimeout is the least time after which a listed session can have
	// idled out: an entry younger than that without its session is one
	// being moved to a new secret (rotation.go), and is not pruned.
	idleTimeout time.Duration
}

// setsOf are the names, under ring, of the sets a session with this
// CONNECT session id and subject belongs to.
func (x sessionIndex) setsOf(ring keyring, sid, sub string) []string {
	var sets []string
	if sid != "" {
		sets = append(sets, x.keys.bySID(ring.hashedName("sid", sid)))
	}
	if sub != "" {
		sets = append(sets, x.keys.bySub(ring.hashedName("sub", sub)))
	}
	return sets
}

// add lists session h under its sid and sub, with the time it was listed.
func (x sessionIndex) add(ctx context.Context, sid, sub, h string) error {
	// Pipelined, not a transaction: the sets may live on different
	// Cluster nodes.
	_, err := x.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, set := range x.setsOf(x.secrets.current(), sid, sub) {
			p.HSet(ctx, set, h, time.Now().Unix())
			p.Expire(ctx, set, x.lifetime)
		}
		return nil
	})
	return unavailable("update session index", err)
}

// remove takes session h out of its sets, under every secret's names.
func (x sessionIndex) remove(ctx context.Context, sid, sub, h string) error {
	return x.removeUnder(ctx, x.secrets.rings, sid, sub, h)
}

// removeOld takes session h out of the sets named under secrets other
// than the current one, once it has moved (rotation.go).
func (x sessionIndex) removeOld(ctx context.Context, sid, sub, h string) error {
	return x.removeUnder(ctx, x.secrets.rings[1:], sid, sub, h)
}

func (x sessionIndex) removeUnder(ctx context.Context, rings []keyring, sid, sub, h string) error {
	_, err := x.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, ring := range rings {
			for _, set := range x.setsOf(ring, sid, sub) {
				p.HDel(ctx, set, h)
			}
		}
		return nil
	})
	return unavailable("update session index", err)
}

// member is one entry of an index set: a session's hashed name, the set
// it was found in, and when it was listed.
type member struct {
	h, set string
	listed time.Time
}

// prunable reports whether m, whose session was not found, may be pruned:
// it was listed long enough ago for the session to have idled out.
// Younger, its session is being moved to a new secret (rotation.go lists
// the new name before it writes the data), and pruning it would hide the
// session from a back-channel logout.
func (x sessionIndex) prunable(m member) bool {
	return time.Since(m.listed) >= x.idleTimeout
}

// members lists the sessions under a sid (kind "sid") or a sub ("sub"),
// under every secret's names.
func (x sessionIndex) members(ctx context.Context, kind, value string) ([]member, error) {
	var sets []string
	for _, ring := range x.secrets.rings {
		if kind == "sid" {
			sets = append(sets, x.setsOf(ring, value, "")...)
		} else {
			sets = append(sets, x.setsOf(ring, "", value)...)
		}
	}
	var all []member
	for _, set := range sets {
		entries, err := x.rdb.HGetAll(ctx, set).Result()
		if err != nil {
			return nil, unavailable("read session index", err)
		}
		for h, listed := range entries {
			unix, _ := strconv.ParseInt(listed, 10, 64) // 0, long ago, if unreadable
			all = append(all, member{h: h, set: set, listed: time.Unix(unix, 0)})
		}
	}
	return all, nil
}

// prune removes a member whose session is gone.
func (x sessionIndex) prune(ctx context.Context, m member) error {
	return unavailable("prune session index", x.rdb.HDel(ctx, m.set, m.h).Err())
}

// markLogoutToken records a back-channel logout token's jti for ttl.
func (x sessionIndex) markLogoutToken(ctx context.Context, jti string, ttl time.Duration) error {
	key := x.keys.logoutJTI(x.secrets.current().hashedName("jti", jti))
	return unavailable("record logout token", x.rdb.Set(ctx, key, 1, ttl).Err())
}

// logoutTokenMarked reports whether jti has been recorded under any
// secret's name.
func (x sessionIndex) logoutTokenMarked(ctx context.Context, jti string) (bool, error) {
	for _, ring := range x.secrets.rings {
		n, err := x.rdb.Exists(ctx, x.keys.logoutJTI(ring.hashedName("jti", jti))).Result()
		if err != nil {
			return false, unavailable("read logout token cache", err)
		}
		if n == 1 {
			return true, nil
		}
	}
	return false, nil
}
