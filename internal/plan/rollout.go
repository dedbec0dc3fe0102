package plan

import (
	"fmt"
	"math"

	"github.com/rails-infra/rails-infra/internal/awstype"
)

// The rollout model (docs/plan.md explains it with the AWS defaults it is compared with):
//
//	start     = AssumedTaskStartSeconds (ENI, image pull, app boot)
//	healthy   = interval × healthyThreshold          (target group marks the new task healthy)
//	drain     = deregistrationDelay                  (old tasks finish in-flight requests)
//	perWave   = tasks replaced at once, from min/max healthy percent
//	waves     = ceil(desired / perWave)
//	success   = waves × (start + healthy + drain)
//	attempt   = start + max(gracePeriod, interval × unhealthyThreshold)   (one failing task)
//	threshold = clamp(ceil(0.5 × desired), 3, 200)   (circuit breaker's failed-task threshold)
//	worst     = ceil(threshold / perWave) × attempt + drain [+ start + healthy if old tasks were stopped]
//
// Without the circuit breaker there is no automatic rollback: ECS keeps replacing failing tasks.
//
// A service without a load balancer (a worker) has no health checks: ECS counts a task healthy
// once it is RUNNING, so healthy = 0, and a failing task fails at start (it exits). Draining is
// the old task's stop timeout: the seconds between SIGTERM and SIGKILL in which it finishes its
// jobs (the container's stopTimeout, ECS's default 30 s when unset).

// AssumedTaskStartSeconds is the time from placement to a running container (ENI attach, image
// pull, Rails boot). It is an assumption, not read from the stack.
const AssumedTaskStartSeconds = 60

// AWS defaults when a setting is absent (target group and ECS service API defaults).
const (
	awsDefaultInterval           = 30
	awsDefaultHealthyThreshold   = 5
	awsDefaultUnhealthyThreshold = 2
	awsDefaultDeregistration     = 300
	awsDefaultGrace              = 0
	awsDefaultMinHealthy         = 100
	awsDefaultMaxPercent         = 200
)

// RolloutSettings are the inputs of the model.
type RolloutSettings struct {
	DesiredCount            int  `json:"desiredCount"`
	GracePeriodSeconds      int  `json:"gracePeriodSeconds"`
	IntervalSeconds         int  `json:"intervalSeconds"`
	HealthyThreshold        int  `json:"healthyThreshold"`
	UnhealthyThreshold      int  `json:"unhealthyThreshold"`
	DeregistrationSeconds   int  `json:"deregistrationSeconds"`
	MinimumHealthyPercent   int  `json:"minimumHealthyPercent"`
	MaximumPercent          int  `json:"maximumPercent"`
	CircuitBreaker          bool `json:"circuitBreaker"`
	Rollback                bool `json:"rollback"`
	AssumedTaskStartSeconds int  `json:"assumedTaskStartSeconds"`
	// LoadBalanced is false for a worker: no target group, so no health checks and DeregistrationSeconds
	// is the container's stop timeout.
	LoadBalanced bool `json:"loadBalanced"`
}

// RolloutTimes are the model's results in seconds. WorstCaseSeconds is nil when nothing rolls
// a failed deployment back automatically.
type RolloutTimes struct {
	TurnHealthySeconds int  `json:"turnHealthySeconds"`
	TasksPerWave       int  `json:"tasksPerWave"`
	Waves              int  `json:"waves"`
	SuccessSeconds     int  `json:"successSeconds"`
	FailureThreshold   int  `json:"failureThreshold"`
	FailedTaskSeconds  int  `json:"failedTaskSeconds"`
	WorstCaseSeconds   *int `json:"worstCaseSeconds"`
}

// Rollout is the estimate for one ECS service, next to the same model on AWS defaults.
type Rollout struct {
	Service     string          `json:"service"`
	Settings    RolloutSettings `json:"settings"`
	Estimate    RolloutTimes    `json:"estimate"`
	AWSDefaults RolloutTimes    `json:"awsDefaults"`
}

// EstimateRollout models every ECS service in the graph; nil when there is none yet.
func EstimateRollout(g *Graph) []Rollout {
	var out []Rollout
	for _, svc := range g.OfType(awstype.EcsService) {
		s := serviceSettings(g, svc)
		def := DefaultRolloutSettings(s.DesiredCount)
		if !s.LoadBalanced {
			def = defaultWorkerSettings(s.DesiredCount)
		}
		out = append(out, Rollout{Service: svc.Name, Settings: s, Estimate: ModelRollout(s), AWSDefaults: ModelRollout(def)})
	}
	return out
}

// DefaultRolloutSettings are AWS's defaults for a service of this size: 30 s × 5 health checks,
// 300 s deregistration delay, no grace period, 100/200 %, circuit breaker off.
func DefaultRolloutSettings(desired int) RolloutSettings {
	return RolloutSettings{
		DesiredCount: desired, GracePeriodSeconds: awsDefaultGrace, IntervalSeconds: awsDefaultInterval,
		HealthyThreshold: awsDefaultHealthyThreshold, UnhealthyThreshold: awsDefaultUnhealthyThreshold,
		DeregistrationSeconds: awsDefaultDeregistration, MinimumHealthyPercent: awsDefaultMinHealthy,
		MaximumPercent: awsDefaultMaxPercent, AssumedTaskStartSeconds: AssumedTaskStartSeconds,
	}
}

// defaultWorkerSettings are AWS's defaults for a service without a load balancer: no health
// checks, ECS's 30 s stop timeout, 100/200 %, circuit breaker off.
func defaultWorkerSettings(desired int) RolloutSettings {
	s := DefaultRolloutSettings(desired)
	s.IntervalSeconds, s.HealthyThreshold, s.UnhealthyThreshold = 0, 0, 0
	s.DeregistrationSeconds = awsDefaultStopTimeout
	return s
}

// awsDefaultStopTimeout is ECS's stop timeout when a container sets none.
const awsDefaultStopTimeout = 30

func intOr(r *Resource, def int, path ...string) int {
	if r == nil {
		return def
	}
	if n, ok := r.num(path...); ok {
		return int(n)
	}
	return def
}

func serviceSettings(g *Graph, svc *Resource) RolloutSettings {
	desired := desiredCount(svc)
	s := DefaultRolloutSettings(desired)
	s.GracePeriodSeconds = intOr(svc, awsDefaultGrace, "healthCheckGracePeriodSeconds")
	s.MinimumHealthyPercent = intOr(svc, awsDefaultMinHealthy, "deploymentMinimumHealthyPercent")
	s.MaximumPercent = intOr(svc, awsDefaultMaxPercent, "deploymentMaximumPercent")
	s.CircuitBreaker, _ = svc.flag("deploymentCircuitBreaker", "enable")
	s.Rollback, _ = svc.flag("deploymentCircuitBreaker", "rollback")
	if !hasLoadBalancer(svc) {
		w := defaultWorkerSettings(desired)
		w.GracePeriodSeconds, w.MinimumHealthyPercent, w.MaximumPercent = s.GracePeriodSeconds, s.MinimumHealthyPercent, s.MaximumPercent
		w.CircuitBreaker, w.Rollback = s.CircuitBreaker, s.Rollback
		w.DeregistrationSeconds = stopTimeout(g, svc)
		return w
	}
	s.LoadBalanced = true
	var tg *Resource
	if tgs := g.linked(svc, "loadBalancers", awstype.LbTargetGroup); len(tgs) > 0 {
		tg = tgs[0]
	}
	s.IntervalSeconds = intOr(tg, awsDefaultInterval, "healthCheck", "interval")
	s.HealthyThreshold = intOr(tg, awsDefaultHealthyThreshold, "healthCheck", "healthyThreshold")
	s.UnhealthyThreshold = intOr(tg, awsDefaultUnhealthyThreshold, "healthCheck", "unhealthyThreshold")
	s.DeregistrationSeconds = intOr(tg, awsDefaultDeregistration, "deregistrationDelay")
	return s
}

// hasLoadBalancer reports whether an ECS service is registered with a target group (web), as
// opposed to a worker. Hand-built graphs may carry only the property dependency.
func hasLoadBalancer(svc *Resource) bool {
	return len(svc.list("loadBalancers")) > 0 || len(svc.PropertyDeps["loadBalancers"]) > 0
}

// stopTimeout is the service's container stop timeout, or ECS's default.
func stopTimeout(g *Graph, svc *Resource) int {
	for _, td := range g.linked(svc, "taskDefinition", awstype.EcsTaskDefinition) {
		if defs, ok := td.jsonDoc("containerDefinitions").([]any); ok && len(defs) > 0 {
			if m, ok := defs[0].(map[string]any); ok {
				if n, ok := toNum(m["stopTimeout"]); ok {
					return int(n)
				}
			}
		}
	}
	return awsDefaultStopTimeout
}

// ModelRollout applies the model documented at the top of this file.
func ModelRollout(s RolloutSettings) RolloutTimes {
	desired := max(s.DesiredCount, 1)
	start := s.AssumedTaskStartSeconds
	healthy := s.IntervalSeconds * s.HealthyThreshold
	// Tasks that may run above desired, plus tasks that may be stopped below it.
	extra := int(math.Floor(float64(desired*s.MaximumPercent)/100)) - desired
	stoppable := desired - int(math.Ceil(float64(desired*s.MinimumHealthyPercent)/100))
	perWave := min(max(extra+max(stoppable, 0), 1), desired)
	waves := (desired + perWave - 1) / perWave
	t := RolloutTimes{
		TurnHealthySeconds: start + healthy,
		TasksPerWave:       perWave,
		Waves:              waves,
		SuccessSeconds:     waves * (start + healthy + s.DeregistrationSeconds),
		FailureThreshold:   min(max(int(math.Ceil(0.5*float64(desired))), 3), 200),
		FailedTaskSeconds:  start + max(s.GracePeriodSeconds, s.IntervalSeconds*s.UnhealthyThreshold),
	}
	if s.CircuitBreaker && s.Rollback {
		batches := (t.FailureThreshold + perWave - 1) / perWave
		worst := batches*t.FailedTaskSeconds + s.DeregistrationSeconds
		if stoppable > 0 {
			worst += start + healthy // old tasks were stopped and must come back
		}
		t.WorstCaseSeconds = &worst
	}
	return t
}

// duration renders seconds as "7m30s" / "45s".
func duration(sec int) string {
	if sec < 60 {
		return fmt.Sprintf("%ds", sec)
	}
	if sec%60 == 0 {
		return fmt.Sprintf("%dm", sec/60)
	}
	return fmt.Sprintf("%dm%02ds", sec/60, sec%60)
}
