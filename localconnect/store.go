package localconnect

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"
)

// Lifetimes the stand-in fixes. CONNECT's own values differ; clients must
// not depend on them.
const (
	pendingTTL = 10 * time.Minute // a login page left open this long must start again
	codeTTL    = 60 * time.Second
	// usedCodeMemory is how long a redeemed code is remembered, so that a
	// replay is recognised and its tokens revoked (RFC 6749 4.1.2).
	usedCodeMemory       = 10 * time.Minute
	persistentSessionTTL = 30 * 24 * time.Hour // "Stay signed in" ticked
	browserSessionTTL    = 12 * time.Hour      // not ticked: the cookie also ends with the browser
	sweepInterval        = time.Minute
)

// pendingAuthorization is a checked authorization request waiting for the
// user on the login page. The page carries only its id (request_id).
type pendingAuthorization struct {
	clientID, redirectURI, state, nonce string
	scope                               []string
	codeChallenge                       string
	acr                                 string // level asked for: "1" or "2"
	maxAge                              int    // seconds; -1 when not sent
	prompt                              string
	loginHint                           string
	lang                                string
	uri                                 string // the authorization request, for the login page's language switch
	expires                             time.Time
}

// A grant is one authorization: what a code was issued for, and so what every
// token in the chain issued from it (by refreshing) carries. Revoking the grant
// ends the whole chain. Only revoked changes after creation.
type grant struct {
	clientID string
	sub, sid string
	scope    []string
	authTime time.Time
	acr      string
	amr      []string
	tdSLS    bool
	nonce    string // goes only into the ID token of the code exchange
	revoked  bool
}

type authCode struct {
	grant         *grant
	redirectURI   string
	codeChallenge string
	issued        time.Time
	used          bool
}

type accessToken struct {
	grant           *grant
	scope           []string
	issued, expires time.Time
}

type refreshToken struct {
	grant   *grant
	expires time.Time
	used    bool // rotated: presenting it again means it leaked
}

// ssoSession is the user's session at CONNECT itself, kept with the browser
// through a cookie. Its id (sid) goes into tokens; the cookie holds a separate
// random value, so a client that knows a sid cannot take over the session.
type ssoSession struct {
	sid, sub     string
	cookie       string
	authTime     time.Time
	acr          string
	amr          []string
	staySignedIn bool
	clients      []string // clients that got tokens in this session, for back-channel logout
	expires      time.Time
}

// tokenSet is what one token response hands out.
type tokenSet struct {
	grant        grant
	access       string
	refresh      string
	scope        []string
	idTokenNonce string
}

// store keeps everything the stand-in issues, in memory. Access tokens are
// kept by their string whatever their format, so a JWT access token is
// revoked, expired and looked up exactly as an opaque one.
type store struct {
	now                   func() time.Time
	accessTTL, refreshTTL time.Duration
	newAccessToken        mintFunc

	mu            sync.Mutex // guards the fields below
	pending       map[string]pendingAuthorization
	codes         map[string]*authCode
	accessTokens  map[string]*accessToken
	refreshTokens map[string]*refreshToken
	sessions      map[string]*ssoSession // by sid
	sidByCookie   map[string]string
	lastSweep     time.Time
}

// mintFunc makes the string of a new access token for a grant.
type mintFunc func(g *grant, scope []string, issued, expires time.Time) (string, error)

func newStore(now func() time.Time, accessTTL, refreshTTL time.Duration, newAccessToken mintFunc) *store {
	return &store{
		now:            now,
		accessTTL:      accessTTL,
		refreshTTL:     refreshTTL,
		newAccessToken: newAccessToken,
		pending:        make(map[string]pendingAuthorization),
		codes:          make(map[string]*authCode),
		accessTokens:   make(map[string]*accessToken),
		refreshTokens:  make(map[string]*refreshToken),
		sessions:       make(map[string]*ssoSession),
		sidByCookie:    make(map[string]string),
	}
}

// randomString returns 32 random bytes, base64url encoded: the form of every
// code, token, sid and request id the stand-in makes.
func randomString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (st *store) savePending(p pendingAuthorization) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sweepLocked()
	id := randomString()
	p.expires = st.now().Add(pendingTTL)
	st.pending[id] = p
	return id
}

func (st *store) pendingAuthorization(id string) (pendingAuthorization, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	p, ok := st.pending[id]
	if !ok || !st.now().Before(p.expires) {
		return pendingAuthorization{}, false
	}
	return p, true
}

// takePending removes the pending authorization, so that one login page is
// answered once even if the form is posted twice.
func (st *store) takePending(id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	p, ok := st.pending[id]
	delete(st.pending, id)
	return ok && st.now().Before(p.expires)
}

func (st *store) issueCode(g grant, redirectURI, codeChallenge string) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sweepLocked()
	code := randomString()
	st.codes[code] = &authCode{grant: &g, redirectURI: redirectURI, codeChallenge: codeChallenge, issued: st.now()}
	return code
}

// exchangeCode redeems a code for tokens (RFC 6749 4.1.3, RFC 7636 4.6).
// A failed check leaves the code usable; a second redemption revokes what the
// first one issued, as the code has evidently leaked (RFC 6749 4.1.2).
func (st *store) exchangeCode(code, clientID, redirectURI, verifier string) (tokenSet, *oauthError) {
	st.mu.Lock()
	defer st.mu.Unlock()
	c, ok := st.codes[code]
	switch {
	case !ok:
		return tokenSet{}, invalidGrant("unknown authorization code")
	case c.used:
		c.grant.revoked = true
		return tokenSet{}, invalidGrant("authorization code already used; the tokens issued for it are revoked")
	case st.now().Sub(c.issued) > codeTTL:
		return tokenSet{}, invalidGrant("authorization code expired")
	case c.grant.clientID != clientID:
		return tokenSet{}, invalidGrant("authorization code was issued to another client")
	case c.redirectURI != redirectURI:
		return tokenSet{}, invalidGrant("redirect_uri does not match the authorization request")
	case !pkceMatches(verifier, c.codeChallenge):
		return tokenSet{}, invalidGrant("code_verifier does not match the code_challenge")
	}
	ts, err := st.issueTokensLocked(c.grant, c.grant.scope)
	if err != nil {
		return tokenSet{}, serverError("could not issue the access token")
	}
	c.used = true
	if s, ok := st.sessions[c.grant.sid]; ok && !slices.Contains(s.clients, clientID) {
		s.clients = append(s.clients, clientID)
	}
	ts.idTokenNonce = c.grant.nonce
	return ts, nil
}

// pkceMatches checks an S256 code verifier (RFC 7636 4.1 and 4.6).
func pkceMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	for _, r := range verifier {
		if !isUnreserved(r) {
			return false
		}
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

func isUnreserved(r rune) bool {
	return 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' ||
		r == '-' || r == '.' || r == '_' || r == '~'
}

// refresh rotates a refresh token: it works once and is replaced by a new
// one. Presenting a rotated token again revokes the whole chain, since either
// the client or an attacker holds a stolen copy.
// A refresh may narrow the scope, never widen it (RFC 6749 6); nil scope
// keeps the grant's.
func (st *store) refresh(token, clientID string, scope []string) (tokenSet, *oauthError) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sweepLocked()
	rt, ok := st.refreshTokens[token]
	switch {
	case !ok:
		return tokenSet{}, invalidGrant("unknown refresh token")
	case rt.grant.clientID != clientID:
		return tokenSet{}, invalidGrant("refresh token was issued to another client")
	case rt.grant.revoked:
		return tokenSet{}, invalidGrant("refresh token revoked")
	case rt.used:
		rt.grant.revoked = true
		return tokenSet{}, invalidGrant("refresh token already used; its chain is revoked")
	case !st.now().Before(rt.expires):
		return tokenSet{}, invalidGrant("refresh token expired")
	case !isSubset(scope, rt.grant.scope):
		return tokenSet{}, &oauthError{http.StatusBadRequest, "invalid_scope", "scope exceeds the original grant"}
	}
	if scope == nil {
		scope = rt.grant.scope
	}
	ts, err := st.issueTokensLocked(rt.grant, scope)
	if err != nil {
		return tokenSet{}, serverError("could not issue the access token")
	}
	rt.used = true
	return ts, nil
}

// issueTokensLocked makes an access and a refresh token for g. It fails only
// when a JWT access token cannot be signed, before anything is recorded.
func (st *store) issueTokensLocked(g *grant, scope []string) (tokenSet, error) {
	now := st.now()
	expires := now.Add(st.accessTTL)
	access, err := st.newAccessToken(g, scope, now, expires)
	if err != nil {
		return tokenSet{}, err
	}
	ts := tokenSet{grant: *g, access: access, refresh: randomString(), scope: scope}
	st.accessTokens[ts.access] = &accessToken{grant: g, scope: scope, issued: now, expires: expires}
	st.refreshTokens[ts.refresh] = &refreshToken{grant: g, expires: now.Add(st.refreshTTL)}
	return ts, nil
}

// activeAccessToken is what the stand-in knows of a valid access token.
type activeAccessToken struct {
	grant
	scope           []string
	issued, expires time.Time
}

// accessToken returns what is behind a valid access token: known, neither
// expired nor revoked.
func (st *store) accessToken(token string) (activeAccessToken, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	at, ok := st.accessTokens[token]
	if !ok || at.grant.revoked || !st.now().Before(at.expires) {
		return activeAccessToken{}, false
	}
	return activeAccessToken{grant: *at.grant, scope: at.scope, issued: at.issued, expires: at.expires}, true
}

// revoke implements RFC 7009 for tokens of clientID. Revoking a refresh token
// ends its chain, access tokens included; revoking an access token ends only
// that token. Other clients' tokens are left alone.
func (st *store) revoke(token, clientID string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if rt, ok := st.refreshTokens[token]; ok && rt.grant.clientID == clientID {
		rt.grant.revoked = true
	}
	if at, ok := st.accessTokens[token]; ok && at.grant.clientID == clientID {
		delete(st.accessTokens, token)
	}
}

func (st *store) expireAccessTokens() {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	for _, at := range st.accessTokens {
		at.expires = now
	}
}

func (st *store) sessionByCookie(cookie string) (ssoSession, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.sessions[st.sidByCookie[cookie]]
	if !ok || !st.now().Before(s.expires) {
		return ssoSession{}, false
	}
	return s.snapshot(), true
}

func (s *ssoSession) snapshot() ssoSession {
	c := *s
	c.clients = slices.Clone(s.clients)
	return c
}

// authenticated records a fresh authentication of sub. If the browser's
// session (cookie) belongs to sub it is renewed and keeps its sid, so clients
// see one CONNECT session through re-authentication and step-up. Otherwise a
// new session starts; a session of another user on that cookie is returned
// as replaced, for the caller to end.
func (st *store) authenticated(cookie, sub, acr string, amr []string, staySignedIn bool) (s ssoSession, replaced string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sweepLocked()
	now := st.now()
	ttl := browserSessionTTL
	if staySignedIn {
		ttl = persistentSessionTTL
	}
	if old, ok := st.sessions[st.sidByCookie[cookie]]; ok {
		if old.sub == sub {
			old.authTime, old.acr, old.amr, old.staySignedIn, old.expires = now, acr, amr, staySignedIn, now.Add(ttl)
			return old.snapshot(), ""
		}
		replaced = old.sid
	}
	ns := &ssoSession{sid: randomString(), sub: sub, cookie: randomString(), authTime: now,
		acr: acr, amr: amr, staySignedIn: staySignedIn, expires: now.Add(ttl)}
	st.sessions[ns.sid] = ns
	st.sidByCookie[ns.cookie] = ns.sid
	return ns.snapshot(), replaced
}

// endSession removes the session and revokes every grant made in it.
func (st *store) endSession(sid string) (ssoSession, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.sessions[sid]
	if !ok {
		return ssoSession{}, false
	}
	delete(st.sessions, sid)
	delete(st.sidByCookie, s.cookie)
	for _, rt := range st.refreshTokens {
		if rt.grant.sid == sid {
			rt.grant.revoked = true
		}
	}
	for _, at := range st.accessTokens {
		if at.grant.sid == sid {
			at.grant.revoked = true
		}
	}
	for _, c := range st.codes {
		if c.grant.sid == sid {
			c.grant.revoked = true
			c.used = true
		}
	}
	return s.snapshot(), true
}

// activeSessions lists live sessions, most recent authentication first.
func (st *store) activeSessions() []ssoSession {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	var out []ssoSession
	for _, s := range st.sessions {
		if now.Before(s.expires) {
			out = append(out, s.snapshot())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].authTime.After(out[j].authTime) })
	return out
}

// sweepLocked drops expired entries, at most once a minute, so a long demo
// does not grow without bound. Callers hold st.mu.
func (st *store) sweepLocked() {
	now := st.now()
	if now.Sub(st.lastSweep) < sweepInterval {
		return
	}
	st.lastSweep = now
	for id, p := range st.pending {
		if !now.Before(p.expires) {
			delete(st.pending, id)
		}
	}
	for code, c := range st.codes {
		if now.Sub(c.issued) > usedCodeMemory {
			delete(st.codes, code)
		}
	}
	for t, at := range st.accessTokens {
		if !now.Before(at.expires) {
			delete(st.accessTokens, t)
		}
	}
	for t, rt := range st.refreshTokens {
		if !now.Before(rt.expires) {
			delete(st.refreshTokens, t)
		}
	}
	for sid, s := range st.sessions {
		if !now.Before(s.expires) {
			delete(st.sessions, sid)
			delete(st.sidByCookie, s.cookie)
		}
	}
}
