package infra

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Worker defaults (the same in every environment).
const (
	DefaultWorkerDesiredCount = 1
	// DefaultStopTimeoutSeconds is ECS's own default on Fargate: SIGTERM, then SIGKILL after
	// this long. Sidekiq's default shutdown timeout (25 s) fits inside it.
	DefaultStopTimeoutSeconds = 30
	// MaxStopTimeoutSeconds is Fargate's limit on a container's stopTimeout.
	MaxStopTimeoutSeconds = 120
	// MaxProcessNameLength bounds worker and schedule names: they become part of resource names,
	// the task definition family, the log stream prefix and the ECS task group, and the longest
	// of those (the schedule's failure rule, auto-named "<component>-schedule-<name>-failed-" +
	// 7 characters) must stay within EventBridge's 64 characters.
	MaxProcessNameLength = 24
)

// ReservedProcessNames are stream prefixes and families the stack already uses.
var ReservedProcessNames = []string{"web", "migrate", "schedule"}

// processName is a valid worker or schedule name: lower-case letters, digits, - and _, starting
// with a letter, not ending in - or _.
var processName = regexp.MustCompile(`^[a-z](?:[a-z0-9_-]*[a-z0-9])?$`)

// WorkerArgs is one background process (Sidekiq, Solid Queue's bin/jobs, GoodJob): its own ECS
// service from the web's image, task role, env, secrets and security group, without a load
// balancer. A zero field takes the default written beside it.
type WorkerArgs struct {
	// Command is what the container runs, in exec form. Required, non-empty.
	Command []string `config:"command" example:"bundle"`
	// CPU (units) and Memory (MiB). Default 256 / 512. Valid: the Fargate table.
	CPU    int `config:"cpu" example:"512"`
	Memory int `config:"memory" example:"1024"`
	// DesiredCount tasks run from the first image deploy. Default 1.
	// MinCount..MaxCount bound autoscaling on CPU, which is on when MaxCount > MinCount. Default
	// MaxCount = max(DesiredCount, 1), MinCount = min(DesiredCount, MaxCount) (no autoscaling).
	// Valid: 0 ≤ MinCount ≤ DesiredCount ≤ MaxCount ≤ 100, MaxCount ≥ 1.
	DesiredCount *int `config:"desiredCount" example:"1"`
	MinCount     *int `config:"minCount" example:"1"`
	MaxCount     int  `config:"maxCount" example:"2"`
	// CPUTargetPercent is the average CPU autoscaling tracks. Default 60. Valid: 10 to 90.
	CPUTargetPercent int `config:"cpuTargetPercent" example:"60"`
	// StopTimeout is how long a stopping task may finish its jobs after SIGTERM, in seconds.
	// Default 30. Valid: 2 to 120 (Fargate's limit).
	StopTimeout int `config:"stopTimeout" example:"30"`
}

func (w *WorkerArgs) defaults() {
	if w.DesiredCount == nil {
		w.DesiredCount = intRef(DefaultWorkerDesiredCount)
	}
	if w.MaxCount == 0 {
		w.MaxCount = max(*w.DesiredCount, 1)
	}
	if w.MinCount == nil {
		w.MinCount = intRef(min(*w.DesiredCount, w.MaxCount))
	}
	if w.CPU == 0 {
		w.CPU = DefaultCPU
	}
	if w.Memory == 0 {
		w.Memory = DefaultMemory
	}
	if w.CPUTargetPercent == 0 {
		w.CPUTargetPercent = DefaultCPUTargetPercent
	}
	if w.StopTimeout == 0 {
		w.StopTimeout = DefaultStopTimeoutSeconds
	}
}

// Autoscaling reports whether Application Auto Scaling manages the worker's count.
func (w *WorkerArgs) Autoscaling() bool { return w.MaxCount > deref(w.MinCount) }

// problems holds every rule of one worker, in terms of its own fields; AppServiceArgs prefixes
// them with the worker's entry. Size and count rules are the web's.
func (w *WorkerArgs) problems() []FieldProblem {
	var ps problemList
	commandProblems(&ps, w.Command, []string{"bundle", "exec", "sidekiq"})
	taskSizeProblems(&ps, w.CPU, w.Memory)
	desired := deref(w.DesiredCount)
	taskCountProblems(&ps, taskCounts{Desired: desired, Min: deref(w.MinCount), Max: w.MaxCount, CPUTarget: w.CPUTargetPercent},
		taskCounts{Desired: DefaultWorkerDesiredCount, Min: desired, Max: max(desired, 1), CPUTarget: DefaultCPUTargetPercent})
	rangeProblem(&ps, "StopTimeout", w.StopTimeout, 2, MaxStopTimeoutSeconds, DefaultStopTimeoutSeconds)
	return ps
}

// commandProblems is the rule for a process's Command: a non-empty list of non-empty words.
func commandProblems(ps *problemList, command, example []string) {
	fix := Fix{Steps: []FixStep{{Op: FixSet, Field: "Command", Path: "[0]", Value: example[0]}}}
	if len(command) == 0 {
		ps.add("Command", "", fmt.Sprintf("must be a non-empty list of words, the process to run in exec form, e.g. [%s]. "+
			"Set it in the stack file as a YAML list, or word by word with --path '...command[0]', '...command[1]', ...", strings.Join(example, ", ")), fix)
		return
	}
	for i, word := range command {
		if strings.TrimSpace(word) == "" {
			ps.add("Command", fmt.Sprintf("%q", command), fmt.Sprintf("word %d is empty; every word of the command must be non-empty.", i),
				Fix{Steps: []FixStep{{Op: FixRemove, Field: "Command", Path: fmt.Sprintf("[%d]", i)}}})
		}
	}
}

// processNameProblems is the rule for the names of a map of processes (workers, schedules).
func processNameProblems(ps *problemList, field string, names []string) {
	for _, name := range names {
		var reason string
		switch {
		case len(name) > MaxProcessNameLength:
			reason = fmt.Sprintf("%q is %d characters; at most %d (it becomes part of resource names, whose AWS limits leave that much).", name, len(name), MaxProcessNameLength)
		case !processName.MatchString(name):
			reason = fmt.Sprintf("%q is not a valid name: use lower-case letters, digits, - and _, starting with a letter and not ending in - or _ (it becomes part of the task definition family, resource names and the log stream prefix).", name)
		case slices.Contains(ReservedProcessNames, name):
			reason = fmt.Sprintf("%q is taken by the stack itself (reserved: %s).", name, strings.Join(ReservedProcessNames, ", "))
		default:
			continue
		}
		ps.add(entryField(field, name, ""), name, reason, removeField(entryField(field, name, "")))
	}
}

// workerProblems runs each worker's rules under its entry, and the rules on the names.
func (a *AppServiceArgs) workerProblems(ps *problemList) {
	names := slices.Sorted(maps.Keys(a.Workers))
	processNameProblems(ps, "Workers", names)
	for _, name := range names {
		w := a.Workers[name]
		*ps = append(*ps, entryProblems("Workers", name, w.problems())...)
	}
}
