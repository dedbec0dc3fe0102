package infra

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CPUArchitecture is the Fargate runtime platform's CPU architecture.
type CPUArchitecture string

const (
	// ArchX86 runs images built for linux/amd64 (the article's lesson: an M1-built arm64
	// image fails on X86_64 with "exec format error").
	ArchX86 CPUArchitecture = "X86_64"
	// ArchARM64 runs linux/arm64 images on Graviton (cheaper per vCPU).
	ArchARM64 CPUArchitecture = "ARM64"
)

// DockerPlatform is the `docker build --platform` value that matches the architecture.
func (a CPUArchitecture) DockerPlatform() string {
	if a == ArchARM64 {
		return "linux/arm64"
	}
	return "linux/amd64"
}

// Service defaults shared by the config reader and NewAppService.
const (
	DefaultContainerPort              = 80
	DefaultCPU                        = 256
	DefaultMemory                     = 512
	DefaultCPUTargetPercent           = 60
	DefaultHealthCheckPath            = "/up" // Rails 7.1's built-in health endpoint
	DefaultHealthCheckIntervalSeconds = 10
	DefaultHealthCheckTimeoutSeconds  = 5
	DefaultHealthyThreshold           = 2
	DefaultUnhealthyThreshold         = 3
	DefaultHealthCheckGraceSeconds    = 60
	DefaultDeregistrationDelaySeconds = 30
	DefaultIdleTimeoutSeconds         = 60
	DefaultKeepImages                 = 30
	DefaultAllowedCidr                = "0.0.0.0/0"
	// MinSecretKeyBaseLength matches what `bin/rails secret` prints (128 hex chars) at half length.
	MinSecretKeyBaseLength = 64
)

// fargateMemory lists the memory sizes (MiB) Fargate accepts for each CPU size (units).
// Source: the "Task CPU and memory" table of the Amazon ECS developer guide.
var fargateMemory = map[int][]int{
	256:   {512, 1024, 2048},
	512:   memRange(1024, 4096, 1024),
	1024:  memRange(2048, 8192, 1024),
	2048:  memRange(4096, 16384, 1024),
	4096:  memRange(8192, 30720, 1024),
	8192:  memRange(16384, 61440, 4096),
	16384: memRange(32768, 122880, 8192),
}

func memRange(lo, hi, step int) []int {
	var out []int
	for m := lo; m <= hi; m += step {
		out = append(out, m)
	}
	return out
}

// FargateCPUs are the task CPU sizes Fargate accepts, ascending.
func FargateCPUs() []int {
	out := make([]int, 0, len(fargateMemory))
	for c := range fargateMemory {
		out = append(out, c)
	}
	sort.Ints(out)
	return out
}

// checkFargateSize returns why cpu/memory is not a Fargate combination, or "".
func checkFargateSize(cpu, memory int) string {
	mems, ok := fargateMemory[cpu]
	if !ok {
		return fmt.Sprintf("cpu %d is not a Fargate size; use one of %s.", cpu, joinInts(FargateCPUs()))
	}
	if !slices.Contains(mems, memory) {
		return fmt.Sprintf("memory %d MiB does not fit cpu %d; Fargate allows %s MiB.", memory, cpu, describeMems(mems))
	}
	return ""
}

func describeMems(mems []int) string {
	if len(mems) <= 4 {
		return joinInts(mems)
	}
	return fmt.Sprintf("%d to %d in steps of %d", mems[0], mems[len(mems)-1], mems[1]-mems[0])
}

// ReservedEnvNames are set by NewAppService; appEnv and appSecrets may not override them.
var ReservedEnvNames = []string{
	"RAILS_ENV", "RAILS_LOG_TO_STDOUT", "RAILS_SERVE_STATIC_FILES", "PORT",
	"DATABASE_ADAPTER", "DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME", "DATABASE_USERNAME", "DATABASE_PASSWORD",
	"S3_BUCKET", "AWS_REGION", "SECRET_KEY_BASE", RolloutDigestEnv,
}

// reservedEnvPrefixes belong to the platform: ECS injects AWS_CONTAINER_* and ECS_* variables.
var reservedEnvPrefixes = []string{"AWS_", "ECS_"}

var envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// secretLooking matches env names that should come from appSecrets, not plain appEnv.
var secretLooking = regexp.MustCompile(`PASSWORD|PASSWD|PASSPHRASE|_PASS$|_PWD$|SECRET|TOKEN|CREDENTIAL|PRIVATE|_KEY$|_KEY_|^DATABASE_URL$|_DSN$|API_?KEY`)

// credentialValue matches appEnv values that carry a credential whatever the name:
// a password in a URL (redis://:pw@host, postgres://u:pw@host) or an AWS access key id.
var credentialValue = regexp.MustCompile(`://[^/?#@\s]*:[^/?#@\s]+@|\b(AKIA|ASIA)[0-9A-Z]{16}\b`)

// envValueProblem says why value must not be a plain env var, or "". It never quotes value.
func envValueProblem(value string) string {
	if credentialValue.MatchString(value) {
		return "holds a credential (a password in a URL, or an AWS access key id); plain appEnv values are visible in the task definition and the Pulumi state."
	}
	return ""
}

// envNameProblem says why name cannot be a container env var name, or "".
func envNameProblem(name string) string {
	upper := strings.ToUpper(name)
	switch {
	case !envNamePattern.MatchString(name):
		return fmt.Sprintf("%q is not a valid environment variable name (letters, digits and _, not starting with a digit).", name)
	case slices.Contains(ReservedEnvNames, upper):
		return fmt.Sprintf("%q is set by rails-infra itself (reserved: %s).", name, strings.Join(ReservedEnvNames, ", "))
	}
	for _, p := range reservedEnvPrefixes {
		if strings.HasPrefix(upper, p) {
			return fmt.Sprintf("%q starts with %s, which AWS and ECS reserve (and AWS keys must never be configured: the task role provides credentials).", name, p)
		}
	}
	return ""
}

// MaxHealthCheckPathLength is the ALB's limit on a path-pattern condition value; with HTTPS the
// port-80 listener forwards the health check path through such a rule (newLoadBalancer).
const MaxHealthCheckPathLength = 128

// healthCheckPathProblem says why path cannot be the target group's health check path, or "".
// "*" and "?" would be wildcards in the listener rule, so a literal path must not hold them.
func healthCheckPathProblem(path string) string {
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " ?#*") || len(path) > MaxHealthCheckPathLength {
		return fmt.Sprintf("must be a URL path starting with / (no spaces, query, fragment or *), at most %d characters, such as /up.", MaxHealthCheckPathLength)
	}
	return ""
}

// ServiceConfig holds the app service keys (issue: App service component).
type ServiceConfig struct {
	ImageTag        string          // imageTag; an image already pushed to the stack's ECR repository
	AppBuildContext string          // appBuildContext; build with awsx/ecr.Image instead of imageTag
	AppDockerfile   string          // appDockerfile; default <appBuildContext>/Dockerfile
	ContainerPort   int             // containerPort; default 80
	CPU             int             // cpu; Fargate units, default 256
	Memory          int             // memory; MiB, default 512, must fit cpu
	CPUArchitecture CPUArchitecture // cpuArchitecture; default X86_64

	DesiredCount      int // desiredCount; default dev 1, prod 2
	MinCount          int // minCount; default dev 1, prod 2
	MaxCount          int // maxCount; default dev 2, prod 6
	CPUTargetPercent  int // cpuTargetPercent; default 60
	RequestsPerTarget int // requestsPerTarget; ALB requests per target to track, 0 (default) = off

	HealthCheckPath            string // healthCheckPath; default /up
	HealthCheckIntervalSeconds int    // default 10
	HealthCheckTimeoutSeconds  int    // default 5, must be < interval
	HealthyThreshold           int    // default 2
	UnhealthyThreshold         int    // default 3
	HealthCheckGraceSeconds    int    // default 60
	DeregistrationDelaySeconds int    // default 30

	LogRetentionDays       int      // logRetentionDays; default dev 30, prod 365
	Spot                   bool     // spot; FARGATE_SPOT, dev only, default false
	ContainerInsights      bool     // containerInsights; default dev false, prod true
	AllowedCidrs           []string // allowedCidrs; who may reach the ALB, default [0.0.0.0/0]
	ReadonlyRootFilesystem bool     // readonlyRootFilesystem; default true

	AppEnv        map[string]string // appEnv; plain env vars (never secrets)
	AppSecrets    map[string]Secret // appSecrets; each stored as an SSM SecureString
	SecretKeyBase Secret            // secretKeyBase; generated once when unset

	MigrateBeforeDeploy bool // migrateBeforeDeploy; run the migrate task before the service rolls, default false
}

// HasImage reports whether an image source is configured; without one the service runs 0 tasks.
func (s *ServiceConfig) HasImage() bool { return s.ImageTag != "" || s.AppBuildContext != "" }

var imageTagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

func (r *reader) service(c *Config) {
	desired, minCount, maxCount, retention := 1, 1, 2, 30
	insights := false
	if c.IsProd() {
		desired, minCount, maxCount, retention = 2, 2, 6, 365
		insights = true
	}
	s := &c.Service
	s.ImageTag = r.str("imageTag", "")
	if s.ImageTag != "" && !imageTagPattern.MatchString(s.ImageTag) {
		r.fail("imageTag", s.ImageTag, "is not a valid image tag (letters, digits, _ . -, at most 128, not starting with . or -). Give only the tag, not the repository URL.",
			setFix("imageTag", "v1.0.0"))
	}
	s.AppBuildContext = r.str("appBuildContext", "")
	s.AppDockerfile = r.str("appDockerfile", "")
	s.ContainerPort = r.integer("containerPort", DefaultContainerPort, 1, 65535, "80")
	s.CPU = r.integer("cpu", DefaultCPU, 256, 16384, "256")
	s.Memory = r.integer("memory", DefaultMemory, 512, 122880, "512")
	s.CPUArchitecture = CPUArchitecture(r.enum("cpuArchitecture", string(ArchX86),
		"X86_64 runs linux/amd64 images; ARM64 needs images built for linux/arm64.", string(ArchX86), string(ArchARM64)))

	s.DesiredCount = r.integer("desiredCount", desired, 0, 100, strconv.Itoa(desired))
	s.MinCount = r.integer("minCount", minCount, 0, 100, strconv.Itoa(minCount))
	s.MaxCount = r.integer("maxCount", maxCount, 1, 100, strconv.Itoa(maxCount))
	s.CPUTargetPercent = r.integer("cpuTargetPercent", DefaultCPUTargetPercent, 10, 90, "60")
	s.RequestsPerTarget = r.integer("requestsPerTarget", 0, 0, 100000, "1000")

	s.HealthCheckPath = r.str("healthCheckPath", DefaultHealthCheckPath)
	s.HealthCheckIntervalSeconds = r.integer("healthCheckIntervalSeconds", DefaultHealthCheckIntervalSeconds, 5, 300, "10")
	s.HealthCheckTimeoutSeconds = r.integer("healthCheckTimeoutSeconds", DefaultHealthCheckTimeoutSeconds, 2, 120, "5")
	s.HealthyThreshold = r.integer("healthyThreshold", DefaultHealthyThreshold, 2, 10, "2")
	s.UnhealthyThreshold = r.integer("unhealthyThreshold", DefaultUnhealthyThreshold, 2, 10, "3")
	s.HealthCheckGraceSeconds = r.integer("healthCheckGraceSeconds", DefaultHealthCheckGraceSeconds, 0, 3600, "60")
	s.DeregistrationDelaySeconds = r.integer("deregistrationDelaySeconds", DefaultDeregistrationDelaySeconds, 0, 3600, "30")

	s.LogRetentionDays = r.oneOfInt("logRetentionDays", retention, CloudWatchRetentionDays)
	s.Spot = r.boolean("spot", false)
	s.ContainerInsights = r.boolean("containerInsights", insights)
	s.AllowedCidrs = r.stringList("allowedCidrs", []string{DefaultAllowedCidr}, "203.0.113.0/24")
	s.ReadonlyRootFilesystem = r.boolean("readonlyRootFilesystem", true)
	s.AppEnv = r.stringMap("appEnv", "FEATURE_FLAG enabled")
	s.AppSecrets = r.secretMap("appSecrets", "SMTP_PASSWORD")
	s.SecretKeyBase = r.secret("secretKeyBase")
	// Not an error without an image: the first deploy has nothing to migrate, and the next one does.
	s.MigrateBeforeDeploy = r.boolean("migrateBeforeDeploy", false)
	if raw, ok := r.src.Get(qualify("secretKeyBase")); ok && strings.TrimSpace(raw) != "" && len(strings.TrimSpace(raw)) < MinSecretKeyBaseLength {
		r.problems = append(r.problems, Problem{Key: qualify("secretKeyBase"), Secret: true,
			Reason: fmt.Sprintf("is shorter than %d characters; Rails signs and encrypts cookies with it.", MinSecretKeyBaseLength),
			Fix:    "pulumi config set --secret secretKeyBase \"$(bin/rails secret)\" (or pulumi config rm secretKeyBase to have one generated)"})
	}

	r.checkService(c)
}

// checkService holds the rules local to the service keys.
func (r *reader) checkService(c *Config) {
	s := &c.Service
	if s.ImageTag != "" && s.AppBuildContext != "" {
		r.fail("imageTag", s.ImageTag, "and appBuildContext are both set; pick one image source.",
			"pulumi config rm appBuildContext (or pulumi config rm imageTag)")
	}
	if s.AppDockerfile != "" && s.AppBuildContext == "" {
		r.fail("appDockerfile", s.AppDockerfile, "is set but appBuildContext is not; the Dockerfile is only used for a local build.",
			setFix("appBuildContext", "../my-rails-app"))
	}
	if reason := checkFargateSize(s.CPU, s.Memory); reason != "" {
		key, val, fix := "cpu", strconv.Itoa(s.CPU), setFix("cpu", strconv.Itoa(DefaultCPU))
		if mems, ok := fargateMemory[s.CPU]; ok {
			key, val, fix = "memory", strconv.Itoa(s.Memory), setFix("memory", strconv.Itoa(mems[0]))
		}
		r.fail(key, val, reason, fix)
	}
	if s.HealthCheckTimeoutSeconds >= s.HealthCheckIntervalSeconds {
		r.fail("healthCheckTimeoutSeconds", strconv.Itoa(s.HealthCheckTimeoutSeconds),
			fmt.Sprintf("must be less than healthCheckIntervalSeconds (%d); the ALB rejects a timeout ≥ interval.", s.HealthCheckIntervalSeconds),
			setFix("healthCheckTimeoutSeconds", strconv.Itoa(max(2, s.HealthCheckIntervalSeconds/2))))
	}
	if reason := healthCheckPathProblem(s.HealthCheckPath); reason != "" {
		r.fail("healthCheckPath", s.HealthCheckPath, reason, setFix("healthCheckPath", DefaultHealthCheckPath))
	}
	switch {
	case s.MinCount > s.MaxCount:
		r.fail("minCount", strconv.Itoa(s.MinCount), fmt.Sprintf("is above maxCount (%d).", s.MaxCount), setFix("maxCount", strconv.Itoa(s.MinCount)))
	case s.DesiredCount < s.MinCount || s.DesiredCount > s.MaxCount:
		r.fail("desiredCount", strconv.Itoa(s.DesiredCount),
			fmt.Sprintf("must be between minCount (%d) and maxCount (%d).", s.MinCount, s.MaxCount),
			setFix("desiredCount", strconv.Itoa(min(max(s.DesiredCount, s.MinCount), s.MaxCount))))
	}
	for _, cidr := range s.AllowedCidrs {
		if p, err := netip.ParsePrefix(cidr); err != nil || !p.Addr().Is4() || p.Masked() != p {
			r.fail("allowedCidrs", cidr, "must be a list of IPv4 CIDR blocks (the load balancer is IPv4-only) with no host bits set, such as 203.0.113.0/24 or 0.0.0.0/0.",
				"pulumi config set --path 'allowedCidrs[0]' 203.0.113.0/24")
		}
	}
	if len(s.AllowedCidrs) == 0 {
		r.fail("allowedCidrs", "[]", "an empty list would make the load balancer unreachable.",
			"pulumi config set --path 'allowedCidrs[0]' 0.0.0.0/0")
	}
	for _, name := range slices.Sorted(maps.Keys(s.AppEnv)) {
		if reason := envNameProblem(name); reason != "" {
			r.fail("appEnv", name, reason, fmt.Sprintf("pulumi config rm --path 'appEnv.%s'", name))
			continue
		}
		if secretLooking.MatchString(strings.ToUpper(name)) {
			r.fail("appEnv", name, "looks like a secret; plain appEnv values are visible in the task definition.",
				fmt.Sprintf("pulumi config rm --path 'appEnv.%s' && pulumi config set --secret --path 'appSecrets.%s' <value>", name, name))
			continue
		}
		// The name is reported, never the value.
		if reason := envValueProblem(s.AppEnv[name]); reason != "" {
			r.fail("appEnv", name, reason,
				fmt.Sprintf("pulumi config rm --path 'appEnv.%s' && pulumi config set --secret --path 'appSecrets.%s' <value>", name, name))
		}
	}
	// A --secret value read as plain appEnv would be written unencrypted into the task
	// definition and the state.
	if r.src.IsSecret(qualify("appEnv")) {
		r.fail("appEnv", "", "holds values set with --secret, but appEnv values are written in plain text into the task definition and the Pulumi state; secrets belong in appSecrets.",
			"pulumi config rm appEnv, set each secret with pulumi config set --secret --path 'appSecrets.NAME' <value>, and the plain ones again with pulumi config set --path 'appEnv.NAME' <value>")
	}
	for _, name := range slices.Sorted(maps.Keys(s.AppSecrets)) {
		if reason := envNameProblem(name); reason != "" {
			r.fail("appSecrets", name, reason, fmt.Sprintf("pulumi config rm --path 'appSecrets.%s'", name))
			continue
		}
		if _, dup := s.AppEnv[name]; dup {
			r.fail("appSecrets", name, "is also set in appEnv; one name can have only one value.",
				fmt.Sprintf("pulumi config rm --path 'appEnv.%s'", name))
		}
	}
}

// secretMap reads an object whose values must be stored with --secret. Names stay plain;
// values are wrapped as Pulumi secrets.
func (r *reader) secretMap(key, exampleName string) map[string]Secret {
	out := map[string]Secret{}
	v, ok := r.raw(key)
	if !ok {
		return out
	}
	fix := fmt.Sprintf("pulumi config set --secret --path '%s.%s' <value>", key, exampleName)
	var raw map[string]any
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		r.problems = append(r.problems, Problem{Key: qualify(key), Secret: true,
			Reason: "must be a map of NAME: secret value.", Fix: fix})
		return out
	}
	if !r.src.IsSecret(qualify(key)) {
		r.problems = append(r.problems, Problem{Key: qualify(key), Secret: true,
			Reason: "holds values stored in plain text in the stack file; every appSecrets value must be a secret.",
			Fix:    fmt.Sprintf("pulumi config rm %s && %s", key, fix)})
	}
	for name, x := range raw {
		s, isStr := x.(string)
		if !isStr || s == "" {
			r.problems = append(r.problems, Problem{Key: qualify(key), Secret: true,
				Reason: fmt.Sprintf("entry %q must be a non-empty string.", name), Fix: fix})
			continue
		}
		out[name] = Secret{Set: true, Value: pulumi.ToSecret(pulumi.String(s)).(pulumi.StringOutput)}
	}
	return out
}

// serviceCrossChecks holds the rules that depend on the environment profile.
func (r *reader) serviceCrossChecks(c *Config) {
	if c.IsProd() && c.Service.Spot {
		r.fail("spot", "true", "FARGATE_SPOT can stop every task at two minutes' notice; it is for dev stacks only.", "pulumi config rm spot")
	}
}

// secretKeyBaseProblem checks SECRET_KEY_BASE's plain text (only the config layer sees it).
func secretKeyBaseProblem(raw string) (reason, fix string) {
	if raw != "" && len(raw) < MinSecretKeyBaseLength {
		return fmt.Sprintf("is shorter than %d characters; Rails signs and encrypts cookies with it.", MinSecretKeyBaseLength),
			"pulumi config set --secret secretKeyBase \"$(bin/rails secret)\" (or pulumi config rm secretKeyBase to have one generated)"
	}
	return "", ""
}
