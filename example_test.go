package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/plan"
)

// documentedStack is the stack file docs/rails.md shows after "<!-- example-stack: NAME -->".
func documentedStack(t *testing.T, name string) string {
	t.Helper()
	doc, err := os.ReadFile("docs/rails.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- example-stack: " + regexp.QuoteMeta(name) + " -->\n```yaml\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatalf("docs/rails.md has no example stack %q", name)
	}
	return string(m[1])
}

// The documented example stack is run like a committed one: it plans, checks clean and builds
// what the page says.
func TestDocumentedRedisStackPlansAndChecksClean(t *testing.T) {
	file := filepath.Join(t.TempDir(), "Pulumi.example.yaml")
	if err := os.WriteFile(file, []byte(documentedStack(t, "redis")), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := plan.Main([]string{"plan", "example", "--config-file", file, "--check"}, &out, &errOut, ".", offlineProgram); code != 0 {
		t.Fatalf("plan --check of the documented stack exited %d:\n%s\n%s", code, errOut.String(), lastLines(out.String(), 20))
	}
	for _, want := range []string{"cache: valkey 8.2 cache.t4g.small × 2, Multi-AZ failover, TLS only, encrypted, AUTH token, snapshots 7 d, final snapshot",
		"ElastiCache nodes cache", "0 violation(s)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("plan output lacks %q", want)
		}
	}
	g, err := plan.Run(".", "example", file, offlineProgram)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(g.OfType(awstype.ElastiCacheReplicationGroup)); n != 1 {
		t.Errorf("%d replication groups, want 1", n)
	}
}

// exampleStack is the issue-13 example: the whole Rails app (web, two workers, two schedules)
// from one image. It is a test-only stack file, run with --config-file; docs/rails.md shows it.
const exampleStack = "testdata/Pulumi.example.yaml"

var (
	exampleWorkers   = []string{"sidekiq", "solid-queue"}
	exampleSchedules = []string{"cleanup", "nightly-report"}
)

// examplePlan runs the offline plan of the example stack in format, with --check.
func examplePlan(t *testing.T, format string, extra string) string {
	t.Helper()
	file := exampleStack
	if extra != "" {
		base, err := os.ReadFile(exampleStack)
		if err != nil {
			t.Fatal(err)
		}
		file = filepath.Join(t.TempDir(), "example.yaml")
		if err := os.WriteFile(file, []byte(strings.Replace(string(base), "  rails-infra:imageTag: v1.0.0\n", extra, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := runPlan(t, "plan", "example", "--config-file", file, "--check", "--format", format)
	if code != plan.ExitOK {
		t.Fatalf("plan example --check --format %s: exit %d, want 0\n%s\n%s", format, code, stderr, lastLines(stdout, 30))
	}
	return stdout
}

func TestExampleStackPlansChecksCostsAndDiagrams(t *testing.T) {
	var doc planDoc
	if err := json.Unmarshal([]byte(examplePlan(t, "json", "")), &doc); err != nil {
		t.Fatal(err)
	}
	t.Run("the plan checks clean", func(t *testing.T) {
		if len(doc.Violations) != 0 {
			t.Errorf("violations: %v", doc.Violations)
		}
	})
	for _, w := range exampleWorkers {
		svc := "app-worker-" + w
		t.Run("worker "+w+" is a service with its own task definition, rollout estimate and Fargate cost", func(t *testing.T) {
			var service, td bool
			for _, r := range doc.Resources {
				service = service || (r.Type == "aws:ecs/service:Service" && r.Name == svc)
				td = td || (r.Type == "aws:ecs/taskDefinition:TaskDefinition" && r.Name == svc)
			}
			var rollout, cost bool
			for _, ro := range doc.Estimates.Rollout {
				rollout = rollout || ro["service"] == svc
			}
			for _, it := range doc.Estimates.Cost.Items {
				cost = cost || (it["item"] == "Fargate tasks" && it["resource"] == svc && it["monthlyUSD"] != nil)
			}
			if !service || !td || !rollout || !cost {
				t.Errorf("%s: service %v, task definition %v, rollout %v, priced %v; want all", svc, service, td, rollout, cost)
			}
			if doc.Outputs["workerExecCommands"] == nil {
				t.Errorf("outputs lack workerExecCommands: %v", doc.Outputs)
			}
		})
	}
	for _, name := range exampleSchedules {
		sched := "app-schedule-" + name
		t.Run("schedule "+name+" is planned, priced per run and has a run-now command", func(t *testing.T) {
			var found bool
			for _, r := range doc.Resources {
				found = found || (r.Type == "aws:scheduler/schedule:Schedule" && r.Name == sched)
			}
			var priced bool
			for _, it := range doc.Estimates.Cost.Items {
				priced = priced || (it["item"] == "Fargate scheduled runs" && it["resource"] == sched && strings.Contains(it["basis"].(string), "per 10-minute run"))
			}
			cmds, _ := doc.Outputs["scheduleRunCommands"].(map[string]any)
			if !found || !priced || cmds[name] == nil {
				t.Errorf("%s: planned %v, priced %v, run command %v", sched, found, priced, cmds[name])
			}
		})
	}
	t.Run("the dead-letter queue's cost is stated per request", func(t *testing.T) {
		for _, it := range doc.Estimates.Cost.Items {
			if it["item"] == "SQS queue (per request)" && strings.Contains(it["basis"].(string), "per million requests") {
				return
			}
		}
		t.Error("no per-request SQS item in the cost estimate")
	})
	t.Run("the diagram draws every worker, and the ALB reaches web only", func(t *testing.T) {
		mmd := examplePlan(t, "mermaid", "")
		for _, w := range exampleWorkers {
			if !strings.Contains(mmd, "ECS Fargate worker app-worker-"+w) {
				t.Errorf("mermaid lacks worker %s:\n%s", w, mmd)
			}
		}
		for _, want := range []string{"EventBridge Scheduler", "app-schedule-nightly-report: cron(0 3 * * ? *)", "SQS dead-letter queue", "scheduler -->|\"RunTask\"| jobs"} {
			if !strings.Contains(mmd, want) {
				t.Errorf("mermaid lacks %q:\n%s", want, mmd)
			}
		}
		if n := strings.Count(mmd, "alb0 -->"); n != 1 {
			t.Errorf("the ALB has %d edges to services, want 1 (web):\n%s", n, mmd)
		}
	})
	t.Run("without an image, the workers and schedules are planned as coming with the first image", func(t *testing.T) {
		text := examplePlan(t, "text", "\n")
		for _, line := range strings.Split(text, "\n") {
			if (strings.Contains(line, "scheduler Schedule ") || strings.Contains(line, "sqs Queue ")) && !strings.HasSuffix(line, "[with the first image]") {
				t.Errorf("%q is not marked [with the first image]", line)
			}
		}
		for _, w := range exampleWorkers {
			if !strings.Contains(text, "ecs Service app-worker-"+w+": ") || !strings.Contains(text, "app-worker-"+w) {
				t.Fatalf("no worker %s in the plan", w)
			}
			for _, line := range strings.Split(text, "\n") {
				if strings.Contains(line, "ecs Service app-worker-"+w+":") && !strings.HasSuffix(line, "[with the first image]") {
					t.Errorf("%q is not marked [with the first image]", line)
				}
			}
		}
	})
}
