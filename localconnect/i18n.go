package localconnect

import (
	"strings"

	"golang.org/x/text/language"
)

// The stand-in speaks English and Norwegian Bokmål. Every word it shows is
// in the catalogue below, one value per language; TestCatalogues fails when
// a text is empty, or a format's verbs differ, in either language.

// catalogue is every text of the stand-in's pages in one language. Texts
// that take values (%s, %q) say so.
type catalogue struct {
	Layout   layoutTexts
	Login    loginTexts
	Sessions sessionsTexts
	Root     rootTexts
	Messages messageTexts
}

// layoutTexts are the base layout's: on every page.
type layoutTexts struct {
	Banner, TitleSuffix, Footer, Home, SessionsLink string
}

// loginTexts are the login page's.
type loginTexts struct {
	Title, Heading, ClientLabel, RequestedAccess string
	Scopes                                       map[string]string // scope => what it gives the app
	LevelLabel, Level1, Level2, Level1Explained  string
	ChooseUser, PasswordIs                       string
	HintedUser, Everyone                         string // the login_hint note, and the button that lifts it
	Password, PasswordExplained                  string
	StaySignedIn, StaySignedInExplained          string
	LogIn, Cancel                                string
	ChooseUserError, WrongPassword               string // WrongPassword takes the user's name
}

// sessionsTexts are the sessions page's.
type sessionsTexts struct {
	Title, Intro, Caption                                  string
	User, Authenticated, StaySignedIn, Apps, Action        string
	Yes, No, NoAppsYet, EndSession, EndSessionOf, NoneLive string // EndSessionOf takes the user's name
	DeliveriesHeading, DeliveredTo, DeliveredAt, Failed    string
	NoDeliveries                                           string
}

// rootTexts are those of the root page, and of the links every 404 offers.
type rootTexts struct {
	Title, Intro, Warning                            string
	WhereTo, App, AppExplained                       string // App takes the client id
	SessionsExplained, Discovery, DiscoveryExplained string
}

// message is the text of a message page: a heading, a text and a detail.
type message struct{ Title, Text, Detail string }

// messageTexts are the message pages'. Texts with values say which.
type messageTexts struct {
	UnknownClient    message // Text takes the client_id
	RedirectURI      message // Text takes the redirect_uri, the client_id and the registered URIs
	Expired          message // a login page older than pendingTTL
	Answered         message // a login page posted twice
	UnknownAction    message
	LoggedOut        message
	LoggedOutNotBack string  // why the browser was not sent back to the app
	NotFound         message // Text takes the path
}

// catalogues holds one catalogue per language the stand-in speaks. It is
// read-only.
var catalogues = map[string]*catalogue{
	"en": {
		Layout: layoutTexts{
			Banner:       "Development stand-in for Telenor CONNECT ID — not for production",
			TitleSuffix:  "CONNECT ID stand-in",
			Footer:       "localconnect, the sample app's local CONNECT ID",
			Home:         "Start page",
			SessionsLink: "CONNECT sessions",
		},
		Login: loginTexts{
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
			HintedUser:            "The app asked for this user with login_hint.",
			Everyone:              "Log in as someone else",
			Password:              "Password",
			PasswordExplained:     "Level 2 needs the password. Each test user's password is shown above.",
			StaySignedIn:          "Stay signed in",
			StaySignedInExplained: "Leave this unticked on a shared computer: the session then ends with the browser, and apps are told so (td_sls).",
			LogIn:                 "Log in",
			Cancel:                "Cancel",
			ChooseUserError:       "Choose a test user.",
			WrongPassword:         "Wrong password for %s. Try again.",
		},
		Sessions: sessionsTexts{
			Title: "CONNECT sessions",
			Intro: "The stand-in's live single sign-on sessions. Ending one is what a logout at CONNECT does: " +
				"its tokens are revoked and every app that got tokens in it and registered a back-channel " +
				"logout URI is sent a logout token.",
			Caption:           "Live sessions, latest authentication first",
			User:              "User",
			Authenticated:     "Authenticated",
			StaySignedIn:      "Stay signed in",
			Apps:              "Apps",
			Action:            "Action",
			Yes:               "yes",
			No:                "no",
			NoAppsYet:         "none yet",
			EndSession:        "End session",
			EndSessionOf:      " of %s",
			NoneLive:          "No live sessions. Log in through the app to start one.",
			DeliveriesHeading: "Latest back-channel logouts",
			DeliveredTo:       "to",
			DeliveredAt:       "at",
			Failed:            "failed",
			NoDeliveries:      "None sent yet.",
		},
		Root: rootTexts{
			Title: "CONNECT ID stand-in",
			Intro: "A small stand-in for Telenor CONNECT ID, so the sample app can log in with test users " +
				"before you have CONNECT credentials, and without a network. It keeps everything in memory.",
			Warning: "Anyone who can reach it can log in as its test users and end anyone's session here, so it listens " +
				"only on this machine unless LOCAL_CONNECT_LISTEN says otherwise. Never run it in production.",
			WhereTo:            "Where to go",
			App:                "The app (%s)",
			AppExplained:       "log in there; it sends you here to do so.",
			SessionsExplained:  "the live single sign-on sessions, to end one and watch back-channel logout.",
			Discovery:          "Discovery document",
			DiscoveryExplained: "every endpoint of the stand-in, as an app reads them.",
		},
		Messages: messageTexts{
			UnknownClient: message{"Unknown client", "No client is registered here with client_id %q.",
				"The stand-in never redirects to an unchecked address, so it stops here."},
			RedirectURI: message{"Redirect URI not registered",
				"redirect_uri %q is not registered for client %q, which has: %s.",
				"It must match a registered redirect URI exactly."},
			Expired: message{"Login request expired", "This login page is more than 10 minutes old, or was already answered.",
				"Start the login again from the app."},
			Answered: message{"Login request expired", "This login page was already answered.",
				"Start the login again from the app."},
			UnknownAction: message{"Unknown action", `The form's action must be "login", "everyone" or "cancel".`,
				"Start the login again from the app."},
			LoggedOut: message{"You are logged out of CONNECT (stand-in)",
				"Your CONNECT session in this browser has ended. Apps that got tokens in it were told by back-channel logout, if they registered for it.",
				"Log in again from the app."},
			LoggedOutNotBack: "You were not sent back to the app: post_logout_redirect_uri needs a valid id_token_hint " +
				"and must be registered for the client the hint was issued to.",
			NotFound: message{"Not found", "The CONNECT ID stand-in has nothing at %s.",
				"Perhaps one of these is what you are looking for."},
		},
	},
	"nb": {
		Layout: layoutTexts{
			Banner:       "Stand-in for Telenor CONNECT ID, for utvikling — ikke for produksjon",
			TitleSuffix:  "stand-in for CONNECT ID",
			Footer:       "localconnect, eksempelappens lokale CONNECT ID",
			Home:         "Startside",
			SessionsLink: "CONNECT-økter",
		},
		Login: loginTexts{
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
			HintedUser:            "Appen ba om denne brukeren med login_hint.",
			Everyone:              "Logg inn som en annen",
			Password:              "Passord",
			PasswordExplained:     "Nivå 2 krever passord. Passordet til hver testbruker står over.",
			StaySignedIn:          "Forbli innlogget",
			StaySignedInExplained: "La boksen stå tom på en delt datamaskin: økten slutter da når nettleseren lukkes, og appene får beskjed om det (td_sls).",
			LogIn:                 "Logg inn",
			Cancel:                "Avbryt",
			ChooseUserError:       "Velg en testbruker.",
			WrongPassword:         "Feil passord for %s. Prøv igjen.",
		},
		Sessions: sessionsTexts{
			Title: "CONNECT-økter",
			Intro: "Stand-in-tjenestens aktive økter for enkel pålogging (SSO). Å avslutte en er det en utlogging hos " +
				"CONNECT gjør: tokenene i den trekkes tilbake, og hver app som fikk tokener i den og har registrert " +
				"en URI for back-channel-utlogging, får et utloggingstoken.",
			Caption:           "Aktive økter, sist autentiserte først",
			User:              "Bruker",
			Authenticated:     "Autentisert",
			StaySignedIn:      "Forbli innlogget",
			Apps:              "Apper",
			Action:            "Handling",
			Yes:               "ja",
			No:                "nei",
			NoAppsYet:         "ingen ennå",
			EndSession:        "Avslutt økten",
			EndSessionOf:      " til %s",
			NoneLive:          "Ingen aktive økter. Logg inn via appen for å starte en.",
			DeliveriesHeading: "Siste back-channel-utlogginger",
			DeliveredTo:       "til",
			DeliveredAt:       "på",
			Failed:            "mislyktes",
			NoDeliveries:      "Ingen sendt ennå.",
		},
		Root: rootTexts{
			Title: "Stand-in for CONNECT ID",
			Intro: "En liten stand-in for Telenor CONNECT ID, så eksempelappen kan logge inn med testbrukere " +
				"før du har fått tilgang til CONNECT, og uten nettverk. Den holder alt i minnet.",
			Warning: "Alle som når den, kan logge inn som testbrukerne og avslutte andres økter her, så den lytter bare " +
				"på denne maskinen med mindre LOCAL_CONNECT_LISTEN sier noe annet. Kjør den aldri i produksjon.",
			WhereTo:            "Hvor vil du?",
			App:                "Appen (%s)",
			AppExplained:       "logg inn der; den sender deg hit for å gjøre det.",
			SessionsExplained:  "de aktive øktene for enkel pålogging, for å avslutte en og se back-channel-utlogging.",
			Discovery:          "Discovery-dokumentet",
			DiscoveryExplained: "alle endepunktene til stand-in-tjenesten, slik en app leser dem.",
		},
		Messages: messageTexts{
			UnknownClient: message{"Ukjent klient", "Ingen klient er registrert her med client_id %q.",
				"Stand-in-tjenesten sender aldri videre til en adresse den ikke har sjekket, så den stopper her."},
			RedirectURI: message{"Redirect URI er ikke registrert",
				"redirect_uri %q er ikke registrert for klienten %q, som har: %s.",
				"Den må være helt lik en registrert redirect URI."},
			Expired: message{"Innloggingen er utløpt", "Denne innloggingssiden er mer enn 10 minutter gammel, eller den er allerede besvart.",
				"Start innloggingen på nytt fra appen."},
			Answered: message{"Innloggingen er utløpt", "Denne innloggingssiden er allerede besvart.",
				"Start innloggingen på nytt fra appen."},
			UnknownAction: message{"Ukjent handling", `Skjemaets action må være "login", "everyone" eller "cancel".`,
				"Start innloggingen på nytt fra appen."},
			LoggedOut: message{"Du er logget ut av CONNECT (stand-in)",
				"CONNECT-økten din i denne nettleseren er avsluttet. Apper som fikk tokener i den, har fått beskjed via back-channel-utlogging hvis de har registrert seg for det.",
				"Logg inn igjen fra appen."},
			LoggedOutNotBack: "Du ble ikke sendt tilbake til appen: post_logout_redirect_uri krever et gyldig id_token_hint " +
				"og må være registrert for klienten hintet ble utstedt til.",
			NotFound: message{"Finnes ikke", "Stand-in-tjenesten for CONNECT ID har ingenting på %s.",
				"Kanskje en av disse er det du leter etter."},
		},
	},
}

// languages matches what a visitor asks for against what the stand-in
// speaks; its order is that of languageCodes, English first as the default.
// It also gives nn and no Bokmål, and da too, which Danes read well.
var (
	languageCodes = []string{"en", "nb"}
	languages     = language.NewMatcher([]language.Tag{language.English, language.MustParse("nb")})
)

// chooseLanguage returns "en" or "nb": the best match for the first of
// uiLocales (OIDC Core 3.1.2.1) the stand-in speaks, else for the
// Accept-Language header, else English. A page that belongs to no login
// passes an empty uiLocales.
func chooseLanguage(uiLocales, acceptLanguage string) string {
	var asked []language.Tag
	for _, s := range strings.Fields(uiLocales) {
		if tag, err := language.Parse(s); err == nil {
			asked = append(asked, tag)
		}
	}
	if _, i, confidence := languages.Match(asked...); confidence != language.No {
		return languageCodes[i]
	}
	asked, _, _ = language.ParseAcceptLanguage(acceptLanguage)
	_, i, _ := languages.Match(asked...)
	return languageCodes[i]
}

// texts returns the catalogue for lang, "en" or "nb".
func texts(lang string) *catalogue {
	if c, ok := catalogues[lang]; ok {
		return c
	}
	return catalogues["en"]
}
