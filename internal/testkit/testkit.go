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
