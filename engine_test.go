package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/enginetest"
)

// These tests run `program` — the function `pulumi up` runs — under the real Pulumi CLI and engine
// (v3.274.1, built once into the user cache dir), offline: a local file backend, a passphrase
// secrets provider, the committed stack files with secrets set by `pulumi config set --secret`,
// and recording fake aws/awsx providers the engine attaches to. See internal/enginetest.
//
// What they cannot show: whether AWS accepts the inputs, and when the real providers replace a
// resource (the fakes update in place whenever inputs differ and never ask for a replacement).

// Secrets a user sets through the CLI. Each is unique so that a grep finds only a leak.
var engineSecrets = []struct{ key, value string }{
	{"secretKeyBase", "e2e0secret0key0base" + strings.Repeat("9c4f1a7d", 14)},
	{"appSecrets.SMTP_PASSWORD", "e2e-smtp-password-5b1c7e93a0d2"},
}

// rotatedSMTPPassword replaces appSecrets.SMTP_PASSWORD in the secret rotation.
const rotatedSMTPPassword = "e2e-smtp-password-rotated-44aa"

// engineStack starts a committed stack under the engine, with the user's secrets set when
// withSecrets. ran counts the program's runs in this process.
func engineStack(t testing.TB, name string, withSecrets bool, ran *atomic.Int32) *enginetest.Stack {
	t.Helper()
	if testing.Short() {
		t.Skip("the engine harness builds and runs the Pulumi CLI; skipped with -short")
	}
	ctx := context.Background()
	prog := func(ctx *pulumi.Context) error {
		if ran != nil {
			ran.Add(1)
		}
		return program(ctx)
	}
	s, err := enginetest.NewStack(ctx, t.TempDir(), ".", name, prog, registerStackZone(loadStack(t, name).Values))
	if err != nil {
		t.Fatalf("starting stack %s under the Pulumi CLI: %v", name, err)
	}
	t.Cleanup(s.Close)
	for _, sec := range engineSecrets {
		if !withSecrets {
			break
		}
		// Dev leaves secretKeyBase unset, so the program generates one (kept by ignoreChanges):
		// the second up must still be empty.
		if name == "dev" && sec.key == "secretKeyBase" {
			continue
		}
		if err := s.SetConfigWithOptions(ctx, sec.key, auto.ConfigValue{Value: sec.value, Secret: true},
			&auto.ConfigOptions{Path: strings.Contains(sec.key, ".")}); err != nil {
			t.Fatalf("pulumi config set --secret %s: %v", sec.key, err)
		}
	}
	return s
}

func preview(t *testing.T, s *enginetest.Stack) auto.PreviewResult {
	t.Helper()
	res, err := s.Preview(context.Background(), optpreview.SuppressProgress())
	if err != nil {
		t.Fatalf("pulumi preview --stack %s: %v\n%s", s.Name, err, lastLines(res.StdOut, 40))
	}
	return res
}

func up(t *testing.T, s *enginetest.Stack) auto.UpResult {
	t.Helper()
	res, err := s.Up(context.Background(), optup.SuppressProgress())
	if err != nil {
		t.Fatalf("pulumi up --stack %s: %v\n%s", s.Name, err, lastLines(res.StdOut, 40))
	}
	return res
}

func setConfig(t *testing.T, s *enginetest.Stack, key, value string, secret bool) {
	t.Helper()
	if err := s.SetConfigWithOptions(context.Background(), key, auto.ConfigValue{Value: value, Secret: secret},
		&auto.ConfigOptions{Path: strings.Contains(key, ".")}); err != nil {
		t.Fatalf("pulumi config set %s: %v", key, err)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// calls filters recorded calls by method, skipping previews.
func calls(cs []enginetest.Call, methods ...string) []enginetest.Call {
	var out []enginetest.Call
	for _, c := range cs {
		if slices.Contains(methods, c.Method) && !c.Preview {
			out = append(out, c)
		}
	}
	return out
}

// exported is the stack's state as `pulumi stack export` prints it.
func exported(t *testing.T, s *enginetest.Stack, args ...string) (string, apitype.DeploymentV3) {
	t.Helper()
	out, stderr, err := s.CLI(context.Background(), append([]string{"stack", "export"}, args...)...)
	if err != nil {
		t.Fatalf("pulumi stack export: %v\n%s", err, stderr)
	}
	var u apitype.UntypedDeployment
	var d apitype.DeploymentV3
	if err := json.Unmarshal([]byte(out), &u); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(u.Deployment, &d); err != nil {
		t.Fatal(err)
	}
	return out, d
}

func TestEngineDev(t *testing.T) {
	t.Parallel()
	s := engineStack(t, "dev", true, nil)

	var created int
	t.Run("preview then up of the committed dev stack exit 0 and create what the preview showed", func(t *testing.T) {
		pre := preview(t, s)
		if n := len(calls(s.Fake.Calls(), "Create", "Update", "Delete")); n != 0 {
			t.Fatalf("preview made %d changes at the provider, want none", n)
		}
		mark := s.Fake.Mark()
		res := up(t, s)
		created = len(calls(s.Fake.CallsSince(mark), "Create"))
		if want := pre.ChangeSummary[apitype.OpCreate]; created == 0 || created+constructs(s.Fake.CallsSince(mark))+components(t, s) != want {
			t.Errorf("up created %d custom resources (+%d remote, +%d local components), preview promised %d creates",
				created, constructs(s.Fake.CallsSince(mark)), components(t, s), want)
		}
		if res.Summary.Result != "succeeded" {
			t.Errorf("up result %q, want succeeded", res.Summary.Result)
		}
		// As on AWS: the program's aws v6.83.4 and awsx's bundled aws 6.66.3 side by side.
		assertAWSProviderVersions(t, s.Fake.CallsSince(mark))
	})
	if t.Failed() {
		t.FailNow()
	}

	t.Run("a second up with no change changes nothing", func(t *testing.T) {
		assertNoChanges(t, s)
	})

	t.Run("the first image creates the service at desiredCount, as a deployment pulumi up waits for", func(t *testing.T) {
		if n := len(calls(s.Fake.Calls(), "Create")); n != created {
			t.Fatalf("state drifted before the first image: %d creates, want %d", n, created)
		}
		for _, c := range calls(s.Fake.Calls(), "Create") {
			if c.Type == awstype.EcsService {
				t.Fatalf("%s was created before any image was configured", c.URN)
			}
		}
		setConfig(t, s, "imageTag", "v1", false)
		mark := s.Fake.Mark()
		up(t, s)
		var services []enginetest.Call
		for _, c := range calls(s.Fake.CallsSince(mark), "Create", "Update") {
			if c.Type == awstype.EcsService {
				services = append(services, c)
			}
		}
		if len(services) != 1 || services[0].Method != "Create" {
			t.Fatalf("ECS service calls %v, want one Create", services)
		}
		in := services[0].Inputs
		if in["desiredCount"].NumberValue() != 1 || !in["waitForSteadyState"].BoolValue() {
			t.Errorf("service created with desiredCount %v, waitForSteadyState %v; want 1 (dev's desiredCount) and true",
				in["desiredCount"], in["waitForSteadyState"])
		}
		assertNoChanges(t, s)
	})

	t.Run("destroy dev succeeds and deletes nothing before what sits in it", func(t *testing.T) {
		_, before := exported(t, s)
		live := len(s.Fake.Cloud())
		mark := s.Fake.Mark()
		if _, err := s.Destroy(context.Background(), optdestroy.SuppressProgress()); err != nil {
			t.Fatalf("pulumi destroy --stack dev: %v", err)
		}
		deletes := calls(s.Fake.CallsSince(mark), "Delete")
		if len(deletes) != live {
			t.Errorf("destroy deleted %d resources at the provider, %d existed", len(deletes), live)
		}
		assertDeleteOrder(t, before, deletes)
		if left := s.Fake.Cloud(); len(left) != 0 {
			t.Errorf("after destroying dev, %d resources still exist, e.g. %s", len(left), left[0].URN)
		}
	})
}

// assertAWSProviderVersions wants default aws providers at the pinned version and at awsx's
// bundled version configured, and the awsx VPC built by the awsx provider.
func assertAWSProviderVersions(t *testing.T, cs []enginetest.Call) {
	t.Helper()
	for _, want := range []string{
		"pulumi:providers:aws::default_" + strings.ReplaceAll(enginetest.AWSVersion, ".", "_"),
		"pulumi:providers:aws::default_" + strings.ReplaceAll(enginetest.AWSXBundledAWS, ".", "_"),
	} {
		if !slices.ContainsFunc(cs, func(c enginetest.Call) bool { return c.Method == "Configure" && strings.HasSuffix(c.URN, want) }) {
			t.Errorf("no provider %s was configured", want)
		}
	}
	if constructs(cs) != 1 {
		t.Errorf("awsx Construct called %d times, want once (the VPC)", constructs(cs))
	}
}

// constructs counts remote components (awsx) the engine built.
func constructs(cs []enginetest.Call) int {
	n := 0
	for _, c := range cs {
		if c.Method == "Construct" && !c.Preview {
			n++
		}
	}
	return n
}

// components counts the program's own component resources and the stack, which the engine
// creates without a provider.
func components(t *testing.T, s *enginetest.Stack) int {
	_, d := exported(t, s)
	n := 0
	for _, r := range d.Resources {
		if !r.Custom && r.Type != "awsx:ec2:Vpc" {
			n++
		}
	}
	return n
}

// assertNoChanges runs `pulumi up` again and wants no step, and no Diff that found a difference.
func assertNoChanges(t *testing.T, s *enginetest.Stack) {
	t.Helper()
	mark := s.Fake.Mark()
	res := up(t, s)
	for _, c := range s.Fake.CallsSince(mark) {
		if c.Method == "Diff" && len(c.Changes) > 0 {
			t.Errorf("%s: inputs differ between two runs of the program with no change: %v", c.URN, c.Changes)
		}
		if slices.Contains([]string{"Create", "Update", "Delete"}, c.Method) {
			t.Errorf("second up called %s on %s", c.Method, c.URN)
		}
	}
	for op, n := range *res.Summary.ResourceChanges {
		if op != string(apitype.OpSame) && n > 0 {
			t.Errorf("second up: %d %s, want only same", n, op)
		}
	}
}

// assertDeleteOrder checks that no resource's delete started before the delete of everything
// that depends on it, or is its child, had returned; and, by type, that no subnet, route table or
// internet gateway went before the load balancer, the ECS service and the database had gone. The
// fake makes those three (and NAT gateways) slow to delete, as on AWS, so a missing edge shows.
func assertDeleteOrder(t *testing.T, before apitype.DeploymentV3, deletes []enginetest.Call) {
	t.Helper()
	byURN := map[string]enginetest.Call{}
	for _, c := range deletes {
		byURN[c.URN] = c
	}
	for _, r := range before.Resources {
		dependent, ok := byURN[string(r.URN)]
		if !r.Custom || !ok {
			continue
		}
		deps := slices.Clone(r.Dependencies)
		for _, ds := range r.PropertyDependencies {
			deps = append(deps, ds...)
		}
		if r.Parent != "" {
			deps = append(deps, r.Parent)
		}
		for _, dep := range deps {
			if d, ok := byURN[string(dep)]; ok && d.Seq < dependent.Done {
				t.Errorf("%s: delete started (#%d) before %s, which depends on it, was gone (#%d)", dep, d.Seq, r.URN, dependent.Done)
			}
		}
	}
	// The order above is only as good as the recorded edges: what sits in a subnet must record one.
	deps := map[string][]string{}
	for _, r := range before.Resources {
		for _, d := range r.Dependencies {
			deps[string(r.URN)] = append(deps[string(r.URN)], string(d))
		}
		for _, ds := range r.PropertyDependencies {
			for _, d := range ds {
				deps[string(r.URN)] = append(deps[string(r.URN)], string(d))
			}
		}
	}
	reachesSubnet := func(from string) bool {
		seen, todo := map[string]bool{}, []string{from}
		for len(todo) > 0 {
			u := todo[0]
			todo = todo[1:]
			if seen[u] {
				continue
			}
			seen[u] = true
			if strings.Contains(u, "aws:ec2/subnet:Subnet::") {
				return true
			}
			todo = append(todo, deps[u]...)
		}
		return false
	}
	for _, r := range before.Resources {
		switch r.Type {
		case awstype.LbLoadBalancer, awstype.EcsService, awstype.RdsSubnetGroup, awstype.RdsInstance:
			if !reachesSubnet(string(r.URN)) {
				t.Errorf("%s records no dependency on a subnet: the engine could delete its subnets first", r.URN)
			}
		}
	}
	for _, network := range []string{awstype.Ec2Subnet, awstype.Ec2RouteTable, awstype.Ec2InternetGateway} {
		var first *enginetest.Call
		for i, c := range deletes {
			if c.Type == network && (first == nil || c.Seq < first.Seq) {
				first = &deletes[i]
			}
		}
		if first == nil {
			t.Errorf("destroy deleted no %s", network)
			continue
		}
		for _, inside := range []string{awstype.LbLoadBalancer, awstype.EcsService, awstype.RdsInstance} {
			var last *enginetest.Call
			for i, c := range deletes {
				if c.Type == inside && (last == nil || c.Done > last.Done) {
					last = &deletes[i]
				}
			}
			if last == nil {
				t.Errorf("destroy deleted no %s", inside)
			} else if first.Seq < last.Done {
				t.Errorf("%s: delete started (#%d) before %s, which sits in the VPC, was gone (#%d)", first.URN, first.Seq, last.URN, last.Done)
			}
		}
	}
}

// Resources that hold data: a deploy must never delete or replace them.
var dataTypes = []string{
	awstype.RdsInstance, awstype.S3BucketV2, awstype.S3Bucket,
	awstype.EcrRepository, awstype.Ec2Vpc, awstype.Ec2Subnet,
}

// What a deploy (new image, or rotated secret) may change.
var deployTypes = []string{
	awstype.EcsTaskDefinition, awstype.EcsService, awstype.LambdaInvocation,
}

func TestEngineProd(t *testing.T) {
	t.Parallel()
	s := engineStack(t, "prod", true, nil)

	t.Run("preview then up of the committed prod stack exit 0", func(t *testing.T) {
		preview(t, s)
		mark := s.Fake.Mark()
		if res := up(t, s); res.Summary.Result != "succeeded" {
			t.Errorf("up result %q", res.Summary.Result)
		}
		assertAWSProviderVersions(t, s.Fake.CallsSince(mark))
	})
	if t.Failed() {
		t.FailNow()
	}
	t.Run("a second up with no change changes nothing", func(t *testing.T) {
		assertNoChanges(t, s)
	})

	deploys := []struct {
		name      string
		key, val  string
		secret    bool
		mayChange []string // resource types beyond deployTypes
	}{
		{name: "a first deploy (migrateBeforeDeploy on, imageTag set)", key: "imageTag", val: "v1.0.0"},
		{name: "a deploy (imageTag changed)", key: "imageTag", val: "v1.0.1", mayChange: []string{}},
		{name: "a secret rotation (appSecrets changed)", key: "appSecrets.SMTP_PASSWORD", val: rotatedSMTPPassword,
			secret: true, mayChange: []string{awstype.SsmParameter}},
	}
	setConfig(t, s, "migrateBeforeDeploy", "true", false)
	for _, d := range deploys {
		t.Run(d.name+" replaces and deletes nothing that holds data", func(t *testing.T) {
			_, before := exported(t, s)
			ids := map[string]string{}
			for _, r := range before.Resources {
				ids[string(r.URN)] = string(r.ID)
			}
			setConfig(t, s, d.key, d.val, d.secret)
			mark := s.Fake.Mark()
			up(t, s)
			touched := calls(s.Fake.CallsSince(mark), "Create", "Update", "Delete")
			for _, c := range touched {
				if slices.Contains(dataTypes, c.Type) && (c.Method == "Delete" || ids[c.URN] != "") {
					t.Errorf("%s %s %s: a deploy must not delete or replace data", c.Method, c.Type, c.URN)
				}
				if d.mayChange != nil && !slices.Contains(deployTypes, c.Type) && !slices.Contains(d.mayChange, c.Type) {
					t.Errorf("%s %s: %s, a deploy should touch only %v", c.Method, c.URN, c.Type, append(deployTypes, d.mayChange...))
				}
			}
			if d.mayChange != nil && len(calls(touched, "Update", "Create")) == 0 {
				t.Errorf("%s changed nothing at the provider", d.name)
			}
			if d.key == "imageTag" || d.secret {
				var sawTaskDef, sawService, sawMigrate bool
				for _, c := range touched {
					sawTaskDef = sawTaskDef || c.Type == deployTypes[0]
					sawService = sawService || c.Type == deployTypes[1]
					sawMigrate = sawMigrate || c.Type == deployTypes[2]
				}
				if !sawTaskDef || !sawService || !sawMigrate {
					t.Errorf("%s: task definition changed %v, service %v, migrate run %v; want all three", d.name, sawTaskDef, sawService, sawMigrate)
				}
			}
		})
	}

	t.Run("outputs are the documented ones and the state holds no secret in plaintext", func(t *testing.T) {
		assertOutputsAndSecrets(t, s)
	})

	// `pulumi up` previews first; the preview is where the engine refuses (Automation API's Up skips
	// the preview, so the inline program is previewed here as the CLI would).
	t.Run("unsetting imageTag is refused in the preview, before the running service or anything else changes", func(t *testing.T) {
		if err := s.RemoveConfig(context.Background(), "imageTag"); err != nil {
			t.Fatalf("pulumi config rm imageTag: %v", err)
		}
		defer setConfig(t, s, "imageTag", "v1.0.1", false)
		mark := s.Fake.Mark()
		res, err := s.Preview(context.Background(), optpreview.SuppressProgress())
		out := res.StdOut + res.StdErr
		if err != nil {
			out += err.Error()
		}
		if err == nil || !strings.Contains(out, "protected") || !strings.Contains(out, "aws:ecs/service:Service") {
			t.Fatalf("pulumi preview without imageTag: err = %v, want the engine's refusal to delete the protected service:\n%s", err, lastLines(out, 15))
		}
		if c := calls(s.Fake.CallsSince(mark), "Create", "Update", "Delete"); len(c) > 0 {
			t.Errorf("the refused up still changed %d resources, first %s %s", len(c), c[0].Method, c[0].URN)
		}
	})

	// `pulumi destroy --stack prod` as the runbook types it: the CLI previews first, then asks.
	destroy := func() (string, error) {
		stdout, stderr, err := s.CLI(context.Background(), "destroy", "--yes")
		return stdout + stderr, err
	}

	t.Run("destroy prod is refused while protect is on, before anything is deleted", func(t *testing.T) {
		mark := s.Fake.Mark()
		out, err := destroy()
		// The engine's refusal, not AWS's deletion protection (whose message also says "protection").
		if err == nil || !strings.Contains(out, "because it is protected") || !strings.Contains(out, "pulumi state unprotect") {
			t.Fatalf("pulumi destroy --stack prod: err = %v, want the engine's refusal of a protected resource:\n%s", err, lastLines(out, 15))
		}
		if d := calls(s.Fake.CallsSince(mark), "Delete"); len(d) > 0 {
			t.Errorf("refused destroy still deleted %d resources, first %s", len(d), d[0].URN)
		}
	})

	t.Run("after the runbook's unprotect, destroy keeps every retain-on-delete resource", func(t *testing.T) {
		// Step 2 of the runbook: deletion protection off at AWS (aws rds / aws elbv2).
		if lifted := s.Fake.LiftDeletionProtection(); len(lifted) != 2 {
			t.Errorf("deletion protection was on for %v, want the RDS instance and the ALB", lifted)
		}
		// Step 4: pulumi state unprotect --all --stack prod; pulumi destroy --stack prod.
		if _, stderr, err := s.CLI(context.Background(), "state", "unprotect", "--all", "--yes"); err != nil {
			t.Fatalf("pulumi state unprotect --all: %v\n%s", err, stderr)
		}
		_, before := exported(t, s)
		var retained []string
		for _, r := range before.Resources {
			if r.RetainOnDelete {
				retained = append(retained, string(r.URN))
			}
		}
		if !slices.ContainsFunc(retained, func(u string) bool { return strings.Contains(u, "aws:s3/bucketV2:BucketV2::") }) {
			t.Errorf("no retain-on-delete uploads bucket in prod's state; retained: %v", retained)
		}
		mark := s.Fake.Mark()
		if out, err := destroy(); err != nil {
			t.Fatalf("pulumi destroy --stack prod after unprotect: %v\n%s", err, lastLines(out, 20))
		}
		deletes := calls(s.Fake.CallsSince(mark), "Delete")
		for _, c := range deletes {
			if slices.Contains(retained, c.URN) {
				t.Errorf("%s is retain-on-delete but was deleted at the provider", c.URN)
			}
		}
		for _, u := range retained {
			if !s.Fake.Exists(u) {
				t.Errorf("%s is retain-on-delete but is gone from the cloud", u)
			}
		}
		if len(deletes) == 0 {
			t.Error("destroy deleted nothing")
		}
		assertDeleteOrder(t, before, deletes)
	})
}

// promisedOutputs are the stack outputs README.md and docs/ name (`pulumi stack output NAME`,
// "the `NAME` output", "Outputs: `a` and `b`").
func promisedOutputs(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("docs/*.md")
	files = append(files, "README.md")
	res := []*regexp.Regexp{
		regexp.MustCompile("pulumi stack output ([a-zA-Z]+)"),
		regexp.MustCompile("`([a-zA-Z]+)` (?:stack )?output"),
	}
	outputsLine := regexp.MustCompile("(?m)^Outputs: (.*)$")
	ident := regexp.MustCompile("`([a-zA-Z]+)`")
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range res {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				seen[m[1]] = true
			}
		}
		for _, line := range outputsLine.FindAllStringSubmatch(string(b), -1) {
			for _, m := range ident.FindAllStringSubmatch(line[1], -1) {
				seen[m[1]] = true
			}
		}
	}
	var out []string
	for k := range seen {
		// oidcRedirectUrl exists only with OIDC configured, the redis* outputs only with redis on
		// (TestEngineRedis checks those), the worker* and schedule* outputs only with workers and
		// schedules (TestEngineExample); no committed stack has any of them.
		if !slices.Contains([]string{"oidcRedirectUrl", "redisEndpoint", "redisUrlParameter"}, k) &&
			!strings.HasPrefix(k, "worker") && !strings.HasPrefix(k, "schedule") {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	if len(out) < 5 {
		t.Fatalf("found only %v promised outputs in the docs", out)
	}
	return out
}

func assertOutputsAndSecrets(t *testing.T, s *enginetest.Stack) {
	ctx := context.Background()
	plain, stderr, err := s.CLI(ctx, "stack", "output", "--json")
	if err != nil {
		t.Fatalf("pulumi stack output --json: %v\n%s", err, stderr)
	}
	var outputs map[string]any
	if err := json.Unmarshal([]byte(plain), &outputs); err != nil {
		t.Fatal(err)
	}
	for _, name := range promisedOutputs(t) {
		if v, ok := outputs[name]; !ok || v == nil || v == "" {
			t.Errorf("output %s = %v, the docs promise it", name, v)
		}
	}
	// No output is meant to hold a secret: each one that the engine marks secret is a leak.
	wantSecret := map[string]bool{}
	shown, _, err := s.CLI(ctx, "stack", "output", "--json", "--show-secrets")
	if err != nil {
		t.Fatal(err)
	}
	var revealed map[string]any
	if err := json.Unmarshal([]byte(shown), &revealed); err != nil {
		t.Fatal(err)
	}
	for name, v := range outputs {
		isSecret := v == "[secret]" && revealed[name] != "[secret]"
		if isSecret != wantSecret[name] {
			t.Errorf("output %s secret = %v, want %v", name, isSecret, wantSecret[name])
		}
	}
	state, _ := exported(t, s)
	secretState, _ := exported(t, s, "--show-secrets")
	// Every secret ever set, and whether the stack still holds it (the rotation replaced one).
	type setSecret struct {
		key, value string
		current    bool
	}
	var secrets []setSecret
	for _, sec := range engineSecrets {
		secrets = append(secrets, setSecret{sec.key, sec.value, sec.key != "appSecrets.SMTP_PASSWORD"})
	}
	secrets = append(secrets, setSecret{"appSecrets.SMTP_PASSWORD (rotated)", rotatedSMTPPassword, true})
	for _, sec := range secrets {
		for what, text := range map[string]string{"pulumi stack export": state, "pulumi stack output --json": plain, "pulumi stack output --json --show-secrets": shown} {
			if strings.Contains(text, sec.value) {
				t.Errorf("%s shows the plaintext of %s", what, sec.key)
			}
		}
		// The positive control: the secret is in the state, and --show-secrets reveals it.
		if sec.current && !strings.Contains(secretState, sec.value) {
			t.Errorf("pulumi stack export --show-secrets does not reveal %s: the grep above would prove nothing", sec.key)
		}
	}
}

// The CLI checks a declared key's type before the program runs, with a message that names the key.
func TestEngineCLIRejectsWrongTypes(t *testing.T) {
	t.Parallel()
	var ran atomic.Int32
	s := engineStack(t, "dev", false, &ran)
	cases := []struct{ key, value, typ string }{
		{"availabilityZones", "two", "integer"},
		{"vpcEndpoints", "sometimes", "boolean"},
		{"dbAllocatedStorage", "20GiB", "integer"},
		{"spot", "maybe", "boolean"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s: %s is refused as not %s", tc.key, tc.value, tc.typ), func(t *testing.T) {
			setConfig(t, s, tc.key, tc.value, false)
			defer func() {
				if err := s.RemoveConfig(context.Background(), tc.key); err != nil {
					t.Fatal(err)
				}
			}()
			before, mark := ran.Load(), s.Fake.Mark()
			res, err := s.Preview(context.Background(), optpreview.SuppressProgress())
			if err == nil {
				t.Fatalf("preview with %s: %s passed; want the CLI to refuse it", tc.key, tc.value)
			}
			msg := err.Error() + res.StdOut + res.StdErr
			for _, want := range []string{tc.key, tc.typ} {
				if !strings.Contains(msg, want) {
					t.Errorf("message does not name %q:\n%s", want, lastLines(msg, 15))
				}
			}
			if ran.Load() != before {
				t.Error("the program ran; the CLI must refuse before it")
			}
			if n := len(s.Fake.CallsSince(mark)); n > 0 {
				t.Errorf("%d provider calls, first %s; want none", n, s.Fake.CallsSince(mark)[0])
			}
		})
	}
}

// BenchmarkEnginePreviewProd measures one `pulumi preview` of prod through the real engine.
func BenchmarkEnginePreviewProd(b *testing.B) {
	s := engineStack(b, "prod", true, nil)
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.Preview(ctx, optpreview.SuppressProgress()); err != nil {
			b.Fatal(err)
		}
	}
}
