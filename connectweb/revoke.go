package connectweb

import (
	"context"
	"log/slog"

	"github.com/telenordigital/connect-web-sample/connect"
)

// RevokeTokens revokes tokens the app no longer holds (a logout, a
// session ended from the sessions page). A failure is
// logged, not returned: the user asked to leave, and the tokens expire
// anyway.
func (web *Web) RevokeTokens(ctx context.Context, t connect.TokenSet) {
	if err := web.opts.Connect.RevokeTokens(ctx, t); err != nil {
		web.log(ctx, slog.LevelWarn, "token revocation failed", "error", err)
	}
}
