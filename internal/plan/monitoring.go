package plan

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/rails-infra/rails-infra/internal/awstype"
)

// BudgetHeadroom is how far above the plan's monthly estimate the stack's cost budget sits: the
// estimate leaves out data transfer, requests, storage growth and Container Insights metrics, so
// a normal month stays under the limit, while a bill at twice the estimate crosses it.
const BudgetHeadroom = 1.5

// BudgetAlarmFactor is the multiple of the estimate at or above which a budget would let a bill
// twice the estimate pass without an actual-spend alert.
const BudgetAlarmFactor = 2.0

// BudgetMinFactor is the lowest multiple of the estimate the check accepts, so a small change of
// the estimate (the budget's own price, a new alarm) does not fail the check until the budget is
// updated; below it a normal month would come close to alerting.
const BudgetMinFactor = 1.25

// SuggestedBudget is the budgetMonthlyUsd the estimate gives: estimate × BudgetHeadroom, rounded
// up to whole dollars.
func SuggestedBudget(estimateUSD float64) int {
	return int(math.Ceil(estimateUSD*BudgetHeadroom - 1e-9))
}

// budgetProblem says why a budget of limit USD does not fit the estimate, or "".
func budgetProblem(limit, estimate float64) string {
	want := SuggestedBudget(estimate)
	switch {
	case limit < estimate*BudgetMinFactor:
		return fmt.Sprintf("budgetMonthlyUsd %g is below %g× this plan's estimate $%.2f: a normal month would come close to alerting (want %d = estimate × %g)", limit, BudgetMinFactor, estimate, want, BudgetHeadroom)
	case limit >= estimate*BudgetAlarmFactor:
		return fmt.Sprintf("budgetMonthlyUsd %g is %g× or more of this plan's estimate $%.2f: a bill twice the estimate would pass unnoticed (want %d)", limit, BudgetAlarmFactor, estimate, want)
	}
	return ""
}

// alarmMetric is one metric an alarm reads.
type alarmMetric struct{ namespace, name string }

// metricsOf are the metrics an alarm reads, directly or in its metric math.
func metricsOf(a *Resource) []alarmMetric {
	if n := a.str("metricName"); n != "" {
		out := []alarmMetric{{a.str("namespace"), n}}
		if a.str("statistic") == "SampleCount" {
			// Counting samples is a different signal: on AWS/ECS, whether any task reports.
			out = append(out, alarmMetric{a.str("namespace"), n + " SampleCount"})
		}
		return out
	}
	var out []alarmMetric
	for i := range a.list("metricQueries") {
		idx := strconv.Itoa(i)
		if n := a.str("metricQueries", idx, "metric", "metricName"); n != "" {
			out = append(out, alarmMetric{a.str("metricQueries", idx, "metric", "namespace"), n})
		}
	}
	return out
}

// alarmsOn are the alarms whose dimensions were built from resource r (its name, id or ARN
// suffix), with the metrics they read. Hand-built graphs without property dependencies count
// every alarm.
func alarmsOn(g *Graph, r *Resource) map[alarmMetric]bool {
	out := map[alarmMetric]bool{}
	for _, a := range g.OfType(awstype.CloudWatchMetricAlarm) {
		deps := append(slices.Clone(a.PropertyDeps["dimensions"]), a.PropertyDeps["metricQueries"]...)
		if len(a.PropertyDeps) > 0 && !slices.Contains(deps, r.URN) {
			continue
		}
		for _, m := range metricsOf(a) {
			out[m] = true
		}
	}
	return out
}

// missingMetrics lists the wanted metrics no alarm on r reads; anyOf groups accept one of several.
func missingMetrics(have map[alarmMetric]bool, want [][]alarmMetric) []string {
	var out []string
	for _, alternatives := range want {
		found := slices.ContainsFunc(alternatives, func(m alarmMetric) bool { return have[m] })
		if !found {
			var names []string
			for _, m := range alternatives {
				names = append(names, m.namespace+" "+m.name)
			}
			out = append(out, "no alarm on "+strings.Join(names, " or "))
		}
	}
	return out
}

func checkServiceAlarms(g *Graph, svc *Resource) []string {
	if desiredCount(svc) == 0 {
		return nil // no tasks (no image yet): nothing to watch
	}
	var tgs []*Resource
	if len(svc.PropertyDeps["loadBalancers"]) > 0 || len(svc.list("loadBalancers")) > 0 {
		tgs = g.linked(svc, "loadBalancers", awstype.LbTargetGroup) // a worker has none
	}
	have := alarmsOn(g, svc)
	// Without Container Insights the running-tasks alarm counts the service's healthy targets.
	healthy := alarmMetric{"AWS/ApplicationELB", "HealthyHostCount"}
	for _, tg := range tgs {
		if alarmsOn(g, tg)[healthy] {
			have[healthy] = true
		}
	}
	want := [][]alarmMetric{
		{{"AWS/ECS", "CPUUtilization"}},
		{{"AWS/ECS", "MemoryUtilization"}},
		// A worker without Container Insights or an ALB: whether any task reports CPU at all.
		{{"ECS/ContainerInsights", "RunningTaskCount"}, healthy, {"AWS/ECS", "CPUUtilization SampleCount"}},
	}
	out := missingMetrics(have, want)
	for _, tg := range tgs {
		tgHave := alarmsOn(g, tg)
		for _, m := range missingMetrics(tgHave, [][]alarmMetric{
			{{"AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"}},
			{{"AWS/ApplicationELB", "UnHealthyHostCount"}},
			{{"AWS/ApplicationELB", "TargetResponseTime"}},
		}) {
			out = append(out, m+" for target group "+tg.Name)
		}
		for _, lb := range g.OfType(awstype.LbLoadBalancer) {
			if !alarmsOn(g, lb)[alarmMetric{"AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"}] {
				out = append(out, "no alarm on AWS/ApplicationELB HTTPCode_ELB_5XX_Count for load balancer "+lb.Name)
			}
		}
	}
	if !slices.ContainsFunc(g.OfType(awstype.CloudWatchEventRule), func(r *Resource) bool {
		return strings.Contains(r.str("eventPattern"), "ECS Deployment State Change") &&
			(len(r.PropertyDeps) == 0 || slices.Contains(r.PropertyDeps["eventPattern"], svc.URN))
	}) {
		out = append(out, "no EventBridge rule sends its failed deployments (ECS Deployment State Change) anywhere")
	}
	return out
}

func checkDatabaseAlarms(g *Graph, db *Resource) []string {
	out := missingMetrics(alarmsOn(g, db), [][]alarmMetric{
		{{"AWS/RDS", "CPUUtilization"}},
		{{"AWS/RDS", "FreeStorageSpace"}},
		{{"AWS/RDS", "FreeableMemory"}},
		{{"AWS/RDS", "DatabaseConnections"}},
	})
	if !slices.ContainsFunc(g.OfType(awstype.RdsEventSubscription), func(s *Resource) bool {
		return len(s.PropertyDeps) == 0 || slices.Contains(s.PropertyDeps["sourceIds"], db.URN)
	}) {
		out = append(out, "no RDS event subscription covers the instance (failover, low storage, maintenance)")
	}
	return out
}

// checkAlarmDestination: every alarm notifies on ALARM and OK; the stack's topics are encrypted
// with a customer managed key (CloudWatch cannot use aws/sns) and, in prod, reach someone.
func checkAlarmDestination(g *Graph, r *Resource) []string {
	if r.Type == awstype.CloudWatchMetricAlarm {
		var out []string
		for _, k := range []string{"alarmActions", "okActions"} {
			if len(r.list(k)) == 0 && r.in(k) != unknownMarker {
				out = append(out, k+" is empty: nobody hears of it")
			}
		}
		return out
	}
	var out []string
	if k := r.str("kmsMasterKeyId"); r.in("kmsMasterKeyId") == nil || k == "alias/aws/sns" {
		out = append(out, "the topic is not encrypted with a customer managed KMS key (alias/aws/sns cannot be used by CloudWatch, EventBridge, RDS or Budgets)")
	}
	if g.IsProd() && !slices.ContainsFunc(g.OfType(awstype.SnsTopicSubscription), func(s *Resource) bool {
		return len(s.PropertyDeps) == 0 || slices.Contains(s.PropertyDeps["topic"], r.URN)
	}) {
		out = append(out, "prod's alarm topic has no subscription: alarms reach nobody")
	}
	return out
}

// checkCostBudget: the stack has a cost budget whose limit follows the plan's estimate.
func checkCostBudget(g *Graph, _ *Resource) []string {
	estimate := EstimateCost(g).TotalUSD
	budgets := g.OfType(awstype.BudgetsBudget)
	if len(budgets) == 0 {
		return []string{fmt.Sprintf("no cost budget: set budgetMonthlyUsd %d (this plan's estimate $%.2f × %g)", SuggestedBudget(estimate), estimate, BudgetHeadroom)}
	}
	var out []string
	for _, b := range budgets {
		limit, ok := b.num("limitAmount")
		if !ok {
			out = append(out, "the budget's limitAmount is not a number")
			continue
		}
		if p := budgetProblem(limit, estimate); p != "" {
			out = append(out, p)
		}
		if !strings.Contains(fmt.Sprint(b.in("costFilters")), "TagKeyValue") {
			out = append(out, "the budget is not filtered on the stack's cost-allocation tag: it would count the whole account")
		}
	}
	return out
}

// budgetLine says what the stack's budget is and what this estimate gives.
func budgetLine(g *Graph, estimate float64) string {
	want := fmt.Sprintf("budgetMonthlyUsd %d = this estimate × %g", SuggestedBudget(estimate), BudgetHeadroom)
	bs := g.OfType(awstype.BudgetsBudget)
	if len(bs) == 0 {
		return "none; set " + want
	}
	return fmt.Sprintf("$%s/month (%s)", bs[0].str("limitAmount"), want)
}

// monitoringSummary is the summary line of what watches the stack, or "".
func monitoringSummary(g *Graph) string {
	alarms := g.OfType(awstype.CloudWatchMetricAlarm)
	if len(alarms) == 0 && len(g.OfType(awstype.SnsTopic)) == 0 {
		return ""
	}
	dest := "an existing topic (alarmTopicArn)"
	if topics := g.OfType(awstype.SnsTopic); len(topics) > 0 {
		dest = fmt.Sprintf("the stack's encrypted topic with %d email subscription(s)", len(g.OfType(awstype.SnsTopicSubscription)))
	}
	if len(alarms) > 0 {
		if acts := alarms[0].list("alarmActions"); len(acts) > 0 && len(g.OfType(awstype.SnsTopic)) == 0 {
			dest = fmt.Sprint(acts[0])
		}
	}
	parts := []string{fmt.Sprintf("monitoring: %d alarm(s) → %s", len(alarms), dest)}
	if n := len(deploymentRules(g)); n > 0 {
		parts = append(parts, fmt.Sprintf("%d failed-deployment rule(s)", n))
	}
	if n := len(g.OfType(awstype.RdsEventSubscription)); n > 0 {
		parts = append(parts, "RDS events")
	}
	if n := len(g.OfType(awstype.CloudWatchDashboard)); n > 0 {
		parts = append(parts, fmt.Sprintf("%d dashboard(s)", n))
	}
	if n := len(g.OfType(awstype.CloudWatchQueryDefinition)); n > 0 {
		parts = append(parts, fmt.Sprintf("%d saved log queries", n))
	}
	for _, b := range g.OfType(awstype.BudgetsBudget) {
		parts = append(parts, "budget $"+b.str("limitAmount")+"/month")
	}
	return strings.Join(parts, ", ")
}

// deploymentRules are the EventBridge rules on ECS deployment state changes.
func deploymentRules(g *Graph) []*Resource {
	var out []*Resource
	for _, r := range g.OfType(awstype.CloudWatchEventRule) {
		if strings.Contains(r.str("eventPattern"), "ECS Deployment State Change") {
			out = append(out, r)
		}
	}
	return out
}

// monitoringArch adds the alarms, the topic they notify, the dashboard and the budget.
func monitoringArch(g *Graph, a *arch) {
	alarms, topics := g.OfType(awstype.CloudWatchMetricAlarm), g.OfType(awstype.SnsTopic)
	if len(alarms) == 0 && len(topics) == 0 {
		return
	}
	comp := "Monitoring"
	if len(alarms) > 0 {
		comp = componentOr(g, alarms[0])
	}
	topic := "existing SNS topic\\n(alarmTopicArn)"
	if len(topics) > 0 {
		topic = fmt.Sprintf("SNS alarm topic\\nKMS-encrypted · %d email(s)", len(g.OfType(awstype.SnsTopicSubscription)))
	}
	a.add(archNode{id: "alarmtopic", label: topic, zone: zoneAWS, component: comp})
	events := ""
	if len(deploymentRules(g)) > 0 || len(g.OfType(awstype.RdsEventSubscription)) > 0 {
		events = "\\n+ deployment and RDS events"
	}
	a.add(archNode{id: "alarms", label: fmt.Sprintf("CloudWatch alarms ×%d%s", len(alarms), events), zone: zoneAWS, component: comp})
	a.link("alarms", "alarmtopic", "ALARM / OK")
	if d := g.OfType(awstype.CloudWatchDashboard); len(d) > 0 {
		a.add(archNode{id: "dashboard", label: "CloudWatch dashboard\\n" + d[0].str("dashboardName"), zone: zoneAWS, component: comp})
	}
	for _, b := range g.OfType(awstype.BudgetsBudget) {
		a.add(archNode{id: "budget", label: "AWS Budgets\\n$" + b.str("limitAmount") + "/month", zone: zoneAWS, component: comp})
		a.link("budget", "alarmtopic", "80% / 100% / forecast")
	}
}

// alarmFacts renders an alarm as "AWS/ECS CPUUtilization Average > 85 for 3×300s, missing: notBreaching".
func alarmFacts(_ *Graph, r *Resource) string {
	ops := map[string]string{"GreaterThanThreshold": ">", "GreaterThanOrEqualToThreshold": "≥", "LessThanThreshold": "<", "LessThanOrEqualToThreshold": "≤"}
	what := ""
	if n := r.str("metricName"); n != "" {
		stat := r.str("statistic")
		if e := r.str("extendedStatistic"); e != "" {
			stat = e
		}
		what = fmt.Sprintf("%s %s %s", r.str("namespace"), n, stat)
	} else {
		var metrics []string
		expr := ""
		for i := range r.list("metricQueries") {
			idx := strconv.Itoa(i)
			if e := r.str("metricQueries", idx, "expression"); e != "" {
				expr = e
			} else {
				metrics = append(metrics, r.str("metricQueries", idx, "id")+"="+r.str("metricQueries", idx, "metric", "metricName"))
			}
		}
		what = fmt.Sprintf("%s (%s)", expr, strings.Join(metrics, ", "))
	}
	period := r.str("period")
	if period == "" && len(r.list("metricQueries")) > 1 {
		period = r.str("metricQueries", "1", "metric", "period")
	}
	return fmt.Sprintf("%s %s %s for %s of %s×%ss, missing data: %s", what, orDash(ops[r.str("comparisonOperator")]), r.str("threshold"),
		orDash(r.str("datapointsToAlarm")), orDash(r.str("evaluationPeriods")), orDash(period), orDash(r.str("treatMissingData")))
}
