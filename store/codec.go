package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// sessionCodec is how scs's session data is written: plain JSON of the
// few values this app keeps, instead of scs's default gob, which builds a
// decoder for its types on every page view (a tenth of a page view's CPU
// in a profile; see bench/README.md). scs keeps values in a map; this
// codec knows each key and its type, so a page view decodes the user
// straight into a User, once.
type sessionCodec struct{}

// The keys scs's values may hold: ours, and the one scs itself uses for
// RememberMe.
const (
	userKey       = "user"
	rememberMeKey = "__rememberMe"
)

type encodedSession struct {
	Deadline   time.Time `json:"deadline"`
	User       *User     `json:"user,omitempty"`
	RememberMe bool      `json:"remember_me,omitempty"`
}

func (sessionCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	s := encodedSession{Deadline: deadline}
	for key, value := range values {
		var ok bool
		switch key {
		case userKey:
			s.User, ok = value.(*User)
		case rememberMeKey:
			s.RememberMe, ok = value.(bool)
		}
		if !ok {
			return nil, fmt.Errorf("encode session: no codec for %q (%T)", key, value)
		}
	}
	return json.Marshal(s)
}

func (sessionCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	var s encodedSession
	if err := json.Unmarshal(b, &s); err != nil {
		return time.Time{}, nil, fmt.Errorf("decode session: %w", err)
	}
	values := map[string]any{}
	if s.User != nil {
		values[userKey] = s.User
	}
	if s.RememberMe {
		values[rememberMeKey] = true
	}
	return s.Deadline, values, nil
}
