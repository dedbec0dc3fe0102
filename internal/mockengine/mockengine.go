// Package mockengine runs a Pulumi program without AWS: a recording mock monitor that
// answers like the AWS provider would (ids, ARNs, DNS names, endpoints) and keeps
// every registered resource with its inputs, parent, dependencies and options.
// The unit tests and the offline `plan` command both run on it.
package mockengine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/rails-infra/rails-infra/internal/stackkeys"
)

// Resource is one registered resource as the engine would have seen it.
type Resource struct {
	URN                 string
	Type                string
	Name                string
	Parent              string // parent URN; the stack's URN for top-level resources
	Custom              bool   // false for component resources
	Remote              bool   // a multi-language component (awsx), opaque under mocks
	Protect             bool
	RetainOnDelete      bool
	DeleteBeforeReplace bool
	IgnoreChanges       []string
	DependsOn           []string            // explicit and implicit dependencies, as URNs
	PropertyDeps        map[string][]string // input name -> URNs it came from
	Provider            string
	ID                  string
	Inputs              resource.PropertyMap
	Outputs             resource.PropertyMap
}

// Input returns an input as plain Go values (secrets unwrapped), or nil.
func (r *Resource) Input(key string) any {
	v, ok := r.Inputs[resource.PropertyKey(key)]
	if !ok {
		return nil
	}
	return Plain(v, false)
}

// Invoke is one data-source call the program made.
type Invoke struct {
	Token string
	Args  resource.PropertyMap
}

// Recorder implements pulumi.MockResourceMonitor.
type Recorder struct {
	Project   string
	Stack     string
	Region    string
	AccountID string
	// HostedZones are the Route53 zones that exist in the mock account, name (no trailing dot) -> zone id.
	HostedZones map[string]string
	// AnyZoneExists answers every zone lookup as found (the offline plan cannot know).
	AnyZoneExists bool

	mu        sync.Mutex
	resources []*Resource
	invokes   []Invoke
}

// New returns a recorder for one stack in a realistic fake account.
func New(project, stack, region string) *Recorder {
	if region == "" {
		region = "ap-northeast-1"
	}
	return &Recorder{Project: project, Stack: stack, Region: region, AccountID: "123456789012", HostedZones: map[string]string{}}
}

// Resources returns every registered resource in registration order.
func (m *Recorder) Resources() []*Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Resource(nil), m.resources...)
}

// Invokes returns every data-source call in call order.
func (m *Recorder) Invokes() []Invoke {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Invoke(nil), m.invokes...)
}

// OfType returns the resources of one type token, in registration order.
func (m *Recorder) OfType(token string) []*Resource {
	var out []*Resource
	for _, r := range m.Resources() {
		if r.Type == token {
			out = append(out, r)
		}
	}
	return out
}

// Find returns the resource with this type and logical name, or nil.
func (m *Recorder) Find(token, name string) *Resource {
	for _, r := range m.Resources() {
		if r.Type == token && r.Name == name {
			return r
		}
	}
	return nil
}

// ByURN returns the resource with this URN, or nil.
func (m *Recorder) ByURN(urn string) *Resource {
	for _, r := range m.Resources() {
		if r.URN == urn {
			return r
		}
	}
	return nil
}

// NewResource records the registration and answers with realistic provider outputs.
func (m *Recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	rpc := args.RegisterRPC
	rec := &Resource{
		Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Provider: args.Provider,
		Inputs: args.Inputs.Copy(), PropertyDeps: map[string][]string{},
	}
	if rpc != nil {
		rec.Parent = rpc.GetParent()
		rec.Remote = rpc.GetRemote()
		rec.Protect = rpc.GetProtect()
		rec.RetainOnDelete = rpc.GetRetainOnDelete()
		rec.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		rec.IgnoreChanges = rpc.GetIgnoreChanges()
		rec.DependsOn = dedupe(rpc.GetDependencies())
		for k, v := range rpc.GetPropertyDependencies() {
			rec.PropertyDeps[k] = v.GetUrns()
		}
	}
	rec.URN = m.urn(rec.Parent, rec.Type, rec.Name)

	state := args.Inputs.Copy()
	id := ""
	if args.Custom || rec.Remote {
		var err error
		id, err = m.answer(rec, state)
		if err != nil {
			return "", nil, err
		}
	}
	rec.ID = id
	rec.Outputs = state

	m.mu.Lock()
	m.resources = append(m.resources, rec)
	m.mu.Unlock()
	return id, state, nil
}

// Call answers the data sources the program uses and fails loudly on any other.
func (m *Recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.invokes = append(m.invokes, Invoke{Token: args.Token, Args: args.Args.Copy()})
	m.mu.Unlock()
	out, err := m.invoke(args.Token, args.Args)
	if err != nil {
		return nil, err
	}
	return resource.NewPropertyMapFromMap(out), nil
}

// urn mirrors the mock monitor's URN scheme so recorded parents and dependencies match.
func (m *Recorder) urn(parent, typ, name string) string {
	parentType := ""
	if parent != "" {
		if u := resource.URN(parent); u.QualifiedType() != resource.RootStackType {
			parentType = string(u.QualifiedType())
		}
	}
	qualified := typ
	if parentType != "" {
		qualified = parentType + "$" + typ
	}
	return fmt.Sprintf("urn:pulumi:%s::%s::%s::%s", m.Stack, m.Project, qualified, name)
}

// hexID derives a stable pseudo-random id from a seed, so outputs repeat run to run.
func hexID(seed string, n int) string {
	sum := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(sum[:])[:n]
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

// Export is what a program's outputs resolved to under mocks.
type Export struct {
	Value  any // plain JSON-able value
	Secret bool
	Known  bool
}

// Result is one recorded run.
type Result struct {
	*Recorder
	Exports map[string]Export
}

// ExportFunc is how the program hands stack outputs to its caller.
type ExportFunc func(name string, value pulumi.Input)

// Options configures a run.
type Options struct {
	Project    string
	Stack      string
	Config     map[string]string // fully qualified keys, values as Pulumi passes them
	SecretKeys []string
	// Setup adjusts the recorder before the program runs (e.g. which hosted zones exist).
	Setup func(*Recorder)
}

// Run executes program on the recording engine and resolves its exports.
func Run(opts Options, program func(ctx *pulumi.Context, export ExportFunc) error) (*Result, error) {
	rec := New(opts.Project, opts.Stack, opts.Config["aws:region"])
	if opts.Setup != nil {
		opts.Setup(rec)
	}
	res := &Result{Recorder: rec, Exports: map[string]Export{}}
	var mu sync.Mutex
	outputs := map[string]pulumi.Output{}

	keys := make([]string, 0, len(opts.Config))
	for k := range opts.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pctx, err := pulumi.NewContext(stackkeys.With(context.Background(), keys), pulumi.RunInfo{
		Project: opts.Project, Stack: opts.Stack, Config: opts.Config, ConfigSecretKeys: opts.SecretKeys, Mocks: rec,
	})
	if err != nil {
		return res, err
	}
	defer pctx.Close() //nolint:errcheck // closing the mock engine cannot fail meaningfully
	err = pulumi.RunWithContext(pctx, func(ctx *pulumi.Context) error {
		return program(ctx, func(name string, value pulumi.Input) {
			ctx.Export(name, value)
			mu.Lock()
			outputs[name] = pulumi.ToOutput(value)
			mu.Unlock()
		})
	})
	if err != nil {
		return res, err
	}
	for name, o := range outputs {
		r, err := internals.UnsafeAwaitOutput(context.Background(), o)
		if err != nil {
			return res, fmt.Errorf("output %s: %w", name, err)
		}
		res.Exports[name] = Export{Value: plainGo(r.Value), Secret: r.Secret, Known: r.Known}
	}
	return res, nil
}

// plainGo turns resolved Go output values (which may hold typed slices and maps) into
// plain JSON-like values via the property model.
func plainGo(v any) any {
	if v == nil {
		return nil
	}
	return Plain(resource.NewPropertyValue(v), false)
}

// Plain converts a property value to plain Go data. With redact, secrets become "[secret]".
func Plain(v resource.PropertyValue, redact bool) any {
	switch {
	case v.IsSecret():
		if redact {
			return "[secret]"
		}
		return Plain(v.SecretValue().Element, redact)
	case v.IsComputed(), v.IsOutput() && !v.OutputValue().Known:
		return "[unknown]"
	case v.IsOutput():
		if v.OutputValue().Secret && redact {
			return "[secret]"
		}
		return Plain(v.OutputValue().Element, redact)
	case v.IsNull():
		return nil
	case v.IsBool():
		return v.BoolValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsString():
		return v.StringValue()
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, x := range arr {
			out[i] = Plain(x, redact)
		}
		return out
	case v.IsObject():
		return PlainMap(v.ObjectValue(), redact)
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	case v.IsAsset(), v.IsArchive():
		return "[asset]"
	}
	return nil
}

// PlainMap converts a property map to plain Go data.
func PlainMap(m resource.PropertyMap, redact bool) map[string]any {
	out := make(map[string]any, len(m))
	for k, x := range m {
		out[string(k)] = Plain(x, redact)
	}
	return out
}

// ContainsSecret reports whether any value inside v is marked secret.
func ContainsSecret(v resource.PropertyValue) bool {
	switch {
	case v.IsSecret():
		return true
	case v.IsOutput():
		return v.OutputValue().Secret || ContainsSecret(v.OutputValue().Element)
	case v.IsArray():
		for _, x := range v.ArrayValue() {
			if ContainsSecret(x) {
				return true
			}
		}
	case v.IsObject():
		for _, x := range v.ObjectValue() {
			if ContainsSecret(x) {
				return true
			}
		}
	}
	return false
}

// trimDot drops a trailing dot from a DNS name.
func trimDot(s string) string { return strings.TrimSuffix(s, ".") }
