package infra

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const sidekiq = `"sidekiq":{"command":["bundle","exec","sidekiq"]}`

func TestWorkerConfigDefaults(t *testing.T) {
	c := mustParseConfig(t, "prod", map[string]string{"workers": `{` + sidekiq + `,"paused":{"command":["bin/jobs"],"desiredCount":0}}`})
	for _, tc := range []struct {
		name string
		got  []any
		want []any
	}{
		{"a worker with only a command gets 256/512, one task, no autoscaling, a 30 s stop timeout, in prod too", workerSettings(c.Service.Workers["sidekiq"]),
			[]any{[]string{"bundle", "exec", "sidekiq"}, 256, 512, 1, 1, 1, 60, 30, false}},
		{"a worker at desiredCount 0 is kept at 0 (paused), not defaulted", workerSettings(c.Service.Workers["paused"]),
			[]any{[]string{"bin/jobs"}, 256, 512, 0, 0, 1, 60, 30, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
	t.Run("the defaults do not write into the caller's map", func(t *testing.T) {
		a := AppServiceArgs{Workers: map[string]WorkerArgs{"jobs": {Command: []string{"bin/jobs"}}}}
		a.defaults()
		if orig := (AppServiceArgs{Workers: map[string]WorkerArgs{"jobs": {Command: []string{"bin/jobs"}}}}); reflect.DeepEqual(a.Workers, orig.Workers) {
			t.Fatal("defaults changed nothing")
		}
	})
}

func workerSettings(w WorkerArgs) []any {
	return []any{w.Command, w.CPU, w.Memory, deref(w.DesiredCount), deref(w.MinCount), w.MaxCount, w.CPUTargetPercent, w.StopTimeout, w.Autoscaling()}
}

// TestWorkerConfigRejects covers every worker key and the entry itself: each problem names the
// key path, what is wrong and a paste-ready fix.
func TestWorkerConfigRejects(t *testing.T) {
	for _, tc := range []struct {
		name, workers, key, mention, fix string
	}{
		{"workers as a list", `["sidekiq"]`, "workers", "must be a map of NAME: settings", "pulumi config set --path 'workers.sidekiq.command[0]' bundle"},
		{"a worker that is not an object", `{"sidekiq":"bundle exec sidekiq"}`, "workers.sidekiq", "must be an object of settings (command, cpu,", "pulumi config set --path 'workers.sidekiq.command' bundle"},
		{"an upper-case worker name", `{"Sidekiq":{"command":["x"]}}`, "workers.Sidekiq", "lower-case letters", "pulumi config rm --path 'workers.Sidekiq'"},
		{"a worker name with a dot", `{"side.kiq":{"command":["x"]}}`, `workers["side.kiq"]`, "not a valid name", `pulumi config rm --path 'workers["side.kiq"]'`},
		{"a worker name ending in a hyphen", `{"sidekiq-":{"command":["x"]}}`, "workers.sidekiq-", "not ending in - or _", "pulumi config rm --path 'workers.sidekiq-'"},
		{"a worker name longer than resource names allow", `{"` + strings.Repeat("w", 25) + `":{"command":["x"]}}`, "workers." + strings.Repeat("w", 25), "at most 24", "pulumi config rm"},
		{"a worker named web", `{"web":{"command":["x"]}}`, "workers.web", "taken by the stack itself", "pulumi config rm --path 'workers.web'"},
		{"a worker without a command", `{"sidekiq":{"cpu":512}}`, "workers.sidekiq.command", "must be a non-empty list", "pulumi config set --path 'workers.sidekiq.command[0]' bundle"},
		{"a worker command as one string", `{"sidekiq":{"command":"bundle exec sidekiq"}}`, "workers.sidekiq.command", "must be a list of strings", "pulumi config set --path 'workers.sidekiq.command[0]' bundle"},
		{"a worker command with an empty word", `{"sidekiq":{"command":["bundle",""]}}`, "workers.sidekiq.command", "word 1 is empty", "pulumi config rm --path 'workers.sidekiq.command[1]'"},
		{"a worker cpu Fargate lacks", `{"sidekiq":{"command":["x"],"cpu":300}}`, "workers.sidekiq.cpu", "not a Fargate size", "pulumi config set --path 'workers.sidekiq.cpu' 256"},
		{"worker memory that does not fit its cpu", `{"sidekiq":{"command":["x"],"cpu":1024,"memory":512}}`, "workers.sidekiq.memory", "does not fit cpu 1024", "pulumi config set --path 'workers.sidekiq.memory' 2048"},
		{"worker memory as a word", `{"sidekiq":{"command":["x"],"memory":"lots"}}`, "workers.sidekiq.memory", "must be a whole number", "pulumi config set --path 'workers.sidekiq.memory' 1024"},
		{"a worker cpu of 0", `{"sidekiq":{"command":["x"],"cpu":0}}`, "workers.sidekiq.cpu", "from 256 to 16384", "pulumi config set --path 'workers.sidekiq.cpu' 256"},
		{"a worker min count above its max", `{"sidekiq":{"command":["x"],"minCount":3,"maxCount":2,"desiredCount":2}}`, "workers.sidekiq.minCount", "above workers.sidekiq.maxCount (2)", "pulumi config set --path 'workers.sidekiq.maxCount' 3"},
		{"a worker desired count above its max", `{"sidekiq":{"command":["x"],"desiredCount":5,"maxCount":3}}`, "workers.sidekiq.desiredCount", "between workers.sidekiq.minCount (3) and workers.sidekiq.maxCount (3)", "pulumi config set --path 'workers.sidekiq.desiredCount' 3"},
		{"a worker max count over 100", `{"sidekiq":{"command":["x"],"maxCount":101}}`, "workers.sidekiq.maxCount", "from 1 to 100", "pulumi config set --path 'workers.sidekiq.maxCount'"},
		{"a negative worker desired count", `{"sidekiq":{"command":["x"],"desiredCount":-1}}`, "workers.sidekiq.desiredCount", "from 0 to 100", "pulumi config set --path 'workers.sidekiq.desiredCount' 1"},
		{"a worker CPU target of 95%", `{"sidekiq":{"command":["x"],"cpuTargetPercent":95}}`, "workers.sidekiq.cpuTargetPercent", "from 10 to 90", "pulumi config set --path 'workers.sidekiq.cpuTargetPercent' 60"},
		{"a stop timeout over Fargate's 120 s", `{"sidekiq":{"command":["x"],"stopTimeout":300}}`, "workers.sidekiq.stopTimeout", "from 2 to 120", "pulumi config set --path 'workers.sidekiq.stopTimeout' 30"},
		{"a stop timeout of 1 s", `{"sidekiq":{"command":["x"],"stopTimeout":1}}`, "workers.sidekiq.stopTimeout", "from 2 to 120", "pulumi config set --path 'workers.sidekiq.stopTimeout' 30"},
		{"a misspelled worker setting", `{"sidekiq":{"command":["x"],"stoptimeout":25}}`, "workers.sidekiq.stoptimeout", `Did you mean "stopTimeout"?`, "pulumi config rm --path 'workers.sidekiq.stoptimeout'"},
		{"an unknown worker setting", `{"sidekiq":{"command":["x"],"queues":["default"]}}`, "workers.sidekiq.queues", "not a setting of workers entries", "pulumi config rm --path 'workers.sidekiq.queues'"},
	} {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			_, err := parseConfig(t, "dev", map[string]string{"workers": tc.workers})
			wantProblem(t, err, tc.key, tc.mention, tc.fix)
		})
	}
	t.Run("every problem of every worker is reported at once", func(t *testing.T) {
		_, err := parseConfig(t, "dev", map[string]string{"workers": `{"a":{"cpu":300},"b":{"command":"bin/jobs","stopTimeout":0,"memory":"x"}}`})
		var cerr *ConfigError
		if !errors.As(err, &cerr) {
			t.Fatalf("err = %v", err)
		}
		var keys []string
		for _, p := range cerr.Problems {
			keys = append(keys, strings.TrimPrefix(p.Key, Namespace+":"))
		}
		want := []string{"workers.b.command", "workers.b.memory", "workers.a.command", "workers.a.cpu", "workers.b.stopTimeout"}
		if !reflect.DeepEqual(keys, want) {
			t.Errorf("problems for %v, want exactly %v (a malformed value is reported once, by its form)", keys, want)
		}
	})
	t.Run("a Go caller reads worker problems in terms of fields", func(t *testing.T) {
		a := AppServiceArgs{Workers: map[string]WorkerArgs{"sidekiq": {CPU: 300}}}
		a.defaults()
		err := argsError("AppServiceArgs", a.problems())
		if err == nil || !strings.Contains(err.Error(), `AppServiceArgs.Workers["sidekiq"].CPU = "300"`) ||
			!strings.Contains(err.Error(), `set AppServiceArgs.Workers["sidekiq"].CPU = 256`) {
			t.Errorf("err = %v, want it to name AppServiceArgs.Workers[\"sidekiq\"].CPU with a fix", err)
		}
	})
}
