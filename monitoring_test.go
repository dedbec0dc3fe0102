package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/rails-infra/rails-infra/infra"
	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/mockengine"
)

// watched are the real attributes of what the alarms watch, read from the recorded resources.
type watched struct{ cluster, service, lbSuffix, tgSuffix, dbID string }

func watchedOf(t *testing.T, res *mockengine.Result) watched {
	t.Helper()
	str := func(r *mockengine.Resource, key string) string {
		s, _ := r.Output(key).(string)
		if s == "" {
			t.Fatalf("%s %s: output %s is empty", r.Type, r.Name, key)
		}
		return s
	}
	return watched{
		cluster:  str(one(t, res, awstype.EcsCluster), "name"),
		service:  str(one(t, res, awstype.EcsService), "name"),
		lbSuffix: str(one(t, res, awstype.LbLoadBalancer), "arnSuffix"),
		tgSuffix: str(one(t, res, awstype.LbTargetGroup), "arnSuffix"),
		dbID:     str(one(t, res, awstype.RdsInstance), "identifier"),
	}
}

// alarmMetric is one metric an alarm reads, as the alarm's inputs give it.
type alarmMetric struct {
	Namespace, Name, Stat string
	Dims                  map[string]string
}

// metricsOfAlarm reads an alarm's metric, or each metric of its metric math, with the expression.
func metricsOfAlarm(t *testing.T, r *mockengine.Resource) ([]alarmMetric, string) {
	t.Helper()
	dims := func(v any) map[string]string {
		out := map[string]string{}
		m, _ := v.(map[string]any)
		for k, x := range m {
			out[k], _ = x.(string)
		}
		return out
	}
	if name, _ := r.Input("metricName").(string); name != "" {
		stat, _ := r.Input("statistic").(string)
		if ext, _ := r.Input("extendedStatistic").(string); ext != "" {
			stat = ext
		}
		ns, _ := r.Input("namespace").(string)
		return []alarmMetric{{ns, name, stat, dims(r.Input("dimensions"))}}, ""
	}
	var out []alarmMetric
	expr := ""
	qs, _ := r.Input("metricQueries").([]any)
	for _, q := range qs {
		m, _ := q.(map[string]any)
		if e, _ := m["expression"].(string); e != "" {
			expr = e
			continue
		}
		met, _ := m["metric"].(map[string]any)
		out = append(out, alarmMetric{met["namespace"].(string), met["metricName"].(string), met["stat"].(string), dims(met["dimensions"])})
	}
	return out, expr
}

// TestAlarmsWatchTheRealResources runs each committed stack with an image (so the web service
// runs tasks) and checks every alarm's namespace, metric, statistic and dimensions against the
// attributes of the resource it watches: a wrong dimension is an alarm that never fires.
func TestAlarmsWatchTheRealResources(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		res, err := runStack(t, stack, map[string]string{"rails-infra:imageTag": "v1.0.0"})
		if err != nil {
			t.Fatalf("%s: %v", stack, err)
		}
		w := watchedOf(t, res)
		ecs := map[string]string{"ClusterName": w.cluster, "ServiceName": w.service}
		lb := map[string]string{"LoadBalancer": w.lbSuffix}
		both := map[string]string{"LoadBalancer": w.lbSuffix, "TargetGroup": w.tgSuffix}
		db := map[string]string{"DBInstanceIdentifier": w.dbID}
		running := []alarmMetric{
			{infra.NamespaceContainerInsights, "DesiredTaskCount", "Average", ecs},
			{infra.NamespaceContainerInsights, "RunningTaskCount", "Average", ecs},
		}
		runningExpr := "desired - running"
		if stack == "dev" { // Container Insights is off in dev: healthy targets stand in
			running = []alarmMetric{{infra.NamespaceALB, "HealthyHostCount", "Minimum", both}}
			runningExpr = "1 - healthy"
		}
		want := map[string]struct {
			metrics []alarmMetric
			expr    string
		}{
			"web-cpu":               {[]alarmMetric{{infra.NamespaceECS, "CPUUtilization", "Average", ecs}}, ""},
			"web-memory":            {[]alarmMetric{{infra.NamespaceECS, "MemoryUtilization", "Average", ecs}}, ""},
			"web-running-tasks":     {running, runningExpr},
			"web-elb-5xx":           {[]alarmMetric{{infra.NamespaceALB, "HTTPCode_ELB_5XX_Count", "Sum", lb}}, ""},
			"web-unhealthy-targets": {[]alarmMetric{{infra.NamespaceALB, "UnHealthyHostCount", "Maximum", both}}, ""},
			"web-latency-p95":       {[]alarmMetric{{infra.NamespaceALB, "TargetResponseTime", "p95", both}}, ""},
			"web-target-5xx-rate": {[]alarmMetric{
				{infra.NamespaceALB, "HTTPCode_Target_5XX_Count", "Sum", both},
				{infra.NamespaceALB, "RequestCount", "Sum", both},
			}, "IF(requests >= 20, 100 * FILL(errors, 0) / requests, 0)"},
			"db-cpu":             {[]alarmMetric{{infra.NamespaceRDS, "CPUUtilization", "Average", db}}, ""},
			"db-free-storage":    {[]alarmMetric{{infra.NamespaceRDS, "FreeStorageSpace", "Minimum", db}}, ""},
			"db-freeable-memory": {[]alarmMetric{{infra.NamespaceRDS, "FreeableMemory", "Average", db}}, ""},
			"db-connections":     {[]alarmMetric{{infra.NamespaceRDS, "DatabaseConnections", "Maximum", db}}, ""},
		}
		alarms := res.OfType(awstype.CloudWatchMetricAlarm)
		prefix := "rails-infra-" + stack + "-"
		got := map[string]*mockengine.Resource{}
		for _, a := range alarms {
			got[strings.TrimPrefix(a.Name, prefix)] = a
		}
		t.Run(stack+" has exactly the documented alarms", func(t *testing.T) {
			if g, w := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)); !slices.Equal(g, w) {
				t.Errorf("alarms = %v, want %v", g, w)
			}
		})
		for key, wa := range want {
			a := got[key]
			if a == nil {
				continue
			}
			t.Run(stack+" alarm "+key+" reads the watched resource's metric with the right statistic and dimensions", func(t *testing.T) {
				metrics, expr := metricsOfAlarm(t, a)
				byName := func(ms []alarmMetric) []alarmMetric {
					return slices.SortedFunc(slices.Values(ms), func(x, y alarmMetric) int { return strings.Compare(x.Name, y.Name) })
				}
				gm, wm := byName(metrics), byName(wa.metrics)
				if len(gm) != len(wm) {
					t.Fatalf("%s reads %+v, want %+v", a.Name, gm, wm)
				}
				for i := range gm {
					if gm[i].Namespace != wm[i].Namespace || gm[i].Name != wm[i].Name || gm[i].Stat != wm[i].Stat || !maps.Equal(gm[i].Dims, wm[i].Dims) {
						t.Errorf("%s metric = %+v, want %+v", a.Name, gm[i], wm[i])
					}
				}
				if expr != wa.expr {
					t.Errorf("%s expression = %q, want %q", a.Name, expr, wa.expr)
				}
				topic := exportString(t, res, "alarmTopicArn")
				for _, k := range []string{"alarmActions", "okActions"} {
					if acts, _ := a.Input(k).([]any); len(acts) != 1 || acts[0] != topic {
						t.Errorf("%s %s = %v, want [%s]", a.Name, k, a.Input(k), topic)
					}
				}
			})
		}
		t.Run(stack+" treats missing data so an idle dev stays quiet and a silent prod pages", func(t *testing.T) {
			heartbeat := map[string]bool{"web-running-tasks": true, "db-cpu": true}
			for key, a := range got {
				want := "notBreaching"
				if heartbeat[key] && stack == "prod" {
					want = "breaching"
				}
				if g := a.Input("treatMissingData"); g != want {
					t.Errorf("%s treatMissingData = %v, want %s", a.Name, g, want)
				}
			}
		})
	}
}

// TestDeploymentRuleAndRDSEventsWatchTheStack checks the event notifications against the real
// service ARN and database identifier.
func TestDeploymentRuleAndRDSEventsWatchTheStack(t *testing.T) {
	res, err := runStack(t, "prod", map[string]string{"rails-infra:imageTag": "v1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	w := watchedOf(t, res)
	topic := exportString(t, res, "alarmTopicArn")
	serviceArn := "arn:aws:ecs:ap-northeast-1:123456789012:service/" + w.cluster + "/" + w.service
	var deploy *mockengine.Resource
	for _, r := range res.OfType(awstype.CloudWatchEventRule) {
		if strings.HasSuffix(r.Name, "-web-deployment") {
			deploy = r
		}
	}
	if deploy == nil {
		t.Fatal("no deployment rule for the web service")
	}
	t.Run("the rule matches this service's ECS Deployment State Change events, failed or rolling back", func(t *testing.T) {
		var p struct {
			Source     []string `json:"source"`
			DetailType []string `json:"detail-type"`
			Resources  []string `json:"resources"`
			Detail     struct {
				Or []map[string]any `json:"$or"`
			} `json:"detail"`
		}
		if err := json.Unmarshal([]byte(deploy.Input("eventPattern").(string)), &p); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.Source, []string{"aws.ecs"}) || !slices.Equal(p.DetailType, []string{"ECS Deployment State Change"}) ||
			!slices.Equal(p.Resources, []string{serviceArn}) {
			t.Errorf("pattern = %+v, want aws.ecs / ECS Deployment State Change / [%s]", p, serviceArn)
		}
		text, _ := json.Marshal(p.Detail.Or)
		for _, want := range []string{"SERVICE_DEPLOYMENT_FAILED", "SERVICE_DEPLOYMENT_IN_PROGRESS", "*rolling back*"} {
			if !strings.Contains(string(text), want) {
				t.Errorf("pattern detail %s lacks %s", text, want)
			}
		}
	})
	t.Run("its target is the topic, with the service and the reason in the message", func(t *testing.T) {
		var target *mockengine.Resource
		for _, r := range res.OfType(awstype.CloudWatchEventTarget) {
			if strings.HasSuffix(r.Name, "-web-deployment") {
				target = r
			}
		}
		if target == nil || target.Input("arn") != topic {
			t.Fatalf("target = %v, want one on %s", target, topic)
		}
		tr, _ := target.Input("inputTransformer").(map[string]any)
		paths, _ := tr["inputPaths"].(map[string]any)
		tmpl, _ := tr["inputTemplate"].(string)
		if paths["service"] != "$.resources[0]" || paths["reason"] != "$.detail.reason" {
			t.Errorf("inputPaths = %v, want service from $.resources[0] and reason from $.detail.reason", paths)
		}
		var msg string
		if err := json.Unmarshal([]byte(tmpl), &msg); err != nil || !strings.Contains(msg, "<service>") || !strings.Contains(msg, "<reason>") {
			t.Errorf("inputTemplate = %s: want a JSON string naming <service> and <reason> (err %v)", tmpl, err)
		}
	})
	t.Run("the RDS event subscription covers this instance's failovers, low storage, maintenance and configuration changes", func(t *testing.T) {
		sub := one(t, res, awstype.RdsEventSubscription)
		ids, _ := sub.Input("sourceIds").([]any)
		cats, _ := sub.Input("eventCategories").([]any)
		if sub.Input("snsTopic") != topic || sub.Input("sourceType") != "db-instance" || len(ids) != 1 || ids[0] != w.dbID {
			t.Errorf("subscription = topic %v type %v ids %v, want %s db-instance [%s]", sub.Input("snsTopic"), sub.Input("sourceType"), ids, topic, w.dbID)
		}
		for _, c := range []string{"failover", "low storage", "maintenance", "configuration change"} {
			if !slices.Contains(cats, any(c)) {
				t.Errorf("event categories %v lack %q", cats, c)
			}
		}
	})
}

// Without an image nothing runs, so there are no web alarms, but the database is watched.
func TestNoServiceAlarmsBeforeTheFirstImage(t *testing.T) {
	res, err := runStack(t, "dev", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res.OfType(awstype.CloudWatchMetricAlarm) {
		if strings.Contains(a.Name, "-web-") {
			t.Errorf("alarm %s exists before any image is configured", a.Name)
		}
	}
	if n := len(res.OfType(awstype.CloudWatchMetricAlarm)); n != 4 {
		t.Errorf("%d alarms, want the database's 4", n)
	}
}

// Every worker is watched like web, minus the load balancer: its CPU, memory and running tasks
// on its own ECS service's dimensions, and its failed deployments. Without Container Insights
// (dev) and without targets to count, "running" is whether any task reports CPU at all.
func TestEveryWorkerHasItsAlarms(t *testing.T) {
	workers := `{"sidekiq":{"command":["bundle","exec","sidekiq"]},"reports":{"command":["bin/reports"],"desiredCount":0}}`
	for _, stack := range []string{"dev", "prod"} {
		res, err := runStack(t, stack, map[string]string{"rails-infra:imageTag": "v1.0.0", "rails-infra:workers": workers})
		if err != nil {
			t.Fatalf("%s: %v", stack, err)
		}
		cluster, _ := one(t, res, awstype.EcsCluster).Output("name").(string)
		alarms := map[string]*mockengine.Resource{}
		for _, a := range res.OfType(awstype.CloudWatchMetricAlarm) {
			alarms[strings.TrimPrefix(a.Name, "rails-infra-"+stack+"-")] = a
		}
		for _, name := range []string{"sidekiq", "reports"} {
			svc := res.Find(awstype.EcsService, "app-worker-"+name)
			if svc == nil {
				t.Fatalf("%s: no service app-worker-%s", stack, name)
			}
			service, _ := svc.Output("name").(string)
			ecs := map[string]string{"ClusterName": cluster, "ServiceName": service}
			label := infra.WorkerServiceLabel(name)
			want := map[string][]alarmMetric{
				label + "-cpu":    {{infra.NamespaceECS, "CPUUtilization", "Average", ecs}},
				label + "-memory": {{infra.NamespaceECS, "MemoryUtilization", "Average", ecs}},
			}
			switch {
			case stack == "prod":
				want[label+"-running-tasks"] = []alarmMetric{
					{infra.NamespaceContainerInsights, "DesiredTaskCount", "Average", ecs},
					{infra.NamespaceContainerInsights, "RunningTaskCount", "Average", ecs},
				}
			case name == "sidekiq": // dev, at least one task: silence means none runs
				want[label+"-running-tasks"] = []alarmMetric{{infra.NamespaceECS, "CPUUtilization", "SampleCount", ecs}}
			}
			t.Run(stack+" watches worker "+name+" on its own service's dimensions", func(t *testing.T) {
				for key, wm := range want {
					a := alarms[key]
					if a == nil {
						t.Errorf("no alarm %s", key)
						continue
					}
					gm, _ := metricsOfAlarm(t, a)
					slices.SortFunc(gm, func(x, y alarmMetric) int { return strings.Compare(x.Name, y.Name) })
					if len(gm) != len(wm) {
						t.Errorf("%s reads %+v, want %+v", a.Name, gm, wm)
						continue
					}
					for i := range gm {
						if gm[i].Namespace != wm[i].Namespace || gm[i].Name != wm[i].Name || gm[i].Stat != wm[i].Stat || !maps.Equal(gm[i].Dims, wm[i].Dims) {
							t.Errorf("%s metric = %+v, want %+v", a.Name, gm[i], wm[i])
						}
					}
				}
				if _, ok := want[label+"-running-tasks"]; !ok && alarms[label+"-running-tasks"] != nil {
					t.Errorf("%s has a running-tasks alarm, but it may run 0 tasks and nothing counts them", label)
				}
				rule := res.Find(awstype.CloudWatchEventRule, "rails-infra-"+stack+"-"+label+"-deployment")
				if rule == nil || !strings.Contains(fmt.Sprint(rule.Input("eventPattern")), service) {
					t.Errorf("no deployment rule on %s's service %s", label, service)
				}
			})
		}
	}
}

// A failed scheduled run notifies like a failed deployment: each schedule's failure rule targets
// the stack's topic, and the topic's policy admits exactly those rules (auto-named, so outside
// the stack's own rule-name pattern) besides the stack's.
func TestFailedScheduledRunsReachTheTopic(t *testing.T) {
	schedules := `{"nightly":{"command":["bin/rails","reports:nightly"],"schedule":"cron(0 3 * * ? *)"},"cleanup":{"command":["bin/rails","cleanup"],"schedule":"rate(1 hour)"}}`
	res, err := runStack(t, "prod", map[string]string{"rails-infra:imageTag": "v1.0.0", "rails-infra:schedules": schedules})
	if err != nil {
		t.Fatal(err)
	}
	topic := exportString(t, res, "alarmTopicArn")
	var policy struct {
		Statement []struct {
			Sid       string
			Condition map[string]map[string]any
		}
	}
	if err := json.Unmarshal([]byte(one(t, res, awstype.SnsTopicPolicy).Input("policy").(string)), &policy); err != nil {
		t.Fatal(err)
	}
	var allowed []any
	for _, st := range policy.Statement {
		if st.Sid == "EventBridgeRules" {
			allowed, _ = st.Condition["ArnLike"]["aws:SourceArn"].([]any)
		}
	}
	for _, name := range []string{"nightly", "cleanup"} {
		t.Run("schedule "+name+"'s failed runs are sent to the topic with the job's name", func(t *testing.T) {
			rule := res.Find(awstype.CloudWatchEventRule, "app-schedule-"+name+"-failed")
			target := res.Find(awstype.CloudWatchEventTarget, "rails-infra-prod-schedule-"+name+"-failed")
			if rule == nil || target == nil {
				t.Fatalf("rule %v, target %v: want both", rule != nil, target != nil)
			}
			tr, _ := target.Input("inputTransformer").(map[string]any)
			if target.Input("arn") != topic || target.Input("rule") != rule.Output("name") ||
				!strings.Contains(fmt.Sprint(tr["inputTemplate"]), "Scheduled job "+name+" failed") {
				t.Errorf("%s: arn %v rule %v template %v; want the topic %s on rule %v", target.Name, target.Input("arn"), target.Input("rule"), tr["inputTemplate"], topic, rule.Output("name"))
			}
			if !slices.Contains(allowed, rule.Output("arn")) {
				t.Errorf("topic policy admits EventBridge from %v, not the failure rule %v", allowed, rule.Output("arn"))
			}
		})
	}
}
