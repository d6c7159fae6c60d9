package store

import (
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// keyLayout names every key the store writes (docs/redis.md shows them).
// A session is three keys named by the keyed hash of its token: its scs
// data, which a page view reads with one GET, its token record, read
// only by pages that call CONNECT, and the trace of its login (trace.go),
// read only by /session. The braces make that hash a Redis Cluster hash
// tag, so these keys, the tombstone and the refresh lock share a slot,
// and one script may touch them together. Each value is sealed
// bound to its key's name, so it opens nowhere else.
type keyLayout struct{ prefix string }

func (k keyLayout) session(h string) string        { return k.prefix + "session:{" + h + "}" }
func (k keyLayout) tokens(h string) string         { return k.prefix + "tokens:{" + h + "}" }
func (k keyLayout) trace(h string) string          { return k.prefix + "trace:{" + h + "}" }
func (k keyLayout) ended(h string) string          { return k.prefix + "ended:{" + h + "}" }
func (k keyLayout) refreshLock(h string) string    { return k.prefix + "refresh-lock:{" + h + "}" }
func (k keyLayout) bySID(h string) string          { return k.prefix + "sid:" + h }
func (k keyLayout) bySub(h string) string          { return k.prefix + "sub:" + h }
func (k keyLayout) logoutJTI(h string) string      { return k.prefix + "logout-jti:" + h }
func (k keyLayout) validatedToken(h string) string { return k.prefix + "api-token:" + h }
func (k keyLayout) callback(h string) string       { return k.prefix + "callback:" + h }
func (k keyLayout) endedSID(h string) string       { return k.prefix + "ended-sid:" + h }
func (k keyLayout) userInfo(h string) string       { return k.prefix + "userinfo:{" + h + "}" }

// sessionKeys are the keys of one session that its scripts (commitScript,
// endScript) touch together, all in one Cluster slot.
type sessionKeys struct{ session, ended, tokens, trace string }

func (k keyLayout) ofSession(h string) sessionKeys {
	return sessionKeys{session: k.session(h), ended: k.ended(h), tokens: k.tokens(h), trace: k.trace(h)}
}

// list is the order in which the scripts get the keys, as KEYS.
func (k sessionKeys) list() []string { return []string{k.session, k.ended, k.tokens, k.trace} }

// newScript is a Lua script whose KEYS have names. names (a keys type's
// list, applied to a value that holds its own field names) say what
// KEYS[1], KEYS[2], ... are; they are declared as locals of those names
// before body, which uses only the names. Callers pass the same list
// method's keys, so each script's key positions are written once.
func newScript(names []string, body string) *redis.Script {
	var b strings.Builder
	for i, name := range names {
		fmt.Fprintf(&b, "local %s = KEYS[%d]\n", name, i+1)
	}
	return redis.NewScript(b.String() + body)
}

// sessionScript is a script over a session's keys, by name.
func sessionScript(body string) *redis.Script {
	return newScript(sessionKeys{session: "session", ended: "ended", tokens: "tokens", trace: "trace"}.list(), body)
}
