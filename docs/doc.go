// Package docs holds the documentation and a test that keeps it honest: every config key and stack
// output the docs and scripts name must exist in Pulumi.yaml and in main.go's exports.
package docs
