package localconnect

import "strings"

// loginTexts are the login page's words in one language.
type loginTexts struct {
	Title, Heading, ClientLabel, RequestedAccess string
	Scopes                                       map[string]string // scope => what it gives the app
	LevelLabel, Level1, Level2, Level1Explained  string
	ChooseUser, PasswordIs                       string
	Password, PasswordExplained                  string
	StaySignedIn, StaySignedInExplained          string
	LogIn, Cancel                                string
	ChooseUserError, WrongPassword               string // WrongPassword takes the user's name
}

// chooseLanguage picks the first language of ui_locales (OIDC Core 3.1.2.1)
// that the stand-in speaks: Norwegian Bokmål ("nb", or "no") or English.
func chooseLanguage(uiLocales string) string {
	for _, tag := range strings.Fields(strings.ToLower(uiLocales)) {
		base, _, _ := strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
		switch base {
		case "nb", "no":
			return "nb"
		case "en":
			return "en"
		}
	}
	return "en"
}

// texts returns the login page's texts for lang ("nb" or "en").
func texts(lang string) loginTexts {
	if lang == "nb" {
		return loginTexts{
			Title:           "Logg inn",
			Heading:         "Logg inn med CONNECT ID",
			ClientLabel:     "Appen som ber deg logge inn (client_id):",
			RequestedAccess: "Hva appen ber om",
			Scopes: map[string]string{
				"openid":  "din CONNECT-ID (sub)",
				"profile": "navnet og språket ditt",
				"email":   "e-postadressen din",
				"phone":   "telefonnummeret ditt",
			},
			LevelLabel: "Sikkerhetsnivå:",
			Level1:     "1, mobiltelefon",
			Level2:     "2, mobiltelefon og passord",
			Level1Explained: "På nivå 1 bekrefter CONNECT at det er deg via mobiltelefonen din: automatisk på " +
				"Telenors mobilnett, ellers med en kode på SMS. Stand-in-tjenesten hopper over dette: det holder å velge en bruker.",
			ChooseUser:            "Velg en testbruker",
			PasswordIs:            "passord:",
			Password:              "Passord",
			PasswordExplained:     "Nivå 2 krever passord. Passordet til hver testbruker står over.",
			StaySignedIn:          "Forbli innlogget",
			StaySignedInExplained: "La boksen stå tom på en delt datamaskin: økten slutter da når nettleseren lukkes, og appene får beskjed om det (td_sls).",
			LogIn:                 "Logg inn",
			Cancel:                "Avbryt",
			ChooseUserError:       "Velg en testbruker.",
			WrongPassword:         "Feil passord for %s. Prøv igjen.",
		}
	}
	return loginTexts{
		Title:           "Log in",
		Heading:         "Log in with CONNECT ID",
		ClientLabel:     "The app asking you to log in (client_id):",
		RequestedAccess: "What the app asks for",
		Scopes: map[string]string{
			"openid":  "your CONNECT ID (sub)",
			"profile": "your name and language",
			"email":   "your e-mail address",
			"phone":   "your phone number",
		},
		LevelLabel: "Level of assurance:",
		Level1:     "1, mobile phone",
		Level2:     "2, mobile phone and password",
		Level1Explained: "At level 1 CONNECT checks that it is you through your mobile phone: automatically on " +
			"Telenor's mobile network, otherwise with a code by SMS. The stand-in skips this: choosing a user is enough.",
		ChooseUser:            "Choose a test user",
		PasswordIs:            "password:",
		Password:              "Password",
		PasswordExplained:     "Level 2 needs the password. Each test user's password is shown above.",
		StaySignedIn:          "Stay signed in",
		StaySignedInExplained: "Leave this unticked on a shared computer: the session then ends with the browser, and apps are told so (td_sls).",
		LogIn:                 "Log in",
		Cancel:                "Cancel",
		ChooseUserError:       "Choose a test user.",
		WrongPassword:         "Wrong password for %s. Try again.",
	}
}
