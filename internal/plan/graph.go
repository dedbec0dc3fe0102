// Package plan is the offline `plan` command: it runs the exact program `pulumi up` runs on the
// recording mock engine and shows what it would build — tree, JSON, diagram, rollout time,
// monthly cost and policy checks — without AWS credentials, network or the Pulumi CLI.
//
// Everything here works generically over the recorded resource graph (type tokens and inputs),
// so a component that lands later shows up in every format without changes here.
package plan

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/rails-infra/rails-infra/internal/mockengine"
)

// Type tokens the plan knows about besides the AWS ones (package awstype). A type that is
// absent from a stack is simply skipped.
const (
	tVpc            = "awsx:ec2:Vpc"
	componentPrefix = "rails-infra:infra:"
	stackType       = "pulumi:pulumi:Stack"
	secretMarker    = "[secret]"
	unknownMarker   = "[unknown]"
	hoursPerMonth   = 730.0
	bytesPerGiB     = 1024.0
	cpuUnitsPerVCPU = 1024.0
)

// Resource is one recorded resource, in the shape the plan works on.
type Resource struct {
	URN       string
	Type      string
	Name      string
	Parent    string // parent URN; "" or the stack's URN at the top
	Custom    bool
	Protect   bool
	DependsOn []string
	// PropertyDeps maps an input name to the URNs its value came from (how the plan links a
	// service to its target group, a rule to its security group, ...).
	PropertyDeps map[string][]string
	// Inputs are plain JSON values with every secret replaced by "[secret]": the only form printed.
	Inputs map[string]any
	// raw holds the unredacted inputs for rules and estimates; they never print values from it.
	// nil means Inputs (graphs built by hand in tests hold no secrets).
	raw map[string]any
	// secretInputs are the input names whose value is or contains a secret.
	secretInputs map[string]bool
	// WithFirstImage marks what `pulumi up` creates only once an image is configured (the ECS
	// service and what hangs off it); set when the stack has no image yet (Graph.ImagePending).
	WithFirstImage bool
}

// Graph is one stack's recorded program run.
type Graph struct {
	Project     string
	Stack       string
	Region      string
	Environment string // "dev" | "prod"
	Resources   []*Resource
	Outputs     map[string]any // redacted
	// Placeholders are config keys whose encrypted values the plan could not decrypt.
	Placeholders []string
	// Waivers are policyWaivers from the stack config: rule id -> reason.
	Waivers map[string]string
	// ImagePending: the stack has no image yet, so the graph is the stack as its first image
	// deploy makes it, and Resource.WithFirstImage marks what `pulumi up` creates only then.
	// Estimates thus price and time the service the stack will run, not an empty one.
	ImagePending bool

	byURN map[string]*Resource
}

// FromResult converts a recorded run into a Graph, redacting secrets.
func FromResult(res *mockengine.Result) *Graph {
	g := &Graph{Project: res.Project, Stack: res.Stack, Region: res.Region, Outputs: map[string]any{}}
	for _, r := range res.Resources() {
		if r.Type == stackType {
			continue
		}
		pr := &Resource{
			URN: r.URN, Type: r.Type, Name: r.Name, Parent: r.Parent, Custom: r.Custom, Protect: r.Protect,
			DependsOn: append([]string{}, r.DependsOn...), PropertyDeps: r.PropertyDeps,
			Inputs: mockengine.PlainMap(r.Inputs, true), raw: mockengine.PlainMap(r.Inputs, false),
			secretInputs: map[string]bool{},
		}
		for k, v := range r.Inputs {
			if mockengine.ContainsSecret(v) {
				pr.secretInputs[string(k)] = true
			}
		}
		g.Resources = append(g.Resources, pr)
	}
	for name, e := range res.Exports {
		v := e.Value
		if e.Secret || (v != nil && mockengine.ContainsSecret(resource.NewPropertyValue(v))) {
			v = secretMarker
		}
		g.Outputs[name] = v
	}
	g.Resources = stableOrder(g.Resources)
	g.index()
	return g
}

// stableOrder puts resources in a deterministic registration order. The Go SDK registers each
// resource from its own goroutine once its inputs resolve, so the order the engine sees varies
// from run to run. This is one order the engine could have seen — parents and dependencies
// before dependents — with ties broken by URN, so JSON and diagrams are identical every run.
func stableOrder(rs []*Resource) []*Resource {
	byURN := make(map[string]*Resource, len(rs))
	for _, r := range rs {
		byURN[r.URN] = r
	}
	indeg := make(map[string]int, len(rs))
	next := map[string][]string{}
	edge := func(from, to string) {
		if _, ok := byURN[from]; !ok || from == to {
			return
		}
		next[from] = append(next[from], to)
		indeg[to]++
	}
	for _, r := range rs {
		seen := map[string]bool{}
		deps := append([]string{r.Parent}, r.DependsOn...)
		for _, k := range slices.Sorted(maps.Keys(r.PropertyDeps)) {
			deps = append(deps, r.PropertyDeps[k]...)
		}
		for _, d := range deps {
			if !seen[d] {
				seen[d] = true
				edge(d, r.URN)
			}
		}
	}
	var ready []string
	for _, r := range rs {
		if indeg[r.URN] == 0 {
			ready = append(ready, r.URN)
		}
	}
	out := make([]*Resource, 0, len(rs))
	for len(ready) > 0 {
		sort.Strings(ready)
		u := ready[0]
		ready = ready[1:]
		out = append(out, byURN[u])
		for _, v := range next[u] {
			if indeg[v]--; indeg[v] == 0 {
				ready = append(ready, v)
			}
		}
	}
	if len(out) != len(rs) { // a cycle cannot happen in a Pulumi graph; keep everything anyway
		placed := map[string]bool{}
		for _, r := range out {
			placed[r.URN] = true
		}
		var rest []*Resource
		for _, r := range rs {
			if !placed[r.URN] {
				rest = append(rest, r)
			}
		}
		sort.Slice(rest, func(i, j int) bool { return rest[i].URN < rest[j].URN })
		out = append(out, rest...)
	}
	return out
}

func (g *Graph) index() {
	g.byURN = make(map[string]*Resource, len(g.Resources))
	for _, r := range g.Resources {
		g.byURN[r.URN] = r
	}
}

// ByURN returns the resource with this URN, or nil.
func (g *Graph) ByURN(urn string) *Resource {
	if g.byURN == nil || len(g.byURN) != len(g.Resources) {
		g.index()
	}
	return g.byURN[urn]
}

// OfType returns the resources of one type, in registration order.
func (g *Graph) OfType(types ...string) []*Resource {
	var out []*Resource
	for _, r := range g.Resources {
		for _, t := range types {
			if r.Type == t {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// IsProd reports whether prod data-safety rules apply.
func (g *Graph) IsProd() bool { return g.Environment == "prod" }

// Component is the rails-infra component the resource belongs to ("Network", "Database", ...),
// or "" for resources outside any component.
func (g *Graph) Component(r *Resource) string {
	name := ""
	for cur, depth := r, 0; cur != nil && depth < 64; cur, depth = g.ByURN(cur.Parent), depth+1 {
		if strings.HasPrefix(cur.Type, componentPrefix) {
			name = strings.TrimPrefix(cur.Type, componentPrefix)
		}
	}
	return name
}

// linked returns the resources of type typ that input key of r was built from; when the graph
// carries no property dependencies (hand-built graphs), every resource of that type.
func (g *Graph) linked(r *Resource, key, typ string) []*Resource {
	if deps, ok := r.PropertyDeps[key]; ok {
		var out []*Resource
		for _, u := range deps {
			if d := g.ByURN(u); d != nil && d.Type == typ {
				out = append(out, d)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return g.OfType(typ)
}

// in returns the unredacted input at path (object keys; list indexes as numbers in text).
func (r *Resource) in(path ...string) any {
	src := r.raw
	if src == nil {
		src = r.Inputs
	}
	var cur any = src
	for _, p := range path {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

// shown returns the redacted input at path: the only form that may be printed.
func (r *Resource) shown(path ...string) any {
	cp := *r
	cp.raw = r.Inputs
	return cp.in(path...)
}

// isSecret reports whether input key holds a secret.
func (r *Resource) isSecret(key string) bool {
	return r.secretInputs[key] || r.Inputs[key] == secretMarker
}

// str is a printable string input ("" if absent, unknown or secret).
func (r *Resource) str(path ...string) string {
	switch v := r.shown(path...).(type) {
	case string:
		if v == unknownMarker || v == secretMarker {
			return ""
		}
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// num reads a number input that may also arrive as a string ("512", "30").
func (r *Resource) num(path ...string) (float64, bool) { return toNum(r.in(path...)) }

func toNum(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return f, err == nil
	}
	return 0, false
}

// flag reads a boolean input; ok is false when it is absent (the AWS default applies).
func (r *Resource) flag(path ...string) (val, ok bool) {
	switch v := r.in(path...).(type) {
	case bool:
		return v, true
	case string:
		b, err := strconv.ParseBool(v)
		return b, err == nil
	}
	return false, false
}

func (r *Resource) list(path ...string) []any {
	l, _ := r.in(path...).([]any)
	return l
}

// jsonDoc parses an input that holds a JSON document (IAM policies, container definitions).
func (r *Resource) jsonDoc(key string) any {
	s, ok := r.in(key).(string)
	if !ok {
		return nil
	}
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return nil
	}
	return v
}

// shortType renders a type token as "rds Instance", "awsx ec2 Vpc" or "Network" (component).
func shortType(token string) string {
	if c, ok := strings.CutPrefix(token, componentPrefix); ok {
		return c
	}
	parts := strings.Split(token, ":")
	if len(parts) != 3 {
		return token
	}
	mod, _, _ := strings.Cut(parts[1], "/")
	if parts[0] == "aws" {
		return mod + " " + parts[2]
	}
	return parts[0] + " " + mod + " " + parts[2]
}

func parseJSON(s string) any {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return nil
	}
	return v
}
