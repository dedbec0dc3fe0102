package enginetest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCLIIsThePinnedVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the Pulumi CLI; skipped with -short")
	}
	root, err := CLI()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(root, "bin", "pulumi"), "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != CLIVersion {
		t.Errorf("pulumi version = %q, want %q", got, CLIVersion)
	}
	t.Logf("CLI at %s (built in this run in %v; 0 = cached)", root, CLIBuildTime)
}
