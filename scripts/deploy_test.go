package scripts

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rails-infra/rails-infra/infra"
)

const (
	repoURL  = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/rails-infra-dev-app"
	registry = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com"
)

// Fakes for the CLIs the scripts drive. Each records its arguments, one call a line, in
// $FAKE_LOG; pulumi answers the read-only lookups from FAKE_* variables like the real CLI.
const fakePulumi = `#!/usr/bin/env bash
echo "pulumi $*" >> "$FAKE_LOG"
if [[ -n "${FAKE_PWD_LOG:-}" ]]; then pwd >> "$FAKE_PWD_LOG"; fi
case "$1 $2" in
  "stack output")
    case "$3" in ecrRepositoryUrl) v="${FAKE_REPO:-}" ;; clusterName) v=rails-infra-dev-cluster ;; serviceName) v=app-svc ;; *) v="" ;; esac
    if [[ -n "$v" ]]; then echo "$v"; exit 0; fi
    echo "error: current stack does not have output property '$3'" >&2; exit 255 ;;
  "config get")
    case "$3" in cpuArchitecture) v="${FAKE_ARCH:-}" ;; imageTag) v="${FAKE_TAG:-}" ;; *) v="" ;; esac
    if [[ -n "$v" ]]; then echo "$v"; exit 0; fi
    echo "error: configuration key 'rails-infra:$3' not found for stack 'dev'" >&2; exit 255 ;;
  "stack history") cat "$FAKE_HISTORY" ;;
esac
`

const fakeDocker = `#!/usr/bin/env bash
if [[ "$1" == login ]]; then
  echo "docker $* stdin=$(cat)" >> "$FAKE_LOG"
else
  echo "docker $*" >> "$FAKE_LOG"
fi
`

// fakeAWS answers the ECR login and the post-deploy check: the service's primary deployment runs a
// task definition whose web image is $FAKE_RUNNING_IMAGE.
const fakeAWS = `#!/usr/bin/env bash
echo "aws $*" >> "$FAKE_LOG"
case "$1 $2" in
  "ecr get-login-password") echo fake-ecr-password ;;
  "ecs describe-services") echo "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/app-web:7" ;;
  "ecs describe-task-definition") echo "${FAKE_RUNNING_IMAGE:-}" ;;
esac
`

// sandbox is a PATH of fakes plus the few real tools the scripts need, and an app directory.
type sandbox struct {
	bin, app, log string
	env           []string
}

func newSandbox(t *testing.T, fakes ...string) *sandbox {
	t.Helper()
	root := t.TempDir()
	s := &sandbox{bin: filepath.Join(root, "bin"), app: filepath.Join(root, "app"), log: filepath.Join(root, "calls.log")}
	for _, d := range []string{s.bin, s.app} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, filepath.Join(s.app, "Dockerfile"), "FROM scratch\n")
	for _, tool := range []string{"bash", "git", "jq", "cat"} {
		if p, err := lookTool(tool); err == nil {
			if err := os.Symlink(p, filepath.Join(s.bin, tool)); err != nil {
				t.Fatal(err)
			}
		}
	}
	scripts := map[string]string{"pulumi": fakePulumi, "docker": fakeDocker, "aws": fakeAWS}
	for _, name := range fakes {
		path := filepath.Join(s.bin, name)
		write(t, path, scripts[name])
		if err := os.Chmod(path, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A stack that already runs an image (v0); FAKE_TAG= makes it a stack before its first image.
	s.env = []string{"PATH=" + s.bin, "HOME=" + root, "FAKE_LOG=" + s.log, "FAKE_REPO=" + repoURL, "FAKE_TAG=v0"}
	return s
}

type result struct {
	code           int
	stdout, stderr string
	calls          []string
}

func (s *sandbox) run(t *testing.T, script string, env []string, args ...string) result {
	t.Helper()
	path, err := filepath.Abs(script)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = s.app
	cmd.Env = append(slices.Clone(s.env), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		r.code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("%s %v: %v", script, args, err)
	}
	if b, err := os.ReadFile(s.log); err == nil {
		r.calls = strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	return r
}

// gojqPath is a jq built from the pinned github.com/itchyny/gojq (a tool in go.mod), for
// machines with only Go: `go test ./...` must not need a jq binary the README never installs.
var gojqPath string

func TestMain(m *testing.M) {
	code := m.Run()
	if gojqPath != "" {
		_ = os.RemoveAll(filepath.Dir(gojqPath))
	}
	os.Exit(code)
}

// lookTool finds a tool the scripts need; jq falls back to gojq, built once.
func lookTool(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err == nil || name != "jq" {
		return p, err
	}
	if gojqPath == "" {
		dir, err := os.MkdirTemp("", "gojq")
		if err != nil {
			return "", err
		}
		out := filepath.Join(dir, "jq")
		if b, err := exec.Command("go", "build", "-o", out, "github.com/itchyny/gojq/cmd/gojq").CombinedOutput(); err != nil {
			return "", fmt.Errorf("building gojq: %v\n%s", err, b)
		}
		gojqPath = out
	}
	return gojqPath, nil
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func lines(s string) []string {
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}

// acceptedOptions lists the long options a script's argument parser accepts.
func acceptedOptions(t *testing.T, script string) []string {
	t.Helper()
	b, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	var opts []string
	for _, m := range regexp.MustCompile(`(?m)^\s+(?:-\w \| )?(--[a-z-]+)(?: \| -\w)?\)`).FindAllStringSubmatch(string(b), -1) {
		opts = append(opts, m[1])
	}
	return opts
}

func TestHelpDocumentsEveryOption(t *testing.T) {
	cases := []struct {
		script string
		want   []string
	}{
		{"deploy", []string{"--stack", "--tag", "--git-sha", "--app-dir", "--dockerfile", "--project-dir", "--platform", "--push-only", "--dry-run", "--yes", "--help"}},
		{"rollback", []string{"--stack", "--to", "--project-dir", "--dry-run", "--yes", "--help"}},
	}
	for _, c := range cases {
		t.Run(c.script+" --help exits 0 and names each option it accepts", func(t *testing.T) {
			s := newSandbox(t, "pulumi")
			r := s.run(t, c.script, nil, "--help")
			if r.code != 0 {
				t.Fatalf("exit %d, want 0; stderr %s", r.code, r.stderr)
			}
			accepted := acceptedOptions(t, c.script)
			if !slices.Equal(accepted, c.want) {
				t.Errorf("the parser accepts %v, want %v", accepted, c.want)
			}
			for _, opt := range accepted {
				if !regexp.MustCompile(`(?m)^\s+(?:-\w, )?` + regexp.QuoteMeta(opt) + `\b`).MatchString(r.stdout) {
					t.Errorf("--help has no line describing %s:\n%s", opt, r.stdout)
				}
			}
			if len(r.calls) != 0 {
				t.Errorf("--help ran %q", r.calls)
			}
		})
	}
}

func TestDeployRejectsBadArguments(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"an unknown option", []string{"--tga", "v1"}, "unknown option: --tga"},
		{"an option without its value", []string{"--tag"}, "--tag needs a value"},
		{"a positional argument", []string{"v1"}, "unexpected argument: v1 (options only; did you mean --tag v1?)"},
		{"both --tag and --git-sha", []string{"--tag", "v1", "--git-sha"}, "--tag and --git-sha are alternatives"},
		{"a tag ECR would refuse", []string{"--tag", "v1/beta"}, "--tag 'v1/beta' is not a valid image tag"},
		{"a tag starting with a dash", []string{"--tag=-v1"}, "is not a valid image tag"},
		{"a platform Fargate does not run", []string{"--tag", "v1", "--platform", "linux/386"}, "--platform 'linux/386' is not supported"},
		{"an app directory that does not exist", []string{"--tag", "v1", "--app-dir", "/nonexistent/app"}, "--app-dir '/nonexistent/app' is not a directory"},
		{"a missing Dockerfile", []string{"--tag", "v1", "--dockerfile", "Dockerfile.nope"}, "no Dockerfile at 'Dockerfile.nope'"},
		{"a project directory without Pulumi.yaml", []string{"--tag", "v1", "--project-dir", "/"}, "--project-dir '/' has no Pulumi.yaml"},
	}
	for _, c := range cases {
		t.Run("it exits 2 on "+c.name, func(t *testing.T) {
			s := newSandbox(t, "pulumi", "docker", "aws")
			r := s.run(t, "deploy", nil, c.args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2", r.code)
			}
			if !strings.Contains(r.stderr, c.wantErr) || !strings.Contains(r.stderr, "--help") {
				t.Errorf("stderr %q, want %q and a pointer to --help", r.stderr, c.wantErr)
			}
			if len(r.calls) != 0 {
				t.Errorf("bad arguments still ran %q", r.calls)
			}
		})
	}
}

func TestDeployDryRunPrintsTheCommandsInOrder(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		env      []string
		want     []string // stdout, with APP for the app directory
		wantRead []string // the read-only lookups that ran
	}{
		{
			name: "--tag v1 on dev builds amd64 with RAILS_ENV=production, logs in, pushes, sets the tag and ups",
			args: []string{"--stack", "dev", "--tag", "v1", "--app-dir", "APP", "--dry-run"},
			want: []string{
				"+ docker build --platform linux/amd64 --build-arg PLATFORM=linux/amd64 --build-arg RAILS_ENV=production --tag " + repoURL + ":v1 --file APP/Dockerfile APP",
				"+ aws ecr get-login-password --region ap-northeast-1 | docker login --username AWS --password-stdin " + registry,
				"+ docker push " + repoURL + ":v1",
				"+ pulumi config set imageTag v1 --stack dev",
				`+ pulumi up --stack dev --message deploy\ v1`,
			},
			wantRead: []string{"pulumi stack output ecrRepositoryUrl --stack dev", "pulumi config get cpuArchitecture --stack dev", "pulumi config get imageTag --stack dev",
				"pulumi stack output clusterName --stack dev", "pulumi stack output serviceName --stack dev"},
		},
		{
			name: "an ARM64 stack gets an arm64 image, and --yes reaches pulumi up",
			args: []string{"--tag", "v2", "--app-dir", "APP", "--dry-run", "--yes"},
			env:  []string{"FAKE_ARCH=ARM64"},
			want: []string{
				"+ docker build --platform linux/arm64 --build-arg PLATFORM=linux/arm64 --build-arg RAILS_ENV=production --tag " + repoURL + ":v2 --file APP/Dockerfile APP",
				"+ aws ecr get-login-password --region ap-northeast-1 | docker login --username AWS --password-stdin " + registry,
				"+ docker push " + repoURL + ":v2",
				"+ pulumi config set imageTag v2",
				`+ pulumi up --message deploy\ v2 --yes`,
			},
			wantRead: []string{"pulumi stack output ecrRepositoryUrl", "pulumi config get cpuArchitecture", "pulumi config get imageTag",
				"pulumi stack output clusterName", "pulumi stack output serviceName"},
		},
		{
			name: "the stack's first image adds no wait of its own: pulumi up creates the service and waits for its tasks",
			args: []string{"--stack", "dev", "--tag", "v1", "--app-dir", "APP", "--dry-run"},
			env:  []string{"FAKE_TAG="},
			want: []string{
				"+ docker build --platform linux/amd64 --build-arg PLATFORM=linux/amd64 --build-arg RAILS_ENV=production --tag " + repoURL + ":v1 --file APP/Dockerfile APP",
				"+ aws ecr get-login-password --region ap-northeast-1 | docker login --username AWS --password-stdin " + registry,
				"+ docker push " + repoURL + ":v1",
				"+ pulumi config set imageTag v1 --stack dev",
				`+ pulumi up --stack dev --message deploy\ v1`,
			},
			wantRead: []string{"pulumi stack output ecrRepositoryUrl --stack dev", "pulumi config get cpuArchitecture --stack dev", "pulumi config get imageTag --stack dev",
				"pulumi stack output clusterName --stack dev", "pulumi stack output serviceName --stack dev"},
		},
		{
			name: "--push-only stops after the push and leaves the stack alone",
			args: []string{"--tag", "v3", "--app-dir", "APP", "--dry-run", "--push-only"},
			want: []string{
				"+ docker build --platform linux/amd64 --build-arg PLATFORM=linux/amd64 --build-arg RAILS_ENV=production --tag " + repoURL + ":v3 --file APP/Dockerfile APP",
				"+ aws ecr get-login-password --region ap-northeast-1 | docker login --username AWS --password-stdin " + registry,
				"+ docker push " + repoURL + ":v3",
			},
			wantRead: []string{"pulumi stack output ecrRepositoryUrl", "pulumi config get cpuArchitecture", "pulumi config get imageTag"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Only pulumi exists: a dry run needs neither docker nor aws.
			s := newSandbox(t, "pulumi")
			args := slices.Clone(c.args)
			for i, a := range args {
				if a == "APP" {
					args[i] = s.app
				}
			}
			r := s.run(t, "deploy", c.env, args...)
			if r.code != 0 {
				t.Fatalf("exit %d; stderr %s", r.code, r.stderr)
			}
			got := lines(strings.ReplaceAll(r.stdout, s.app, "APP"))
			if !slices.Equal(got, c.want) {
				t.Errorf("dry run printed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if !slices.Equal(r.calls, c.wantRead) {
				t.Errorf("pulumi calls %q, want only the lookups %q", r.calls, c.wantRead)
			}
		})
	}
}

func TestDeployRunsTheCommandsForReal(t *testing.T) {
	s := newSandbox(t, "pulumi", "docker", "aws")
	// The first image: the full loop, including the check that the service runs the new image.
	r := s.run(t, "deploy", []string{"FAKE_TAG=", "FAKE_RUNNING_IMAGE=" + repoURL + ":v1"}, "--stack", "dev", "--tag", "v1", "--yes")
	if r.code != 0 {
		t.Fatalf("exit %d; stderr %s", r.code, r.stderr)
	}
	want := []string{
		"pulumi stack output ecrRepositoryUrl --stack dev",
		"pulumi config get cpuArchitecture --stack dev",
		"pulumi config get imageTag --stack dev",
		"docker build --platform linux/amd64 --build-arg PLATFORM=linux/amd64 --build-arg RAILS_ENV=production --tag " + repoURL + ":v1 --file " + s.app + "/Dockerfile " + s.app,
		"aws ecr get-login-password --region ap-northeast-1",
		"docker login --username AWS --password-stdin " + registry + " stdin=fake-ecr-password",
		"docker push " + repoURL + ":v1",
		"pulumi config set imageTag v1 --stack dev",
		"pulumi up --stack dev --message deploy v1 --yes",
		"pulumi stack output clusterName --stack dev",
		"pulumi stack output serviceName --stack dev",
		"aws ecs describe-services --region ap-northeast-1 --cluster rails-infra-dev-cluster --services app-svc --query services[0].deployments[?status=='PRIMARY'].taskDefinition | [0] --output text",
		"aws ecs describe-task-definition --region ap-northeast-1 --task-definition arn:aws:ecs:ap-northeast-1:123456789012:task-definition/app-web:7 --query taskDefinition.containerDefinitions[?name=='web'].image | [0] --output text",
	}
	if !slices.Equal(r.calls, want) {
		t.Errorf("calls\n%s\nwant\n%s", strings.Join(r.calls, "\n"), strings.Join(want, "\n"))
	}
	t.Run("the ECR password travels on stdin only", func(t *testing.T) {
		for _, call := range r.calls {
			if args := strings.TrimSuffix(call, " stdin=fake-ecr-password"); strings.Contains(args, "fake-ecr-password") {
				t.Errorf("the password is an argument: %q", call)
			}
		}
		if strings.Contains(r.stderr+r.stdout, "fake-ecr-password") {
			t.Error("the password was printed")
		}
	})
	t.Run("a version ECS rolled back fails the deploy, although pulumi up succeeded", func(t *testing.T) {
		s := newSandbox(t, "pulumi", "docker", "aws")
		r := s.run(t, "deploy", []string{"FAKE_RUNNING_IMAGE=" + repoURL + ":v0"}, "--stack", "dev", "--tag", "v1", "--yes")
		if r.code != 1 || !strings.Contains(r.stderr, "ECS rolled the service back: it runs "+repoURL+":v0, not "+repoURL+":v1") {
			t.Errorf("exit %d stderr %q, want 1 and the rollback named", r.code, r.stderr)
		}
		if !slices.Contains(r.calls, "pulumi up --stack dev --message deploy v1 --yes") {
			t.Errorf("calls %q: the check must come after pulumi up", r.calls)
		}
	})
}

func TestDeployStopsEarly(t *testing.T) {
	cases := []struct {
		name     string
		fakes    []string
		env      []string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"without docker it says so and exits 127", []string{"pulumi", "aws"}, nil, []string{"--tag", "v1"}, 127, "'docker' is required"},
		{"without aws it says so and exits 127", []string{"pulumi", "docker"}, nil, []string{"--tag", "v1"}, 127, "'aws' is required"},
		{"without pulumi it says so and exits 127, even in a dry run", []string{"docker", "aws"}, nil, []string{"--tag", "v1", "--dry-run"}, 127, "'pulumi' is required"},
		{"a stack that was never deployed has no repository to push to", []string{"pulumi", "docker", "aws"}, []string{"FAKE_REPO="}, []string{"--tag", "v1"}, 1, "run 'pulumi up' once"},
		{"a platform that does not match the stack's cpuArchitecture is refused", []string{"pulumi", "docker", "aws"}, []string{"FAKE_ARCH=X86_64"},
			[]string{"--tag", "v1", "--platform", "linux/arm64"}, 2, "exec format error"},
		{"the tag the stack already runs is refused, since pulumi up would change nothing", []string{"pulumi", "docker", "aws"}, []string{"FAKE_TAG=v1"},
			[]string{"--tag", "v1"}, 1, "imageTag is already 'v1'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSandbox(t, c.fakes...)
			r := s.run(t, "deploy", c.env, c.args...)
			if r.code != c.wantCode || !strings.Contains(r.stderr, c.wantErr) {
				t.Errorf("exit %d stderr %q, want %d and %q", r.code, r.stderr, c.wantCode, c.wantErr)
			}
			for _, call := range r.calls {
				if strings.HasPrefix(call, "docker") || strings.Contains(call, "config set") || strings.Contains(call, "pulumi up") {
					t.Errorf("it went on to %q", call)
				}
			}
		})
	}
}

func TestDeployTagsWithTheGitCommit(t *testing.T) {
	s := newSandbox(t, "pulumi")
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", s.app}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("add", "Dockerfile")
	git("commit", "-qm", "app")
	sha := git("rev-parse", "--short=12", "HEAD")

	t.Run("with no tag given it deploys the 12-digit commit", func(t *testing.T) {
		r := s.run(t, "deploy", nil, "--dry-run")
		if r.code != 0 || !strings.Contains(r.stdout, "+ pulumi config set imageTag "+sha+"\n") || len(sha) != 12 {
			t.Errorf("exit %d stdout %q stderr %q, want imageTag %s", r.code, r.stdout, r.stderr, sha)
		}
	})
	t.Run("uncommitted changes are refused, since the tag would not describe the image", func(t *testing.T) {
		write(t, filepath.Join(s.app, "Dockerfile"), "FROM scratch\nUSER 1000\n")
		r := s.run(t, "deploy", nil, "--git-sha", "--dry-run")
		if r.code != 1 || !strings.Contains(r.stderr, "uncommitted changes") {
			t.Errorf("exit %d stderr %q, want 1 and 'uncommitted changes'", r.code, r.stderr)
		}
	})
}

const history = `[
  {"version": 9, "kind": "update", "result": "succeeded", "config": {"rails-infra:imageTag": {"value": "v3", "secret": false}}},
  {"version": 8, "kind": "update", "result": "failed",    "config": {"rails-infra:imageTag": {"value": "v2-broken", "secret": false}}},
  {"version": 7, "kind": "refresh", "result": "succeeded", "config": {"rails-infra:imageTag": {"value": "v0", "secret": false}}},
  {"version": 6, "kind": "update", "result": "succeeded", "config": {"rails-infra:imageTag": {"value": "v3", "secret": false}}},
  {"version": 5, "kind": "update", "result": "succeeded", "config": {"rails-infra:imageTag": {"value": "v2", "secret": false}}},
  {"version": 4, "kind": "update", "result": "succeeded", "config": {"rails-infra:imageTag": {"value": "v1", "secret": false}}},
  {"version": 1, "kind": "update", "result": "succeeded", "config": {}}
]`

func TestRollback(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		history  string
		wantCode int
		wantOut  []string
		wantErr  string
	}{
		{"with no tag it returns to the last successful deploy of another tag", []string{"--stack", "dev", "--dry-run"}, history, 0,
			[]string{"+ pulumi config set imageTag v2 --stack dev", `+ pulumi up --stack dev --message rollback\ to\ v2`}, ""},
		{"--to picks the tag, and --yes reaches pulumi up", []string{"--to", "v1", "--dry-run", "--yes"}, history, 0,
			[]string{"+ pulumi config set imageTag v1", `+ pulumi up --message rollback\ to\ v1 --yes`}, ""},
		{"a history without an earlier tag is an error naming --to", []string{"--dry-run"}, `[{"kind":"update","result":"succeeded","config":{"rails-infra:imageTag":{"value":"v3"}}}]`, 1,
			nil, "pass --to TAG"},
		{"rolling back to the current tag is refused", []string{"--to", "v3", "--dry-run"}, history, 1, nil, "imageTag is already 'v3'"},
		{"an unknown option exits 2", []string{"--previous"}, history, 2, nil, "unknown option: --previous"},
		{"a positional tag exits 2 with a hint", []string{"v1"}, history, 2, nil, "did you mean --to v1?"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSandbox(t, "pulumi")
			hist := filepath.Join(t.TempDir(), "history.json")
			write(t, hist, c.history)
			r := s.run(t, "rollback", []string{"FAKE_TAG=v3", "FAKE_HISTORY=" + hist}, c.args...)
			if r.code != c.wantCode {
				t.Fatalf("exit %d, want %d; stderr %s", r.code, c.wantCode, r.stderr)
			}
			if c.wantOut != nil && !slices.Equal(lines(r.stdout), c.wantOut) {
				t.Errorf("printed\n%s\nwant\n%s", r.stdout, strings.Join(c.wantOut, "\n"))
			}
			if !strings.Contains(r.stderr, c.wantErr) {
				t.Errorf("stderr %q, want %q", r.stderr, c.wantErr)
			}
			for _, call := range r.calls {
				if strings.Contains(call, "config set") || strings.Contains(call, "pulumi up") {
					t.Errorf("a dry run or a refusal ran %q", call)
				}
			}
		})
	}
}

func TestRollbackChecksWhatTheServiceRuns(t *testing.T) {
	cases := []struct {
		name, running string
		wantCode      int
		wantErr       string
	}{
		{"the old image running is a rollback", repoURL + ":v2", 0, "the service runs " + repoURL + ":v2"},
		{"ECS keeping the current image fails it, although pulumi up succeeded", repoURL + ":v3", 1, "ECS rolled the service back: it runs " + repoURL + ":v3, not " + repoURL + ":v2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSandbox(t, "pulumi", "aws")
			hist := filepath.Join(t.TempDir(), "history.json")
			write(t, hist, history)
			r := s.run(t, "rollback", []string{"FAKE_TAG=v3", "FAKE_HISTORY=" + hist, "FAKE_RUNNING_IMAGE=" + c.running}, "--stack", "dev", "--yes")
			if r.code != c.wantCode || !strings.Contains(r.stderr, c.wantErr) {
				t.Errorf("exit %d stderr %q, want %d and %q", r.code, r.stderr, c.wantCode, c.wantErr)
			}
			up := slices.Index(r.calls, "pulumi up --stack dev --message rollback to v2 --yes")
			check := slices.IndexFunc(r.calls, func(c string) bool {
				return strings.HasPrefix(c, "aws ecs describe-task-definition --region ap-northeast-1 ")
			})
			if up < 0 || check < up {
				t.Errorf("calls %q: want pulumi up, then the check of the running image", r.calls)
			}
		})
	}
}

func TestScriptsRunPulumiInTheProjectWhereverTheyAreCalledFrom(t *testing.T) {
	project, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		script string
		args   []string
	}{
		{"deploy", []string{"--tag", "v1", "--dry-run"}},
		{"rollback", []string{"--to", "v1", "--dry-run"}},
	} {
		t.Run(c.script, func(t *testing.T) {
			s := newSandbox(t, "pulumi")
			pwdLog := filepath.Join(t.TempDir(), "pwd.log")
			r := s.run(t, c.script, []string{"FAKE_PWD_LOG=" + pwdLog, "FAKE_TAG=v3"}, c.args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			b, _ := os.ReadFile(pwdLog)
			for _, dir := range lines(string(b)) {
				if dir != project {
					t.Errorf("pulumi ran in %s, want the project %s (called from %s)", dir, project, s.app)
				}
			}
			if len(b) == 0 {
				t.Error("pulumi never ran")
			}
		})
	}
}

func TestScriptsCheckTheContainerTheInfraNames(t *testing.T) {
	want := "containerDefinitions[?name=='" + infra.ContainerName + "']"
	for _, script := range []string{"deploy", "rollback"} {
		b, err := os.ReadFile(script)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("%s does not read the image of the %q container (%s); the rollback check would compare nothing", script, infra.ContainerName, want)
		}
	}
}
