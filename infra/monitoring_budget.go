package infra

import (
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/budgets"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// BudgetAlerts are the budget's notifications: actual spend past 80% and 100% of the limit, and
// AWS's end-of-month forecast past 100%, all to the topic.
var BudgetAlerts = []struct {
	Type    string // ACTUAL | FORECASTED
	Percent float64
}{{"ACTUAL", 80}, {"ACTUAL", 100}, {"FORECASTED", 100}}

// CostTagFilter is the Budgets cost filter value for a user-defined cost-allocation tag.
func CostTagFilter(t CostTag) string { return "user:" + t.Key + "$" + t.Value }

// budget creates the monthly cost budget on the stack's cost-allocation tag. The tag counts only
// once it is activated in Billing (docs/runbook.md, "Cost budget").
func (m *Monitoring) budget() error {
	if m.a.BudgetMonthlyUsd == 0 {
		return nil
	}
	var notes budgets.BudgetNotificationArray
	for _, n := range BudgetAlerts {
		notes = append(notes, budgets.BudgetNotificationArgs{
			ComparisonOperator:     pulumi.String("GREATER_THAN"),
			NotificationType:       pulumi.String(n.Type),
			Threshold:              pulumi.Float64(n.Percent),
			ThresholdType:          pulumi.String("PERCENTAGE"),
			SubscriberSnsTopicArns: pulumi.StringArray{m.TopicArn},
		})
	}
	var err error
	m.Budget, err = budgets.NewBudget(m.ctx, m.prefix+"-monthly", &budgets.BudgetArgs{
		NamePrefix:  pulumi.String(m.prefix + "-monthly-"),
		BudgetType:  pulumi.String("COST"),
		TimeUnit:    pulumi.String("MONTHLY"),
		LimitAmount: pulumi.String(strconv.Itoa(m.a.BudgetMonthlyUsd)),
		LimitUnit:   pulumi.String("USD"),
		CostFilters: budgets.BudgetCostFilterArray{budgets.BudgetCostFilterArgs{
			Name:   pulumi.String("TagKeyValue"),
			Values: pulumi.StringArray{pulumi.String(CostTagFilter(m.a.CostTag))},
		}},
		Notifications: notes,
	}, m.parent)
	return err
}
