package regcheck

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// discoveryDocument holds the fields of OpenID Provider metadata (OpenID
// Connect Discovery 1.0, section 3) the check looks at.
type discoveryDocument struct {
	Issuer             string   `json:"issuer"`
	Authorization      string   `json:"authorization_endpoint"`
	Token              string   `json:"token_endpoint"`
	UserInfo           string   `json:"userinfo_endpoint"`
	JWKS               string   `json:"jwks_uri"`
	Revocation         string   `json:"revocation_endpoint"`
	EndSession         string   `json:"end_session_endpoint"`
	ScopesSupported    []string `json:"scopes_supported"`
	ACRValuesSupported []string `json:"acr_values_supported"`
	SigningAlgs        []string `json:"id_token_signing_alg_values_supported"`
}

// Clock limits. The app (connect.Config.ClockSkew's default) allows a
// minute of skew, and takes an ID token issued up to 10 minutes ago
// (connect's maxTokenAge): past those, logins fail. Past half a minute it
// is time to set the clock, before it drifts that far.
const (
	clockWarning = 30 * time.Second
	allowedSkew  = time.Minute
	maxTokenAge  = 10 * time.Minute
)

// maxAnswer bounds what the check reads of any answer.
const maxAnswer = 1 << 20

// provider checks what CONNECT answers: discovery first, since every
// other check needs an endpoint from it.
func (c *checker) provider(ctx context.Context) {
	doc, skew, ok := c.discovery(ctx)
	if !ok {
		c.add(Note, "check.discovery.skipped")
		return
	}
	issuerMatches := c.issuer(doc)
	c.endpoints(doc)
	c.keySet(ctx, doc)
	c.clientAuthentication(ctx, doc, issuerMatches)
	c.redirectURI(ctx, doc)
	c.supported(c.Scopes, doc.ScopesSupported, "check.scopes.ok", "check.scopes.unsupported", "check.scopes.not_listed")
	if c.ACRValues != "" {
		c.supported(strings.Fields(c.ACRValues), doc.ACRValuesSupported, "check.acr.ok", "check.acr.unsupported", "check.acr.not_listed")
	}
	c.clock(skew)
}

// discovery fetches the discovery document, and how far CONNECT's clock
// is from ours by its Date header (nil when it sent none).
func (c *checker) discovery(ctx context.Context) (discoveryDocument, *time.Duration, bool) {
	// Where go-oidc (and so the app) looks for it.
	where := strings.TrimSuffix(c.Issuer, "/") + "/.well-known/openid-configuration"
	var doc discoveryDocument
	sent := c.Now()
	resp, err := c.get(ctx, where)
	if err != nil {
		c.add(Fail, "check.discovery.failed", where, err.Error())
		return doc, nil, false
	}
	defer resp.Body.Close()
	received := c.Now()
	if resp.StatusCode != http.StatusOK {
		c.add(Fail, "check.discovery.status", where, resp.Status)
		return doc, nil, false
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(&doc); err != nil {
		c.add(Fail, "check.discovery.not_json", where)
		return doc, nil, false
	}
	c.add(Pass, "check.discovery.ok", where)
	var skew *time.Duration
	if date, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		// Against the middle of the round trip: the Date was written
		// somewhere in it.
		d := date.Sub(sent.Add(received.Sub(sent) / 2))
		skew = &d
	}
	return doc, skew, true
}

// issuer checks that discovery's issuer is the configured one exactly: the
// app compares the ID token's iss with it letter by letter (OIDC Core
// 3.1.3.7), and go-oidc refuses a discovery document that names another.
func (c *checker) issuer(doc discoveryDocument) bool {
	if doc.Issuer == c.Issuer {
		c.add(Pass, "check.issuer.ok", c.Issuer)
		return true
	}
	c.add(Fail, issuerDifference(c.Issuer, doc.Issuer), doc.Issuer, c.Issuer)
	return false
}

// issuerDifference names how two issuers differ, as the key of the line
// that says so: the mistakes people make typing one first.
func issuerDifference(configured, discovered string) string {
	if discovered == "" {
		return "check.issuer.missing"
	}
	if strings.TrimSuffix(configured, "/") == strings.TrimSuffix(discovered, "/") {
		return "check.issuer.trailing_slash"
	}
	a, errA := url.Parse(configured)
	b, errB := url.Parse(discovered)
	if errA != nil || errB != nil || !strings.EqualFold(a.Host, b.Host) {
		return "check.issuer.other"
	}
	pathA, pathB := strings.TrimSuffix(a.Path, "/"), strings.TrimSuffix(b.Path, "/")
	switch {
	case a.Scheme != b.Scheme && pathA == pathB:
		return "check.issuer.scheme"
	case pathA+"/oauth" == pathB || pathB+"/oauth" == pathA:
		return "check.issuer.oauth"
	}
	return "check.issuer.other"
}

// endpoints checks that discovery names the endpoints the app uses, and
// says what the missing optional ones mean.
func (c *checker) endpoints(doc discoveryDocument) {
	var missing []string
	for _, e := range []struct{ field, url string }{
		{"authorization_endpoint", doc.Authorization},
		{"token_endpoint", doc.Token},
		{"userinfo_endpoint", doc.UserInfo},
		{"jwks_uri", doc.JWKS},
	} {
		if e.url == "" {
			missing = append(missing, e.field)
		}
	}
	if len(missing) > 0 {
		c.add(Fail, "check.endpoints.missing", strings.Join(missing, ", "))
	} else {
		c.add(Pass, "check.endpoints.ok")
	}
	if doc.Revocation == "" {
		c.add(Note, "check.endpoints.no_revocation")
	}
	if doc.EndSession == "" {
		c.add(Note, "check.endpoints.no_end_session")
	}
}

// acceptedAlgorithms are the ID token algorithms the app accepts
// (connect's signingAlgorithms): never none, never HMAC.
var acceptedAlgorithms = []string{"RS256", "ES256"}

// keySet checks that the key set answers with a key the ID token's
// signature can be checked with.
func (c *checker) keySet(ctx context.Context, doc discoveryDocument) {
	if doc.JWKS == "" {
		return // the endpoints line says so
	}
	algs := doc.SigningAlgs
	if len(algs) == 0 {
		algs = []string{"RS256"} // OIDC Discovery's default
	}
	var usable []string
	for _, alg := range algs {
		if slices.Contains(acceptedAlgorithms, alg) {
			usable = append(usable, alg)
		}
	}
	if len(usable) == 0 {
		c.add(Fail, "check.keys.algorithm", strings.Join(algs, ", "), strings.Join(acceptedAlgorithms, ", "))
		return
	}
	resp, err := c.get(ctx, doc.JWKS)
	if err != nil {
		c.add(Fail, "check.keys.failed", doc.JWKS, err.Error())
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.add(Fail, "check.keys.failed", doc.JWKS, resp.Status)
		return
	}
	var set struct {
		Keys []struct {
			Kty string `json:"kty"`
			Use string `json:"use"`
			Alg string `json:"alg"`
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(&set); err != nil {
		c.add(Fail, "check.keys.not_json", doc.JWKS)
		return
	}
	for _, alg := range usable {
		kty := map[string]string{"RS256": "RSA", "ES256": "EC"}[alg]
		for _, k := range set.Keys {
			if k.Kty == kty && (k.Use == "" || k.Use == "sig") && (k.Alg == "" || k.Alg == alg) {
				c.add(Pass, "check.keys.ok", doc.JWKS, alg, k.Kid)
				return
			}
		}
	}
	c.add(Fail, "check.keys.none", doc.JWKS, strings.Join(usable, ", "))
}

// supported checks configured values (scopes, levels of assurance)
// against discovery's list of supported ones, when it has one, with the
// keys of the three lines it may say.
func (c *checker) supported(configured, supported []string, ok, unsupported, notListed string) {
	if len(configured) == 0 {
		return // nothing asked for, or a refused setting its own line names
	}
	if supported == nil {
		c.add(Note, notListed, strings.Join(configured, " "))
		return
	}
	var missing []string
	for _, v := range configured {
		if !slices.Contains(supported, v) {
			missing = append(missing, v)
		}
	}
	if len(missing) > 0 {
		c.add(Fail, unsupported, strings.Join(missing, " "), strings.Join(supported, " "))
		return
	}
	c.add(Pass, ok, strings.Join(configured, " "))
}

// clock compares CONNECT's clock with ours: the app checks the times in
// ID tokens (iat, exp, auth_time) against this machine's clock.
func (c *checker) clock(skew *time.Duration) {
	if skew == nil {
		c.add(Unknown, "check.clock.no_date")
		return
	}
	d := *skew
	seconds := int(d.Abs().Round(time.Second) / time.Second)
	switch {
	case d > allowedSkew:
		c.add(Fail, "check.clock.ahead", seconds)
	case -d > maxTokenAge+allowedSkew:
		c.add(Fail, "check.clock.behind", seconds)
	case d.Abs() > clockWarning:
		c.add(Warning, "check.clock.skewed", seconds)
	default:
		c.add(Pass, "check.clock.ok")
	}
}

// get GETs u as JSON, following no redirect.
func (c *checker) get(ctx context.Context, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("not a URL: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	return c.HTTPClient.Do(req)
}
