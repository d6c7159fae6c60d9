package e2e

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/telenordigital/connect-web-sample/localconnect"
)

// portWalkBudget bounds the walk after a port change, from starting the
// app to the last page; building the app is not counted.
const portWalkBudget = 45 * time.Second

// TestLoginAfterAPortChange moves the app to another port with APP_LISTEN
// alone, as a developer whose 8081 is taken would, and logs in through the
// stand-in in Chromium. APP_BASE_URL is not set: the start-up line, the
// redirect URI CONNECT is sent and the page the browser lands on must all
// follow APP_LISTEN, or the login breaks at the callback.
//
// The stand-in gets a free port of its own through LOCAL_CONNECT_URL, as
// its default 8082 may be taken on a machine that runs other tests: it is
// not what this test moves.
func TestLoginAfterAPortChange(t *testing.T) {
	chrome := chromePath(t) // first: a skip should cost nothing
	dir := filepath.Join(artifactsDir(t), "port-change")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := buildApp(t)
	ctx, cancel := context.WithTimeout(t.Context(), portWalkBudget)
	defer cancel()

	ports := freePortsOnEveryInterface(t, 2)
	appPort, standInPort := ports[0], ports[1]
	app := &runningApp{
		baseURL:    "http://localhost:" + appPort,
		standInURL: "http://localhost:" + standInPort,
		logPath:    filepath.Join(dir, "app.log"),
	}
	runApp(t, ctx, bin, app,
		"APP_LISTEN=:"+appPort, // every interface, as the default :8081 does
		"LOCAL_CONNECT_URL="+app.standInURL,
	)
	b := startBrowser(t, ctx, chrome, dir)
	kari := localconnect.DefaultUsers()[0]

	// step runs one part of the walk with its own timeout, and stops the
	// walk at the first failure, with a screenshot of where it stood.
	step := func(name string, do func(ctx context.Context) error) {
		t.Helper()
		passed := t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
			defer cancel()
			if err := do(ctx); err != nil {
				b.reportFailure(t, strings.ReplaceAll(name, " ", "-"), err)
			}
		})
		if !passed {
			t.FailNow()
		}
	}

	step("the start-up line names APP_LISTEN's port", func(ctx context.Context) error {
		// Printed right after the app starts listening, so perhaps a moment
		// after /readyz first answered.
		want := "open " + app.baseURL + "\n"
		for {
			log, err := os.ReadFile(app.logPath)
			if err != nil {
				return err
			}
			if strings.Contains(string(log), want) {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("the app printed no line %q; its output:\n%s", want, tail(app.logPath, 20))
			case <-time.After(50 * time.Millisecond):
			}
		}
	})

	step("the protected page sends the browser to the stand-in with a redirect URI on the new port", func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.Navigate(app.baseURL+"/protected")); err != nil {
			return err
		}
		if err := isAt(ctx, app.standInURL+"/oauth/authorize"); err != nil {
			return err
		}
		location, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			return err
		}
		u, err := url.Parse(location)
		if err != nil {
			return err
		}
		if got, want := u.Query().Get("redirect_uri"), app.baseURL+"/connect/oauth2callback"; got != want {
			return fmt.Errorf("the app asked CONNECT for redirect_uri=%s, want %s", got, want)
		}
		return nil
	})

	step("logging in on the stand-in lands on the protected page", func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#user-`+kari.Sub), chromedp.NodeVisible)); err != nil {
			return fmt.Errorf("choose %s: %w", kari.Name, err)
		}
		if err := clickButton(ctx, standInLogin, "Log in"); err != nil {
			return err
		}
		if err := isAt(ctx, app.baseURL+"/protected"); err != nil {
			return err
		}
		return seeText(ctx, chromedp.CSS(`.account .who`), kari.Name)
	})
}

// freePortsOnEveryInterface returns n different ports nobody listens on
// right now on any interface, where the app listens with APP_LISTEN=:PORT.
func freePortsOnEveryInterface(t *testing.T, n int) []string {
	t.Helper()
	var ports []string
	for range n {
		ln, err := net.Listen("tcp", ":0")
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		// Held open until all are chosen, so the ports differ.
		defer ln.Close()
		ports = append(ports, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	return ports
}
