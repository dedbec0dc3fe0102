package infra

import (
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

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

// Service defaults that are the same in every environment (Profile holds the others).
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

// AppServiceArgs configures NewAppService. Each setting is the field tagged with its config key;
// a zero value (nil for pointers) takes the default written beside it, or Profile's for dev/prod
// differences. Pointers are used where 0 or false is a valid choice that differs from the default.
type AppServiceArgs struct {
	// Account identifies the AWS account, partition and region. Required.
	Account Account
	// Environment picks the Profile: unset counts, log retention, Container Insights, whether
	// spot is allowed, and the protection of the ALB, the bucket and ECR (Profile.Protect,
	// Profile.ImmutableImageTags). Default EnvDev.
	Environment Environment
	// VpcID, PublicSubnetIDs (ALB) and PrivateSubnetIDs (tasks) come from the Network. Required.
	VpcID                             pulumi.StringInput
	PublicSubnetIDs, PrivateSubnetIDs pulumi.StringArrayInput
	// Database is where Rails connects; its secret supplies DATABASE_PASSWORD. Required.
	Database DatabaseEndpoint
	// Cache supplies REDIS_URL (as a secret) to every task. Nil: the stack has no cache.
	Cache *CacheEndpoint
	// HTTPS makes port 80 redirect to 443 and opens 443 on the ALB; the Domain component adds
	// the 443 listener. Set when a domain is configured. Default false (port 80 forwards).
	HTTPS bool
	// ParameterPath is the SSM prefix for this stack's secrets. Default "/<project>/<stack>".
	ParameterPath string
	// Family prefixes the task definition families. Default "<project>-<stack>".
	Family string
	// AppRoot is the Rails root inside the image; its tmp/ is writable. Default DefaultAppRoot.
	AppRoot string
	// IdleTimeoutSeconds of the ALB. Default DefaultIdleTimeoutSeconds.
	IdleTimeoutSeconds int
	// KeepImages is how many images ECR keeps. Default DefaultKeepImages.
	KeepImages int

	// ImageTag deploys <repositoryUrl>:<ImageTag>. Exclusive with AppBuildContext. With neither,
	// no ECS service exists yet and NextStep says how to deploy the first image.
	ImageTag string `config:"imageTag"`
	// AppBuildContext builds and pushes the image with awsx/ecr.Image. Exclusive with ImageTag.
	AppBuildContext string `config:"appBuildContext"`
	// AppDockerfile for AppBuildContext. Default <AppBuildContext>/Dockerfile.
	AppDockerfile string `config:"appDockerfile"`

	// ContainerPort is where Rails listens (also PORT). Default 80. Valid: 1 to 65535.
	ContainerPort int `config:"containerPort"`
	// CPU (units) and Memory (MiB). Default 256 / 512. Valid: the Fargate table (checkFargateSize).
	CPU    int `config:"cpu"`
	Memory int `config:"memory"`
	// CPUArchitecture of the task. Default ArchX86.
	CPUArchitecture CPUArchitecture `config:"cpuArchitecture"`
	// ReadonlyRootFilesystem keeps the container root read-only; only the app's tmp/ and log/,
	// /tmp and the ECS Exec agent's directories are writable. Default true.
	ReadonlyRootFilesystem *bool `config:"readonlyRootFilesystem"`

	// DesiredCount tasks run from the first image deploy, which waits for them to turn healthy.
	// MinCount..MaxCount bound autoscaling, which is on when an image is configured and
	// MaxCount > MinCount; then Pulumi leaves later changes of DesiredCount to autoscaling. Default Profile (dev 1/1/2, prod 2/2/6).
	// Valid: 0 ≤ MinCount ≤ DesiredCount ≤ MaxCount ≤ 100, MaxCount ≥ 1.
	DesiredCount *int `config:"desiredCount"`
	MinCount     *int `config:"minCount"`
	MaxCount     int  `config:"maxCount"`
	// CPUTargetPercent is the average CPU to track. Default 60. Valid: 10 to 90.
	CPUTargetPercent int `config:"cpuTargetPercent"`
	// RequestsPerTarget adds ALB request-count tracking per task. Default 0 (off). Valid: 0 to 100000.
	RequestsPerTarget int `config:"requestsPerTarget"`

	// HealthCheckPath is the target group's health check path. Default /up.
	// Valid: healthCheckPathProblem (a literal ASCII path; the Domain also uses it as a path pattern).
	HealthCheckPath string `config:"healthCheckPath"`
	// HealthCheckIntervalSeconds between checks. Default 10. Valid: 5 to 300, > HealthCheckTimeoutSeconds.
	HealthCheckIntervalSeconds int `config:"healthCheckIntervalSeconds"`
	// HealthCheckTimeoutSeconds per check. Default 5. Valid: 2 to 120.
	HealthCheckTimeoutSeconds int `config:"healthCheckTimeoutSeconds"`
	// HealthyThreshold consecutive passes mark a target healthy. Default 2. Valid: 2 to 10.
	HealthyThreshold int `config:"healthyThreshold"`
	// UnhealthyThreshold consecutive failures mark it unhealthy. Default 3. Valid: 2 to 10.
	UnhealthyThreshold int `config:"unhealthyThreshold"`
	// HealthCheckGraceSeconds lets Rails boot before ALB health counts. Default 60. Valid: 0 to 3600.
	HealthCheckGraceSeconds *int `config:"healthCheckGraceSeconds"`
	// DeregistrationDelaySeconds drains in-flight requests. Default 30. Valid: 0 to 3600.
	DeregistrationDelaySeconds *int `config:"deregistrationDelaySeconds"`

	// LogRetentionDays of the app log group. Default Profile (dev 30, prod 365).
	// Valid: CloudWatchRetentionDays.
	LogRetentionDays int `config:"logRetentionDays"`
	// Spot runs tasks on FARGATE_SPOT. Default false. Valid: only where Profile.AllowSpot (dev).
	Spot bool `config:"spot"`
	// ContainerInsights turns on cluster metrics. Default Profile (dev false, prod true).
	ContainerInsights *bool `config:"containerInsights"`
	// AllowedCidrs may reach the ALB on 80 (and 443). Default [0.0.0.0/0] (nil; an empty list
	// is refused). Valid: IPv4 CIDR blocks without host bits.
	AllowedCidrs []string `config:"allowedCidrs" example:"203.0.113.0/24"`

	// AppEnv are plain env vars. Names must not be reserved or look secret; values must not
	// hold credentials.
	AppEnv map[string]string `config:"appEnv" example:"FEATURE_FLAG enabled"`
	// AppSecrets are env name -> secret value, stored as Standard-tier SSM SecureStrings.
	// Valid: each value at most MaxStandardParameterBytes (appSecretValueProblem, on the plain text).
	AppSecrets map[string]pulumi.StringInput `config:"appSecrets,secret" example:"SMTP_PASSWORD"`
	// SecretKeyBase for Rails. Default: generated once and kept (see newSecrets).
	// Valid: at least MinSecretKeyBaseLength characters (secretKeyBaseProblem, on the plain text).
	SecretKeyBase pulumi.StringInput `config:"secretKeyBase,secret"`

	// MigrateBeforeDeploy runs the migrate task to completion (through a Lambda invoked by
	// `pulumi up`) before the service rolls to a new revision, and fails the deploy when it
	// fails. Ignored while no image is configured (the first deploy has nothing to migrate).
	// Default false.
	MigrateBeforeDeploy bool `config:"migrateBeforeDeploy"`

	// Workers are background processes, name -> WorkerArgs: each its own ECS service from the
	// same image, roles, env, secrets and security group as web, without a load balancer. They
	// exist from the first image on, like the web service. Default none. Valid: names of 1 to
	// MaxProcessNameLength lower-case letters, digits, - and _; each worker's rules in WorkerArgs.
	Workers map[string]WorkerArgs `config:"workers" example:"sidekiq.command[0] bundle"`
	// Schedules are recurring jobs, name -> ScheduleArgs: EventBridge Scheduler runs a one-off
	// task of the schedule task definition (web's container) with the job's command. Like the
	// services, they exist from the first image on (a schedule of the placeholder image would fail
	// every run). Default none. Valid: names as for Workers; each schedule's rules in ScheduleArgs.
	Schedules map[string]ScheduleArgs `config:"schedules" example:"nightly.command[0] bin/rails"`
}

// HasImage reports whether an image source is configured; without one no ECS service exists.
func (a *AppServiceArgs) HasImage() bool { return a.ImageTag != "" || a.AppBuildContext != "" }

func (a *AppServiceArgs) defaults() {
	p := ProfileOf(a.Environment)
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setIntRef := func(v **int, def int) {
		if *v == nil {
			*v = intRef(def)
		}
	}
	setBoolRef := func(v **bool, def bool) {
		if *v == nil {
			*v = boolRef(def)
		}
	}
	if a.AppRoot == "" {
		a.AppRoot = DefaultAppRoot
	}
	setInt(&a.IdleTimeoutSeconds, DefaultIdleTimeoutSeconds)
	setInt(&a.KeepImages, DefaultKeepImages)
	setInt(&a.ContainerPort, DefaultContainerPort)
	setInt(&a.CPU, DefaultCPU)
	setInt(&a.Memory, DefaultMemory)
	if a.CPUArchitecture == "" {
		a.CPUArchitecture = ArchX86
	}
	setBoolRef(&a.ReadonlyRootFilesystem, true)
	setIntRef(&a.DesiredCount, p.DesiredCount)
	setIntRef(&a.MinCount, p.MinCount)
	setInt(&a.MaxCount, p.MaxCount)
	setInt(&a.CPUTargetPercent, DefaultCPUTargetPercent)
	if a.HealthCheckPath == "" {
		a.HealthCheckPath = DefaultHealthCheckPath
	}
	setInt(&a.HealthCheckIntervalSeconds, DefaultHealthCheckIntervalSeconds)
	setInt(&a.HealthCheckTimeoutSeconds, DefaultHealthCheckTimeoutSeconds)
	setInt(&a.HealthyThreshold, DefaultHealthyThreshold)
	setInt(&a.UnhealthyThreshold, DefaultUnhealthyThreshold)
	setIntRef(&a.HealthCheckGraceSeconds, DefaultHealthCheckGraceSeconds)
	setIntRef(&a.DeregistrationDelaySeconds, DefaultDeregistrationDelaySeconds)
	setInt(&a.LogRetentionDays, p.LogRetentionDays)
	setBoolRef(&a.ContainerInsights, p.ContainerInsights)
	// nil only: an explicitly empty list is a mistake the rules report.
	if a.AllowedCidrs == nil {
		a.AllowedCidrs = []string{DefaultAllowedCidr}
	}
	// A copy: defaulting must not write into the caller's map.
	if a.Workers != nil {
		workers := make(map[string]WorkerArgs, len(a.Workers))
		for name, w := range a.Workers {
			w.defaults()
			workers[name] = w
		}
		a.Workers = workers
	}
	if a.Schedules != nil {
		schedules := make(map[string]ScheduleArgs, len(a.Schedules))
		for name, s := range a.Schedules {
			s.defaults(a.CPU, a.Memory)
			schedules[name] = s
		}
		a.Schedules = schedules
	}
}

// problems holds every app service rule; it runs on defaulted args.
func (a *AppServiceArgs) problems() []FieldProblem {
	var ps problemList
	p := ProfileOf(a.Environment)
	a.imageProblems(&ps)
	rangeProblem(&ps, "ContainerPort", a.ContainerPort, 1, 65535, DefaultContainerPort)
	a.sizeProblems(&ps)
	a.countProblems(&ps, p)
	a.healthCheckProblems(&ps)
	retentionProblem(&ps, "LogRetentionDays", a.LogRetentionDays, p.LogRetentionDays)
	if a.Spot && !p.AllowSpot {
		ps.add("Spot", "true", "FARGATE_SPOT can stop every task at two minutes' notice; it is for dev stacks only.", removeField("Spot"))
	} else if a.Spot && a.CPUArchitecture == ArchARM64 {
		// ECS developer guide, "Fargate capacity providers": Linux tasks with the ARM64
		// architecture don't support Fargate Spot. The service would never place a task, so
		// this is rejected rather than silently run on on-demand FARGATE.
		ps.add("Spot", "true", "with {CPUArchitecture} ARM64 would never place a task: Fargate Spot runs only X86_64 Linux tasks. Use on-demand FARGATE for ARM64 (Graviton is already cheaper per vCPU), or X86_64 on spot.",
			removeField("Spot").or(setTo("CPUArchitecture", string(ArchX86))))
	}
	a.cidrProblems(&ps)
	a.envProblems(&ps)
	a.workerProblems(&ps)
	a.scheduleProblems(&ps)
	return ps
}

var imageTagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

func (a *AppServiceArgs) imageProblems(ps *problemList) {
	if a.ImageTag != "" && !imageTagPattern.MatchString(a.ImageTag) {
		ps.add("ImageTag", a.ImageTag, "is not a valid image tag (letters, digits, _ . -, at most 128, not starting with . or -). Give only the tag, not the repository URL.",
			setTo("ImageTag", "v1.0.0"))
	}
	if a.ImageTag != "" && a.AppBuildContext != "" {
		ps.add("ImageTag", a.ImageTag, "and {AppBuildContext} are both set; pick one image source.",
			removeField("AppBuildContext").or(removeField("ImageTag")))
	}
	if a.AppDockerfile != "" && a.AppBuildContext == "" {
		ps.add("AppDockerfile", a.AppDockerfile, "is set but {AppBuildContext} is not; the Dockerfile is only used for a local build.",
			setTo("AppBuildContext", "../my-rails-app"))
	}
}

// sizeProblems checks the task size; the architecture is the web's and every worker's.
func (a *AppServiceArgs) sizeProblems(ps *problemList) {
	taskSizeProblems(ps, a.CPU, a.Memory)
	enumProblem(ps, "CPUArchitecture", string(a.CPUArchitecture), []string{string(ArchX86), string(ArchARM64)}, string(ArchX86),
		"X86_64 runs linux/amd64 images; ARM64 needs images built for linux/arm64.")
}

// taskSizeProblems is the rule for a task's CPU and Memory fields, web's and each worker's. The
// range rules come first so that a malformed number is reported with them rather than with the
// Fargate table.
func taskSizeProblems(ps *problemList, cpu, memory int) {
	rangeProblem(ps, "CPU", cpu, 256, 16384, DefaultCPU)
	rangeProblem(ps, "Memory", memory, 512, 122880, DefaultMemory)
	if reason := checkFargateSize(cpu, memory); reason != "" {
		// A known cpu with the wrong memory is fixed by the memory, the smallest that fits.
		if mems, ok := fargateMemory[cpu]; ok {
			ps.add("Memory", strconv.Itoa(memory), reason, setTo("Memory", strconv.Itoa(mems[0])))
		} else {
			ps.add("CPU", strconv.Itoa(cpu), reason, setTo("CPU", strconv.Itoa(DefaultCPU)))
		}
	}
}

func (a *AppServiceArgs) countProblems(ps *problemList, p Profile) {
	taskCountProblems(ps, taskCounts{Desired: deref(a.DesiredCount), Min: deref(a.MinCount), Max: a.MaxCount, CPUTarget: a.CPUTargetPercent},
		taskCounts{Desired: p.DesiredCount, Min: p.MinCount, Max: p.MaxCount, CPUTarget: DefaultCPUTargetPercent})
	rangeProblem(ps, "RequestsPerTarget", a.RequestsPerTarget, 0, 100000, 1000)
}

// taskCounts are a service's DesiredCount, MinCount, MaxCount and CPUTargetPercent.
type taskCounts struct{ Desired, Min, Max, CPUTarget int }

// taskCountProblems is the rule for a service's counts, web's and each worker's: 0 ≤ MinCount ≤
// DesiredCount ≤ MaxCount ≤ 100, MaxCount ≥ 1, a CPU target of 10–90 %. Fixes suggest def.
func taskCountProblems(ps *problemList, c, def taskCounts) {
	rangeProblem(ps, "DesiredCount", c.Desired, 0, 100, def.Desired)
	rangeProblem(ps, "MinCount", c.Min, 0, 100, def.Min)
	rangeProblem(ps, "MaxCount", c.Max, 1, 100, def.Max)
	rangeProblem(ps, "CPUTargetPercent", c.CPUTarget, 10, 90, def.CPUTarget)
	switch {
	case c.Min > c.Max:
		ps.add("MinCount", strconv.Itoa(c.Min), fmt.Sprintf("is above {MaxCount} (%d).", c.Max), setTo("MaxCount", strconv.Itoa(c.Min)))
	case c.Desired < c.Min || c.Desired > c.Max:
		ps.add("DesiredCount", strconv.Itoa(c.Desired), fmt.Sprintf("must be between {MinCount} (%d) and {MaxCount} (%d).", c.Min, c.Max),
			setTo("DesiredCount", strconv.Itoa(min(max(c.Desired, c.Min), c.Max))))
	}
}

func (a *AppServiceArgs) healthCheckProblems(ps *problemList) {
	rangeProblem(ps, "HealthCheckIntervalSeconds", a.HealthCheckIntervalSeconds, 5, 300, DefaultHealthCheckIntervalSeconds)
	rangeProblem(ps, "HealthCheckTimeoutSeconds", a.HealthCheckTimeoutSeconds, 2, 120, DefaultHealthCheckTimeoutSeconds)
	rangeProblem(ps, "HealthyThreshold", a.HealthyThreshold, 2, 10, DefaultHealthyThreshold)
	rangeProblem(ps, "UnhealthyThreshold", a.UnhealthyThreshold, 2, 10, DefaultUnhealthyThreshold)
	rangeProblem(ps, "HealthCheckGraceSeconds", deref(a.HealthCheckGraceSeconds), 0, 3600, DefaultHealthCheckGraceSeconds)
	rangeProblem(ps, "DeregistrationDelaySeconds", deref(a.DeregistrationDelaySeconds), 0, 3600, DefaultDeregistrationDelaySeconds)
	if a.HealthCheckTimeoutSeconds >= a.HealthCheckIntervalSeconds {
		ps.add("HealthCheckTimeoutSeconds", strconv.Itoa(a.HealthCheckTimeoutSeconds),
			fmt.Sprintf("must be less than {HealthCheckIntervalSeconds} (%d); the ALB rejects a timeout ≥ interval.", a.HealthCheckIntervalSeconds),
			setTo("HealthCheckTimeoutSeconds", strconv.Itoa(max(2, a.HealthCheckIntervalSeconds/2))))
	}
	if reason := healthCheckPathProblem(a.HealthCheckPath); reason != "" {
		ps.add("HealthCheckPath", a.HealthCheckPath, reason, setTo("HealthCheckPath", DefaultHealthCheckPath))
	}
}

func (a *AppServiceArgs) cidrProblems(ps *problemList) {
	first := func(cidr string) Fix {
		return Fix{Steps: []FixStep{{Op: FixSet, Field: "AllowedCidrs", Path: "[0]", Value: cidr}}}
	}
	for _, cidr := range a.AllowedCidrs {
		if p, err := netip.ParsePrefix(cidr); err != nil || !p.Addr().Is4() || p.Masked() != p {
			ps.add("AllowedCidrs", cidr, "must be a list of IPv4 CIDR blocks (the load balancer is IPv4-only) with no host bits set, such as 203.0.113.0/24 or 0.0.0.0/0.",
				first("203.0.113.0/24"))
		}
	}
	if len(a.AllowedCidrs) == 0 {
		ps.add("AllowedCidrs", "[]", "an empty list would make the load balancer unreachable.", first(DefaultAllowedCidr))
	}
	// newSecurityGroups writes one inbound rule per listener port and CIDR on the ALB's group.
	// A stack that must have a domain (prod) serves HTTPS even before main.go sets HTTPS.
	ports := listenerPorts(a.HTTPS || ProfileOf(a.Environment).RequireDomain)
	if n := len(a.AllowedCidrs) * len(ports); n > MaxSecurityGroupInboundRules {
		ps.add("AllowedCidrs", fmt.Sprintf("%d CIDRs", len(a.AllowedCidrs)),
			fmt.Sprintf("would give the load balancer's security group %d inbound rules (one per CIDR on each of ports %s), over the AWS default quota of %d inbound rules per security group. Merge the ranges into fewer, wider CIDRs (at most %d with HTTPS, %d without).",
				n, joinInts(ports), MaxSecurityGroupInboundRules, MaxSecurityGroupInboundRules/2, MaxSecurityGroupInboundRules),
			first("203.0.113.0/24"))
	}
}

// MaxSecurityGroupInboundRules is the VPC quota "Inbound or outbound rules per security group"
// at its default (60 for IPv4). Raising the quota is possible but is not assumed.
const MaxSecurityGroupInboundRules = 60

// envProblems checks appEnv and appSecrets. Problems name an entry, never its value.
func (a *AppServiceArgs) envProblems(ps *problemList) {
	rm := func(field, name string) Fix {
		return Fix{Steps: []FixStep{{Op: FixRemove, Field: field, Path: "." + name}}}
	}
	toSecret := func(name string) Fix {
		return rm("AppEnv", name).and(Fix{Steps: []FixStep{{Op: FixSetSecret, Field: "AppSecrets", Path: "." + name, Value: "<value>"}}})
	}
	for _, name := range slices.Sorted(maps.Keys(a.AppEnv)) {
		if reason := envNameProblem(name); reason != "" {
			ps.add("AppEnv", name, reason, rm("AppEnv", name))
		} else if secretLooking.MatchString(strings.ToUpper(name)) {
			ps.add("AppEnv", name, "looks like a secret; plain {AppEnv} values are visible in the task definition.", toSecret(name))
		} else if reason := envValueProblem(a.AppEnv[name]); reason != "" {
			ps.add("AppEnv", name, reason, toSecret(name))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(a.AppSecrets)) {
		if reason := envNameProblem(name); reason != "" {
			ps.add("AppSecrets", name, reason, rm("AppSecrets", name))
			continue
		}
		if _, dup := a.AppEnv[name]; dup {
			ps.add("AppSecrets", name, "is also set in {AppEnv}; one name can have only one value.", rm("AppEnv", name))
		}
	}
}

// deref reads a defaulted *int; nil (never defaulted) reads as 0.
func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

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
		return "holds a credential (a password in a URL, or an AWS access key id); plain {AppEnv} values are visible in the task definition and the Pulumi state."
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
// port-80 listener forwards the health check path through such a rule (newLoadBalancer), and
// with OIDC the Domain's no-login rule matches it.
const MaxHealthCheckPathLength = 128

// healthPathChars are the characters a health check path may hold: ASCII path characters
// without percent-encoding, and without * and ?, which are wildcards in a listener path pattern.
var healthPathChars = regexp.MustCompile(`^/[A-Za-z0-9._~!$&'()+,;=:@/-]*$`)

// healthCheckPathProblem says why path cannot be the target group's health check path, or "".
// It is the one rule for the path: the Domain's listener rules use the same path as a pattern.
func healthCheckPathProblem(path string) string {
	if strings.HasPrefix(path, "/") && len(path) <= MaxHealthCheckPathLength && healthPathChars.MatchString(path) {
		return ""
	}
	reason := fmt.Sprintf("must be a URL path starting with / (no spaces, query, fragment or *), at most %d characters, "+
		"of ASCII letters, digits and . _ ~ - / ! $ & ' ( ) + , ; = : @ only, such as /up.", MaxHealthCheckPathLength)
	for _, r := range path {
		if r >= utf8.RuneSelf {
			return fmt.Sprintf("holds %q, which is not ASCII; ALB health check paths are ASCII only. It %s", r, reason)
		}
	}
	return reason
}
