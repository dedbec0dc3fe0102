package enginetest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/internal/mockengine"
)

// CLIVersion is the Pulumi CLI the harness builds; go.mod pins it (tool directive).
const CLIVersion = "v3.274.1"

const cliPackage = "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"

var (
	cliOnce sync.Once
	cliRoot string
	cliErr  error
	// CLIBuildTime is how long building the CLI took in this process (0 when cached).
	CLIBuildTime time.Duration
)

// CLI returns the root of a Pulumi CLI installation (<root>/bin/pulumi) built from the module's
// pinned pkg/v3, under the user cache directory. The first call on a machine builds it (minutes,
// about 3 GB of memory); later calls reuse it.
func CLI() (string, error) {
	cliOnce.Do(func() { cliRoot, cliErr = buildCLI() })
	return cliRoot, cliErr
}

func buildCLI() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	root := filepath.Join(cache, "rails-infra", "pulumi-"+CLIVersion)
	bin := filepath.Join(root, "bin", "pulumi")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	// One build at a time across test binaries (go test ./... runs packages in parallel): a
	// second waits, then finds the first one's binary.
	lock, err := os.OpenFile(filepath.Join(root, "build.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close() //nolint:errcheck // closing releases the lock
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	// A cached binary is reused when it reports the pinned version.
	if out, err := exec.Command(bin, "version").Output(); err == nil && strings.TrimSpace(string(out)) == CLIVersion {
		return root, nil
	}
	modRoot, err := moduleRoot()
	if err != nil {
		return "", err
	}
	start := time.Now()
	// Build next to the target and rename, so a concurrent or interrupted build never leaves a
	// half-written binary behind.
	tmp := fmt.Sprintf("%s.%d.tmp", bin, os.Getpid())
	// The version is stamped as the release build does; the Automation API checks it.
	cmd := exec.Command("go", "build", "-o", tmp, "-ldflags", "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version="+CLIVersion, cliPackage)
	cmd.Dir = modRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the Pulumi CLI (%s): %w\n%s", cliPackage, err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", err
	}
	CLIBuildTime = time.Since(start)
	return root, nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}

// Passphrase is the stacks' secrets passphrase in the harness.
const Passphrase = "rails-infra-engine-test-passphrase"

// Stack is one stack of the project in a temp dir: the committed project and stack files, a
// local file backend, a passphrase secrets provider and the fake providers attached.
type Stack struct {
	*auto.Stack
	Name string
	Dir  string // the project directory (copies of Pulumi.yaml and Pulumi.<stack>.yaml)
	Fake *Fake
	Env  map[string]string
	cmd  auto.PulumiCommand
}

// NewStack copies Pulumi.yaml and Pulumi.<name>.yaml from projectDir to a temp dir (tmp), starts
// the fake providers (setup adjusts their answers, e.g. hosted zones) and creates the stack with
// program as its inline program.
func NewStack(ctx context.Context, tmp, projectDir, name string, program pulumi.RunFunc, setup func(*mockengine.Recorder)) (*Stack, error) {
	return NewStackFromFile(ctx, tmp, projectDir, name, filepath.Join(projectDir, "Pulumi."+name+".yaml"), program, setup)
}

// NewStackFromFile is NewStack with the stack's config from stackFile (a test-only stack such as
// testdata/Pulumi.example.yaml), copied in as Pulumi.<name>.yaml.
func NewStackFromFile(ctx context.Context, tmp, projectDir, name, stackFile string, program pulumi.RunFunc, setup func(*mockengine.Recorder)) (*Stack, error) {
	root, err := CLI()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(tmp, "project")
	for _, d := range []string{dir, filepath.Join(tmp, "state"), filepath.Join(tmp, "home")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	for from, to := range map[string]string{filepath.Join(projectDir, "Pulumi.yaml"): "Pulumi.yaml", stackFile: "Pulumi." + name + ".yaml"} {
		b, err := os.ReadFile(from)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, to), b, 0o644); err != nil {
			return nil, err
		}
	}
	fake, err := Start("rails-infra", name, "ap-northeast-1")
	if err != nil {
		return nil, err
	}
	if setup != nil {
		setup(fake.Answers)
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: root, SkipVersionCheck: true})
	if err != nil {
		fake.Stop()
		return nil, err
	}
	env := map[string]string{
		"PULUMI_BACKEND_URL":                          "file://" + filepath.Join(tmp, "state"),
		"PULUMI_HOME":                                 filepath.Join(tmp, "home"),
		"PULUMI_CONFIG_PASSPHRASE":                    Passphrase,
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		"PULUMI_DEBUG_PROVIDERS":                      fake.DebugProviders(),
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK":    "true",
		"PULUMI_SKIP_CONFIRMATIONS":                   "true",
	}
	s, err := auto.UpsertStackInlineSource(ctx, name, "rails-infra", program,
		auto.WorkDir(dir), auto.Pulumi(cmd), auto.EnvVars(env), auto.SecretsProvider("passphrase"))
	if err != nil {
		fake.Stop()
		return nil, err
	}
	return &Stack{Stack: &s, Name: name, Dir: dir, Fake: fake, Env: env, cmd: cmd}, nil
}

// CLI runs the Pulumi CLI in the stack's project directory with the stack's environment, as a
// user would type `pulumi ARGS... --stack NAME`, and returns stdout, stderr and the error.
func (s *Stack) CLI(ctx context.Context, args ...string) (string, string, error) {
	var env []string
	for k, v := range s.Env {
		env = append(env, k+"="+v)
	}
	args = append(args, "--stack", s.Name)
	stdout, stderr, _, err := s.cmd.Run(ctx, s.Dir, nil, nil, nil, env, args...)
	return stdout, stderr, err
}

// Close stops the fake providers.
func (s *Stack) Close() { s.Fake.Stop() }

// PrebuildForTests builds (or finds) the CLI from a package's TestMain, before m.Run: the first
// build takes minutes on a fresh machine, and inside a test it would count against go test's
// default 10-minute timeout. It does nothing with -short, or when -run selects no test whose
// name contains one of names.
func PrebuildForTests(names ...string) error {
	if testing.Short() {
		return nil
	}
	if f := flag.Lookup("test.run"); f != nil && f.Value.String() != "" {
		run, wanted := f.Value.String(), false
		for _, n := range names {
			wanted = wanted || strings.Contains(n, run) || strings.Contains(run, n)
		}
		if !wanted {
			return nil
		}
	}
	_, err := CLI()
	return err
}
