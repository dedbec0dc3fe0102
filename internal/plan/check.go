package plan

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Rule is one policy, expressed once over type tokens and inputs. Check returns one message per
// problem with the resource (empty when it complies).
type Rule struct {
	ID      string
	Types   []string // the types the rule looks at
	Summary string
	Fix     string
	Check   func(g *Graph, r *Resource) []string
}

// Violation is one rule broken by one resource. A waived violation carries the stack's reason.
type Violation struct {
	Rule   string `json:"rule"`
	URN    string `json:"urn"`
	Type   string `json:"type"`
	Name   string `json:"name"`
	Detail string `json:"detail"`
	Fix    string `json:"fix"`
	Waived bool   `json:"waived"`
	Reason string `json:"waiverReason,omitempty"`
}

func (v Violation) String() string {
	s := fmt.Sprintf("%s: %s %s: %s. Fix: %s", v.Rule, shortType(v.Type), v.Name, v.Detail, v.Fix)
	if v.Waived {
		s = "WAIVED " + s + " (waiver: " + v.Reason + ")"
	}
	return s + " [" + v.URN + "]"
}

// Rules are the --check policies. Their ids must equal infra.PolicyRuleIDs (a test checks), so
// a waiver can name only a real rule.
var Rules = []Rule{
	{
		ID: "rds-encrypted", Types: []string{tRDSInstance},
		Summary: "RDS storage is encrypted at rest",
		Fix:     "set storageEncrypted: true on the instance (needs a replacement for an existing one)",
		Check: func(_ *Graph, r *Resource) []string {
			return when(!isTrue(r, "storageEncrypted"), "storageEncrypted is not true")
		},
	},
	{
		ID: "rds-private", Types: []string{tRDSInstance},
		Summary: "RDS is not reachable from the internet",
		Fix:     "set publiclyAccessible: false and keep the DB in private subnets",
		Check: func(_ *Graph, r *Resource) []string {
			return when(isTrue(r, "publiclyAccessible"), "publiclyAccessible is true")
		},
	},
	{
		ID: "rds-managed-password", Types: []string{tRDSInstance},
		Summary: "the master password is generated and kept by RDS in Secrets Manager",
		Fix:     "set manageMasterUserPassword: true and remove password",
		Check: func(_ *Graph, r *Resource) []string {
			var out []string
			if !isTrue(r, "manageMasterUserPassword") {
				out = append(out, "manageMasterUserPassword is not true")
			}
			if r.in("password") != nil {
				out = append(out, "a master password is passed in the program")
			}
			return out
		},
	},
	{
		ID: "rds-prod-retain", Types: []string{tRDSInstance},
		Summary: "prod data survives destroy and replace",
		Fix:     "in prod set deletionProtection: true, skipFinalSnapshot: false with a finalSnapshotIdentifier, and pulumi.Protect(true)",
		Check: func(g *Graph, r *Resource) []string {
			if !g.IsProd() {
				return nil
			}
			var out []string
			if !isTrue(r, "deletionProtection") {
				out = append(out, "deletionProtection is not true")
			}
			if skip, _ := r.flag("skipFinalSnapshot"); skip || r.str("finalSnapshotIdentifier") == "" {
				out = append(out, "no final snapshot (skipFinalSnapshot true or no finalSnapshotIdentifier)")
			}
			if !r.Protect {
				out = append(out, "the resource is not protected")
			}
			return out
		},
	},
	{
		ID: "s3-public-access-block", Types: []string{tBucket, tBucketLegacy, tPublicAccess},
		Summary: "every bucket blocks public access with all four settings",
		Fix:     "add an aws.s3.BucketPublicAccessBlock for the bucket with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true",
		Check: func(g *Graph, r *Resource) []string {
			if r.Type == tPublicAccess {
				var out []string
				for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
					if !isTrue(r, k) {
						out = append(out, k+" is not true")
					}
				}
				return out
			}
			for _, pab := range g.OfType(tPublicAccess) {
				// Without a recorded link (a plain bucket name), any block counts.
				if deps := pab.PropertyDeps["bucket"]; len(deps) == 0 || slices.Contains(deps, r.URN) {
					return nil
				}
			}
			return []string{"no public access block refers to this bucket"}
		},
	},
	{
		ID: "sg-open-ingress", Types: []string{tIngressRule, tSGRule, tSecurityGroup},
		Summary: "only the load balancer accepts traffic from anywhere, and only on 80/443",
		Fix:     "restrict the source to a security group (referencedSecurityGroupId) or a VPC CIDR; open 0.0.0.0/0 only on the ALB's security group, ports 80/443",
		Check:   checkOpenIngress,
	},
	{
		ID: "iam-no-wildcard-action", Types: []string{tRole, tRolePolicy, tPolicy},
		Summary: "IAM policies name their actions (no * wildcards)",
		Fix:     "list the exact actions the code calls (e.g. s3:GetObject), scoped to this stack's ARNs",
		Check:   checkWildcardActions,
	},
	{
		ID: "ecs-no-public-ip", Types: []string{tECSService},
		Summary: "tasks run in private subnets without public IPs",
		Fix:     "set networkConfiguration.assignPublicIp: false and use private subnets (NAT or VPC endpoints for egress)",
		Check: func(_ *Graph, r *Resource) []string {
			return when(isTrue(r, "networkConfiguration", "assignPublicIp"), "networkConfiguration.assignPublicIp is true")
		},
	},
	{
		ID: "task-env-no-secrets", Types: []string{tTaskDefinition},
		Summary: "no secret values in task-definition environment variables",
		Fix:     "move the variable to the container's secrets (valueFrom an SSM SecureString or Secrets Manager ARN)",
		Check:   checkTaskEnv,
	},
	{
		ID: "log-retention", Types: []string{tLogGroup},
		Summary: "log groups expire their logs",
		Fix:     "set retentionInDays (e.g. 14 in dev, 90 in prod)",
		Check: func(_ *Graph, r *Resource) []string {
			n, ok := r.num("retentionInDays")
			return when(!ok || n <= 0, "retentionInDays is not set: logs are kept forever")
		},
	},
	{
		ID: "alb-drop-invalid-headers", Types: []string{tLoadBalancer},
		Summary: "the ALB drops requests with invalid HTTP headers (request smuggling)",
		Fix:     "set dropInvalidHeaderFields: true on the load balancer",
		Check: func(_ *Graph, r *Resource) []string {
			if t := r.str("loadBalancerType"); t != "" && t != "application" {
				return nil
			}
			return when(!isTrue(r, "dropInvalidHeaderFields"), "dropInvalidHeaderFields is not true")
		},
	},
	{
		ID: "https-tls13", Types: []string{tListener},
		Summary: "HTTPS listeners use a TLS 1.3 security policy",
		Fix:     "set sslPolicy: ELBSecurityPolicy-TLS13-1-2-2021-06 (or another ELBSecurityPolicy-TLS13-* policy)",
		Check: func(_ *Graph, r *Resource) []string {
			if r.str("protocol") != "HTTPS" {
				return nil
			}
			p := r.str("sslPolicy")
			return when(!strings.HasPrefix(p, "ELBSecurityPolicy-TLS13-"), fmt.Sprintf("sslPolicy is %q", p))
		},
	},
	{
		ID: "default-sg-locked", Types: []string{tDefaultSG, tVpc},
		Summary: "each VPC's default security group has no rules",
		Fix:     "adopt the default security group with aws.ec2.DefaultSecurityGroup and no ingress/egress",
		Check: func(g *Graph, r *Resource) []string {
			if r.Type == tVpc {
				return when(len(g.OfType(tDefaultSG)) == 0, "the VPC's default security group is not adopted, so it keeps its allow-all rules")
			}
			var out []string
			for _, k := range []string{"ingress", "egress"} {
				if len(r.list(k)) > 0 {
					out = append(out, k+" rules are present")
				}
			}
			return out
		},
	},
	{
		ID: "ssm-secure-string", Types: []string{tSSMParameter},
		Summary: "SSM parameters holding secrets are SecureString",
		Fix:     "set type: SecureString on the parameter",
		Check: func(_ *Graph, r *Resource) []string {
			secretish := r.isSecret("value") || secretName.MatchString(lastSegment(r.str("name"))) || secretName.MatchString(r.Name)
			return when(secretish && r.str("type") != "SecureString", fmt.Sprintf("type is %q for a secret value", r.str("type")))
		},
	},
}

// secretName matches variable names that hold credentials. Names of references (…_ARN, …_NAME,
// …_ID, …_PATH) are not secrets themselves.
var (
	secretName    = regexp.MustCompile(`(?i)(secret|password|passwd|token|private_?key|api_?key|access_?key|master_?key|credential)`)
	referenceName = regexp.MustCompile(`(?i)(_arn|_name|_id|_path|_file)$`)
)

func lastSegment(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		return s[i+1:]
	}
	return s
}

func when(cond bool, msg string) []string {
	if cond {
		return []string{msg}
	}
	return nil
}

func isTrue(r *Resource, path ...string) bool {
	v, ok := r.flag(path...)
	return ok && v
}

// Check runs every rule over the graph. Violations come in rule order, then registration order.
func Check(g *Graph) []Violation {
	var out []Violation
	for _, rule := range Rules {
		for _, r := range g.OfType(rule.Types...) {
			for _, msg := range rule.Check(g, r) {
				v := Violation{Rule: rule.ID, URN: r.URN, Type: r.Type, Name: r.Name, Detail: msg, Fix: rule.Fix}
				if reason, ok := g.Waivers[rule.ID]; ok {
					v.Waived, v.Reason = true, reason
				}
				out = append(out, v)
			}
		}
	}
	return out
}

// RuleIDs lists the rule ids, sorted.
func RuleIDs() []string {
	ids := make([]string, len(Rules))
	for i, r := range Rules {
		ids[i] = r.ID
	}
	sort.Strings(ids)
	return ids
}

var openCIDRs = []string{"0.0.0.0/0", "::/0"}

// albSecurityGroups are the URNs of security groups attached to load balancers.
func albSecurityGroups(g *Graph) map[string]bool {
	out := map[string]bool{}
	for _, lb := range g.OfType(tLoadBalancer) {
		for _, u := range lb.PropertyDeps["securityGroups"] {
			out[u] = true
		}
	}
	return out
}

func checkOpenIngress(g *Graph, r *Resource) []string {
	type rule struct {
		cidrs    []string
		from, to float64
		sgURNs   []string
	}
	var rules []rule
	switch r.Type {
	case tIngressRule:
		from, _ := r.num("fromPort")
		to, _ := r.num("toPort")
		rules = append(rules, rule{cidrs: []string{r.str("cidrIpv4"), r.str("cidrIpv6")}, from: from, to: to, sgURNs: r.PropertyDeps["securityGroupId"]})
	case tSGRule:
		if r.str("type") != "ingress" {
			return nil
		}
		from, _ := r.num("fromPort")
		to, _ := r.num("toPort")
		rules = append(rules, rule{cidrs: append(strs(r.list("cidrBlocks")), strs(r.list("ipv6CidrBlocks"))...), from: from, to: to, sgURNs: r.PropertyDeps["securityGroupId"]})
	case tSecurityGroup:
		for _, x := range r.list("ingress") {
			m, _ := x.(map[string]any)
			from, _ := toNum(m["fromPort"])
			to, _ := toNum(m["toPort"])
			cidrs, _ := m["cidrBlocks"].([]any)
			v6, _ := m["ipv6CidrBlocks"].([]any)
			rules = append(rules, rule{cidrs: append(strs(cidrs), strs(v6)...), from: from, to: to, sgURNs: []string{r.URN}})
		}
	}
	albSGs := albSecurityGroups(g)
	var out []string
	for _, ru := range rules {
		open := slices.ContainsFunc(ru.cidrs, func(c string) bool { return slices.Contains(openCIDRs, c) })
		if !open {
			continue
		}
		webPort := ru.from == ru.to && (ru.from == 80 || ru.from == 443)
		onALB := slices.ContainsFunc(ru.sgURNs, func(u string) bool { return albSGs[u] })
		// Hand-built graphs carry no property dependencies: then any SG may be the ALB's.
		if len(ru.sgURNs) == 0 && len(g.OfType(tLoadBalancer)) > 0 {
			onALB = true
		}
		switch {
		case !webPort:
			out = append(out, fmt.Sprintf("ports %g-%g are open to the internet", ru.from, ru.to))
		case !onALB:
			out = append(out, fmt.Sprintf("port %g is open to the internet on a security group that is not the load balancer's", ru.from))
		}
	}
	return out
}

func strs(xs []any) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func checkWildcardActions(_ *Graph, r *Resource) []string {
	var docs []any
	switch r.Type {
	case tRole:
		docs = append(docs, r.jsonDoc("assumeRolePolicy"))
		for _, p := range r.list("inlinePolicies") {
			if m, ok := p.(map[string]any); ok {
				if s, ok := m["policy"].(string); ok {
					docs = append(docs, parseJSON(s))
				}
			}
		}
	default:
		docs = append(docs, r.jsonDoc("policy"))
	}
	var out []string
	for _, d := range docs {
		for _, a := range wildcardActions(d) {
			if r.isSecret("policy") || r.isSecret("inlinePolicies") {
				a = secretMarker // never print from a secret document
			}
			out = append(out, fmt.Sprintf("action %q uses a wildcard", a))
		}
	}
	return out
}

// wildcardActions returns the Allow statements' actions that contain "*", and NotAction uses.
func wildcardActions(doc any) []string {
	m, _ := doc.(map[string]any)
	var stmts []any
	switch s := m["Statement"].(type) {
	case []any:
		stmts = s
	case map[string]any:
		stmts = []any{s}
	}
	var out []string
	for _, st := range stmts {
		sm, _ := st.(map[string]any)
		if sm["Effect"] == "Deny" {
			continue
		}
		if sm["NotAction"] != nil {
			out = append(out, "NotAction")
		}
		switch a := sm["Action"].(type) {
		case string:
			if strings.Contains(a, "*") {
				out = append(out, a)
			}
		case []any:
			for _, x := range strs(a) {
				if strings.Contains(x, "*") {
					out = append(out, x)
				}
			}
		}
	}
	return out
}

func checkTaskEnv(_ *Graph, r *Resource) []string {
	var out []string
	if r.isSecret("containerDefinitions") {
		out = append(out, "containerDefinitions contains a secret value (a secret was interpolated into the task definition)")
	}
	defs, _ := r.jsonDoc("containerDefinitions").([]any)
	for _, d := range defs {
		dm, _ := d.(map[string]any)
		env, _ := dm["environment"].([]any)
		for _, e := range env {
			em, _ := e.(map[string]any)
			name, _ := em["name"].(string)
			if secretName.MatchString(name) && !referenceName.MatchString(name) {
				out = append(out, fmt.Sprintf("container %v has environment variable %s, which looks like a secret", dm["name"], name))
			}
		}
	}
	return out
}
