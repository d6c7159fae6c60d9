package localconnect

import (
	"cmp"
	"net/http"
	"strings"
)

// loginForm is what the user has entered so far, kept when the page is shown
// again with a problem (wrong password, no user chosen).
type loginForm struct {
	user         string // Sub of the chosen user
	staySignedIn bool
	everyone     bool // the user asked to see every test user despite login_hint
	problem      string
}

// loginPage is the data of templates/login.html.
type loginPage struct {
	page
	Action       string
	RequestID    string
	ClientID     string
	Scopes       []scopeChoice
	Level        string
	AskPassword  bool
	Users        []userChoice
	Hinted       bool // Users is only the user login_hint names
	Everyone     bool // every user is shown although login_hint names one
	StaySignedIn bool
	Problem      string
}

type scopeChoice struct{ Name, Description string }

type userChoice struct {
	Sub, Name, Phone, Email, Password string
	Checked                           bool
}

// renderLogin shows the login page for the pending authorization id. The
// form posts back to the authorization endpoint.
func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, id string, req pendingAuthorization, form loginForm) {
	t := texts(req.lang).Login
	data := loginPage{
		// The language switch asks again in the other language: a new
		// login page for the same request.
		page:         s.newPage(req.lang, t.Title, req.uri),
		Action:       s.basePath + "/authorize",
		RequestID:    id,
		ClientID:     req.clientID,
		Level:        t.Level1,
		AskPassword:  req.acr == "2",
		StaySignedIn: form.staySignedIn,
		Problem:      form.problem,
	}
	if data.AskPassword {
		data.Level = t.Level2
	}
	for _, sc := range req.scope {
		data.Scopes = append(data.Scopes, scopeChoice{Name: sc, Description: t.Scopes[sc]})
	}
	// The user login_hint names is preselected and the only one offered,
	// so a step-up cannot slip to another user by accident; "Log in as
	// someone else" lifts that, as CONNECT lets a user change the username
	// it prefilled. Without a hint, the first user is preselected, so a
	// demo is one click.
	hinted := s.hintedUser(req.loginHint)
	data.Hinted = hinted != "" && !form.everyone
	data.Everyone = hinted != "" && form.everyone
	chosen := form.user
	if chosen == "" {
		chosen = cmp.Or(hinted, s.users[0].Sub)
	}
	for _, u := range s.users {
		if data.Hinted && u.Sub != hinted {
			continue
		}
		data.Users = append(data.Users, userChoice{Sub: u.Sub, Name: u.Name, Phone: formatPhone(u.PhoneNumber),
			Email: u.Email, Password: u.Password, Checked: u.Sub == chosen})
	}
	s.render(w, status, s.pages.login, data)
}

// formatPhone writes a Norwegian mobile number as people read it:
// "+4791234567" becomes "+47 912 34 567".
func formatPhone(p string) string {
	digits, ok := strings.CutPrefix(p, "+47")
	if !ok || len(digits) != 8 {
		return p
	}
	return "+47 " + digits[:3] + " " + digits[3:5] + " " + digits[5:]
}
