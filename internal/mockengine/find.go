package mockengine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// One returns the only resource of a type token. With none or several it returns an error
// that gives the count against the one wanted and names the resources found.
func (m *Recorder) One(token string) (*Resource, error) {
	rs := m.OfType(token)
	if len(rs) == 1 {
		return rs[0], nil
	}
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Name
	}
	// Registration order is not deterministic (the SDK registers from goroutines).
	slices.Sort(names)
	return nil, fmt.Errorf("%s count = %d, want 1 (found: [%s])", token, len(rs), strings.Join(names, ", "))
}

// Output returns an output as plain Go values (secrets unwrapped), or nil.
func (r *Resource) Output(key string) any {
	v, ok := r.Outputs[resource.PropertyKey(key)]
	if !ok {
		return nil
	}
	return Plain(v, false)
}
