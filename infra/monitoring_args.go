package infra

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TreatMissingData is how a CloudWatch alarm treats periods without data.
type TreatMissingData string

const (
	// MissingNotBreaching means no data is healthy (no requests means no errors).
	MissingNotBreaching TreatMissingData = "notBreaching"
	// MissingBreaching means no data is a failure (a live service always reports the metric).
	MissingBreaching TreatMissingData = "breaching"
)

// Monitoring defaults, the same in every environment. Each is a threshold tuned for a small
// internal Rails app; docs/runbook.md ("Alarms") says why each is where it is.
const (
	// DefaultAlarmTarget5xxPercent: more than 5% of the app's responses are 5xx.
	DefaultAlarmTarget5xxPercent = 5
	// DefaultAlarmLatencyP95Ms: the slowest 5% of requests take more than 1.5 s for 15 minutes.
	DefaultAlarmLatencyP95Ms = 1500
	// DefaultAlarmCPUPercent: the tasks average more than 85% CPU for 15 minutes, well above
	// autoscaling's cpuTargetPercent, so autoscaling is at its maximum or cannot keep up.
	DefaultAlarmCPUPercent = 85
	// DefaultAlarmMemoryPercent: the tasks average more than 90% of their memory; Fargate kills
	// a task that exceeds it.
	DefaultAlarmMemoryPercent = 90
	// DefaultAlarmDbCPUPercent: the database averages more than 80% CPU for 15 minutes (on
	// burstable classes, also a sign the CPU credits are running out).
	DefaultAlarmDbCPUPercent = 80
	// DefaultAlarmDbFreeStoragePercent: free storage below 10% of dbAllocatedStorage.
	DefaultAlarmDbFreeStoragePercent = 10
	// MaxAlarmEmails bounds alarmEmails: each address is one SNS subscription to confirm.
	MaxAlarmEmails = 10
	// MaxBudgetMonthlyUsd is a sanity ceiling for budgetMonthlyUsd (typos like an extra 0).
	MaxBudgetMonthlyUsd = 1000000
)

// MonitoringArgs configures NewMonitoring. The settings are tagged with their config keys; the
// watched resources are typed values main.go takes from the components.
type MonitoringArgs struct {
	// Account is where the stack deploys. Required.
	Account Account
	// Environment picks the Profile: whether a notification destination is required and how
	// heartbeat alarms treat missing data. Default EnvDev.
	Environment Environment
	// Services are the ECS services to watch (web, and every worker). Default none.
	Services []ServiceWatch
	// ScheduleFailures are rules matching failed scheduled runs (AppService.ScheduleFailureRules);
	// each gets the topic as a target. Default none.
	ScheduleFailures []NamedEventRule
	// Database is the RDS instance to watch; nil for none.
	Database *DatabaseWatch
	// LogGroupName is the Rails log group the saved Logs Insights queries read; nil for none.
	LogGroupName pulumi.StringInput
	// CostTag is the cost-allocation tag (key and value) every resource of the stack carries,
	// which the budget filters on. Default: Stack = <stack name> (aws:defaultTags in every
	// committed stack file).
	CostTag CostTag

	// AlarmEmails receive every alarm, OK, deployment, database event and budget alert through
	// the stack's SNS topic (each confirms the subscription email first). Exclusive with
	// AlarmTopicArn. Valid: at most MaxAlarmEmails distinct addresses. Required in prod (this or
	// AlarmTopicArn).
	AlarmEmails []string `config:"alarmEmails" example:"ops@example.co.jp"`
	// AlarmTopicArn is an existing SNS topic (e.g. AWS Chatbot's, for Slack) that gets every
	// notification instead of a topic the stack creates. Its policy (and key) must let the four
	// publishers in (docs/runbook.md, "Alarms"). Valid: an SNS topic ARN in the stack's region.
	AlarmTopicArn string `config:"alarmTopicArn"`
	// AlarmTarget5xxPercent of the app's responses being 5xx over 5 minutes, twice, alarms.
	// Default DefaultAlarmTarget5xxPercent. Valid: 1 to 100.
	AlarmTarget5xxPercent int `config:"alarmTarget5xxPercent"`
	// AlarmLatencyP95Ms is the p95 target response time that alarms. Default
	// DefaultAlarmLatencyP95Ms. Valid: 50 to 60000.
	AlarmLatencyP95Ms int `config:"alarmLatencyP95Ms"`
	// AlarmCPUPercent is the ECS services' average CPU that alarms. Default DefaultAlarmCPUPercent.
	// Valid: 10 to 100.
	AlarmCPUPercent int `config:"alarmCpuPercent"`
	// AlarmMemoryPercent is the ECS services' average memory that alarms. Default
	// DefaultAlarmMemoryPercent. Valid: 10 to 100.
	AlarmMemoryPercent int `config:"alarmMemoryPercent"`
	// AlarmDbCPUPercent is the database's average CPU that alarms. Default
	// DefaultAlarmDbCPUPercent. Valid: 10 to 100.
	AlarmDbCPUPercent int `config:"alarmDbCpuPercent"`
	// AlarmDbFreeStoragePercent: free storage below this share of dbAllocatedStorage alarms.
	// Default DefaultAlarmDbFreeStoragePercent. Valid: 1 to 50.
	AlarmDbFreeStoragePercent int `config:"alarmDbFreeStoragePercent"`
	// BudgetMonthlyUsd is the stack's monthly AWS Budgets cost budget in USD, on the costs
	// carrying CostTag; actual spend past 80% and 100% and a forecast past 100% notify. 0 is no
	// budget. `plan` prints the value its estimate gives (estimate × plan.BudgetHeadroom) and
	// `plan --check` (rule cost-budget) keeps the two in step. Valid: 0 to MaxBudgetMonthlyUsd.
	BudgetMonthlyUsd int `config:"budgetMonthlyUsd"`
}

// CostTag is a user-defined cost-allocation tag.
type CostTag struct{ Key, Value string }

// CostAllocationTagKey is the tag every committed stack file puts on every resource
// (aws:defaultTags.tags.Stack = the stack name); the budget filters on it.
const CostAllocationTagKey = "Stack"

// HasDestination reports whether notifications reach anyone.
func (a *MonitoringArgs) HasDestination() bool {
	return len(a.AlarmEmails) > 0 || a.AlarmTopicArn != ""
}

func (a *MonitoringArgs) defaults() {
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setInt(&a.AlarmTarget5xxPercent, DefaultAlarmTarget5xxPercent)
	setInt(&a.AlarmLatencyP95Ms, DefaultAlarmLatencyP95Ms)
	setInt(&a.AlarmCPUPercent, DefaultAlarmCPUPercent)
	setInt(&a.AlarmMemoryPercent, DefaultAlarmMemoryPercent)
	setInt(&a.AlarmDbCPUPercent, DefaultAlarmDbCPUPercent)
	setInt(&a.AlarmDbFreeStoragePercent, DefaultAlarmDbFreeStoragePercent)
}

// snsTopicArnPattern is an SNS standard topic ARN: partition, region, account, name.
var snsTopicArnPattern = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):sns:([a-z]{2}(?:-gov)?-[a-z]+-\d):(\d{12}):([A-Za-z0-9_-]{1,256})$`)

// problems holds every monitoring rule; it runs on defaulted args.
func (a *MonitoringArgs) problems() []FieldProblem {
	var ps problemList
	a.destinationProblems(&ps)
	rangeProblem(&ps, "AlarmTarget5xxPercent", a.AlarmTarget5xxPercent, 1, 100, DefaultAlarmTarget5xxPercent)
	rangeProblem(&ps, "AlarmLatencyP95Ms", a.AlarmLatencyP95Ms, 50, 60000, DefaultAlarmLatencyP95Ms)
	rangeProblem(&ps, "AlarmCPUPercent", a.AlarmCPUPercent, 10, 100, DefaultAlarmCPUPercent)
	rangeProblem(&ps, "AlarmMemoryPercent", a.AlarmMemoryPercent, 10, 100, DefaultAlarmMemoryPercent)
	rangeProblem(&ps, "AlarmDbCPUPercent", a.AlarmDbCPUPercent, 10, 100, DefaultAlarmDbCPUPercent)
	rangeProblem(&ps, "AlarmDbFreeStoragePercent", a.AlarmDbFreeStoragePercent, 1, 50, DefaultAlarmDbFreeStoragePercent)
	if a.BudgetMonthlyUsd < 0 || a.BudgetMonthlyUsd > MaxBudgetMonthlyUsd {
		ps.add("BudgetMonthlyUsd", strconv.Itoa(a.BudgetMonthlyUsd),
			fmt.Sprintf("must be 0 (no budget) or a monthly limit in whole USD up to %d; `go run . plan <stack>` prints the value its estimate gives.", MaxBudgetMonthlyUsd),
			setTo("BudgetMonthlyUsd", "0"))
	}
	return ps
}

func (a *MonitoringArgs) destinationProblems(ps *problemList) {
	firstEmail := func(addr string) Fix {
		return Fix{Steps: []FixStep{{Op: FixSet, Field: "AlarmEmails", Path: "[0]", Value: addr}}}
	}
	if ProfileOf(a.Environment).RequireAlarmDestination && !a.HasDestination() {
		ps.add("AlarmEmails", "",
			"prod must tell someone when it breaks: set {AlarmEmails} (addresses subscribed to the stack's alarm topic) or {AlarmTopicArn} (an existing topic, e.g. AWS Chatbot's for Slack). Only dev may run without a notification destination.",
			firstEmail("ops@example.co.jp").or(setTo("AlarmTopicArn", "arn:aws:sns:ap-northeast-1:123456789012:chatbot-alerts")))
	}
	if len(a.AlarmEmails) > 0 && a.AlarmTopicArn != "" {
		ps.add("AlarmTopicArn", a.AlarmTopicArn,
			"and {AlarmEmails} are both set; pick one destination: the stack's own topic with email subscriptions, or an existing topic (subscribe the addresses to that topic instead).",
			removeField("AlarmEmails").or(removeField("AlarmTopicArn")))
	}
	if a.AlarmTopicArn != "" {
		m := snsTopicArnPattern.FindStringSubmatch(a.AlarmTopicArn)
		switch {
		case m == nil:
			ps.add("AlarmTopicArn", a.AlarmTopicArn, "must be an SNS topic ARN, arn:aws:sns:<region>:<account id>:<topic name> (a standard topic, not .fifo).",
				setTo("AlarmTopicArn", "arn:aws:sns:ap-northeast-1:123456789012:chatbot-alerts"))
		case a.Account.Region != "" && m[2] != a.Account.Region:
			ps.add("AlarmTopicArn", a.AlarmTopicArn,
				fmt.Sprintf("is in %s, but CloudWatch alarms, EventBridge rules and RDS event subscriptions publish only to a topic in their own region, %s.", m[2], a.Account.Region),
				setTo("AlarmTopicArn", strings.Replace(a.AlarmTopicArn, ":"+m[2]+":", ":"+a.Account.Region+":", 1)))
		}
	}
	if len(a.AlarmEmails) > MaxAlarmEmails {
		ps.add("AlarmEmails", fmt.Sprintf("%d addresses", len(a.AlarmEmails)),
			fmt.Sprintf("at most %d addresses; for more people subscribe a mailing list, or use {AlarmTopicArn}.", MaxAlarmEmails),
			firstEmail("ops@example.co.jp"))
	}
	var seen []string
	for _, e := range a.AlarmEmails {
		if addr, err := mail.ParseAddress(e); err != nil || addr.Address != e || !strings.Contains(e[strings.LastIndex(e, "@")+1:], ".") {
			ps.add("AlarmEmails", e, "must be a list of plain email addresses such as ops@example.co.jp (no display names).", firstEmail("ops@example.co.jp"))
			continue
		}
		if slices.Contains(seen, strings.ToLower(e)) {
			ps.add("AlarmEmails", e, "is listed twice; SNS would keep one subscription.", firstEmail("ops@example.co.jp"))
		}
		seen = append(seen, strings.ToLower(e))
	}
}
