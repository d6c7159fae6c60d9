package regcheck

import "testing"

func TestIssuerDifferenceNamesTheMistake(t *testing.T) {
	const issuer = "https://connect.staging.telenordigital.com/oauth"
	tests := []struct {
		name, configured, discovered, want string
	}{
		{"a trailing slash typed", issuer + "/", issuer, "check.issuer.trailing_slash"},
		{"a trailing slash missing", issuer, issuer + "/", "check.issuer.trailing_slash"},
		{"/oauth missing", "https://connect.staging.telenordigital.com", issuer, "check.issuer.oauth"},
		{"/oauth too many", issuer + "/oauth", issuer, "check.issuer.oauth"},
		{"http for https", "http://connect.staging.telenordigital.com/oauth", issuer, "check.issuer.scheme"},
		{"production for staging", "https://connect.telenordigital.com/oauth", issuer, "check.issuer.other"},
		{"no issuer in discovery", issuer, "", "check.issuer.missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := issuerDifference(tt.configured, tt.discovered); got != tt.want {
				t.Errorf("issuerDifference(%q, %q) = %q, want %q", tt.configured, tt.discovered, got, tt.want)
			}
		})
	}
}

func TestTheSecretIsSentOnlyToTheIssuersHost(t *testing.T) {
	tests := []struct {
		issuer, endpoint string
		want             bool
	}{
		{"https://connect.telenordigital.com/oauth", "https://connect.telenordigital.com/oauth/token", true},
		{"https://connect.telenordigital.com/oauth", "http://connect.telenordigital.com/oauth/token", false},
		{"https://connect.telenordigital.com/oauth", "https://evil.example.com/oauth/token", false},
		{"https://connect.telenordigital.com/oauth", "https://connect.telenordigital.com:8443/oauth/token", false},
		{"http://localhost:8082/oauth", "http://localhost:8082/oauth/token", true},
		{"http://127.0.0.1:8082/oauth", "http://127.0.0.1:8082/oauth/token", true},
	}
	for _, tt := range tests {
		if got := onIssuerHost(tt.issuer, tt.endpoint); got != tt.want {
			t.Errorf("onIssuerHost(%q, %q) = %v, want %v", tt.issuer, tt.endpoint, got, tt.want)
		}
	}
}
