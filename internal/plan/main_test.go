package plan

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/mockengine"
)

// knownSecret is a plain-text value the test stack marks secret; it must never be printed.
const knownSecret = "s3cr3t-known-plain-value-0451"

// testProgram stands in for main.go's composition: it turns a plain config value into a secret
// (as a component does with a --secret key), stores it in SSM, logs to a group whose retention
// comes from config, and exports the secret.
func testProgram(ctx *pulumi.Context, export mockengine.ExportFunc) error {
	token := pulumi.ToSecret(pulumi.String(config.Get(ctx, "app:token"))).(pulumi.StringOutput)
	if _, err := ssm.NewParameter(ctx, "token", &ssm.ParameterArgs{
		Type: pulumi.String("SecureString"), Value: token, Description: token,
	}); err != nil {
		return err
	}
	if _, err := cloudwatch.NewLogGroup(ctx, "app", &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(config.GetInt(ctx, "app:retention")),
	}); err != nil {
		return err
	}
	export("token", token)
	export("plain", pulumi.String("visible"))
	return nil
}

// project writes a temp project with Pulumi.yaml (the real one, so key declarations apply) and
// a stack file, and returns its directory.
func project(t *testing.T, stack, stackYAML string) string {
	t.Helper()
	dir := t.TempDir()
	pj, err := os.ReadFile(filepath.Join("..", "..", "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), pj, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Pulumi."+stack+".yaml"), []byte(stackYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const testStack = `config:
  aws:region: us-east-1
  app:token: ` + knownSecret + `
  app:retention: 14
  rails-infra:apiKey:
    secure: AAABAMZ4dW1teS1jaXBoZXJ0ZXh0LW5vdC1kZWNyeXB0YWJsZQ==
`

func run(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, &out, &errb, dir, testProgram)
	return code, out.String(), errb.String()
}

func TestSecretsAreNeverPrinted(t *testing.T) {
	// rails-infra:apiKey is not a program key, so the stack uses another namespace for it.
	dir := project(t, "dev", strings.Replace(testStack, "rails-infra:apiKey", "app:apiKey", 1))
	for _, format := range Formats {
		t.Run(format+" output holds no secret value", func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "plan."+format)
			code, stdout, stderr := run(t, dir, "plan", "dev", "--format", format, "--out", out, "--check")
			if code != ExitOK {
				t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
			}
			body, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			all := string(body) + stdout + stderr
			for _, secret := range []string{knownSecret, mockengine.SecretPlaceholder} {
				if strings.Contains(all, secret) {
					t.Errorf("%s output contains the secret value %q", format, secret)
				}
			}
			if format == "json" && !strings.Contains(string(body), `"[secret]"`) {
				t.Errorf("json output has no [secret] marker for the secret input/output")
			}
			if format == "text" && !strings.Contains(string(body), "1 secret(s) set but hidden: app:apiKey") {
				t.Errorf("text output does not say the encrypted secret is hidden:\n%s", body)
			}
		})
	}
}

func TestJSONShape(t *testing.T) {
	dir := project(t, "dev", strings.Replace(testStack, "rails-infra:apiKey", "app:apiKey", 1))
	code, stdout, stderr := run(t, dir, "--format=json", "plan", "dev")
	if code != ExitOK {
		t.Fatalf("exit %d; stderr %s", code, stderr)
	}
	var doc struct {
		Project, Stack string
		Resources      []struct {
			URN, Type, Name, Parent string
			Custom, Protect         bool
			DependsOn               []string
			Inputs                  map[string]any
		}
		Outputs      map[string]any
		Placeholders []string
		Estimates    struct {
			Rollout []any
			Cost    Cost
		}
		Violations *[]Violation
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if doc.Project != "rails-infra" || doc.Stack != "dev" {
		t.Errorf("project/stack = %q/%q", doc.Project, doc.Stack)
	}
	// Independent resources come in URN order (the SDK registers them concurrently).
	if len(doc.Resources) != 2 || doc.Resources[0].Type != awstype.CloudWatchLogGroup || doc.Resources[1].Type != awstype.SsmParameter {
		t.Fatalf("resources not in stable order: %+v", doc.Resources)
	}
	if v := doc.Resources[1].Inputs["value"]; v != "[secret]" {
		t.Errorf("ssm value input = %v, want [secret]", v)
	}
	if doc.Outputs["token"] != "[secret]" || doc.Outputs["plain"] != "visible" {
		t.Errorf("outputs = %v, want token [secret] and plain visible", doc.Outputs)
	}
	if len(doc.Placeholders) != 1 || doc.Placeholders[0] != "app:apiKey" {
		t.Errorf("placeholders = %v, want [app:apiKey]", doc.Placeholders)
	}
	if doc.Estimates.Cost.Region != "us-east-1" || doc.Estimates.Cost.Currency != "USD" {
		t.Errorf("cost = %+v", doc.Estimates.Cost)
	}
	if doc.Violations != nil {
		t.Errorf("violations present without --check")
	}
	code2, stdout2, _ := run(t, dir, "plan", "--format", "json", "dev")
	if code2 != ExitOK || stdout2 != stdout {
		t.Errorf("two runs differ: the JSON is not stable")
	}
}

func TestExitCodes(t *testing.T) {
	good := strings.Replace(testStack, "rails-infra:apiKey", "app:apiKey", 1)
	dir := project(t, "dev", good)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	badCfg := "config:\n  aws:region: tokyo\n  rails-infra:vpcCidr: 10.0.0.0/8\n  rails-infra:policyWaivers:\n    no-such-rule: because\n"
	if err := os.WriteFile(bad, []byte(badCfg), 0o644); err != nil {
		t.Fatal(err)
	}
	violating := filepath.Join(t.TempDir(), "violating.yaml")
	if err := os.WriteFile(violating, []byte(strings.Replace(good, "app:retention: 14", "app:retention: 0", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	waived := filepath.Join(t.TempDir(), "waived.yaml")
	if err := os.WriteFile(waived, []byte(strings.Replace(good, "app:retention: 14", "app:retention: 0", 1)+
		"  rails-infra:policyWaivers:\n    log-retention: audit logs are kept forever by law\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		args     []string
		want     int
		inStderr []string
	}{
		{"a good stack exits 0", []string{"plan", "dev"}, ExitOK, nil},
		{"flags before the stack work", []string{"plan", "--check", "--format", "text", "dev"}, ExitOK, nil},
		{"bad config exits 1 with one line per problem", []string{"plan", "dev", "--config-file", bad}, ExitConfig,
			[]string{"aws:region = \"tokyo\"", "rails-infra:vpcCidr = \"10.0.0.0/8\"", "rails-infra:policyWaivers = \"no-such-rule\""}},
		{"no arguments after plan is a usage error", []string{"plan"}, ExitUsage, []string{"missing <stack>"}},
		{"an unknown command is a usage error", []string{"deploy", "dev"}, ExitUsage, []string{"unknown command"}},
		{"an unknown format is a usage error", []string{"plan", "dev", "--format", "yaml"}, ExitUsage, []string{"unknown format"}},
		{"an unknown flag is a usage error", []string{"plan", "dev", "--fast"}, ExitUsage, []string{"unknown flag"}},
		{"a flag without its value is a usage error", []string{"plan", "dev", "--out"}, ExitUsage, []string{"needs a value"}},
		{"two stacks are a usage error", []string{"plan", "dev", "prod"}, ExitUsage, []string{"one stack expected"}},
		{"a stack without a file is a usage error", []string{"plan", "staging"}, ExitUsage, []string{"Pulumi.staging.yaml", "stacks: dev"}},
		{"a missing config file is a usage error", []string{"plan", "dev", "--config-file", "/nonexistent.yaml"}, ExitUsage, []string{"--config-file"}},
		{"a violation under --check exits 3", []string{"plan", "dev", "--config-file", violating, "--check", "--format", "dot"}, ExitViolations,
			[]string{"log-retention: cloudwatch LogGroup app", "Fix:"}},
		{"a violation without --check exits 0", []string{"plan", "dev", "--config-file", violating}, ExitOK, nil},
		{"a waived violation exits 0 and shows the reason", []string{"plan", "dev", "--config-file", waived, "--check", "--format", "mermaid"}, ExitOK,
			[]string{"WAIVED log-retention", "kept forever by law"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, dir, tc.args...)
			if code != tc.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.want, stderr)
			}
			for _, s := range tc.inStderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			if tc.want == ExitConfig {
				lines := strings.Split(strings.TrimSpace(stderr), "\n")
				if len(lines) != len(tc.inStderr) {
					t.Errorf("stderr has %d lines, want one per problem (%d):\n%s", len(lines), len(tc.inStderr), stderr)
				}
			}
		})
	}
}

func TestCheckTextListsViolations(t *testing.T) {
	good := strings.Replace(testStack, "rails-infra:apiKey", "app:apiKey", 1)
	dir := project(t, "dev", strings.Replace(good, "app:retention: 14", "app:retention: 0", 1))
	code, stdout, _ := run(t, dir, "plan", "dev", "--check")
	if code != ExitViolations {
		t.Fatalf("exit %d, want 3", code)
	}
	for _, want := range []string{"Policy check", "log-retention: cloudwatch LogGroup app: retentionInDays is not set", "Fix: set retentionInDays", "urn:pulumi:dev::rails-infra::aws:cloudwatch/logGroup:LogGroup::app"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("text lacks %q:\n%s", want, stdout)
		}
	}
}

func TestSVGIsValid(t *testing.T) {
	for name, g := range map[string]*Graph{"a full stack": compliantStack("prod"), "an empty stack": graphOf("dev")} {
		t.Run("the svg of "+name+" parses as XML with an svg root", func(t *testing.T) {
			svg, err := SVG(g)
			if err != nil {
				t.Fatal(err)
			}
			dec := xml.NewDecoder(bytes.NewReader(svg))
			dec.Strict = true
			root := ""
			for {
				tok, err := dec.Token()
				if err != nil {
					if err.Error() != "EOF" {
						t.Fatalf("invalid XML: %v", err)
					}
					break
				}
				if se, ok := tok.(xml.StartElement); ok && root == "" {
					root = se.Name.Local
				}
			}
			if root != "svg" {
				t.Errorf("root element = %q, want svg", root)
			}
		})
	}
}

func TestDiagramFollowsTheGraph(t *testing.T) {
	full := compliantStack("prod")
	dot, mmd := Dot(full), Mermaid(full)
	for _, want := range []string{"internet -> alb0", "alb0 -> svc0", "svc0 -> db0", "svc0 -> cache0", "svc0 -> s3", "svc0 -> ecr", "svc0 -> ssm", "svc0 -> logs", "dns -> alb0", "acm -> alb0", "cluster_public", "cluster_private"} {
		if !strings.Contains(dot, want) {
			t.Errorf("dot lacks %q:\n%s", want, dot)
		}
	}
	for _, want := range []string{"flowchart LR", "subgraph public", "subgraph private", "svc0 -->", "db0["} {
		if !strings.Contains(mmd, want) {
			t.Errorf("mermaid lacks %q:\n%s", want, mmd)
		}
	}
	// A network-only stack has no ALB or service node: the diagram is derived, not fixed.
	netOnly := graphOf("dev", full.Resources[0], full.Resources[1], full.Resources[2], full.Resources[3])
	if d := Dot(netOnly); strings.Contains(d, "alb0") || strings.Contains(d, "svc0") || !strings.Contains(d, "nat ->") {
		t.Errorf("network-only diagram should have NAT but no ALB/service:\n%s", d)
	}
}
