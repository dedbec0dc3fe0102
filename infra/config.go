package infra

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/internal/stackkeys"
)

// Namespace is the Pulumi config namespace of every project key.
const Namespace = "rails-infra"

var regionPattern = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d$`)

// Config is the whole typed configuration of one stack: the components' own Args, read from
// the stack's config and validated by the components' own rules, before anything is registered.
//
// A config key maps to one Args field, tagged `config:"key"`, of the same name and polarity
// (database keys drop their "db" prefix inside DatabaseArgs). This file only parses the form of
// each value (a number, a boolean, a list, a secret) and names problems by key.
type Config struct {
	Project     string
	Stack       string
	Environment Environment
	// Region is aws:region; every stack has one (Pulumi.yaml gives a project value), so ARNs,
	// endpoints and prices are deterministic.
	Region string

	Network    NetworkArgs
	Database   DatabaseArgs
	Cache      CacheArgs
	Service    AppServiceArgs
	Domain     DomainArgs
	Monitoring MonitoringArgs
	Policy     PolicyArgs
}

// IsProd reports whether data-safety rules apply.
func (c *Config) IsProd() bool { return c.Environment == EnvProd }

// Profile is the stack's dev/prod profile.
func (c *Config) Profile() Profile { return ProfileOf(c.Environment) }

// section is one component's Args inside Config.
type section struct {
	name string // for Go-side names: "NetworkArgs"
	args any    // pointer to the Args struct
	// problems runs the component's own rules on the defaulted args.
	problems func() []FieldProblem
	// defaults fills every unset field, as NewX does.
	defaults func()
}

func (c *Config) sections() []section {
	return []section{
		{"NetworkArgs", &c.Network, c.Network.problems, c.Network.defaults},
		{"DatabaseArgs", &c.Database, c.Database.problems, c.Database.defaults},
		{"CacheArgs", &c.Cache, c.Cache.problems, c.Cache.defaults},
		{"AppServiceArgs", &c.Service, c.Service.problems, c.Service.defaults},
		{"DomainArgs", &c.Domain, c.Domain.problems, c.Domain.defaults},
		{"MonitoringArgs", &c.Monitoring, c.Monitoring.problems, c.Monitoring.defaults},
		{"PolicyArgs", &c.Policy, c.Policy.problems, c.Policy.defaults},
	}
}

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
	return slices.Sorted(maps.Keys(m))
}

// LoadConfig reads and validates the stack's config. It registers nothing, so a
// failure leaves no resource half-created.
func LoadConfig(ctx *pulumi.Context) (*Config, error) {
	return Parse(ctxSource{ctx}, ctx.Project(), ctx.Stack())
}

// Parse reads every key into its Args field, fills the defaults the components would, runs the
// components' rules, and returns all problems at once as a *ConfigError.
func Parse(src Source, project, stack string) (*Config, error) {
	r := &reader{src: src, read: map[string]bool{}}
	c := &Config{Project: project, Stack: stack}
	c.Environment = r.environment(stack)
	c.Region = r.region()
	c.Network.Environment = c.Environment
	c.Database.Environment = c.Environment
	c.Cache.Environment = c.Environment
	c.Service.Environment = c.Environment
	c.Monitoring.Environment = c.Environment
	// The region the alarm topic must be in; main.go replaces Account with the looked-up one.
	c.Monitoring.Account.Region = c.Region
	for _, s := range c.sections() {
		r.section(s)
	}
	r.crossChecks(c)
	r.unknownKeys()
	if len(r.problems) > 0 {
		return nil, &ConfigError{Problems: r.problems}
	}
	return c, nil
}

// crossChecks holds the rules about which components a stack has.
func (r *reader) crossChecks(c *Config) {
	if c.Profile().RequireDomain && !c.Domain.Enabled() {
		r.fail("domainName", "",
			"prod must serve HTTPS on its own domain (a certificate, the 443 listener and login all hang on it); only dev may run on plain HTTP at the ALB's DNS name.",
			setFix("domainName", "app.example.com")+" && "+setFix("hostedZoneName", "example.com"))
	}
	if c.Cache.Enabled() {
		if field, reason := cacheEnvConflict(c.Service.AppEnv, c.Service.AppSecrets); field != "" {
			key := keyOf(reflect.TypeOf(c.Service), field)
			r.fail(key, RedisURLEnv, reason, fmt.Sprintf("pulumi config rm --path '%s.%s' (or pulumi config set redis false to use your own Redis)", key, RedisURLEnv))
		}
	}
}

// KnownKeys lists every project key the program reads, unqualified and sorted. Pulumi.yaml
// declares or lists exactly these.
func KnownKeys() []string {
	keys := []string{"environment"}
	var c Config
	for _, s := range c.sections() {
		for _, f := range fieldsOf(reflect.TypeOf(s.args).Elem(), "") {
			keys = append(keys, f.key)
		}
	}
	slices.Sort(keys)
	return keys
}

// Defaults returns, for env, the default of every key whose Args field has one when unset, as
// config text. Pulumi.yaml's declared defaults must match these.
func Defaults(env Environment) map[string]string {
	c := Config{Environment: env}
	c.Network.Environment = env
	c.Database.Environment = env
	c.Cache.Environment = env
	c.Service.Environment = env
	c.Monitoring.Environment = env
	out := map[string]string{}
	var r *reader
	for _, s := range c.sections() {
		v := reflect.ValueOf(s.args).Elem()
		fields := fieldsOf(v.Type(), "")
		for _, f := range fields {
			r.fieldValue(v, f) // allocates groups: their defaults apply once one of their keys is set
		}
		s.defaults()
		for _, f := range fields {
			if text, ok := defaultText(r.fieldValue(v, f)); ok {
				out[f.key] = text
			}
		}
	}
	return out
}

func defaultText(v reflect.Value) (string, bool) {
	switch v.Kind() {
	case reflect.String:
		return v.String(), v.String() != ""
	case reflect.Int:
		return strconv.Itoa(int(v.Int())), true
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), true
	case reflect.Pointer:
		if v.IsNil() || v.Elem().Kind() == reflect.Struct {
			return "", false
		}
		return defaultText(v.Elem())
	case reflect.Slice:
		if v.Len() == 0 {
			return "", false
		}
		b, _ := json.Marshal(v.Interface())
		return string(b), true
	}
	return "", false
}

// field is one config-tagged field of an Args struct (or of a group inside it).
type field struct {
	key     string
	path    string // Field path: "VpcCidr", "OIDC.Issuer"
	index   []int  // from the Args struct; a group's fields go through its pointer
	group   []int  // the group pointer's index, for grouped fields
	secret  bool
	example string
}

var stringInputType = reflect.TypeOf((*pulumi.StringInput)(nil)).Elem()

// fieldsOf lists the config fields of t: `config:"key"` (`,secret` for secrets), and groups
// tagged `config:",group"`, a pointer to a struct that exists only when one of its keys is set.
func fieldsOf(t reflect.Type, prefix string) []field {
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("config")
		if !ok {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if opts == "group" {
			for _, g := range fieldsOf(sf.Type.Elem(), prefix+sf.Name+".") {
				g.group = []int{i}
				out = append(out, g)
			}
			continue
		}
		out = append(out, field{key: name, path: prefix + sf.Name, index: []int{i}, secret: opts == "secret", example: sf.Tag.Get("example")})
	}
	return out
}

// keyOf finds the config key of a field path in the Args type t; aliases name fields that are
// another component's setting (the domain's health check path is the service's healthCheckPath).
func keyOf(t reflect.Type, path string) string {
	for _, f := range fieldsOf(t, "") {
		if f.path == path {
			return f.key
		}
	}
	if k, ok := fieldAliases[path]; ok {
		return k
	}
	return ""
}

// fieldAliases map fields that carry another component's setting to its key.
var fieldAliases = map[string]string{
	"Target.HealthCheckPath": "healthCheckPath",
}

// reader reads raw values into fields and collects problems instead of stopping at the first.
type reader struct {
	src      Source
	read     map[string]bool
	problems []Problem
	// rezero restores entry settings set to an explicit zero after the section's defaults ran,
	// as section does for top-level keys, so their rule reports them.
	rezero []func()
	// malformedEntry are entry key paths (workers.sidekiq.cpu) whose value had the wrong form:
	// their rules' problems are about the default standing in for them, so they are skipped.
	malformedEntry map[string]bool
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

func (r *reader) environment(stack string) Environment {
	def := defaultEnvironment(stack)
	env := def
	if v, ok := r.raw("environment"); ok {
		v = strings.TrimSpace(v)
		env = Environment(v)
		if !slices.Contains(Environments, env) {
			fix := string(def)
			for _, e := range Environments {
				if strings.EqualFold(string(e), v) {
					fix = string(e)
				}
			}
			r.fail("environment", v, "must be one of dev | prod. Pick the profile that sets safe defaults: dev (cheap, easy teardown) or prod (data protected).",
				setFix("environment", fix))
			env = def
		}
	}
	if def == EnvProd && env != EnvProd {
		r.fail("environment", string(env),
			fmt.Sprintf("stack %q looks like production but would get dev defaults (no deletion protection, no final snapshot).", stack),
			"pulumi config set environment prod (or rename the stack)")
	}
	return env
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

// section reads one component's keys, fills its defaults, then runs its rules. A key set to a
// zero value (cpu: 0) keeps it, so the component's rule reports it instead of a default hiding it.
func (r *reader) section(s section) {
	v := reflect.ValueOf(s.args).Elem()
	fields := fieldsOf(v.Type(), "")
	explicitZero := map[string]bool{}
	var malformed []field
	for _, f := range fields {
		raw, ok := r.raw(f.key)
		if !ok {
			continue
		}
		target := r.fieldValue(v, f)
		if !r.parse(f, raw, target) {
			malformed = append(malformed, f)
			continue
		}
		if target.Kind() != reflect.Pointer && target.IsZero() {
			explicitZero[f.path] = true
		}
	}
	s.defaults()
	for _, z := range r.rezero {
		z()
	}
	r.rezero = nil
	for _, f := range fields {
		if explicitZero[f.path] {
			target := r.fieldValue(v, f)
			target.SetZero()
		}
	}
	n := configNamer(v.Type())
	// A malformed whole number is reported with its own rule's words ("must be one of 1, 3, 5,
	// ..."): the rules run once with a value no rule accepts standing in for it.
	ruleFor := map[string]FieldProblem{}
	var ints []field
	// A *int is set by defaults() by now; its rule reads the int it points to.
	intOf := func(f field) reflect.Value { return reflect.Indirect(r.fieldValue(v, f)) }
	for _, f := range malformed {
		if intOf(f).Kind() == reflect.Int {
			ints = append(ints, f)
		}
	}
	if len(ints) > 0 {
		saved := make([]int64, len(ints))
		for i, f := range ints {
			t := intOf(f)
			saved[i] = t.Int()
			t.SetInt(math.MinInt32)
		}
		for _, p := range s.problems() {
			if _, seen := ruleFor[p.Field]; !seen {
				ruleFor[p.Field] = p
			}
		}
		for i, f := range ints {
			intOf(f).SetInt(saved[i])
		}
	}
	bad := map[string]bool{}
	for _, f := range malformed {
		bad[f.path] = true
		target := r.fieldValue(v, f)
		example := f.example
		if text, ok := defaultText(target); ok {
			example = text
		}
		if p, ok := ruleFor[f.path]; ok {
			raw, _ := r.src.Get(qualify(f.key))
			r.fail(f.key, raw, "is not a whole number: it "+n.namer().text(p.Reason), n.fix(p.Fix))
			continue
		}
		r.formProblem(f, example)
	}
	for _, p := range s.problems() {
		if bad[p.Field] {
			continue // the default standing in for a malformed value
		}
		key := n.key(p.Field)
		if r.malformedEntry[key] {
			continue
		}
		r.problems = append(r.problems, Problem{
			Key: qualify(key), Value: p.Value, Secret: r.src.IsSecret(qualify(key)),
			Reason: n.namer().text(p.Reason), Fix: n.fix(p.Fix),
		})
	}
}

// fieldValue returns the settable field, allocating its group when needed.
func (r *reader) fieldValue(v reflect.Value, f field) reflect.Value {
	if f.group == nil {
		return v.FieldByIndex(f.index)
	}
	g := v.FieldByIndex(f.group)
	if g.IsNil() {
		g.Set(reflect.New(g.Type().Elem()))
	}
	return g.Elem().FieldByIndex(f.index)
}

// parse writes raw into target by its Go type. It reports whether raw had the right form;
// a secret's form problems are reported here, never with its value.
func (r *reader) parse(f field, raw string, target reflect.Value) bool {
	key := qualify(f.key)
	t := target.Type()
	if f.secret {
		return r.parseSecret(f, raw, target)
	}
	if r.src.IsSecret(key) {
		r.problems = append(r.problems, Problem{Key: key, Secret: true,
			Reason: fmt.Sprintf("is set with --secret, but %s is written in plain text (task definition, outputs, state); secrets belong in appSecrets.", f.key),
			Fix:    fmt.Sprintf("pulumi config rm %s, then set it again without --secret (or move secret values to appSecrets)", f.key)})
		return true
	}
	if t.Kind() == reflect.Pointer {
		p := reflect.New(t.Elem())
		if !r.parse(f, raw, p.Elem()) {
			return false
		}
		target.Set(p)
		return true
	}
	raw = strings.TrimSpace(raw)
	switch t.Kind() {
	case reflect.String:
		target.SetString(raw)
	case reflect.Int:
		n, err := strconv.Atoi(raw)
		if err != nil {
			return false
		}
		target.SetInt(int64(n))
	case reflect.Bool:
		switch strings.ToLower(raw) {
		case "true":
			target.SetBool(true)
		case "false":
			target.SetBool(false)
		default:
			return false
		}
	case reflect.Slice:
		var out []string
		if json.Unmarshal([]byte(raw), &out) != nil {
			return false
		}
		target.Set(reflect.ValueOf(out))
	case reflect.Map:
		if t.Elem().Kind() == reflect.Struct {
			return r.parseEntries(f, raw, target)
		}
		out, ok := r.parseMap(f, raw)
		if !ok {
			return false
		}
		target.Set(reflect.ValueOf(out))
	default:
		panic(fmt.Sprintf("config field %s: unsupported type %s", f.path, t))
	}
	return true
}

// parseMap reads an object of scalar values. A nested value is reported here, by entry name.
func (r *reader) parseMap(f field, raw string) (map[string]string, bool) {
	var m map[string]any
	if json.Unmarshal([]byte(raw), &m) != nil {
		return nil, false
	}
	out := make(map[string]string, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		switch x := m[k].(type) {
		case string:
			out[k] = x
		case float64, bool:
			out[k] = fmt.Sprint(x)
		default:
			r.fail(f.key, raw, fmt.Sprintf("entry %q must be a string, number or boolean, not a nested value.", k),
				fmt.Sprintf("pulumi config set --path '%s.%s' <value>", f.key, k))
		}
	}
	return out, true
}

// parseSecret reads a secret string or a map of secrets: it must have been set with --secret,
// and its value is only ever held as a Pulumi secret.
func (r *reader) parseSecret(f field, raw string, target reflect.Value) bool {
	key := qualify(f.key)
	secretFail := func(reason, fix string) {
		r.problems = append(r.problems, Problem{Key: key, Secret: true, Reason: reason, Fix: fix})
	}
	if target.Type() == stringInputType {
		if !r.src.IsSecret(key) {
			secretFail("is stored in plain text in the stack file; it must be a secret.",
				fmt.Sprintf("pulumi config rm %s && pulumi config set --secret %s <value>", f.key, f.key))
		}
		if rule, ok := secretRules[f.key]; ok {
			if reason, fix := rule("", strings.TrimSpace(raw)); reason != "" {
				secretFail(reason, fix)
			}
		}
		target.Set(reflect.ValueOf(pulumi.ToSecret(pulumi.String(raw)).(pulumi.StringOutput)))
		return true
	}
	fix := fmt.Sprintf("pulumi config set --secret --path '%s.%s' <value>", f.key, f.example)
	var m map[string]any
	if json.Unmarshal([]byte(raw), &m) != nil {
		secretFail("must be a map of NAME: secret value.", fix)
		return true
	}
	if !r.src.IsSecret(key) {
		secretFail(fmt.Sprintf("holds values stored in plain text in the stack file; every %s value must be a secret.", f.key),
			fmt.Sprintf("pulumi config rm %s && %s", f.key, fix))
	}
	out := reflect.MakeMap(target.Type())
	for _, name := range slices.Sorted(maps.Keys(m)) {
		s, ok := m[name].(string)
		if !ok || s == "" {
			secretFail(fmt.Sprintf("entry %q must be a non-empty string.", name), fix)
			continue
		}
		if rule, ok := secretRules[f.key]; ok {
			if reason, fix := rule(name, s); reason != "" {
				secretFail(reason, fix)
			}
		}
		out.SetMapIndex(reflect.ValueOf(name), reflect.ValueOf(pulumi.ToSecret(pulumi.String(s)).(pulumi.StringOutput)).Convert(stringInputType))
	}
	target.Set(out)
	return true
}

// secretRules check a secret's plain text, which only the config layer ever sees; each gets the
// map entry's name ("" for a plain secret) and the value, and returns the reason and the fix, or "".
var secretRules = map[string]func(entry, raw string) (string, string){
	"secretKeyBase": secretKeyBaseProblem,
	"appSecrets":    appSecretValueProblem,
}

// formProblem reports a value of the wrong form for its field's type.
func (r *reader) formProblem(f field, example string) {
	raw, _ := r.src.Get(qualify(f.key))
	switch fieldKinds[f.key] {
	case reflect.Slice:
		r.fail(f.key, raw, "must be a list of strings.", fmt.Sprintf("pulumi config set --path '%s[0]' %s", f.key, f.example))
	case reflect.Map:
		if path, value, ok := strings.Cut(f.example, " "); ok && fieldKinds[f.key+".entry"] == reflect.Struct {
			r.fail(f.key, raw, "must be a map of NAME: settings.", fmt.Sprintf("pulumi config set --path '%s.%s' %s", f.key, path, value))
			return
		}
		r.fail(f.key, raw, "must be a map of NAME: value.", fmt.Sprintf("pulumi config set --path '%s.%s'", f.key, f.example))
	case reflect.Bool:
		r.fail(f.key, raw, "must be true or false.", setFix(f.key, example))
	default:
		r.fail(f.key, raw, "must be a whole number.", setFix(f.key, example))
	}
}

// fieldKinds remembers each key's kind for form messages.
var fieldKinds = func() map[string]reflect.Kind {
	out := map[string]reflect.Kind{}
	var c Config
	for _, s := range c.sections() {
		t := reflect.TypeOf(s.args).Elem()
		for _, f := range fieldsOf(t, "") {
			ft := fieldType(t, f)
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			out[f.key] = ft.Kind()
			if ft.Kind() == reflect.Map {
				out[f.key+".entry"] = ft.Elem().Kind()
			}
		}
	}
	return out
}()

func fieldType(t reflect.Type, f field) reflect.Type {
	if f.group != nil {
		t = t.FieldByIndex(f.group).Type.Elem()
	}
	return t.FieldByIndex(f.index).Type
}

// configNames names the fields of one Args type by their config keys.
type configNames struct{ t reflect.Type }

func configNamer(t reflect.Type) configNames { return configNames{t} }

func (n configNames) key(path string) string {
	if k := keyOf(n.t, path); k != "" {
		return k
	}
	if m := entryFieldPath.FindStringSubmatch(path); m != nil {
		return n.entryKey(m[1], m[2], m[3])
	}
	panic(fmt.Sprintf("%s.%s has no config key: tag it or add it to fieldAliases", n.t.Name(), path))
}

func (n configNames) namer() namer { return n.key }

// fix renders a Fix as `pulumi config` commands.
func (n configNames) fix(f Fix) string {
	return joinFix(f, func(s FixStep) string {
		if s.Op == FixNote {
			return n.namer().text(s.Value)
		}
		key := n.key(s.Field)
		target := key
		if s.Path != "" || entryFieldPath.MatchString(s.Field) {
			target = "--path '" + key + s.Path + "'"
		}
		switch s.Op {
		case FixSetSecret:
			return fmt.Sprintf("pulumi config set --secret %s %s", target, s.Value)
		case FixRemove:
			return "pulumi config rm " + target
		}
		return fmt.Sprintf("pulumi config set %s %s", target, s.Value)
	})
}

func (r *reader) unknownKeys() {
	lister, ok := r.src.(KeyLister)
	if !ok {
		return
	}
	known := map[string]bool{}
	for _, k := range KnownKeys() {
		known[qualify(k)] = true
	}
	for _, k := range lister.Keys() {
		if !strings.HasPrefix(k, Namespace+":") || known[k] {
			continue
		}
		short := strings.TrimPrefix(k, Namespace+":")
		reason := "is not a rails-infra setting, so it would be ignored."
		if near := closest(short, KnownKeys()); near != "" {
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
func closest(key string, known []string) string {
	best, bestD := "", 4
	for _, k := range known {
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

// enumProblem is the rule for a value that must be one of allowed (case-sensitive, as AWS and
// awsx are). The fix suggests the same word in the right case, else def.
func enumProblem(ps *problemList, field, value string, allowed []string, def, hint string) {
	if slices.Contains(allowed, value) {
		return
	}
	reason := fmt.Sprintf("must be one of %s.", strings.Join(allowed, " | "))
	if hint != "" {
		reason += " " + hint
	}
	fix := def
	for _, a := range allowed {
		if strings.EqualFold(a, value) {
			fix = a
		}
	}
	ps.add(field, value, reason, setTo(field, fix))
}

// rangeProblem is the rule for a whole number from lo to hi.
func rangeProblem(ps *problemList, field string, value, lo, hi, suggest int) {
	if value < lo || value > hi {
		ps.add(field, strconv.Itoa(value), fmt.Sprintf("must be from %d to %d.", lo, hi), setTo(field, strconv.Itoa(suggest)))
	}
}

// retentionProblem is the rule for a CloudWatch Logs retention in days.
func retentionProblem(ps *problemList, field string, days, suggest int) {
	if !slices.Contains(CloudWatchRetentionDays, days) {
		ps.add(field, strconv.Itoa(days), fmt.Sprintf("must be one of %s.", joinInts(CloudWatchRetentionDays)), setTo(field, strconv.Itoa(suggest)))
	}
}
