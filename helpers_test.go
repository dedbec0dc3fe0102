package main

import (
	"testing"

	"github.com/rails-infra/rails-infra/internal/mockengine"
	"github.com/rails-infra/rails-infra/internal/testkit"
)

// one is testkit.One, named short for the many call sites.
func one(t testing.TB, res *mockengine.Result, token string) *mockengine.Resource {
	t.Helper()
	return testkit.One(t, res, token)
}

// exportString is testkit.ExportString.
func exportString(t testing.TB, res *mockengine.Result, name string) string {
	t.Helper()
	return testkit.ExportString(t, res, name)
}
