package infra

import (
	"maps"
	"slices"
	"strconv"
)

// Schedule defaults and fixed settings.
const (
	// DefaultScheduleTimezone is Asia/Tokyo: the stack's default region and the team's clock, so
	// cron(0 3 * * ? *) means 03:00 as the people reading it expect; Japan has no daylight saving
	// time, so no run is skipped or doubled when clocks change (UTC would be as safe but 9 hours off).
	DefaultScheduleTimezone = "Asia/Tokyo"
	// ScheduleRetryAttempts and ScheduleMaxEventAgeSeconds bound Scheduler's retries of a RunTask
	// that fails to start (throttling, no capacity); after them the invocation goes to the DLQ.
	// A failing job itself is never retried: its exit code is logged (see newScheduleFailureLog).
	ScheduleRetryAttempts      = 3
	ScheduleMaxEventAgeSeconds = 3600
	// ScheduleDLQRetentionSeconds keeps dead-letter messages SQS's maximum, 14 days.
	ScheduleDLQRetentionSeconds = 14 * 24 * 3600
)

// ScheduleArgs is one scheduled job: EventBridge Scheduler runs a one-off Fargate task of the
// schedule task definition (the web's container) with Command as the container's command.
type ScheduleArgs struct {
	// Command is what the task runs, in exec form, e.g. [bin/rails, reports:nightly]. Required.
	Command []string `config:"command" example:"bin/rails"`
	// Schedule is a recurring EventBridge Scheduler expression: cron(m h dom mon dow year) or
	// rate(n unit). Required. Valid: scheduleExpressionProblem.
	Schedule string `config:"schedule" example:"\"cron(0 3 * * ? *)\""`
	// Timezone the cron expression is read in. Default DefaultScheduleTimezone. Valid: an IANA name.
	Timezone string `config:"timezone" example:"Asia/Tokyo"`
	// Enabled false pauses the schedule (state DISABLED) without deleting it. Default true.
	Enabled *bool `config:"enabled" example:"false"`
	// CPU and Memory of the job's task; unset, the web's. Valid: the Fargate table.
	CPU    int `config:"cpu" example:"512"`
	Memory int `config:"memory" example:"1024"`
}

// defaults fills the schedule's own defaults; a size left unset is the web's (webCPU, webMemory).
func (s *ScheduleArgs) defaults(webCPU, webMemory int) {
	if s.Timezone == "" {
		s.Timezone = DefaultScheduleTimezone
	}
	if s.Enabled == nil {
		s.Enabled = boolRef(true)
	}
	if s.CPU == 0 && s.Memory == 0 {
		s.CPU, s.Memory = webCPU, webMemory
	}
	if s.CPU == 0 {
		s.CPU = DefaultCPU
	}
	if s.Memory == 0 {
		// The smallest memory the cpu takes; an invalid cpu is the rules' to report.
		s.Memory = DefaultMemory
		if mems, ok := fargateMemory[s.CPU]; ok {
			s.Memory = mems[0]
		}
	}
}

// problems holds every rule of one schedule; AppServiceArgs prefixes them with its entry.
func (s *ScheduleArgs) problems() []FieldProblem {
	var ps problemList
	commandProblems(&ps, s.Command, []string{"bin/rails", "reports:nightly"})
	if reason := scheduleExpressionProblem(s.Schedule); reason != "" {
		ps.add("Schedule", s.Schedule, reason, setTo("Schedule", strconv.Quote("cron(0 3 * * ? *)")))
	}
	if reason := timezoneProblem(s.Timezone); reason != "" {
		ps.add("Timezone", s.Timezone, reason, setTo("Timezone", DefaultScheduleTimezone))
	}
	taskSizeProblems(&ps, s.CPU, s.Memory)
	return ps
}

// scheduleProblems runs each schedule's rules under its entry, and the rules on the names.
func (a *AppServiceArgs) scheduleProblems(ps *problemList) {
	names := slices.Sorted(maps.Keys(a.Schedules))
	processNameProblems(ps, "Schedules", names)
	for _, name := range names {
		s := a.Schedules[name]
		*ps = append(*ps, entryProblems("Schedules", name, s.problems())...)
	}
}
