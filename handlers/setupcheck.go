package handlers

import (
	"net/http"
	"strings"

	"github.com/telenordigital/connect-web-sample/regcheck"
)

// handleSetupCheck is POST /setup/check: /setup's "Run the registration
// check" button. It runs the same checks as `go run . check` (regcheck)
// and shows /setup with their lines, in the visitor's language. Like
// /setup it is served in development only; it makes calls to CONNECT with
// the client's credentials, so it is a POST behind the cross-origin
// protection and is rate-limited per address (routes.go).
func (app *App) handleSetupCheck(w http.ResponseWriter, r *http.Request) error {
	lines := app.RegistrationCheck(r.Context())
	app.Logger.Info("registration check", "failed", regcheck.Failed(lines), "request_id", requestID(r.Context()))
	return app.serveSetup(w, r, newCheckReport(translatorFor(langOf(r.Context())), lines))
}

// checkReport is the check's lines as setup.html shows them.
type checkReport struct {
	Failed  int
	Summary string
	Lines   []checkLine
}

// checkLine is one line: its status (a CSS class and a badge) and its
// text, plain: html/template escapes it.
type checkLine struct {
	Class  string // pass, fail, unknown, note, warning
	Symbol string
	Status string
	Text   string
}

func newCheckReport(t translator, lines []regcheck.Line) *checkReport {
	report := &checkReport{Failed: regcheck.Failed(lines), Summary: checkSummary(t, lines)}
	for _, l := range lines {
		report.Lines = append(report.Lines, checkLine{
			Class:  strings.ReplaceAll(l.Status.String(), " ", "-"),
			Symbol: l.Status.Symbol(),
			Status: t.T(l.Status.Key()),
			Text:   t.T(l.Key, l.Args...),
		})
	}
	return report
}

func checkSummary(t translator, lines []regcheck.Line) string {
	if n := regcheck.Failed(lines); n > 0 {
		return t.T("check.summary.failed", n)
	}
	return t.T("check.summary.passed")
}

// CheckReport is the registration check's lines as `go run . check`
// prints them, in lang ("en" or "nb"): one line each, its mark first, and
// the summary last. The words are the ones /setup shows.
func CheckReport(lang string, lines []regcheck.Line) string {
	t := translatorFor(lang)
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.Status.Symbol() + " " + t.T(l.Key, l.Args...) + "\n")
	}
	b.WriteString("\n" + checkSummary(t, lines) + "\n")
	return b.String()
}
