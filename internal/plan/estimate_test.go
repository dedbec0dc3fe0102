package plan

import (
	"math"
	"strings"
	"testing"

	"github.com/rails-infra/rails-infra/internal/awstype"
)

func TestRolloutModel(t *testing.T) {
	ptr := func(n int) *int { return &n }
	cases := []struct {
		name string
		s    RolloutSettings
		want RolloutTimes
	}{
		{
			// 60 start + 10×2 healthy + 30 drain = 110 s in one wave (100/200 % replaces both at once).
			// Failure: threshold max(ceil(0.5×2),3)=3, 2 at a time → 2 batches × (60 + max(60, 10×3)) + 30 = 270 s.
			name: "a tuned service with the circuit breaker",
			s: RolloutSettings{DesiredCount: 2, GracePeriodSeconds: 60, IntervalSeconds: 10, HealthyThreshold: 2, UnhealthyThreshold: 3,
				DeregistrationSeconds: 30, MinimumHealthyPercent: 100, MaximumPercent: 200, CircuitBreaker: true, Rollback: true, AssumedTaskStartSeconds: 60},
			want: RolloutTimes{TurnHealthySeconds: 80, TasksPerWave: 2, Waves: 1, SuccessSeconds: 110, FailureThreshold: 3, FailedTaskSeconds: 120, WorstCaseSeconds: ptr(270)},
		},
		{
			// AWS defaults: 60 + 30×5 + 300 = 510 s; no circuit breaker, so no rollback time.
			name: "AWS defaults",
			s:    DefaultRolloutSettings(2),
			want: RolloutTimes{TurnHealthySeconds: 210, TasksPerWave: 2, Waves: 1, SuccessSeconds: 510, FailureThreshold: 3, FailedTaskSeconds: 120},
		},
		{
			// 4 tasks, 50/100 %: 2 stopped at a time → 2 waves × (60 + 15×3 + 60) = 330 s.
			// Threshold max(2,3)=3 → 2 batches × (60 + max(30, 15×2)) + 60 drain + (60+45) restart = 345 s.
			name: "a rolling update below desired count",
			s: RolloutSettings{DesiredCount: 4, GracePeriodSeconds: 30, IntervalSeconds: 15, HealthyThreshold: 3, UnhealthyThreshold: 2,
				DeregistrationSeconds: 60, MinimumHealthyPercent: 50, MaximumPercent: 100, CircuitBreaker: true, Rollback: true, AssumedTaskStartSeconds: 60},
			want: RolloutTimes{TurnHealthySeconds: 105, TasksPerWave: 2, Waves: 2, SuccessSeconds: 330, FailureThreshold: 3, FailedTaskSeconds: 90, WorstCaseSeconds: ptr(345)},
		},
		{
			// 500 tasks: threshold capped at 200; 100/150 % → 250 per wave, 2 waves.
			name: "a large service hits the 200-task threshold cap",
			s: RolloutSettings{DesiredCount: 500, IntervalSeconds: 10, HealthyThreshold: 2, UnhealthyThreshold: 2,
				DeregistrationSeconds: 10, MinimumHealthyPercent: 100, MaximumPercent: 150, CircuitBreaker: true, Rollback: true, AssumedTaskStartSeconds: 60},
			want: RolloutTimes{TurnHealthySeconds: 80, TasksPerWave: 250, Waves: 2, SuccessSeconds: 180, FailureThreshold: 200, FailedTaskSeconds: 80, WorstCaseSeconds: ptr(90)},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ModelRollout(tc.s)
			gw, ww := got.WorstCaseSeconds, tc.want.WorstCaseSeconds
			got.WorstCaseSeconds, tc.want.WorstCaseSeconds = nil, nil
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
			if (gw == nil) != (ww == nil) || (gw != nil && *gw != *ww) {
				t.Errorf("worst case = %v, want %v", deref(gw), deref(ww))
			}
		})
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestRolloutReadsTheGraph(t *testing.T) {
	ro := EstimateRollout(compliantStack("dev"))
	if len(ro) != 1 {
		t.Fatalf("rollouts = %d, want 1", len(ro))
	}
	s := ro[0].Settings
	// deregistrationDelay arrives as a string in the provider schema; it must still be read.
	if s.DeregistrationSeconds != 30 || s.IntervalSeconds != 10 || s.HealthyThreshold != 2 || s.GracePeriodSeconds != 60 || !s.CircuitBreaker || !s.Rollback {
		t.Errorf("settings read from the graph = %+v", s)
	}
	if ro[0].Estimate.SuccessSeconds != 110 || ro[0].AWSDefaults.SuccessSeconds != 510 {
		t.Errorf("estimate %d s (want 110), AWS defaults %d s (want 510)", ro[0].Estimate.SuccessSeconds, ro[0].AWSDefaults.SuccessSeconds)
	}
	if got := EstimateRollout(graphOf("dev")); got != nil {
		t.Errorf("a stack without a service has rollout %v, want none", got)
	}
}

func item(c Cost, name string) *CostItem {
	for i := range c.Items {
		if c.Items[i].Item == name {
			return &c.Items[i]
		}
	}
	return nil
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.006 }

func TestCostArithmetic(t *testing.T) {
	c := EstimateCost(compliantStack("prod")) // ap-northeast-1
	want := map[string]float64{
		"NAT gateway":            730 * 0.062,                         // 45.26
		"NAT data processing":    50 * 0.062,                          // 3.10
		"ALB":                    730 * (0.0243 + 0.008),              // 23.58
		"Fargate tasks":          2 * (0.5*0.04045 + 1*0.00442) * 730, // 35.98 (ARM64)
		"RDS instance":           730 * 0.025 * 2,                     // 36.50 Multi-AZ doubles
		"RDS storage":            20 * 0.138 * 2,                      // 5.52
		"Route 53 hosted zone":   0.50,
		"Secrets Manager secret": 0.40,
		"public IPv4 addresses":  3 * 730 * 0.005,       // 1 NAT EIP + 2 ALB nodes
		"ElastiCache nodes":      2 * 730 * 0.025 * 0.8, // 29.20: primary + replica, Valkey at 80% of Redis OSS
		// 11 alarms reading 12 metrics: the running-tasks alarm's math reads two.
		"CloudWatch alarms":    12 * 0.10,
		"CloudWatch dashboard": 3.00,
		"KMS key":              1.00,
		"AWS Budgets budget":   0.02 * 730 / 24,
	}
	total := 0.0
	for name, w := range want {
		it := item(c, name)
		if it == nil || it.MonthlyUSD == nil || !near(*it.MonthlyUSD, math.Round(w*100)/100) {
			t.Errorf("%s = %+v, want $%.2f", name, it, w)
		}
		total += math.Round(w*100) / 100
	}
	total += 2 * 5 * 0.76 // two log groups, 5 GB each
	if !near(c.TotalUSD, total) {
		t.Errorf("total = %.2f, want %.2f", c.TotalUSD, total)
	}
	if len(c.Unknown) != 0 {
		t.Errorf("unknown prices: %v", c.Unknown)
	}
}

func TestCostSpotAndX86(t *testing.T) {
	g := compliantStack("dev")
	g.Region = "us-east-1"
	find(g, awstype.EcsTaskDefinition).Inputs["runtimePlatform"] = map[string]any{"cpuArchitecture": "X86_64"}
	svc := find(g, awstype.EcsService)
	svc.Inputs["desiredCount"] = 4.0
	svc.Inputs["capacityProviderStrategies"] = []any{
		map[string]any{"capacityProvider": "FARGATE", "base": 1.0, "weight": 1.0},
		map[string]any{"capacityProvider": "FARGATE_SPOT", "weight": 2.0},
	}
	// 1 base on FARGATE, remaining 3 split 1:2 → 2 on Spot = 50 %.
	if got := spotShare(svc, 4); !near(got, 0.5) {
		t.Fatalf("spot share = %v, want 0.5", got)
	}
	perTask := (0.5*0.04048 + 1*0.004445) * 730
	want := 4 * perTask * (0.5 + 0.5*0.30)
	if it := item(EstimateCost(g), "Fargate tasks"); it == nil || it.MonthlyUSD == nil || !near(*it.MonthlyUSD, math.Round(want*100)/100) {
		t.Errorf("Fargate with Spot = %+v, want $%.2f", it, want)
	}
}

func TestUnknownPricesAreListedNotZero(t *testing.T) {
	g := compliantStack("dev")
	find(g, awstype.RdsInstance).Inputs["instanceClass"] = "db.x2iedn.24xlarge"
	c := EstimateCost(g)
	it := item(c, "RDS instance")
	if it == nil || it.MonthlyUSD != nil || !strings.Contains(it.Basis, "price unknown") {
		t.Errorf("RDS item = %+v, want price unknown", it)
	}
	if len(c.Unknown) != 1 {
		t.Errorf("unknown = %v, want the RDS instance", c.Unknown)
	}
	g.Region = "eu-west-3"
	c = EstimateCost(g)
	if c.TotalUSD != 0 || len(c.Unknown) != len(c.Items) || !strings.Contains(c.Note, "price unknown") {
		t.Errorf("an unpriced region must list every item as unknown: total %v, %d unknown of %d", c.TotalUSD, len(c.Unknown), len(c.Items))
	}
}

func TestNATCountFollowsStrategy(t *testing.T) {
	for strategy, want := range map[string]int{"Single": 1, "OnePerAz": 3, "None": 0} {
		g := graphOf("dev", res(tVpc, "v", map[string]any{"numberOfAvailabilityZones": 3.0, "natGateways": map[string]any{"strategy": strategy}}))
		if n, _ := natGateways(g); n != want {
			t.Errorf("%s over 3 AZs: %d NAT gateways, want %d", strategy, n, want)
		}
	}
}

func TestInterfaceEndpointsArePricedPerAZ(t *testing.T) {
	g := graphOf("dev",
		res(tVpc, "v", map[string]any{"numberOfAvailabilityZones": 2.0, "natGateways": map[string]any{"strategy": "None"}}),
		res(awstype.Ec2VpcEndpoint, "logs", map[string]any{"vpcEndpointType": "Interface", "serviceName": "com.amazonaws.ap-northeast-1.logs"}),
		res(awstype.Ec2VpcEndpoint, "s3", map[string]any{"vpcEndpointType": "Gateway", "serviceName": "com.amazonaws.ap-northeast-1.s3"}),
	)
	c := EstimateCost(g)
	it := item(c, "interface endpoint")
	if it == nil || it.Resource != "logs" || it.MonthlyUSD == nil || !near(*it.MonthlyUSD, 2*730*0.014) || len(c.Items) != 1 {
		t.Errorf("items = %+v, want only the logs endpoint at 2 × 730 × $0.014", c.Items)
	}
}

// Before the first image no service exists; the plan shows the one the first image creates
// (WithFirstImage), and the estimates must price and time it, saying when it starts to cost.
func TestEstimatesPriceTheServiceTheFirstImageCreates(t *testing.T) {
	g := compliantStack("prod")
	svc := find(g, awstype.EcsService)
	svc.Inputs["desiredCount"] = 2.0
	svc.WithFirstImage = true
	g.ImagePending = true
	fargate := item(EstimateCost(g), "Fargate tasks")
	want := math.Round(2*(0.5*0.04045+1*0.00442)*730*100) / 100 // 35.98, ARM64 in ap-northeast-1
	if fargate == nil || fargate.MonthlyUSD == nil || !near(*fargate.MonthlyUSD, want) {
		t.Errorf("Fargate tasks = %+v, want $%.2f for 2 tasks", fargate, want)
	} else if !strings.Contains(fargate.Basis, "from the first image deploy on") {
		t.Errorf("basis %q does not say the tasks run from the first image deploy on", fargate.Basis)
	}
	ro := EstimateRollout(g)
	// 2 tasks at 100/200 %: both replaced in one wave; the circuit breaker's 3 failures take
	// ceil(3/2) = 2 batches of 60 + max(60 grace, 10×3) = 120 s, then 30 s draining: 270 s.
	if len(ro) != 1 || ro[0].Settings.DesiredCount != 2 || ro[0].Estimate.TasksPerWave != 2 || deref(ro[0].Estimate.WorstCaseSeconds) != 270 {
		t.Errorf("rollout = %+v, want 2 tasks, 2 per wave, worst case 270 s", ro)
	}

	t.Run("a service configured at 0 tasks is priced at 0", func(t *testing.T) {
		svc.Inputs["desiredCount"] = 0.0
		if f := item(EstimateCost(g), "Fargate tasks"); f == nil || f.MonthlyUSD == nil || *f.MonthlyUSD != 0 {
			t.Errorf("Fargate tasks = %+v, want $0", f)
		}
	})
}

// withWorker adds a worker service to g: its own task definition (stopTimeout 25), no load balancer.
func withWorker(g *Graph) *Graph {
	td := res(awstype.EcsTaskDefinition, "app-worker-sidekiq", map[string]any{
		"cpu": "512", "memory": "1024", "runtimePlatform": map[string]any{"cpuArchitecture": "X86_64"},
		"containerDefinitions": mustJSON([]any{map[string]any{"name": "web", "command": []any{"bundle", "exec", "sidekiq"}, "stopTimeout": 25.0}}),
	})
	svc := res(awstype.EcsService, "app-worker-sidekiq", map[string]any{
		"desiredCount": 2.0, "deploymentCircuitBreaker": map[string]any{"enable": true, "rollback": true},
		"deploymentMinimumHealthyPercent": 100.0, "deploymentMaximumPercent": 200.0,
		"networkConfiguration": map[string]any{"assignPublicIp": false}, "enableExecuteCommand": true,
	})
	svc.PropertyDeps = map[string][]string{"taskDefinition": {td.URN}}
	g.Resources = append(g.Resources, td, svc)
	g.index()
	return g
}

func TestRolloutOfAWorkerHasNoHealthChecks(t *testing.T) {
	ro := EstimateRollout(withWorker(compliantStack("dev")))
	if len(ro) != 2 || ro[1].Service != "app-worker-sidekiq" {
		t.Fatalf("rollouts = %+v, want web and the worker", ro)
	}
	w := ro[1]
	// 2 tasks, 100/200 %: one wave of 2; a task is healthy once running; the old one gets its 25 s.
	if w.Settings.LoadBalanced || w.Settings.IntervalSeconds != 0 || w.Settings.DeregistrationSeconds != 25 ||
		w.Estimate.SuccessSeconds != AssumedTaskStartSeconds+25 || w.Estimate.FailedTaskSeconds != AssumedTaskStartSeconds {
		t.Errorf("worker rollout = %+v, want no health checks, 25 s stop timeout, %d s", w, AssumedTaskStartSeconds+25)
	}
	if w.AWSDefaults.SuccessSeconds != AssumedTaskStartSeconds+30 {
		t.Errorf("worker AWS defaults = %d s, want start + ECS's 30 s stop timeout", w.AWSDefaults.SuccessSeconds)
	}
	var b strings.Builder
	if err := writeText(&b, withWorker(compliantStack("dev")), false, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "app-worker-sidekiq (worker, no load balancer") || !strings.Contains(b.String(), "worker service app-worker-sidekiq") {
		t.Errorf("text plan does not describe the worker as one:\n%s", b.String())
	}
}

func TestDiagramSendsNoTrafficToWorkers(t *testing.T) {
	dot := Dot(withWorker(compliantStack("prod")))
	if !strings.Contains(dot, "alb0 -> svc0") || strings.Contains(dot, "alb0 -> svc1") || !strings.Contains(dot, "ECS Fargate worker app-worker-sidekiq") {
		t.Errorf("the ALB must reach web (svc0) only, and the worker be drawn as one:\n%s", dot)
	}
	if !strings.Contains(dot, "svc1 -> db0") {
		t.Errorf("the worker reaches the database like web:\n%s", dot)
	}
}
