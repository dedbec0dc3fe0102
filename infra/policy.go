package infra

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// PolicyRuleIDs are the ids of the offline plan's --check rules (internal/plan/check.go defines
// them; a test there keeps both lists equal). They live here so a waiver for an unknown rule is a
// config problem under `pulumi up` too, not only under `plan`.
var PolicyRuleIDs = []string{
	"alarm-destination",
	"alb-access-logs",
	"alb-drop-invalid-headers",
	"cache-auth",
	"cache-encrypted",
	"cache-prod-retain",
	"cache-sg-app-only",
	"cache-tls",
	"cost-budget",
	"default-sg-locked",
	"ecr-scan-on-push",
	"ecs-circuit-breaker",
	"ecs-exec-enabled",
	"ecs-no-public-ip",
	"ecs-service-alarms",
	"ecs-task-roles-distinct",
	"http-redirects-https",
	"https-tls13",
	"iam-no-wildcard-action",
	"iam-passrole-scoped",
	"log-retention",
	"oidc-secret-hidden",
	"rds-alarms",
	"rds-encrypted",
	"rds-managed-password",
	"rds-private",
	"rds-prod-retain",
	"rds-tls",
	"s3-public-access-block",
	"s3-tls-only",
	"schedule-dead-letter",
	"sg-open-ingress",
	"sqs-encrypted",
	"ssm-secure-string",
	"task-env-no-secrets",
}

// PolicyArgs are the offline plan's policy settings.
type PolicyArgs struct {
	// Waivers is rule id -> why this stack may break the rule. Default none. Valid ids:
	// PolicyRuleIDs; every reason must be non-blank. A waived violation is still shown by
	// `plan --check`, marked waived with the reason.
	Waivers map[string]string `config:"policyWaivers" example:"sg-open-ingress \"<why this stack may break the rule>\""`
}

// defaults has nothing to fill: no waiver is the default.
func (a *PolicyArgs) defaults() {}

// problems holds every waiver rule: a known rule id and a reason for each.
func (a *PolicyArgs) problems() []FieldProblem {
	var ps problemList
	for _, id := range slices.Sorted(maps.Keys(a.Waivers)) {
		entry := "." + id
		if !slices.Contains(PolicyRuleIDs, id) {
			ps.add("Waivers", id, fmt.Sprintf("%q is not a policy rule id; known ids: %s.", id, strings.Join(PolicyRuleIDs, ", ")),
				Fix{Steps: []FixStep{{Op: FixRemove, Field: "Waivers", Path: entry}}})
			continue
		}
		if strings.TrimSpace(a.Waivers[id]) == "" {
			ps.add("Waivers", id, fmt.Sprintf("the waiver for %q has no reason; a waiver must say why the rule does not apply.", id),
				Fix{Steps: []FixStep{{Op: FixSet, Field: "Waivers", Path: entry, Value: `"<reason>"`}}})
		}
	}
	return ps
}
