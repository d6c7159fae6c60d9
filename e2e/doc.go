// Package e2e holds the browser test: Debian's Chromium, driven by chromedp,
// clicks through the whole sample as a person would, against the real
// program and its local CONNECT stand-in, in English and in Norwegian, with
// a second browser for the sessions page, and saves a screenshot of each
// step, on a laptop and on a phone, where it also checks the layout. The
// package has no code of its own; see walkthrough_test.go. docs_test.go
// checks that the documents show only screenshots that exist.
package e2e
