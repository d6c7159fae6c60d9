package localconnect

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// backchannelLogoutEvent is the event a logout token carries (OIDC
// Back-Channel Logout 1.0, section 2.4).
const backchannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

const (
	// maxDeliveries is how many deliveries the sessions page shows.
	maxDeliveries = 20
	// logoutTokenTTL is short: a logout token is used at once or never.
	logoutTokenTTL = 2 * time.Minute
)

// delivery is one back-channel logout POST, as the sessions page shows it.
type delivery struct {
	At       time.Time
	ClientID string
	URL      string
	Status   string // the answer's status line, or
	Err      string // why no answer came
}

// sendBackchannelLogouts tells every client that got tokens in the ended
// session, and registered a back-channel logout URI, that the session is
// over. One POST each, one after another, each bounded by the HTTP client's
// timeout; a failure is logged and not retried.
func (s *Server) sendBackchannelLogouts(ctx context.Context, sess ssoSession) {
	for _, clientID := range sess.clients {
		client := s.clients[clientID]
		if client.BackchannelLogoutURI == "" {
			continue
		}
		token, err := s.logoutToken(clientID, sess)
		if err != nil {
			s.log.Error("sign logout token", "client_id", clientID, "err", err)
			continue
		}
		s.postLogoutToken(ctx, client, token)
	}
}

// logoutToken signs a logout token for one client (Back-Channel Logout 2.4):
// like an ID token, but with events and jti, and never a nonce.
func (s *Server) logoutToken(clientID string, sess ssoSession) (string, error) {
	now := s.now()
	return sign(s.keys.signing().logoutTokens, map[string]any{
		"iss":    s.issuer,
		"aud":    []string{clientID},
		"iat":    now.Unix(),
		"exp":    now.Add(logoutTokenTTL).Unix(),
		"jti":    randomString(),
		"events": map[string]any{backchannelLogoutEvent: map[string]any{}},
		"sid":    sess.sid,
		"sub":    sess.sub,
	})
}

func (s *Server) postLogoutToken(ctx context.Context, client Client, token string) {
	form := url.Values{"logout_token": {token}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, client.BackchannelLogoutURI, strings.NewReader(form.Encode()))
	if err != nil {
		s.log.Error("back-channel logout request", "client_id", client.ID, "err", err)
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	s.record("backchannel", Request{Method: req.Method, Path: client.BackchannelLogoutURI,
		Header: req.Header.Clone(), Form: form, At: s.now()})

	d := delivery{At: s.now(), ClientID: client.ID, URL: client.BackchannelLogoutURI}
	resp, err := s.httpClient.Do(req)
	if err != nil {
		d.Err = err.Error()
		s.log.Warn("back-channel logout failed", "client_id", client.ID, "url", client.BackchannelLogoutURI, "err", err)
	} else {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		d.Status = resp.Status
		s.log.Info("back-channel logout sent", "client_id", client.ID, "url", client.BackchannelLogoutURI, "status", resp.StatusCode)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deliveries = append(s.deliveries, d)
	if len(s.deliveries) > maxDeliveries {
		s.deliveries = s.deliveries[len(s.deliveries)-maxDeliveries:]
	}
}
