package infra

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/internal/stackkeys"
)

// Namespace is the Pulumi config namespace of every project key.
const Namespace = "rails-infra"

var regionPattern = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d$`)

// Environment decides the per-environment defaults and the data-safety rules.
type Environment string

const (
	// EnvDev is cheap and easy to tear down, but still encrypted and private.
	EnvDev Environment = "dev"
	// EnvProd protects data: deletion protection, final snapshots, protect, versioning.
	EnvProd Environment = "prod"
)

// Config is the whole typed configuration of one stack, loaded and validated once.
type Config struct {
	Project     string
	Stack       string
	Environment Environment
	// Region is aws:region; every stack must set it so ARNs, endpoints and prices are deterministic.
	Region string

	Network  NetworkConfig
	Database DatabaseConfig
	Service  ServiceConfig
	Domain   DomainConfig
	Policy   PolicyConfig
}

// IsProd reports whether data-safety rules apply.
func (c *Config) IsProd() bool { return c.Environment == EnvProd }

// Problem is one invalid config value. Its String form names the key, the value,
// what is allowed and how to fix it.
type Problem struct {
	Key    string // fully qualified, e.g. rails-infra:vpcCidr
	Value  string // the raw value; "" when unset
	Secret bool   // never print Value
	Reason string // what is wrong and what is allowed
	Fix    string // a command or edit that fixes it
}

func (p Problem) String() string {
	v := strconv.Quote(p.Value)
	switch {
	case p.Secret:
		v = "[secret]"
	case p.Value == "":
		v = "(not set)"
	}
	s := fmt.Sprintf("%s = %s: %s", p.Key, v, p.Reason)
	if p.Fix != "" {
		s += " Fix: " + p.Fix
	}
	return s
}

// ConfigError carries every problem found, so a user fixes them all in one pass.
type ConfigError struct{ Problems []Problem }

func (e *ConfigError) Error() string {
	lines := make([]string, 0, len(e.Problems)+1)
	lines = append(lines, fmt.Sprintf("invalid configuration (%d problem(s)); nothing was created:", len(e.Problems)))
	for _, p := range e.Problems {
		lines = append(lines, "  - "+p.String())
	}
	return strings.Join(lines, "\n")
}

// Source supplies raw config values. Values are strings exactly as Pulumi passes them
// to programs: scalars as text, arrays and objects as JSON.
type Source interface {
	Get(key string) (string, bool) // key is fully qualified ("rails-infra:vpcCidr", "aws:region")
	IsSecret(key string) bool
}

// KeyLister is implemented by sources that know every key set on the stack, which
// lets Parse reject typos instead of silently using a default.
type KeyLister interface{ Keys() []string }

// MapSource is a Source over a plain map; secretKeys lists the keys set with --secret.
type MapSource struct {
	Values     map[string]string
	SecretKeys []string
}

// Get returns the raw value of a fully qualified key.
func (m MapSource) Get(key string) (string, bool) { v, ok := m.Values[key]; return v, ok }

// IsSecret reports whether key was set with --secret.
func (m MapSource) IsSecret(key string) bool { return slices.Contains(m.SecretKeys, key) }

// Keys lists every key set, sorted.
func (m MapSource) Keys() []string { return slices.Sorted(maps.Keys(m.Values)) }

type ctxSource struct{ ctx *pulumi.Context }

func (s ctxSource) Get(key string) (string, bool) { return s.ctx.GetConfig(key) }
func (s ctxSource) IsSecret(key string) bool      { return s.ctx.IsConfigSecret(key) }

// Keys comes from the offline engine's context, or from the Pulumi engine's PULUMI_CONFIG.
func (s ctxSource) Keys() []string {
	if keys, ok := stackkeys.From(s.ctx.Context()); ok {
		return keys
	}
	raw := os.Getenv("PULUMI_CONFIG")
	if raw == "" {
		return nil
	}
	var m map[string]any
	if json.Unmarshal([]byte(raw), &m) != nil {
		return nil
	}
	return MapSource{Values: toStringMap(m)}.Keys()
}

func toStringMap(m map[string]any) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// LoadConfig reads and validates the stack's config. It registers nothing, so a
// failure leaves no resource half-created.
func LoadConfig(ctx *pulumi.Context) (*Config, error) {
	return Parse(ctxSource{ctx}, ctx.Project(), ctx.Stack())
}

// Parse applies defaults, then validates every key and cross-key rule, and returns
// all problems at once as a *ConfigError.
func Parse(src Source, project, stack string) (*Config, error) {
	r := &reader{src: src, read: map[string]bool{}}
	c := &Config{Project: project, Stack: stack}
	c.Environment = Environment(r.enum("environment", string(defaultEnvironment(stack)),
		"Pick the profile that sets safe defaults: dev (cheap, easy teardown) or prod (data protected).",
		string(EnvDev), string(EnvProd)))
	if strings.HasPrefix(strings.ToLower(stack), "prod") && c.Environment != EnvProd {
		r.fail("environment", string(c.Environment),
			fmt.Sprintf("stack %q looks like production but would get dev defaults (no deletion protection, no final snapshot).", stack),
			"pulumi config set environment prod (or rename the stack)")
	}
	c.Region = r.region()

	r.network(c)
	r.database(c)
	r.service(c)
	r.domain(c)
	r.policy(c)
	r.crossChecks(c)
	r.unknownKeys()

	if len(r.problems) > 0 {
		return nil, &ConfigError{Problems: r.problems}
	}
	return c, nil
}

// KnownKeys lists every project key the program reads, unqualified and sorted. Pulumi.yaml
// must declare exactly these.
func KnownKeys() []string {
	keys := []string{}
	for k := range describe(EnvDev).read {
		if !strings.Contains(k, ":") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// Defaults returns the Go default of every key that has one, as config text, for env.
// Pulumi.yaml's declared defaults must match these.
func Defaults(env Environment) map[string]string {
	return describe(env).defaults
}

// describe runs every section reader on empty input to discover keys and defaults.
func describe(env Environment) *reader {
	r := &reader{src: MapSource{}, read: map[string]bool{}, defaults: map[string]string{}}
	c := &Config{Environment: env}
	r.enum("environment", string(env), "", string(EnvDev), string(EnvProd))
	delete(r.defaults, "environment") // derived from the stack name, not a constant
	r.network(c)
	r.database(c)
	r.service(c)
	r.domain(c)
	r.policy(c)
	return r
}

func defaultEnvironment(stack string) Environment {
	if strings.HasPrefix(strings.ToLower(stack), "prod") {
		return EnvProd
	}
	return EnvDev
}

// reader reads typed values and collects problems instead of stopping at the first.
type reader struct {
	src      Source
	read     map[string]bool
	defaults map[string]string // filled only by describe()
	problems []Problem
}

func (r *reader) noteDefault(key string, def any) {
	if r.defaults == nil {
		return
	}
	switch d := def.(type) {
	case []string:
		if d == nil {
			r.defaults[key] = ""
			return
		}
		b, _ := json.Marshal(d)
		r.defaults[key] = string(b)
	default:
		r.defaults[key] = fmt.Sprint(d)
	}
}

func qualify(key string) string { return Namespace + ":" + key }

func (r *reader) raw(key string) (string, bool) {
	r.read[key] = true
	v, ok := r.src.Get(qualify(key))
	if ok && strings.TrimSpace(v) == "" {
		return "", false
	}
	return v, ok
}

func (r *reader) fail(key, value, reason, fix string) {
	r.problems = append(r.problems, Problem{
		Key: qualify(key), Value: value, Secret: r.src.IsSecret(qualify(key)), Reason: reason, Fix: fix,
	})
}

func setFix(key, example string) string {
	return fmt.Sprintf("pulumi config set %s %s", key, example)
}

func (r *reader) region() string {
	r.read["aws:region"] = true
	v, ok := r.src.Get("aws:region")
	if !ok || v == "" {
		r.problems = append(r.problems, Problem{
			Key: "aws:region", Reason: "every stack must name its AWS region.",
			Fix: "pulumi config set aws:region ap-northeast-1",
		})
		return ""
	}
	if !regionPattern.MatchString(v) {
		r.problems = append(r.problems, Problem{
			Key: "aws:region", Value: v, Reason: "not an AWS region name (like ap-northeast-1 or us-east-1).",
			Fix: "pulumi config set aws:region ap-northeast-1",
		})
	}
	return v
}

func (r *reader) str(key, def string) string {
	if v, ok := r.raw(key); ok {
		return strings.TrimSpace(v)
	}
	r.noteDefault(key, def)
	return def
}

func (r *reader) integer(key string, def, lo, hi int, example string) int {
	v, ok := r.raw(key)
	if !ok {
		r.noteDefault(key, def)
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		r.fail(key, v, fmt.Sprintf("must be a whole number from %d to %d.", lo, hi), setFix(key, example))
		return def
	}
	if n < lo || n > hi {
		r.fail(key, v, fmt.Sprintf("must be from %d to %d.", lo, hi), setFix(key, example))
	}
	return n
}

// oneOfInt accepts only the listed values (e.g. CloudWatch retention days).
func (r *reader) oneOfInt(key string, def int, allowed []int) int {
	v, ok := r.raw(key)
	if !ok {
		r.noteDefault(key, def)
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || !slices.Contains(allowed, n) {
		r.fail(key, v, fmt.Sprintf("must be one of %s.", joinInts(allowed)), setFix(key, strconv.Itoa(def)))
		return def
	}
	return n
}

func (r *reader) boolean(key string, def bool) bool {
	v, ok := r.raw(key)
	if !ok {
		r.noteDefault(key, def)
		return def
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true
	case "false":
		return false
	}
	r.fail(key, v, "must be true or false.", setFix(key, strconv.FormatBool(def)))
	return def
}

// enum accepts exactly one of allowed (case-sensitive, as AWS and awsx are).
func (r *reader) enum(key, def, hint string, allowed ...string) string {
	v, ok := r.raw(key)
	if !ok {
		r.noteDefault(key, def)
		return def
	}
	v = strings.TrimSpace(v)
	if !slices.Contains(allowed, v) {
		reason := fmt.Sprintf("must be one of %s.", strings.Join(allowed, " | "))
		if hint != "" {
			reason += " " + hint
		}
		// Suggest the value the user most likely meant: the same word in the right case, else
		// the default (allowed[0] may be a value that is only valid with other settings).
		fix := def
		for _, a := range allowed {
			if strings.EqualFold(a, v) {
				fix = a
			}
		}
		r.fail(key, v, reason, setFix(key, fix))
		return def
	}
	return v
}

// stringList reads a YAML/JSON array of strings.
func (r *reader) stringList(key string, def []string, example string) []string {
	v, ok := r.raw(key)
	if !ok {
		r.noteDefault(key, def)
		return def
	}
	var out []string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		r.fail(key, v, "must be a list of strings.", fmt.Sprintf("pulumi config set --path '%s[0]' %s", key, example))
		return def
	}
	return out
}

// stringMap reads a YAML/JSON object of string values.
func (r *reader) stringMap(key, example string) map[string]string {
	v, ok := r.raw(key)
	if !ok {
		return map[string]string{}
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		r.fail(key, v, "must be a map of NAME: value.", fmt.Sprintf("pulumi config set --path '%s.%s'", key, example))
		return map[string]string{}
	}
	out := make(map[string]string, len(raw))
	for k, x := range raw {
		switch x := x.(type) {
		case string:
			out[k] = x
		case float64, bool:
			out[k] = fmt.Sprint(x)
		default:
			r.fail(key, v, fmt.Sprintf("entry %q must be a string, number or boolean, not a nested value.", k),
				fmt.Sprintf("pulumi config set --path '%s.%s'", key, example))
		}
	}
	return out
}

// secret reads a value that must be stored with `pulumi config set --secret`.
// The result is always wrapped as a Pulumi secret.
func (r *reader) secret(key string) Secret {
	v, ok := r.raw(key)
	if !ok {
		return Secret{}
	}
	if !r.src.IsSecret(qualify(key)) {
		r.problems = append(r.problems, Problem{
			Key: qualify(key), Secret: true,
			Reason: "is stored in plain text in the stack file; it must be a secret.",
			Fix:    fmt.Sprintf("pulumi config rm %s && pulumi config set --secret %s <value>", key, key),
		})
	}
	return Secret{Set: true, Value: pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput)}
}

// Secret is a config value that is only ever handled as a Pulumi secret.
type Secret struct {
	Set   bool
	Value pulumi.StringOutput
}

func (r *reader) unknownKeys() {
	lister, ok := r.src.(KeyLister)
	if !ok {
		return
	}
	known := map[string]bool{}
	for k := range r.read {
		known[qualify(k)] = true
	}
	for _, k := range lister.Keys() {
		if !strings.HasPrefix(k, Namespace+":") || known[k] {
			continue
		}
		short := strings.TrimPrefix(k, Namespace+":")
		reason := "is not a rails-infra setting, so it would be ignored."
		if near := closest(short, r.read); near != "" {
			reason += fmt.Sprintf(" Did you mean %q?", near)
		}
		v, _ := r.src.Get(k)
		r.problems = append(r.problems, Problem{
			Key: k, Value: v, Secret: r.src.IsSecret(k), Reason: reason,
			Fix: fmt.Sprintf("pulumi config rm %s (see Pulumi.yaml for every setting)", short),
		})
	}
}

// closest suggests a known key for a typo, by case-insensitive edit distance ≤ 3.
func closest(key string, known map[string]bool) string {
	best, bestD := "", 4
	for k := range known {
		if strings.Contains(k, ":") {
			continue
		}
		if d := editDistance(strings.ToLower(key), strings.ToLower(k)); d < bestD || (d == bestD && k < best) {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// crossChecks holds rules that span sections; section-local rules live with their section.
func (r *reader) crossChecks(c *Config) {
	if c.Network.NatGateways == NatNone && !c.Network.VpcEndpoints {
		r.fail("natGateways", string(NatNone),
			"with no NAT gateway and vpcEndpoints=false, tasks in private subnets cannot reach ECR, CloudWatch Logs or SSM and would never start.",
			"pulumi config set vpcEndpoints true (or natGateways Single)")
	}
	r.serviceCrossChecks(c)
	r.domainCrossChecks(c)
}
