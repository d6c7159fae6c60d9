// The browser test: a real, headless Chromium clicks through the whole
// sample and saves a screenshot of every step, on a laptop (1280x900) and
// on a phone (390x844), where it also checks that nothing sticks out of
// the screen (phone_test.go).
//
// Run it from the repository root:
//
//	go test -race -count=1 ./e2e/ -v
//
// It needs Chromium (CHROME_PATH, default /usr/bin/chromium; without one
// the test is skipped, or fails when CI is set). Sessions go to the Redis
// in REDIS_URL, else to redis://127.0.0.1:6379/15 if it answers, else to
// memory; REDIS_URL= (set and empty) forces memory. Screenshots, app.log
// and chromium.log go to E2E_ARTIFACTS (relative to the repository root),
// default a new directory under the system's temp directory; the test
// logs where.
//
// The screenshots in docs/screenshots, used by docs/walkthrough.md, are
// made by this test. To regenerate them, from the repository root, with
// nothing else on ports 8081 and 8082 (so the pages show the default URLs):
//
//	E2E_ARTIFACTS=docs/screenshots E2E_PORTS=8081,8082 go test ./e2e -run TestBrowserWalkthrough -count=1
//
// Without E2E_PORTS the test takes two free ports.

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/telenordigital/connect-web-sample/localconnect"
)

// walkBudget bounds the whole walk, from starting the app to the last
// screenshot; building the app is not counted, as a cold build cache can
// take longer than the walk itself.
const walkBudget = 90 * time.Second

// Elements the walk uses, named for what a person sees.
const (
	loginButton      = chromedp.CSS(`a.button-connect`)                                          // home: "Log in with CONNECT"
	homeButton       = chromedp.CSS(`main a.button[href="/"]`)                                   // logged-out page: "Back to the home page"
	appOnlyLogout    = chromedp.CSS(`.logout-choices form:first-child button`)                   // "Log out of this app"
	everywhereLogout = chromedp.CSS(`.logout-choices form:has(input[name="everywhere"]) button`) // "Log out everywhere"
	refreshButton    = chromedp.CSS(`form[action="/refresh"] button`)
	pageHeading      = chromedp.CSS(`main h1`)
	flash            = chromedp.CSS(`p.flash`)

	standInHeading = chromedp.CSS(`main h1`)
	standInBanner  = chromedp.CSS(`header.banner`)
	standInLevel   = chromedp.Search(`//p[contains(., "Level of assurance:")]`)
	staySignedIn   = chromedp.CSS(`#stay-signed-in`)
	passwordField  = chromedp.CSS(`#password`)
	standInLogin   = chromedp.CSS(`button[name="action"][value="login"]`)
	loginTrace     = chromedp.CSS(`#login-trace`)
)

// TestBrowserWalkthrough logs in, looks at every page, refreshes, steps
// up, and logs out both ways, as a person would, in one browser tab; then
// steps up as the second test user, ends that user's session in a second
// browser from the first, and reads the main pages and CONNECT's login
// page in Norwegian. Every page is also looked at on a phone.
func TestBrowserWalkthrough(t *testing.T) {
	chrome := chromePath(t) // first: a skip should cost nothing
	dir := artifactsDir(t)
	bin := buildApp(t)
	started := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), walkBudget)
	defer cancel()
	app := startApp(t, ctx, bin, dir)
	b := startBrowser(t, ctx, chrome, dir)
	t.Cleanup(func() { t.Logf("walk took %s", time.Since(started).Round(time.Millisecond)) })

	// The first two test users, as the stand-in lists them.
	kari, ola := localconnect.DefaultUsers()[0], localconnect.DefaultUsers()[1]
	at := func(path string) string { return app.baseURL + path }

	// chooseUser picks user on the stand-in's login page and leaves "Stay
	// signed in" unticked, like a person on a shared computer.
	chooseUser := func(ctx context.Context, user localconnect.User) error {
		radio := chromedp.CSS(`#user-` + user.Sub)
		if err := seeText(ctx, chromedp.CSS(`label[for="user-`+user.Sub+`"]`), user.Name, user.Email, user.Password); err != nil {
			return err
		}
		if err := chromedp.Do(ctx, chromedp.Click(radio, chromedp.NodeVisible)); err != nil {
			return fmt.Errorf("choose %s: %w", user.Name, err)
		}
		if checked, err := chromedp.Run(ctx, chromedp.JavascriptAttribute[bool](radio, "checked")); err != nil || !checked {
			return fmt.Errorf("%s chosen = %v (%v), want true", user.Name, checked, err)
		}
		stay, err := chromedp.Run(ctx, chromedp.JavascriptAttribute[bool](staySignedIn, "checked"))
		if err != nil {
			return fmt.Errorf("read Stay signed in: %w", err)
		}
		if stay {
			if err := chromedp.Do(ctx, chromedp.Click(staySignedIn, chromedp.NodeVisible)); err != nil {
				return fmt.Errorf("untick Stay signed in: %w", err)
			}
		}
		if stay, err = chromedp.Run(ctx, chromedp.JavascriptAttribute[bool](staySignedIn, "checked")); err != nil || stay {
			return fmt.Errorf("Stay signed in ticked = %v (%v), want false", stay, err)
		}
		return nil
	}

	// onStandInLogin checks that the stand-in's login page is shown, asking
	// for the password or not.
	onStandInLogin := func(ctx context.Context, wantPassword bool) error {
		if err := isAt(ctx, app.standInURL+"/oauth/authorize"); err != nil {
			return err
		}
		if err := seeText(ctx, standInBanner, "Development stand-in"); err != nil {
			return err
		}
		if err := seeText(ctx, standInHeading, "Log in with CONNECT ID"); err != nil {
			return err
		}
		level := "1, mobile phone"
		if wantPassword {
			level = "2, mobile phone and password"
		}
		if err := seeText(ctx, standInLevel, level); err != nil {
			return err
		}
		asks, err := chromedp.Run(ctx, chromedp.Nodes(passwordField, chromedp.AtLeast(0)))
		if err != nil {
			return fmt.Errorf("look for the password field: %w", err)
		}
		if got := len(asks) > 0; got != wantPassword {
			return fmt.Errorf("the login page asks for a password: %v, want %v", got, wantPassword)
		}
		return nil
	}

	// typePassword checks that the stand-in's step-up page offers user
	// alone, the one the app named in login_hint, and types the password
	// the page shows for them.
	typePassword := func(ctx context.Context, user localconnect.User) error {
		offered, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(`input[name="user"]`), chromedp.AtLeast(0)))
		if err != nil {
			return fmt.Errorf("find the users offered: %w", err)
		}
		if len(offered) != 1 || offered[0].AttributeValue("value") != user.Sub {
			var subs []string
			for _, n := range offered {
				subs = append(subs, n.AttributeValue("value"))
			}
			return fmt.Errorf("the stand-in offers users %q, want only %s (%s), named by login_hint", subs, user.Name, user.Sub)
		}
		if err := seeText(ctx, chromedp.CSS(`fieldset.users .hint`), "login_hint"); err != nil {
			return err
		}
		if err := chooseUser(ctx, user); err != nil {
			return err
		}
		// The password as the page shows it to the tester, next to the user.
		shown, err := visibleText(ctx, chromedp.CSS(`label[for="user-`+user.Sub+`"] code`))
		if err != nil {
			return err
		}
		if shown != user.Password {
			return fmt.Errorf("the page shows %s's password as %q, want %q", user.Name, shown, user.Password)
		}
		return chromedp.Do(ctx, chromedp.SendKeys(passwordField, shown, chromedp.NodeVisible))
	}

	// logIn logs user in on the stand-in's login page, which asks for no
	// password, and checks where the browser lands.
	logIn := func(ctx context.Context, user localconnect.User, wantPath string) error {
		if err := onStandInLogin(ctx, false); err != nil {
			return err
		}
		if err := chooseUser(ctx, user); err != nil {
			return err
		}
		if err := clickButton(ctx, standInLogin, "Log in"); err != nil {
			return err
		}
		return isAt(ctx, at(wantPath))
	}

	b.step(t, "01-home", "step 5: the home page offers to log in with CONNECT", func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.Navigate(at("/"))); err != nil {
			return err
		}
		if err := seeText(ctx, pageHeading, "Log in with Telenor CONNECT ID"); err != nil {
			return err
		}
		return seeText(ctx, loginButton, "Log in with CONNECT")
	})

	b.step(t, "02-standin-login", "step 5: Log in with CONNECT leads to the stand-in's login page", func(ctx context.Context) error {
		if err := clickButton(ctx, loginButton, "Log in with CONNECT"); err != nil {
			return err
		}
		if err := onStandInLogin(ctx, false); err != nil {
			return err
		}
		return chooseUser(ctx, kari)
	})

	b.step(t, "03-protected", "steps 7, 9 and 11: logging in returns to the protected page with the user's name", func(ctx context.Context) error {
		if err := clickButton(ctx, standInLogin, "Log in"); err != nil {
			return err
		}
		if err := isAt(ctx, at("/protected")); err != nil {
			return err
		}
		if err := seeText(ctx, pageHeading, "Protected page"); err != nil {
			return err
		}
		if err := seeText(ctx, definition("Name"), kari.Name); err != nil {
			return err
		}
		if err := seeText(ctx, definition("Short-lived session (td_sls)"), "you did not ask to stay signed in, so this session ends when the browser closes"); err != nil {
			return err
		}
		return seeText(ctx, chromedp.CSS(`.account .who`), kari.Name)
	})

	b.step(t, "03-back-after-login", "step 7: Back right after logging in lands logged in, with no error page", func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.NavigateBack()); err != nil {
			return err
		}
		// Whatever the browser reloads on its way back (the stand-in's
		// page, which answers at once with the used state, or the callback
		// itself), the app sends a logged-in browser on to the page.
		if err := isAt(ctx, at("/protected")); err != nil {
			return err
		}
		if err := seeText(ctx, pageHeading, "Protected page"); err != nil {
			return err
		}
		return seeText(ctx, chromedp.CSS(`.account .who`), kari.Name)
	})

	b.step(t, "04-profile", "steps 10 and 6: the profile shows name, e-mail and phone number from userinfo, and the scopes", func(ctx context.Context) error {
		if err := clickButton(ctx, chromedp.CSS(`nav a[href="/profile"]`), "Profile"); err != nil {
			return err
		}
		if err := seeText(ctx, pageHeading, "Your profile at CONNECT"); err != nil {
			return err
		}
		for term, want := range map[string]string{
			"Name":         kari.Name,
			"E-mail":       kari.Email,
			"Phone number": "+47 912 34 567", // kari.PhoneNumber, grouped as Norwegians write it
		} {
			if err := seeText(ctx, definition(term), want); err != nil {
				return err
			}
		}
		// Step 6's home: the scopes granted, and the claims they brought.
		return seeText(ctx, chromedp.CSS(`#scope-email`), "email", "yes", "email_verified")
	})

	b.step(t, "05-session", "steps 9 and 11: the session page says the cookie ends with the browser", func(ctx context.Context) error {
		if err := clickButton(ctx, chromedp.CSS(`nav a[href="/session"]`), "Tokens"); err != nil {
			return err
		}
		if err := seeText(ctx, pageHeading, "What this app holds for you"); err != nil {
			return err
		}
		if err := seeText(ctx, definition("Session cookie"), "ends when the browser closes"); err != nil {
			return err
		}
		if err := seeText(ctx, definition("Refreshes so far"), "0"); err != nil {
			return err
		}
		// What the page says, the browser must have been told: a cookie
		// without Expires or Max-Age.
		cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{app.baseURL}})
		if err != nil {
			return fmt.Errorf("read the cookies: %w", err)
		}
		for _, c := range cookies.Cookies {
			if c.Name == "session" {
				if !c.Session {
					return fmt.Errorf("the session cookie expires at %v, want a browser-session cookie", time.Unix(int64(c.Expires), 0))
				}
				return nil
			}
		}
		return errors.New("the browser holds no session cookie for the app")
	})

	b.step(t, "05-login-trace", "steps 5 to 11: the session page shows the login step by step, nothing secret in it", func(ctx context.Context) error {
		if err := seeText(ctx, loginTrace, "Your login, step by step", "Authorization request", "state: random, 43 characters",
			"Callback", "Token request", "grant_type=authorization_code", "ID token checks", "nonce: the one sent", "No refresh yet"); err != nil {
			return err
		}
		return b.screenshotOf(ctx, loginTrace, "05-login-trace-section.png")
	})

	b.step(t, "06-session-refreshed", "step 10: Refresh now gets new tokens", func(ctx context.Context) error {
		if err := clickButton(ctx, refreshButton, "Refresh now"); err != nil {
			return err
		}
		if err := isAt(ctx, at("/session")); err != nil {
			return err
		}
		if err := seeText(ctx, flash, "Tokens refreshed"); err != nil {
			return err
		}
		text, err := visibleText(ctx, definition("Refreshes so far"))
		if err != nil {
			return err
		}
		if !strings.HasPrefix(text, "1,") {
			return fmt.Errorf("Refreshes so far shows %q, want 1 and the time", text)
		}
		return nil
	})

	b.step(t, "06-login-trace-refreshed", "step 10: after Refresh now, the login's steps show the refresh too", func(ctx context.Context) error {
		if err := seeText(ctx, loginTrace, "grant_type=authorization_code", "The latest refresh", "grant_type=refresh_token",
			"iss, sub and aud: the same as the session's"); err != nil {
			return err
		}
		return b.screenshotOf(ctx, loginTrace, "06-login-trace-refreshed-section.png")
	})

	// A step-up, for whoever is logged in: the sensitive page first says
	// in the app what it protects and why CONNECT will ask for a
	// password...
	seeStepUpIntro := func(ctx context.Context) error {
		if err := clickButton(ctx, chromedp.CSS(`nav a[href="/stepup"]`), "Extra security"); err != nil {
			return err
		}
		if err := isAt(ctx, at("/stepup")); err != nil {
			return err
		}
		if err := seeText(ctx, pageHeading, "Extra security"); err != nil {
			return err
		}
		if err := seeText(ctx, chromedp.CSS(`#stepup-why-title`), "Why CONNECT asks for your password"); err != nil {
			return err
		}
		return seeText(ctx, definition("Level of assurance (acr)"), "1")
	}
	// ...its Continue to CONNECT sends them there, and CONNECT asks that
	// user alone for a password...
	askStepUpPassword := func(ctx context.Context, user localconnect.User) error {
		if err := clickButton(ctx, chromedp.CSS(`main a[href="/stepup?continue=1"]`), "Continue to CONNECT"); err != nil {
			return err
		}
		if err := onStandInLogin(ctx, true); err != nil {
			return err
		}
		return typePassword(ctx, user)
	}
	// ...and with it the sensitive page opens, at level 2, for that user.
	seeSteppedUp := func(ctx context.Context, user localconnect.User) error {
		if err := clickButton(ctx, standInLogin, "Log in"); err != nil {
			return err
		}
		if err := isAt(ctx, at("/stepup")); err != nil {
			return err
		}
		if err := seeText(ctx, pageHeading, "Extra security"); err != nil {
			return err
		}
		if err := seeText(ctx, definition("Level of assurance (acr)"), "2"); err != nil {
			return err
		}
		return seeText(ctx, chromedp.CSS(`.account .who`), user.Name)
	}

	b.step(t, "07-stepup-intro", "step 11, beyond the guide: the sensitive page says in the app why CONNECT will ask for a password", func(ctx context.Context) error {
		return seeStepUpIntro(ctx)
	})

	b.step(t, "07-stepup-password", "step 11, beyond the guide: Continue to CONNECT sends the user to CONNECT for a password", func(ctx context.Context) error {
		return askStepUpPassword(ctx, kari)
	})

	b.step(t, "08-stepup", "step 11, beyond the guide: with the password the sensitive page opens at level 2", func(ctx context.Context) error {
		return seeSteppedUp(ctx, kari)
	})

	b.step(t, "09-logged-out-app", "step 12: Log out of this app ends the app's session only", func(ctx context.Context) error {
		if err := clickButton(ctx, appOnlyLogout, "Log out of this app"); err != nil {
			return err
		}
		if err := seeText(ctx, pageHeading, "You are logged out of this app"); err != nil {
			return err
		}
		return seeText(ctx, chromedp.CSS(`.account`), "Log in")
	})

	b.step(t, "10-sso-login", "step 12: logging in again goes through CONNECT's session without a login page", func(ctx context.Context) error {
		if err := clickButton(ctx, homeButton, "Back to the home page"); err != nil {
			return err
		}
		before, _ := b.pagesShown(0)
		if err := clickButton(ctx, loginButton, "Log in with CONNECT"); err != nil {
			return err
		}
		if err := isAt(ctx, at("/protected")); err != nil {
			return err
		}
		_, shown := b.pagesShown(before)
		for _, u := range shown {
			if strings.HasPrefix(u, app.standInURL) {
				return fmt.Errorf("the browser showed the stand-in's page %s, want single sign-on without a login page (pages: %q)", u, shown)
			}
		}
		if err := seeText(ctx, definition("Name"), kari.Name); err != nil {
			return err
		}
		return seeText(ctx, definition("How you authenticated (amr)"), "SSO")
	})

	b.step(t, "11-logged-out-everywhere", "step 12: Log out everywhere ends the CONNECT session too", func(ctx context.Context) error {
		if err := clickButton(ctx, everywhereLogout, "Log out everywhere"); err != nil {
			return err
		}
		if err := isAt(ctx, at("/connect/logoutcallback")); err != nil {
			return err
		}
		return seeText(ctx, pageHeading, "You are logged out of the app and of CONNECT")
	})

	b.step(t, "12-login-asks-again", "step 12: after logging out everywhere CONNECT asks for credentials again", func(ctx context.Context) error {
		if err := clickButton(ctx, homeButton, "Back to the home page"); err != nil {
			return err
		}
		if err := clickButton(ctx, loginButton, "Log in with CONNECT"); err != nil {
			return err
		}
		return onStandInLogin(ctx, false)
	})

	b.step(t, "13-setup", "steps 1 to 4: the setup page lists what to register, the URIs and the cURL commands", func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.Navigate(at("/setup"))); err != nil {
			return err
		}
		if err := seeText(ctx, pageHeading, "Register your client with Telenor"); err != nil {
			return err
		}
		if err := seeText(ctx, definition("Redirect URI"), at("/connect/oauth2callback")); err != nil {
			return err
		}
		// The page starts with its sections; the commands are folded away
		// for a first reading, and open with a click.
		if err := seeText(ctx, chromedp.CSS(`.page-contents`), "On this page", "The cURL commands"); err != nil {
			return err
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#curl details.fold > summary`), chromedp.NodeVisible)); err != nil {
			return fmt.Errorf("open the commands: %w", err)
		}
		return seeText(ctx, chromedp.CSS(`#curl-exchange`), "curl", "grant_type=authorization_code")
	})

	b.step(t, "13-setup-check", "steps 1 to 4: the registration check on /setup asks the stand-in and finds nothing to fix", func(ctx context.Context) error {
		if err := clickButton(ctx, chromedp.CSS(`#check button`), "Run the registration check"); err != nil {
			return err
		}
		if err := seeText(ctx, chromedp.CSS(`#check-summary`), "Nothing to fix"); err != nil {
			return err
		}
		return seeText(ctx, chromedp.CSS(`#check .check-lines`), "The redirect URI "+at("/connect/oauth2callback")+" is registered")
	})

	b.step(t, "14-guide", "step 13: the guide lists CONNECT's 13 steps in CONNECT's order", func(ctx context.Context) error {
		if err := clickButton(ctx, chromedp.CSS(`nav a[href="/guide"]`), "Guide"); err != nil {
			return err
		}
		if err := seeText(ctx, pageHeading, "The integration guide, step by step"); err != nil {
			return err
		}
		steps, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(`li.guide-step`), chromedp.NodeVisible))
		if err != nil {
			return fmt.Errorf("find the guide's steps: %w", err)
		}
		if len(steps) != 13 {
			return fmt.Errorf("the guide shows %d steps, want 13", len(steps))
		}
		// CONNECT's first and last steps, where CONNECT puts them.
		if err := seeText(ctx, chromedp.CSS(`#step-1 h2`), "Register the client"); err != nil {
			return err
		}
		return seeText(ctx, chromedp.CSS(`#step-13 h2`), "Example code")
	})
	b.step(t, "15-not-found", "any page: an address that leads nowhere gets a plain page, not a stack trace", func(ctx context.Context) error {
		resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(at("/no/such/page")))
		if err != nil {
			return err
		}
		if resp.Status != http.StatusNotFound {
			return fmt.Errorf("GET /no/such/page = %d, want %d", resp.Status, http.StatusNotFound)
		}
		if err := seeText(ctx, pageHeading, "Page not found"); err != nil {
			return err
		}
		return seeText(ctx, homeButton, "Back to the home page")
	})

	b.step(t, "16-second-user", "steps 5 to 11 for anyone: the second test user logs in", func(ctx context.Context) error {
		if err := clickButton(ctx, chromedp.CSS(`.account a.button`), "Log in"); err != nil {
			return err
		}
		if err := logIn(ctx, ola, "/protected"); err != nil {
			return err
		}
		if err := seeText(ctx, definition("Name"), ola.Name); err != nil {
			return err
		}
		return seeText(ctx, chromedp.CSS(`.account .who`), ola.Name)
	})

	b.step(t, "17-stepup-second-user-password", "step 11 for anyone: the stand-in asks the second user, and only them, for a password", func(ctx context.Context) error {
		if err := seeStepUpIntro(ctx); err != nil {
			return err
		}
		return askStepUpPassword(ctx, ola)
	})

	b.step(t, "18-stepup-second-user", "step 11 for anyone: with the second user's password the sensitive page opens", func(ctx context.Context) error {
		return seeSteppedUp(ctx, ola)
	})

	// A second device: a browser with cookies of its own, so neither the
	// app's session nor CONNECT's is shared with the first.
	other := b.otherBrowser(t)
	inOther := func(ctx context.Context, do func(ctx context.Context) error) error {
		otherCtx, cancel := context.WithTimeout(other.ctx, stepTimeout)
		defer cancel()
		context.AfterFunc(ctx, cancel)
		if err := do(otherCtx); err != nil {
			return fmt.Errorf("in the second browser: %w", err)
		}
		return nil
	}

	b.step(t, "19-sessions", "sessions and devices: the sessions page lists both browsers, and marks this one", func(ctx context.Context) error {
		err := inOther(ctx, func(ctx context.Context) error {
			if err := chromedp.Do(ctx, chromedp.Navigate(at("/sessions"))); err != nil {
				return err
			}
			// No CONNECT session in this browser yet: the stand-in asks.
			return logIn(ctx, ola, "/sessions")
		})
		if err != nil {
			return err
		}
		if err := clickButton(ctx, chromedp.CSS(`nav a[href="/sessions"]`), "Your devices"); err != nil {
			return err
		}
		if err := seeText(ctx, pageHeading, "Where you are logged in"); err != nil {
			return err
		}
		cards, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(`.session-card`), chromedp.NodeVisible))
		if err != nil {
			return fmt.Errorf("find the sessions: %w", err)
		}
		if len(cards) != 2 {
			return fmt.Errorf("the sessions page lists %d sessions, want 2 (this browser and the other)", len(cards))
		}
		if err := seeText(ctx, chromedp.CSS(`.session-current .badge`), "this browser"); err != nil {
			return err
		}
		// This browser stepped up; the other logged in with a phone only.
		if err := seeText(ctx, sessionFact(true, "Level of assurance"), "level 2"); err != nil {
			return err
		}
		if err := seeText(ctx, sessionFact(false, "Level of assurance"), "level 1"); err != nil {
			return err
		}
		return seeText(ctx, chromedp.CSS(`.session-card:not(.session-current) button`), "End this session")
	})

	b.step(t, "20-session-ended", "sessions and devices: ending the other browser's session logs it out there", func(ctx context.Context) error {
		// auth_time is in whole seconds: the end must come in a later
		// second than the other browser's login for the app to tell that
		// login is from before the end.
		time.Sleep(1100 * time.Millisecond)
		if err := clickButton(ctx, chromedp.CSS(`.session-card:not(.session-current) button`), "End this session"); err != nil {
			return err
		}
		if err := isAt(ctx, at("/sessions")); err != nil {
			return err
		}
		if err := seeText(ctx, flash, "That session has ended"); err != nil {
			return err
		}
		cards, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(`.session-card`), chromedp.NodeVisible))
		if err != nil {
			return fmt.Errorf("find the sessions: %w", err)
		}
		if len(cards) != 1 {
			return fmt.Errorf("the sessions page lists %d sessions after ending the other, want 1", len(cards))
		}
		if err := seeText(ctx, chromedp.CSS(`.session-card.session-current`), "this browser"); err != nil {
			return err
		}
		return inOther(ctx, func(ctx context.Context) error {
			before, _ := other.pagesAsked(0)
			if err := chromedp.Do(ctx, chromedp.Navigate(at("/sessions"))); err != nil {
				return err
			}
			_, asked := other.pagesAsked(before)
			// The app no longer knows this browser: /sessions sends it to log
			// in. Its CONNECT session is its own and still alive, so CONNECT
			// answers at once, without a page. But this device's session was
			// ended here: the app sends it back once for a fresh login, with
			// a password (prompt=login, max_age=0, level 2).
			if len(asked) < 5 || asked[0] != at("/sessions") || !strings.HasPrefix(asked[1], at("/login?")) ||
				!strings.HasPrefix(asked[3], at("/connect/oauth2callback?")) || !strings.Contains(asked[4], "prompt=") || !strings.Contains(asked[4], "max_age=") {
				return fmt.Errorf("the next page view asked for %q, want /sessions, /login, CONNECT's silent answer, then CONNECT again with prompt and max_age", asked)
			}
			b.logf("the other browser's next page view: %q", asked)
			if err := onStandInLogin(ctx, true); err != nil {
				return err
			}
			if err := chooseUser(ctx, ola); err != nil {
				return err
			}
			if err := chromedp.Do(ctx, chromedp.SendKeys(passwordField, ola.Password, chromedp.NodeVisible)); err != nil {
				return err
			}
			if err := clickButton(ctx, standInLogin, "Log in"); err != nil {
				return err
			}
			return isAt(ctx, at("/sessions"))
		})
	})

	b.step(t, "21-standin-sessions", "sessions and devices: the stand-in lists a CONNECT session for each browser", func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.Navigate(app.standInURL+"/oauth/sessions")); err != nil {
			return err
		}
		if err := seeText(ctx, standInHeading, "CONNECT sessions"); err != nil {
			return err
		}
		rows, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.Search(`//tbody/tr[contains(., `+fmt.Sprintf("%q", ola.Name)+`)]`), chromedp.AtLeast(0)))
		if err != nil {
			return fmt.Errorf("find %s's sessions: %w", ola.Name, err)
		}
		if len(rows) != 2 {
			return fmt.Errorf("the stand-in lists %d CONNECT sessions of %s, want 2, one per browser", len(rows), ola.Name)
		}
		return nil
	})

	b.step(t, "22-norwegian", "in Norwegian: the language switcher turns every page into Bokmål", func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.Navigate(at("/session"))); err != nil {
			return err
		}
		if err := clickButton(ctx, chromedp.CSS(`.languages a[hreflang="nb"]`), "Norsk"); err != nil {
			return err
		}
		// The switcher brings the reader back to the page they were on.
		if err := isAt(ctx, at("/session")); err != nil {
			return err
		}
		for _, p := range []struct{ path, heading string }{
			{"/session", "Dette tar appen vare på for deg"},
			{"/", "Logg inn med Telenor CONNECT ID"},
			{"/profile", "Profilen din hos CONNECT"},
			{"/stepup", "Ekstra sikkerhet"},
			{"/sessions", "Hvor du er logget inn"},
			{"/guide", "Veiledningen, steg for steg"},
			{"/setup", "Registrer klienten din hos Telenor"},
			{"/protected", "Beskyttet side"},
		} {
			if p.path != "/session" {
				if err := chromedp.Do(ctx, chromedp.Navigate(at(p.path))); err != nil {
					return err
				}
			}
			if err := inNorwegian(ctx, pageHeading, p.heading); err != nil {
				return fmt.Errorf("%s: %w", p.path, err)
			}
			if err := b.onPhone(ctx, ""); err != nil {
				return err
			}
		}
		return seeText(ctx, definition("Navn"), ola.Name)
	})

	b.step(t, "23-standin-login-norwegian", "in Norwegian: CONNECT's login page speaks Norwegian too, asked with ui_locales", func(ctx context.Context) error {
		if err := clickButton(ctx, everywhereLogout, "Logg ut overalt"); err != nil {
			return err
		}
		if err := inNorwegian(ctx, pageHeading, "Du er logget ut av appen og av CONNECT"); err != nil {
			return err
		}
		if err := b.onPhone(ctx, ""); err != nil {
			return err
		}
		if err := clickButton(ctx, homeButton, "Tilbake til forsiden"); err != nil {
			return err
		}
		if err := clickButton(ctx, loginButton, "Logg inn med CONNECT"); err != nil {
			return err
		}
		if err := isAt(ctx, app.standInURL+"/oauth/authorize"); err != nil {
			return err
		}
		location, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			return err
		}
		if u, err := url.Parse(location); err != nil || u.Query().Get("ui_locales") != "nb" {
			return fmt.Errorf("the app sent the browser to %s, want ui_locales=nb", location)
		}
		return inNorwegian(ctx, standInHeading, "Logg inn med CONNECT ID")
	})

	b.step(t, "24-standin-pages", "on a phone, in Norwegian: the stand-in's other pages, the ones a mistyped address or registration leads to, keep the language the app asked for", func(ctx context.Context) error {
		badRedirect := url.Values{"client_id": {"sample-web"}, "response_type": {"code"}, "scope": {"openid"},
			"redirect_uri": {"https://partner.example/a/rather/long/path/that/is/not/registered/anywhere?with=query"}}
		for _, p := range []struct{ path, heading string }{
			{"/", "Stand-in for CONNECT ID"},
			{"/oauth/sessions", "CONNECT-økter"},
			{"/oauth/a/path/that/does/not/exist/and/is/long/enough/to/need/wrapping", "Finnes ikke"},
			{"/oauth/authorize?client_id=nobody-with-a-long-client-id-that-goes-on-and-on", "Ukjent klient"},
			{"/oauth/authorize?" + badRedirect.Encode(), "Redirect URI er ikke registrert"},
		} {
			if err := chromedp.Do(ctx, chromedp.Navigate(app.standInURL+p.path)); err != nil {
				return err
			}
			if err := inNorwegian(ctx, standInHeading, p.heading); err != nil {
				return fmt.Errorf("%s: %w", p.path, err)
			}
			if err := b.onPhone(ctx, ""); err != nil {
				return err
			}
		}
		// The stand-in's own language switch, no script: back to English.
		if err := chromedp.Do(ctx, chromedp.Navigate(app.standInURL+"/")); err != nil {
			return err
		}
		if err := clickButton(ctx, chromedp.CSS(`.languages a[hreflang="en"]`), "English"); err != nil {
			return err
		}
		return seeText(ctx, standInHeading, "CONNECT ID stand-in")
	})
}

// sessionFact selects the <dd> of the <dt> that says term on the sessions
// page, in the card of this browser's session or of the other one.
func sessionFact(current bool, term string) chromedp.Search {
	card := `not(contains(@class, "session-current"))`
	if current {
		card = `contains(@class, "session-current")`
	}
	return chromedp.Search(fmt.Sprintf(`//li[contains(@class, "session-card") and %s]//dt[normalize-space()=%q]/following-sibling::dd[1]`, card, term))
}

// inNorwegian checks that the page says it is in Norwegian Bokmål (<html
// lang="nb">) and that its heading sel says heading.
func inNorwegian(ctx context.Context, sel chromedp.CSS, heading string) error {
	lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	if err != nil {
		return fmt.Errorf("read the page's language: %w", err)
	}
	if lang != "nb" {
		return fmt.Errorf("the page's language is %q, want nb", lang)
	}
	return seeText(ctx, sel, heading)
}
