package localconnect

import (
	"net/http"
	"net/url"
	"slices"
	"time"
)

// Request is one request the stand-in received (for tests and the demo).
// Header keeps Authorization, so tests can check how a client authenticated.
// For "backchannel", it is a logout POST the stand-in sent: Path is the
// receiver's URL and Form holds logout_token.
type Request struct {
	Method, Path string
	Header       http.Header
	Form         url.Values
	At           time.Time
}

const (
	// maxRecordedRequests bounds memory in a long demo; Count keeps counting.
	maxRecordedRequests = 100
	maxFormBytes        = 64 << 10
)

// Requests returns the latest requests (up to 100) to endpoint, oldest first.
// Endpoint names: "discovery", "jwks", "authorize", "token", "userinfo",
// "revoke", "introspect", "logout", and "backchannel" for the logout POSTs
// it sent.
func (s *Server) Requests(endpoint string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests[endpoint])
}

// Count returns how many requests endpoint has had since the Server started.
func (s *Server) Count(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[endpoint]
}

func (s *Server) record(endpoint string, req Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[endpoint]++
	reqs := append(s.requests[endpoint], req)
	if len(reqs) > maxRecordedRequests {
		reqs = slices.Delete(reqs, 0, len(reqs)-maxRecordedRequests)
	}
	s.requests[endpoint] = reqs
}

// recorded parses the request's form (query and body), records the request
// under endpoint, then hands it to next.
func (s *Server) recorded(endpoint string, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		err := r.ParseForm()
		s.record(endpoint, Request{
			Method: r.Method,
			Path:   r.URL.Path,
			Header: r.Header.Clone(),
			Form:   cloneValues(r.Form),
			At:     s.now(),
		})
		if err != nil {
			http.Error(w, "malformed form or query", http.StatusBadRequest)
			return
		}
		next(w, r)
	})
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
