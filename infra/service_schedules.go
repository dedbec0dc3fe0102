package infra

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/scheduler"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ScheduleStreamPrefix is the log stream prefix of every scheduled job's task.
const ScheduleStreamPrefix = "schedule"

// ScheduleGroup is the ECS task group of a schedule's tasks (RunTask's group): the failure rule
// matches it, and `aws ecs list-tasks` cannot filter by it but describe-tasks shows it.
func ScheduleGroup(name string) string { return "schedule:" + name }

// Schedules is what the scheduled jobs run on: one task definition (the web's container, so
// env and secrets are the web's), and from the first image on the role, dead-letter queue,
// schedules and failure rules.
type Schedules struct {
	Names          []string
	TaskDefinition *ecs.TaskDefinition
	// The rest exist only with an image (HasImage).
	Role            *iam.Role
	DeadLetterQueue *sqs.Queue
	Schedules       map[string]*scheduler.Schedule
	FailureRules    map[string]*cloudwatch.EventRule
	// FailureLogGroup receives the ECS task state change of every failed run.
	FailureLogGroup *cloudwatch.LogGroup
	// RunCommands run each job now, as the schedule would (same task definition, group and command).
	RunCommands pulumi.StringMap
}

// scheduleTaskDefinition registers the task definition every schedule runs, with the web's size;
// a schedule's command (and size) is a RunTask override.
func (b *appServiceBuild) scheduleTaskDefinition(resolved pulumi.AnyOutput) error {
	a := b.a
	if len(a.Schedules) == 0 {
		return nil
	}
	s := &Schedules{Names: slices.Sorted(maps.Keys(a.Schedules))}
	b.svc.Schedules = s
	var err error
	s.TaskDefinition, err = newTaskDefinition(b.ctx, b.name+"-schedule", a.Family+"-schedule", a, taskSize{CPU: a.CPU, Memory: a.Memory},
		b.roles, resolved, process{StreamPrefix: ScheduleStreamPrefix}, b.parent)
	return err
}

// schedules registers, once an image is configured, EventBridge Scheduler schedules that run
// the schedule task definition's current revision, with a role scoped to exactly that, a
// dead-letter queue and a rule that logs every run that fails.
func (b *appServiceBuild) schedules() error {
	s := b.svc.Schedules
	if s == nil || !b.svc.HasImage {
		return nil
	}
	s.Schedules, s.FailureRules = map[string]*scheduler.Schedule{}, map[string]*cloudwatch.EventRule{}
	steps := []func(*Schedules) error{b.scheduleQueueAndRole, b.scheduleFailureLog}
	for _, name := range s.Names {
		steps = append(steps, func(s *Schedules) error { return b.schedule(s, name) })
	}
	for _, step := range steps {
		if err := step(s); err != nil {
			return err
		}
	}
	return nil
}

// schedulerPolicy lets EventBridge Scheduler start only the schedule family in this cluster,
// hand ECS exactly the two task roles, and dead-letter to this stack's queue.
func schedulerPolicy(acct Account, family, clusterArn, execRole, taskRole, queueArn string) PolicyDocument {
	return PolicyDocument{Statement: []Statement{
		{
			Sid:       "RunScheduleTask",
			Effect:    "Allow",
			Action:    []string{"ecs:RunTask"},
			Resource:  []string{acct.ARN("ecs", "task-definition/"+family+":*")},
			Condition: map[string]any{"ArnEquals": map[string]any{"ecs:cluster": clusterArn}},
		},
		{
			Sid:       "PassTaskRoles",
			Effect:    "Allow",
			Action:    []string{"iam:PassRole"},
			Resource:  []string{execRole, taskRole},
			Condition: map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
		},
		{
			Sid:      "DeadLetter",
			Effect:   "Allow",
			Action:   []string{"sqs:SendMessage"},
			Resource: []string{queueArn},
		},
	}}
}

func (b *appServiceBuild) scheduleQueueAndRole(s *Schedules) error {
	a := b.a
	var err error
	// SQS-managed SSE: encrypted at rest without a KMS key policy for Scheduler to need.
	s.DeadLetterQueue, err = sqs.NewQueue(b.ctx, b.name+"-schedule-dlq", &sqs.QueueArgs{
		SqsManagedSseEnabled:    pulumi.Bool(true),
		MessageRetentionSeconds: pulumi.Int(ScheduleDLQRetentionSeconds),
	}, b.parent)
	if err != nil {
		return err
	}
	trust, err := MarshalPolicy(trustPolicy("scheduler.amazonaws.com", a.Account.sourceGuard("")))
	if err != nil {
		return err
	}
	s.Role, err = iam.NewRole(b.ctx, b.name+"-scheduler", &iam.RoleArgs{
		Description:      pulumi.String("EventBridge Scheduler starts this stack's scheduled Rails jobs with this role"),
		AssumeRolePolicy: pulumi.String(trust),
	}, b.parent)
	if err != nil {
		return err
	}
	doc := pulumi.All(b.ecsCluster.Arn, b.roles.Execution.Arn, b.roles.Task.Arn, s.DeadLetterQueue.Arn).ApplyT(func(xs []any) (string, error) {
		return MarshalPolicy(schedulerPolicy(a.Account, a.Family+"-schedule", xs[0].(string), xs[1].(string), xs[2].(string), xs[3].(string)))
	}).(pulumi.StringOutput)
	grant, err := iam.NewRolePolicy(b.ctx, b.name+"-scheduler", &iam.RolePolicyArgs{Role: s.Role.ID(), Policy: doc}, b.parent)
	if err != nil {
		return err
	}
	b.scheduleDeps = append(append([]pulumi.Resource{grant}, b.serviceDeps...), b.roles.Grants...)
	return nil
}

// scheduleFailureLog is the log group failed runs are written to, with the resource policy
// EventBridge needs to write there (a CloudWatch Logs target has no role). The name starts with
// /aws/events/, where EventBridge's console looks for its log targets.
func (b *appServiceBuild) scheduleFailureLog(s *Schedules) error {
	var err error
	s.FailureLogGroup, err = cloudwatch.NewLogGroup(b.ctx, b.name+"-schedule-failures", &cloudwatch.LogGroupArgs{
		NamePrefix:      pulumi.String("/aws/events/" + b.a.Family + "-schedule-failures-"),
		RetentionInDays: pulumi.Int(b.a.LogRetentionDays),
	}, b.parent)
	if err != nil {
		return err
	}
	doc := s.FailureLogGroup.Arn.ApplyT(func(arn string) (string, error) {
		return MarshalPolicy(failureLogPolicy(arn))
	}).(pulumi.StringOutput)
	// The policy is named after the (auto-named) group, so a replaced group gets a new policy.
	policyName := s.FailureLogGroup.Name.ApplyT(func(n string) string {
		return strings.Trim(strings.ReplaceAll(n, "/", "-"), "-") + "-events"
	}).(pulumi.StringOutput)
	policy, err := cloudwatch.NewLogResourcePolicy(b.ctx, b.name+"-schedule-failures", &cloudwatch.LogResourcePolicyArgs{
		PolicyName: policyName, PolicyDocument: doc,
	}, b.parent)
	if err != nil {
		return err
	}
	b.failureLogPolicy = policy
	return nil
}

// failureLogPolicy lets EventBridge write events into exactly this log group.
func failureLogPolicy(logGroupArn string) PolicyDocument {
	return PolicyDocument{Statement: []Statement{{
		Sid:       "EventBridgeWritesFailedRuns",
		Effect:    "Allow",
		Principal: map[string]any{"Service": []string{"events.amazonaws.com", "delivery.logs.amazonaws.com"}},
		Action:    []string{"logs:CreateLogStream", "logs:PutLogEvents"},
		Resource:  []string{logGroupArn + ":*"},
	}}}
}

// scheduleFailurePattern matches the stop of a task this schedule started (its group) in this
// cluster that failed: an essential container exited non-zero, or the task never started.
func scheduleFailurePattern(clusterArn, name string) (string, error) {
	b, err := json.Marshal(map[string]any{
		"source":      []string{"aws.ecs"},
		"detail-type": []string{"ECS Task State Change"},
		"detail": map[string]any{
			"clusterArn": []string{clusterArn},
			"group":      []string{ScheduleGroup(name)},
			"lastStatus": []string{"STOPPED"},
			"$or": []any{
				map[string]any{"containers": map[string]any{"exitCode": []any{map[string]any{"anything-but": []int{0}}}}},
				map[string]any{"stopCode": []string{"TaskFailedToStart"}},
			},
		},
	})
	return string(b), err
}

// scheduleInput is the RunTask overrides the schedule passes: the job's command and task size.
func scheduleInput(s ScheduleArgs) string {
	b, _ := json.Marshal(taskOverrides(s.Command, s.CPU, s.Memory))
	return string(b)
}

func (b *appServiceBuild) schedule(s *Schedules, name string) error {
	a, args := b.a, b.a.Schedules[name]
	capacity := "FARGATE"
	if a.Spot {
		capacity = "FARGATE_SPOT"
	}
	state := "ENABLED"
	if !*args.Enabled {
		state = "DISABLED" // paused, kept: enabling it again is one config change
	}
	sched, err := scheduler.NewSchedule(b.ctx, b.name+"-schedule-"+name, &scheduler.ScheduleArgs{
		Description:                pulumi.String(fmt.Sprintf("Rails job %s: %s", name, strings.Join(args.Command, " "))),
		ScheduleExpression:         pulumi.String(args.Schedule),
		ScheduleExpressionTimezone: pulumi.String(args.Timezone),
		State:                      pulumi.String(state),
		FlexibleTimeWindow:         &scheduler.ScheduleFlexibleTimeWindowArgs{Mode: pulumi.String("OFF")},
		Target: &scheduler.ScheduleTargetArgs{
			Arn:              b.ecsCluster.Arn,
			RoleArn:          s.Role.Arn,
			Input:            pulumi.String(scheduleInput(args)),
			DeadLetterConfig: &scheduler.ScheduleTargetDeadLetterConfigArgs{Arn: s.DeadLetterQueue.Arn},
			RetryPolicy: &scheduler.ScheduleTargetRetryPolicyArgs{
				MaximumRetryAttempts:     pulumi.Int(ScheduleRetryAttempts),
				MaximumEventAgeInSeconds: pulumi.Int(ScheduleMaxEventAgeSeconds),
			},
			EcsParameters: &scheduler.ScheduleTargetEcsParametersArgs{
				// The revision ARN: the schedule is updated with every new revision (a deploy), so
				// it always runs the current one; RunTask's policy allows every revision.
				TaskDefinitionArn: s.TaskDefinition.Arn,
				TaskCount:         pulumi.Int(1),
				Group:             pulumi.String(ScheduleGroup(name)),
				CapacityProviderStrategies: scheduler.ScheduleTargetEcsParametersCapacityProviderStrategyArray{
					&scheduler.ScheduleTargetEcsParametersCapacityProviderStrategyArgs{CapacityProvider: pulumi.String(capacity), Weight: pulumi.Int(1)},
				},
				NetworkConfiguration: &scheduler.ScheduleTargetEcsParametersNetworkConfigurationArgs{
					Subnets:        a.PrivateSubnetIDs,
					SecurityGroups: pulumi.StringArray{b.sgs.App.ID()},
					AssignPublicIp: pulumi.Bool(false),
				},
				EnableExecuteCommand: pulumi.Bool(true),
			},
		},
	}, b.parent, pulumi.DependsOn(b.scheduleDeps))
	if err != nil {
		return err
	}
	s.Schedules[name] = sched
	pattern := b.ecsCluster.Arn.ApplyT(func(arn string) (string, error) { return scheduleFailurePattern(arn, name) }).(pulumi.StringOutput)
	rule, err := cloudwatch.NewEventRule(b.ctx, b.name+"-schedule-"+name+"-failed", &cloudwatch.EventRuleArgs{
		Description:  pulumi.String("A run of scheduled job " + name + " failed (non-zero exit or never started)"),
		EventPattern: pattern,
	}, b.parent)
	if err != nil {
		return err
	}
	s.FailureRules[name] = rule
	return b.failureTargets(name, rule, s.FailureLogGroup)
}

// failureTargets logs a schedule's failed runs to the failure log group. Monitoring also sends
// them to the stack's notification topic (ScheduleFailureRules).
func (b *appServiceBuild) failureTargets(name string, rule *cloudwatch.EventRule, logs *cloudwatch.LogGroup) error {
	_, err := cloudwatch.NewEventTarget(b.ctx, b.name+"-schedule-"+name+"-failed-log", &cloudwatch.EventTargetArgs{
		Rule: rule.Name, Arn: logs.Arn,
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{b.failureLogPolicy}))
	return err
}

// NamedEventRule is an EventBridge rule with the name of what it watches.
type NamedEventRule struct {
	Name string
	Rule *cloudwatch.EventRule
}

// ScheduleFailureRules are the rules matching each schedule's failed runs, by schedule name, for
// Monitoring to notify on; none before the first image (no schedule runs).
func (s *AppService) ScheduleFailureRules() []NamedEventRule {
	if s.Schedules == nil {
		return nil
	}
	var out []NamedEventRule
	for _, name := range s.Schedules.Names {
		if rule := s.Schedules.FailureRules[name]; rule != nil {
			out = append(out, NamedEventRule{Name: name, Rule: rule})
		}
	}
	return out
}

// scheduleOutputs fills the run-now commands and adds the schedules' outputs to the component's.
func (b *appServiceBuild) scheduleOutputs(outputs pulumi.Map) {
	s := b.svc.Schedules
	if s == nil || s.Schedules == nil {
		return
	}
	a := b.a
	capacity := "FARGATE"
	if a.Spot {
		capacity = "FARGATE_SPOT"
	}
	s.RunCommands = pulumi.StringMap{}
	for _, name := range s.Names {
		s.RunCommands[name] = oneOffTaskCommand(a.Account.Region, b.ecsCluster.Name, s.TaskDefinition.Family, a.PrivateSubnetIDs,
			b.svc.SecurityGroupID, capacity, scheduleInput(a.Schedules[name]), "--group "+ScheduleGroup(name))
	}
	outputs["scheduleRunCommands"] = s.RunCommands
	outputs["scheduleFailureLogGroup"] = s.FailureLogGroup.Name
	outputs["scheduleDeadLetterQueueUrl"] = s.DeadLetterQueue.Url
}
