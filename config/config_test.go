package config

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

// env returns a lookupEnv that sees only m.
func env(m map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// writeEnvFile writes content to a .env file in a fresh directory and
// returns its path.
func writeEnvFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadWithNothingSetUsesTheDefaults(t *testing.T) {
	c, err := Load(env(nil), "")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Issuer", c.Issuer, ""},
		{"ClientID", c.ClientID, "sample-web"},
		{"ClientSecret", c.ClientSecret, ""},
		{"Scopes", strings.Join(c.Scopes, ","), "openid,profile,email,phone"},
		{"SSO", c.SSO, true},
		{"ACRValues", c.ACRValues, ""},
		{"UILocales", c.UILocales, ""},
		{"BaseURL", c.BaseURL.String(), "http://localhost:8081"},
		{"Listen", c.Listen, ":8081"},
		{"RedisURL", c.RedisURL, ""},
		{"RedisMode", c.RedisMode, "standalone"},
		{"len(SessionSecret)", len(c.SessionSecret), 32},
		{"RandomSessionSecret", c.RandomSessionSecret, true},
		{"PreviousSessionSecret", c.PreviousSessionSecret == nil, true},
		{"MetricsListen", c.MetricsListen, ""},
		{"len(TrustedProxies)", len(c.TrustedProxies), 0},
		{"RateLimitPerAddress", c.RateLimitPerAddress, 300},
		{"RateLimitRefresh", c.RateLimitRefresh, 10},
		{"SetupPage", c.SetupPage, "auto"},
		{"ServeSetupPage()", c.ServeSetupPage(), true},
		{"RepositoryURL", c.RepositoryURL, ""},
		{"APIAudience", c.APIAudience, "sample-web"},
		{"APIAllowedClients", strings.Join(c.APIAllowedClients, ","), "sample-web"},
		{"APIAllowUserInfo", c.APIAllowUserInfo, true},
		{"LocalConnectListen", c.LocalConnectListen, "127.0.0.1:8082"},
		{"LocalConnectAccessTokens", c.LocalConnectAccessTokens, "opaque"},
		{"LocalConnectIntrospection", c.LocalConnectIntrospection, true},
		{"SessionIdleTimeout", c.SessionIdleTimeout, 30 * time.Minute},
		{"SessionLifetime", c.SessionLifetime, 12 * time.Hour},
		{"LocalConnectURL", c.LocalConnectURL.String(), "http://localhost:8082"},
		{"RefreshMargin", c.RefreshMargin, 60 * time.Second},
		{"StepUpMaxAge", c.StepUpMaxAge, 5 * time.Minute},
		{"LocalConnectAccessTokenTTL", c.LocalConnectAccessTokenTTL, 2 * time.Minute},
		{"LogLevel", c.LogLevel, slog.LevelInfo},
		{"LogFormat", c.LogFormat, "text"},
		{"UsesStandIn()", c.UsesStandIn(), true},
		{"IssuerURL()", c.IssuerURL(), "http://localhost:8082/oauth"},
		{"SecureCookies()", c.SecureCookies(), false},
		{"Confidential()", c.Confidential(), false},
	}
	for _, check := range checks {
		if check.got != check.want {
			t.Errorf("%s = %v, want %v", check.name, check.got, check.want)
		}
	}
}

func TestRandomSessionSecretDiffersPerLoad(t *testing.T) {
	a, err := Load(env(nil), "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(env(nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.SessionSecret, b.SessionSecret) {
		t.Errorf("two loads made the same random secret %x", a.SessionSecret)
	}
}

func TestLoadWithEverythingSet(t *testing.T) {
	vars := map[string]string{
		"CONNECT_ISSUER":                 "https://connect.staging.telenordigital.com/oauth",
		"CONNECT_CLIENT_ID":              "partner-web",
		"CONNECT_CLIENT_SECRET":          "s3cret",
		"CONNECT_SCOPES":                 "  openid   profile ",
		"CONNECT_SSO":                    "false",
		"CONNECT_ACR_VALUES":             "2",
		"CONNECT_UI_LOCALES":             "nb  en-GB",
		"APP_BASE_URL":                   "https://sample.example.com/",
		"APP_LISTEN":                     "127.0.0.1:9000",
		"REDIS_URL":                      "rediss://:pw@redis.example.com:6380/2",
		"SESSION_SECRET":                 strongSecret,
		"SESSION_SECRET_PREVIOUS":        strongPreviousSecret,
		"REDIS_MODE":                     "standalone",
		"METRICS_LISTEN":                 "127.0.0.1:9091",
		"TRUSTED_PROXIES":                "10.0.0.0/8, 192.0.2.7",
		"RATE_LIMIT_PER_ADDRESS":         "1000",
		"RATE_LIMIT_REFRESH":             "3",
		"SETUP_PAGE":                     "on",
		"REPOSITORY_URL":                 "https://github.com/partner/app/blob/main/",
		"API_AUDIENCE":                   "https://api.example.com",
		"API_ALLOWED_CLIENTS":            " partner-web  partner-ios ",
		"API_ALLOW_USERINFO":             "false",
		"LOCAL_CONNECT_LISTEN":           ":9082",
		"LOCAL_CONNECT_ACCESS_TOKENS":    "jwt",
		"LOCAL_CONNECT_INTROSPECTION":    "false",
		"SESSION_IDLE_TIMEOUT":           "1h",
		"SESSION_LIFETIME":               "24h",
		"LOCAL_CONNECT_URL":              "http://127.0.0.1:9082/",
		"CONNECT_REFRESH_MARGIN":         "90s",
		"STEPUP_MAX_AGE":                 "10m",
		"LOCAL_CONNECT_ACCESS_TOKEN_TTL": "1h",
		"LOG_LEVEL":                      "DEBUG",
		"LOG_FORMAT":                     "json",
	}
	c, err := Load(env(vars), "")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Issuer", c.Issuer, "https://connect.staging.telenordigital.com/oauth"},
		{"ClientID", c.ClientID, "partner-web"},
		{"ClientSecret", c.ClientSecret, "s3cret"},
		{"Scopes", strings.Join(c.Scopes, ","), "openid,profile"},
		{"SSO", c.SSO, false},
		{"ACRValues", c.ACRValues, "2"},
		{"UILocales", c.UILocales, "nb en-GB"},
		{"BaseURL", c.BaseURL.String(), "https://sample.example.com"},
		{"Listen", c.Listen, "127.0.0.1:9000"},
		{"RedisURL", c.RedisURL, "rediss://:pw@redis.example.com:6380/2"},
		{"SessionSecret", string(c.SessionSecret), strongSecret},
		{"RandomSessionSecret", c.RandomSessionSecret, false},
		{"PreviousSessionSecret", string(c.PreviousSessionSecret), strongPreviousSecret},
		{"RedisMode", c.RedisMode, "standalone"},
		{"MetricsListen", c.MetricsListen, "127.0.0.1:9091"},
		{"TrustedProxies", fmt.Sprint(c.TrustedProxies), "[10.0.0.0/8 192.0.2.7/32]"},
		{"RateLimitPerAddress", c.RateLimitPerAddress, 1000},
		{"RateLimitRefresh", c.RateLimitRefresh, 3},
		{"SetupPage", c.SetupPage, "on"},
		{"ServeSetupPage()", c.ServeSetupPage(), true},
		{"RepositoryURL", c.RepositoryURL, "https://github.com/partner/app/blob/main"},
		{"APIAudience", c.APIAudience, "https://api.example.com"},
		{"APIAllowedClients", strings.Join(c.APIAllowedClients, ","), "partner-web,partner-ios"},
		{"APIAllowUserInfo", c.APIAllowUserInfo, false},
		{"LocalConnectListen", c.LocalConnectListen, ":9082"},
		{"LocalConnectAccessTokens", c.LocalConnectAccessTokens, "jwt"},
		{"LocalConnectIntrospection", c.LocalConnectIntrospection, false},
		{"SessionIdleTimeout", c.SessionIdleTimeout, time.Hour},
		{"SessionLifetime", c.SessionLifetime, 24 * time.Hour},
		{"LocalConnectURL", c.LocalConnectURL.String(), "http://127.0.0.1:9082"},
		{"RefreshMargin", c.RefreshMargin, 90 * time.Second},
		{"StepUpMaxAge", c.StepUpMaxAge, 10 * time.Minute},
		{"LocalConnectAccessTokenTTL", c.LocalConnectAccessTokenTTL, time.Hour},
		{"LogLevel", c.LogLevel, slog.LevelDebug},
		{"LogFormat", c.LogFormat, "json"},
		{"UsesStandIn()", c.UsesStandIn(), false},
		{"IssuerURL()", c.IssuerURL(), "https://connect.staging.telenordigital.com/oauth"},
		{"SecureCookies()", c.SecureCookies(), true},
		{"Confidential()", c.Confidential(), true},
		{"Warnings()", len(c.Warnings()), 0},
	}
	for _, check := range checks {
		if check.got != check.want {
			t.Errorf("%s = %v, want %v", check.name, check.got, check.want)
		}
	}
}

func TestLoadReadsTheEnvFileAndTheEnvironmentWins(t *testing.T) {
	path := writeEnvFile(t, `# a comment

CONNECT_ISSUER=https://connect.telenordigital.com/oauth
CONNECT_CLIENT_ID="from-file"
export CONNECT_SCOPES='openid email'
APP_LISTEN=127.0.0.1:9001   # trailing comment
LOG_LEVEL=warn
SESSION_LIFETIME=2h
UNKNOWN_NAME=ignored
`)
	c, err := Load(env(map[string]string{
		"CONNECT_CLIENT_ID": "from-env",
		"LOG_LEVEL":         "error",
		// Set but empty in the environment: still wins, and means the default.
		"SESSION_LIFETIME": "",
	}), path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Issuer from the file", c.Issuer, "https://connect.telenordigital.com/oauth"},
		{"ClientID from the environment", c.ClientID, "from-env"},
		{"Scopes from the file", strings.Join(c.Scopes, ","), "openid,email"},
		{"Listen from the file", c.Listen, "127.0.0.1:9001"},
		{"BaseURL following the listen address", c.BaseURL.String(), "http://localhost:9001"},
		{"LogLevel from the environment", c.LogLevel, slog.LevelError},
		{"SessionLifetime from the empty environment", c.SessionLifetime, 12 * time.Hour},
	}
	for _, check := range checks {
		if check.got != check.want {
			t.Errorf("%s = %v, want %v", check.name, check.got, check.want)
		}
	}
}

func TestLoadWithAMissingEnvFileUsesTheDefaults(t *testing.T) {
	c, err := Load(env(nil), filepath.Join(t.TempDir(), ".env"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.ClientID != "sample-web" {
		t.Errorf("ClientID = %q, want %q", c.ClientID, "sample-web")
	}
}

func TestLoadRejectsBadValues(t *testing.T) {
	tests := []struct {
		name     string
		vars     map[string]string
		wantLine string // the whole error, or its start when it ends in "..."
	}{
		{"an issuer that is not a URL", map[string]string{"CONNECT_ISSUER": "connect.telenordigital.com", "CONNECT_CLIENT_ID": "x", "APP_BASE_URL": "http://localhost:8081"},
			`config: CONNECT_ISSUER: must be an https URL such as https://connect.staging.telenordigital.com/oauth, got "connect.telenordigital.com"`},
		{"an ftp issuer", map[string]string{"CONNECT_ISSUER": "ftp://connect.telenordigital.com/oauth", "CONNECT_CLIENT_ID": "x", "APP_BASE_URL": "http://localhost:8081"},
			`config: CONNECT_ISSUER: must be an https URL ...`},
		{"a plain http issuer on a public host", map[string]string{"CONNECT_ISSUER": "http://connect.telenordigital.com/oauth", "CONNECT_CLIENT_ID": "x", "APP_BASE_URL": "http://localhost:8081"},
			`config: CONNECT_ISSUER: must be https (plain http only on localhost), got "http://connect.telenordigital.com/oauth"`},
		{"an issuer with a query", map[string]string{"CONNECT_ISSUER": "https://connect.telenordigital.com/oauth?x=1", "CONNECT_CLIENT_ID": "x", "APP_BASE_URL": "http://localhost:8081"},
			`config: CONNECT_ISSUER: must not have a query or fragment, got "https://connect.telenordigital.com/oauth?x=1"`},
		{"an issuer without a client id", map[string]string{"CONNECT_ISSUER": "https://connect.telenordigital.com/oauth", "APP_BASE_URL": "http://localhost:8081"},
			`config: CONNECT_CLIENT_ID: required when CONNECT_ISSUER is set: use the client_id from your CONNECT client registration`},
		{"scopes without openid", map[string]string{"CONNECT_SCOPES": "profile email"},
			`config: CONNECT_SCOPES: must contain "openid", got "profile email"`},
		{"an SSO flag that is not a boolean", map[string]string{"CONNECT_SSO": "yes"},
			`config: CONNECT_SSO: must be true or false, got "yes"`},
		{"an unknown level of assurance", map[string]string{"CONNECT_ACR_VALUES": "3"},
			`config: CONNECT_ACR_VALUES: must be empty, 1 (mobile phone) or 2 (password), got "3"`},
		{"locales with punctuation", map[string]string{"CONNECT_UI_LOCALES": "en,nb"},
			`config: CONNECT_UI_LOCALES: must be language tags separated by spaces, such as "en nb", got "en,nb"`},
		{"a base URL that is not a URL", map[string]string{"APP_BASE_URL": "localhost:8081"},
			`config: APP_BASE_URL: must start with https:// or http://, got "localhost:8081"`},
		{"a base URL without a host", map[string]string{"APP_BASE_URL": "https://"},
			`config: APP_BASE_URL: must be a URL such as https://app.example.com, got "https://"`},
		{"an ftp base URL", map[string]string{"APP_BASE_URL": "ftp://example.com"},
			`config: APP_BASE_URL: must start with https:// or http://, got "ftp://example.com"`},
		{"a base URL with a path", map[string]string{"APP_BASE_URL": "https://example.com/app"},
			`config: APP_BASE_URL: must not have a path (the app serves from /), got "https://example.com/app"`},
		{"a base URL with a query", map[string]string{"APP_BASE_URL": "https://example.com/?a=b"},
			`config: APP_BASE_URL: must not have a query or fragment, got "https://example.com/?a=b"`},
		{"a base URL with a fragment", map[string]string{"APP_BASE_URL": "https://example.com#top"},
			`config: APP_BASE_URL: must not have a query or fragment, got "https://example.com#top"`},
		{"a base URL with a password", map[string]string{"APP_BASE_URL": "https://user:pw@example.com"},
			`config: APP_BASE_URL: must not contain a user name or password`},
		{"a listen address without a port", map[string]string{"APP_LISTEN": "8081"},
			`config: APP_LISTEN: must be host:port such as :8081 or 127.0.0.1:8081, got "8081"`},
		{"a listen port out of range", map[string]string{"APP_LISTEN": ":99999"},
			`config: APP_LISTEN: port must be a number from 0 to 65535, got ":99999"`},
		{"a Redis URL with another scheme", map[string]string{"REDIS_URL": "http://redis:6379"},
			`config: REDIS_URL: invalid URL scheme: http for REDIS_MODE standalone; want redis://host:6379/0, rediss://host:6380/0 or unix:///path/to/redis.sock`},
		{"a Redis URL with a bad database", map[string]string{"REDIS_URL": "redis://redis:6379/x"},
			`config: REDIS_URL: invalid database number: "x" for REDIS_MODE standalone; want ...`},
		{"a Redis URL with an unknown option", map[string]string{"REDIS_URL": "redis://redis:6379/0?colour=blue"},
			`config: REDIS_URL: unexpected option: colour for REDIS_MODE standalone; want ...`},
		{"a Redis URL that does not parse, without echoing its password", map[string]string{"REDIS_URL": "redis://:p%zzword@redis:6379"},
			`config: REDIS_URL: not a valid URL; want redis://host:6379/0, rediss://host:6380/0 or unix:///path/to/redis.sock`},
		{"a cluster URL with a bad extra address", map[string]string{"REDIS_MODE": "cluster", "REDIS_URL": "redis://:pw@node1:7000?addr=node2"},
			`config: REDIS_URL: unable to parse addr param: node2 for REDIS_MODE cluster; want redis://host:7000?addr=host2:7001&addr=host3:7002`},
		{"a sentinel URL without a master name", map[string]string{"REDIS_MODE": "sentinel", "REDIS_URL": "redis://sentinel:26379/0"},
			`config: REDIS_URL: missing master_name for REDIS_MODE sentinel; want redis://sentinel:26379/0?master_name=mymaster&addr=sentinel2:26379`},
		{"an unknown Redis mode", map[string]string{"REDIS_MODE": "ring"},
			`config: REDIS_MODE: must be standalone or cluster or sentinel, got "ring"`},
		{"a short session secret", map[string]string{"SESSION_SECRET": "twelve bytes"},
			`config: SESSION_SECRET: must be at least 32 bytes, got 12 (generate one with: openssl rand -base64 48)`},
		{"a previous secret without a new one", map[string]string{"SESSION_SECRET_PREVIOUS": strongPreviousSecret},
			`config: SESSION_SECRET_PREVIOUS: needs SESSION_SECRET set to the new secret; a rotation replaces one secret of yours with another`},
		{"a previous secret equal to the new one", map[string]string{"SESSION_SECRET": strongSecret, "SESSION_SECRET_PREVIOUS": strongSecret},
			`config: SESSION_SECRET_PREVIOUS: is the same as SESSION_SECRET; after a rotation it holds the old secret`},
		{"a short previous secret", map[string]string{"SESSION_SECRET": strongSecret, "SESSION_SECRET_PREVIOUS": "short"},
			`config: SESSION_SECRET_PREVIOUS: must be at least 32 bytes, got 5: it must be the SESSION_SECRET used before the rotation`},
		{"a metrics address without a port", map[string]string{"METRICS_LISTEN": "localhost"},
			`config: METRICS_LISTEN: must be host:port such as :8081 or 127.0.0.1:8081, got "localhost"`},
		{"metrics on the app's own port", map[string]string{"METRICS_LISTEN": "127.0.0.1:8081"},
			`config: METRICS_LISTEN: port 8081 is also APP_LISTEN's; metrics must never be served on the public listener`},
		{"a trusted proxy that is not a CIDR", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, proxy.example.com"},
			`config: TRUSTED_PROXIES: must be CIDRs such as 10.0.0.0/8 or 192.0.2.7, separated by commas, got "proxy.example.com"`},
		{"a rate limit of zero", map[string]string{"RATE_LIMIT_PER_ADDRESS": "0"},
			`config: RATE_LIMIT_PER_ADDRESS: must be a whole number of at least 1, got "0"`},
		{"a refresh rate limit that is not a number", map[string]string{"RATE_LIMIT_REFRESH": "ten"},
			`config: RATE_LIMIT_REFRESH: must be a whole number of at least 1, got "ten"`},
		{"an unknown setup page choice", map[string]string{"SETUP_PAGE": "maybe"},
			`config: SETUP_PAGE: must be auto or on or off, got "maybe"`},
		{"a repository URL that is not a URL", map[string]string{"REPOSITORY_URL": "github.com/partner/app"},
			`config: REPOSITORY_URL: must be an https URL of the repository's files, such as https://github.com/you/app/blob/main, got "github.com/partner/app"`},
		{"the stand-in behind a public base URL without a listen address", map[string]string{"APP_BASE_URL": "https://demo.example.com"},
			`config: LOCAL_CONNECT_LISTEN: must be set when APP_BASE_URL (https://demo.example.com) is not on this machine and the stand-in runs: it lets anyone log in as its test users, so say where it may listen (e.g. :8082), or set CONNECT_ISSUER`},
		{"a userinfo fallback flag that is not a boolean", map[string]string{"API_ALLOW_USERINFO": "only-on-sundays"},
			`config: API_ALLOW_USERINFO: must be true or false, got "only-on-sundays"`},
		{"a stand-in access token format it does not have", map[string]string{"LOCAL_CONNECT_ACCESS_TOKENS": "macaroon"},
			`config: LOCAL_CONNECT_ACCESS_TOKENS: must be opaque or jwt, got "macaroon"`},
		{"a stand-in introspection flag that is not a boolean", map[string]string{"LOCAL_CONNECT_INTROSPECTION": "sometimes"},
			`config: LOCAL_CONNECT_INTROSPECTION: must be true or false, got "sometimes"`},
		{"a stand-in fault it cannot make", map[string]string{"LOCAL_CONNECT_FAULTS": "issuer,weather"},
			`config: LOCAL_CONNECT_FAULTS: must be fault names separated by commas (clock, issuer, no_end_session, no_revocation, scope), got "weather"`},
		{"a duration without a unit", map[string]string{"SESSION_IDLE_TIMEOUT": "30"},
			`config: SESSION_IDLE_TIMEOUT: must be a duration such as 90s, 30m or 12h, got "30"`},
		{"a negative duration", map[string]string{"CONNECT_REFRESH_MARGIN": "-1m"},
			`config: CONNECT_REFRESH_MARGIN: must be more than zero, got "-1m"`},
		{"a zero duration", map[string]string{"STEPUP_MAX_AGE": "0s"},
			`config: STEPUP_MAX_AGE: must be more than zero, got "0s"`},
		{"a bad stand-in token lifetime", map[string]string{"LOCAL_CONNECT_ACCESS_TOKEN_TTL": "soon"},
			`config: LOCAL_CONNECT_ACCESS_TOKEN_TTL: must be a duration such as 90s, 30m or 12h, got "soon"`},
		{"a bad session lifetime", map[string]string{"SESSION_LIFETIME": "forever"},
			`config: SESSION_LIFETIME: must be a duration such as 90s, 30m or 12h, got "forever"`},
		{"an idle timeout longer than the lifetime", map[string]string{"SESSION_IDLE_TIMEOUT": "2h", "SESSION_LIFETIME": "1h"},
			`config: SESSION_IDLE_TIMEOUT: must not exceed SESSION_LIFETIME (1h0m0s), got 2h0m0s`},
		{"a stand-in URL without a port", map[string]string{"LOCAL_CONNECT_URL": "http://localhost"},
			`config: LOCAL_CONNECT_URL: must name a port, such as http://localhost:8082, got "http://localhost"`},
		{"a stand-in URL with a path", map[string]string{"LOCAL_CONNECT_URL": "http://localhost:8082/oauth"},
			`config: LOCAL_CONNECT_URL: must be scheme, host and port only, such as http://localhost:8082, got "http://localhost:8082/oauth"`},
		{"a stand-in URL with another scheme", map[string]string{"LOCAL_CONNECT_URL": "ftp://localhost:8082"},
			`config: LOCAL_CONNECT_URL: must start with http:// or https://, got "ftp://localhost:8082"`},
		{"a stand-in on the app's port", map[string]string{"LOCAL_CONNECT_URL": "http://localhost:8081"},
			`config: LOCAL_CONNECT_URL: port 8081 is also APP_LISTEN's; the stand-in needs a port of its own`},
		{"an unknown log level", map[string]string{"LOG_LEVEL": "verbose"},
			`config: LOG_LEVEL: must be debug, info, warn or error, got "verbose"`},
		{"an unknown log format", map[string]string{"LOG_FORMAT": "xml"},
			`config: LOG_FORMAT: must be text or json, got "xml"`},
	}
	for _, tt := range tests {
		t.Run("it rejects "+tt.name, func(t *testing.T) {
			_, err := Load(env(tt.vars), "")
			if err == nil {
				t.Fatalf("Load succeeded, want error %q", tt.wantLine)
			}
			got := err.Error()
			if strings.Contains(got, "\n") {
				t.Errorf("error has several lines:\n%s\nwant one line", got)
			}
			if prefix, ok := strings.CutSuffix(tt.wantLine, "..."); ok {
				if !strings.HasPrefix(got, prefix) {
					t.Errorf("got error %q, want it to start with %q", got, prefix)
				}
			} else if got != tt.wantLine {
				t.Errorf("got error %q\nwant       %q", got, tt.wantLine)
			}
			for _, v := range tt.vars {
				if strings.Contains(v, "pw") || strings.Contains(v, "word") {
					if strings.Contains(got, v) {
						t.Errorf("error %q shows the value %q, which holds a password", got, v)
					}
				}
			}
		})
	}
}

func TestLoadReportsEveryBadVariableOnItsOwnLine(t *testing.T) {
	_, err := Load(env(map[string]string{
		"CONNECT_SSO":    "maybe",
		"SESSION_SECRET": "short",
		"LOG_FORMAT":     "xml",
	}), "")
	if err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{"config: CONNECT_SSO: ", "config: SESSION_SECRET: ", "config: LOG_FORMAT: "}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines:\n%s\nwant %d", len(lines), err, len(want))
	}
	for i, prefix := range want {
		if !strings.HasPrefix(lines[i], prefix) {
			t.Errorf("line %d = %q, want it to start with %q", i+1, lines[i], prefix)
		}
	}
}

func TestLoadPartialKeepsWhatIsGood(t *testing.T) {
	c, problems, err := LoadPartial(env(map[string]string{
		"APP_BASE_URL":         "localhost:8081",
		"SESSION_SECRET":       strings.Repeat("ab", 20),
		"CONNECT_SCOPES":       "openid email",
		"LOCAL_CONNECT_FAULTS": "scope clock",
	}), "")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range problems {
		names = append(names, p.Variable)
	}
	if !slices.Equal(names, []string{"APP_BASE_URL", "SESSION_SECRET"}) {
		t.Errorf("problems name %v, want APP_BASE_URL and SESSION_SECRET", names)
	}
	if c.BaseURL != nil || c.SessionSecret != nil {
		t.Errorf("a refused setting is kept: BaseURL %v, SessionSecret set %v", c.BaseURL, c.SessionSecret != nil)
	}
	if !slices.Equal(c.Scopes, []string{"openid", "email"}) || !slices.Equal(c.LocalConnectFaults, []string{"scope", "clock"}) {
		t.Errorf("the good settings are lost: scopes %v, faults %v", c.Scopes, c.LocalConnectFaults)
	}
}

func TestLoadRejectsAMalformedEnvFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
		wantErr string
	}{
		{"a line without =", "LOG_LEVEL=info\nsecret-without-a-key\n",
			"config: %s line 2: want KEY=VALUE"},
		{"a key with a space", "# ok\n\nLOG LEVEL=info\n",
			"config: %s line 3: want KEY=VALUE"},
		{"a line starting with =", "=info\n",
			"config: %s line 1: want KEY=VALUE"},
		{"an unclosed quote", "SESSION_SECRET=\"abc\n",
			"config: %s line 1: SESSION_SECRET: missing closing \""},
		{"text after a quoted value", "CONNECT_SCOPES='openid' profile\n",
			"config: %s line 1: CONNECT_SCOPES: text after the closing '"},
	}
	for _, tt := range tests {
		t.Run("it names the file and line of "+tt.name, func(t *testing.T) {
			path := writeEnvFile(t, tt.content)
			_, err := Load(env(nil), path)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			want := strings.Replace(tt.wantErr, "%s", path, 1)
			if err.Error() != want {
				t.Errorf("got error %q, want %q", err, want)
			}
		})
	}
}

func TestParseEnvLine(t *testing.T) {
	tests := []struct {
		line      string
		wantKey   string
		wantValue string
	}{
		{"", "", ""},
		{"   ", "", ""},
		{"# LOG_LEVEL=debug", "", ""},
		{"LOG_LEVEL=debug", "LOG_LEVEL", "debug"},
		{"  LOG_LEVEL = debug  ", "LOG_LEVEL", "debug"},
		{"LOG_LEVEL=debug\r", "LOG_LEVEL", "debug"},
		{"export LOG_LEVEL=debug", "LOG_LEVEL", "debug"},
		{"CONNECT_ISSUER=", "CONNECT_ISSUER", ""},
		{`CONNECT_SCOPES="openid profile"`, "CONNECT_SCOPES", "openid profile"},
		{`CONNECT_SCOPES='openid profile' # comment`, "CONNECT_SCOPES", "openid profile"},
		{`SESSION_SECRET="a#b c"`, "SESSION_SECRET", "a#b c"},
		{`SESSION_SECRET=a#b`, "SESSION_SECRET", "a#b"},
		{"LOG_LEVEL=debug # more detail", "LOG_LEVEL", "debug"},
		{"LOG_LEVEL=debug\t# more detail", "LOG_LEVEL", "debug"},
		{"REDIS_URL=redis://h:6379/0?a=b=c", "REDIS_URL", "redis://h:6379/0?a=b=c"},
	}
	for _, tt := range tests {
		t.Run("it reads "+strings.TrimSpace(tt.line), func(t *testing.T) {
			key, value, err := parseEnvLine(tt.line)
			if err != nil {
				t.Fatalf("parseEnvLine(%q) error: %v", tt.line, err)
			}
			if key != tt.wantKey || value != tt.wantValue {
				t.Errorf("parseEnvLine(%q) = %q, %q, want %q, %q", tt.line, key, value, tt.wantKey, tt.wantValue)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	secret := strongSecret
	production := map[string]string{
		"CONNECT_ISSUER":     "https://connect.telenordigital.com/oauth",
		"CONNECT_CLIENT_ID":  "partner-web",
		"APP_BASE_URL":       "https://sample.example.com",
		"REDIS_URL":          "redis://redis:6379/0",
		"SESSION_SECRET":     secret,
		"API_ALLOW_USERINFO": "false",
	}
	with := func(changes map[string]string) map[string]string {
		vars := make(map[string]string)
		for k, v := range production {
			vars[k] = v
		}
		for k, v := range changes {
			vars[k] = v
		}
		return vars
	}
	tests := []struct {
		name string
		vars map[string]string
		want []string // a distinctive part of each warning, in order
	}{
		{"a production setup has none", production, nil},
		{"the defaults warn of the stand-in, memory sessions, the random secret and /api/me's userinfo fallback", nil,
			[]string{"local CONNECT stand-in at http://localhost:8082/oauth", "sessions are kept in an embedded Redis", "a random one is used", "userinfo cannot tell whose token it was"}},
		{"userinfo allowed at /api/me warns, and says how to turn it off", with(map[string]string{"API_ALLOW_USERINFO": "true"}),
			[]string{"API_ALLOW_USERINFO=false to answer 401 invalid_token"}},
		{"no Redis warns of memory sessions", with(map[string]string{"REDIS_URL": ""}),
			[]string{"REDIS_URL is not set"}},
		{"no secret warns of the random secret", with(map[string]string{"SESSION_SECRET": ""}),
			[]string{"SESSION_SECRET is not set"}},
		{"http on a public host warns that CONNECT needs https", with(map[string]string{"APP_BASE_URL": "http://sample.example.com"}),
			[]string{"APP_BASE_URL http://sample.example.com is not https"}},
		{"a refresh margin as long as the stand-in's token lifetime warns", map[string]string{"REDIS_URL": "redis://redis:6379/0", "SESSION_SECRET": secret, "CONNECT_REFRESH_MARGIN": "2m", "API_ALLOW_USERINFO": "false"},
			[]string{"local CONNECT stand-in", "every page that uses the access token will refresh it"}},
		{"a localhost base URL on another port than APP_LISTEN warns, naming both",
			with(map[string]string{"APP_BASE_URL": "http://localhost:8081", "APP_LISTEN": "127.0.0.1:18081"}),
			[]string{"APP_BASE_URL http://localhost:8081 is on port 8081 but APP_LISTEN 127.0.0.1:18081 is on port 18081"}},
		{"a loopback base URL on another port than a wildcard APP_LISTEN warns",
			with(map[string]string{"APP_BASE_URL": "http://127.0.0.1:8081", "APP_LISTEN": ":18081"}),
			[]string{"APP_BASE_URL http://127.0.0.1:8081 is on port 8081 but APP_LISTEN :18081 is on port 18081"}},
		{"a localhost base URL without a port is on 80",
			with(map[string]string{"APP_BASE_URL": "http://localhost", "APP_LISTEN": "127.0.0.1:8081"}),
			[]string{"APP_BASE_URL http://localhost is on port 80 but APP_LISTEN 127.0.0.1:8081 is on port 8081"}},
		{"a PORT that moves APP_LISTEN away from a localhost base URL warns",
			with(map[string]string{"APP_BASE_URL": "http://localhost:8081", "PORT": "9090"}),
			[]string{"APP_BASE_URL http://localhost:8081 is on port 8081 but APP_LISTEN :9090 is on port 9090"}},
		{"APP_LISTEN alone moves the base URL too, so the ports agree", map[string]string{"REDIS_URL": "redis://redis:6379/0", "SESSION_SECRET": secret, "APP_LISTEN": ":18081", "API_ALLOW_USERINFO": "false"},
			[]string{"local CONNECT stand-in"}},
		{"a public base URL on another port is fine: a proxy forwards to the app",
			with(map[string]string{"APP_BASE_URL": "https://sample.example.com", "APP_LISTEN": ":8081"}), nil},
		{"a localhost base URL with a port of the kernel's choosing is left alone",
			with(map[string]string{"APP_BASE_URL": "http://localhost:8081", "APP_LISTEN": "127.0.0.1:0"}), nil},
		{"http on localhost is fine", with(map[string]string{"APP_BASE_URL": "http://localhost:8081"}), nil},
		{"http on 127.0.0.1 is fine", with(map[string]string{"APP_BASE_URL": "http://127.0.0.1:8081"}), nil},
		{"http on [::1] is fine", with(map[string]string{"APP_BASE_URL": "http://[::1]:8081"}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.vars), "")
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			got := c.Warnings()
			if len(got) != len(tt.want) {
				t.Fatalf("got %d warnings %q, want %d", len(got), got, len(tt.want))
			}
			for i, warning := range got {
				w := inEnglish(t, warning)
				if !strings.Contains(w, tt.want[i]) {
					t.Errorf("warning %d = %q, want it to contain %q", i+1, w, tt.want[i])
				}
				if strings.Contains(w, "\n") || !strings.HasSuffix(w, ".") {
					t.Errorf("warning %d = %q, want one sentence on one line", i+1, w)
				}
			}
		})
	}
}

func TestTheBaseURLFollowsTheListenAddress(t *testing.T) {
	const issuer = "https://connect.telenordigital.com/oauth"
	tests := []struct {
		name        string
		vars        map[string]string
		wantListen  string
		wantBaseURL string
	}{
		{"with nothing set the app is at localhost:8081", nil, ":8081", "http://localhost:8081"},
		{"APP_LISTEN alone moves APP_BASE_URL", map[string]string{"APP_LISTEN": ":18081"}, ":18081", "http://localhost:18081"},
		{"a loopback APP_LISTEN is reached at localhost", map[string]string{"APP_LISTEN": "127.0.0.1:18081"}, "127.0.0.1:18081", "http://localhost:18081"},
		{"an IPv6 loopback APP_LISTEN is reached at localhost", map[string]string{"APP_LISTEN": "[::1]:18081"}, "[::1]:18081", "http://localhost:18081"},
		{"a wildcard APP_LISTEN is reached at localhost", map[string]string{"APP_LISTEN": "0.0.0.0:18081"}, "0.0.0.0:18081", "http://localhost:18081"},
		{"an IPv6 wildcard APP_LISTEN is reached at localhost", map[string]string{"APP_LISTEN": "[::]:18081"}, "[::]:18081", "http://localhost:18081"},
		{"one address of this machine's is reached at that address, with the stand-in opened up",
			map[string]string{"APP_LISTEN": "192.0.2.10:18081", "LOCAL_CONNECT_LISTEN": ":8082"}, "192.0.2.10:18081", "http://192.0.2.10:18081"},
		{"PORT alone moves APP_LISTEN to every interface and APP_BASE_URL with it", map[string]string{"PORT": "9090"}, ":9090", "http://localhost:9090"},
		{"APP_LISTEN wins over PORT", map[string]string{"PORT": "9090", "APP_LISTEN": "127.0.0.1:18081"}, "127.0.0.1:18081", "http://localhost:18081"},
		{"an empty APP_LISTEN leaves the choice to PORT", map[string]string{"APP_LISTEN": "", "PORT": " 9090 "}, ":9090", "http://localhost:9090"},
		{"APP_BASE_URL set stays as set", map[string]string{"APP_LISTEN": ":18081", "APP_BASE_URL": "http://localhost:18081"}, ":18081", "http://localhost:18081"},
		{"with CONNECT_ISSUER a loopback APP_LISTEN is enough",
			map[string]string{"CONNECT_ISSUER": issuer, "CONNECT_CLIENT_ID": "partner-web", "APP_LISTEN": "127.0.0.1:18081"}, "127.0.0.1:18081", "http://localhost:18081"},
		{"with CONNECT_ISSUER a wildcard APP_LISTEN is fine next to APP_BASE_URL",
			map[string]string{"CONNECT_ISSUER": issuer, "CONNECT_CLIENT_ID": "partner-web", "PORT": "9090", "APP_BASE_URL": "https://sample.example.com"}, ":9090", "https://sample.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.vars), "")
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.Listen != tt.wantListen {
				t.Errorf("Listen = %q, want %q", c.Listen, tt.wantListen)
			}
			if got := c.BaseURL.String(); got != tt.wantBaseURL {
				t.Errorf("BaseURL = %q, want %q", got, tt.wantBaseURL)
			}
			if got, want := c.RedirectURL(), tt.wantBaseURL+"/connect/oauth2callback"; got != want {
				t.Errorf("RedirectURL() = %q, want %q", got, want)
			}
		})
	}

	t.Run("the stand-in stays on LOCAL_CONNECT_URL's port when APP_LISTEN moves", func(t *testing.T) {
		c, err := Load(env(map[string]string{"APP_LISTEN": ":18081"}), "")
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if c.LocalConnectListen != "127.0.0.1:8082" || c.IssuerURL() != "http://localhost:8082/oauth" {
			t.Errorf("stand-in listens on %q with issuer %q, want 127.0.0.1:8082 and http://localhost:8082/oauth", c.LocalConnectListen, c.IssuerURL())
		}
		if got := c.StandInPortSetting(); got != "LOCAL_CONNECT_URL" {
			t.Errorf("StandInPortSetting() = %q, want LOCAL_CONNECT_URL", got)
		}
	})

	t.Run("the .env file's PORT counts like the environment's", func(t *testing.T) {
		c, err := Load(env(nil), writeEnvFile(t, "PORT=9090\n"))
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if c.Listen != ":9090" || c.BaseURL.String() != "http://localhost:9090" {
			t.Errorf("Listen, BaseURL = %q, %q, want :9090, http://localhost:9090", c.Listen, c.BaseURL)
		}
	})

	errs := []struct {
		name     string
		vars     map[string]string
		wantLine string
	}{
		{"with CONNECT_ISSUER a wildcard APP_LISTEN needs APP_BASE_URL",
			map[string]string{"CONNECT_ISSUER": issuer, "CONNECT_CLIENT_ID": "partner-web"},
			`config: APP_BASE_URL: required when CONNECT_ISSUER is set and APP_LISTEN (:8081) is not a loopback address: set the public URL registered at CONNECT, such as https://app.example.com (or listen on 127.0.0.1:8081 to use http://localhost:8081)`},
		{"with CONNECT_ISSUER a PORT set by a hosting platform needs APP_BASE_URL",
			map[string]string{"CONNECT_ISSUER": issuer, "CONNECT_CLIENT_ID": "partner-web", "PORT": "9090"},
			`config: APP_BASE_URL: required when CONNECT_ISSUER is set and APP_LISTEN (:9090) is not a loopback address: ...`},
		{"with CONNECT_ISSUER one public address of this machine's needs APP_BASE_URL",
			map[string]string{"CONNECT_ISSUER": issuer, "CONNECT_CLIENT_ID": "partner-web", "APP_LISTEN": "192.0.2.10:8081"},
			`config: APP_BASE_URL: required when CONNECT_ISSUER is set and APP_LISTEN (192.0.2.10:8081) is not a loopback address: ...`},
		{"a PORT that is not a port number",
			map[string]string{"PORT": "http"},
			`config: PORT: must be a port number from 1 to 65535 (with APP_LISTEN unset the app listens on :PORT), got "http"`},
		{"a PORT on the stand-in's port",
			map[string]string{"PORT": "8082"},
			`config: LOCAL_CONNECT_URL: port 8082 is also APP_LISTEN's; the stand-in needs a port of its own`},
		{"the stand-in beside an app reached by a public address of this machine's",
			map[string]string{"APP_LISTEN": "192.0.2.10:8081"},
			`config: LOCAL_CONNECT_LISTEN: must be set when APP_BASE_URL (http://192.0.2.10:8081) is not on this machine and the stand-in runs: ...`},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.vars), "")
			if err == nil {
				t.Fatalf("Load succeeded, want error %q", tt.wantLine)
			}
			got := err.Error()
			if strings.Contains(got, "\n") {
				t.Errorf("error has several lines:\n%s\nwant one line", got)
			}
			if prefix, ok := strings.CutSuffix(tt.wantLine, "..."); ok {
				if !strings.HasPrefix(got, prefix) {
					t.Errorf("got error %q, want it to start with %q", got, prefix)
				}
			} else if got != tt.wantLine {
				t.Errorf("got error %q\nwant       %q", got, tt.wantLine)
			}
		})
	}
}

func TestDerivedURLs(t *testing.T) {
	tests := []struct {
		baseURL        string
		wantRedirect   string
		wantPostLogout string
		wantBackchan   string
		wantSecure     bool
	}{
		{"http://localhost:8081", "http://localhost:8081/connect/oauth2callback",
			"http://localhost:8081/connect/logoutcallback", "http://localhost:8081/connect/backchannellogout", false},
		{"https://sample.example.com/", "https://sample.example.com/connect/oauth2callback",
			"https://sample.example.com/connect/logoutcallback", "https://sample.example.com/connect/backchannellogout", true},
	}
	for _, tt := range tests {
		t.Run("they derive from "+tt.baseURL, func(t *testing.T) {
			c, err := Load(env(map[string]string{"APP_BASE_URL": tt.baseURL, "LOCAL_CONNECT_LISTEN": ":8082"}), "")
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := c.RedirectURL(); got != tt.wantRedirect {
				t.Errorf("RedirectURL() = %q, want %q", got, tt.wantRedirect)
			}
			if got := c.PostLogoutRedirectURL(); got != tt.wantPostLogout {
				t.Errorf("PostLogoutRedirectURL() = %q, want %q", got, tt.wantPostLogout)
			}
			if got := c.BackchannelLogoutURL(); got != tt.wantBackchan {
				t.Errorf("BackchannelLogoutURL() = %q, want %q", got, tt.wantBackchan)
			}
			if got := c.SecureCookies(); got != tt.wantSecure {
				t.Errorf("SecureCookies() = %v, want %v", got, tt.wantSecure)
			}
		})
	}
}

func TestLogValueLeavesOutSecrets(t *testing.T) {
	for _, tc := range []struct{ mode, redisURL, wantRedis string }{
		{"standalone", "redis://user:redis-password@redis:6379/0", "standalone redis://redis:6379/0"},
		{"sentinel", "redis://sentinel-user:sentinel-password@sentinel:26379/0?master_name=m&password=master-password&username=master-user",
			"sentinel redis://sentinel:26379/0"},
		{"cluster", "rediss://:cluster-password@node-1:6379?addr=node-2:6379", "cluster rediss://node-1:6379"},
	} {
		t.Run("with Redis in "+tc.mode+" mode", func(t *testing.T) {
			c, err := Load(env(map[string]string{
				"CONNECT_ISSUER":        "https://connect.telenordigital.com/oauth",
				"CONNECT_CLIENT_ID":     "partner-web",
				"CONNECT_CLIENT_SECRET": "client-secret-value",
				"APP_BASE_URL":          "https://sample.example.com",
				"REDIS_URL":             tc.redisURL,
				"REDIS_MODE":            tc.mode,
				"SESSION_SECRET":        "session-secret-value-of-32-bytes!",
			}), "")
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "config", c)
			got := buf.String()
			for _, secret := range []string{"client-secret-value", "password", "session-secret-value", "master-user", "sentinel-user"} {
				if strings.Contains(got, secret) {
					t.Errorf("log line %q contains %q", got, secret)
				}
			}
			for _, want := range []string{"config.client_id=partner-web", fmt.Sprintf("config.sessions=%q", tc.wantRedis)} {
				if !strings.Contains(got, want) {
					t.Errorf("log line %q lacks %s", got, want)
				}
			}
		})
	}
}

// TestExampleEnvFileListsEverySetting keeps config.example.env in step with
// Variables: each setting appears once, as "#NAME=default".
func TestExampleEnvFileListsEverySetting(t *testing.T) {
	const path = "../config.example.env"
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	setting := regexp.MustCompile(`^#?([A-Z][A-Z0-9_]*)=(.*)$`)
	found := make(map[string]string)
	var order []string
	scanner := bufio.NewScanner(f)
	for n := 1; scanner.Scan(); n++ {
		m := setting.FindStringSubmatch(scanner.Text())
		if m == nil {
			continue
		}
		if !strings.HasPrefix(scanner.Text(), "#") {
			t.Errorf("%s line %d sets %s; want every setting commented out so copying the file changes nothing", path, n, m[1])
		}
		if _, dup := found[m[1]]; dup {
			t.Errorf("%s line %d lists %s again", path, n, m[1])
		}
		found[m[1]] = m[2]
		order = append(order, m[1])
	}
	if err := scanner.Err(); err != nil {
		t.Fatal(err)
	}

	var names []string
	for _, v := range Variables() {
		names = append(names, v.Name)
		got, ok := found[v.Name]
		if !ok {
			t.Errorf("%s does not list %s", path, v.Name)
			continue
		}
		if got != v.Default {
			t.Errorf("%s lists %s=%s, want the default %s=%s", path, v.Name, got, v.Name, v.Default)
		}
	}
	for _, name := range order {
		if !slices.Contains(names, name) {
			t.Errorf("%s lists %s, which Load does not read", path, name)
		}
	}
}

func TestExampleEnvFileChangesNothing(t *testing.T) {
	plain, err := Load(env(nil), "")
	if err != nil {
		t.Fatal(err)
	}
	fromExample, err := Load(env(nil), "../config.example.env")
	if err != nil {
		t.Fatalf("Load with config.example.env: %v", err)
	}
	// The random secrets differ by design; everything else must match.
	plain.SessionSecret, fromExample.SessionSecret = nil, nil
	if !reflect.DeepEqual(fromExample, plain) {
		t.Errorf("with config.example.env got %+v, want %+v", fromExample, plain)
	}
}

func TestVariablesHaveHelpAndUniqueNames(t *testing.T) {
	seen := make(map[string]bool)
	for _, v := range Variables() {
		if seen[v.Name] {
			t.Errorf("%s is listed twice", v.Name)
		}
		seen[v.Name] = true
		if v.Help == "" {
			t.Errorf("%s has no help text", v.Name)
		}
	}
	if len(seen) != 36 {
		t.Errorf("got %d variables, want the 36 of DESIGN.md's table", len(seen))
	}
}

func TestDocsDocumentEveryVariable(t *testing.T) {
	doc, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Variables() {
		if !strings.Contains(string(doc), "`"+v.Name+"`") {
			t.Errorf("docs/configuration.md does not document %s", v.Name)
		}
	}
}

func TestSetupPageIsForDevelopmentOnly(t *testing.T) {
	realConnect := map[string]string{
		"CONNECT_ISSUER":    "https://connect.telenordigital.com/oauth",
		"CONNECT_CLIENT_ID": "partner-web",
		"SESSION_SECRET":    strongSecret,
	}
	tests := []struct {
		name    string
		baseURL string
		issuer  string // "" runs the stand-in
		setting string
		want    bool
	}{
		{"served with the stand-in", "http://localhost:8081", "", "", true},
		{"served on a laptop against real CONNECT", "http://localhost:8081", realConnect["CONNECT_ISSUER"], "", true},
		{"not served on a deployment", "https://sample.example.com", realConnect["CONNECT_ISSUER"], "", false},
		{"served on a deployment that asks for it", "https://sample.example.com", realConnect["CONNECT_ISSUER"], "on", true},
		{"not served anywhere once turned off", "http://localhost:8081", "", "off", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"APP_BASE_URL": tt.baseURL, "SETUP_PAGE": tt.setting}
			if tt.issuer != "" {
				for k, v := range realConnect {
					vars[k] = v
				}
			}
			c, err := Load(env(vars), "")
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := c.ServeSetupPage(); got != tt.want {
				t.Errorf("ServeSetupPage() = %v, want %v", got, tt.want)
			}
		})
	}
}

// inEnglish is warning as the start-up log says it, from the app's
// en.toml; a key the message file lacks fails the test.
func inEnglish(t *testing.T, warning Warning) string {
	t.Helper()
	var texts map[string]any // plural texts are tables
	if _, err := toml.DecodeFile("../handlers/locales/en.toml", &texts); err != nil {
		t.Fatal(err)
	}
	text, ok := texts[warning.Key].(string)
	if !ok {
		t.Fatalf("handlers/locales/en.toml has no text for the warning %s", warning.Key)
	}
	return fmt.Sprintf(text, warning.Args...)
}
