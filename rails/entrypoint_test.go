package rails

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// appUID is the image's USER; the entrypoint runs as it in these tests, as it does on ECS.
const appUID = 1000

// fakeApp lays out an app root with the real entrypoint and a bin/rails that records each call
// (arguments, parent pid, LD_PRELOAD) in calls.log, owned by the app user like the image's tmp/.
func fakeApp(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "entrypoint-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile(filepath.Join("bin", "docker-entrypoint"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "bin", "docker-entrypoint"), 0o755, string(script))
	writeFile(t, filepath.Join(dir, "bin", "rails"), 0o755, `#!/usr/bin/env bash
echo "$* | ppid=$PPID | preload=${LD_PRELOAD:-}" >> "$(dirname "$0")/../calls.log"
if [[ "$1" == db:prepare && -n "${FAIL_PREPARE:-}" ]]; then exit 3; fi
`)
	if err := os.MkdirAll(filepath.Join(dir, "tmp", "pids"), 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, appUID, appUID)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type entrypointRun struct {
	code   int
	stderr string
	calls  []string // bin/rails calls: "args | ppid=N | preload=X"
}

// runEntrypoint runs bin/docker-entrypoint from another working directory, as uid 1000 when the
// test runs as root (setpriv execs, so the pid chain is unchanged).
func runEntrypoint(t *testing.T, dir string, env []string, args ...string) entrypointRun {
	t.Helper()
	argv := append([]string{filepath.Join(dir, "bin", "docker-entrypoint")}, args...)
	if os.Geteuid() == 0 {
		uid := strconv.Itoa(appUID)
		argv = append([]string{"setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--"}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = os.TempDir()
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	run := entrypointRun{stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		run.code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("running %v: %v", argv, err)
	}
	if log, err := os.ReadFile(filepath.Join(dir, "calls.log")); err == nil {
		run.calls = strings.Split(strings.TrimSpace(string(log)), "\n")
	}
	return run
}

// callArgs strips the recorded details from each call, leaving the bin/rails arguments.
func callArgs(calls []string) []string {
	var out []string
	for _, c := range calls {
		args, _, _ := strings.Cut(c, " | ")
		out = append(out, args)
	}
	return out
}

func TestEntrypoint(t *testing.T) {
	server := []string{"./bin/rails", "server", "-b", "0.0.0.0"}
	cases := []struct {
		name       string
		env        []string
		args       []string
		stalePid   string // a pid file to plant under the app root
		wantCode   int
		wantCalls  []string
		wantPidEnd bool // whether the planted pid file is still there afterwards
		wantStderr string
	}{
		{name: "it execs the server with its arguments", args: server,
			wantCalls: []string{"server -b 0.0.0.0"}},
		{name: "it removes a stale server.pid before the server starts", args: server,
			stalePid: "tmp/pids/server.pid", wantCalls: []string{"server -b 0.0.0.0"}},
		{name: "it removes the pid file PIDFILE names", args: server, env: []string{"PIDFILE=tmp/pids/puma.pid"},
			stalePid: "tmp/pids/puma.pid", wantCalls: []string{"server -b 0.0.0.0"}},
		{name: "a one-off command leaves the server's pid file alone", args: []string{"./bin/rails", "db:migrate"},
			stalePid: "tmp/pids/server.pid", wantPidEnd: true, wantCalls: []string{"db:migrate"}},
		{name: "db:prepare does not run by default", args: server,
			wantCalls: []string{"server -b 0.0.0.0"}},
		{name: "db:prepare does not run when RAILS_DB_PREPARE_ON_BOOT=0", args: server, env: []string{"RAILS_DB_PREPARE_ON_BOOT=0"},
			wantCalls: []string{"server -b 0.0.0.0"}},
		{name: "db:prepare runs before the server when RAILS_DB_PREPARE_ON_BOOT=1", args: server, env: []string{"RAILS_DB_PREPARE_ON_BOOT=1"},
			wantCalls: []string{"db:prepare", "server -b 0.0.0.0"}},
		{name: "RAILS_DB_PREPARE_ON_BOOT=true counts as opted in, and `rails s` is the server", args: []string{"./bin/rails", "s"},
			env: []string{"RAILS_DB_PREPARE_ON_BOOT=true"}, wantCalls: []string{"db:prepare", "s"}},
		{name: "db:prepare does not run before a one-off command even when opted in", args: []string{"./bin/rails", "db:migrate"},
			env: []string{"RAILS_DB_PREPARE_ON_BOOT=1"}, wantCalls: []string{"db:migrate"}},
		{name: "a failed db:prepare stops the boot", args: server, env: []string{"RAILS_DB_PREPARE_ON_BOOT=1", "FAIL_PREPARE=1"},
			wantCode: 3, wantCalls: []string{"db:prepare"}},
		{name: "a value that is not a boolean is rejected with its name", args: server, env: []string{"RAILS_DB_PREPARE_ON_BOOT=sometimes"},
			wantCode: 64, wantStderr: "RAILS_DB_PREPARE_ON_BOOT=sometimes is not a boolean"},
		{name: "no command is an error", wantCode: 64, wantStderr: "no command given"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := fakeApp(t)
			if c.stalePid != "" {
				writeFile(t, filepath.Join(dir, c.stalePid), 0o644, "4242\n")
			}
			run := runEntrypoint(t, dir, append([]string{"JEMALLOC=0"}, c.env...), c.args...)
			if run.code != c.wantCode {
				t.Errorf("exit code %d, want %d; stderr:\n%s", run.code, c.wantCode, run.stderr)
			}
			if got := callArgs(run.calls); strings.Join(got, "\n") != strings.Join(c.wantCalls, "\n") {
				t.Errorf("bin/rails calls %q, want %q", got, c.wantCalls)
			}
			if c.wantStderr != "" && !strings.Contains(run.stderr, c.wantStderr) {
				t.Errorf("stderr %q, want it to contain %q", run.stderr, c.wantStderr)
			}
			if c.stalePid != "" {
				_, err := os.Stat(filepath.Join(dir, c.stalePid))
				if still := err == nil; still != c.wantPidEnd {
					t.Errorf("%s still there = %v, want %v", c.stalePid, still, c.wantPidEnd)
				}
			}
		})
	}
}

func TestEntrypointExecsSoTheServerGetsSignals(t *testing.T) {
	dir := fakeApp(t)
	run := runEntrypoint(t, dir, []string{"JEMALLOC=0", "RAILS_DB_PREPARE_ON_BOOT=1"}, "./bin/rails", "server")
	if len(run.calls) != 2 {
		t.Fatalf("calls %q, want db:prepare then server", run.calls)
	}
	// db:prepare is a child of the entrypoint; the server replaces it, so its parent is this test.
	want := "ppid=" + strconv.Itoa(os.Getpid())
	if !strings.Contains(run.calls[1], want) {
		t.Errorf("server call %q, want %s: the entrypoint must exec, not fork, the server", run.calls[1], want)
	}
	if strings.Contains(run.calls[0], want) {
		t.Errorf("db:prepare call %q has the test as parent; want it run by the entrypoint", run.calls[0])
	}
}

func TestEntrypointJemalloc(t *testing.T) {
	var lib string
	for _, pattern := range []string{"/usr/lib/*-linux-gnu/libjemalloc.so.2", "/usr/lib/libjemalloc.so.2"} {
		if m, _ := filepath.Glob(pattern); len(m) > 0 && lib == "" {
			lib = m[0]
		}
	}
	cases := []struct {
		name, want string
		env        []string
	}{
		{"by default jemalloc is preloaded when installed (here: " + strconv.Quote(lib) + ")", lib, nil},
		{"JEMALLOC=0 turns it off", "", []string{"JEMALLOC=0"}},
		{"a preset LD_PRELOAD is kept", "/opt/custom.so", []string{"LD_PRELOAD=/opt/custom.so"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := fakeApp(t)
			env := c.env
			if c.want == "/opt/custom.so" {
				// A missing preload only makes the loader warn; the call is still recorded.
				env = append(env, "JEMALLOC=1")
			}
			run := runEntrypoint(t, dir, env, "./bin/rails", "server")
			if len(run.calls) != 1 || !strings.HasSuffix(run.calls[0], "preload="+c.want) {
				t.Errorf("calls %q, want LD_PRELOAD=%q", run.calls, c.want)
			}
		})
	}
}

func TestEntrypointWarnsWhenTheServerCannotBindItsPort(t *testing.T) {
	cases := []struct {
		name, port, start string
		warn              bool
	}{
		{"port 80 with Fargate's default 1024 warns with the fix", "80", "1024", true},
		{"port 80 with the sysctl at 0 is quiet", "80", "0", false},
		{"port 3000 is quiet whatever the sysctl", "3000", "1024", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := fakeApp(t)
			sysctl := filepath.Join(dir, "ip_unprivileged_port_start")
			writeFile(t, sysctl, 0o644, c.start+"\n")
			run := runEntrypoint(t, dir, []string{"JEMALLOC=0", "PORT=" + c.port, "UNPRIVILEGED_PORT_START_FILE=" + sysctl}, "./bin/rails", "server")
			// The advice names the exact sysctl value the infra sets: the port itself.
			warned := strings.Contains(run.stderr, "net.ipv4.ip_unprivileged_port_start="+c.port+" ")
			if warned != c.warn {
				t.Errorf("PORT=%s start=%s: warned=%v, want %v; stderr %q", c.port, c.start, warned, c.warn, run.stderr)
			}
			if run.code != 0 || len(run.calls) != 1 {
				t.Errorf("the server must still start (the warning is advice): code %d, calls %q", run.code, run.calls)
			}
		})
	}
}
