package store

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/telenordigital/connect-web-sample/connect"
)

// FuzzLoginTransactionCookie tampers with a real transaction cookie in
// every way the fuzzer makes up, and presents it to the callback with a
// state: decoding never panics, and a cookie that is not the one we wrote
// is no transaction. The cookie is made when the test starts (it expires
// in ten minutes, and each fuzzing process makes its own), so the inputs
// are edits to it, not cookies. Seeds: testdata/fuzz.
func FuzzLoginTransactionCookie(f *testing.F) {
	secrets, err := NewSecrets([]byte("fuzzing secret, at least 32 bytes long"), nil)
	if err != nil {
		f.Fatal(err)
	}
	logins := NewLoginTransactions(LoginTransactionOptions{Secrets: secrets})
	want := LoginTransaction{PendingLogin: connect.PendingLogin{State: "the-state", Nonce: "n", CodeVerifier: "v"}, ReturnTo: "/protected"}
	saved := httptest.NewRecorder()
	if err := logins.Save(saved, httptest.NewRequest(http.MethodGet, "/login", nil), want); err != nil {
		f.Fatal(err)
	}
	cookie := saved.Result().Cookies()[0]

	f.Fuzz(func(t *testing.T, edits []byte, state string) {
		value := tamper(cookie.Value, edits)
		r := httptest.NewRequest(http.MethodGet, "/connect/oauth2callback", nil)
		// The raw header, as a browser (or an attacker) sends it: the
		// server's own cookie parsing decides what reaches the store.
		r.Header.Set("Cookie", cookie.Name+"="+value)
		got, err := logins.Take(httptest.NewRecorder(), r, state)
		if err != nil {
			if !errors.Is(err, ErrNoTransaction) {
				t.Fatalf("Take = %v, want ErrNoTransaction for a cookie that does not decode", err)
			}
			return
		}
		presented, _ := r.Cookie(cookie.Name)
		if !sameEncodedBytes(presented.Value, cookie.Value) || state != want.State {
			t.Fatalf("Take accepted cookie %q with state %q, which is not the cookie we wrote (%q)", value, state, cookie.Value)
		}
		if got.State != want.State || got.ReturnTo != want.ReturnTo || got.CodeVerifier != want.CodeVerifier {
			t.Fatalf("Take = %+v, want %+v", got, want)
		}
	})
}

// tamper changes value as edits say: every three bytes are a position
// (two bytes, wrapped to the value's length) and the byte to put there;
// one or two bytes left over are a length to cut the value to.
func tamper(value string, edits []byte) string {
	b := []byte(value)
	for ; len(edits) >= 3; edits = edits[3:] {
		pos := (int(edits[0])<<8 | int(edits[1])) % len(b)
		b[pos] = edits[2]
	}
	if len(edits) > 0 {
		n := int(edits[0])
		if len(edits) == 2 {
			n = n<<8 | int(edits[1])
		}
		b = b[:min(n, len(b))]
	}
	return string(b)
}

// sameEncodedBytes reports whether two cookie values carry the same bytes.
// securecookie's base64 decoder ignores the unused low bits of the last
// character, so a value that differs only there is the same cookie, not a
// tampered one.
func sameEncodedBytes(a, b string) bool {
	da, errA := base64.URLEncoding.DecodeString(a)
	db, errB := base64.URLEncoding.DecodeString(b)
	return errA == nil && errB == nil && bytes.Equal(da, db)
}
