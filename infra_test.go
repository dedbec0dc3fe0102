package main

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/infra"
	"github.com/rails-infra/rails-infra/internal/mockengine"
)

// runDeploy runs the exact program `pulumi up` runs, on the recording engine.
func runDeploy(opts mockengine.Options) (*mockengine.Result, error) {
	return mockengine.Run(opts, func(ctx *pulumi.Context, export mockengine.ExportFunc) error {
		return deploy(ctx, exporter(export))
	})
}

func loadStack(t testing.TB, stack string) *mockengine.StackConfig {
	t.Helper()
	sc, err := mockengine.LoadStackConfig(".", stack, "")
	if err != nil {
		t.Fatalf("loading stack %s: %v", stack, err)
	}
	return sc
}

// runStack runs a committed stack file, with optional overrides (key -> value; "" deletes).
func runStack(t testing.TB, stack string, overrides map[string]string) (*mockengine.Result, error) {
	t.Helper()
	sc := loadStack(t, stack)
	opts := sc.Options(stack)
	opts.Config = maps.Clone(opts.Config)
	for k, v := range overrides {
		if v == "" {
			delete(opts.Config, k)
		} else {
			opts.Config[k] = v
		}
	}
	return runDeploy(opts)
}

// stackExpectations is what each committed stack must build. A new stack file without
// an entry here fails the test, so every environment is covered.
var stackExpectations = map[string]struct {
	env      infra.Environment
	nat      string
	azs      float64
	cidr     string
	flowDays float64
}{
	"dev":  {env: infra.EnvDev, nat: "Single", azs: 2, cidr: "10.0.0.0/16", flowDays: 14},
	"prod": {env: infra.EnvProd, nat: "OnePerAz", azs: 2, cidr: "10.1.0.0/16", flowDays: 90},
}

func TestEveryStackFileRunsUnderMocks(t *testing.T) {
	stacks, err := mockengine.StackNames(".")
	if err != nil || len(stacks) == 0 {
		t.Fatalf("no Pulumi.<stack>.yaml found: %v", err)
	}
	for _, stack := range stacks {
		t.Run(stack+" stack builds its network as configured", func(t *testing.T) {
			want, ok := stackExpectations[stack]
			if !ok {
				t.Fatalf("Pulumi.%s.yaml has no entry in stackExpectations; add what it must build", stack)
			}
			res, err := runStack(t, stack, nil)
			if err != nil {
				t.Fatalf("program failed: %v", err)
			}
			if got := res.Exports["environment"].Value; got != string(want.env) {
				t.Errorf("environment output = %v, want %v", got, want.env)
			}
			vpcs := res.OfType("awsx:ec2:Vpc")
			if len(vpcs) != 1 {
				t.Fatalf("awsx:ec2:Vpc count = %d, want 1", len(vpcs))
			}
			vpc := vpcs[0]
			nat, _ := vpc.Input("natGateways").(map[string]any)
			if nat["strategy"] != want.nat {
				t.Errorf("%s natGateways.strategy = %v, want %s", vpc.Name, nat["strategy"], want.nat)
			}
			if got := vpc.Input("numberOfAvailabilityZones"); got != want.azs {
				t.Errorf("%s numberOfAvailabilityZones = %v, want %v", vpc.Name, got, want.azs)
			}
			if got := vpc.Input("cidrBlock"); got != want.cidr {
				t.Errorf("%s cidrBlock = %v, want %v", vpc.Name, got, want.cidr)
			}
			flows := res.OfType("aws:ec2/flowLog:FlowLog")
			if len(flows) != 1 || flows[0].Input("trafficType") != "ALL" {
				t.Errorf("want exactly one flow log with trafficType ALL, got %d", len(flows))
			}
			groups := res.OfType("aws:cloudwatch/logGroup:LogGroup")
			if len(groups) == 0 || groups[0].Input("retentionInDays") != want.flowDays {
				t.Errorf("flow log group retention: want %v days", want.flowDays)
			}
			sgs := res.OfType("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
			if len(sgs) != 1 {
				t.Fatalf("default security group count = %d, want 1", len(sgs))
			}
			for _, k := range []string{"ingress", "egress"} {
				if v, ok := sgs[0].Input(k).([]any); ok && len(v) > 0 {
					t.Errorf("default security group has %s rules %v, want none", k, v)
				}
			}
			if ids, _ := res.Exports["privateSubnetIds"].Value.([]any); len(ids) != int(want.azs) {
				t.Errorf("privateSubnetIds output = %v, want %v subnets", ids, want.azs)
			}
		})
	}
}

func TestStackFilesUseOnlyDeclaredKeys(t *testing.T) {
	known := map[string]bool{}
	for _, k := range infra.KnownKeys() {
		known[k] = true
	}
	stacks, _ := mockengine.StackNames(".")
	for _, stack := range stacks {
		for k := range loadStack(t, stack).Values {
			short, ok := strings.CutPrefix(k, infra.Namespace+":")
			if ok && !known[short] {
				t.Errorf("Pulumi.%s.yaml sets %s, which the program does not read", stack, k)
			}
		}
	}
}

// badConfig cases each break one rule on top of the dev stack file.
var badConfig = []struct {
	name      string
	stack     string // default dev
	overrides map[string]string
	key       string // the key the error must name
	mention   string // text the message must contain
}{
	{"a /8 VPC is too big", "", map[string]string{"rails-infra:vpcCidr": "10.0.0.0/8"}, "rails-infra:vpcCidr", "/16 to /24"},
	{"a /28 VPC is too small", "", map[string]string{"rails-infra:vpcCidr": "10.0.0.0/28"}, "rails-infra:vpcCidr", "/16 to /24"},
	{"a VPC CIDR that is not a CIDR", "", map[string]string{"rails-infra:vpcCidr": "not-a-cidr"}, "rails-infra:vpcCidr", "IPv4 CIDR"},
	{"a VPC CIDR with host bits", "", map[string]string{"rails-infra:vpcCidr": "10.0.0.1/16"}, "rails-infra:vpcCidr", "10.0.0.0/16"},
	{"an IPv6 VPC CIDR", "", map[string]string{"rails-infra:vpcCidr": "2001:db8::/56"}, "rails-infra:vpcCidr", "IPv4"},
	{"a VPC CIDR without prefix", "", map[string]string{"rails-infra:vpcCidr": "10.0.0.0"}, "rails-infra:vpcCidr", "IPv4 CIDR"},
	{"one availability zone", "", map[string]string{"rails-infra:availabilityZones": "1"}, "rails-infra:availabilityZones", "from 2 to 3"},
	{"four availability zones", "", map[string]string{"rails-infra:availabilityZones": "4"}, "rails-infra:availabilityZones", "from 2 to 3"},
	{"availability zones as a word", "", map[string]string{"rails-infra:availabilityZones": "two"}, "rails-infra:availabilityZones", "whole number"},
	{"fractional availability zones", "", map[string]string{"rails-infra:availabilityZones": "2.5"}, "rails-infra:availabilityZones", "whole number"},
	{"a lower-case NAT strategy", "", map[string]string{"rails-infra:natGateways": "single"}, "rails-infra:natGateways", "None | Single | OnePerAz"},
	{"an unknown NAT strategy", "", map[string]string{"rails-infra:natGateways": "Multiple"}, "rails-infra:natGateways", "None | Single | OnePerAz"},
	{"no NAT and no endpoints", "", map[string]string{"rails-infra:natGateways": "None"}, "rails-infra:natGateways", "vpcEndpoints"},
	{"no NAT and endpoints off explicitly", "", map[string]string{"rails-infra:natGateways": "None", "rails-infra:vpcEndpoints": "false"}, "rails-infra:natGateways", "ECR"},
	{"endpoints as yes", "", map[string]string{"rails-infra:vpcEndpoints": "yes"}, "rails-infra:vpcEndpoints", "true or false"},
	{"endpoints as 1", "", map[string]string{"rails-infra:vpcEndpoints": "1"}, "rails-infra:vpcEndpoints", "true or false"},
	{"10-day flow log retention", "", map[string]string{"rails-infra:flowLogRetentionDays": "10"}, "rails-infra:flowLogRetentionDays", "one of 1, 3, 5"},
	{"zero flow log retention", "", map[string]string{"rails-infra:flowLogRetentionDays": "0"}, "rails-infra:flowLogRetentionDays", "3653"},
	{"negative flow log retention", "", map[string]string{"rails-infra:flowLogRetentionDays": "-1"}, "rails-infra:flowLogRetentionDays", "one of"},
	{"flow log retention forever", "", map[string]string{"rails-infra:flowLogRetentionDays": "forever"}, "rails-infra:flowLogRetentionDays", "one of"},
	{"environment spelled out", "", map[string]string{"rails-infra:environment": "production"}, "rails-infra:environment", "dev | prod"},
	{"environment capitalised", "", map[string]string{"rails-infra:environment": "Prod"}, "rails-infra:environment", "dev | prod"},
	{"the prod stack with dev defaults", "prod", map[string]string{"rails-infra:environment": "dev"}, "rails-infra:environment", "looks like production"},
	{"no region", "", map[string]string{"aws:region": ""}, "aws:region", "region"},
	{"a region that is a city", "", map[string]string{"aws:region": "tokyo"}, "aws:region", "not an AWS region"},
	{"a misspelled key", "", map[string]string{"rails-infra:vpcCIDR": "10.0.0.0/16"}, "rails-infra:vpcCIDR", `Did you mean "vpcCidr"`},
	{"an unknown key", "", map[string]string{"rails-infra:webScale": "true"}, "rails-infra:webScale", "not a rails-infra setting"},
	// --- policy ---
	{"a waiver for an unknown rule", "", map[string]string{"rails-infra:policyWaivers": `{"no-such-rule":"because"}`}, "rails-infra:policyWaivers", "known ids: alb-drop-invalid-headers"},
	{"a waiver with a misspelled rule id", "", map[string]string{"rails-infra:policyWaivers": `{"log_retention":"kept by law"}`}, "rails-infra:policyWaivers", "not a policy rule id"},
	{"a waiver without a reason", "", map[string]string{"rails-infra:policyWaivers": `{"log-retention":""}`}, "rails-infra:policyWaivers", "has no reason"},
	{"a waiver with a blank reason", "", map[string]string{"rails-infra:policyWaivers": `{"sg-open-ingress":"   "}`}, "rails-infra:policyWaivers", "has no reason"},
	{"waivers as a list", "", map[string]string{"rails-infra:policyWaivers": `["log-retention"]`}, "rails-infra:policyWaivers", "map of NAME: value"},
	{"a waiver with a nested reason", "", map[string]string{"rails-infra:policyWaivers": `{"log-retention":{"why":"law"}}`}, "rails-infra:policyWaivers", "not a nested value"},
	{"one good and one unknown waiver", "prod", map[string]string{"rails-infra:policyWaivers": `{"log-retention":"kept by law","rds-public":"demo"}`}, "rails-infra:policyWaivers", `"rds-public" is not a policy rule id`},
}

func TestBadConfigFailsBeforeAnyResource(t *testing.T) {
	for _, tc := range badConfig {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			stack := tc.stack
			if stack == "" {
				stack = "dev"
			}
			res, err := runStack(t, stack, tc.overrides)
			var cerr *infra.ConfigError
			if !errors.As(err, &cerr) {
				t.Fatalf("err = %v, want a *infra.ConfigError naming %s", err, tc.key)
			}
			found := false
			for _, p := range cerr.Problems {
				if p.Key == tc.key && strings.Contains(p.String(), tc.mention) && strings.Contains(p.String(), "Fix:") {
					found = true
				}
			}
			if !found {
				t.Errorf("no problem names %s with %q and a fix; got:\n%v", tc.key, tc.mention, cerr)
			}
			if n := len(res.Resources()); n != 0 {
				t.Errorf("%d resources registered before the config error, want 0 (first: %s)", n, res.Resources()[0].URN)
			}
		})
	}
}

func TestAllConfigProblemsAreReportedAtOnce(t *testing.T) {
	_, err := runStack(t, "dev", map[string]string{
		"rails-infra:vpcCidr":              "10.0.0.0/8",
		"rails-infra:availabilityZones":    "9",
		"rails-infra:flowLogRetentionDays": "10",
	})
	var cerr *infra.ConfigError
	if !errors.As(err, &cerr) {
		t.Fatalf("err = %v, want *infra.ConfigError", err)
	}
	keys := map[string]bool{}
	for _, p := range cerr.Problems {
		keys[p.Key] = true
	}
	for _, k := range []string{"rails-infra:vpcCidr", "rails-infra:availabilityZones", "rails-infra:flowLogRetentionDays"} {
		if !keys[k] {
			t.Errorf("problem for %s missing; got %v", k, cerr)
		}
	}
}
