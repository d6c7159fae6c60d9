// Package e2e holds the browser test: Debian's Chromium, driven by chromedp,
// clicks through the whole sample as a person would, against the real
// program and its local CONNECT stand-in, and saves a screenshot of each
// step. The package has no code of its own; see walkthrough_test.go.
package e2e
