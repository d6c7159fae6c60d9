package regcheck

import (
	"context"
	"net/url"
)

// appSide checks the app's own settings: where sessions are kept, the
// secret that protects them, and what CONNECT can reach of the app.
func (c *checker) appSide(ctx context.Context) {
	switch {
	case c.EmbeddedRedis:
		c.add(Note, "check.redis.embedded")
	case c.PingRedis != nil:
		if err := c.PingRedis(ctx); err != nil {
			c.add(Fail, "check.redis.failed", err.Error())
		} else {
			c.add(Pass, "check.redis.ok")
		}
	}

	if p, refused := c.problem("SESSION_SECRET"); refused {
		c.add(Fail, "check.secret.refused", p.Message)
	} else if c.RandomSessionSecret {
		c.add(Note, "check.secret.random")
	} else {
		c.add(Pass, "check.secret.ok")
	}

	base, err := url.Parse(c.BaseURL)
	if c.BaseURL == "" || err != nil {
		return // APP_BASE_URL's problem line says so
	}
	switch {
	case base.Scheme == "https":
		c.add(Pass, "check.base_url.https", c.BaseURL)
	case isLoopback(base.Hostname()):
		c.add(Pass, "check.base_url.local", c.BaseURL)
	default:
		c.add(Fail, "check.base_url.insecure", c.BaseURL)
	}
	// CONNECT posts back-channel logouts from its servers, which cannot
	// reach this machine's loopback; the stand-in runs here and can.
	if bcl, err := url.Parse(c.BackchannelLogoutURL); err == nil && !c.StandIn && isLoopback(bcl.Hostname()) {
		c.add(Note, "check.backchannel.local", c.BackchannelLogoutURL)
	}
}
