// Package testkit holds the test helpers shared by more than one package's tests: one place for
// each, so a helper is extended rather than copied.
package testkit

import (
	"testing"

	"github.com/rails-infra/rails-infra/internal/mockengine"
)

// One returns the only resource of a type, failing with the count and the names found if
// there is not exactly one.
func One(t testing.TB, res *mockengine.Result, token string) *mockengine.Resource {
	t.Helper()
	r, err := res.One(token)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// ExportString is a stack output of a run, failing if the program did not export it; a value
// that is not a string reads as "".
func ExportString(t testing.TB, res *mockengine.Result, name string) string {
	t.Helper()
	e, ok := res.Exports[name]
	if !ok {
		t.Fatalf("output %s missing", name)
	}
	s, _ := e.Value.(string)
	return s
}
