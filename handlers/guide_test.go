package handlers

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestGuideSteps(t *testing.T) {
	t.Run("there are 13 steps, numbered in order", func(t *testing.T) {
		if len(guideSteps) != 13 {
			t.Fatalf("got %d steps, want 13", len(guideSteps))
		}
		for i, s := range guideSteps {
			if s.Number != i+1 {
				t.Errorf("step %d at position %d, want number %d", s.Number, i, i+1)
			}
			if s.Title == "" || s.Summary == "" || len(s.Files) == 0 {
				t.Errorf("step %d lacks a title, a summary or a file", s.Number)
			}
			if (s.Page != "" || s.StandInPage != "") && s.PageLabel == "" {
				t.Errorf("step %d has a page but no label for its link", s.Number)
			}
		}
	})
	t.Run("every file a step names exists", func(t *testing.T) {
		for _, s := range guideSteps {
			for _, f := range s.Files {
				// Tests run in the handlers directory; the names are
				// relative to the repository root.
				if _, err := os.Stat("../" + f); err != nil {
					t.Errorf("step %d names %s: %v", s.Number, f, err)
				}
			}
		}
	})
}

var stepLink = regexp.MustCompile(`<li class="guide-step" id="step-(\d+)">[\s\S]*?class="step-page" href="([^"]+)"`)

func TestGuidePage(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	b := newBrowser(t)
	wantStatus(t, "login", b.logIn(site, "/protected", true), http.StatusOK)

	r := b.get(site.app.URL + "/guide")
	wantStatus(t, "GET /guide", r, http.StatusOK)

	t.Run("shows every step with an anchor the markers link to", func(t *testing.T) {
		for _, s := range guideSteps {
			if !strings.Contains(r.body, fmt.Sprintf(`id="step-%d"`, s.Number)) {
				t.Errorf("/guide has no anchor for step %d", s.Number)
			}
			if !strings.Contains(r.body, html.EscapeString(s.Title)) {
				t.Errorf("/guide does not show the title of step %d, %q", s.Number, s.Title)
			}
		}
	})

	links := stepLink.FindAllStringSubmatch(r.body, -1)
	t.Run("links every step to a page, the stand-in's too while it runs", func(t *testing.T) {
		if len(links) != len(guideSteps) {
			t.Errorf("got %d step links, want %d", len(links), len(guideSteps))
		}
	})
	t.Run("every step link resolves", func(t *testing.T) {
		for _, link := range links {
			href := html.UnescapeString(link[2])
			if strings.HasPrefix(href, "/") {
				href = site.app.URL + href
			}
			got := b.get(href)
			switch got.status {
			case http.StatusOK, http.StatusFound, http.StatusSeeOther:
			default:
				t.Errorf("step %s: GET %s = %d, want 200, 302 or 303", link[1], href, got.status)
			}
		}
	})
}

func TestStepMarker(t *testing.T) {
	templates, err := parseTemplates()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := templates["guide.html"].ExecuteTemplate(&buf, "step", 10); err != nil {
		t.Fatal(err)
	}
	want := `<a class="step-marker" href="/guide#step-10">Step 10 of 13</a>`
	if got := buf.String(); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
