package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

var (
	mdLink  = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	heading = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
	fence   = regexp.MustCompile("^\\s*```")
)

// slug is GitHub's anchor for a heading: lower case, punctuation dropped (letters of any script kept),
// spaces as hyphens.
func slug(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anchors are the heading anchors of a markdown file, with GitHub's -1, -2 suffixes for repeats.
func anchors(text string) map[string]bool {
	out, seen := map[string]bool{}, map[string]int{}
	inFence := false
	for _, line := range strings.Split(text, "\n") {
		if fence.MatchString(line) {
			inFence = !inFence
		}
		m := heading.FindStringSubmatch(line)
		if inFence || m == nil {
			continue
		}
		s := slug(m[1])
		if n := seen[s]; n > 0 {
			out[fmt.Sprintf("%s-%d", s, n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

func TestSlugMatchesGitHub(t *testing.T) {
	for h, want := range map[string]string{
		"3. `config/environments/production.rb`":              "3-configenvironmentsproductionrb",
		"Rotating SECRET_KEY_BASE and app secrets":            "rotating-secret_key_base-and-app-secrets",
		"What prod protects, and how to remove it on purpose": "what-prod-protects-and-how-to-remove-it-on-purpose",
		"7. The health check endpoint: `/up`":                 "7-the-health-check-endpoint-up",
		"クイックスタート（新しい AWS アカウントに初めてデプロイする）":                   "クイックスタート新しい-aws-アカウントに初めてデプロイする",
	} {
		if got := slug(h); got != want {
			t.Errorf("slug(%q) = %q, want %q", h, got, want)
		}
	}
}

func TestMarkdownLinksInsideTheRepositoryResolve(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"README.md", "README.ja.md", "rails/README.md"}
	mds, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	for _, m := range mds {
		files = append(files, "docs/"+filepath.Base(m))
	}
	checked := 0
	for _, file := range files {
		text, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(text), "\n") {
			for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				path, anchor, _ := strings.Cut(target, "#")
				abs := filepath.Join(root, filepath.Dir(file), path)
				if path == "" {
					abs = filepath.Join(root, file)
				}
				if rel, err := filepath.Rel(root, abs); err != nil || strings.HasPrefix(rel, "..") {
					continue // outside the repository (the seed article's summary)
				}
				checked++
				body, err := os.ReadFile(abs)
				if err != nil {
					if _, dirErr := os.Stat(abs); dirErr != nil || anchor != "" {
						t.Errorf("%s:%d links to %s, which does not exist", file, i+1, target)
					}
					continue
				}
				if anchor != "" && strings.HasSuffix(abs, ".md") && !anchors(string(body))[anchor] {
					t.Errorf("%s:%d links to %s, but %s has no heading with anchor #%s", file, i+1, target, filepath.Base(abs), anchor)
				}
			}
		}
	}
	if checked < 20 {
		t.Errorf("checked only %d links; the link pattern is probably broken", checked)
	}
}
