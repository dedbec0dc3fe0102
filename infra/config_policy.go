package infra

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// PolicyRuleIDs are the ids of the offline plan's --check rules (internal/plan/check.go defines
// them; a test there keeps both lists equal). They live here so a waiver for an unknown rule is a
// config problem under `pulumi up` too, not only under `plan`.
var PolicyRuleIDs = []string{
	"alb-drop-invalid-headers",
	"default-sg-locked",
	"ecr-scan-on-push",
	"ecs-exec-enabled",
	"ecs-no-public-ip",
	"http-redirects-https",
	"https-tls13",
	"iam-no-wildcard-action",
	"log-retention",
	"oidc-secret-hidden",
	"rds-encrypted",
	"rds-managed-password",
	"rds-private",
	"rds-prod-retain",
	"rds-tls",
	"s3-public-access-block",
	"s3-tls-only",
	"sg-open-ingress",
	"ssm-secure-string",
	"task-env-no-secrets",
}

// PolicyConfig holds the offline plan's policy waivers.
type PolicyConfig struct {
	// Waivers is policyWaivers: rule id -> why this stack may break the rule. Default none.
	// A waived violation is still shown by `plan --check`, marked waived with the reason.
	Waivers map[string]string
}

func (r *reader) policy(c *Config) {
	const key = "policyWaivers"
	example := `sg-open-ingress "<why this stack may break the rule>"`
	c.Policy.Waivers = r.stringMap(key, example)
	ids := make([]string, 0, len(c.Policy.Waivers))
	for id := range c.Policy.Waivers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if !slices.Contains(PolicyRuleIDs, id) {
			r.fail(key, id, fmt.Sprintf("%q is not a policy rule id; known ids: %s.", id, strings.Join(PolicyRuleIDs, ", ")),
				fmt.Sprintf("pulumi config rm --path '%s.%s'", key, id))
			continue
		}
		if strings.TrimSpace(c.Policy.Waivers[id]) == "" {
			r.fail(key, id, fmt.Sprintf("the waiver for %q has no reason; a waiver must say why the rule does not apply.", id),
				fmt.Sprintf("pulumi config set --path '%s.%s' \"<reason>\"", key, id))
		}
	}
}
