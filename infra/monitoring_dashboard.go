package infra

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// dashboardService is one watched service in plain values.
type dashboardService struct {
	Label, Cluster, Service   string
	ContainerInsights         bool
	LoadBalancer, TargetGroup string // "" without an ALB
}

// dashboardSpec is everything the dashboard shows, in plain values.
type dashboardSpec struct {
	Title, Region string
	Services      []dashboardService
	DBInstance    string   // "" without a database
	AlarmArns     []string // the alarm status widget
}

// widget is one CloudWatch dashboard widget (CloudWatch API reference, "Dashboard Body
// Structure and Syntax").
type widget struct {
	Type       string         `json:"type"`
	X          int            `json:"x"`
	Y          int            `json:"y"`
	Width      int            `json:"width"`
	Height     int            `json:"height"`
	Properties map[string]any `json:"properties"`
}

// DashboardBody renders the dashboard: the title (stack and region), alarm states, requests and
// 5xx, p50/p95 latency, running vs desired tasks and CPU/memory per service, and the database's
// CPU, connections and free storage.
func DashboardBody(d dashboardSpec) (string, error) {
	var ws []widget
	y := 0
	row := func(height int, items ...widget) {
		width := 24 / len(items)
		for i, it := range items {
			it.X, it.Y, it.Width, it.Height = i*width, y, width, height
			ws = append(ws, it)
		}
		y += height
	}
	text := func(md string) widget { return widget{Type: "text", Properties: map[string]any{"markdown": md}} }
	graph := func(title string, metrics []any, extra map[string]any) widget {
		p := map[string]any{"title": title, "view": "timeSeries", "region": d.Region, "period": 60, "stacked": false, "metrics": metrics}
		for k, v := range extra {
			p[k] = v
		}
		return widget{Type: "metric", Properties: p}
	}
	row(2, text(fmt.Sprintf("# %s\nStack and region: **%s**. Alarms notify the stack's topic; what each means and what to do: docs/runbook.md, \"Alarms\".", d.Title, d.Region)))
	if len(d.AlarmArns) > 0 {
		row(3, widget{Type: "alarm", Properties: map[string]any{"title": "Alarms", "alarms": d.AlarmArns, "sortBy": "stateUpdatedTimestamp"}})
	}
	for _, s := range d.Services {
		if s.LoadBalancer != "" {
			lbOnly := []any{"LoadBalancer", s.LoadBalancer}
			both := []any{"LoadBalancer", s.LoadBalancer, "TargetGroup", s.TargetGroup}
			row(6,
				graph(s.Label+": requests and 5xx", []any{
					metricRow(NamespaceALB, "RequestCount", both, map[string]any{"stat": "Sum", "label": "requests"}),
					metricRow(NamespaceALB, "HTTPCode_Target_5XX_Count", both, map[string]any{"stat": "Sum", "label": "5xx from Rails"}),
					metricRow(NamespaceALB, "HTTPCode_ELB_5XX_Count", lbOnly, map[string]any{"stat": "Sum", "label": "5xx from the load balancer"}),
				}, nil),
				graph(s.Label+": latency p50 / p95 (seconds)", []any{
					metricRow(NamespaceALB, "TargetResponseTime", both, map[string]any{"stat": "p50", "label": "p50"}),
					metricRow(NamespaceALB, "TargetResponseTime", both, map[string]any{"stat": "p95", "label": "p95"}),
				}, nil),
			)
		}
		ecs := []any{"ClusterName", s.Cluster, "ServiceName", s.Service}
		tasks := []any{
			metricRow(NamespaceContainerInsights, "RunningTaskCount", ecs, map[string]any{"stat": "Average", "label": "running"}),
			metricRow(NamespaceContainerInsights, "DesiredTaskCount", ecs, map[string]any{"stat": "Average", "label": "desired"}),
		}
		tasksTitle := s.Label + ": running vs desired tasks"
		if !s.ContainerInsights && s.LoadBalancer != "" {
			tasksTitle = s.Label + ": healthy and unhealthy targets (Container Insights off)"
			both := []any{"LoadBalancer", s.LoadBalancer, "TargetGroup", s.TargetGroup}
			tasks = []any{
				metricRow(NamespaceALB, "HealthyHostCount", both, map[string]any{"stat": "Minimum", "label": "healthy"}),
				metricRow(NamespaceALB, "UnHealthyHostCount", both, map[string]any{"stat": "Maximum", "label": "unhealthy"}),
			}
		}
		row(6,
			graph(tasksTitle, tasks, nil),
			graph(s.Label+": CPU and memory (%)", []any{
				metricRow(NamespaceECS, "CPUUtilization", ecs, map[string]any{"stat": "Average", "label": "CPU"}),
				metricRow(NamespaceECS, "MemoryUtilization", ecs, map[string]any{"stat": "Average", "label": "memory"}),
			}, map[string]any{"yAxis": map[string]any{"left": map[string]any{"min": 0, "max": 100}}}),
		)
	}
	if d.DBInstance != "" {
		db := []any{"DBInstanceIdentifier", d.DBInstance}
		row(6,
			graph("database: CPU (%)", []any{metricRow(NamespaceRDS, "CPUUtilization", db, map[string]any{"stat": "Average"})}, nil),
			graph("database: connections", []any{metricRow(NamespaceRDS, "DatabaseConnections", db, map[string]any{"stat": "Maximum"})}, nil),
			graph("database: free storage (bytes)", []any{metricRow(NamespaceRDS, "FreeStorageSpace", db, map[string]any{"stat": "Minimum"})}, nil),
		)
	}
	b, err := json.Marshal(map[string]any{"widgets": ws})
	return string(b), err
}

// metricRow is one line of a metric widget: namespace, name, dimension pairs, then options.
func metricRow(namespace, name string, dims []any, opts map[string]any) []any {
	return append(append([]any{namespace, name}, dims...), opts)
}

// DashboardName is the stack's dashboard. Dashboards have no generated names (PutDashboard takes
// the name), and they are global per account, so the name carries the region too.
func DashboardName(prefix, region string) string { return prefix + "-" + region }

// dashboard builds the stack's one dashboard from the watched resources' real names.
func (m *Monitoring) dashboard() error {
	region := m.a.Account.Region
	name := DashboardName(m.prefix, region)
	inputs := pulumi.StringMap{}
	for i, s := range m.services {
		inputs[fmt.Sprintf("svc%d.cluster", i)] = s.ClusterName
		inputs[fmt.Sprintf("svc%d.service", i)] = s.ServiceName
		if s.LoadBalancer != nil {
			inputs[fmt.Sprintf("svc%d.lb", i)] = s.LoadBalancer.LoadBalancerArnSuffix
			inputs[fmt.Sprintf("svc%d.tg", i)] = s.LoadBalancer.TargetGroupArnSuffix
		}
	}
	if m.a.Database != nil {
		inputs["db"] = m.a.Database.InstanceID
	}
	keys := sortedKeys(m.Alarms)
	for _, k := range keys {
		inputs["alarm."+k] = m.Alarms[k].Arn
	}
	services := m.services
	body := inputs.ToStringMapOutput().ApplyT(func(v map[string]string) (string, error) {
		d := dashboardSpec{Title: m.prefix + " · " + region, Region: region, DBInstance: v["db"]}
		for i, s := range services {
			d.Services = append(d.Services, dashboardService{
				Label: s.Label, Cluster: v[fmt.Sprintf("svc%d.cluster", i)], Service: v[fmt.Sprintf("svc%d.service", i)],
				ContainerInsights: s.ContainerInsights,
				LoadBalancer:      v[fmt.Sprintf("svc%d.lb", i)], TargetGroup: v[fmt.Sprintf("svc%d.tg", i)],
			})
		}
		for _, k := range keys {
			d.AlarmArns = append(d.AlarmArns, v["alarm."+k])
		}
		return DashboardBody(d)
	}).(pulumi.StringOutput)
	dash, err := cloudwatch.NewDashboard(m.ctx, "dashboard", &cloudwatch.DashboardArgs{
		DashboardName: pulumi.String(name),
		DashboardBody: body,
	}, m.parent, pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return err
	}
	m.DashboardName = dash.DashboardName
	m.DashboardURL = pulumi.Sprintf("https://%s.console.aws.amazon.com/cloudwatch/home?region=%s#dashboards/dashboard/%s", region, region, dash.DashboardName)
	return nil
}

// SavedQuery is one CloudWatch Logs Insights query saved for the Rails log group.
type SavedQuery struct{ Name, Query string }

// railsLine parses what Rails' production logger writes to stdout (docs/rails.md): Ruby's
// Logger::Formatter with the request id tag, e.g.
//
//	I, [2026-11-27T10:00:00.123456 #1]  INFO -- : [9f1c0e1e-...] Completed 200 OK in 12ms (...)
const railsLine = `parse @message /^[A-Z], \[(?<ts>[^\]]+)\]\s+(?<level>[A-Z]+) -- : \[(?<request_id>[0-9a-f-]+)\] (?<text>.*)$/`

// RequestIDPlaceholder is replaced by the user in the request-id query before running it.
const RequestIDPlaceholder = "REQUEST_ID"

// SavedQueries are the Logs Insights queries saved per stack, in the format railsLine reads.
func SavedQueries() []SavedQuery {
	return []SavedQuery{
		{"errors", strings.Join([]string{
			"fields @timestamp, @message",
			railsLine,
			// The exception line (FATAL/ERROR) and the backtrace lines that follow it share the
			// request id; the first app frame is where it happened.
			`| parse text /^(?<error>[A-Z][A-Za-z0-9_:]+ \(.*)$/`,
			`| parse text /^(?<frame>\S+\.rb:\d+:in .+)$/`,
			`| filter level in ["ERROR", "FATAL"] or ispresent(frame)`,
			"| stats earliest(@timestamp) as at, earliest(error) as exception, earliest(frame) as first_backtrace_line by request_id",
			"| filter ispresent(exception)",
			"| sort at desc",
			"| limit 100",
		}, "\n")},
		{"slowest-requests", strings.Join([]string{
			"fields @timestamp, @message",
			railsLine,
			`| parse text /^Completed (?<status>\d{3}) .* in (?<duration>\d+)ms/`,
			"| filter ispresent(duration)",
			"| fields @timestamp, request_id, status, duration * 1 as duration_ms",
			"| sort duration_ms desc",
			"| limit 50",
		}, "\n")},
		{"requests-by-status", strings.Join([]string{
			"fields @timestamp, @message",
			railsLine,
			`| parse text /^Completed (?<status>\d{3}) /`,
			"| filter ispresent(status)",
			"| stats count(*) as requests by status",
			"| sort status",
		}, "\n")},
		{"one-request", strings.Join([]string{
			"# Replace " + RequestIDPlaceholder + " with the request id (the X-Request-Id response header, or from the errors query).",
			"fields @timestamp, @logStream, @message",
			`| filter @message like "[` + RequestIDPlaceholder + `]"`,
			"| sort @timestamp asc",
			"| limit 1000",
		}, "\n")},
	}
}

// savedQueries saves the queries for the Rails log group, in a folder named after the stack.
func (m *Monitoring) savedQueries() error {
	if m.a.LogGroupName == nil {
		return nil
	}
	for _, q := range SavedQueries() {
		if _, err := cloudwatch.NewQueryDefinition(m.ctx, m.prefix+"-"+q.Name, &cloudwatch.QueryDefinitionArgs{
			Name:          pulumi.String(m.prefix + "/" + q.Name),
			LogGroupNames: pulumi.StringArray{m.a.LogGroupName},
			QueryString:   pulumi.String(q.Query),
		}, m.parent); err != nil {
			return err
		}
	}
	return nil
}
