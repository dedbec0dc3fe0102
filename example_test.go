package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/plan"
)

// exampleStack is the stack file docs/rails.md shows after "<!-- example-stack: NAME -->".
func exampleStack(t *testing.T, name string) string {
	t.Helper()
	doc, err := os.ReadFile("docs/rails.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- example-stack: " + regexp.QuoteMeta(name) + " -->\n```yaml\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatalf("docs/rails.md has no example stack %q", name)
	}
	return string(m[1])
}

// The documented example stack is run like a committed one: it plans, checks clean and builds
// what the page says.
func TestDocumentedRedisStackPlansAndChecksClean(t *testing.T) {
	file := filepath.Join(t.TempDir(), "Pulumi.example.yaml")
	if err := os.WriteFile(file, []byte(exampleStack(t, "redis")), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := plan.Main([]string{"plan", "example", "--config-file", file, "--check"}, &out, &errOut, ".", offlineProgram); code != 0 {
		t.Fatalf("plan --check of the documented stack exited %d:\n%s\n%s", code, errOut.String(), lastLines(out.String(), 20))
	}
	for _, want := range []string{"cache: valkey 8.2 cache.t4g.small × 2, Multi-AZ failover, TLS only, encrypted, AUTH token, snapshots 7 d, final snapshot",
		"ElastiCache nodes cache", "0 violation(s)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("plan output lacks %q", want)
		}
	}
	g, err := plan.Run(".", "example", file, offlineProgram)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(g.OfType(awstype.ElastiCacheReplicationGroup)); n != 1 {
		t.Errorf("%d replication groups, want 1", n)
	}
}
