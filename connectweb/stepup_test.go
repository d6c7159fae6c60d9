package connectweb

import (
	"testing"

	"github.com/telenordigital/connect-web-sample/connect"
)

// TestLoginHintFor: the step-up's hint is td_au, else the e-mail, else the
// phone number from the ID token.
func TestLoginHintFor(t *testing.T) {
	for _, tc := range []struct {
		claims connect.Claims
		want   string
	}{
		{connect.Claims{Username: "+4791234567", Profile: connect.Profile{Email: "a@example.no"}}, "+4791234567"},
		{connect.Claims{Profile: connect.Profile{Email: "a@example.no", PhoneNumber: "+4791234567"}}, "a@example.no"},
		{connect.Claims{Profile: connect.Profile{PhoneNumber: "+4791234567"}}, "+4791234567"},
		{connect.Claims{}, ""},
	} {
		if got := loginHintFor(tc.claims); got != tc.want {
			t.Errorf("loginHintFor(%+v) = %q, want %q", tc.claims, got, tc.want)
		}
	}
}
