package main

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/rails-infra/rails-infra/internal/enginetest"
)

// TestMain builds the Pulumi CLI for the engine harness before the tests start, outside go
// test's timeout (a fresh machine's first build takes minutes).
func TestMain(m *testing.M) {
	flag.Parse()
	if err := enginetest.PrebuildForTests("TestEngine", "BenchmarkEngine"); err != nil {
		fmt.Fprintln(os.Stderr, "building the Pulumi CLI for the engine harness:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
