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
	// Header and HeaderOpen are how far down the page <main> starts, in
	// CSS pixels, with the app's menu closed and open; -1 on a page
	// without the app's menu (the stand-in's).
	Header     int `json:"header"`
	HeaderOpen int `json:"headerOpen"`
	// Lang and LoggedIn say which header was measured: <html lang>, and
	// whether it names a logged-in user.
	Lang     string `json:"lang"`
	LoggedIn bool   `json:"loggedIn"`
}

// maxPhoneHeader is how far down a phone's page the content may start:
// the stand-in's banner and a one-row header, no more, so the first
// screen shows the page rather than the menu.
const maxPhoneHeader = 120

// phoneCheck measures where <main> starts with the app's menu closed and
// open, then looks for what goes wrong on a narrow screen, with every
// <details> menu open, as a person would open them: a page wider than the
// window (it scrolls sideways), a link or button (or other control) that
// sticks out of the window or is cut off by a box around it, a short
// code word, such as openid, broken across two lines, and a URL (class
// url) broken anywhere but after a /, ?, & or = (or %2F, %3F, %26, %3D),
// unless the part alone fills a whole line (on the app's pages).
// The skip link is
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
	const main = document.querySelector("main");
	const menu = document.querySelector("details.site-menu");
	let header = -1, headerOpen = -1;
	if (main && menu) {
		const top = () => Math.round(main.getBoundingClientRect().top + window.scrollY);
		const was = menu.open;
		menu.open = false;
		header = top();
		menu.open = true;
		headerOpen = top();
		menu.open = was;
	}
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

	// wholeLine: a part of a URL as wide as its whole line, which may
	// break anywhere, having nowhere better to.
	const wholeLine = part => {
		let block = part.parentElement;
		while (block && getComputedStyle(block).display.startsWith("inline")) block = block.parentElement;
		if (!block) return false;
		const cs = getComputedStyle(block);
		const width = block.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
		return part.getBoundingClientRect().width >= width - 1;
	};
	// The app's URLs: the stand-in's pages (no app menu) are its own.
	for (const el of menu ? document.querySelectorAll(".url") : []) {
		// Line by line: each text node's line boxes, and only within a
		// node that spans lines, character by character.
		const text = el.textContent;
		const brokenAfter = tail => /([\/?&=]|%(2F|3F|26|3D))$/i.test(tail);
		const rectsOf = (n, from, to) => {
			const range = document.createRange();
			range.setStart(n, from);
			range.setEnd(n, to);
			return [...range.getClientRects()].filter(r => r.width > 0);
		};
		let prevBottom = null, prev = "";
		const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
		outer: for (let n = walk.nextNode(); n; n = walk.nextNode()) {
			const lines = rectsOf(n, 0, n.length);
			if (lines.length === 0) continue;
			if (prevBottom !== null && lines[0].top >= prevBottom - 2 && !brokenAfter(prev)) {
				problems.push('the URL "' + text.slice(0, 60) + '" breaks after "' + prev + '", inside a part');
				break;
			}
			if (lines.length > 1 && !wholeLine(n.parentElement)) {
				let top = null, before = prev;
				for (let i = 0; i < n.length; i++) {
					const r = rectsOf(n, i, i + 1);
					if (r.length === 0) continue;
					if (top !== null && r[0].top > top + 2 && !brokenAfter(before)) {
						problems.push('the URL "' + text.slice(0, 60) + '" breaks between "' + before + '" and "' + n.data[i] + '", inside a part');
						break outer;
					}
					top = r[0].top;
					before = (before + n.data[i]).slice(-3);
				}
			}
			prevBottom = lines[lines.length - 1].bottom;
			prev = (prev + n.data).slice(-3);
		}
	}

	if (problems.length === 0) {
		for (const d of closed) d.open = false;
		if (skip) skip.blur();
		if (before && before.focus) before.focus();
	}
	return {scrollWidth: scrollWidth, innerWidth: w, problems: problems, header: header, headerOpen: headerOpen,
		lang: document.documentElement.lang, loggedIn: document.querySelector(".account .who") !== null};
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
	b.logf("on a %dx%d phone, %s: scrollWidth %d, innerWidth %d; lang %s, logged in %v: main starts at %d px (%d px with the menu open)",
		phoneWidth, phoneHeight, location, layout.ScrollWidth, layout.InnerWidth, layout.Lang, layout.LoggedIn, layout.Header, layout.HeaderOpen)
	if layout.InnerWidth != phoneWidth {
		return fmt.Errorf("on a phone, %s: the window is %d px wide, want %d", location, layout.InnerWidth, phoneWidth)
	}
	if layout.Header > maxPhoneHeader {
		layout.Problems = append(layout.Problems, fmt.Sprintf("the content starts %d px down the page, under the header; want at most %d px", layout.Header, maxPhoneHeader))
	}
	if layout.Header >= 0 && layout.HeaderOpen <= layout.Header {
		layout.Problems = append(layout.Problems, fmt.Sprintf("with the menu open the content still starts at %d px (closed: %d px): the open menu covers it instead of pushing it down", layout.HeaderOpen, layout.Header))
	}
	if len(layout.Problems) > 0 {
		return errors.New("on a phone, " + location + ":\n  " + strings.Join(layout.Problems, "\n  "))
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(desktopWidth, desktopHeight)); err != nil {
		return fmt.Errorf("resize back to a desktop: %w", err)
	}
	return nil
}
