package config

// Variable describes one setting: its environment variable, its default as
// it would be written in a .env file, and a one-line explanation. The list
// feeds the checks that keep config.example.env and docker-compose.yml in
// step with what Load reads.
type Variable struct {
	Name    string
	Default string
	Help    string
}

// Variables returns every setting Load reads, in the order of the
// configuration table in DESIGN.md.
func Variables() []Variable {
	return []Variable{
		{"CONNECT_ISSUER", "", "CONNECT issuer URL, e.g. https://connect.staging.telenordigital.com/oauth; empty starts the local stand-in"},
		{"CONNECT_CLIENT_ID", "sample-web", "client_id from your CONNECT client registration; required with CONNECT_ISSUER, sample-web with the stand-in"},
		{"CONNECT_CLIENT_SECRET", "", "client_secret from your registration; empty for a public client (PKCE only, no Basic auth)"},
		{"CONNECT_SCOPES", "openid profile email phone", "space-separated scopes to request; must contain openid"},
		{"CONNECT_SSO", "true", "the client is registered with SSO, so offer \"log out everywhere\""},
		{"CONNECT_ACR_VALUES", "", "default level of assurance for login: empty, 1 (mobile phone) or 2 (password)"},
		{"CONNECT_UI_LOCALES", "", "preferred languages of CONNECT's pages, e.g. \"en nb\""},
		{"APP_BASE_URL", "", "public URL of this app; the redirect URIs derive from it; empty follows the listen address (http://localhost:PORT), and must be set with CONNECT_ISSUER unless APP_LISTEN is loopback"},
		{"APP_LISTEN", ":8081", "address the app listens on, host:port; empty means :PORT when PORT is set (as hosting platforms set it), else :8081"},
		{"REDIS_URL", "", "Redis for sessions, e.g. redis://host:6379/0, rediss:// for TLS; Sentinel and Cluster with REDIS_MODE; empty runs an embedded Redis in the process"},
		{"SESSION_SECRET", "", "32 or more bytes keying cookie encryption, tokens at rest and the hashing of session ids in Redis; empty makes a random one per start"},
		{"SESSION_SECRET_PREVIOUS", "", "the secret before the last rotation: still accepted for reading, never for writing; empty when not rotating"},
		{"REDIS_MODE", "standalone", "standalone, cluster or sentinel: how REDIS_URL is read"},
		{"METRICS_LISTEN", "", "host:port for Prometheus metrics on a listener of their own, e.g. 127.0.0.1:9091; empty turns metrics off"},
		{"TRUSTED_PROXIES", "", "CIDRs of proxies whose X-Forwarded-For is believed, e.g. 10.0.0.0/8; empty: the connection's address is the client's"},
		{"RATE_LIMIT_PER_ADDRESS", "300", "per client address and minute: login starts, callbacks and /api/me validations that reach CONNECT"},
		{"RATE_LIMIT_REFRESH", "10", "per session and minute: POST /refresh"},
		{"SETUP_PAGE", "auto", "auto (served with the stand-in or on a loopback base URL), on or off"},
		{"REPOSITORY_URL", "", "web view of this repository, e.g. https://github.com/you/app/blob/main; /guide then links code paths to it"},
		{"API_AUDIENCE", "", "the audience /api/me requires of JWT access tokens, and of introspection answers that name one; empty means the client id"},
		{"API_ALLOWED_CLIENTS", "", "space-separated clients whose tokens /api/me accepts when an introspection answer names no audience; empty means the client id"},
		{"API_ALLOW_USERINFO", "true", "let /api/me fall back to userinfo when CONNECT offers neither introspection nor JWT access tokens; userinfo cannot tell whose token it was, so set false in production"},
		{"LOCAL_CONNECT_LISTEN", "", "where the stand-in listens; empty means loopback on LOCAL_CONNECT_URL's port; set it (e.g. :8082) to reach the stand-in from another host"},
		{"LOCAL_CONNECT_ACCESS_TOKENS", "opaque", "the stand-in's access tokens: opaque, or jwt (RFC 9068)"},
		{"LOCAL_CONNECT_INTROSPECTION", "true", "whether the stand-in offers token introspection (RFC 7662)"},
		{"SESSION_IDLE_TIMEOUT", "30m", "a session ends after this long without a request"},
		{"SESSION_LIFETIME", "12h", "a session ends this long after login, however active"},
		{"LOCAL_CONNECT_URL", "http://localhost:8082", "where the local stand-in listens; its issuer is this URL plus /oauth"},
		{"LOCAL_CONNECT_CLIENTS", DefaultLocalConnectClients, "more clients the stand-in registers beside the app's, so another app can log in against it: id=...,secret=...,redirect=...,post_logout=...,backchannel=..., clients separated by ;; none for none"},
		{"CONNECT_REFRESH_MARGIN", "60s", "refresh tokens this long before the access token expires"},
		{"STEPUP_MAX_AGE", "5m", "how recent a password (LoA2) login /stepup accepts"},
		{"ENDED_SESSION_MEMORY", "24h", "how long a CONNECT session (sid) ended from /sessions must authenticate afresh (prompt=login) before single sign-on is accepted from it again"},
		{"LOCAL_CONNECT_ACCESS_TOKEN_TTL", "2m", "lifetime of the stand-in's access tokens, short so a demo shows refresh"},
		{"LOCAL_CONNECT_FAULTS", "", "registration mistakes the stand-in makes, for a demo of `check`: issuer, clock, scope, no_revocation, no_end_session, separated by commas; empty for none"},
		{"LOG_LEVEL", "info", "debug, info, warn or error"},
		{"LOG_FORMAT", "text", "text, or json for production"},
	}
}
