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

// BudgetAlarmFactor: a budget at or above this multiple of the estimate would let a bill twice
// the estimate pass without an actual-spend alert.
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
		return []alarmMetric{{a.str("namespace"), n}}
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
	have := alarmsOn(g, svc)
	want := [][]alarmMetric{
		{{"AWS/ECS", "CPUUtilization"}},
		{{"AWS/ECS", "MemoryUtilization"}},
		{{"ECS/ContainerInsights", "RunningTaskCount"}, {"AWS/ApplicationELB", "HealthyHostCount"}},
	}
	out := missingMetrics(have, want)
	var tgs []*Resource
	if len(svc.PropertyDeps["loadBalancers"]) > 0 || len(svc.list("loadBalancers")) > 0 {
		tgs = g.linked(svc, "loadBalancers", awstype.LbTargetGroup) // a worker has none
	}
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
