package infra

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/budgets"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The monitoring component's files: monitoring_args.go (settings, defaults, rules), this file
// (the component, the topic and its key), monitoring_alarms.go (metric alarms, the deployment
// rule, RDS events), monitoring_dashboard.go (the dashboard and the saved Logs Insights queries)
// and monitoring_budget.go.

// Monitoring tells people when the stack is broken: one SNS topic (or an existing one) that every
// alarm, OK, failed deployment, RDS event and budget alert goes to, a dashboard, saved log
// queries and a cost budget.
type Monitoring struct {
	pulumi.ResourceState

	// TopicArn is where every notification goes: the stack's topic, or AlarmTopicArn.
	TopicArn pulumi.StringOutput `pulumi:"topicArn"`
	// DashboardName and DashboardURL are the stack's CloudWatch dashboard.
	DashboardName pulumi.StringOutput `pulumi:"dashboardName"`
	DashboardURL  pulumi.StringOutput `pulumi:"dashboardUrl"`

	// Topic and Key are nil with AlarmTopicArn (nothing is created for the topic).
	Topic *sns.Topic
	Key   *kms.Key
	// Alarms are the metric alarms by their short name, e.g. "web-cpu", "db-free-storage".
	Alarms map[string]*cloudwatch.MetricAlarm
	// Budget is nil when BudgetMonthlyUsd is 0.
	Budget *budgets.Budget

	ctx    *pulumi.Context
	a      MonitoringArgs
	parent pulumi.ResourceOption
	// prefix starts every alarm, rule and query name: "<project>-<stack>", so the topic policy
	// can admit exactly this stack's alarms and rules by name.
	prefix   string
	services []ServiceWatch
}

// NewMonitoring builds the topic, the alarms of every watched service and the database, the
// deployment and RDS event notifications, the dashboard, the saved queries and the budget.
func NewMonitoring(ctx *pulumi.Context, name string, args *MonitoringArgs, opts ...pulumi.ResourceOption) (*Monitoring, error) {
	if args == nil {
		args = &MonitoringArgs{}
	}
	a := *args
	a.defaults()
	if a.CostTag == (CostTag{}) {
		a.CostTag = CostTag{Key: CostAllocationTagKey, Value: ctx.Stack()}
	}
	if err := errors.Join(a.Account.validate(), argsError("MonitoringArgs", a.problems())); err != nil {
		return nil, err
	}
	m := &Monitoring{ctx: ctx, a: a, Alarms: map[string]*cloudwatch.MetricAlarm{},
		prefix: familyUnsafe.ReplaceAllString(ctx.Project()+"-"+ctx.Stack(), "-")}
	if err := ctx.RegisterComponentResource("rails-infra:infra:Monitoring", name, m, opts...); err != nil {
		return nil, err
	}
	m.parent = pulumi.Parent(m)
	for _, step := range []func() error{
		m.topic,         // the key, the topic and its email subscriptions (or the given topic)
		m.watchServices, // per service: alarms and the deployment-failure rule
		m.notifyScheduleFailures,
		m.watchDatabase,   // database alarms and the RDS event subscription
		m.topicPolicy,     // who may publish: this stack's alarms, rules, database and budget
		m.dashboard,       // one dashboard, then the saved Logs Insights queries
		m.savedQueries,    //
		m.budget,          // the monthly cost budget
		m.registerOutputs, //
	} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Monitoring) watchServices() error {
	for _, w := range m.a.Services {
		if err := m.WatchService(w); err != nil {
			return err
		}
	}
	return nil
}

func (m *Monitoring) registerOutputs() error {
	return m.ctx.RegisterResourceOutputs(m, pulumi.Map{
		"topicArn":      m.TopicArn,
		"dashboardName": m.DashboardName,
		"dashboardUrl":  m.DashboardURL,
	})
}

// topic creates the encrypted topic with its email subscriptions, or takes AlarmTopicArn.
func (m *Monitoring) topic() error {
	if m.a.AlarmTopicArn != "" {
		m.TopicArn = pulumi.String(m.a.AlarmTopicArn).ToStringOutput()
		return nil
	}
	keyPolicy, err := MarshalPolicy(alarmKeyPolicy(m.a.Account, m.prefix))
	if err != nil {
		return err
	}
	window := 7
	if ProfileOf(m.a.Environment).Protect {
		window = 30
	}
	m.Key, err = kms.NewKey(m.ctx, "alarms", &kms.KeyArgs{
		Description:          pulumi.Sprintf("Encrypts the %s alarm topic at rest", m.prefix),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(window),
		Policy:               pulumi.String(keyPolicy),
	}, m.parent)
	if err != nil {
		return err
	}
	m.Topic, err = sns.NewTopic(m.ctx, "alarms", &sns.TopicArgs{
		DisplayName: pulumi.String(truncate(m.prefix+" alarms", 100)),
		// A customer managed key: the AWS managed alias/aws/sns cannot be used by CloudWatch,
		// EventBridge, RDS or Budgets (its key policy cannot grant them), so their messages
		// would be dropped.
		KmsMasterKeyId: m.Key.Arn,
	}, m.parent)
	if err != nil {
		return err
	}
	m.TopicArn = m.Topic.Arn
	for _, addr := range m.a.AlarmEmails {
		if _, err := sns.NewTopicSubscription(m.ctx, "alarms-"+addr, &sns.TopicSubscriptionArgs{
			Topic: m.Topic.Arn, Protocol: pulumi.String("email"), Endpoint: pulumi.String(addr),
		}, m.parent); err != nil {
			return err
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// publishActions are what a publisher needs on the topic's key: a data key to encrypt the
// message and decrypt it again (SNS developer guide, "Enable compatibility between event sources
// from AWS services and encrypted topics", which grants kms:GenerateDataKey*; SNS asks for a
// plaintext data key, kms:GenerateDataKey).
var publishActions = []string{"kms:GenerateDataKey", "kms:Decrypt"}

// keyAdminActions let the account's IAM policies manage the key (what the provider calls to
// create, read, update and schedule the deletion of it), without the blanket kms:* of AWS's
// default key policy.
var keyAdminActions = []string{
	"kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus", "kms:EnableKeyRotation",
	"kms:DisableKeyRotation", "kms:ListResourceTags", "kms:TagResource", "kms:UntagResource", "kms:UpdateKeyDescription",
	"kms:EnableKey", "kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
}

// alarmKeyPolicy lets the account administer the key, principals of the account publish through
// SNS (a test message from the console), and the four publishers use it. The SNS docs say
// aws:SourceAccount/aws:SourceArn are not supported in a key policy for EventBridge, so its
// statement carries no condition; the topic policy scopes every publisher to this stack.
func alarmKeyPolicy(acct Account, prefix string) PolicyDocument {
	root := map[string]any{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", acct.Partition, acct.AccountID)}
	account := map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": acct.AccountID}}
	service := func(sid, principal string, cond map[string]any) Statement {
		return Statement{Sid: sid, Effect: "Allow", Principal: map[string]any{"Service": principal},
			Action: publishActions, Resource: []string{"*"}, Condition: cond}
	}
	return PolicyDocument{Statement: []Statement{
		{Sid: "AccountAdministersKey", Effect: "Allow", Principal: root, Action: keyAdminActions, Resource: []string{"*"}},
		{Sid: "AccountPublishesThroughSns", Effect: "Allow", Principal: root, Action: publishActions, Resource: []string{"*"},
			Condition: map[string]any{"StringEquals": map[string]any{
				"kms:ViaService": "sns." + acct.Region + ".amazonaws.com", "kms:CallerAccount": acct.AccountID}}},
		service("CloudWatchAlarms", "cloudwatch.amazonaws.com", map[string]any{
			"StringEquals": account["StringEquals"],
			"ArnLike":      map[string]any{"aws:SourceArn": acct.ARN("cloudwatch", "alarm:"+prefix+"-*")}}),
		service("EventBridgeRules", "events.amazonaws.com", nil),
		service("RdsEvents", "events.rds.amazonaws.com", account),
		service("Budgets", "budgets.amazonaws.com", account),
	}}
}

// eventRuleSources is one ARN pattern, or the list of it and the given rule ARNs.
func eventRuleSources(pattern string, ruleArns []string) any {
	if len(ruleArns) == 0 {
		return pattern
	}
	return append([]string{pattern}, ruleArns...)
}

// notifyScheduleFailures sends each failed scheduled run to the topic, with the schedule, the
// task and why it stopped in the message.
func (m *Monitoring) notifyScheduleFailures() error {
	for _, f := range m.a.ScheduleFailures {
		if _, err := cloudwatch.NewEventTarget(m.ctx, m.prefix+"-schedule-"+f.Name+"-failed", &cloudwatch.EventTargetArgs{
			Rule: f.Rule.Name,
			Arn:  m.TopicArn,
			InputTransformer: &cloudwatch.EventTargetInputTransformerArgs{
				InputPaths:    pulumi.StringMap(scheduleFailureInputPaths),
				InputTemplate: pulumi.String(scheduleFailureMessage(f.Name)),
			},
		}, m.parent); err != nil {
			return err
		}
	}
	return nil
}

// scheduleFailureInputPaths pick what the message needs from an "ECS Task State Change" event.
var scheduleFailureInputPaths = map[string]pulumi.StringInput{
	"task":     pulumi.String("$.detail.taskArn"),
	"exitCode": pulumi.String("$.detail.containers[0].exitCode"),
	"stopCode": pulumi.String("$.detail.stopCode"),
	"reason":   pulumi.String("$.detail.stoppedReason"),
	"time":     pulumi.String("$.time"),
}

// scheduleFailureMessage is the text the topic sends for a failed run of schedule name.
func scheduleFailureMessage(name string) string {
	return fmt.Sprintf(`"Scheduled job %s failed at <time>: exit code <exitCode>, <stopCode>: <reason>. Task: <task>. Runbook: docs/runbook.md#workers-and-scheduled-jobs"`, name)
}

// topicPolicy lets exactly this stack's alarms, EventBridge rules, database and budgets publish.
// With AlarmTopicArn the topic is not the stack's to change: docs/runbook.md lists what its
// policy must allow.
func (m *Monitoring) topicPolicy() error {
	if m.Topic == nil {
		return nil
	}
	var dbArn pulumi.StringInput = pulumi.String("")
	if m.a.Database != nil {
		dbArn = m.a.Database.InstanceArn
	}
	in := []any{m.Topic.Arn, dbArn}
	for _, f := range m.a.ScheduleFailures {
		in = append(in, f.Rule.Arn)
	}
	doc := pulumi.All(in...).ApplyT(func(xs []any) (string, error) {
		var rules []string
		for _, x := range xs[2:] {
			rules = append(rules, x.(string))
		}
		return MarshalPolicy(alarmTopicPolicy(m.a.Account, m.prefix, xs[0].(string), xs[1].(string), rules...))
	}).(pulumi.StringOutput)
	_, err := sns.NewTopicPolicy(m.ctx, "alarms", &sns.TopicPolicyArgs{Arn: m.Topic.Arn, Policy: doc}, m.parent)
	return err
}

// alarmTopicPolicy is the topic's access policy: sns:Publish for each publisher, only for this
// account and only from this stack's resources (dbArn "" without a database; ruleArns are rules
// the stack names otherwise, the schedules' failure rules).
func alarmTopicPolicy(acct Account, prefix, topicArn, dbArn string, ruleArns ...string) PolicyDocument {
	publish := func(sid, principal string, sourceArn any) Statement {
		return Statement{Sid: sid, Effect: "Allow", Principal: map[string]any{"Service": principal},
			Action: []string{"sns:Publish"}, Resource: []string{topicArn},
			Condition: map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": acct.AccountID},
				"ArnLike":      map[string]any{"aws:SourceArn": sourceArn},
			}}
	}
	st := []Statement{
		publish("CloudWatchAlarms", "cloudwatch.amazonaws.com", acct.ARN("cloudwatch", "alarm:"+prefix+"-*")),
		publish("EventBridgeRules", "events.amazonaws.com", eventRuleSources(acct.ARN("events", "rule/"+prefix+"-*"), ruleArns)),
	}
	if dbArn != "" {
		st = append(st, publish("RdsEvents", "events.rds.amazonaws.com", dbArn))
	}
	// Budgets is global: its ARNs carry no region (AWS Cost Management user guide, "Creating an
	// Amazon SNS topic for budget notifications").
	st = append(st, publish("Budgets", "budgets.amazonaws.com", fmt.Sprintf("arn:%s:budgets::%s:*", acct.Partition, acct.AccountID)))
	return PolicyDocument{Statement: st}
}
