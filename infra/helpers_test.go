package infra

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/internal/mockengine"
	"github.com/rails-infra/rails-infra/internal/testkit"
)

var testAccount = Account{AccountID: "123456789012", Partition: "aws", Region: "ap-northeast-1"}

// runProgram runs fn on the recording engine as stack "test" of this project.
func runProgram(t testing.TB, fn func(ctx *pulumi.Context) error) (*mockengine.Result, error) {
	t.Helper()
	return mockengine.Run(mockengine.Options{
		Project: Namespace, Stack: "test",
		Config: map[string]string{"aws:region": testAccount.Region},
	}, func(ctx *pulumi.Context, _ mockengine.ExportFunc) error { return fn(ctx) })
}

// mustRun is runProgram that fails the test on error.
func mustRun(t testing.TB, fn func(ctx *pulumi.Context) error) *mockengine.Result {
	t.Helper()
	res, err := runProgram(t, fn)
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	return res
}

// one is testkit.One, named short for the many call sites.
func one(t testing.TB, res *mockengine.Result, token string) *mockengine.Resource {
	t.Helper()
	return testkit.One(t, res, token)
}

// policyVersion is the IAM policy language version every document must declare.
const policyVersion = "2012-10-17"

// policyOf parses an IAM policy JSON input. Given a version, it also fails (and goes on)
// unless the document declares that version.
func policyOf(t testing.TB, r *mockengine.Resource, key string, version ...string) PolicyDocument {
	t.Helper()
	raw, ok := r.Input(key).(string)
	if !ok {
		t.Fatalf("%s %s: input %s is %T, want a JSON string", r.Type, r.Name, key, r.Input(key))
	}
	var doc PolicyDocument
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatalf("%s %s: %s is not a policy document: %v\n%s", r.Type, r.Name, key, err, raw)
	}
	for _, v := range version {
		if doc.Version != v {
			t.Errorf("%s %s: %s version = %q, want %q", r.Type, r.Name, key, doc.Version, v)
		}
	}
	return doc
}

// outputString is a string output of a recorded resource, failing unless it is a non-empty string.
func outputString(t testing.TB, r *mockengine.Resource, key string) string {
	t.Helper()
	v := r.Outputs[resource.PropertyKey(key)]
	if !v.IsString() || v.StringValue() == "" {
		t.Fatalf("%s %s: output %s = %v, want a string", r.Type, r.Name, key, v)
	}
	return v.StringValue()
}

// exportString is testkit.ExportString.
func exportString(t testing.TB, res *mockengine.Result, name string) string {
	t.Helper()
	return testkit.ExportString(t, res, name)
}

// configCase is what parseConfig builds a parse from; configOpts adjust it.
type configCase struct {
	values        map[string]string
	secrets       []string
	defaultDomain bool
}

type configOpt func(*configCase)

// secret marks keys (qualified or not, like parseConfig's values) as secret.
func secret(keys ...string) configOpt {
	return func(c *configCase) { c.secrets = append(c.secrets, keys...) }
}

// environment sets the rails-infra:environment key, which the case's values may override.
func environment(env string) configOpt {
	return func(c *configCase) { c.values[qualify("environment")] = env }
}

// noDefaultDomain parses a prod config as given, without the domain withProdDomain adds.
func noDefaultDomain() configOpt {
	return func(c *configCase) { c.defaultDomain = false }
}

// qualified gives a key without a namespace this project's, as Parse reads it.
func qualified(key string) string {
	if strings.Contains(key, ":") {
		return key
	}
	return qualify(key)
}

// parseConfig parses the config of stack: values (keys with or without the rails-infra
// namespace) over aws:region. A prod config without a domain gets withProdDomain's
// unless noDefaultDomain is given.
func parseConfig(t testing.TB, stack string, values map[string]string, opts ...configOpt) (*Config, error) {
	t.Helper()
	c := configCase{values: map[string]string{"aws:region": testAccount.Region}, defaultDomain: true}
	for _, o := range opts {
		o(&c)
	}
	for k, v := range values {
		c.values[qualified(k)] = v
	}
	if c.defaultDomain {
		withProdDomain(stack, c.values)
	} else {
		withProdAlarms(stack, c.values)
	}
	keys := make([]string, len(c.secrets))
	for i, k := range c.secrets {
		keys[i] = qualified(k)
	}
	src := MapSource{Values: c.values}
	if len(keys) > 0 {
		src.SecretKeys = keys
	}
	return Parse(src, Namespace, stack)
}

// mustParseConfig is parseConfig that fails the test on error.
func mustParseConfig(t testing.TB, stack string, values map[string]string, opts ...configOpt) *Config {
	t.Helper()
	c, err := parseConfig(t, stack, values, opts...)
	if err != nil {
		t.Fatalf("Parse failed: %v", err)
	}
	return c
}

// withProdDomain adds the domain every prod stack must have, unless the case sets its own,
// so tests of other sections can parse a prod config.
func withProdDomain(stack string, values map[string]string) map[string]string {
	prod := strings.HasPrefix(stack, "prod") || values[Namespace+":environment"] == "prod"
	if _, set := values[Namespace+":domainName"]; prod && !set {
		values[Namespace+":domainName"] = "app.example.co.jp"
		values[Namespace+":hostedZoneName"] = "example.co.jp"
	}
	return withProdAlarms(stack, values)
}

// withProdAlarms adds the alarm destination every prod stack must have, unless the case sets one
// (parseConfig adds it always; monitoring tests that want none call Parse directly).
func withProdAlarms(stack string, values map[string]string) map[string]string {
	prod := strings.HasPrefix(stack, "prod") || values[Namespace+":environment"] == "prod"
	_, emails := values[Namespace+":alarmEmails"]
	_, topic := values[Namespace+":alarmTopicArn"]
	if prod && !emails && !topic {
		values[Namespace+":alarmEmails"] = `["ops@example.co.jp"]`
	}
	return values
}

// assertNoWildcards fails for any statement that allows a wildcard action or every resource.
func assertNoWildcards(t testing.TB, doc PolicyDocument) {
	t.Helper()
	for _, st := range doc.Statement {
		for _, a := range st.Action {
			if strings.Contains(a, "*") {
				t.Errorf("statement %s allows wildcard action %q", st.Sid, a)
			}
		}
		for _, r := range st.Resource {
			if r == "*" {
				t.Errorf("statement %s allows every resource", st.Sid)
			}
		}
	}
}

// wantProblem is the bad-config check every table shares: err is a *ConfigError with a problem
// on key (unqualified) that mentions mention and has a fix starting with fixPrefix ("" accepts
// any fix, but there must be one).
func wantProblem(t testing.TB, err error, key, mention, fixPrefix string) {
	t.Helper()
	var cerr *ConfigError
	if !errors.As(err, &cerr) {
		t.Fatalf("err = %v, want a *ConfigError naming %s", err, qualify(key))
	}
	for _, p := range cerr.Problems {
		if p.Key == qualify(key) && strings.Contains(p.String(), mention) && p.Fix != "" && strings.HasPrefix(p.Fix, fixPrefix) {
			return
		}
	}
	t.Errorf("no problem names %s with %q and a fix starting %q; got:\n%v", qualify(key), mention, fixPrefix, cerr)
}
