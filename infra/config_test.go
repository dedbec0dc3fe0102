package infra

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

func parse(t *testing.T, stack string, values map[string]string, secret ...string) (*Config, error) {
	t.Helper()
	v := map[string]string{"aws:region": "ap-northeast-1"}
	for k, x := range values {
		v[k] = x
	}
	return Parse(MapSource{Values: withProdDomain(stack, v), SecretKeys: secret}, Namespace, stack)
}

func TestNetworkDefaultsFollowTheEnvironment(t *testing.T) {
	cases := []struct {
		name      string
		stack     string
		values    map[string]string
		env       Environment
		nat       NatStrategy
		retention int
	}{
		{"a dev stack shares one NAT gateway", "dev", nil, EnvDev, NatSingle, 14},
		{"a stack named prod is prod with a NAT per AZ", "prod", nil, EnvProd, NatOnePerAz, 90},
		{"a stack named production is prod too", "production", nil, EnvProd, NatOnePerAz, 90},
		{"environment prod on any stack name gets prod defaults", "live", map[string]string{"rails-infra:environment": "prod"}, EnvProd, NatOnePerAz, 90},
		{"explicit values win over environment defaults", "prod", map[string]string{"rails-infra:natGateways": "Single", "rails-infra:flowLogRetentionDays": "30"}, EnvProd, NatSingle, 30},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parse(t, tc.stack, tc.values)
			if err != nil {
				t.Fatal(err)
			}
			if c.Environment != tc.env || c.Network.NatGateways != tc.nat || c.Network.FlowLogRetentionDays != tc.retention {
				t.Errorf("got env=%s nat=%s retention=%d, want env=%s nat=%s retention=%d",
					c.Environment, c.Network.NatGateways, c.Network.FlowLogRetentionDays, tc.env, tc.nat, tc.retention)
			}
			if c.Network.VpcCidr != DefaultVpcCidr && tc.values["rails-infra:vpcCidr"] == "" {
				t.Errorf("vpcCidr = %s, want default %s", c.Network.VpcCidr, DefaultVpcCidr)
			}
		})
	}
}

func TestNoNatIsAcceptedWithEndpoints(t *testing.T) {
	c, err := parse(t, "dev", map[string]string{"rails-infra:natGateways": "None", "rails-infra:vpcEndpoints": "true"})
	if err != nil {
		t.Fatalf("None + vpcEndpoints should be valid: %v", err)
	}
	if c.Network.NatGateways != NatNone || !c.Network.VpcEndpoints {
		t.Errorf("got nat=%s endpoints=%v", c.Network.NatGateways, c.Network.VpcEndpoints)
	}
}

func TestProblemsNameKeyValueAndFix(t *testing.T) {
	_, err := parse(t, "dev", map[string]string{"rails-infra:vpcCidr": "10.0.0.5/16"})
	var cerr *ConfigError
	if !errors.As(err, &cerr) || len(cerr.Problems) != 1 {
		t.Fatalf("err = %v, want exactly one problem", err)
	}
	got := cerr.Problems[0].String()
	for _, want := range []string{"rails-infra:vpcCidr", `"10.0.0.5/16"`, "10.0.0.0/16", "Fix: pulumi config set vpcCidr 10.0.0.0/16"} {
		if !strings.Contains(got, want) {
			t.Errorf("problem %q does not contain %q", got, want)
		}
	}
	if !strings.Contains(err.Error(), "nothing was created") {
		t.Errorf("error %q should say nothing was created", err)
	}
}

func TestSecretValuesNeverAppearInProblems(t *testing.T) {
	// A misspelled key set as a secret: the problem must not echo its value.
	_, err := parse(t, "dev", map[string]string{"rails-infra:secretKeyBse": "hunter2-very-secret"}, "rails-infra:secretKeyBse")
	if err == nil {
		t.Fatal("want an unknown-key problem")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("secret value leaked into %q", err)
	}
	if !strings.Contains(err.Error(), "[secret]") {
		t.Errorf("problem should show [secret] in place of the value: %q", err)
	}
}

func TestUnknownKeysSuggestTheClosestKnownKey(t *testing.T) {
	cases := map[string]string{
		"rails-infra:vpcCIDR":           "vpcCidr",
		"rails-infra:natGateway":        "natGateways",
		"rails-infra:availabilityZone":  "availabilityZones",
		"rails-infra:flowLogRetention":  "",
		"rails-infra:completelyUnknown": "",
	}
	for key, want := range cases {
		t.Run(fmt.Sprintf("%s suggests %q", key, want), func(t *testing.T) {
			_, err := parse(t, "dev", map[string]string{key: "x"})
			var cerr *ConfigError
			if !errors.As(err, &cerr) {
				t.Fatalf("err = %v, want ConfigError", err)
			}
			msg := cerr.Problems[len(cerr.Problems)-1].String()
			if !strings.Contains(msg, key) {
				t.Errorf("problem %q does not name %s", msg, key)
			}
			if want != "" && !strings.Contains(msg, fmt.Sprintf("Did you mean %q", want)) {
				t.Errorf("problem %q should suggest %q", msg, want)
			}
		})
	}
}

func TestKeysOfOtherNamespacesAreNotRejected(t *testing.T) {
	if _, err := parse(t, "dev", map[string]string{"aws:defaultTags": `{"tags":{"a":"b"}}`, "aws:profile": "x"}); err != nil {
		t.Errorf("provider keys must pass through: %v", err)
	}
}

// TestPulumiYamlDeclaresEveryKey keeps Pulumi.yaml, the CLI's type check, honest: every
// key the program reads is declared with a type and description, nothing else is, and a
// declared default equals the Go default in every environment.
func TestPulumiYamlDeclaresEveryKey(t *testing.T) {
	proj, err := workspace.LoadProject("../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]workspace.ProjectConfigType{}
	for k, v := range proj.Config {
		declared[k] = v
	}
	known := KnownKeys()
	for _, k := range known {
		if _, ok := declared[k]; !ok {
			t.Errorf("Pulumi.yaml does not declare %s, which the program reads", k)
		}
	}
	dev, prod := Defaults(EnvDev), Defaults(EnvProd)
	for k, decl := range declared {
		if !slices.Contains(known, k) {
			t.Errorf("Pulumi.yaml declares %s, which the program never reads", k)
			continue
		}
		if decl.Type == nil || decl.Description == "" {
			t.Errorf("Pulumi.yaml %s: needs a type and a description", k)
		}
		if decl.Default != nil {
			want := yamlText(decl.Default)
			if dev[k] != want || prod[k] != want {
				t.Errorf("Pulumi.yaml default of %s = %s, but Go defaults are dev=%s prod=%s", k, want, dev[k], prod[k])
			}
			continue
		}
		// No declared default is right only when the Go default depends on the environment or
		// on another key, and then the description must say how.
		if d, ok := dev[k]; ok && d != "" && d != "[]" && !strings.Contains(decl.Description, "Default:") {
			t.Errorf("%s has Go default dev=%q prod=%q but Pulumi.yaml neither declares it nor explains it with \"Default: ...\"", k, d, prod[k])
		}
	}
}

func yamlText(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmt.Sprintf("%q", e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	default:
		return fmt.Sprint(x)
	}
}

func TestEnumFixSuggestsAValueThatWorks(t *testing.T) {
	cases := []struct {
		name, stack, key, value, fix string
	}{
		{"a wrongly cased NAT strategy is fixed to its proper case", "dev", "natGateways", "oneperaz", "pulumi config set natGateways OnePerAz"},
		{"an unknown NAT strategy on dev suggests the dev default, not None", "dev", "natGateways", "Multiple", "pulumi config set natGateways Single"},
		{"an unknown NAT strategy on prod suggests the prod default", "prod", "natGateways", "Two", "pulumi config set natGateways OnePerAz"},
		{"an unknown engine suggests postgres", "dev", "dbEngine", "aurora", "pulumi config set dbEngine postgres"},
		{"a capitalised environment is fixed to its proper case", "staging", "environment", "Prod", "pulumi config set environment prod"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.stack, map[string]string{qualify(tc.key): tc.value})
			var cerr *ConfigError
			if !errors.As(err, &cerr) {
				t.Fatalf("err = %v, want *ConfigError", err)
			}
			for _, p := range cerr.Problems {
				if p.Key == qualify(tc.key) {
					if p.Fix != tc.fix {
						t.Errorf("%s = %q: Fix = %q, want %q", tc.key, tc.value, p.Fix, tc.fix)
					}
					return
				}
			}
			t.Errorf("no problem names %s; got:\n%v", tc.key, cerr)
		})
	}
}
