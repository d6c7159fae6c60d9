package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// imageRef finds the images a Markdown file shows: <img src="..."> and
// ![alt](path).
var imageRef = regexp.MustCompile(`<img[^>]*\ssrc="([^"]+)"|!\[[^\]]*\]\(([^)\s]+)`)

// TestDocumentImagesExist checks that every image README.md and docs/*.md
// show is in the repository, so renaming or dropping a screenshot of the
// walk cannot leave a document pointing at nothing. It needs no browser.
func TestDocumentImagesExist(t *testing.T) {
	root := moduleRoot(t)
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, filepath.Join(root, "README.md"))
	shown := 0
	for _, doc := range docs {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatalf("read %s: %v", doc, err)
		}
		name, _ := filepath.Rel(root, doc)
		for _, m := range imageRef.FindAllStringSubmatch(string(text), -1) {
			src := m[1] + m[2]
			if strings.Contains(src, "://") {
				continue // on the web, not in the repository
			}
			shown++
			if _, err := os.Stat(filepath.Join(filepath.Dir(doc), filepath.FromSlash(src))); err != nil {
				t.Errorf("%s shows %s, which is not in the repository: %v", name, src, err)
			}
		}
	}
	if shown == 0 {
		t.Errorf("found no images in %d documents, want the walkthrough's screenshots", len(docs))
	}
}
