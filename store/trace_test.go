package store_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/store"
	"github.com/telenordigital/connect-web-sample/store/storetest"
)

// testTrace is a login's trace of realistic size.
func testTrace(grant string) connect.Trace {
	return connect.Trace{
		Authorization: &connect.AuthorizationTrace{Endpoint: "https://connect.staging.telenordigital.com/oauth/authorize", Params: []connect.Param{
			{Name: "client_id", Value: "sample-web"}, {Name: "state", Random: 43}, {Name: "login_hint", Value: "k***@example.com", Masked: true},
		}},
		Token: connect.TokenCall{Endpoint: "https://connect.staging.telenordigital.com/oauth/token", GrantType: grant, Status: 200,
			At: time.Now().Truncate(time.Second), Tokens: []connect.TokenLength{{Name: "access_token", Length: 43}}},
		Checks: []connect.Check{{Name: connect.CheckIssuer, Value: "https://connect.staging.telenordigital.com/oauth"}, {Name: connect.CheckNonce}},
	}
}

func TestLoginTrace(t *testing.T) {
	rdb := storetest.Redis(t)
	s := newTestStore(t, rdb, storeOptions{})
	ctx := context.Background()
	logIn := func(t *testing.T, trace *connect.Trace) string {
		t.Helper()
		rctx := s.load(t, "")
		if _, err := s.LogIn(rctx, store.NewLogin{Claims: testClaims, Tokens: testTokens, At: time.Now(), Trace: trace}); err != nil {
			t.Fatal(err)
		}
		token, err := s.save(t, rctx)
		if err != nil {
			t.Fatal(err)
		}
		return token
	}
	refresh := func(t *testing.T, token string, trace connect.Trace) {
		t.Helper()
		_, err := s.FreshTokens(s.load(t, token), store.Refresh{
			Force:  true,
			Grant:  func(context.Context, connect.TokenSet) (connect.TokenSet, error) { return testTokens, nil },
			Revoke: func(context.Context, connect.TokenSet) {},
			Trace:  func() *connect.Trace { return &trace },
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	t.Run("a login's trace is kept under a key of its own that expires with the session", func(t *testing.T) {
		login := testTrace("authorization_code")
		token := logIn(t, &login)
		got, err := s.Trace(s.load(t, token))
		if err != nil || got.Login.Token.Endpoint != login.Token.Endpoint || got.Refresh != nil || got.Trimmed {
			t.Fatalf("Trace = %+v, %v; want the login's, whole", got, err)
		}
		traceTTL := rdb.PTTL(ctx, s.TraceKeyForTest(token)).Val()
		sessionTTL := rdb.PTTL(ctx, s.SessionKeyForTest(token)).Val()
		if traceTTL <= 0 || sessionTTL-traceTTL > time.Second {
			t.Errorf("the trace expires in %s, the session in %s; want the same", traceTTL, sessionTTL)
		}
	})
	t.Run("a refresh adds its trace in place of the last one", func(t *testing.T) {
		login := testTrace("authorization_code")
		token := logIn(t, &login)
		first, second := testTrace("refresh_token"), testTrace("refresh_token")
		second.Token.Status = 299
		refresh(t, token, first)
		refresh(t, token, second)
		got, err := s.Trace(s.load(t, token))
		if err != nil || got.Refresh == nil || got.Refresh.Token.Status != 299 || got.Login.Authorization == nil {
			t.Fatalf("Trace = %+v, %v; want the login's and the latest refresh's", got, err)
		}
	})
	t.Run("a session without a trace gets none from a refresh", func(t *testing.T) {
		token := logIn(t, nil)
		refresh(t, token, testTrace("refresh_token"))
		if _, err := s.Trace(s.load(t, token)); !errors.Is(err, store.ErrNoTrace) {
			t.Errorf("Trace = %v, want ErrNoTrace", err)
		}
		if n := rdb.Exists(ctx, s.TraceKeyForTest(token)).Val(); n != 0 {
			t.Error("a refresh wrote a trace for a session that had none, without an expiry")
		}
	})
	t.Run("the trace goes with the session", func(t *testing.T) {
		login := testTrace("authorization_code")
		token := logIn(t, &login)
		rctx := s.load(t, token)
		if _, err := s.LogOut(rctx); err != nil {
			t.Fatal(err)
		}
		if n := rdb.Exists(ctx, s.TraceKeyForTest(token)).Val(); n != 0 {
			t.Error("the trace outlived the session's logout")
		}
	})
	t.Run("a trace is kept within 2 KB, however long CONNECT's answers", func(t *testing.T) {
		// Random text, which compression cannot shrink, with a letter
		// of two bytes in it that clipping must not cut in half.
		long := func() string {
			b := make([]byte, 450)
			rand.Read(b)
			return "é" + base64.RawURLEncoding.EncodeToString(b)
		}
		huge := testTrace("authorization_code")
		huge.Authorization.Endpoint = "https://" + long()
		for range 40 {
			huge.Authorization.Params = append(huge.Authorization.Params, connect.Param{Name: "p", Value: long()})
		}
		huge.Callback = &connect.CallbackTrace{Params: []string{long(), long()}, Issuer: long()}
		huge.Token.Scope, huge.Token.Endpoint = long(), long()
		for range 20 {
			huge.Checks = append(huge.Checks, connect.Check{Name: connect.CheckACR, Value: long(), Want: long()})
		}
		before := huge.Authorization.Params[3].Value
		token := logIn(t, &huge)
		refresh(t, token, huge)
		if huge.Authorization.Params[3].Value != before {
			t.Error("trimming changed the caller's trace")
		}
		sealed := rdb.Get(ctx, s.TraceKeyForTest(token)).Val()
		if len(sealed) > store.MaxTraceSizeForTest || len(sealed) == 0 {
			t.Errorf("the stored trace is %d bytes, want 1 to %d", len(sealed), store.MaxTraceSizeForTest)
		}
		got, err := s.Trace(s.load(t, token))
		if err != nil || !got.Trimmed || got.Login.Token.At.IsZero() {
			t.Errorf("Trace = %+v, %v; want one marked as trimmed, still saying when", got, err)
		}
		if a := got.Login.Authorization; a != nil && !utf8.ValidString(a.Endpoint) {
			t.Errorf("clipping cut a letter in half: %q", a.Endpoint)
		}
		t.Logf("a trimmed trace: %d bytes; the login's and the refresh's checks kept: %d, %v", len(sealed), len(got.Login.Checks), got.Refresh != nil)
	})
}
