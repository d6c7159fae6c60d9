package store

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/telenordigital/connect-web-sample/connect"
)

// A session's trace is how its login, and its latest refresh, went over
// the wire (connect.Trace), for /session to show. It is a key of its own
// beside the session's, sealed like the rest: not in the session data,
// which every page view reads, nor in the token record, which a refresh
// swaps by compare-and-swap. It expires with the session (commitScript)
// and goes with it (endScript). Nothing secret is in it, yet it is never
// logged: it is the user's login.

// maxTraceSize bounds a session's trace as stored, sealed: a partner's
// CONNECT may name long endpoints or grant a long scope, and a trace must
// not grow a session's keys without limit.
const maxTraceSize = 2048

// LoginTrace is what a session keeps of how it came to be.
type LoginTrace struct {
	Login connect.Trace `json:"login"`
	// Refresh is the latest refresh's, once there has been one.
	Refresh *connect.Trace `json:"refresh,omitempty"`
	// Trimmed says details were left out to keep within maxTraceSize.
	Trimmed bool `json:"trimmed,omitempty"`
}

// ErrNoTrace means the session keeps no trace: it began before traces
// were kept, or was moved to a new SESSION_SECRET (rotation.go).
var ErrNoTrace = errors.New("store: no trace of this session's login")

// putTrace stores t for the session named h, for ttl, or only if a trace
// is there already (keep, which also keeps its expiry), so a refresh
// cannot bring back the trace of a session ended meanwhile.
func (s *Sessions) putTrace(ctx context.Context, h string, t LoginTrace, ttl time.Duration, keep bool) error {
	key := s.keys.trace(h)
	value, err := s.traceValue(key, t)
	if err != nil {
		return err
	}
	args := redis.SetArgs{TTL: ttl}
	if keep {
		args = redis.SetArgs{Mode: "XX", KeepTTL: true}
	}
	err = s.rdb.SetArgs(ctx, key, value, args).Err()
	if errors.Is(err, redis.Nil) {
		return nil // XX and no trace: nothing to add the refresh to
	}
	return unavailable("store trace", err)
}

// Trace returns this request's session's trace, or ErrNoTrace.
func (s *Sessions) Trace(ctx context.Context) (LoginTrace, error) {
	h, err := s.current(ctx)
	if err != nil {
		return LoginTrace{}, ErrNoTrace
	}
	key := s.keys.trace(h)
	sealed, err := s.rdb.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return LoginTrace{}, ErrNoTrace
	}
	if err != nil {
		return LoginTrace{}, unavailable("read trace", err)
	}
	packed, err := s.secrets.open(sealed, key)
	if err != nil {
		return LoginTrace{}, ErrNoTrace
	}
	var t LoginTrace
	if err := json.NewDecoder(io.LimitReader(flate.NewReader(bytes.NewReader(packed)), maxTracePlain)).Decode(&t); err != nil {
		return LoginTrace{}, ErrNoTrace
	}
	return t, nil
}

// maxTracePlain bounds what a stored trace may inflate to.
const maxTracePlain = 64 << 10

// recordRefresh adds the trace of a refresh that was just stored to the
// session's trace, in place of the previous refresh's. Only the holder of
// the refresh lock calls it, so no other refresh writes meanwhile.
func (s *Sessions) recordRefresh(ctx context.Context, refresh connect.Trace) error {
	t, err := s.Trace(ctx)
	if errors.Is(err, ErrNoTrace) {
		return nil
	}
	if err != nil {
		return err
	}
	h, err := s.current(ctx)
	if err != nil {
		return err
	}
	t.Refresh, t.Trimmed = &refresh, false
	return s.putTrace(ctx, h, t, 0, true)
}

// traceValue seals t under key, trimmed until it fits in maxTraceSize:
// first long values are clipped, then the refresh's checks go, then the
// refresh, then the login's checks, and last all but the login's time.
func (s *Sessions) traceValue(key string, t LoginTrace) ([]byte, error) {
	plain, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("encode trace: %w", err)
	}
	if sealed, ok := s.sealTrace(plain, key); ok {
		return sealed, nil
	}
	// Trim a copy: the caller's trace shares its slices.
	t = LoginTrace{}
	if err := json.Unmarshal(plain, &t); err != nil {
		return nil, fmt.Errorf("copy trace: %w", err)
	}
	trims := []func(*LoginTrace){
		func(t *LoginTrace) { clipTrace(&t.Login); clipTrace(t.Refresh) },
		func(t *LoginTrace) { t.Refresh.Checks = nil },
		func(t *LoginTrace) { t.Refresh = nil },
		func(t *LoginTrace) { t.Login.Checks = nil },
		func(t *LoginTrace) {
			*t = LoginTrace{Login: connect.Trace{Token: connect.TokenCall{At: t.Login.Token.At}}}
		},
	}
	for i, trim := range trims {
		if t.Refresh == nil && (i == 1 || i == 2) {
			continue
		}
		trim(&t)
		t.Trimmed = true
		plain, err := json.Marshal(t)
		if err != nil {
			return nil, fmt.Errorf("encode trace: %w", err)
		}
		if sealed, ok := s.sealTrace(plain, key); ok {
			return sealed, nil
		}
	}
	return nil, errors.New("store: a trace does not fit even when emptied")
}

// sealTrace compresses and seals a trace's JSON under key, and reports
// whether it fits: at most maxTraceSize stored, and at most maxTracePlain
// once opened, which is all Trace reads.
func (s *Sessions) sealTrace(plain []byte, key string) ([]byte, bool) {
	if len(plain) > maxTracePlain {
		return nil, false
	}
	sealed := s.secrets.seal(deflate(plain), key)
	return sealed, len(sealed) <= maxTraceSize
}

// deflate compresses a trace's JSON, which repeats itself (the issuer's
// host in every endpoint, the same checks for login and refresh): a login
// and a refresh at CONNECT's own hosts take about 2 KB as JSON, under
// 1 KB deflated.
func deflate(plain []byte) []byte {
	var b bytes.Buffer
	w := deflaters.Get().(*flate.Writer)
	defer deflaters.Put(w)
	w.Reset(&b)
	w.Write(plain)
	w.Close()
	return b.Bytes()
}

// deflaters are reused: a new flate.Writer allocates some 600 KB of
// tables, which cost a login more CPU than everything else the app does
// for it (bench/README.md).
var deflaters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestCompression) // fails only for a bad level
	return w
}}

// maxTraceValue is the longest value (an endpoint, a scope, a claim) a
// trimmed trace keeps whole.
const maxTraceValue = 64

// clipTrace shortens every value of t longer than maxTraceValue.
func clipTrace(t *connect.Trace) {
	if t == nil {
		return
	}
	if a := t.Authorization; a != nil {
		clip(&a.Endpoint)
		for i := range a.Params {
			clip(&a.Params[i].Value)
		}
		a.Params = a.Params[:min(len(a.Params), 16)]
	}
	if c := t.Callback; c != nil {
		clip(&c.Issuer)
		c.Params = c.Params[:min(len(c.Params), 8)]
		for i := range c.Params {
			clip(&c.Params[i])
		}
	}
	clip(&t.Token.Endpoint)
	clip(&t.Token.Scope)
	clip(&t.Token.TokenType)
	for i := range t.Checks {
		clip(&t.Checks[i].Value)
		clip(&t.Checks[i].Want)
	}
}

func clip(s *string) {
	if len(*s) <= maxTraceValue {
		return
	}
	cut := maxTraceValue
	for cut > 0 && !utf8.RuneStart((*s)[cut]) {
		cut--
	}
	*s = (*s)[:cut] + "…"
}
