package store

// keyLayout names every key the store writes (docs/redis.md shows them).
// A session is two keys named by the keyed hash of its token: its scs
// data, which a page view reads with one GET, and its token record, read
// only by pages that call CONNECT. The braces make that hash a Redis
// Cluster hash tag, so both keys, the tombstone and the refresh lock share
// a slot, and one script may touch them together. Each value is sealed
// bound to its key's name, so it opens nowhere else.
type keyLayout struct{ prefix string }

func (k keyLayout) session(h string) string        { return k.prefix + "session:{" + h + "}" }
func (k keyLayout) tokens(h string) string         { return k.prefix + "tokens:{" + h + "}" }
func (k keyLayout) ended(h string) string          { return k.prefix + "ended:{" + h + "}" }
func (k keyLayout) refreshLock(h string) string    { return k.prefix + "refresh-lock:{" + h + "}" }
func (k keyLayout) bySID(h string) string          { return k.prefix + "sid:" + h }
func (k keyLayout) bySub(h string) string          { return k.prefix + "sub:" + h }
func (k keyLayout) logoutJTI(h string) string      { return k.prefix + "logout-jti:" + h }
func (k keyLayout) validatedToken(h string) string { return k.prefix + "api-token:" + h }
