package localconnect

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// handleAuthorize serves GET {issuer}/authorize (RFC 6749 4.1.1, OIDC Core
// 3.1.2). With a fitting SSO session it answers at once with a code;
// otherwise it shows the login page, or with prompt=none, login_required.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lang := s.languageOf(w, r)
	client, ok := s.clients[q.Get("client_id")]
	if !ok {
		s.renderMessage(w, r, http.StatusBadRequest, lang, texts(lang).Messages.UnknownClient.with(q.Get("client_id")))
		return
	}
	redirectURI := q.Get("redirect_uri")
	if !slices.Contains(client.RedirectURIs, redirectURI) {
		s.renderMessage(w, r, http.StatusBadRequest, lang, texts(lang).Messages.RedirectURI.with(
			redirectURI, client.ID, strings.Join(client.RedirectURIs, ", ")))
		return
	}
	req, oerr := s.parseAuthorizationRequest(q, client.ID, redirectURI, lang)
	req.uri = r.URL.RequestURI()
	if oerr != nil {
		s.redirectError(w, r, redirectURI, q.Get("state"), oerr)
		return
	}
	sess, hasSession := s.browserSession(r)
	if hasSession && req.prompt != "login" && s.satisfies(sess, req) {
		// Single sign-on: the user is not asked again. auth_time stays the
		// time of the real authentication, and amr says how it happened.
		s.log.Info("SSO login", "client_id", client.ID, "sub", sess.sub, "sid", sess.sid)
		s.redirectCode(w, r, req, sess, append(slices.Clone(sess.amr), "SSO"))
		return
	}
	if req.prompt == "none" {
		s.redirectError(w, r, redirectURI, req.state, &oauthError{Code: "login_required",
			Description: "no CONNECT session that satisfies the request; prompt=none forbids asking the user"})
		return
	}
	id := s.store.savePending(req)
	s.renderLogin(w, r, http.StatusOK, id, req, loginForm{})
}

// parseAuthorizationRequest checks what may be reported back to the client
// by redirect, now that client and redirect URI are known to be good.
func (s *Server) parseAuthorizationRequest(q url.Values, clientID, redirectURI, lang string) (pendingAuthorization, *oauthError) {
	req := pendingAuthorization{
		clientID:      clientID,
		redirectURI:   redirectURI,
		state:         q.Get("state"),
		nonce:         q.Get("nonce"),
		codeChallenge: q.Get("code_challenge"),
		acr:           "1",
		maxAge:        -1,
		prompt:        q.Get("prompt"),
		loginHint:     q.Get("login_hint"),
		lang:          lang,
	}
	if rt := q.Get("response_type"); rt != "code" {
		return req, &oauthError{Code: "unsupported_response_type", Description: "response_type must be code"}
	}
	requested := strings.Fields(q.Get("scope"))
	if !slices.Contains(requested, "openid") {
		return req, &oauthError{Code: "invalid_scope", Description: "scope must contain openid"}
	}
	for _, sc := range supportedScopes {
		if slices.Contains(requested, sc) {
			req.scope = append(req.scope, sc)
		}
	}
	switch {
	case req.codeChallenge == "":
		return req, invalidRequest("code_challenge is required (PKCE)")
	case q.Get("code_challenge_method") != "S256":
		return req, invalidRequest("code_challenge_method must be S256")
	case len(req.codeChallenge) != 43:
		return req, invalidRequest("code_challenge must be a base64url SHA-256 hash (43 characters)")
	}
	switch req.prompt {
	case "", "none", "login":
	default:
		return req, invalidRequest("prompt must be none or login")
	}
	if v := q.Get("max_age"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return req, invalidRequest("max_age must be a non-negative number of seconds")
		}
		req.maxAge = n
	}
	// acr_values lists acceptable levels; asking for 2 means the password.
	if slices.Contains(strings.Fields(q.Get("acr_values")), "2") {
		req.acr = "2"
	}
	return req, nil
}

// satisfies reports whether an existing SSO session is good enough for req:
// the user login_hint names, if it names one, at least the level asked for,
// and recent enough for max_age.
func (s *Server) satisfies(sess ssoSession, req pendingAuthorization) bool {
	if hinted := s.hintedUser(req.loginHint); hinted != "" && hinted != sess.sub {
		return false // the app wants another user than the one logged in here
	}
	if sess.acr < req.acr { // "1" < "2"
		return false
	}
	return req.maxAge < 0 || s.now().Sub(sess.authTime) <= time.Duration(req.maxAge)*time.Second
}

// handleLoginForm serves POST {issuer}/authorize, the login page's form:
// request_id, user, password, stay_signed_in, everyone, and action "login",
// "cancel" or "everyone" (show every test user despite login_hint).
func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	id := r.PostFormValue("request_id")
	req, ok := s.store.pendingAuthorization(id)
	if !ok {
		lang := visitorLanguage(r)
		s.renderMessage(w, r, http.StatusBadRequest, lang, texts(lang).Messages.Expired)
		return
	}
	t := texts(req.lang)
	switch r.PostFormValue("action") {
	case "cancel":
		if !s.store.takePending(id) {
			s.renderMessage(w, r, http.StatusBadRequest, req.lang, t.Messages.Answered)
			return
		}
		s.redirectError(w, r, req.redirectURI, req.state, &oauthError{Code: "access_denied", Description: "the user cancelled the login"})
		return
	case "everyone":
		s.renderLogin(w, r, http.StatusOK, id, req, loginForm{everyone: true,
			staySignedIn: r.PostFormValue("stay_signed_in") == "on"})
		return
	case "login":
	default:
		s.renderMessage(w, r, http.StatusBadRequest, req.lang, t.Messages.UnknownAction)
		return
	}

	form := loginForm{user: r.PostFormValue("user"), staySignedIn: r.PostFormValue("stay_signed_in") == "on",
		everyone: r.PostFormValue("everyone") == "on"}
	user, ok := s.user(form.user)
	if !ok {
		form.problem = t.Login.ChooseUserError
		s.renderLogin(w, r, http.StatusOK, id, req, form)
		return
	}
	// LoA1 is the phone: the stand-in takes choosing the user as that. LoA2
	// adds the password; a password given unasked is checked and counts too.
	acr, amr := "1", []string{"OK"}
	if password := r.PostFormValue("password"); req.acr == "2" || password != "" {
		if subtle.ConstantTimeCompare([]byte(password), []byte(user.Password)) != 1 {
			s.log.Info("login failed: wrong password", "client_id", req.clientID, "sub", user.Sub)
			form.problem = fmt.Sprintf(t.Login.WrongPassword, user.Name)
			s.renderLogin(w, r, http.StatusOK, id, req, form)
			return
		}
		acr, amr = "2", []string{"UID_PWD"}
	}
	if !s.store.takePending(id) {
		s.renderMessage(w, r, http.StatusBadRequest, req.lang, t.Messages.Answered)
		return
	}
	sess := s.startSession(w, r, user.Sub, acr, amr, form.staySignedIn)
	s.log.Info("user logged in", "client_id", req.clientID, "sub", user.Sub, "sid", sess.sid, "acr", acr)
	s.redirectCode(w, r, req, sess, amr)
}

// redirectCode issues a code for req in session sess and sends the browser
// back to the client with it (RFC 6749 4.1.2).
func (s *Server) redirectCode(w http.ResponseWriter, r *http.Request, req pendingAuthorization, sess ssoSession, amr []string) {
	code := s.store.issueCode(grant{
		clientID: req.clientID,
		sub:      sess.sub,
		sid:      sess.sid,
		scope:    req.scope,
		authTime: sess.authTime,
		acr:      sess.acr,
		amr:      amr,
		tdSLS:    !sess.staySignedIn,
		nonce:    req.nonce,
	}, req.redirectURI, req.codeChallenge)
	redirectTo(w, r, req.redirectURI, url.Values{"code": {code}}, req.state)
}

// redirectError reports an error to the client's redirect URI (RFC 6749
// 4.1.2.1); only ever called once that URI is known to be registered.
func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, redirectURI, state string, e *oauthError) {
	s.log.Info("authorization refused", "error", e.Code, "reason", e.Description)
	params := url.Values{"error": {e.Code}}
	if e.Description != "" {
		params.Set("error_description", e.Description)
	}
	redirectTo(w, r, redirectURI, params, state)
}

func redirectTo(w http.ResponseWriter, r *http.Request, target string, params url.Values, state string) {
	u, err := url.Parse(target)
	if err != nil { // registered URIs were checked in New
		http.Error(w, "bad redirect URI", http.StatusInternalServerError)
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// hintedUser returns the Sub of the user login_hint names, or "". CONNECT
// takes a username there: an e-mail address or a phone number, which is
// also what the ID token's td_au holds.
func (s *Server) hintedUser(hint string) string {
	hint = strings.TrimSpace(hint)
	if hint == "" {
		return ""
	}
	phone := normalizePhone(hint)
	for _, u := range s.users {
		if strings.EqualFold(hint, u.Email) || phone != "" && phone == normalizePhone(u.PhoneNumber) {
			return u.Sub
		}
	}
	return ""
}

// normalizePhone turns a Norwegian mobile number as people write it ("912
// 34 567", "004791234567", "+47 912-34-567", "(+47) 91234567") into
// "+4791234567", so a login_hint matches however it is written. Anything
// that is not a phone number gives "".
func normalizePhone(p string) string {
	p = strings.Map(func(r rune) rune {
		if strings.ContainsRune(" -.()\u00a0", r) {
			return -1
		}
		return r
	}, p)
	if rest, ok := strings.CutPrefix(p, "00"); ok {
		p = "+" + rest
	}
	switch {
	case len(p) == 8:
		p = "+47" + p
	case len(p) == 10 && strings.HasPrefix(p, "47"):
		p = "+" + p
	}
	digits, ok := strings.CutPrefix(p, "+")
	if !ok || len(digits) < 8 || strings.Trim(digits, "0123456789") != "" {
		return ""
	}
	return p
}
