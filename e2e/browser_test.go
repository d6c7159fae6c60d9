package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// stepTimeout bounds each step of the walk: every page is local and small,
// so a step that takes longer is stuck, and the failure should say where.
const stepTimeout = 10 * time.Second

// chromePath finds Chromium: CHROME_PATH, default /usr/bin/chromium. When
// there is none, the test is skipped on a developer's machine but fails
// in CI (CI set), where a skipped browser test would hide a broken flow.
func chromePath(t *testing.T) string {
	t.Helper()
	want := os.Getenv("CHROME_PATH")
	if want == "" {
		want = "/usr/bin/chromium"
	}
	path, err := exec.LookPath(want)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("no Chromium at %q (%v): install Debian's chromium, or set CHROME_PATH to a Chrome or Chromium binary", want, err)
	if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
		t.Fatalf("%s; CI is set, so the browser test must run", msg)
	}
	t.Skip(msg)
	return ""
}

// artifactsDir is where screenshots and logs go: E2E_ARTIFACTS, relative
// to the repository root when relative (so the same command works from
// the root and from e2e/), else a new directory under the system's
// temporary directory, kept after the test for a look.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("E2E_ARTIFACTS")
	if dir == "" {
		d, err := os.MkdirTemp("", "connect-e2e-")
		if err != nil {
			t.Fatalf("artifacts dir: %v", err)
		}
		dir = d
	} else if !filepath.IsAbs(dir) {
		dir = filepath.Join(moduleRoot(t), dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts dir: %v", err)
	}
	t.Logf("screenshots and logs: %s", dir)
	return dir
}

// The two screens every page is looked at on: a laptop, and a phone held
// upright (an iPhone 12 to 15 in CSS pixels).
const (
	desktopWidth, desktopHeight = 1280, 900
	phoneWidth, phoneHeight     = 390, 844
)

// browser is one headless Chromium tab, driven through the whole walk.
type browser struct {
	ctx  context.Context                  // the tab; ends with the test's budget
	dir  string                           // where screenshots go
	logf func(format string, args ...any) // the test's log

	mu    sync.Mutex
	navs  []string // every page the tab has shown (main-frame navigations), in order
	asked []string // every page the tab has asked for, each redirect's target included
}

// startBrowser starts the Chromium at exe with a fresh profile and a
// 1280x900 window, bound to ctx, and closes it when the test ends.
func startBrowser(t *testing.T, ctx context.Context, exe, dir string) *browser {
	t.Helper()
	// Made before the cleanups below are registered, so it is removed after
	// the browser has stopped writing to it.
	profile := t.TempDir()
	chromeLog, err := os.Create(filepath.Join(dir, "chromium.log"))
	if err != nil {
		t.Fatalf("chromium log: %v", err)
	}
	t.Cleanup(func() { chromeLog.Close() })

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // containers and CI runners often cannot give Chromium its sandbox
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(desktopWidth, desktopHeight),
		chromedp.CombinedOutput(chromeLog),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		// Close the browser gracefully, but do not wait on a stuck one.
		closeCtx, cancel := context.WithTimeout(tabCtx, 5*time.Second)
		defer cancel()
		chromedp.Cancel(closeCtx)
		cancelTab()
	})

	b := &browser{ctx: tabCtx, dir: dir, logf: t.Logf}
	// The first action starts the browser; it must run on the tab's own
	// context, not a per-step one, or the step's timeout would end it.
	if err := chromedp.Do(tabCtx, chromedp.EmulateViewport(desktopWidth, desktopHeight), focusEmulation); err != nil {
		t.Fatalf("start Chromium at %s: %v (see %s)", exe, err, chromeLog.Name())
	}
	b.listen(t)
	return b
}

// focusEmulation makes the tab behave as the window in front, which a
// headless one is not: without it, an element the walk focuses does not
// match :focus, and the skip link could not be measured as a visitor sees it.
var focusEmulation = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	_, err := cdp.Call(ctx, t, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
	return err
})

// otherBrowser opens a second browser beside b: a new browser context in
// the same Chromium, with cookies of its own, as a second device would
// have. It closes when the test ends.
func (b *browser) otherBrowser(t *testing.T) *browser {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	other := &browser{ctx: ctx, dir: b.dir, logf: t.Logf}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(desktopWidth, desktopHeight), focusEmulation); err != nil {
		t.Fatalf("open a second browser: %v", err)
	}
	other.listen(t)
	return other
}

// listen records the pages the tab shows and asks for, for pagesShown and
// pagesAsked, with their query values left empty: they are written to the
// test log, and a callback's query holds an authorization code.
func (b *browser) listen(t *testing.T) {
	t.Helper()
	err := chromedp.Listen(b.ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *page.EventFrameNavigated:
			if ev.Frame.ParentID == "" {
				b.navs = append(b.navs, withoutQueryValues(ev.Frame.URL))
			}
		case *network.EventRequestWillBeSent:
			if ev.Type == network.ResourceTypeDocument {
				b.asked = append(b.asked, withoutQueryValues(ev.Request.URL))
			}
		}
	})
	if err != nil {
		t.Fatalf("listen to the tab's navigations: %v", err)
	}
}

// withoutQueryValues is rawURL with every query value left empty.
func withoutQueryValues(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.RawQuery == "" {
		return rawURL
	}
	q := u.Query()
	for name := range q {
		q[name] = []string{""}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// pagesShown returns how many pages the tab has shown so far, and the
// URLs of those shown after the first from of them.
func (b *browser) pagesShown(from int) (int, []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if from > len(b.navs) {
		from = len(b.navs)
	}
	return len(b.navs), append([]string(nil), b.navs[from:]...)
}

// pagesAsked returns how many pages the tab has asked for so far, and the
// URLs of those asked for after the first from of them, redirects included.
func (b *browser) pagesAsked(from int) (int, []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if from > len(b.asked) {
		from = len(b.asked)
	}
	return len(b.asked), append([]string(nil), b.asked[from:]...)
}

// step runs one step of the walk as a subtest with its own timeout. On
// success it saves a full-page screenshot as shot+".png", then looks at
// the same page on a phone (onPhone), saving shot+"-phone.png"; on
// failure a shot+"-failed.png" and the page's address and visible text.
// The walk stops at the first failed step, since every later one builds
// on it.
func (b *browser) step(t *testing.T, shot, name string, do func(ctx context.Context) error) {
	t.Helper()
	passed := t.Run(name, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
		defer cancel()
		if err := do(ctx); err != nil {
			b.reportFailure(t, shot, err)
			return
		}
		if err := b.screenshot(ctx, shot+".png"); err != nil {
			t.Fatalf("screenshot %s: %v", shot, err)
		}
		if err := b.onPhone(ctx, shot+"-phone"); err != nil {
			b.reportFailure(t, shot+"-phone", err)
		}
	})
	if !passed {
		t.FailNow()
	}
}

// reportFailure fails t with err, where the browser was and what it
// showed, and saves a screenshot of it.
func (b *browser) reportFailure(t *testing.T, shot string, err error) {
	t.Helper()
	// The step's context may be what ran out; look with a fresh one.
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	location, locErr := chromedp.Run(ctx, chromedp.Location())
	if locErr != nil {
		location = "unknown: " + locErr.Error()
	}
	text, textErr := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if textErr != nil {
		text = "unknown: " + textErr.Error()
	}
	failed := shot + "-failed.png"
	if shotErr := b.screenshot(ctx, failed); shotErr != nil {
		failed = "none: " + shotErr.Error()
	}
	t.Fatalf("%v\n--- page %s (screenshot %s) ---\n%s\n---", err, location, failed, text)
}

// screenshot saves the whole page, not just the window, as a PNG.
func (b *browser) screenshot(ctx context.Context, name string) error {
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(b.dir, name), png, 0o644)
}

// screenshotOf saves one element of the page, such as a section, as a
// PNG: what a reader of the docs should look at, without the page around it.
func (b *browser) screenshotOf(ctx context.Context, sel chromedp.CSS, name string) error {
	png, err := chromedp.Run(ctx, chromedp.Screenshot(sel, chromedp.NodeVisible))
	if err != nil {
		return fmt.Errorf("screenshot of %v: %w", sel, err)
	}
	return os.WriteFile(filepath.Join(b.dir, name), png, 0o644)
}

// clickButton checks that the element sel is visible and says label, as
// a person reads it before clicking, then clicks it and waits for the page
// it leads to (after any redirects) to load.
func clickButton[S chromedp.Selectable](ctx context.Context, sel S, label string) error {
	if err := seeText(ctx, sel, label); err != nil {
		return fmt.Errorf("before clicking: %w", err)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(sel, chromedp.NodeVisible))
	if err != nil {
		return fmt.Errorf("click %q: %w", label, err)
	}
	if resp.Status >= 400 {
		return fmt.Errorf("click %q: %s answered %d %s", label, resp.URL, resp.Status, resp.StatusText)
	}
	return nil
}

// seeText waits until sel is visible and checks that its visible text
// holds every one of wants.
func seeText[S chromedp.Selectable](ctx context.Context, sel S, wants ...string) error {
	text, err := visibleText(ctx, sel)
	if err != nil {
		return err
	}
	for _, want := range wants {
		if !strings.Contains(text, want) {
			return fmt.Errorf("%v shows %q, want it to contain %q", sel, text, want)
		}
	}
	return nil
}

// visibleText waits until sel is visible and returns its visible text.
func visibleText[S chromedp.Selectable](ctx context.Context, sel S) (string, error) {
	if err := chromedp.Do(ctx, chromedp.WaitVisible(sel)); err != nil {
		return "", fmt.Errorf("wait for %v to be visible: %w", sel, err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(sel, chromedp.NodeVisible))
	if err != nil {
		return "", fmt.Errorf("read %v: %w", sel, err)
	}
	return strings.TrimSpace(text), nil
}

// definition selects the <dd> of the <dt> that says term, in the pages'
// description lists ("Refreshes so far", "Session cookie", ...).
func definition(term string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//dt[normalize-space()=%q]/following-sibling::dd[1]`, term))
}

// isAt checks that the tab shows the page at want: an absolute URL whose
// query, if want has none, is not compared.
func isAt(ctx context.Context, want string) error {
	location, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return fmt.Errorf("read the location: %w", err)
	}
	got, err := url.Parse(location)
	if err != nil {
		return fmt.Errorf("parse the location %q: %w", location, err)
	}
	w, err := url.Parse(want)
	if err != nil {
		return err
	}
	if got.Scheme != w.Scheme || got.Host != w.Host || got.Path != w.Path || (w.RawQuery != "" && got.RawQuery != w.RawQuery) {
		return fmt.Errorf("the browser is at %s, want %s", location, want)
	}
	return nil
}
