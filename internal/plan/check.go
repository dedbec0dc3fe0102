package plan

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/rails-infra/rails-infra/infra"

	"github.com/rails-infra/rails-infra/internal/awstype"
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
		ID: "rds-encrypted", Types: []string{awstype.RdsInstance},
		Summary: "RDS storage is encrypted at rest",
		Fix:     "set storageEncrypted: true on the instance (needs a replacement for an existing one)",
		Check: func(_ *Graph, r *Resource) []string {
			return when(!isTrue(r, "storageEncrypted"), "storageEncrypted is not true")
		},
	},
	{
		ID: "rds-private", Types: []string{awstype.RdsInstance},
		Summary: "RDS is not reachable from the internet",
		Fix:     "set publiclyAccessible: false and keep the DB in private subnets",
		Check: func(_ *Graph, r *Resource) []string {
			return when(isTrue(r, "publiclyAccessible"), "publiclyAccessible is true")
		},
	},
	{
		ID: "rds-managed-password", Types: []string{awstype.RdsInstance},
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
		ID: "rds-prod-retain", Types: []string{awstype.RdsInstance},
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
		ID: "s3-public-access-block", Types: []string{awstype.S3BucketV2, awstype.S3Bucket, awstype.S3BucketPublicAccessBlock},
		Summary: "every bucket blocks public access with all four settings",
		Fix:     "add an aws.s3.BucketPublicAccessBlock for the bucket with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true",
		Check: func(g *Graph, r *Resource) []string {
			if r.Type == awstype.S3BucketPublicAccessBlock {
				var out []string
				for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
					if !isTrue(r, k) {
						out = append(out, k+" is not true")
					}
				}
				return out
			}
			for _, pab := range g.OfType(awstype.S3BucketPublicAccessBlock) {
				// Without a recorded link (a plain bucket name), any block counts.
				if deps := pab.PropertyDeps["bucket"]; len(deps) == 0 || slices.Contains(deps, r.URN) {
					return nil
				}
			}
			return []string{"no public access block refers to this bucket"}
		},
	},
	{
		ID: "sg-open-ingress", Types: []string{awstype.VpcSecurityGroupIngressRule, awstype.Ec2SecurityGroupRule, awstype.Ec2SecurityGroup},
		Summary: "only the load balancer accepts traffic from anywhere, and only on 80/443",
		Fix:     "restrict the source to a security group (referencedSecurityGroupId) or a VPC CIDR; open 0.0.0.0/0 only on the ALB's security group, ports 80/443",
		Check:   checkOpenIngress,
	},
	{
		ID: "iam-no-wildcard-action", Types: []string{awstype.IamRole, awstype.IamRolePolicy, awstype.IamPolicy},
		Summary: "IAM policies name their actions (no * wildcards)",
		Fix:     "list the exact actions the code calls (e.g. s3:GetObject), scoped to this stack's ARNs",
		Check:   checkWildcardActions,
	},
	{
		ID: "ecs-no-public-ip", Types: []string{awstype.EcsService},
		Summary: "tasks run in private subnets without public IPs",
		Fix:     "set networkConfiguration.assignPublicIp: false and use private subnets (NAT or VPC endpoints for egress)",
		Check: func(_ *Graph, r *Resource) []string {
			return when(isTrue(r, "networkConfiguration", "assignPublicIp"), "networkConfiguration.assignPublicIp is true")
		},
	},
	{
		ID: "task-env-no-secrets", Types: []string{awstype.EcsTaskDefinition},
		Summary: "no secret values in task-definition environment variables",
		Fix:     "move the variable to the container's secrets (valueFrom an SSM SecureString or Secrets Manager ARN)",
		Check:   checkTaskEnv,
	},
	{
		ID: "log-retention", Types: []string{awstype.CloudWatchLogGroup},
		Summary: "log groups expire their logs",
		Fix:     "set retentionInDays (e.g. 14 in dev, 90 in prod)",
		Check: func(_ *Graph, r *Resource) []string {
			n, ok := r.num("retentionInDays")
			return when(!ok || n <= 0, "retentionInDays is not set: logs are kept forever")
		},
	},
	{
		ID: "alb-access-logs", Types: []string{awstype.LbLoadBalancer},
		Summary: "in prod the ALB writes access logs to S3 (who called what, kept a year)",
		Fix:     "set accessLogs {enabled: true, bucket: <a TLS-only, SSE-S3 bucket whose policy lets the region's ELB account write>} on the load balancer, depending on that bucket policy",
		Check: func(g *Graph, r *Resource) []string {
			if t := r.str("loadBalancerType"); !g.IsProd() || (t != "" && t != "application") {
				return nil
			}
			var out []string
			if !isTrue(r, "accessLogs", "enabled") {
				out = append(out, "accessLogs.enabled is not true")
			}
			if r.in("accessLogs", "bucket") == nil {
				out = append(out, "accessLogs has no bucket")
			}
			return out
		},
	},
	{
		ID: "alb-drop-invalid-headers", Types: []string{awstype.LbLoadBalancer},
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
		ID: "https-tls13", Types: []string{awstype.LbListener},
		Summary: "HTTPS listeners use a TLS 1.3 security policy that refuses TLS 1.0/1.1",
		Fix:     "set sslPolicy: ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09 (or another ELBSecurityPolicy-TLS13-1-2-* / -1-3-* policy)",
		Check: func(_ *Graph, r *Resource) []string {
			if r.str("protocol") != "HTTPS" {
				return nil
			}
			// TLS13-1-0-* and TLS13-1-1-* offer TLS 1.3 but still accept TLS 1.0/1.1; no policy
			// at all means ELBSecurityPolicy-2016-08 for API-created listeners.
			p := r.str("sslPolicy")
			ok := strings.HasPrefix(p, "ELBSecurityPolicy-TLS13-1-2-") || strings.HasPrefix(p, "ELBSecurityPolicy-TLS13-1-3-")
			return when(!ok, fmt.Sprintf("sslPolicy is %q", p))
		},
	},
	{
		ID: "http-redirects-https", Types: []string{awstype.LbListener, awstype.LbLoadBalancer},
		Summary: "prod serves HTTPS, and wherever HTTPS is served, plain HTTP only answers a 301 to it",
		Fix:     "in prod set domainName/hostedZoneName (the Domain component adds the 443 listener); give the HTTP listener a default action, or a catch-all rule (path /*) added after the 443 listener, {type: redirect, redirect: {protocol: HTTPS, port: \"443\", statusCode: HTTP_301}}",
		Check:   checkHTTPRedirect,
	},
	{
		ID: "oidc-secret-hidden", Types: []string{awstype.LbListener, awstype.LbListenerRule},
		Summary: "an authenticate-oidc client secret is a Pulumi secret (encrypted in state, never shown)",
		Fix:     "pass clientSecret as a secret: pulumi config set --secret oidcClientSecret <value>, and pulumi.ToSecret in code",
		Check: func(_ *Graph, r *Resource) []string {
			key := "defaultActions"
			if r.Type == awstype.LbListenerRule {
				key = "actions"
			}
			for i := range r.list(key) {
				if r.in(key, strconv.Itoa(i), "authenticateOidc", "clientSecret") != nil && !r.isSecret(key) &&
					r.shown(key, strconv.Itoa(i), "authenticateOidc", "clientSecret") != secretMarker {
					return []string{"the authenticate-oidc clientSecret is a plain value"}
				}
			}
			return nil
		},
	},
	{
		ID: "s3-tls-only", Types: []string{awstype.S3BucketV2, awstype.S3Bucket},
		Summary: "every bucket's policy denies requests that do not use TLS",
		Fix:     "add an aws.s3.BucketPolicy with a Deny of s3:* for every principal on the bucket and bucket/* when aws:SecureTransport is false",
		Check:   checkBucketTLSOnly,
	},
	{
		ID: "ecr-scan-on-push", Types: []string{awstype.EcrRepository},
		Summary: "ECR scans every pushed image for known vulnerabilities",
		Fix:     "set imageScanningConfiguration.scanOnPush: true on the repository",
		Check: func(_ *Graph, r *Resource) []string {
			return when(!isTrue(r, "imageScanningConfiguration", "scanOnPush"), "imageScanningConfiguration.scanOnPush is not true")
		},
	},
	{
		ID: "ecs-exec-enabled", Types: []string{awstype.EcsService},
		Summary: "operators reach tasks through ECS Exec (audited, IAM-controlled), never SSH or a public port",
		Fix:     "set enableExecuteCommand: true on the service (the task role needs the ssmmessages:* channel actions)",
		Check: func(_ *Graph, r *Resource) []string {
			return when(!isTrue(r, "enableExecuteCommand"), "enableExecuteCommand is not true")
		},
	},
	{
		ID: "ecs-circuit-breaker", Types: []string{awstype.EcsService},
		Summary: "every service (web and workers) rolls a failing deployment back by itself",
		Fix:     "set deploymentCircuitBreaker {enable: true, rollback: true} on the service",
		Check: func(_ *Graph, r *Resource) []string {
			return when(!isTrue(r, "deploymentCircuitBreaker", "enable") || !isTrue(r, "deploymentCircuitBreaker", "rollback"),
				"deploymentCircuitBreaker is not enabled with rollback")
		},
	},
	{
		ID: "ecs-task-roles-distinct", Types: []string{awstype.EcsTaskDefinition},
		Summary: "what ECS needs to start a task (execution role) and what the app may do (task role) are separate roles",
		Fix:     "give the task definition a task role distinct from its execution role",
		Check:   checkDistinctTaskRoles,
	},
	{
		ID: "iam-passrole-scoped", Types: []string{awstype.IamRole, awstype.IamRolePolicy, awstype.IamPolicy},
		Summary: "iam:PassRole names the roles it passes and the one service it passes them to",
		Fix:     "list the role ARNs as Resource (never *) and add Condition StringEquals iam:PassedToService (e.g. ecs-tasks.amazonaws.com)",
		Check:   checkPassRole,
	},
	{
		ID: "schedule-dead-letter", Types: []string{awstype.SchedulerSchedule},
		Summary: "a schedule retries a target that fails to start, then keeps the invocation in a dead-letter queue",
		Fix:     "set target.retryPolicy (maximumRetryAttempts, maximumEventAgeInSeconds) and target.deadLetterConfig.arn (an SQS queue the schedule's role may send to)",
		Check: func(_ *Graph, r *Resource) []string {
			var out []string
			if r.in("target", "deadLetterConfig", "arn") == nil {
				out = append(out, "target.deadLetterConfig has no queue")
			}
			if r.in("target", "retryPolicy", "maximumRetryAttempts") == nil || r.in("target", "retryPolicy", "maximumEventAgeInSeconds") == nil {
				out = append(out, "target.retryPolicy does not set maximumRetryAttempts and maximumEventAgeInSeconds")
			}
			return out
		},
	},
	{
		ID: "sqs-encrypted", Types: []string{awstype.SqsQueue},
		Summary: "SQS queues are encrypted at rest",
		Fix:     "set sqsManagedSseEnabled: true (or kmsMasterKeyId with a key policy for every sender)",
		Check: func(_ *Graph, r *Resource) []string {
			return when(!isTrue(r, "sqsManagedSseEnabled") && r.str("kmsMasterKeyId") == "", "neither sqsManagedSseEnabled nor kmsMasterKeyId is set")
		},
	},
	{
		ID: "rds-tls", Types: []string{awstype.RdsInstance},
		Summary: "the database refuses connections without TLS",
		Fix:     "give the instance a parameter group with rds.force_ssl = 1 (PostgreSQL) or require_secure_transport = 1 (MySQL)",
		Check:   checkRDSTLS,
	},
	{
		ID: "default-sg-locked", Types: []string{awstype.Ec2DefaultSecurityGroup, tVpc},
		Summary: "each VPC's default security group has no rules",
		Fix:     "adopt the default security group with aws.ec2.DefaultSecurityGroup and no ingress/egress",
		Check: func(g *Graph, r *Resource) []string {
			if r.Type == tVpc {
				return when(len(g.OfType(awstype.Ec2DefaultSecurityGroup)) == 0, "the VPC's default security group is not adopted, so it keeps its allow-all rules")
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
		ID: "alarm-destination", Types: []string{awstype.CloudWatchMetricAlarm, awstype.SnsTopic},
		Summary: "every alarm notifies on ALARM and OK, through a topic encrypted with a customer managed key that, in prod, reaches someone",
		Fix:     "set alarmEmails (or alarmTopicArn) in the stack config; give alarms alarmActions and okActions; encrypt the topic with a customer managed KMS key",
		Check:   checkAlarmDestination,
	},
	{
		ID: "ecs-service-alarms", Types: []string{awstype.EcsService},
		Summary: "every ECS service that runs tasks has alarms on CPU, memory and running tasks (and, behind the ALB, 5xx, unhealthy targets and latency) and a failed-deployment notification",
		Fix:     "watch the service with Monitoring.WatchService (main.go passes AppService.Watches(): web and every worker)",
		Check:   checkServiceAlarms,
	},
	{
		ID: "rds-alarms", Types: []string{awstype.RdsInstance},
		Summary: "the database has alarms on CPU, free storage, freeable memory and connections, and an RDS event subscription",
		Fix:     "pass the database's Watch() to NewMonitoring; for an instance class without a known memory size (infra/database_watch.go), add it there",
		Check:   checkDatabaseAlarms,
	},
	{
		ID: "cost-budget", Types: []string{componentPrefix + "Monitoring"},
		Summary: fmt.Sprintf("the stack has a monthly cost budget on its cost-allocation tag, between the plan's estimate × %g and twice the estimate", BudgetHeadroom),
		Fix:     "pulumi config set budgetMonthlyUsd <the value `go run . plan <stack>` prints>",
		Check:   checkCostBudget,
	},
	{
		ID: "ssm-secure-string", Types: []string{awstype.SsmParameter},
		Summary: "SSM parameters holding secrets are SecureString",
		Fix:     "set type: SecureString on the parameter",
		Check: func(_ *Graph, r *Resource) []string {
			secretish := r.isSecret("value") || secretName.MatchString(lastSegment(r.str("name"))) || secretName.MatchString(r.Name)
			return when(secretish && r.str("type") != "SecureString", fmt.Sprintf("type is %q for a secret value", r.str("type")))
		},
	},
}

// The cache's rules live beside its facts and cost (cache.go).
func init() { Rules = append(Rules, cacheRules...) }

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
	for _, lb := range g.OfType(awstype.LbLoadBalancer) {
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
	case awstype.VpcSecurityGroupIngressRule:
		from, _ := r.num("fromPort")
		to, _ := r.num("toPort")
		rules = append(rules, rule{cidrs: []string{r.str("cidrIpv4"), r.str("cidrIpv6")}, from: from, to: to, sgURNs: r.PropertyDeps["securityGroupId"]})
	case awstype.Ec2SecurityGroupRule:
		if r.str("type") != "ingress" {
			return nil
		}
		from, _ := r.num("fromPort")
		to, _ := r.num("toPort")
		rules = append(rules, rule{cidrs: append(strs(r.list("cidrBlocks")), strs(r.list("ipv6CidrBlocks"))...), from: from, to: to, sgURNs: r.PropertyDeps["securityGroupId"]})
	case awstype.Ec2SecurityGroup:
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
		if len(ru.sgURNs) == 0 && len(g.OfType(awstype.LbLoadBalancer)) > 0 {
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
	case awstype.IamRole:
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

func checkDistinctTaskRoles(_ *Graph, r *Resource) []string {
	exec, task := r.in("executionRoleArn"), r.in("taskRoleArn")
	if task == nil {
		return nil // no task role: the app gets no AWS permissions at all
	}
	same := exec != nil && exec == task
	if e, t := r.PropertyDeps["executionRoleArn"], r.PropertyDeps["taskRoleArn"]; len(e) > 0 && len(t) > 0 {
		same = slices.Equal(e, t)
	}
	return when(same, "the execution role is also the task role: the app would hold ECS's image-pull and secret-read permissions")
}

func checkPassRole(_ *Graph, r *Resource) []string {
	var docs []any
	if r.Type == awstype.IamRole {
		for _, p := range r.list("inlinePolicies") {
			if m, ok := p.(map[string]any); ok {
				if s, ok := m["policy"].(string); ok {
					docs = append(docs, parseJSON(s))
				}
			}
		}
	} else {
		docs = append(docs, r.jsonDoc("policy"))
	}
	var out []string
	for _, d := range docs {
		m, _ := d.(map[string]any)
		for _, st := range asList(m["Statement"]) {
			sm, _ := st.(map[string]any)
			if sm["Effect"] != "Allow" || !slices.Contains(strs(asList(sm["Action"])), "iam:PassRole") {
				continue
			}
			if slices.Contains(strs(asList(sm["Resource"])), "*") {
				out = append(out, "iam:PassRole is allowed on every role (Resource *)")
			}
			cond, _ := sm["Condition"].(map[string]any)
			eq, _ := cond["StringEquals"].(map[string]any)
			if eq["iam:PassedToService"] == nil {
				out = append(out, "iam:PassRole has no iam:PassedToService condition")
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

// httpsListeners reports whether the graph serves HTTPS anywhere.
func httpsListeners(g *Graph) bool {
	return slices.ContainsFunc(g.OfType(awstype.LbListener), func(l *Resource) bool { return l.str("protocol") == "HTTPS" })
}

func checkHTTPRedirect(g *Graph, r *Resource) []string {
	if r.Type == awstype.LbLoadBalancer {
		if t := r.str("loadBalancerType"); t != "" && t != "application" {
			return nil
		}
		return when(g.IsProd() && !httpsListeners(g), "prod has no HTTPS listener: users and the login would travel in plain HTTP")
	}
	if r.str("protocol") != "HTTP" || (!g.IsProd() && !httpsListeners(g)) {
		return nil
	}
	acts := append(r.list("defaultActions"), catchAllRuleActions(g, r)...)
	for _, a := range acts {
		m, _ := a.(map[string]any)
		if m["type"] != "redirect" {
			continue
		}
		rd, _ := m["redirect"].(map[string]any)
		// The port must be explicit: AWS's default "#{port}" keeps 80, i.e. https://host:80.
		if rd["protocol"] == "HTTPS" && rd["statusCode"] == "HTTP_301" && fmt.Sprint(rd["port"]) == "443" {
			return nil
		}
	}
	return []string{"the HTTP listener's default action is not a 301 redirect to HTTPS, and no catch-all rule (path /*) on it redirects"}
}

// catchAllRuleActions are the actions of the rules on listener whose only condition is the
// path pattern "/*" or "*": the Domain redirects port 80 with such a rule, added only once its
// 443 listener serves. A more specific rule (the health path) may still forward before it.
func catchAllRuleActions(g *Graph, listener *Resource) []any {
	var acts []any
	for _, rule := range g.OfType(awstype.LbListenerRule) {
		// Without a recorded link (a plain ARN), any rule counts.
		if deps := rule.PropertyDeps["listenerArn"]; len(deps) > 0 && !slices.Contains(deps, listener.URN) {
			continue
		}
		conds := rule.list("conditions")
		if len(conds) != 1 {
			continue
		}
		c, _ := conds[0].(map[string]any)
		pp, _ := c["pathPattern"].(map[string]any)
		vals, _ := pp["values"].([]any)
		if len(c) == 1 && len(vals) == 1 && (vals[0] == "/*" || vals[0] == "*") {
			acts = append(acts, rule.list("actions")...)
		}
	}
	return acts
}

func checkBucketTLSOnly(g *Graph, r *Resource) []string {
	for _, bp := range g.OfType(awstype.S3BucketPolicy) {
		// Without a recorded link (a plain bucket name), any TLS-only policy counts.
		if deps := bp.PropertyDeps["bucket"]; len(deps) > 0 && !slices.Contains(deps, r.URN) {
			continue
		}
		if deniesInsecureTransport(bp.jsonDoc("policy")) {
			return nil
		}
	}
	return []string{"no bucket policy denies requests without TLS (aws:SecureTransport false)"}
}

// deniesInsecureTransport reports whether the policy has a Deny for every principal and all S3
// actions when aws:SecureTransport is false.
func deniesInsecureTransport(doc any) bool {
	m, _ := doc.(map[string]any)
	var stmts []any
	switch s := m["Statement"].(type) {
	case []any:
		stmts = s
	case map[string]any:
		stmts = []any{s}
	}
	for _, st := range stmts {
		sm, _ := st.(map[string]any)
		if sm["Effect"] != "Deny" {
			continue
		}
		everyone := sm["Principal"] == "*"
		if p, ok := sm["Principal"].(map[string]any); ok {
			everyone = p["AWS"] == "*" || slices.Contains(strs(asList(p["AWS"])), "*")
		}
		allS3 := slices.ContainsFunc(strs(asList(sm["Action"])), func(a string) bool { return a == "s3:*" || a == "*" })
		cond, _ := sm["Condition"].(map[string]any)
		b, _ := cond["Bool"].(map[string]any)
		insecure := b["aws:SecureTransport"] == "false" || b["aws:SecureTransport"] == false
		if everyone && allS3 && insecure {
			return true
		}
	}
	return false
}

func asList(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return nil
	}
	return []any{v}
}

func checkRDSTLS(g *Graph, r *Resource) []string {
	engine := r.str("engine")
	want := infra.TLSParameter(infra.DbEngine(engine))
	var groups []*Resource
	if deps := r.PropertyDeps["parameterGroupName"]; len(deps) > 0 {
		groups = g.linked(r, "parameterGroupName", awstype.RdsParameterGroup)
	} else if r.str("parameterGroupName") != "" || len(r.PropertyDeps) == 0 {
		// A plain name, or a hand-built graph: any group of the stack may be the instance's.
		groups = g.OfType(awstype.RdsParameterGroup)
	}
	for _, pg := range groups {
		for _, p := range pg.list("parameters") {
			m, _ := p.(map[string]any)
			if m["name"] == want && fmt.Sprint(m["value"]) == "1" {
				return nil
			}
		}
	}
	// RDS for PostgreSQL 15+ defaults rds.force_ssl to 1 in its default parameter group.
	if len(groups) == 0 && r.str("parameterGroupName") == "" && want == "rds.force_ssl" {
		if major, err := strconv.Atoi(strings.SplitN(r.str("engineVersion"), ".", 2)[0]); err == nil && major >= 15 {
			return nil
		}
	}
	return []string{fmt.Sprintf("no parameter group of the instance sets %s = 1", want)}
}
