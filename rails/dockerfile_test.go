package rails

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/rails-infra/rails-infra/infra"
)

// appPort is rails-infra's containerPort default; the image must listen there out of the box.
var appPort = strconv.Itoa(infra.DefaultContainerPort)

// instr is one parsed Dockerfile instruction.
type instr struct {
	cmd   string   // lower case: "from", "run", ...
	args  []string // words as the parser split them (ENV/ARG: see below)
	flags []string // "--platform=...", "--from=build"
	json  bool     // exec (JSON) form
	node  *parser.Node
}

// stage is one FROM block.
type stage struct {
	name, base, platform string // platform is the raw --platform flag value, "" when absent
	instrs               []instr
}

type dockerfile struct {
	globalArgs map[string]string // ARGs before the first FROM, with their defaults
	stages     []stage
}

func loadDockerfile(t *testing.T) dockerfile {
	t.Helper()
	src, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		t.Fatalf("Dockerfile does not parse: %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("parser warning: %s", w.Short)
	}
	df := dockerfile{globalArgs: map[string]string{}}
	for _, n := range res.AST.Children {
		in := instr{cmd: strings.ToLower(n.Value), flags: n.Flags, json: n.Attributes["json"], node: n}
		for a := n.Next; a != nil; a = a.Next {
			in.args = append(in.args, a.Value)
		}
		switch {
		case in.cmd == "from":
			st := stage{base: in.args[0]}
			if len(in.args) == 3 && strings.EqualFold(in.args[1], "as") {
				st.name = in.args[2]
			}
			for _, fl := range in.flags {
				if v, ok := strings.CutPrefix(fl, "--platform="); ok {
					st.platform = v
				}
			}
			df.stages = append(df.stages, st)
		case len(df.stages) == 0 && in.cmd == "arg":
			for _, a := range in.args {
				k, v, _ := strings.Cut(a, "=")
				df.globalArgs[k] = unquote(t, v)
			}
		case len(df.stages) == 0:
			t.Fatalf("instruction %q before the first FROM", n.Original)
		default:
			last := &df.stages[len(df.stages)-1]
			last.instrs = append(last.instrs, in)
		}
	}
	return df
}

// unquote removes shell quoting from a word the way BuildKit does, without expanding variables.
func unquote(t *testing.T, word string) string {
	t.Helper()
	out, _, err := shell.NewLex('\\').ProcessWord(word, shell.EnvsFromSlice(nil))
	if err != nil {
		t.Fatalf("word %q: %v", word, err)
	}
	return out
}

// expand substitutes build args into a word as BuildKit would.
func expand(t *testing.T, word string, env map[string]string) string {
	t.Helper()
	var kv []string
	for k, v := range env {
		kv = append(kv, k+"="+v)
	}
	out, _, err := shell.NewLex('\\').ProcessWord(word, shell.EnvsFromSlice(kv))
	if err != nil {
		t.Fatalf("expand %q: %v", word, err)
	}
	return out
}

func (df dockerfile) stage(t *testing.T, name string) stage {
	t.Helper()
	for _, s := range df.stages {
		if s.name == name {
			return s
		}
	}
	t.Fatalf("no stage named %q", name)
	return stage{}
}

// chain returns a stage and the stages it is built FROM, the root first.
func (df dockerfile) chain(t *testing.T, name string) []stage {
	t.Helper()
	s := df.stage(t, name)
	for _, other := range df.stages {
		if other.name == s.base {
			return append(df.chain(t, s.base), s)
		}
	}
	return []stage{s}
}

// vars returns the ARG defaults and ENV values a stage chain declares, ENV keys and ARG keys apart.
func vars(t *testing.T, chain []stage) (args, envs map[string]string) {
	t.Helper()
	args, envs = map[string]string{}, map[string]string{}
	for _, s := range chain {
		for _, in := range s.instrs {
			switch in.cmd {
			case "arg":
				for _, a := range in.args {
					k, v, _ := strings.Cut(a, "=")
					args[k] = unquote(t, v)
				}
			case "env":
				// The parser gives ENV as key, value, separator triples.
				for i := 0; i+1 < len(in.args); i += 3 {
					envs[in.args[i]] = in.args[i+1]
				}
			}
		}
	}
	return args, envs
}

func last(s stage, cmd string) (instr, bool) {
	for i := len(s.instrs) - 1; i >= 0; i-- {
		if s.instrs[i].cmd == cmd {
			return s.instrs[i], true
		}
	}
	return instr{}, false
}

func TestDockerfileParsesIntoBaseBuildAndFinalStages(t *testing.T) {
	df := loadDockerfile(t)
	var names []string
	for _, s := range df.stages {
		names = append(names, s.name)
	}
	if want := []string{"base", "build", "final"}; !slices.Equal(names, want) {
		t.Fatalf("stages = %v, want %v (the final stage must be last: it is the image)", names, want)
	}
	cases := []struct {
		name, stage, wantBase string
	}{
		{"the build stage starts from base", "build", "base"},
		{"the final stage starts from base, not from build", "final", "base"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := df.stage(t, c.stage).base; got != c.wantBase {
				t.Errorf("stage %s FROM %q, want %q", c.stage, got, c.wantBase)
			}
		})
	}
	t.Run("the final stage copies the gems and the app from build", func(t *testing.T) {
		_, envs := vars(t, df.chain(t, "final"))
		var from []string
		for _, in := range df.stage(t, "final").instrs {
			if in.cmd == "copy" && slices.Contains(in.flags, "--from=build") {
				from = append(from, expand(t, in.args[0], envs))
			}
		}
		if want := []string{"/usr/local/bundle", "/rails"}; !slices.Equal(from, want) {
			t.Errorf("COPY --from=build sources = %v, want %v", from, want)
		}
	})
	t.Run("compilers are installed only in the build stage", func(t *testing.T) {
		for _, s := range df.chain(t, "final") {
			args, _ := vars(t, []stage{s})
			for k, v := range args {
				if strings.Contains(v, "build-essential") {
					t.Errorf("stage %s ARG %s installs build-essential; it belongs in build only", s.name, k)
				}
			}
		}
		args, _ := vars(t, []stage{df.stage(t, "build")})
		if !strings.Contains(args["BUILD_PACKAGES"], "build-essential") {
			t.Errorf("build stage BUILD_PACKAGES = %q, want build-essential in it", args["BUILD_PACKAGES"])
		}
	})
}

func TestDockerfilePlatformIsAmd64UnlessOverridden(t *testing.T) {
	df := loadDockerfile(t)
	base := df.stage(t, "base")
	if base.platform == "" {
		t.Fatal("stage base has no --platform flag; an Apple-silicon build would produce arm64 (exec format error on Fargate X86_64)")
	}
	cases := []struct {
		name      string
		buildArgs map[string]string
		want      string
	}{
		{"a plain build is linux/amd64", nil, "linux/amd64"},
		{"--build-arg PLATFORM=linux/arm64 gives an ARM64 image", map[string]string{"PLATFORM": "linux/arm64"}, "linux/arm64"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range df.globalArgs {
				env[k] = v
			}
			for k, v := range c.buildArgs {
				env[k] = v
			}
			if got := expand(t, base.platform, env); got != c.want {
				t.Errorf("FROM --platform=%s expands to %q, want %q", base.platform, got, c.want)
			}
		})
	}
	t.Run("every other stage inherits the platform from base", func(t *testing.T) {
		for _, s := range df.stages[1:] {
			if s.platform != "" || df.chain(t, s.name)[0].name != "base" {
				t.Errorf("stage %s: FROM %s --platform=%q; want it built on base with no platform of its own", s.name, s.base, s.platform)
			}
		}
	})
	t.Run("the base image is the official ruby slim image of RUBY_VERSION", func(t *testing.T) {
		got := expand(t, base.base, df.globalArgs)
		want := "docker.io/library/ruby:" + df.globalArgs["RUBY_VERSION"] + "-slim"
		if df.globalArgs["RUBY_VERSION"] == "" || got != want {
			t.Errorf("FROM %s = %q, want %q with a RUBY_VERSION default", base.base, got, want)
		}
	})
}

func TestDockerfileRailsEnvBuildArg(t *testing.T) {
	df := loadDockerfile(t)
	args, envs := vars(t, df.chain(t, "build"))
	t.Run("RAILS_ENV is a build arg defaulting to production", func(t *testing.T) {
		if got, ok := args["RAILS_ENV"]; !ok || got != "production" {
			t.Errorf("ARG RAILS_ENV default = %q (declared %v), want production", got, ok)
		}
	})
	t.Run("the build arg reaches RUN steps and the image as ENV RAILS_ENV", func(t *testing.T) {
		for _, arg := range []string{"production", "development"} {
			if got := expand(t, envs["RAILS_ENV"], map[string]string{"RAILS_ENV": arg}); got != arg {
				t.Errorf("ENV RAILS_ENV=%s with --build-arg RAILS_ENV=%s gives %q", envs["RAILS_ENV"], arg, got)
			}
		}
	})
}

// precompileRun returns the RUN instruction that compiles assets.
func precompileRun(t *testing.T, df dockerfile) instr {
	t.Helper()
	var found []instr
	for _, s := range df.stages {
		for _, in := range s.instrs {
			if in.cmd == "run" && strings.Contains(strings.Join(in.args, " "), "assets:precompile") {
				if s.name != "build" {
					t.Errorf("assets:precompile runs in stage %s, want build", s.name)
				}
				found = append(found, in)
			}
		}
	}
	if len(found) != 1 || found[0].json {
		t.Fatalf("want exactly one shell-form RUN with assets:precompile, got %d", len(found))
	}
	return found[0]
}

// TestDockerfilePrecompilesOnlyInProductionWithADummySecret runs the RUN line's shell command, as
// the builder would, against a fake bin/rails that records its arguments and the secret it saw.
func TestDockerfilePrecompilesOnlyInProductionWithADummySecret(t *testing.T) {
	df := loadDockerfile(t)
	run := precompileRun(t, df)
	script := strings.Join(run.args, " ")
	cases := []struct {
		name, railsEnv string
		wantCalled     bool
	}{
		{"production compiles assets", "production", true},
		{"development skips assets", "development", false},
		{"test skips assets", "test", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "bin", "rails"), 0o755, `#!/bin/sh
# Like Rails 7.1 with SECRET_KEY_BASE_DUMMY, leave a throwaway key in tmp/.
mkdir -p tmp && echo throwaway > tmp/local_secret.txt
printf '%s|dummy=%s|key=%s\n' "$*" "${SECRET_KEY_BASE_DUMMY:-}" "${SECRET_KEY_BASE:-}" >> calls.log
`)
			cmd := exec.Command("/bin/sh", "-c", script)
			cmd.Dir = dir
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "RAILS_ENV=" + c.railsEnv}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("RUN %s\nfailed: %v\n%s", script, err, out)
			}
			log, _ := os.ReadFile(filepath.Join(dir, "calls.log"))
			calls := strings.Split(strings.TrimSpace(string(log)), "\n")
			if !c.wantCalled {
				if len(log) != 0 {
					t.Errorf("RAILS_ENV=%s: bin/rails was called: %q", c.railsEnv, calls)
				}
				return
			}
			if len(calls) != 1 {
				t.Fatalf("RAILS_ENV=%s: bin/rails calls = %q, want one", c.railsEnv, calls)
			}
			parts := strings.Split(calls[0], "|")
			if parts[0] != "assets:precompile" {
				t.Errorf("bin/rails %q, want assets:precompile", parts[0])
			}
			if parts[1] != "dummy=1" {
				t.Errorf("SECRET_KEY_BASE_DUMMY %q, want dummy=1 (Rails 7.1+)", parts[1])
			}
			if parts[2] == "key=" {
				t.Error("no SECRET_KEY_BASE for Rails 7.0, which ignores SECRET_KEY_BASE_DUMMY")
			}
			if _, err := os.Stat(filepath.Join(dir, "tmp", "local_secret.txt")); err == nil {
				t.Error("tmp/local_secret.txt survives the RUN, so it would be copied into the image")
			}
		})
	}
}

// secretLike reports whether a variable name would put a credential into the image.
func secretLike(name string) bool {
	n := strings.ToUpper(name)
	if strings.HasPrefix(n, "AWS_") || n == "DATABASE_URL" || n == "RAILS_MASTER_KEY" {
		return true
	}
	for _, s := range []string{"SECRET", "PASSWORD", "TOKEN", "ACCESS_KEY", "PRIVATE_KEY"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

func TestDockerfileKeepsSecretsOutOfTheImage(t *testing.T) {
	df := loadDockerfile(t)
	t.Run("the secret-name check catches what it must", func(t *testing.T) {
		for _, n := range []string{"SECRET_KEY_BASE", "SECRET_KEY_BASE_DUMMY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "DATABASE_PASSWORD", "RAILS_MASTER_KEY"} {
			if !secretLike(n) {
				t.Errorf("secretLike(%q) = false", n)
			}
		}
		for _, n := range []string{"RAILS_ENV", "PORT", "BUNDLE_PATH"} {
			if secretLike(n) {
				t.Errorf("secretLike(%q) = true", n)
			}
		}
	})
	t.Run("no ENV or ARG of the image names a secret or an AWS key", func(t *testing.T) {
		args, envs := vars(t, df.chain(t, "final"))
		for k := range df.globalArgs {
			args[k] = df.globalArgs[k]
		}
		for k := range envs {
			if secretLike(k) {
				t.Errorf("ENV %s is baked into the image", k)
			}
		}
		for k := range args {
			if secretLike(k) {
				t.Errorf("ARG %s: build args are recorded in the image history", k)
			}
		}
	})
	t.Run("no stage sets a secret as ENV, not even build", func(t *testing.T) {
		for _, s := range df.stages {
			_, envs := vars(t, []stage{s})
			for k := range envs {
				if secretLike(k) {
					t.Errorf("stage %s: ENV %s", s.name, k)
				}
			}
		}
	})
	t.Run("the build context excludes the master key and .env files", func(t *testing.T) {
		b, err := os.ReadFile(".dockerignore")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		for _, want := range []string{"/config/master.key", "/config/credentials/*.key", "/.env*", "/.git/"} {
			if !slices.Contains(lines, want) {
				t.Errorf(".dockerignore lacks %q", want)
			}
		}
	})
}

func TestDockerfileFinalStageRunsAsNonRoot(t *testing.T) {
	df := loadDockerfile(t)
	final := df.stage(t, "final")
	user, ok := last(final, "user")
	if !ok {
		t.Fatal("the final stage has no USER: the server would run as root")
	}
	uidText, _, _ := strings.Cut(user.args[0], ":")
	uid, err := strconv.Atoi(uidText)
	t.Run("USER is a numeric uid other than 0", func(t *testing.T) {
		// Numeric, so ECS and Kubernetes can tell it is not root without reading /etc/passwd.
		if err != nil || uid == 0 {
			t.Errorf("USER %s, want a numeric non-zero uid", user.args[0])
		}
	})
	t.Run("USER comes after every RUN and COPY of the final stage", func(t *testing.T) {
		seenUser := false
		for _, in := range final.instrs {
			if in.cmd == "user" {
				seenUser = true
			} else if seenUser && (in.cmd == "run" || in.cmd == "copy") {
				t.Errorf("%s after USER", in.node.Original)
			}
		}
	})
	t.Run("the user is created with that uid", func(t *testing.T) {
		found := false
		for _, in := range final.instrs {
			if in.cmd == "run" && strings.Contains(strings.Join(in.args, " "), "useradd") &&
				strings.Contains(strings.Join(in.args, " "), "--uid "+uidText) {
				found = true
			}
		}
		if !found {
			t.Errorf("no useradd --uid %s in the final stage", uidText)
		}
	})
	t.Run("the writable paths are volumes so a read-only root filesystem still works", func(t *testing.T) {
		vol, ok := last(final, "volume")
		if !ok {
			t.Fatal("no VOLUME in the final stage")
		}
		// The app-owned writable mounts of infra/service_taskdef.go (writableMounts, under the task
		// definition's app root); the other two are the root-run ECS Exec agent's.
		root := infra.DefaultAppRoot
		for _, want := range []string{root + "/tmp", root + "/log", "/tmp"} {
			if !slices.Contains(vol.args, want) {
				t.Errorf("VOLUME %v lacks %s", vol.args, want)
			}
		}
	})
}

func TestDockerfileEntrypointAndCommand(t *testing.T) {
	df := loadDockerfile(t)
	final := df.stage(t, "final")
	workdir, ok := last(df.stage(t, "base"), "workdir")
	if !ok {
		t.Fatal("base has no WORKDIR")
	}
	t.Run("WORKDIR is the app root the task definition mounts tmp and log under", func(t *testing.T) {
		if workdir.args[0] != infra.DefaultAppRoot {
			t.Errorf("WORKDIR %s, want %s: with a read-only root the app could not write tmp/ or log/", workdir.args[0], infra.DefaultAppRoot)
		}
	})
	ep, ok := last(final, "entrypoint")
	if !ok {
		t.Fatal("the final stage has no ENTRYPOINT")
	}
	t.Run("ENTRYPOINT is bin/docker-entrypoint in exec form", func(t *testing.T) {
		want := []string{workdir.args[0] + "/bin/docker-entrypoint"}
		if !ep.json || !slices.Equal(ep.args, want) {
			t.Errorf("ENTRYPOINT %v (exec form %v), want %v in exec form so signals reach the server", ep.args, ep.json, want)
		}
	})
	t.Run("the entrypoint script ships beside the Dockerfile and is executable", func(t *testing.T) {
		fi, err := os.Stat(filepath.Join("bin", "docker-entrypoint"))
		if err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("bin/docker-entrypoint: %v, mode %v; want an executable file", err, fi)
		}
	})
	cmd, ok := last(final, "cmd")
	if !ok {
		t.Fatal("the final stage has no CMD")
	}
	t.Run("CMD starts rails server on all interfaces without a fixed port", func(t *testing.T) {
		if !cmd.json || len(cmd.args) < 2 || cmd.args[0] != "./bin/rails" || cmd.args[1] != "server" {
			t.Fatalf("CMD %v, want exec form ./bin/rails server ...", cmd.args)
		}
		if i := slices.Index(cmd.args, "-b"); i < 0 || i+1 >= len(cmd.args) || cmd.args[i+1] != "0.0.0.0" {
			t.Errorf("CMD %v does not bind 0.0.0.0; the ALB could not reach it", cmd.args)
		}
		for _, a := range cmd.args {
			if a == "-p" || strings.HasPrefix(a, "--port") {
				t.Errorf("CMD %v fixes the port; rails server must take it from PORT", cmd.args)
			}
		}
	})
}

func TestDockerfilePortMatchesTheInfra(t *testing.T) {
	df := loadDockerfile(t)
	final := df.stage(t, "final")
	_, envs := vars(t, df.chain(t, "final"))
	expose, ok := last(final, "expose")
	if !ok {
		t.Fatal("the final stage has no EXPOSE")
	}
	t.Run("EXPOSE is the infra's containerPort default", func(t *testing.T) {
		if !slices.Equal(expose.args, []string{appPort}) && !slices.Equal(expose.args, []string{appPort + "/tcp"}) {
			t.Errorf("EXPOSE %v, want %s", expose.args, appPort)
		}
	})
	t.Run("ENV PORT equals the exposed port", func(t *testing.T) {
		if got := envs["PORT"]; got != appPort {
			t.Errorf("ENV PORT=%q, want %s like EXPOSE", got, appPort)
		}
	})
	t.Run("logs and static files are on by default", func(t *testing.T) {
		for _, k := range []string{"RAILS_LOG_TO_STDOUT", "RAILS_SERVE_STATIC_FILES"} {
			if envs[k] != "true" {
				t.Errorf("ENV %s=%q, want true", k, envs[k])
			}
		}
	})
}

func writeFile(t *testing.T, path string, mode os.FileMode, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}
