package main

import (
	"testing"

	"github.com/rails-infra/rails-infra/internal/mockengine"
)

// one returns the only resource of a type, failing with the count and the names found if
// there is not exactly one.
func one(t testing.TB, res *mockengine.Result, token string) *mockengine.Resource {
	t.Helper()
	r, err := res.One(token)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
