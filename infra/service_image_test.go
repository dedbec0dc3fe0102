package infra

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeApp writes files (relative path -> content) into a fresh directory and returns it.
func writeApp(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSourceTag(t *testing.T) {
	base := map[string]string{
		"Dockerfile":    "FROM ruby",
		"Gemfile":       "gem 'rails'",
		"app/models.rb": "class A; end",
		"log/.keep":     "",
		".dockerignore": "/log/*\n!/log/.keep\n/.git/\n*.pem\n",
	}
	tagOf := func(t *testing.T, change func(dir string), args map[string]string) string {
		t.Helper()
		dir := writeApp(t, base)
		if change != nil {
			change(dir)
		}
		tag, err := sourceTag(dir, filepath.Join(dir, "Dockerfile"), "linux/amd64", args)
		if err != nil {
			t.Fatal(err)
		}
		return tag
	}
	write := func(name, content string) func(string) {
		return func(dir string) {
			p := filepath.Join(dir, filepath.FromSlash(name))
			_ = os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	args := map[string]string{"RAILS_ENV": "production"}
	same := tagOf(t, nil, args)
	if !imageTagPattern.MatchString(same) || len(same) != len(SourceTagPrefix)+16 {
		t.Fatalf("tag %q is not a valid image tag of %s + 16 hex", same, SourceTagPrefix)
	}
	for _, tc := range []struct {
		name   string
		change func(string)
		args   map[string]string
		differ bool
	}{
		{"the same sources in another directory give the same tag", nil, args, false},
		{"a changed source file gives a new tag", write("app/models.rb", "class B; end"), args, true},
		{"a new source file gives a new tag", write("config/routes.rb", "x"), args, true},
		{"a changed Dockerfile gives a new tag", write("Dockerfile", "FROM ruby:3.3"), args, true},
		{"a changed build arg gives a new tag", nil, map[string]string{"RAILS_ENV": "staging"}, true},
		{"a file made executable gives a new tag", func(dir string) { _ = os.Chmod(filepath.Join(dir, "Gemfile"), 0o755) }, args, true},
		{"a log file the .dockerignore excludes keeps the tag", write("log/production.log", "GET /"), args, false},
		{"a .git directory the .dockerignore excludes keeps the tag", write(".git/HEAD", "ref: main"), args, false},
		{"a root key file *.pem excludes keeps the tag", write("server.pem", "KEY"), args, false},
		{"a nested .pem, which docker sends (a root pattern), gives a new tag", write("config/server.pem", "KEY"), args, true},
		{"a file a ! rule brings back gives a new tag", write("log/.keep", "x"), args, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tagOf(t, tc.change, tc.args)
			if (got != same) != tc.differ {
				t.Errorf("tag = %s, base %s; want different: %v", got, same, tc.differ)
			}
		})
	}
	t.Run("a missing build context is an error naming appBuildContext", func(t *testing.T) {
		_, err := sourceTag(filepath.Join(t.TempDir(), "none"), "Dockerfile", "linux/amd64", nil)
		if err == nil || !strings.Contains(err.Error(), "appBuildContext") {
			t.Errorf("err = %v, want one naming appBuildContext", err)
		}
	})
}
