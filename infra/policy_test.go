package infra

import (
	"errors"
	"strings"
	"testing"
)

func TestPolicyWaivers(t *testing.T) {
	t.Run("waivers for known rules with reasons are read as given", func(t *testing.T) {
		c, err := parseConfig(t, "dev", map[string]string{qualify("policyWaivers"): `{"log-retention":"kept by law","sg-open-ingress":"public site"}`})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Policy.Waivers; len(got) != 2 || got["log-retention"] != "kept by law" || got["sg-open-ingress"] != "public site" {
			t.Errorf("Waivers = %v, want both waivers with their reasons", got)
		}
	})
	t.Run("no waivers by default", func(t *testing.T) {
		c, err := parseConfig(t, "dev", nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Policy.Waivers) != 0 {
			t.Errorf("Waivers = %v, want none", c.Policy.Waivers)
		}
	})
}

func TestPolicyWaiverProblems(t *testing.T) {
	for _, tc := range []struct {
		name, waivers, value, reason, fix string
	}{
		{"an unknown rule id", `{"no-such-rule":"because"}`, "no-such-rule",
			`"no-such-rule" is not a policy rule id; known ids: alarm-destination, alb-access-logs, alb-drop-invalid-headers, `, "pulumi config rm --path 'policyWaivers.no-such-rule'"},
		{"a waiver without a reason", `{"log-retention":""}`, "log-retention",
			`the waiver for "log-retention" has no reason`, `pulumi config set --path 'policyWaivers.log-retention' "<reason>"`},
		{"a waiver with a blank reason", `{"sg-open-ingress":"  "}`, "sg-open-ingress",
			`the waiver for "sg-open-ingress" has no reason`, `pulumi config set --path 'policyWaivers.sg-open-ingress' "<reason>"`},
	} {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			_, err := parseConfig(t, "dev", map[string]string{qualify("policyWaivers"): tc.waivers})
			var cerr *ConfigError
			if !errors.As(err, &cerr) || len(cerr.Problems) != 1 {
				t.Fatalf("err = %v, want one problem", err)
			}
			p := cerr.Problems[0]
			if p.Key != qualify("policyWaivers") || p.Value != tc.value || !strings.Contains(p.Reason, tc.reason) || p.Fix != tc.fix {
				t.Errorf("got %s\nwant policyWaivers = %q: ...%s... Fix: %s", p, tc.value, tc.reason, tc.fix)
			}
		})
	}
	t.Run("a Go caller reads the problem in field names", func(t *testing.T) {
		err := argsError("PolicyArgs", (&PolicyArgs{Waivers: map[string]string{"rds-public": "demo"}}).problems())
		if err == nil || !strings.Contains(err.Error(), `PolicyArgs.Waivers = "rds-public"`) || !strings.Contains(err.Error(), "unset PolicyArgs.Waivers.rds-public") {
			t.Errorf("err = %v, want PolicyArgs.Waivers named with the entry to unset", err)
		}
	})
}
