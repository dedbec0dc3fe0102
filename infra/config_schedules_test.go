package infra

import (
	"strings"
	"testing"
)

func TestScheduleExpressions(t *testing.T) {
	for _, tc := range []struct {
		expr, problem string // problem "" = valid
	}{
		{"cron(0 3 * * ? *)", ""},
		{"cron(0/15 * * * ? *)", ""},
		{"cron(30 9 ? * MON-FRI *)", ""},
		{"cron(0 0 L * ? *)", ""},
		{"cron(0 8 15W * ? *)", ""},
		{"cron(0 10 ? * 3#2 *)", ""},
		{"cron(0 10 ? * 6L *)", ""},
		{"cron(0 12 1,15 JAN-JUN ? 2030-2035)", ""},
		{"cron(*/5 8-18 ? * 2-6 *)", ""},
		{"rate(1 hour)", ""},
		{"rate(5 minutes)", ""},
		{"rate(1 day)", ""},
		{"cron(0 3 * * *)", "has 5 fields"},
		{"cron(0 3 * * * *)", "exactly one of day-of-month"},
		{"cron(0 3 1 * MON *)", "exactly one of day-of-month"},
		{"cron(0 3 ? * ? *)", "exactly one of day-of-month"},
		{"cron(60 3 * * ? *)", `minutes "60" must be 0-59`},
		{"cron(0 24 * * ? *)", `hours "24"`},
		{"cron(0 3 32 * ? *)", `day-of-month "32"`},
		{"cron(0 3 * 13 ? *)", `month "13"`},
		{"cron(0 3 ? * 8 *)", `day-of-week "8"`},
		{"cron(0 3 ? * MON#6 *)", "n from 1 to 5"},
		{"cron(0 ? * * ? *)", "cannot be ?"},
		{"cron(0 3 * * ? 1969)", `year "1969"`},
		{"cron(0/0 3 * * ? *)", "step that is not a positive"},
		{"cron(0 5-3 * * ? *)", "not low-high"},
		{"cron(0 3 ? * L# *)", "day#n"},
		{"rate(1 hours)", `the unit is "hour"`},
		{"rate(5 minute)", `the unit is "minutes"`},
		{"rate(0 minutes)", "at least 1"},
		{"rate(2 weeks)", "minute(s), hour(s) or day(s)"},
		{"rate(hourly)", "rate(value unit)"},
		{"at(2030-01-01T00:00:00)", "one-time"},
		{"0 3 * * *", "must be cron("},
		{"", "must be cron("},
	} {
		name := "accepts " + tc.expr
		if tc.problem != "" {
			name = "rejects " + tc.expr + " because it " + tc.problem
		}
		t.Run(name, func(t *testing.T) {
			got := scheduleExpressionProblem(tc.expr)
			if (tc.problem == "") != (got == "") || !strings.Contains(got, tc.problem) {
				t.Errorf("scheduleExpressionProblem(%q) = %q, want %q", tc.expr, got, tc.problem)
			}
		})
	}
}

func TestScheduleRunsPerMonth(t *testing.T) {
	for _, tc := range []struct {
		expr string
		runs float64
		ok   bool
	}{
		{"rate(1 hour)", 729.6, true},
		{"rate(5 minutes)", 8755.2, true},
		{"cron(0 3 * * ? *)", 30.4, true},
		{"cron(0 9,18 ? * MON-FRI *)", 2 * 5 * 30.4 / 7, true},
		{"cron(0 0 1 * ? *)", 1, true},
		{"cron(0/15 * * 1-6 ? *)", 4 * 24 * 30.4 * 6 / 12, true},
		{"cron(0 0 L * ? *)", 0, false},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			runs, ok := ScheduleRunsPerMonth(tc.expr)
			if ok != tc.ok || (ok && (runs-tc.runs > 0.01 || tc.runs-runs > 0.01)) {
				t.Errorf("ScheduleRunsPerMonth(%q) = %v, %v; want %v, %v", tc.expr, runs, ok, tc.runs, tc.ok)
			}
		})
	}
}

func TestScheduleConfig(t *testing.T) {
	t.Run("a schedule gets Asia/Tokyo, enabled, and the web's size", func(t *testing.T) {
		c := mustParseConfig(t, "dev", map[string]string{"cpu": "512", "memory": "2048",
			"schedules": `{"nightly":{"command":["bin/rails","reports:nightly"],"schedule":"cron(0 3 * * ? *)"},"paused":{"command":["x"],"schedule":"rate(1 day)","enabled":false,"cpu":1024}}`})
		n, p := c.Service.Schedules["nightly"], c.Service.Schedules["paused"]
		if n.Timezone != "Asia/Tokyo" || !*n.Enabled || n.CPU != 512 || n.Memory != 2048 {
			t.Errorf("nightly = %+v, want Asia/Tokyo, enabled, 512/2048", n)
		}
		if *p.Enabled || p.CPU != 1024 || p.Memory != 2048 {
			t.Errorf("paused = %+v (enabled %v), want disabled, 1024 with its smallest memory 2048", p, *p.Enabled)
		}
	})
	for _, tc := range []struct {
		name, schedules, key, mention, fix string
	}{
		{"a schedule without a command", `{"nightly":{"schedule":"rate(1 day)"}}`, "schedules.nightly.command", "non-empty list", "pulumi config set --path 'schedules.nightly.command[0]' bin/rails"},
		{"a schedule without an expression", `{"nightly":{"command":["x"]}}`, "schedules.nightly.schedule", "must be cron(", `pulumi config set --path 'schedules.nightly.schedule' "cron(0 3 * * ? *)"`},
		{"a five-field Unix cron", `{"nightly":{"command":["x"],"schedule":"cron(0 3 * * *)"}}`, "schedules.nightly.schedule", "needs 6", "pulumi config set --path 'schedules.nightly.schedule'"},
		{"a rate with a plural of one", `{"nightly":{"command":["x"],"schedule":"rate(1 days)"}}`, "schedules.nightly.schedule", "singular", "pulumi config set"},
		{"an unknown timezone", `{"nightly":{"command":["x"],"schedule":"rate(1 day)","timezone":"Tokyo"}}`, "schedules.nightly.timezone", "not an IANA timezone", "pulumi config set --path 'schedules.nightly.timezone' Asia/Tokyo"},
		{"a timezone of Local", `{"nightly":{"command":["x"],"schedule":"rate(1 day)","timezone":"Local"}}`, "schedules.nightly.timezone", "IANA timezone", "pulumi config set"},
		{"enabled as a word", `{"nightly":{"command":["x"],"schedule":"rate(1 day)","enabled":"no"}}`, "schedules.nightly.enabled", "true or false", "pulumi config set --path 'schedules.nightly.enabled' false"},
		{"a schedule cpu Fargate lacks", `{"nightly":{"command":["x"],"schedule":"rate(1 day)","cpu":100}}`, "schedules.nightly.cpu", "from 256 to 16384", "pulumi config set --path 'schedules.nightly.cpu' 256"},
		{"schedule memory that does not fit", `{"nightly":{"command":["x"],"schedule":"rate(1 day)","cpu":256,"memory":4096}}`, "schedules.nightly.memory", "does not fit cpu 256", "pulumi config set --path 'schedules.nightly.memory' 512"},
		{"a schedule name with a space", `{"nightly report":{"command":["x"],"schedule":"rate(1 day)"}}`, `schedules["nightly report"]`, "not a valid name", `pulumi config rm --path 'schedules["nightly report"]'`},
		{"a misspelled schedule setting", `{"nightly":{"command":["x"],"schedule":"rate(1 day)","tz":"UTC"}}`, "schedules.nightly.tz", "not a setting of schedules entries", "pulumi config rm --path 'schedules.nightly.tz'"},
		{"schedules as a list", `["nightly"]`, "schedules", "map of NAME: settings", "pulumi config set --path 'schedules.nightly.command[0]' bin/rails"},
	} {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			_, err := parseConfig(t, "dev", map[string]string{"schedules": tc.schedules})
			wantProblem(t, err, tc.key, tc.mention, tc.fix)
		})
	}
}
