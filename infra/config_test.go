package infra

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

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
		{"a stack named prod is prod with a NAT per AZ", "prod", nil, EnvProd, NatOnePerAz, 365},
		{"a stack named production is prod too", "production", nil, EnvProd, NatOnePerAz, 365},
		{"environment prod on any stack name gets prod defaults", "live", map[string]string{"rails-infra:environment": "prod"}, EnvProd, NatOnePerAz, 365},
		{"explicit values win over environment defaults", "prod", map[string]string{"rails-infra:natGateways": "Single", "rails-infra:flowLogRetentionDays": "30"}, EnvProd, NatSingle, 30},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig(t, tc.stack, tc.values)
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
	c, err := parseConfig(t, "dev", map[string]string{"rails-infra:natGateways": "None", "rails-infra:vpcEndpoints": "true"})
	if err != nil {
		t.Fatalf("None + vpcEndpoints should be valid: %v", err)
	}
	if c.Network.NatGateways != NatNone || !c.Network.VpcEndpoints {
		t.Errorf("got nat=%s endpoints=%v", c.Network.NatGateways, c.Network.VpcEndpoints)
	}
}

func TestProblemsNameKeyValueAndFix(t *testing.T) {
	_, err := parseConfig(t, "dev", map[string]string{"rails-infra:vpcCidr": "10.0.0.5/16"})
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
	_, err := parseConfig(t, "dev", map[string]string{"rails-infra:secretKeyBse": "hunter2-very-secret"}, secret("rails-infra:secretKeyBse"))
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
			_, err := parseConfig(t, "dev", map[string]string{key: "x"})
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
	if _, err := parseConfig(t, "dev", map[string]string{"aws:defaultTags": `{"tags":{"a":"b"}}`, "aws:profile": "x"}); err != nil {
		t.Errorf("provider keys must pass through: %v", err)
	}
}

// dependentDefaults are keys whose default follows another key, so no constant in Pulumi.yaml
// can be right for every stack.
var dependentDefaults = map[string]string{
	"dbEngineVersion":       "follows dbEngine",
	"dbMaxAllocatedStorage": "follows dbAllocatedStorage",
	"dbPerformanceInsights": "follows dbInstanceClass and the environment",
	"redisEngineVersion":    "follows redisEngine",
}

// undeclaredLine is one entry of Pulumi.yaml's commented list of optional, undeclared keys.
var undeclaredLine = regexp.MustCompile(`^  # ([a-zA-Z]+) \((string|integer|boolean|object|array of string)(, secret)?\): (.+)$`)

// TestPulumiYamlDeclaresOnlyWhatTheCLICanDefault keeps Pulumi.yaml true to the CLI's two rules:
// a declared key without a default is required, and a declared default is written into every
// stack's config. So exactly the keys with one constant default for every environment, whose
// presence switches nothing on and that are not secret, are declared (typed, default equal to
// Go's); every other key the program reads is listed in the commented block, with its type.
func TestPulumiYamlDeclaresOnlyWhatTheCLICanDefault(t *testing.T) {
	proj, err := workspace.LoadProject("../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		if m := undeclaredLine.FindStringSubmatch(line); m != nil {
			listed[m[1]] = m[4]
		}
	}
	dev, prod := Defaults(EnvDev), Defaults(EnvProd)
	for _, k := range KnownKeys() {
		_, hasDefault := dev[k]
		declarable := hasDefault && dev[k] != "" && dev[k] == prod[k] && dependentDefaults[k] == "" &&
			!slices.Contains(groupKeys(), k)
		decl, declared := proj.Config[k]
		_, inList := listed[k]
		switch {
		case declared && inList:
			t.Errorf("%s is both declared and listed as undeclared in Pulumi.yaml", k)
		case declarable && !declared:
			t.Errorf("%s has one default for every environment (%s): declare it in Pulumi.yaml with type and default", k, dev[k])
		case !declarable && declared:
			t.Errorf("Pulumi.yaml declares %s, but the CLI would then require it or write a default into every stack "+
				"(Go default dev=%q prod=%q%s): list it in the commented block instead", k, dev[k], prod[k], dependentDefaults[k])
		case !declared && !inList:
			t.Errorf("%s is read by the program but neither declared nor listed in Pulumi.yaml", k)
		case declared:
			if decl.Type == nil || decl.Description == "" || decl.Default == nil {
				t.Errorf("Pulumi.yaml %s: needs a type, a default and a description", k)
			} else if want := yamlText(decl.Default); want != dev[k] {
				t.Errorf("Pulumi.yaml default of %s = %s, Go default = %s", k, want, dev[k])
			}
		}
	}
	for k := range proj.Config {
		if !strings.Contains(k, ":") && !slices.Contains(KnownKeys(), k) {
			t.Errorf("Pulumi.yaml declares %s, which the program never reads", k)
		}
	}
	for k := range listed {
		if !slices.Contains(KnownKeys(), k) {
			t.Errorf("Pulumi.yaml lists %s, which the program never reads", k)
		}
	}
}

// groupKeys are the keys of field groups (DomainArgs.OIDC): setting any one switches its group
// on, so a default declared in Pulumi.yaml would switch it on for every stack.
func groupKeys() []string {
	var keys []string
	var c Config
	for _, s := range c.sections() {
		for _, f := range fieldsOf(reflect.TypeOf(s.args).Elem(), "") {
			if f.group != nil {
				keys = append(keys, f.key)
			}
		}
	}
	return keys
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
			_, err := parseConfig(t, tc.stack, map[string]string{qualify(tc.key): tc.value})
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

// Pulumi.yaml gives every stack a region, but a program run without it (another CLI setup,
// a Source without the project's values) must still name the key instead of building ARNs
// with an empty region.
func TestAConfigWithoutARegionNamesTheKey(t *testing.T) {
	_, err := Parse(MapSource{Values: map[string]string{}}, Namespace, "dev")
	var cerr *ConfigError
	if !errors.As(err, &cerr) || !strings.Contains(cerr.Error(), "aws:region") {
		t.Fatalf("err = %v, want a *ConfigError naming aws:region", err)
	}
}
