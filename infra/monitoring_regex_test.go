package infra

import (
	"regexp"
	"strings"
	"testing"
)

// insightsParses returns the /regex/ of every parse command in a Logs Insights query.
func insightsParses(query string) []string {
	var out []string
	for _, line := range strings.Split(query, "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(line), "| ")
		if !strings.HasPrefix(line, "parse ") {
			continue
		}
		if i, j := strings.Index(line, "/"), strings.LastIndex(line, "/"); i >= 0 && j > i {
			out = append(out, line[i+1:j])
		}
	}
	return out
}

// compileInsightsRegex compiles a parse command's regex (or a railsLine-style whole command) in
// Go's syntax, which shares the named groups (?<name>) Logs Insights uses.
func compileInsightsRegex(t *testing.T, p string) *regexp.Regexp {
	t.Helper()
	if strings.HasPrefix(p, "parse ") {
		p = insightsParses(p)[0]
	}
	re, err := regexp.Compile(p)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return re
}
