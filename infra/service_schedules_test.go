package infra

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/mockengine"
)

// twoSchedules is a nightly report at 03:00 Tokyo time on a bigger task, and an hourly cleanup
// that is paused.
func twoSchedules(a *AppServiceArgs) {
	a.Schedules = map[string]ScheduleArgs{
		"nightly": {Command: []string{"bin/rails", "reports:nightly"}, Schedule: "cron(0 3 * * ? *)", CPU: 1024, Memory: 2048},
		"cleanup": {Command: []string{"bin/rails", "cleanup"}, Schedule: "rate(1 hour)", Timezone: "UTC", Enabled: boolRef(false)},
	}
}

func TestSchedules(t *testing.T) {
	r := mustRunService(t, twoSchedules, nil)
	td := r.res.Find(awstype.EcsTaskDefinition, "app-schedule")
	role := r.res.Find(awstype.IamRole, "app-scheduler")
	dlq := one(t, r.res, awstype.SqsQueue)
	cluster := one(t, r.res, awstype.EcsCluster)
	if td == nil || role == nil {
		t.Fatal("no schedule task definition or scheduler role")
	}
	nightly := r.res.Find(awstype.SchedulerSchedule, "app-schedule-nightly")
	cleanup := r.res.Find(awstype.SchedulerSchedule, "app-schedule-cleanup")
	if nightly == nil || cleanup == nil {
		t.Fatal("want schedules app-schedule-nightly and app-schedule-cleanup")
	}
	in := func(s *mockengine.Resource, path ...string) any {
		cur := s.Input(path[0])
		for _, p := range path[1:] {
			m, _ := cur.(map[string]any)
			cur = m[p]
		}
		return cur
	}
	web := r.res.Find(awstype.EcsService, "app")
	webNet, _ := web.Input("networkConfiguration").(map[string]any)
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"nightly fires at 03:00 Tokyo time", []any{nightly.Input("scheduleExpression"), nightly.Input("scheduleExpressionTimezone"), nightly.Input("state")}, []any{"cron(0 3 * * ? *)", "Asia/Tokyo", "ENABLED"}},
		{"cleanup is paused, not deleted", []any{cleanup.Input("scheduleExpression"), cleanup.Input("scheduleExpressionTimezone"), cleanup.Input("state")}, []any{"rate(1 hour)", "UTC", "DISABLED"}},
		{"the flexible time window is off", in(nightly, "flexibleTimeWindow", "mode"), "OFF"},
		{"the retry policy is set", in(nightly, "target", "retryPolicy"), map[string]any{"maximumRetryAttempts": 3.0, "maximumEventAgeInSeconds": 3600.0}},
		{"failed invocations go to the dead-letter queue", in(nightly, "target", "deadLetterConfig", "arn"), outputString(t, dlq, "arn")},
		{"the target is the cluster, with the scheduler role", []any{in(nightly, "target", "arn"), in(nightly, "target", "roleArn")}, []any{outputString(t, cluster, "arn"), outputString(t, role, "arn")}},
		{"it runs the schedule task definition's current revision", in(nightly, "target", "ecsParameters", "taskDefinitionArn"), outputString(t, td, "arn")},
		{"its tasks carry the schedule's group", in(nightly, "target", "ecsParameters", "group"), "schedule:nightly"},
		{"one task per run on the stack's capacity provider", []any{in(nightly, "target", "ecsParameters", "taskCount"), in(nightly, "target", "ecsParameters", "capacityProviderStrategies")},
			[]any{1.0, []any{map[string]any{"capacityProvider": "FARGATE", "weight": 1.0}}}},
		{"in the private subnets with the app SG and no public IP", in(nightly, "target", "ecsParameters", "networkConfiguration"),
			map[string]any{"subnets": webNet["subnets"], "securityGroups": webNet["securityGroups"], "assignPublicIp": false}},
		{"the command and size are RunTask overrides in the input", in(nightly, "target", "input"),
			`{"containerOverrides":[{"command":["bin/rails","reports:nightly"],"name":"web"}],"cpu":"1024","memory":"2048"}`},
		{"the dead-letter queue is encrypted and keeps messages 14 days", []any{dlq.Input("sqsManagedSseEnabled"), dlq.Input("messageRetentionSeconds")}, []any{true, 1209600.0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			gb, _ := json.Marshal(c.got)
			wb, _ := json.Marshal(c.want)
			if string(gb) != string(wb) {
				t.Errorf("got %s, want %s", gb, wb)
			}
		})
	}
	t.Run("the schedule task definition is web's container with its own family and stream prefix", func(t *testing.T) {
		c, w := containerDefs(t, r.res, "app-schedule"), containerDefs(t, r.res, "app")
		if td.Input("family") != "rails-infra-dev-schedule" || c.LogConfiguration.Options["awslogs-stream-prefix"] != "schedule" ||
			!slices.Equal(c.Environment, w.Environment) || !slices.Equal(c.Secrets, w.Secrets) || len(c.PortMappings) != 0 {
			t.Errorf("schedule container %+v\nwant web's env and secrets, family rails-infra-dev-schedule, prefix schedule, no port", c)
		}
	})
	t.Run("schedules wait for the scheduler's grant, the tasks' prerequisites and the database", func(t *testing.T) {
		grant := r.res.Find(awstype.IamRolePolicy, "app-scheduler")
		for _, dep := range []string{grant.URN, r.dbURN, one(t, r.res, awstype.EcsClusterCapacityProviders).URN} {
			if !slices.Contains(nightly.DependsOn, dep) {
				t.Errorf("%s does not depend on %s", nightly.Name, dep)
			}
		}
	})
	t.Run("each schedule exports the command that runs it now, as the schedule would", func(t *testing.T) {
		cmd := r.svc.Schedules.RunCommands
		if len(cmd) != 2 {
			t.Fatalf("run commands = %v", cmd)
		}
	})
}

func TestSchedulerRolePolicy(t *testing.T) {
	r := mustRunService(t, twoSchedules, nil)
	role := r.res.Find(awstype.IamRole, "app-scheduler")
	trust := policyOf(t, role, "assumeRolePolicy", policyVersion)
	t.Run("only EventBridge Scheduler acting for this account may assume it", func(t *testing.T) {
		st := trust.Statement[0]
		cond, _ := st.Condition["StringEquals"].(map[string]any)
		if len(trust.Statement) != 1 || st.Principal["Service"] != "scheduler.amazonaws.com" || cond["aws:SourceAccount"] != testAccount.AccountID {
			t.Errorf("trust = %+v, want scheduler.amazonaws.com with aws:SourceAccount %s", trust, testAccount.AccountID)
		}
	})
	doc := policyOf(t, r.res.Find(awstype.IamRolePolicy, "app-scheduler"), "policy", policyVersion)
	assertNoWildcards(t, doc)
	cluster := outputString(t, one(t, r.res, awstype.EcsCluster), "arn")
	exec := outputString(t, r.res.Find(awstype.IamRole, "app-execution"), "arn")
	task := outputString(t, r.res.Find(awstype.IamRole, "app-task"), "arn")
	want := map[string]Statement{
		"RunScheduleTask": {Action: []string{"ecs:RunTask"}, Resource: []string{"arn:aws:ecs:ap-northeast-1:123456789012:task-definition/rails-infra-dev-schedule:*"},
			Condition: map[string]any{"ArnEquals": map[string]any{"ecs:cluster": cluster}}},
		"PassTaskRoles": {Action: []string{"iam:PassRole"}, Resource: []string{exec, task},
			Condition: map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "ecs-tasks.amazonaws.com"}}},
		"DeadLetter": {Action: []string{"sqs:SendMessage"}, Resource: []string{outputString(t, one(t, r.res, awstype.SqsQueue), "arn")}},
	}
	if len(doc.Statement) != len(want) {
		t.Errorf("%d statements, want %d: %+v", len(doc.Statement), len(want), doc.Statement)
	}
	for _, st := range doc.Statement {
		w, ok := want[st.Sid]
		t.Run("statement "+st.Sid+" allows exactly what the schedules need", func(t *testing.T) {
			gb, _ := json.Marshal([]any{st.Action, st.Resource, st.Condition})
			wb, _ := json.Marshal([]any{w.Action, w.Resource, w.Condition})
			if !ok || string(gb) != string(wb) || st.Effect != "Allow" {
				t.Errorf("%s = %s, want %s", st.Sid, gb, wb)
			}
		})
	}
}

func TestScheduleFailuresAreLogged(t *testing.T) {
	r := mustRunService(t, twoSchedules, nil)
	logs := r.res.Find(awstype.CloudWatchLogGroup, "app-schedule-failures")
	if logs == nil {
		t.Fatal("no failure log group")
	}
	cluster := outputString(t, one(t, r.res, awstype.EcsCluster), "arn")
	for _, name := range []string{"cleanup", "nightly"} {
		rule := r.res.Find(awstype.CloudWatchEventRule, "app-schedule-"+name+"-failed")
		target := r.res.Find(awstype.CloudWatchEventTarget, "app-schedule-"+name+"-failed-log")
		t.Run(name+"'s rule matches its own tasks that stopped with a non-zero exit code or never started", func(t *testing.T) {
			var got map[string]any
			if rule == nil || json.Unmarshal([]byte(rule.Input("eventPattern").(string)), &got) != nil {
				t.Fatalf("rule %s has no JSON pattern", name)
			}
			want := map[string]any{
				"source": []any{"aws.ecs"}, "detail-type": []any{"ECS Task State Change"},
				"detail": map[string]any{
					"clusterArn": []any{cluster}, "group": []any{"schedule:" + name}, "lastStatus": []any{"STOPPED"},
					"$or": []any{
						map[string]any{"containers": map[string]any{"exitCode": []any{map[string]any{"anything-but": []any{0.0}}}}},
						map[string]any{"stopCode": []any{"TaskFailedToStart"}},
					},
				},
			}
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(want)
			if string(gb) != string(wb) {
				t.Errorf("pattern = %s\nwant %s", gb, wb)
			}
		})
		t.Run(name+"'s failures go to the failure log group", func(t *testing.T) {
			if target == nil || target.Input("arn") != outputString(t, logs, "arn") || target.Input("rule") != outputString(t, rule, "name") {
				t.Errorf("target = %+v, want the log group on the rule", target)
			}
		})
	}
	t.Run("the log group lives under /aws/events/ and only EventBridge may write to it", func(t *testing.T) {
		if !strings.HasPrefix(outputString(t, logs, "name"), "/aws/events/") || logs.Input("retentionInDays") != 30.0 {
			t.Errorf("log group %s retention %v", outputString(t, logs, "name"), logs.Input("retentionInDays"))
		}
		pol := policyOf(t, one(t, r.res, awstype.CloudWatchLogResourcePolicy), "policyDocument", policyVersion)
		st := pol.Statement[0]
		if len(pol.Statement) != 1 || !slices.Equal(st.Action, []string{"logs:CreateLogStream", "logs:PutLogEvents"}) ||
			!slices.Equal(st.Resource, []string{outputString(t, logs, "arn") + ":*"}) {
			t.Errorf("log resource policy = %+v, want only CreateLogStream/PutLogEvents on this group", pol)
		}
	})
}

func TestSchedulesComeWithTheFirstImage(t *testing.T) {
	r := mustRunService(t, func(a *AppServiceArgs) { twoSchedules(a); a.ImageTag = "" }, nil)
	if r.res.Find(awstype.EcsTaskDefinition, "app-schedule") == nil {
		t.Error("the schedule task definition should exist before the first image, like web's")
	}
	for _, typ := range []string{awstype.SchedulerSchedule, awstype.SqsQueue, awstype.CloudWatchLogResourcePolicy} {
		if n := len(r.res.OfType(typ)); n != 0 {
			t.Errorf("%d %s before the first image; a schedule of the placeholder image would fail every run", n, typ)
		}
	}
	if r.res.Find(awstype.IamRole, "app-scheduler") != nil {
		t.Error("scheduler role before the first image")
	}
}

func TestScheduleNamesFitTheComponentName(t *testing.T) {
	_, err := runProgram(t, func(ctx *pulumi.Context) error {
		a := baseArgs()
		a.Schedules = map[string]ScheduleArgs{strings.Repeat("s", 24): {Command: []string{"x"}, Schedule: "rate(1 day)"}}
		_, err := NewAppService(ctx, strings.Repeat("c", 24), a)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "over EventBridge's 64") {
		t.Errorf("err = %v, want the failure rule's name length named", err)
	}
}
