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

const testDBArn = "arn:aws:rds:ap-northeast-1:123456789012:db:test-db-1"

// monitoringArgs watch a web service behind an ALB and a database, with plain values standing in
// for the components' outputs.
func monitoringArgs(mutate func(a *MonitoringArgs)) *MonitoringArgs {
	a := &MonitoringArgs{
		Account: testAccount, Environment: EnvProd, AlarmEmails: []string{"ops@example.co.jp", "dev@example.co.jp"},
		Services: []ServiceWatch{{
			Label: "web", ClusterName: pulumi.String("app-cluster"), ServiceName: pulumi.String("app-service"),
			ContainerInsights: true, MinCount: 2,
			LoadBalancer: &LoadBalancerWatch{LoadBalancerArnSuffix: pulumi.String("app/app-lb/0123"), TargetGroupArnSuffix: pulumi.String("targetgroup/app-tg/4567")},
		}},
		Database: &DatabaseWatch{InstanceID: pulumi.String("test-db-1"), InstanceArn: pulumi.String(testDBArn),
			Engine: EnginePostgres, InstanceClass: "db.t4g.medium", AllocatedStorageGiB: 20, MaxAllocatedStorageGiB: 100},
		LogGroupName:     pulumi.String("app-logs"),
		BudgetMonthlyUsd: 480,
	}
	if mutate != nil {
		mutate(a)
	}
	return a
}

func runMonitoring(t *testing.T, mutate func(a *MonitoringArgs)) *mockengine.Result {
	t.Helper()
	return mustRun(t, func(ctx *pulumi.Context) error {
		_, err := NewMonitoring(ctx, "monitoring", monitoringArgs(mutate))
		return err
	})
}

func TestAlarmTopicIsEncryptedAndOnlyThisStacksPublishersMayUseIt(t *testing.T) {
	res := runMonitoring(t, nil)
	topic := one(t, res, awstype.SnsTopic)
	key := one(t, res, awstype.KmsKey)
	topicArn := outputString(t, topic, "arn")
	t.Run("the topic is encrypted with the stack's own rotating key, not aws/sns", func(t *testing.T) {
		if got := topic.Input("kmsMasterKeyId"); got != outputString(t, key, "arn") {
			t.Errorf("kmsMasterKeyId = %v, want the key's ARN", got)
		}
		if key.Input("enableKeyRotation") != true || key.Input("deletionWindowInDays") != 30.0 {
			t.Errorf("key rotation %v, deletion window %v; want rotation and 30 days in prod", key.Input("enableKeyRotation"), key.Input("deletionWindowInDays"))
		}
	})
	t.Run("the topic policy lets exactly CloudWatch, EventBridge, RDS and Budgets publish, each scoped to this stack", func(t *testing.T) {
		doc := policyOf(t, one(t, res, awstype.SnsTopicPolicy), "policy", policyVersion)
		assertNoWildcards(t, doc)
		want := map[string]string{
			"cloudwatch.amazonaws.com": "arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:rails-infra-test-*",
			"events.amazonaws.com":     "arn:aws:events:ap-northeast-1:123456789012:rule/rails-infra-test-*",
			"events.rds.amazonaws.com": testDBArn,
			"budgets.amazonaws.com":    "arn:aws:budgets::123456789012:*",
		}
		var principals []string
		for _, st := range doc.Statement {
			svc, _ := st.Principal["Service"].(string)
			principals = append(principals, svc)
			if st.Effect != "Allow" || !slices.Equal(st.Action, []string{"sns:Publish"}) || !slices.Equal(st.Resource, []string{topicArn}) {
				t.Errorf("%s: %s %v on %v, want Allow sns:Publish on the topic only", st.Sid, st.Effect, st.Action, st.Resource)
			}
			acct, _ := st.Condition["StringEquals"].(map[string]any)
			src, _ := st.Condition["ArnLike"].(map[string]any)
			if acct["aws:SourceAccount"] != testAccount.AccountID || src["aws:SourceArn"] != want[svc] {
				t.Errorf("%s: conditions %v, want aws:SourceAccount %s and aws:SourceArn %s", st.Sid, st.Condition, testAccount.AccountID, want[svc])
			}
		}
		slices.Sort(principals)
		if !slices.Equal(principals, []string{"budgets.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com", "events.rds.amazonaws.com"}) {
			t.Errorf("publishers = %v", principals)
		}
	})
	t.Run("the key lets the four publishers use it, the account administer it, and nothing is kms:*", func(t *testing.T) {
		doc := policyOf(t, key, "policy", policyVersion)
		for _, st := range doc.Statement {
			for _, a := range st.Action {
				if strings.Contains(a, "*") {
					t.Errorf("%s allows wildcard action %s", st.Sid, a)
				}
			}
		}
		services := map[string]Statement{}
		for _, st := range doc.Statement {
			if s, ok := st.Principal["Service"].(string); ok {
				services[s] = st
			}
		}
		for _, s := range []string{"cloudwatch.amazonaws.com", "events.amazonaws.com", "events.rds.amazonaws.com", "budgets.amazonaws.com"} {
			st, ok := services[s]
			if !ok || !slices.Equal(st.Action, publishActions) {
				t.Errorf("key policy for %s = %+v, want %v", s, st, publishActions)
			}
			// The SNS docs: EventBridge-to-encrypted-topic does not support source conditions.
			if s == "events.amazonaws.com" && st.Condition != nil {
				t.Errorf("EventBridge's key statement has conditions %v: its messages would be dropped", st.Condition)
			}
			if s != "events.amazonaws.com" && !strings.Contains(mustJSON(t, st.Condition), testAccount.AccountID) {
				t.Errorf("%s key statement is not scoped to the account: %v", s, st.Condition)
			}
		}
	})
	t.Run("each alarm email is a subscription of the topic", func(t *testing.T) {
		subs := res.OfType(awstype.SnsTopicSubscription)
		var got []string
		for _, s := range subs {
			if s.Input("protocol") != "email" || s.Input("topic") != topicArn {
				t.Errorf("%s: protocol %v topic %v", s.Name, s.Input("protocol"), s.Input("topic"))
			}
			got = append(got, s.Input("endpoint").(string))
		}
		slices.Sort(got)
		if !slices.Equal(got, []string{"dev@example.co.jp", "ops@example.co.jp"}) {
			t.Errorf("subscriptions = %v", got)
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAnExistingTopicIsUsedAsIs(t *testing.T) {
	const chatbot = "arn:aws:sns:ap-northeast-1:123456789012:chatbot-alerts"
	res := runMonitoring(t, func(a *MonitoringArgs) { a.AlarmEmails, a.AlarmTopicArn = nil, chatbot })
	for _, typ := range []string{awstype.SnsTopic, awstype.KmsKey, awstype.SnsTopicPolicy, awstype.SnsTopicSubscription} {
		if n := len(res.OfType(typ)); n != 0 {
			t.Errorf("%d %s created, want none (the topic is not the stack's)", n, typ)
		}
	}
	for _, a := range res.OfType(awstype.CloudWatchMetricAlarm) {
		if acts, _ := a.Input("alarmActions").([]any); len(acts) != 1 || acts[0] != chatbot {
			t.Errorf("%s alarmActions = %v, want [%s]", a.Name, acts, chatbot)
		}
	}
	if got := one(t, res, awstype.RdsEventSubscription).Input("snsTopic"); got != chatbot {
		t.Errorf("RDS events go to %v", got)
	}
}

func TestAlarmThresholdsFollowTheSettingsAndTheDatabase(t *testing.T) {
	res := runMonitoring(t, func(a *MonitoringArgs) {
		a.AlarmLatencyP95Ms, a.AlarmCPUPercent, a.AlarmDbFreeStoragePercent = 800, 70, 20
	})
	byKey := map[string]*mockengine.Resource{}
	for _, a := range res.OfType(awstype.CloudWatchMetricAlarm) {
		byKey[strings.TrimPrefix(a.Name, "rails-infra-test-")] = a
	}
	cases := []struct {
		key        string
		threshold  float64
		comparison string
	}{
		{"web-latency-p95", 0.8, "GreaterThanThreshold"},
		{"web-cpu", 70, "GreaterThanThreshold"},
		{"web-memory", DefaultAlarmMemoryPercent, "GreaterThanThreshold"},
		{"web-target-5xx-rate", DefaultAlarmTarget5xxPercent, "GreaterThanThreshold"},
		{"web-running-tasks", 1, "GreaterThanOrEqualToThreshold"},
		// 20% of the 20 GiB allocated.
		{"db-free-storage", 0.2 * 20 * 1024 * 1024 * 1024, "LessThanThreshold"},
		// 10% of db.t4g.medium's 4 GiB.
		{"db-freeable-memory", float64(4 * 1024 * 1024 * 1024 / 10), "LessThanThreshold"},
		// 80% of (4 GiB × 0.75 / 9531392) = 80% of 337.
		{"db-connections", 269, "GreaterThanThreshold"},
		{"db-cpu", DefaultAlarmDbCPUPercent, "GreaterThanThreshold"},
	}
	for _, tc := range cases {
		t.Run(tc.key+" fires "+tc.comparison, func(t *testing.T) {
			a := byKey[tc.key]
			if a == nil {
				t.Fatalf("no alarm %s", tc.key)
			}
			if got, _ := a.Input("threshold").(float64); got < tc.threshold-1 || got > tc.threshold+1 || a.Input("comparisonOperator") != tc.comparison {
				t.Errorf("%s: %v %v, want %s %v", a.Name, a.Input("comparisonOperator"), a.Input("threshold"), tc.comparison, tc.threshold)
			}
		})
	}
}

func TestDatabaseAlarmsNeedAKnownClassForMemoryAndConnections(t *testing.T) {
	res := runMonitoring(t, func(a *MonitoringArgs) { a.Database.InstanceClass = "db.x2g.large" })
	for _, a := range res.OfType(awstype.CloudWatchMetricAlarm) {
		if strings.HasSuffix(a.Name, "db-freeable-memory") || strings.HasSuffix(a.Name, "db-connections") {
			t.Errorf("%s exists for a class without a known memory size", a.Name)
		}
	}
}

func TestEstimatedMaxConnections(t *testing.T) {
	for _, tc := range []struct {
		engine DbEngine
		class  string
		want   int
	}{
		{EnginePostgres, "db.t4g.micro", 84},      // 1 GiB × 0.75 / 9531392
		{EngineMySQL, "db.t4g.micro", 64},         // 1 GiB × 0.75 / 12582880
		{EnginePostgres, "db.r7g.24xlarge", 5000}, // capped
		{EnginePostgres, "db.m7g.large", 675},
	} {
		t.Run(string(tc.engine)+" on "+tc.class, func(t *testing.T) {
			if got, ok := estimatedMaxConnections(tc.engine, tc.class); !ok || got != tc.want {
				t.Errorf("= %d, %v; want %d", got, ok, tc.want)
			}
		})
	}
}

func TestDashboardShowsTheStackAndExistingMetrics(t *testing.T) {
	res := runMonitoring(t, nil)
	dash := one(t, res, awstype.CloudWatchDashboard)
	if got := dash.Input("dashboardName"); got != "rails-infra-test-ap-northeast-1" {
		t.Errorf("dashboardName = %v", got)
	}
	var body struct {
		Widgets []struct {
			Type       string         `json:"type"`
			Properties map[string]any `json:"properties"`
		} `json:"widgets"`
	}
	raw, _ := dash.Input("dashboardBody").(string)
	if err := json.Unmarshal([]byte(raw), &body); err != nil {
		t.Fatalf("dashboard body is not JSON: %v\n%s", err, raw)
	}
	// The metrics CloudWatch publishes, by namespace (ALB, ECS, Container Insights and RDS user guides).
	exists := map[string][]string{
		NamespaceALB:               {"RequestCount", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count", "TargetResponseTime", "HealthyHostCount", "UnHealthyHostCount"},
		NamespaceECS:               {"CPUUtilization", "MemoryUtilization"},
		NamespaceContainerInsights: {"RunningTaskCount", "DesiredTaskCount"},
		NamespaceRDS:               {"CPUUtilization", "DatabaseConnections", "FreeStorageSpace"},
	}
	seen := map[string]bool{}
	for _, w := range body.Widgets {
		if md, _ := w.Properties["markdown"].(string); w.Type == "text" && (!strings.Contains(md, "rails-infra-test") || !strings.Contains(md, "ap-northeast-1")) {
			t.Errorf("title %q lacks the stack and the region", md)
		}
		ms, _ := w.Properties["metrics"].([]any)
		for _, m := range ms {
			row, _ := m.([]any)
			ns, _ := row[0].(string)
			name, _ := row[1].(string)
			if !slices.Contains(exists[ns], name) {
				t.Errorf("widget %v shows %s %s, not a metric CloudWatch publishes", w.Properties["title"], ns, name)
			}
			seen[name] = true
			text := mustJSON(t, row)
			for dim, want := range map[string]string{"ClusterName": "app-cluster", "ServiceName": "app-service", "LoadBalancer": "app/app-lb/0123", "TargetGroup": "targetgroup/app-tg/4567", "DBInstanceIdentifier": "test-db-1"} {
				if strings.Contains(text, `"`+dim+`"`) && !strings.Contains(text, `"`+dim+`","`+want+`"`) {
					t.Errorf("%s: %s is not the watched %s", text, dim, want)
				}
			}
		}
		if w.Type == "alarm" {
			if arns, _ := w.Properties["alarms"].([]any); len(arns) != len(res.OfType(awstype.CloudWatchMetricAlarm)) {
				t.Errorf("alarm widget shows %d alarms, want every one", len(arns))
			}
		}
	}
	for _, m := range []string{"RequestCount", "HTTPCode_Target_5XX_Count", "TargetResponseTime", "RunningTaskCount", "DesiredTaskCount", "CPUUtilization", "MemoryUtilization", "DatabaseConnections", "FreeStorageSpace"} {
		if !seen[m] {
			t.Errorf("the dashboard does not show %s", m)
		}
	}
}

func TestSavedQueriesReadTheRailsLogGroup(t *testing.T) {
	res := runMonitoring(t, nil)
	qs := res.OfType(awstype.CloudWatchQueryDefinition)
	var names []string
	for _, q := range qs {
		names = append(names, q.Input("name").(string))
		if groups, _ := q.Input("logGroupNames").([]any); len(groups) != 1 || groups[0] != "app-logs" {
			t.Errorf("%s reads %v, want [app-logs]", q.Name, groups)
		}
	}
	slices.Sort(names)
	want := []string{"rails-infra-test/errors", "rails-infra-test/one-request", "rails-infra-test/requests-by-status", "rails-infra-test/slowest-requests"}
	if !slices.Equal(names, want) {
		t.Errorf("queries = %v, want %v", names, want)
	}
}

// The queries' parse patterns read the lines Rails' production logger writes (docs/rails.md).
func TestSavedQueriesParseTheRailsLogFormat(t *testing.T) {
	const completed = `I, [2026-11-27T10:00:00.123456 #1]  INFO -- : [9f1c0e1e-2b3c-4d5e-8f90-a1b2c3d4e5f6] Completed 500 Internal Server Error in 1234ms (ActiveRecord: 2.1ms | Allocations: 1234)`
	const fatal = `F, [2026-11-27T10:00:00.123456 #1] FATAL -- : [9f1c0e1e-2b3c-4d5e-8f90-a1b2c3d4e5f6] NoMethodError (undefined method 'name' for nil):`
	const frame = `F, [2026-11-27T10:00:00.123456 #1] FATAL -- : [9f1c0e1e-2b3c-4d5e-8f90-a1b2c3d4e5f6] app/controllers/users_controller.rb:12:in 'show'`
	line := compileInsightsRegex(t, railsLine)
	for _, l := range []string{completed, fatal, frame} {
		m := line.FindStringSubmatch(l)
		if m == nil || m[line.SubexpIndex("request_id")] != "9f1c0e1e-2b3c-4d5e-8f90-a1b2c3d4e5f6" {
			t.Errorf("railsLine does not read %q", l)
		}
	}
	text := func(l string) string { return line.FindStringSubmatch(l)[line.SubexpIndex("text")] }
	for _, q := range SavedQueries() {
		for _, p := range insightsParses(q.Query) {
			re := compileInsightsRegex(t, p)
			switch {
			case strings.Contains(p, "duration"):
				if m := re.FindStringSubmatch(text(completed)); m == nil || m[re.SubexpIndex("duration")] != "1234" || m[re.SubexpIndex("status")] != "500" {
					t.Errorf("%s: %s does not read status and duration from %q", q.Name, p, text(completed))
				}
			case strings.Contains(p, "?<status>"):
				if m := re.FindStringSubmatch(text(completed)); m == nil || m[re.SubexpIndex("status")] != "500" {
					t.Errorf("%s: %s does not read the status", q.Name, p)
				}
			case strings.Contains(p, "?<error>"):
				if m := re.FindStringSubmatch(text(fatal)); m == nil || !strings.HasPrefix(m[1], "NoMethodError") {
					t.Errorf("%s: %s does not read the exception", q.Name, p)
				}
			case strings.Contains(p, "?<frame>"):
				if m := re.FindStringSubmatch(text(frame)); m == nil || !strings.HasPrefix(m[1], "app/controllers/users_controller.rb:12") {
					t.Errorf("%s: %s does not read the first backtrace line", q.Name, p)
				}
			}
		}
	}
}

func TestBudgetFollowsTheStackTag(t *testing.T) {
	res := runMonitoring(t, nil)
	b := one(t, res, awstype.BudgetsBudget)
	if b.Input("limitAmount") != "480" || b.Input("limitUnit") != "USD" || b.Input("timeUnit") != "MONTHLY" || b.Input("budgetType") != "COST" {
		t.Errorf("budget = %v %v %v %v, want 480 USD MONTHLY COST", b.Input("limitAmount"), b.Input("limitUnit"), b.Input("timeUnit"), b.Input("budgetType"))
	}
	if got := mustJSON(t, b.Input("costFilters")); got != `[{"name":"TagKeyValue","values":["user:Stack$test"]}]` {
		t.Errorf("costFilters = %s, want the Stack=test cost-allocation tag", got)
	}
	topic := outputString(t, one(t, res, awstype.SnsTopic), "arn")
	notes, _ := b.Input("notifications").([]any)
	var got []string
	for _, n := range notes {
		m := n.(map[string]any)
		got = append(got, m["notificationType"].(string)+" "+mustJSON(t, m["threshold"]))
		if subs, _ := m["subscriberSnsTopicArns"].([]any); len(subs) != 1 || subs[0] != topic {
			t.Errorf("notification %v goes to %v, want the topic", m["notificationType"], subs)
		}
	}
	if !slices.Equal(got, []string{"ACTUAL 80", "ACTUAL 100", "FORECASTED 100"}) {
		t.Errorf("notifications = %v", got)
	}
	t.Run("no budget when budgetMonthlyUsd is 0", func(t *testing.T) {
		if n := len(runMonitoring(t, func(a *MonitoringArgs) { a.BudgetMonthlyUsd = 0 }).OfType(awstype.BudgetsBudget)); n != 0 {
			t.Errorf("%d budgets", n)
		}
	})
}

func TestMonitoringArgsProblems(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(a *MonitoringArgs)
		field string
		want  string
	}{
		{"prod without a destination", func(a *MonitoringArgs) { a.AlarmEmails = nil }, "AlarmEmails", "prod must tell someone"},
		{"both destinations", func(a *MonitoringArgs) { a.AlarmTopicArn = "arn:aws:sns:ap-northeast-1:123456789012:x" }, "AlarmTopicArn", "pick one destination"},
		{"a topic in another region", func(a *MonitoringArgs) { a.AlarmEmails, a.AlarmTopicArn = nil, "arn:aws:sns:us-east-1:123456789012:x" }, "AlarmTopicArn", "only to a topic in their own region"},
		{"a FIFO topic", func(a *MonitoringArgs) {
			a.AlarmEmails, a.AlarmTopicArn = nil, "arn:aws:sns:ap-northeast-1:123456789012:x.fifo"
		}, "AlarmTopicArn", "must be an SNS topic ARN"},
		{"a display name in an address", func(a *MonitoringArgs) { a.AlarmEmails = []string{"Ops <ops@example.co.jp>"} }, "AlarmEmails", "plain email addresses"},
		{"the same address twice", func(a *MonitoringArgs) { a.AlarmEmails = []string{"ops@example.co.jp", "OPS@example.co.jp"} }, "AlarmEmails", "listed twice"},
		{"a zero latency", func(a *MonitoringArgs) { a.AlarmLatencyP95Ms = 10 }, "AlarmLatencyP95Ms", "from 50 to 60000"},
		{"a negative budget", func(a *MonitoringArgs) { a.BudgetMonthlyUsd = -1 }, "BudgetMonthlyUsd", "0 (no budget)"},
	}
	for _, tc := range cases {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			a := monitoringArgs(tc.edit)
			a.defaults()
			found := false
			for _, p := range a.problems() {
				found = found || (p.Field == tc.field && strings.Contains(p.Reason, tc.want) && len(p.Fix.Steps) > 0)
			}
			if !found {
				t.Errorf("no %s problem with %q and a fix in %v", tc.field, tc.want, a.problems())
			}
		})
	}
	t.Run("dev may run without a destination", func(t *testing.T) {
		a := monitoringArgs(func(a *MonitoringArgs) { a.AlarmEmails, a.Environment = nil, EnvDev })
		a.defaults()
		if ps := a.problems(); len(ps) != 0 {
			t.Errorf("problems = %v", ps)
		}
	})
}
