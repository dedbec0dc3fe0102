package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rails-infra/rails-infra/infra"
	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/mockengine"
	"github.com/rails-infra/rails-infra/internal/plan"
)

// The offline plan on the committed stacks, through plan.Main with the real program. These
// live here because only package main can reach deploy.

func runPlan(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = plan.Main(args, &out, &errb, ".", offlineProgram)
	return code, out.String(), errb.String()
}

// planParents are types each stack must build, with the component type that must own them.
// Extend it as components land.
var planParents = map[string]string{
	"awsx:ec2:Vpc":                    "rails-infra:infra:Network",
	awstype.Ec2FlowLog:                "rails-infra:infra:Network",
	awstype.Ec2DefaultSecurityGroup:   "rails-infra:infra:Network",
	awstype.Ec2VpcEndpoint:            "rails-infra:infra:Network",
	awstype.RdsInstance:               "rails-infra:infra:Database",
	awstype.RdsParameterGroup:         "rails-infra:infra:Database",
	awstype.RdsSubnetGroup:            "rails-infra:infra:Database",
	awstype.EcsService:                "rails-infra:infra:AppService",
	awstype.EcsTaskDefinition:         "rails-infra:infra:AppService",
	awstype.LbLoadBalancer:            "rails-infra:infra:AppService",
	awstype.LbTargetGroup:             "rails-infra:infra:AppService",
	awstype.EcrRepository:             "rails-infra:infra:AppService",
	awstype.S3BucketV2:                "rails-infra:infra:AppService",
	awstype.SsmParameter:              "rails-infra:infra:AppService",
	awstype.SnsTopic:                  "rails-infra:infra:Monitoring",
	awstype.CloudWatchMetricAlarm:     "rails-infra:infra:Monitoring",
	awstype.CloudWatchDashboard:       "rails-infra:infra:Monitoring",
	awstype.CloudWatchQueryDefinition: "rails-infra:infra:Monitoring",
	awstype.RdsEventSubscription:      "rails-infra:infra:Monitoring",
	awstype.BudgetsBudget:             "rails-infra:infra:Monitoring",
}

type planDoc struct {
	Project, Stack, Environment string
	Resources                   []struct {
		URN, Type, Name, Parent string
		Custom                  bool
		DependsOn               []string
		Inputs                  map[string]any
	}
	Outputs      map[string]any
	Placeholders []string
	Estimates    struct {
		Rollout []map[string]any
		Cost    struct {
			TotalUSD float64
			Items    []map[string]any
		}
	}
	Violations []plan.Violation
}

func TestPlanJSONOfEachStack(t *testing.T) {
	stacks, _ := mockengine.StackNames(".")
	for _, stack := range stacks {
		t.Run(stack+" plan has the expected types, parents and no secret", func(t *testing.T) {
			code, stdout, stderr := runPlan(t, "plan", stack, "--format", "json", "--check")
			if code != plan.ExitOK {
				t.Fatalf("exit %d, want 0 (committed stacks pass --check); stderr:\n%s\n%s", code, stderr, stdout)
			}
			var doc planDoc
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			if doc.Project != "rails-infra" || doc.Stack != stack {
				t.Errorf("project/stack = %s/%s", doc.Project, doc.Stack)
			}
			byURN := map[string]string{}
			for _, r := range doc.Resources {
				byURN[r.URN] = r.Type
			}
			stackURN := "urn:pulumi:" + stack + "::rails-infra::pulumi:pulumi:Stack::rails-infra-" + stack
			seen := map[string]bool{}
			for _, r := range doc.Resources {
				seen[r.Type] = true
				parentType, ok := byURN[r.Parent]
				if !ok && r.Parent != stackURN {
					t.Errorf("%s %s: parent %s is neither a resource nor the stack", r.Type, r.Name, r.Parent)
				}
				if r.Custom && !strings.HasPrefix(parentType, "rails-infra:infra:") {
					t.Errorf("%s %s is not inside a component (parent %q)", r.Type, r.Name, parentType)
				}
				if want, ok := planParents[r.Type]; ok && parentType != want {
					t.Errorf("%s %s: parent type %q, want %q", r.Type, r.Name, parentType, want)
				}
				for _, d := range r.DependsOn {
					if _, ok := byURN[d]; !ok {
						t.Errorf("%s %s depends on unknown %s", r.Type, r.Name, d)
					}
				}
			}
			for typ := range planParents {
				if !seen[typ] {
					t.Errorf("no %s in the %s plan", typ, stack)
				}
			}
			if strings.Contains(stdout, mockengine.SecretPlaceholder) {
				t.Errorf("the plan prints the secret placeholder value")
			}
			if doc.Estimates.Cost.TotalUSD <= 0 || len(doc.Estimates.Cost.Items) == 0 {
				t.Errorf("cost estimate missing: %+v", doc.Estimates.Cost)
			}
			for _, v := range doc.Violations {
				if !v.Waived {
					t.Errorf("violation on a committed stack: %s", v)
				}
			}
		})
	}
}

func TestPlanTextOfEachStack(t *testing.T) {
	stacks, _ := mockengine.StackNames(".")
	for _, stack := range stacks {
		t.Run(stack+" text plan shows the tree, counts, estimates", func(t *testing.T) {
			code, stdout, stderr := runPlan(t, "plan", stack)
			if code != plan.ExitOK {
				t.Fatalf("exit %d; stderr %s", code, stderr)
			}
			want := stackExpectations[stack]
			for _, s := range []string{"Network network (component)", "├─ awsx ec2 Vpc network", "NAT: " + want.nat, want.cidr,
				"Counts by type", "Summary", "Rollout estimate", "Monthly cost estimate (USD, ap-northeast-1", "total ≈ $"} {
				if !strings.Contains(stdout, s) {
					t.Errorf("text plan lacks %q:\n%s", s, stdout)
				}
			}
		})
	}
}

func TestPlanRejectsBadConfigFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(file, []byte("config:\n  aws:region: ap-northeast-1\n  rails-infra:availabilityZones: 9\n  rails-infra:natGateways: single\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runPlan(t, "plan", "dev", "--config-file", file)
	if code != plan.ExitConfig {
		t.Fatalf("exit %d, want 1", code)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "rails-infra:availabilityZones") || !strings.HasPrefix(lines[1], "rails-infra:natGateways") {
		t.Errorf("stderr = %q, want one line per problem naming the key", stderr)
	}
	if stdout != "" {
		t.Errorf("stdout = %q, want nothing on a config error", stdout)
	}
}

// The checked-in diagrams must equal a fresh render (rendering is deterministic).
func TestCheckedInDiagramsAreFresh(t *testing.T) {
	for _, tc := range []struct{ file, format string }{
		{"docs/architecture-dev.svg", "svg"},
		{"docs/architecture-dev.md", "mermaid"},
	} {
		t.Run(tc.file+" is up to date", func(t *testing.T) {
			g, err := plan.Run(".", "dev", "", offlineProgram)
			if err != nil {
				t.Fatal(err)
			}
			var fresh bytes.Buffer
			if err := plan.Render(&fresh, g, tc.format, tc.file, false, nil); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(tc.file)
			if err != nil || !bytes.Equal(got, fresh.Bytes()) {
				t.Errorf("%s is stale; regenerate with: go run . plan dev --format %s --out %s", tc.file, tc.format, tc.file)
			}
		})
	}
}

func BenchmarkPlan(b *testing.B) {
	stacks, _ := mockengine.StackNames(".")
	for _, stack := range stacks {
		b.Run(stack, func(b *testing.B) {
			for b.Loop() {
				if code := plan.Main([]string{"plan", stack, "--format", "json", "--check"}, io.Discard, io.Discard, ".", offlineProgram); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
		})
	}
}

// optionalComponentRules look at a component the committed stacks leave off; the documented
// example stack that switches it on gives them their resources instead.
var optionalComponentRules = map[string]string{
	"cache-tls": "redis", "cache-encrypted": "redis", "cache-auth": "redis", "cache-sg-app-only": "redis", "cache-prod-retain": "redis",
}

// A rule that finds nothing to look at passes vacuously; on the committed stacks every rule must
// examine at least one resource, so "0 violations" means the property really holds.
func TestEveryRuleExaminesTheCommittedStacks(t *testing.T) {
	stacks, _ := mockengine.StackNames(".")
	for _, stack := range append(stacks, "example") {
		file := ""
		if stack == "example" {
			file = exampleStack
		}
		g, err := plan.Run(".", stack, file, offlineProgram)
		if err != nil {
			t.Fatalf("%s: %v", stack, err)
		}
		for _, r := range plan.Rules {
			// Rules on what only redis or schedules create are examined on the example stack, which
			// has both.
			if _, optional := optionalComponentRules[r.ID]; (optional || scheduleRules[r.ID]) && stack != "example" {
				continue
			}
			t.Run(stack+" gives rule "+r.ID+" something to check", func(t *testing.T) {
				if len(g.OfType(r.Types...)) == 0 {
					t.Errorf("no resource of %v in the %s plan", r.Types, stack)
				}
			})
		}
	}
	for id, example := range optionalComponentRules {
		t.Run("the documented "+example+" stack gives rule "+id+" something to check", func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "Pulumi.example.yaml")
			if err := os.WriteFile(file, []byte(documentedStack(t, example)), 0o600); err != nil {
				t.Fatal(err)
			}
			g, err := plan.Run(".", "example", file, offlineProgram)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(plan.Rules, func(r plan.Rule) bool { return r.ID == id })
			if i < 0 || len(g.OfType(plan.Rules[i].Types...)) == 0 {
				t.Errorf("rule %s has nothing to check in the documented %s stack", id, example)
			}
		})
	}
}

// scheduleRules look at resources only a stack with schedules has.
var scheduleRules = map[string]bool{"schedule-dead-letter": true, "sqs-encrypted": true}

// prod with OIDC login: the client secret (an undecryptable secure: value) never shows in JSON,
// and the listener's client secret input reads [secret].
func TestPlanHidesTheOIDCClientSecret(t *testing.T) {
	prod, err := os.ReadFile("Pulumi.prod.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(prod) + `  rails-infra:oidcIssuer: https://accounts.google.com
  rails-infra:oidcAuthorizationEndpoint: https://accounts.google.com/o/oauth2/v2/auth
  rails-infra:oidcTokenEndpoint: https://oauth2.googleapis.com/token
  rails-infra:oidcUserInfoEndpoint: https://openidconnect.googleapis.com/v1/userinfo
  rails-infra:oidcClientId: 1234-abcd.apps.googleusercontent.com
  rails-infra:oidcClientSecret:
    secure: AAABAMZ4dW1teS1jaXBoZXJ0ZXh0LW5vdC1kZWNyeXB0YWJsZQ==
`
	file := filepath.Join(t.TempDir(), "prod-oidc.yaml")
	if err := os.WriteFile(file, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range plan.Formats {
		t.Run("the "+format+" plan does not print the client secret", func(t *testing.T) {
			code, stdout, stderr := runPlan(t, "plan", "prod", "--config-file", file, "--format", format, "--check")
			if code != plan.ExitOK {
				t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
			}
			for _, leak := range []string{mockengine.SecretPlaceholder, "AAABAMZ4dW1teS1jaXBoZXJ0ZXh0"} {
				if strings.Contains(stdout+stderr, leak) {
					t.Errorf("the %s plan contains %q", format, leak)
				}
			}
			if format != "text" {
				return
			}
			for _, want := range []string{
				"HTTPS:443 ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09 → authenticate-oidc (accounts.google.com, unauthenticated: authenticate) → forward",
				"ListenerRule domain-health-no-auth: priority 1 path /up → forward",
			} {
				if !strings.Contains(stdout, want) {
					t.Errorf("the text plan lacks %q:\n%s", want, stdout)
				}
			}
		})
	}
	code, stdout, stderr := runPlan(t, "plan", "prod", "--config-file", file, "--format", "json", "--check")
	if code != plan.ExitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	var doc planDoc
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	found := false
	for _, r := range doc.Resources {
		if r.Type != awstype.LbListener {
			continue
		}
		acts, _ := r.Inputs["defaultActions"].([]any)
		for _, a := range acts {
			m, _ := a.(map[string]any)
			if o, ok := m["authenticateOidc"].(map[string]any); ok {
				found = true
				if o["clientSecret"] != "[secret]" {
					t.Errorf("%s authenticateOidc.clientSecret = %v, want [secret]", r.Name, o["clientSecret"])
				}
				if o["clientId"] != "1234-abcd.apps.googleusercontent.com" {
					t.Errorf("%s authenticateOidc.clientId = %v; plain fields should stay readable", r.Name, o["clientId"])
				}
			}
		}
	}
	if !found {
		t.Errorf("no listener with an authenticate-oidc action in the plan")
	}
	if !slices.Contains(doc.Placeholders, "rails-infra:oidcClientSecret") {
		t.Errorf("placeholders = %v, want rails-infra:oidcClientSecret listed as set but hidden", doc.Placeholders)
	}
}

// The committed stacks have no image yet; the estimates price the service the first image creates.
func TestPlanEstimatesTheConfiguredTaskCount(t *testing.T) {
	stacks, _ := mockengine.StackNames(".")
	for _, stack := range stacks {
		t.Run(stack+" prices and times desiredCount tasks", func(t *testing.T) {
			sc := loadStack(t, stack)
			cfg, err := infra.Parse(infra.MapSource{Values: sc.Values, SecretKeys: sc.SecretKeys}, sc.Project, stack)
			if err != nil {
				t.Fatal(err)
			}
			g, err := plan.Run(".", stack, "", offlineProgram)
			if err != nil {
				t.Fatal(err)
			}
			ro := plan.EstimateRollout(g)
			if len(ro) != 1 || ro[0].Settings.DesiredCount != *cfg.Service.DesiredCount {
				t.Errorf("rollout = %+v, want desiredCount %d", ro, *cfg.Service.DesiredCount)
			}
			for _, it := range plan.EstimateCost(g).Items {
				if it.Item == "Fargate tasks" && (it.MonthlyUSD == nil || *it.MonthlyUSD <= 0) {
					t.Errorf("Fargate tasks = %+v, want a price for %d tasks", it, *cfg.Service.DesiredCount)
				}
			}
		})
	}
}

// A stack with no image yet has no ECS service; its plan shows the stack as the first image deploy
// makes it, marking what comes only then, and that is exactly what the stack with an image plans.
func TestPlanOfAStackWithoutAnImageShowsItsFirstImageDeploy(t *testing.T) {
	stacks, _ := mockengine.StackNames(".")
	for _, stack := range stacks {
		t.Run(stack+" marks the service and what hangs off it, and nothing else, as coming with the first image", func(t *testing.T) {
			g, err := plan.Run(".", stack, "", offlineProgram)
			if err != nil {
				t.Fatal(err)
			}
			base, err := os.ReadFile("Pulumi." + stack + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "with-image.yaml")
			if err := os.WriteFile(file, append(base, "  rails-infra:imageTag: "+infra.PlaceholderImageTag+"\n"...), 0o644); err != nil {
				t.Fatal(err)
			}
			withImage, err := plan.Run(".", stack, file, offlineProgram)
			if err != nil {
				t.Fatal(err)
			}
			if !g.ImagePending || withImage.ImagePending {
				t.Errorf("ImagePending = %v without an image and %v with one, want true and false", g.ImagePending, withImage.ImagePending)
			}
			var urns, wantURNs []string
			// What runs or watches tasks comes with the first image; what holds data or serves
			// traffic is built by the first `pulumi up`.
			imageTypes := []string{awstype.EcsService, awstype.AppAutoscalingTarget, awstype.AppAutoscalingPolicy, awstype.SfnStateMachine}
			before := []string{awstype.RdsInstance, awstype.LbLoadBalancer, awstype.LbTargetGroup, awstype.EcsTaskDefinition,
				awstype.EcsCluster, awstype.EcrRepository, awstype.S3BucketV2, awstype.SsmParameter, awstype.RdsEventSubscription}
			for _, r := range g.Resources {
				urns = append(urns, r.URN)
				if slices.Contains(imageTypes, r.Type) && !r.WithFirstImage {
					t.Errorf("%s %s is not marked WithFirstImage; pulumi up creates it only with the first image", r.Type, r.Name)
				}
				if slices.Contains(before, r.Type) && r.WithFirstImage {
					t.Errorf("%s %s is marked WithFirstImage; pulumi up creates it before any image", r.Type, r.Name)
				}
			}
			for _, typ := range append(imageTypes, before...) {
				if typ != awstype.S3BucketV2 && len(g.OfType(typ)) == 0 {
					t.Errorf("no %s in the plan", typ)
				}
			}
			for _, r := range withImage.Resources {
				wantURNs = append(wantURNs, r.URN)
				if r.WithFirstImage {
					t.Errorf("%s is marked WithFirstImage on a stack that has an image", r.URN)
				}
			}
			slices.Sort(urns)
			slices.Sort(wantURNs)
			if !slices.Equal(urns, wantURNs) {
				t.Errorf("the plan without an image has %d resources, the stack with one %d; want the same URNs", len(urns), len(wantURNs))
			}
			if _, ok := g.Outputs["serviceName"]; ok {
				t.Errorf("outputs = %v: serviceName is not an output before the first image", g.Outputs)
			}
			if next, _ := g.Outputs["nextStep"].(string); !strings.Contains(next, "no ECS service exists yet") {
				t.Errorf("nextStep = %q, want what pulumi up exports now", next)
			}
		})
	}
}

// A stack that names its zone by id only: the offline plan must not invent a zone the domain is
// outside of.
func TestPlanWithAHostedZoneID(t *testing.T) {
	prod, err := os.ReadFile("Pulumi.prod.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(prod), "rails-infra:hostedZoneName: example.co.jp", "rails-infra:hostedZoneId: Z0123456789EXAMPLEJP", 1)
	if cfg == string(prod) {
		t.Fatal("Pulumi.prod.yaml has no hostedZoneName line to replace")
	}
	cfg += "  rails-infra:subjectAlternativeNames:\n    - www.example.co.jp\n    - \"*.app.example.co.jp\"\n"
	file := filepath.Join(t.TempDir(), "prod-zone-id.yaml")
	if err := os.WriteFile(file, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runPlan(t, "plan", "prod", "--config-file", file, "--format", "json", "--check")
	if code != plan.ExitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	var doc planDoc
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	cnames := 0
	for _, r := range doc.Resources {
		if r.Type != awstype.Route53Record {
			continue
		}
		if r.Inputs["zoneId"] != "Z0123456789EXAMPLEJP" {
			t.Errorf("%s zoneId = %v, want the configured Z0123456789EXAMPLEJP", r.Name, r.Inputs["zoneId"])
		}
		if r.Inputs["type"] == "CNAME" {
			cnames++
		}
	}
	// app and *.app share one ACM record; www has its own.
	if cnames != 2 {
		t.Errorf("validation records = %d, want 2", cnames)
	}
}

// The generated Rails secret key base (128 hex characters, made in Go, not a config placeholder)
// must not reach any output; the SSM parameter that holds it shows [secret].
func TestPlanNeverPrintsTheGeneratedSecretKeyBase(t *testing.T) {
	hex128 := regexp.MustCompile(`[0-9a-f]{128}`)
	stacks, _ := mockengine.StackNames(".")
	for _, stack := range stacks {
		for _, format := range plan.Formats {
			t.Run(stack+" "+format+" holds no secret key base", func(t *testing.T) {
				code, stdout, stderr := runPlan(t, "plan", stack, "--format", format, "--check")
				if code != plan.ExitOK {
					t.Fatalf("exit %d; stderr %s", code, stderr)
				}
				if m := hex128.FindString(stdout + stderr); m != "" {
					t.Errorf("output contains a 128-hex secret: %s…", m[:16])
				}
				if format != "json" {
					return
				}
				var doc planDoc
				if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, r := range doc.Resources {
					if r.Type == awstype.SsmParameter {
						n++
						if r.Inputs["value"] != "[secret]" {
							t.Errorf("%s value = %v, want [secret]", r.Name, r.Inputs["value"])
						}
					}
				}
				if n == 0 {
					t.Errorf("no SSM parameter in the %s plan", stack)
				}
			})
		}
	}
}

// Config variants the rules must also accept: each builds what --check requires.
func TestPlanCheckPassesOnConfigVariants(t *testing.T) {
	for _, tc := range []struct{ name, stack, extra string }{
		{"prod on MySQL (require_secure_transport)", "prod", "  rails-infra:dbEngine: mysql\n"},
		{"dev with a domain (HTTP must then redirect)", "dev", "  rails-infra:domainName: dev.example.co.jp\n  rails-infra:hostedZoneName: example.co.jp\n"},
	} {
		t.Run(tc.name+" passes --check", func(t *testing.T) {
			base, err := os.ReadFile("Pulumi." + tc.stack + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "variant.yaml")
			if err := os.WriteFile(file, append(base, tc.extra...), 0o644); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runPlan(t, "plan", tc.stack, "--config-file", file, "--check")
			if code != plan.ExitOK {
				t.Fatalf("exit %d, want 0; stderr:\n%s\n%s", code, stderr, stdout)
			}
			if !strings.Contains(stdout, fmt.Sprintf("%d rule(s), 0 violation(s)", len(plan.Rules))) {
				t.Errorf("text lacks the clean policy summary:\n%s", stdout)
			}
		})
	}
}

// The plan shows what watches the stack in every format, prices it, and its --check passes on
// both stacks once the web service runs (alarms on the service and the database).
func TestPlanShowsMonitoring(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		code, text, stderr := runPlan(t, "plan", stack)
		if code != plan.ExitOK {
			t.Fatalf("%s: exit %d\n%s", stack, code, stderr)
		}
		for _, want := range []string{"sns Topic alarms: encrypted with a customer managed KMS key", "cloudwatch Dashboard dashboard",
			"budgets Budget", "monitoring: 11 alarm(s)", "CloudWatch alarms ×11", "CloudWatch dashboard ×1", "KMS key ×1", "AWS Budgets budget ×1",
			"cost budget: $", "dashboardUrl = https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home", "alarmTopicArn = arn:aws:sns:ap-northeast-1:"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s text lacks %q", stack, want)
			}
		}
		_, mermaid, _ := runPlan(t, "plan", stack, "--format", "mermaid")
		for _, want := range []string{"SNS alarm topic", "CloudWatch alarms ×11", "CloudWatch dashboard", "AWS Budgets"} {
			if !strings.Contains(mermaid, want) {
				t.Errorf("%s diagram lacks %q", stack, want)
			}
		}
	}
	t.Run("with an image both stacks check clean with alarms on the service and the database", func(t *testing.T) {
		for _, stack := range []string{"dev", "prod"} {
			b, err := os.ReadFile("Pulumi." + stack + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "Pulumi."+stack+".yaml")
			body := strings.Replace(string(b), "config:\n", "config:\n  rails-infra:imageTag: v1.0.0\n", 1)
			if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, stderr := runPlan(t, "plan", stack, "--config-file", file, "--check")
			if code != plan.ExitOK {
				t.Errorf("%s with an image: exit %d\n%s\n%s", stack, code, stderr, out)
			}
			if !strings.Contains(out, "monitoring: 11 alarm(s)") || !strings.Contains(out, "1 failed-deployment rule(s)") {
				t.Errorf("%s with an image: want 11 alarms and the deployment rule in the summary", stack)
			}
		}
	})
}
