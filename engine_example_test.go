package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/enginetest"
)

// The example stack (two workers, two schedules) under the real Pulumi CLI and engine: the
// config maps of settings reach the program as the CLI stores them, the first up creates every
// worker service and schedule after the migration, and a second up changes nothing.
func TestEngineExample(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("the engine harness builds and runs the Pulumi CLI; skipped with -short")
	}
	ctx := context.Background()
	s, err := enginetest.NewStackFromFile(ctx, t.TempDir(), ".", "example", exampleStack, program, nil)
	if err != nil {
		t.Fatalf("starting the example stack under the Pulumi CLI: %v", err)
	}
	t.Cleanup(s.Close)

	t.Run("preview then up create every worker service and schedule, after the migration", func(t *testing.T) {
		preview(t, s)
		mark := s.Fake.Mark()
		up(t, s)
		created := calls(s.Fake.CallsSince(mark), "Create")
		seq := map[string]int{}
		for _, c := range created {
			seq[c.URN] = c.Seq
		}
		var migration int
		for _, c := range created {
			if c.Type == awstype.LambdaInvocation {
				migration = c.Seq
			}
		}
		var services, schedules []string
		for _, c := range created {
			switch c.Type {
			case awstype.EcsService:
				services = append(services, c.URN)
			case awstype.SchedulerSchedule:
				schedules = append(schedules, c.URN)
			}
			if (c.Type == awstype.EcsService || c.Type == awstype.SchedulerSchedule) && (migration == 0 || c.Seq < migration) {
				t.Errorf("%s was created before the migration ran (#%d)", c.URN, migration)
			}
		}
		if len(services) != 1+len(exampleWorkers) || len(schedules) != len(exampleSchedules) {
			t.Errorf("created services %v and schedules %v, want web + %d workers and %d schedules", services, schedules, len(exampleWorkers), len(exampleSchedules))
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	t.Run("a second up with no change changes nothing", func(t *testing.T) {
		assertNoChanges(t, s)
	})
	t.Run("the outputs carry an exec command per worker and a run command per schedule", func(t *testing.T) {
		out, stderr, err := s.CLI(ctx, "stack", "output", "--json")
		if err != nil {
			t.Fatalf("pulumi stack output: %v\n%s", err, stderr)
		}
		var outputs map[string]any
		if err := json.Unmarshal([]byte(out), &outputs); err != nil {
			t.Fatal(err)
		}
		execs, _ := outputs["workerExecCommands"].(map[string]any)
		runs, _ := outputs["scheduleRunCommands"].(map[string]any)
		for _, w := range exampleWorkers {
			if cmd, _ := execs[w].(string); !strings.Contains(cmd, "aws ecs execute-command") {
				t.Errorf("workerExecCommands[%s] = %v", w, execs[w])
			}
		}
		for _, n := range exampleSchedules {
			if cmd, _ := runs[n].(string); !strings.Contains(cmd, "--group schedule:"+n) {
				t.Errorf("scheduleRunCommands[%s] = %v", n, runs[n])
			}
		}
	})
	t.Run("each schedule's task definition ARN comes from the schedule task definition, so a new revision updates it", func(t *testing.T) {
		_, d := exported(t, s)
		var td string
		for _, r := range d.Resources {
			if string(r.Type) == awstype.EcsTaskDefinition && strings.HasSuffix(string(r.URN), "::app-schedule") {
				td = string(r.URN)
			}
		}
		for _, r := range d.Resources {
			if string(r.Type) != awstype.SchedulerSchedule {
				continue
			}
			var deps []string
			for _, u := range r.PropertyDependencies["target"] {
				deps = append(deps, string(u))
			}
			if td == "" || !slices.Contains(deps, td) {
				t.Errorf("%s target depends on %v, want the schedule task definition %s", r.URN, deps, td)
			}
		}
	})
}
