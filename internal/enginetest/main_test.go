package enginetest

import (
	"flag"
	"fmt"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	flag.Parse()
	if err := PrebuildForTests("TestCLI"); err != nil {
		fmt.Fprintln(os.Stderr, "building the Pulumi CLI for the engine tests:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
