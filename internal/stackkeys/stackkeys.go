// Package stackkeys carries the list of config keys set on a stack through a Go context.
// The Pulumi engine passes them in PULUMI_CONFIG; the offline engine passes them here,
// so both runs can reject misspelled keys.
package stackkeys

import "context"

type ctxKey struct{}

// With returns a context that carries keys.
func With(ctx context.Context, keys []string) context.Context {
	return context.WithValue(ctx, ctxKey{}, keys)
}

// From returns the keys carried by ctx, if any.
func From(ctx context.Context) ([]string, bool) {
	keys, ok := ctx.Value(ctxKey{}).([]string)
	return keys, ok
}
