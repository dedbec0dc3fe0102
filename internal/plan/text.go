package plan

import (
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/rails-infra/rails-infra/internal/awstype"
)

// facts gives the few decisive settings of a resource, by type. Types without an entry show
// only type and name. Only redacted values (str/shown) are printed here.
var facts = map[string]func(g *Graph, r *Resource) string{
	tVpc: func(_ *Graph, r *Resource) string {
		return fmt.Sprintf("%s, %s AZs, NAT: %s", r.str("cidrBlock"), orDash(r.str("numberOfAvailabilityZones")), orDash(r.str("natGateways", "strategy")))
	},
	awstype.RdsInstance: func(_ *Graph, r *Resource) string {
		storage := r.str("allocatedStorage")
		if m := r.str("maxAllocatedStorage"); m != "" && m != "0" {
			storage += "→" + m
		}
		parts := []string{fmt.Sprintf("%s %s %s %s GiB %s", r.str("engine"), r.str("engineVersion"), r.str("instanceClass"), storage, r.str("storageType"))}
		parts = append(parts, pick(isTrue(r, "multiAz"), "Multi-AZ", "single-AZ"))
		parts = append(parts, pick(isTrue(r, "storageEncrypted"), "encrypted", "NOT encrypted"))
		parts = append(parts, pick(isTrue(r, "publiclyAccessible"), "PUBLIC", "private"))
		if isTrue(r, "manageMasterUserPassword") {
			parts = append(parts, "password in Secrets Manager")
		}
		if isTrue(r, "deletionProtection") {
			parts = append(parts, "deletion protection")
		}
		if skip, ok := r.flag("skipFinalSnapshot"); ok && !skip {
			parts = append(parts, "final snapshot")
		}
		if d := r.str("backupRetentionPeriod"); d != "" {
			parts = append(parts, "backups "+d+" d")
		}
		return strings.Join(parts, ", ")
	},
	awstype.ElastiCacheReplicationGroup: cacheFacts,
	awstype.EcsService: func(g *Graph, r *Resource) string {
		parts := []string{fmt.Sprintf("%d task(s)", desiredCount(r))}
		if vcpu, gb, arch, ok := taskSize(g, r); ok {
			parts[0] += fmt.Sprintf(" × %g vCPU / %g GB %s", vcpu, gb, arch)
		}
		if share := spotShare(r, desiredCount(r)); share > 0 {
			parts = append(parts, fmt.Sprintf("%.0f%% Spot", share*100))
		} else if lt := r.str("launchType"); lt != "" {
			parts = append(parts, lt)
		}
		if gp := r.str("healthCheckGracePeriodSeconds"); gp != "" {
			parts = append(parts, "grace "+gp+"s")
		}
		if isTrue(r, "deploymentCircuitBreaker", "enable") {
			parts = append(parts, "circuit breaker"+pick(isTrue(r, "deploymentCircuitBreaker", "rollback"), " + rollback", ""))
		}
		if lo, hi := r.str("deploymentMinimumHealthyPercent"), r.str("deploymentMaximumPercent"); lo != "" || hi != "" {
			parts = append(parts, fmt.Sprintf("%s–%s%%", orDash(lo), orDash(hi)))
		}
		parts = append(parts, pick(isTrue(r, "networkConfiguration", "assignPublicIp"), "PUBLIC IP", "no public IP"))
		if !hasLoadBalancer(r) {
			parts = append(parts, fmt.Sprintf("no load balancer, stop timeout %ds", stopTimeout(g, r)))
		}
		if isTrue(r, "enableExecuteCommand") {
			parts = append(parts, "ECS Exec on")
		}
		return strings.Join(parts, ", ")
	},
	awstype.EcsTaskDefinition: func(_ *Graph, r *Resource) string {
		cpu, _ := r.num("cpu")
		mem, _ := r.num("memory")
		s := fmt.Sprintf("%g vCPU / %g GB", cpu/cpuUnitsPerVCPU, mem/bytesPerGiB)
		if a := r.str("runtimePlatform", "cpuArchitecture"); a != "" {
			s += " " + a
		}
		if defs, ok := r.jsonDoc("containerDefinitions").([]any); ok && !r.isSecret("containerDefinitions") {
			var names []string
			for _, d := range defs {
				if m, ok := d.(map[string]any); ok {
					env, _ := m["environment"].([]any)
					sec, _ := m["secrets"].([]any)
					names = append(names, fmt.Sprintf("%v (%d env, %d secrets)", m["name"], len(env), len(sec)))
				}
			}
			s += ", containers: " + strings.Join(names, ", ")
		}
		return s
	},
	awstype.LbTargetGroup: func(_ *Graph, r *Resource) string {
		return fmt.Sprintf("%s:%s, health %s every %ss × %s healthy / %s unhealthy, timeout %ss, deregistration %ss",
			orDash(r.str("protocol")), orDash(r.str("port")), orDash(r.str("healthCheck", "path")), orDash(r.str("healthCheck", "interval")),
			orDash(r.str("healthCheck", "healthyThreshold")), orDash(r.str("healthCheck", "unhealthyThreshold")),
			orDash(r.str("healthCheck", "timeout")), orDash(r.str("deregistrationDelay")))
	},
	awstype.LbLoadBalancer: func(_ *Graph, r *Resource) string {
		parts := []string{orDefault(r.str("loadBalancerType"), "application"), pick(isTrue(r, "internal"), "internal", "internet-facing")}
		if isTrue(r, "dropInvalidHeaderFields") {
			parts = append(parts, "drops invalid headers")
		}
		if isTrue(r, "enableDeletionProtection") {
			parts = append(parts, "deletion protection")
		}
		return strings.Join(parts, ", ")
	},
	awstype.LbListener: func(_ *Graph, r *Resource) string {
		s := r.str("protocol") + ":" + r.str("port")
		if p := r.str("sslPolicy"); p != "" {
			s += " " + p
		}
		return s + actionChain(r, "defaultActions")
	},
	awstype.LbListenerRule: func(_ *Graph, r *Resource) string {
		var paths []string
		conds, _ := r.shown("conditions").([]any) // printed: redacted form only
		for _, c := range conds {
			m, _ := c.(map[string]any)
			pp, _ := m["pathPattern"].(map[string]any)
			paths = append(paths, strs(asList(pp["values"]))...)
		}
		s := "priority " + r.str("priority")
		if len(paths) > 0 {
			s += " path " + strings.Join(paths, ",")
		}
		return s + actionChain(r, "actions")
	},
	awstype.Ec2VpcEndpoint: func(_ *Graph, r *Resource) string {
		return r.str("vpcEndpointType") + " " + endpointService(r)
	},
	awstype.CloudWatchLogGroup: func(_ *Graph, r *Resource) string {
		if d := r.str("retentionInDays"); d != "" {
			return "retention " + d + " d"
		}
		return "retention: forever"
	},
	awstype.VpcSecurityGroupIngressRule: func(_ *Graph, r *Resource) string {
		src := r.str("cidrIpv4")
		if src == "" {
			src = r.str("cidrIpv6")
		}
		if src == "" && r.in("referencedSecurityGroupId") != nil {
			src = "security group"
		}
		ports := r.str("fromPort")
		if to := r.str("toPort"); to != ports {
			ports += "-" + to
		}
		return fmt.Sprintf("%s %s from %s", r.str("ipProtocol"), ports, orDash(src))
	},
	awstype.Ec2DefaultSecurityGroup: func(_ *Graph, r *Resource) string {
		if len(r.list("ingress"))+len(r.list("egress")) == 0 {
			return "no rules (locked)"
		}
		return "HAS RULES"
	},
	awstype.Ec2FlowLog: func(_ *Graph, r *Resource) string {
		return r.str("trafficType") + " traffic → " + r.str("logDestinationType")
	},
	awstype.SsmParameter: func(_ *Graph, r *Resource) string { return r.str("type") },
	awstype.S3BucketPublicAccessBlock: func(_ *Graph, r *Resource) string {
		n := 0
		for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
			if isTrue(r, k) {
				n++
			}
		}
		return fmt.Sprintf("%d of 4 public-access blocks on", n)
	},
	awstype.EcrRepository: func(_ *Graph, r *Resource) string {
		parts := []string{orDefault(r.str("imageTagMutability"), "MUTABLE") + " tags"}
		if isTrue(r, "imageScanningConfiguration", "scanOnPush") {
			parts = append(parts, "scan on push")
		}
		return strings.Join(parts, ", ")
	},
	awstype.AcmCertificate: func(_ *Graph, r *Resource) string {
		return r.str("domainName") + ", " + strings.ToLower(orDash(r.str("validationMethod"))) + " validation"
	},
	awstype.Route53Record: func(_ *Graph, r *Resource) string {
		s := r.str("type") + " " + r.str("name")
		if len(r.list("aliases")) > 0 {
			s += " (alias)"
		}
		return s
	},
	awstype.IamRole: func(_ *Graph, r *Resource) string { return r.str("description") },
	awstype.IamRolePolicy: func(_ *Graph, r *Resource) string {
		doc, _ := r.jsonDoc("policy").(map[string]any)
		st, _ := doc["Statement"].([]any)
		if st == nil {
			return ""
		}
		return fmt.Sprintf("%d statement(s)", len(st))
	},
	awstype.CloudWatchMetricAlarm: alarmFacts,
	awstype.SnsTopic: func(g *Graph, r *Resource) string {
		enc := "NOT encrypted"
		if r.in("kmsMasterKeyId") != nil {
			enc = "encrypted with a customer managed KMS key"
		}
		return fmt.Sprintf("%s, %d email subscription(s)", enc, len(g.OfType(awstype.SnsTopicSubscription)))
	},
	awstype.SnsTopicSubscription: func(_ *Graph, r *Resource) string { return r.str("protocol") + " " + r.str("endpoint") },
	awstype.CloudWatchDashboard: func(_ *Graph, r *Resource) string {
		doc, _ := r.jsonDoc("dashboardBody").(map[string]any)
		ws, _ := doc["widgets"].([]any)
		return fmt.Sprintf("%s, %d widgets", r.str("dashboardName"), len(ws))
	},
	awstype.CloudWatchQueryDefinition: func(_ *Graph, r *Resource) string { return "Logs Insights query " + r.str("name") },
	awstype.CloudWatchEventRule:       func(_ *Graph, r *Resource) string { return r.str("description") },
	awstype.RdsEventSubscription: func(_ *Graph, r *Resource) string {
		return r.str("sourceType") + " events: " + strings.Join(strs(r.list("eventCategories")), ", ")
	},
	awstype.BudgetsBudget: func(_ *Graph, r *Resource) string {
		var filters []string
		for _, f := range r.list("costFilters") {
			m, _ := f.(map[string]any)
			filters = append(filters, strs(asList(m["values"]))...)
		}
		var alerts []string
		for _, n := range r.list("notifications") {
			m, _ := n.(map[string]any)
			alerts = append(alerts, fmt.Sprintf("%v %v%%", m["notificationType"], m["threshold"]))
		}
		return fmt.Sprintf("$%s/%s on %s, alerts %s", r.str("limitAmount"), strings.ToLower(r.str("timeUnit")), orDash(strings.Join(filters, ",")), strings.Join(alerts, ", "))
	},
	awstype.SchedulerSchedule: func(_ *Graph, r *Resource) string {
		parts := []string{r.str("scheduleExpression") + " " + orDefault(r.str("scheduleExpressionTimezone"), "UTC"), orDefault(r.str("state"), "ENABLED")}
		if m := r.str("flexibleTimeWindow", "mode"); m != "" {
			parts = append(parts, "flexible window "+m)
		}
		if n := r.str("target", "retryPolicy", "maximumRetryAttempts"); n != "" {
			parts = append(parts, fmt.Sprintf("%s retries within %ss", n, orDash(r.str("target", "retryPolicy", "maximumEventAgeInSeconds"))))
		}
		if r.in("target", "deadLetterConfig", "arn") != nil {
			parts = append(parts, "dead-letter queue")
		}
		if g := r.str("target", "ecsParameters", "group"); g != "" {
			parts = append(parts, "task group "+g)
		}
		return strings.Join(parts, ", ")
	},
	awstype.SqsQueue: func(_ *Graph, r *Resource) string {
		enc := "NOT encrypted"
		if isTrue(r, "sqsManagedSseEnabled") || r.str("kmsMasterKeyId") != "" {
			enc = "encrypted (SSE)"
		}
		return enc + ", messages kept " + orDash(r.str("messageRetentionSeconds")) + "s"
	},
	awstype.AppAutoscalingTarget: func(_ *Graph, r *Resource) string {
		return fmt.Sprintf("%s–%s tasks", r.str("minCapacity"), r.str("maxCapacity"))
	},
}

func pick(c bool, yes, no string) string {
	if c {
		return yes
	}
	return no
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func resourceLine(g *Graph, r *Resource) string {
	s := shortType(r.Type) + " " + r.Name
	if !r.Custom {
		s += " (component)"
	}
	if f, ok := facts[r.Type]; ok {
		if d := f(g, r); d != "" {
			s += ": " + d
		}
	}
	if r.Protect {
		s += " [protected]"
	}
	if r.WithFirstImage {
		s += " [with the first image]"
	}
	return s
}

func writeText(w io.Writer, g *Graph, check bool, violations []Violation) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Plan for %s, stack %s (%s, %s). Offline: nothing was created.\n", g.Project, g.Stack, g.Environment, g.Region)
	if n := len(g.Placeholders); n > 0 {
		fmt.Fprintf(&b, "%d secret(s) set but hidden: %s (encrypted values are not decrypted offline; the plan used placeholders).\n",
			n, strings.Join(g.Placeholders, ", "))
	}

	if g.ImagePending {
		b.WriteString("No image is configured yet: this plan shows the stack as the first image deploy makes it. " +
			"`pulumi up` without an image creates everything except what is marked [with the first image].\n")
	}
	if len(g.OfType(awstype.AcmCertificate)) > 0 {
		b.WriteString("HTTPS on the configured domain. Its Route53 hosted zone is assumed to exist offline; `pulumi up` checks it first.\n")
	} else if len(g.OfType(awstype.LbLoadBalancer)) > 0 {
		b.WriteString("No domain: the app is served over plain HTTP at the ALB's DNS name (set domainName and hostedZoneName for HTTPS).\n")
	}

	b.WriteString("\nResources\n")
	children := map[string][]*Resource{}
	var roots []*Resource
	for _, r := range g.Resources {
		if g.ByURN(r.Parent) == nil {
			roots = append(roots, r)
		} else {
			children[r.Parent] = append(children[r.Parent], r)
		}
	}
	var walk func(r *Resource, prefix string, last bool, depth int)
	walk = func(r *Resource, prefix string, last bool, depth int) {
		branch, next := "├─ ", "│  "
		if last {
			branch, next = "└─ ", "   "
		}
		if depth == 0 {
			branch, next = "", ""
		}
		b.WriteString(prefix + branch + resourceLine(g, r) + "\n")
		kids := children[r.URN]
		for i, k := range kids {
			walk(k, prefix+next, i == len(kids)-1, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, "", true, 0)
	}

	b.WriteString("\nCounts by type\n")
	counts := map[string]int{}
	for _, r := range g.Resources {
		counts[r.Type]++
	}
	for _, t := range slices.Sorted(maps.Keys(counts)) {
		fmt.Fprintf(&b, "  %3d  %s\n", counts[t], t)
	}

	b.WriteString("\nSummary\n")
	for _, line := range summary(g) {
		b.WriteString("  " + line + "\n")
	}

	b.WriteString("\nRollout estimate (model and AWS defaults: docs/plan.md)\n")
	rollouts := EstimateRollout(g)
	if len(rollouts) == 0 {
		b.WriteString("  no ECS service in this stack yet\n")
	}
	for _, ro := range rollouts {
		e, d := ro.Estimate, ro.AWSDefaults
		s := ro.Settings
		if s.LoadBalanced {
			fmt.Fprintf(&b, "  %s: a deploy takes ≈%s (%d wave(s) × [%ds start + %ds×%d health checks + %ds draining])\n",
				ro.Service, duration(e.SuccessSeconds), e.Waves, s.AssumedTaskStartSeconds, s.IntervalSeconds, s.HealthyThreshold, s.DeregistrationSeconds)
		} else {
			fmt.Fprintf(&b, "  %s (worker, no load balancer: a task is healthy once RUNNING): a deploy takes ≈%s (%d wave(s) × [%ds start + up to %ds stop timeout for the old task's jobs])\n",
				ro.Service, duration(e.SuccessSeconds), e.Waves, s.AssumedTaskStartSeconds, s.DeregistrationSeconds)
		}
		if e.WorstCaseSeconds != nil {
			fmt.Fprintf(&b, "    a failing version rolls back after ≈%s (circuit breaker: %d failed tasks, %d at a time, %ds each; then draining)\n",
				duration(*e.WorstCaseSeconds), e.FailureThreshold, e.TasksPerWave, e.FailedTaskSeconds)
		} else {
			b.WriteString("    a failing version is NOT rolled back automatically (circuit breaker with rollback is off)\n")
		}
		if s.LoadBalanced {
			fmt.Fprintf(&b, "    with AWS defaults (30s×5 health checks, 300s deregistration, no circuit breaker): ≈%s, no automatic rollback\n",
				duration(d.SuccessSeconds))
		} else {
			fmt.Fprintf(&b, "    with AWS defaults (30s stop timeout, no circuit breaker): ≈%s, no automatic rollback\n", duration(d.SuccessSeconds))
		}
	}

	cost := EstimateCost(g)
	fmt.Fprintf(&b, "\nMonthly cost estimate (USD, %s, list prices of %s; an estimate, not a quote)\n", cost.Region, cost.PriceDate)
	for _, it := range cost.Items {
		amount := "price unknown"
		if it.MonthlyUSD != nil {
			amount = fmt.Sprintf("$%.2f", *it.MonthlyUSD)
		}
		name := it.Item
		if it.Resource != "" {
			name += " " + it.Resource
		}
		fmt.Fprintf(&b, "  %-14s %s  (%s)\n", amount, name, it.Basis)
	}
	fmt.Fprintf(&b, "  total ≈ $%.2f/month", cost.TotalUSD)
	if len(cost.Unknown) > 0 {
		fmt.Fprintf(&b, " + %d item(s) with unknown price", len(cost.Unknown))
	}
	fmt.Fprintf(&b, "\n  cost budget: %s", budgetLine(g, cost.TotalUSD))
	b.WriteString("\n  assumptions: " + strings.Join(cost.Assumptions, "; ") + "\n")

	if len(g.Outputs) > 0 {
		b.WriteString("\nOutputs\n")
		for _, k := range slices.Sorted(maps.Keys(g.Outputs)) {
			fmt.Fprintf(&b, "  %s = %s\n", k, outputText(g.Outputs[k]))
		}
	}

	if check {
		b.WriteString("\nPolicy check\n")
		open := 0
		for _, v := range violations {
			if !v.Waived {
				open++
			}
			b.WriteString("  " + v.String() + "\n")
		}
		fmt.Fprintf(&b, "  %d rule(s), %d violation(s), %d waived\n", len(Rules), open, len(violations)-open)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func outputText(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmt.Sprint(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case nil:
		return "(none)"
	}
	return fmt.Sprint(v)
}

// summary is one line per part of the architecture that exists.
func summary(g *Graph) []string {
	custom, components, protected := 0, 0, 0
	for _, r := range g.Resources {
		if r.Custom {
			custom++
		} else {
			components++
		}
		if r.Protect {
			protected++
		}
	}
	lines := []string{fmt.Sprintf("%d resources: %d components, %d AWS resources, %d protected", len(g.Resources), components, custom, protected)}
	for _, v := range g.OfType(tVpc) {
		line := "network: " + facts[tVpc](g, v)
		ifaces := 0
		for _, ep := range g.OfType(awstype.Ec2VpcEndpoint) {
			if ep.str("vpcEndpointType") == "Interface" {
				ifaces++
			}
		}
		line += fmt.Sprintf(", %d interface endpoint(s)", ifaces)
		if len(g.OfType(awstype.Ec2FlowLog)) > 0 {
			line += ", flow logs"
		}
		lines = append(lines, line)
	}
	for _, db := range g.OfType(awstype.RdsInstance) {
		lines = append(lines, "database: "+facts[awstype.RdsInstance](g, db))
	}
	for _, rg := range g.OfType(awstype.ElastiCacheReplicationGroup) {
		lines = append(lines, "cache: "+cacheFacts(g, rg))
	}
	for _, s := range g.OfType(awstype.EcsService) {
		kind := "service "
		if !hasLoadBalancer(s) {
			kind = "worker service "
		}
		lines = append(lines, kind+s.Name+": "+facts[awstype.EcsService](g, s))
	}
	for _, sc := range g.OfType(awstype.SchedulerSchedule) {
		lines = append(lines, "schedule "+sc.Name+": "+facts[awstype.SchedulerSchedule](g, sc))
	}
	for _, lb := range g.OfType(awstype.LbLoadBalancer) {
		var ls []string
		for _, l := range g.OfType(awstype.LbListener) {
			ls = append(ls, facts[awstype.LbListener](g, l))
		}
		sort.Strings(ls)
		lines = append(lines, "load balancer "+lb.Name+": "+facts[awstype.LbLoadBalancer](g, lb)+"; listeners "+strings.Join(ls, "; "))
	}
	for _, c := range g.OfType(awstype.AcmCertificate) {
		lines = append(lines, "domain: "+facts[awstype.AcmCertificate](g, c))
	}
	if line := monitoringSummary(g); line != "" {
		lines = append(lines, line)
	}
	if len(lines) == 1 {
		lines = append(lines, "no AWS resources")
	}
	return lines
}

// actionChain renders a listener's or rule's actions in order, e.g. " → authenticate-oidc
// (issuer host, ...) → forward" or " → redirect HTTPS:443 (HTTP_301)", so a reviewer sees which
// paths skip the login.
func actionChain(r *Resource, key string) string {
	s := ""
	for i := range r.list(key) {
		idx := strconv.Itoa(i)
		switch t := r.str(key, idx, "type"); t {
		case "redirect":
			s += " → redirect " + r.str(key, idx, "redirect", "protocol") + ":" + r.str(key, idx, "redirect", "port") +
				" (" + r.str(key, idx, "redirect", "statusCode") + ")"
		case "authenticate-oidc":
			issuer := r.str(key, idx, "authenticateOidc", "issuer")
			if u, err := url.Parse(issuer); err == nil && u.Host != "" {
				issuer = u.Host
			}
			s += " → authenticate-oidc (" + issuer + ", unauthenticated: " + r.str(key, idx, "authenticateOidc", "onUnauthenticatedRequest") + ")"
		case "":
		default:
			s += " → " + t
		}
	}
	return s
}
