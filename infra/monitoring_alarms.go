package infra

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CloudWatch namespaces and the alarm settings shared by several alarms.
const (
	NamespaceALB               = "AWS/ApplicationELB"
	NamespaceECS               = "AWS/ECS"
	NamespaceContainerInsights = "ECS/ContainerInsights"
	NamespaceRDS               = "AWS/RDS"

	// Elb5xxThreshold is how many 5xx the load balancer itself answers in 5 minutes (no healthy
	// target, target timeouts, connection errors) before it alarms: a few are normal during a deploy.
	Elb5xxThreshold = 10
	// Target5xxMinRequests is the fewest requests in 5 minutes for the 5xx rate to count, so one
	// error among three requests on a quiet internal app does not page anyone.
	Target5xxMinRequests = 20
	// DbMemoryFreePercent: freeable memory below this share of the class's memory alarms.
	DbMemoryFreePercent = 10
	// DbConnectionsPercent of the estimated max_connections alarms.
	DbConnectionsPercent = 80
)

// RDSEventCategories are the RDS event categories the stack's topic gets for its instance (RDS
// user guide, "Amazon RDS event categories and event messages"): shutdowns and restarts,
// failovers, failures and recoveries, low storage (including storage autoscaling reaching its
// ceiling), maintenance, and configuration changes.
var RDSEventCategories = []string{"availability", "configuration change", "failover", "failure", "low storage", "maintenance", "recovery"}

// metric is one CloudWatch metric an alarm or a query reads.
type metric struct {
	namespace, name string
	dims            pulumi.StringMap
	stat            string // Average, Sum, Minimum, Maximum, or a percentile like p95
}

// alarmSpec is one metric alarm: a metric with a statistic, or metric math over queries.
type alarmSpec struct {
	key         string // short name, e.g. "web-cpu"
	description string
	metric      *metric
	// math is an expression over queries (ids are the map keys); the alarm watches its result.
	math    string
	queries map[string]metric
	period  int // seconds
	// evaluations periods are looked at, datapoints of them must breach.
	evaluations, datapoints int
	comparison              string
	threshold               float64
	missing                 TreatMissingData
}

// newAlarm registers one alarm that notifies the topic on ALARM and on OK.
func (m *Monitoring) newAlarm(s alarmSpec) error {
	args := &cloudwatch.MetricAlarmArgs{
		AlarmDescription:   pulumi.String(s.description + " Runbook: docs/runbook.md#alarms"),
		ComparisonOperator: pulumi.String(s.comparison),
		Threshold:          pulumi.Float64(s.threshold),
		EvaluationPeriods:  pulumi.Int(s.evaluations),
		DatapointsToAlarm:  pulumi.Int(s.datapoints),
		TreatMissingData:   pulumi.String(string(s.missing)),
		AlarmActions:       pulumi.Array{m.TopicArn},
		OkActions:          pulumi.Array{m.TopicArn},
	}
	switch {
	case s.metric != nil:
		args.Namespace = pulumi.String(s.metric.namespace)
		args.MetricName = pulumi.String(s.metric.name)
		args.Dimensions = s.metric.dims
		args.Period = pulumi.Int(s.period)
		if isPercentile(s.metric.stat) {
			args.ExtendedStatistic = pulumi.String(s.metric.stat)
		} else {
			args.Statistic = pulumi.String(s.metric.stat)
		}
	default:
		queries := cloudwatch.MetricAlarmMetricQueryArray{cloudwatch.MetricAlarmMetricQueryArgs{
			Id: pulumi.String("result"), Expression: pulumi.String(s.math), Label: pulumi.String(s.key), ReturnData: pulumi.Bool(true),
		}}
		for _, id := range sortedKeys(s.queries) {
			q := s.queries[id]
			queries = append(queries, cloudwatch.MetricAlarmMetricQueryArgs{
				Id: pulumi.String(id), ReturnData: pulumi.Bool(false),
				Metric: cloudwatch.MetricAlarmMetricQueryMetricArgs{
					Namespace: pulumi.String(q.namespace), MetricName: pulumi.String(q.name), Dimensions: q.dims,
					Period: pulumi.Int(s.period), Stat: pulumi.String(q.stat),
				},
			})
		}
		args.MetricQueries = queries
	}
	alarm, err := cloudwatch.NewMetricAlarm(m.ctx, m.prefix+"-"+s.key, args, m.parent)
	if err != nil {
		return err
	}
	m.Alarms[s.key] = alarm
	return nil
}

func isPercentile(stat string) bool { return len(stat) > 1 && stat[0] == 'p' }

// WatchService adds the alarms of one ECS service, and the notification of its failed or
// rolled-back deployments. Web and every worker go through it.
func (m *Monitoring) WatchService(w ServiceWatch) error {
	if w.Label == "" || w.ClusterName == nil || w.ServiceName == nil {
		return fmt.Errorf("Monitoring.WatchService: Label, ClusterName and ServiceName are required")
	}
	for _, s := range serviceAlarms(w, m.a, ProfileOf(m.a.Environment)) {
		if err := m.newAlarm(s); err != nil {
			return err
		}
	}
	m.services = append(m.services, w)
	return m.deploymentRule(w)
}

// serviceAlarms are the alarms of one service: running tasks, CPU and memory, and behind an ALB
// its errors, unhealthy targets and latency.
func serviceAlarms(w ServiceWatch, a MonitoringArgs, p Profile) []alarmSpec {
	ecsDims := pulumi.StringMap{"ClusterName": w.ClusterName, "ServiceName": w.ServiceName}
	l := w.Label
	out := []alarmSpec{
		{
			key:         l + "-cpu",
			description: fmt.Sprintf("The %s tasks average more than %d%% CPU for 15 minutes: autoscaling is at its maximum or cannot keep up.", l, a.AlarmCPUPercent),
			metric:      &metric{NamespaceECS, "CPUUtilization", ecsDims, "Average"},
			period:      300, evaluations: 3, datapoints: 3,
			comparison: "GreaterThanThreshold", threshold: float64(a.AlarmCPUPercent),
			// No tasks, no CPU data: the running-tasks alarm is the one that reports that.
			missing: MissingNotBreaching,
		},
		{
			key:         l + "-memory",
			description: fmt.Sprintf("The %s tasks average more than %d%% of their memory for 15 minutes; Fargate stops a task that runs out.", l, a.AlarmMemoryPercent),
			metric:      &metric{NamespaceECS, "MemoryUtilization", ecsDims, "Average"},
			period:      300, evaluations: 3, datapoints: 3,
			comparison: "GreaterThanThreshold", threshold: float64(a.AlarmMemoryPercent),
			missing: MissingNotBreaching,
		},
	}
	if running, ok := runningTasksAlarm(w, p); ok {
		out = append(out, running)
	}
	if lb := w.LoadBalancer; lb != nil {
		out = append(out, loadBalancerAlarms(l, lb, a)...)
	}
	return out
}

// runningTasksAlarm fires when fewer tasks run than should: with Container Insights, desired
// minus running from ECS/ContainerInsights; without it, behind an ALB, fewer healthy targets
// than MinCount; without either (a worker in dev), when no task reports CPU at all, since ECS
// sends AWS/ECS metrics only while a task runs. A service that may scale to 0 gets only the
// Container Insights form.
func runningTasksAlarm(w ServiceWatch, p Profile) (alarmSpec, bool) {
	s := alarmSpec{
		key: w.Label + "-running-tasks", period: 60, evaluations: 5, datapoints: 5,
		comparison: "GreaterThanOrEqualToThreshold", threshold: 1,
		// A live service reports these every minute; silence means it is gone.
		missing: p.HeartbeatMissingData,
	}
	switch {
	case w.ContainerInsights:
		dims := pulumi.StringMap{"ClusterName": w.ClusterName, "ServiceName": w.ServiceName}
		s.description = fmt.Sprintf("Fewer %s tasks run than ECS wants, for 5 minutes: tasks are crashing, failing their health checks or cannot be placed.", w.Label)
		s.math = "desired - running"
		s.queries = map[string]metric{
			"desired": {NamespaceContainerInsights, "DesiredTaskCount", dims, "Average"},
			"running": {NamespaceContainerInsights, "RunningTaskCount", dims, "Average"},
		}
		return s, true
	case w.LoadBalancer != nil:
		s.description = fmt.Sprintf("Fewer than %d healthy %s targets behind the load balancer for 5 minutes (Container Insights is off, so healthy targets stand in for running tasks).", max(w.MinCount, 1), w.Label)
		s.math = fmt.Sprintf("%d - healthy", max(w.MinCount, 1))
		s.queries = map[string]metric{"healthy": {NamespaceALB, "HealthyHostCount", lbDims(w.LoadBalancer), "Minimum"}}
		return s, true
	case w.MinCount >= 1:
		s.description = fmt.Sprintf("No %s task has reported CPU for 5 minutes: none is running (Container Insights is off, so only a total outage shows).", w.Label)
		s.metric = &metric{NamespaceECS, "CPUUtilization", pulumi.StringMap{"ClusterName": w.ClusterName, "ServiceName": w.ServiceName}, "SampleCount"}
		s.comparison, s.threshold = "LessThanThreshold", 1
		return s, true
	}
	return alarmSpec{}, false
}

func lbDims(lb *LoadBalancerWatch) pulumi.StringMap {
	return pulumi.StringMap{"LoadBalancer": lb.LoadBalancerArnSuffix, "TargetGroup": lb.TargetGroupArnSuffix}
}

// loadBalancerAlarms watch what users see: 5xx from the ALB and from Rails, unhealthy targets
// and slow responses. Without requests there are no data points, and that is healthy.
func loadBalancerAlarms(l string, lb *LoadBalancerWatch, a MonitoringArgs) []alarmSpec {
	both := lbDims(lb)
	return []alarmSpec{
		{
			key:         l + "-elb-5xx",
			description: fmt.Sprintf("The load balancer itself answered %d or more 5xx in 5 minutes (502/503/504: no healthy %s target, timeouts, refused connections).", Elb5xxThreshold, l),
			metric:      &metric{NamespaceALB, "HTTPCode_ELB_5XX_Count", pulumi.StringMap{"LoadBalancer": lb.LoadBalancerArnSuffix}, "Sum"},
			period:      300, evaluations: 1, datapoints: 1,
			comparison: "GreaterThanOrEqualToThreshold", threshold: Elb5xxThreshold, missing: MissingNotBreaching,
		},
		{
			key:         l + "-target-5xx-rate",
			description: fmt.Sprintf("More than %d%% of the %s responses were 5xx (Rails errors) in two 5-minute periods in a row, counted from %d requests per period.", a.AlarmTarget5xxPercent, l, Target5xxMinRequests),
			math:        fmt.Sprintf("IF(requests >= %d, 100 * FILL(errors, 0) / requests, 0)", Target5xxMinRequests),
			queries: map[string]metric{
				"errors":   {NamespaceALB, "HTTPCode_Target_5XX_Count", both, "Sum"},
				"requests": {NamespaceALB, "RequestCount", both, "Sum"},
			},
			period: 300, evaluations: 2, datapoints: 2,
			comparison: "GreaterThanThreshold", threshold: float64(a.AlarmTarget5xxPercent), missing: MissingNotBreaching,
		},
		{
			key:         l + "-unhealthy-targets",
			description: fmt.Sprintf("At least one %s target failed its load balancer health checks for 5 minutes.", l),
			metric:      &metric{NamespaceALB, "UnHealthyHostCount", both, "Maximum"},
			period:      60, evaluations: 5, datapoints: 5,
			comparison: "GreaterThanThreshold", threshold: 0, missing: MissingNotBreaching,
		},
		{
			key:         l + "-latency-p95",
			description: fmt.Sprintf("The slowest 5%% of %s requests took more than %d ms for 15 minutes.", l, a.AlarmLatencyP95Ms),
			metric:      &metric{NamespaceALB, "TargetResponseTime", both, "p95"},
			period:      300, evaluations: 3, datapoints: 3,
			comparison: "GreaterThanThreshold", threshold: float64(a.AlarmLatencyP95Ms) / 1000, missing: MissingNotBreaching,
		},
	}
}

// deploymentRule sends the service's failed and rolled-back deployments to the topic, with the
// service and ECS's reason in the message.
func (m *Monitoring) deploymentRule(w ServiceWatch) error {
	acct := m.a.Account
	pattern := pulumi.All(w.ClusterName, w.ServiceName).ApplyT(func(xs []any) (string, error) {
		return deploymentEventPattern(acct.ARN("ecs", fmt.Sprintf("service/%s/%s", xs[0], xs[1])))
	}).(pulumi.StringOutput)
	rule, err := cloudwatch.NewEventRule(m.ctx, m.prefix+"-"+w.Label+"-deployment", &cloudwatch.EventRuleArgs{
		Description:  pulumi.Sprintf("ECS deployment of %s failed or rolled back: notify", w.Label),
		EventPattern: pattern,
	}, m.parent)
	if err != nil {
		return err
	}
	_, err = cloudwatch.NewEventTarget(m.ctx, m.prefix+"-"+w.Label+"-deployment", &cloudwatch.EventTargetArgs{
		Rule: rule.Name,
		Arn:  m.TopicArn,
		InputTransformer: &cloudwatch.EventTargetInputTransformerArgs{
			InputPaths:    pulumi.StringMap(deploymentInputPaths),
			InputTemplate: pulumi.String(deploymentMessage(w.Label)),
		},
	}, m.parent)
	return err
}

// deploymentEventPattern matches the service's "ECS Deployment State Change" events (Amazon ECS
// developer guide, "Amazon ECS deployment state change events"): SERVICE_DEPLOYMENT_FAILED, and
// the IN_PROGRESS event of the rollback the circuit breaker starts (its reason says "rolling
// back"). The service is matched by its ARN in resources, which every such event carries.
func deploymentEventPattern(serviceArn string) (string, error) {
	b, err := json.Marshal(map[string]any{
		"source":      []string{"aws.ecs"},
		"detail-type": []string{"ECS Deployment State Change"},
		"resources":   []string{serviceArn},
		"detail": map[string]any{"$or": []any{
			map[string]any{"eventName": []string{"SERVICE_DEPLOYMENT_FAILED"}},
			map[string]any{"eventName": []string{"SERVICE_DEPLOYMENT_IN_PROGRESS"}, "reason": []any{map[string]string{"wildcard": "*rolling back*"}}},
		}},
	})
	return string(b), err
}

// deploymentInputPaths pick what the message needs from the event.
var deploymentInputPaths = map[string]pulumi.StringInput{
	"service":    pulumi.String("$.resources[0]"),
	"event":      pulumi.String("$.detail.eventName"),
	"reason":     pulumi.String("$.detail.reason"),
	"deployment": pulumi.String("$.detail.deploymentId"),
	"time":       pulumi.String("$.time"),
}

// deploymentMessage is the text the topic sends: a JSON string (EventBridge fills the <names>).
func deploymentMessage(label string) string {
	return fmt.Sprintf(`"ECS deployment of %s: <event> at <time>. Service: <service>. Deployment: <deployment>. Reason: <reason>. Runbook: docs/runbook.md#alarms"`, label)
}

// watchDatabase adds the database alarms and its RDS event subscription.
func (m *Monitoring) watchDatabase() error {
	db := m.a.Database
	if db == nil {
		return nil
	}
	for _, s := range databaseAlarms(*db, m.a, ProfileOf(m.a.Environment)) {
		if err := m.newAlarm(s); err != nil {
			return err
		}
	}
	_, err := rds.NewEventSubscription(m.ctx, m.prefix+"-db-events", &rds.EventSubscriptionArgs{
		NamePrefix:      pulumi.String(m.prefix + "-db-"),
		SnsTopic:        m.TopicArn,
		SourceType:      pulumi.String("db-instance"),
		SourceIds:       pulumi.StringArray{db.InstanceID},
		EventCategories: pulumi.ToStringArray(RDSEventCategories),
		Enabled:         pulumi.Bool(true),
	}, m.parent)
	return err
}

const bytesPerGiB = 1024 * 1024 * 1024

// FreeStorageThresholdBytes is where the free-storage alarm fires: percent of the allocated
// storage. With storage autoscaling RDS grows the volume whenever free space falls below 10% of
// the current allocation, up to the ceiling; dbAllocatedStorage is the smallest the allocation
// ever is, so at the default 10% the alarm stays quiet while autoscaling keeps up and fires when
// it cannot (at the ceiling, or in its 6-hour cooldown under fast growth). The RDS low-storage
// events warn earlier when the ceiling is near.
func FreeStorageThresholdBytes(allocatedGiB, percent int) float64 {
	return float64(allocatedGiB) * bytesPerGiB * float64(percent) / 100
}

// databaseAlarms are CPU, free storage, freeable memory and connections of the instance.
func databaseAlarms(db DatabaseWatch, a MonitoringArgs, p Profile) []alarmSpec {
	dims := pulumi.StringMap{"DBInstanceIdentifier": db.InstanceID}
	ceiling := "no storage autoscaling"
	if db.MaxAllocatedStorageGiB > 0 {
		ceiling = fmt.Sprintf("storage autoscaling up to %d GiB has not kept up or reached its ceiling", db.MaxAllocatedStorageGiB)
	}
	out := []alarmSpec{
		{
			key:         "db-cpu",
			description: fmt.Sprintf("The database averages more than %d%% CPU for 15 minutes (or, in prod, reports no data: stopped or unreachable).", a.AlarmDbCPUPercent),
			metric:      &metric{NamespaceRDS, "CPUUtilization", dims, "Average"},
			period:      300, evaluations: 3, datapoints: 3,
			comparison: "GreaterThanThreshold", threshold: float64(a.AlarmDbCPUPercent),
			// RDS reports CPU every minute while it runs; a stopped dev database reports nothing.
			missing: p.HeartbeatMissingData,
		},
		{
			key: "db-free-storage",
			description: fmt.Sprintf("The database has less than %d%% of its %d GiB allocated storage free (%s).",
				a.AlarmDbFreeStoragePercent, db.AllocatedStorageGiB, ceiling),
			metric: &metric{NamespaceRDS, "FreeStorageSpace", dims, "Minimum"},
			period: 300, evaluations: 3, datapoints: 3,
			comparison: "LessThanThreshold", threshold: FreeStorageThresholdBytes(db.AllocatedStorageGiB, a.AlarmDbFreeStoragePercent),
			missing: MissingNotBreaching,
		},
	}
	if gib, ok := instanceMemoryGiB(db.InstanceClass); ok {
		out = append(out, alarmSpec{
			key:         "db-freeable-memory",
			description: fmt.Sprintf("The database has less than %d%% of the %g GiB of %s free for 15 minutes: it will swap and slow down.", DbMemoryFreePercent, gib, db.InstanceClass),
			metric:      &metric{NamespaceRDS, "FreeableMemory", dims, "Average"},
			period:      300, evaluations: 3, datapoints: 3,
			comparison: "LessThanThreshold", threshold: math.Round(gib * bytesPerGiB * DbMemoryFreePercent / 100),
			missing: MissingNotBreaching,
		})
	}
	if maxConn, ok := estimatedMaxConnections(db.Engine, db.InstanceClass); ok {
		out = append(out, alarmSpec{
			key: "db-connections",
			description: fmt.Sprintf("The database has more than %d%% of its about %d connections (%s default max_connections on %s) open for 10 minutes: Puma threads × tasks, plus migrations and consoles, near the limit.",
				DbConnectionsPercent, maxConn, db.Engine, db.InstanceClass),
			metric: &metric{NamespaceRDS, "DatabaseConnections", dims, "Maximum"},
			period: 300, evaluations: 2, datapoints: 2,
			comparison: "GreaterThanThreshold", threshold: math.Floor(float64(maxConn) * DbConnectionsPercent / 100),
			missing: MissingNotBreaching,
		})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
