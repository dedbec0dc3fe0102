package infra

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/internal/mockengine"
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

// one returns the only resource of a type, failing if there is not exactly one.
func one(t testing.TB, res *mockengine.Result, token string) *mockengine.Resource {
	t.Helper()
	rs := res.OfType(token)
	if len(rs) != 1 {
		t.Fatalf("%s count = %d, want 1", token, len(rs))
	}
	return rs[0]
}

// policyOf parses an IAM policy JSON input.
func policyOf(t testing.TB, r *mockengine.Resource, key string) PolicyDocument {
	t.Helper()
	raw, ok := r.Input(key).(string)
	if !ok {
		t.Fatalf("%s %s: input %s is %T, want a JSON string", r.Type, r.Name, key, r.Input(key))
	}
	var doc PolicyDocument
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatalf("%s %s: %s is not a policy document: %v", r.Type, r.Name, key, err)
	}
	return doc
}

// withProdDomain adds the domain every prod stack must have, unless the case sets its own,
// so tests of other sections can parse a prod config.
func withProdDomain(stack string, values map[string]string) map[string]string {
	prod := strings.HasPrefix(stack, "prod") || values[Namespace+":environment"] == "prod"
	if _, set := values[Namespace+":domainName"]; prod && !set {
		values[Namespace+":domainName"] = "app.example.co.jp"
		values[Namespace+":hostedZoneName"] = "example.co.jp"
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
