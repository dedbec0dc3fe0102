package main

import (
	"fmt"
	"io"
)

// runCLI handles subcommands; the offline plan arrives with its own issue.
func runCLI(args []string, stdout, stderr io.Writer) int {
	_ = stdout
	fmt.Fprintf(stderr, "unknown command %q\nusage: rails-infra plan <stack> (run with no arguments under the Pulumi CLI)\n", args[0])
	return 2
}
