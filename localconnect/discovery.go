package localconnect

import (
	"net/http"
	"slices"
)

// discoveryDocument is the OpenID Provider metadata (OpenID Connect
// Discovery 1.0, section 3), with the fields CONNECT publishes.
type discoveryDocument struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	RevocationEndpoint                string   `json:"revocation_endpoint,omitempty"`
	EndSessionEndpoint                string   `json:"end_session_endpoint,omitempty"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethods     []string `json:"revocation_endpoint_auth_methods_supported,omitempty"`
	// Introspection (RFC 8414 2) is listed only when the stand-in offers it.
	IntrospectionEndpoint             string   `json:"introspection_endpoint,omitempty"`
	IntrospectionEndpointAuthMethods  []string `json:"introspection_endpoint_auth_methods_supported,omitempty"`
	ClaimsSupported                   []string `json:"claims_supported"`
	ACRValuesSupported                []string `json:"acr_values_supported"`
	PromptValuesSupported             []string `json:"prompt_values_supported"`
	UILocalesSupported                []string `json:"ui_locales_supported"`
	BackchannelLogoutSupported        bool     `json:"backchannel_logout_supported"`
	BackchannelLogoutSessionSupported bool     `json:"backchannel_logout_session_supported"`
	ClaimsParameterSupported          bool     `json:"claims_parameter_supported"`
	RequestParameterSupported         bool     `json:"request_parameter_supported"`
	// request_uri_parameter_supported defaults to true, so say it is not.
	RequestURIParameterSupported bool `json:"request_uri_parameter_supported"`
}

// supportedScopes are the scopes the stand-in grants; others are dropped from
// the grant (RFC 6749 3.3), and the token response's scope shows it.
var supportedScopes = []string{"openid", "profile", "email", "phone"}

// handleDiscovery serves GET {issuer}/.well-known/openid-configuration.
func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	doc := discoveryDocument{
		Issuer:                            s.issuer,
		AuthorizationEndpoint:             s.endpoint("authorize"),
		TokenEndpoint:                     s.endpoint("token"),
		UserinfoEndpoint:                  s.endpoint("userinfo"),
		JWKSURI:                           s.endpoint("public_keys.jwks"),
		RevocationEndpoint:                s.endpoint("revoke"),
		EndSessionEndpoint:                s.endpoint("logout"),
		ScopesSupported:                   supportedScopes,
		ResponseTypesSupported:            []string{"code"},
		ResponseModesSupported:            []string{"query"},
		GrantTypesSupported:               []string{"authorization_code", "refresh_token"},
		SubjectTypesSupported:             []string{"public"},
		IDTokenSigningAlgValuesSupported:  []string{"RS256"},
		CodeChallengeMethodsSupported:     []string{"S256"},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "none"},
		RevocationEndpointAuthMethods:     []string{"client_secret_basic", "none"},
		ClaimsSupported: []string{
			"iss", "sub", "aud", "azp", "exp", "iat", "auth_time", "nonce",
			"acr", "amr", "sid", "td_sls", "td_au",
			"name", "locale", "email", "email_verified", "phone_number", "phone_number_verified",
		},
		ACRValuesSupported:                []string{"1", "2"},
		PromptValuesSupported:             []string{"none", "login"},
		UILocalesSupported:                []string{"en", "nb"},
		BackchannelLogoutSupported:        true,
		BackchannelLogoutSessionSupported: true,
	}
	faults := s.currentFaults()
	if faults.DiscoveryIssuer != "" {
		doc.Issuer = faults.DiscoveryIssuer
	}
	if len(faults.UnsupportedScopes) > 0 {
		doc.ScopesSupported = slices.DeleteFunc(slices.Clone(supportedScopes), func(sc string) bool {
			return slices.Contains(faults.UnsupportedScopes, sc)
		})
	}
	if faults.NoRevocation {
		doc.RevocationEndpoint, doc.RevocationEndpointAuthMethods = "", nil
	}
	if faults.NoEndSession {
		doc.EndSessionEndpoint = ""
	}
	if s.introspection {
		doc.IntrospectionEndpoint = s.endpoint("introspect")
		doc.IntrospectionEndpointAuthMethods = []string{"client_secret_basic", "none"}
	}
	w.Header().Set("Cache-Control", "public, max-age=60")
	writeJSON(w, http.StatusOK, doc)
}
