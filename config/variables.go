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
		{"APP_BASE_URL", "http://localhost:8081", "public URL of this app; the redirect URIs derive from it"},
		{"APP_LISTEN", ":8081", "address the app listens on, host:port"},
		{"REDIS_URL", "", "Redis for sessions, e.g. redis://host:6379/0 or rediss:// for TLS; empty keeps sessions in memory"},
		{"SESSION_SECRET", "", "32 or more bytes keying cookie encryption and tokens at rest; empty makes a random one per start"},
		{"SESSION_IDLE_TIMEOUT", "30m", "a session ends after this long without a request"},
		{"SESSION_LIFETIME", "12h", "a session ends this long after login, however active"},
		{"LOCAL_CONNECT_URL", "http://localhost:8082", "where the local stand-in listens; its issuer is this URL plus /oauth"},
		{"CONNECT_REFRESH_MARGIN", "60s", "refresh tokens this long before the access token expires"},
		{"STEPUP_MAX_AGE", "5m", "how recent a password (LoA2) login /stepup accepts"},
		{"LOCAL_CONNECT_ACCESS_TOKEN_TTL", "2m", "lifetime of the stand-in's access tokens, short so a demo shows refresh"},
		{"LOG_LEVEL", "info", "debug, info, warn or error"},
		{"LOG_FORMAT", "text", "text, or json for production"},
	}
}
