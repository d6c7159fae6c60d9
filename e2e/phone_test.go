package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/chromedp/chromedp"
)

// phoneLayout is what phoneCheck finds on a page.
type phoneLayout struct {
	ScrollWidth int      `json:"scrollWidth"` // document.documentElement.scrollWidth
	InnerWidth  int      `json:"innerWidth"`  // the window's width
	Problems    []string `json:"problems"`    // each in words, naming the element
}

// phoneCheck looks for what goes wrong on a narrow screen, with every
// <details> menu open, as a person would open them: a page wider than the
// window (it scrolls sideways), a link or button (or other control) that
// sticks out of the window or is cut off by a box around it, and a short
// code word, such as openid, broken across two lines. The skip link is
// measured focused, the only way a visitor sees it. When the page is fine
// it is left as it was; otherwise the menus stay open, so the failure's
// screenshot shows what was measured.
const phoneCheck = `(() => {
	const w = window.innerWidth;
	const problems = [];
	const describe = el => {
		const words = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().replace(/\s+/g, " ");
		const href = el.getAttribute("href");
		return el.tagName.toLowerCase() + ' "' + words.slice(0, 50) + '"' + (href ? " (" + href.slice(0, 60) + ")" : "");
	};
	const closed = [...document.querySelectorAll("details:not([open])")];
	for (const d of closed) d.open = true;
	const before = document.activeElement;
	const skip = document.querySelector(".skip-link");
	if (skip) skip.focus();

	const scrollWidth = document.documentElement.scrollWidth;
	if (scrollWidth > w) problems.push("the page scrolls sideways: it is " + scrollWidth + " px wide in a " + w + " px window");
	for (const el of document.querySelectorAll("a[href], button, summary, input:not([type=hidden]), select, textarea")) {
		const r = el.getBoundingClientRect();
		if (r.width === 0 && r.height === 0) continue; // not shown
		if (r.left < -0.5 || r.right > w + 0.5) {
			problems.push(describe(el) + " spans x " + Math.round(r.left) + " to " + Math.round(r.right) + ", outside the window's 0 to " + w);
			continue;
		}
		for (let box = el.parentElement; box; box = box.parentElement) {
			if (getComputedStyle(box).overflowX === "visible") continue;
			const b = box.getBoundingClientRect();
			if (r.left < b.left - 0.5 || r.right > b.right + 0.5) {
				problems.push(describe(el) + " is cut off by its " + box.tagName.toLowerCase() + (box.className ? "." + String(box.className).trim().replace(/\s+/g, ".") : ""));
				break;
			}
		}
	}
	for (const el of document.querySelectorAll("code")) {
		const word = el.textContent.trim();
		if (word.length <= 24 && !/\s/.test(word) && el.getClientRects().length > 1) problems.push('the code word "' + word + '" breaks across lines');
	}

	if (problems.length === 0) {
		for (const d of closed) d.open = false;
		if (skip) skip.blur();
		if (before && before.focus) before.focus();
	}
	return {scrollWidth: scrollWidth, innerWidth: w, problems: problems};
})()`

// onPhone looks at the page the tab shows as it is on a phone: at 390x844
// it saves a full-page screenshot as shot+".png" (none when shot is
// empty), then runs phoneCheck. On success the tab is back at its
// desktop size; on failure it stays a phone, for the failure's
// screenshot. The error names the page and every element in the way.
func (b *browser) onPhone(ctx context.Context, shot string) error {
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(phoneWidth, phoneHeight)); err != nil {
		return fmt.Errorf("resize to a phone: %w", err)
	}
	if shot != "" {
		if err := b.screenshot(ctx, shot+".png"); err != nil {
			return fmt.Errorf("screenshot %s: %w", shot, err)
		}
	}
	location, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return fmt.Errorf("read the location: %w", err)
	}
	layout, err := chromedp.Run(ctx, chromedp.Evaluate[phoneLayout](phoneCheck))
	if err != nil {
		return fmt.Errorf("check %s on a phone: %w", location, err)
	}
	b.logf("on a %dx%d phone, %s: scrollWidth %d, innerWidth %d", phoneWidth, phoneHeight, location, layout.ScrollWidth, layout.InnerWidth)
	if layout.InnerWidth != phoneWidth {
		return fmt.Errorf("on a phone, %s: the window is %d px wide, want %d", location, layout.InnerWidth, phoneWidth)
	}
	if len(layout.Problems) > 0 {
		return errors.New("on a phone, " + location + ":\n  " + strings.Join(layout.Problems, "\n  "))
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(desktopWidth, desktopHeight)); err != nil {
		return fmt.Errorf("resize back to a desktop: %w", err)
	}
	return nil
}
