package infra

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ContainerDefinition is the subset of the ECS container definition this program sets.
// Built as data so tests parse exactly what ECS receives.
type ContainerDefinition struct {
	Name                   string           `json:"name"`
	Image                  string           `json:"image"`
	Essential              bool             `json:"essential"`
	Command                []string         `json:"command,omitempty"`
	PortMappings           []PortMapping    `json:"portMappings"`
	Environment            []KeyValue       `json:"environment"`
	Secrets                []SecretRef      `json:"secrets"`
	LogConfiguration       LogConfiguration `json:"logConfiguration"`
	ReadonlyRootFilesystem bool             `json:"readonlyRootFilesystem"`
	MountPoints            []MountPoint     `json:"mountPoints"`
	LinuxParameters        *LinuxParameters `json:"linuxParameters,omitempty"`
	SystemControls         []SystemControl  `json:"systemControls,omitempty"`
	// StopTimeout is the seconds between SIGTERM and SIGKILL; unset is ECS's default (30 s).
	StopTimeout int `json:"stopTimeout,omitempty"`
}

// process is what differs between the task definitions of one stack: everything else (image,
// env, secrets, mounts, roles) comes from the same inputs, so web, migrate, workers and
// schedules cannot drift, and a setting added to the container reaches them all.
type process struct {
	StreamPrefix string
	Command      []string // nil: the image's CMD (web)
	// Listens is whether the process serves the container port (web, and migrate which shares
	// web's container shape); workers and schedules do not.
	Listens     bool
	StopTimeout int // 0: ECS's default
}

// SystemControl is a namespaced kernel parameter; Fargate accepts the net.* ones.
type SystemControl struct {
	Namespace string `json:"namespace"`
	Value     string `json:"value"`
}

// unprivilegedPorts lets the image's non-root user bind a port below 1024 (the default 80).
// Docker sets this sysctl to 0 locally, Fargate keeps the kernel's 1024, and Fargate cannot add
// CAP_NET_BIND_SERVICE; lowering the floor to exactly the container port is the narrowest fix.
func unprivilegedPorts(port int) []SystemControl {
	if port >= 1024 {
		return nil
	}
	return []SystemControl{{Namespace: "net.ipv4.ip_unprivileged_port_start", Value: strconv.Itoa(port)}}
}

// PortMapping is a container port; in awsvpc mode hostPort equals containerPort.
type PortMapping struct {
	ContainerPort int    `json:"containerPort"`
	HostPort      int    `json:"hostPort"`
	Protocol      string `json:"protocol"`
}

// KeyValue is one plain environment variable.
type KeyValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// SecretRef is an env var ECS resolves at task start from SSM or Secrets Manager.
type SecretRef struct {
	Name      string `json:"name"`
	ValueFrom string `json:"valueFrom"`
}

// LogConfiguration sends stdout/stderr to CloudWatch Logs.
type LogConfiguration struct {
	LogDriver string            `json:"logDriver"`
	Options   map[string]string `json:"options"`
}

// MountPoint mounts a task volume.
type MountPoint struct {
	SourceVolume  string `json:"sourceVolume"`
	ContainerPath string `json:"containerPath"`
	ReadOnly      bool   `json:"readOnly"`
}

// LinuxParameters enables an init process, which reaps the ECS Exec agent's children.
type LinuxParameters struct {
	InitProcessEnabled bool `json:"initProcessEnabled"`
}

// writableMount is a task-level ephemeral (Fargate bind-mount) volume.
type writableMount struct{ Volume, Path string }

// writableMounts are the only writable paths when the root filesystem is read-only:
//
//   - <appRoot>/tmp: Puma's pid file, bootsnap and the cache store write here;
//
//   - /tmp: Ruby's Dir.tmpdir (Rack multipart and ActiveStorage upload buffers);
//
//   - /managed-agents, /var/lib/amazon and /var/log/amazon: the ECS Exec (SSM) agent's
//     runtime files, state and logs. AWS documents ECS Exec as unsupported on read-only roots;
//     these three writable paths are the reported working set (aws/containers-roadmap#1359,
//     aws-containers/amazon-ecs-exec-checker#71). ECS bind-mounts the agent binaries below
//     /managed-agents/execute-command on top of this volume.
//
//   - <appRoot>/log: logs go to stdout, but a Rails 7.0 production.rb without RAILS_LOG_TO_STDOUT
//     opens log/production.log at boot and would crash on a read-only path.
//
// Fargate copies
// an image's content and ownership into a bind mount only when the Dockerfile declares the
// path as a VOLUME, so a non-root image must declare these paths as VOLUMEs (rails/Dockerfile does).
func writableMounts(appRoot string) []writableMount {
	return []writableMount{
		{"app-tmp", appRoot + "/tmp"},
		{"app-log", appRoot + "/log"},
		{"tmp", "/tmp"},
		{"managed-agents", "/managed-agents"},
		{"ssm-agent-state", "/var/lib/amazon"},
		{"ssm-agent-logs", "/var/log/amazon"},
	}
}

// containerInputs are the plain settings of the container.
type containerInputs struct {
	Image    pulumi.StringOutput
	Port     int
	Region   string
	Adapter  string
	AppRoot  string
	Readonly bool
	AppEnv   map[string]string
}

// resolvedContainer is everything a container definition needs, with outputs resolved.
type resolvedContainer struct {
	containerInputs
	ImageURI, DBHost, DBName, DBUser, DBSecretArn, Bucket, LogGroup, RolloutDigest string
	DBPort                                                                         int
	ParamArns                                                                      map[string]string
}

func resolveContainerInputs(in containerInputs, db DatabaseEndpoint, bucket, logGroup pulumi.StringOutput, secrets *stackSecrets) pulumi.AnyOutput {
	names := append([]string(nil), secrets.Names...)
	inputs := []any{in.Image, db.Host, db.Port, db.Name, db.Username, db.SecretArn, bucket, logGroup, secrets.Version(db.SecretArn)}
	for _, env := range names {
		inputs = append(inputs, secrets.Params[env].Arn)
	}
	return pulumi.All(inputs...).ApplyT(func(xs []any) (any, error) {
		r := resolvedContainer{
			containerInputs: in,
			ImageURI:        xs[0].(string), DBHost: xs[1].(string), DBPort: xs[2].(int), DBName: xs[3].(string),
			DBUser: xs[4].(string), DBSecretArn: xs[5].(string), Bucket: xs[6].(string), LogGroup: xs[7].(string),
			RolloutDigest: xs[8].(string), ParamArns: map[string]string{},
		}
		for i, env := range names {
			r.ParamArns[env] = xs[9+i].(string)
		}
		return r, nil
	}).(pulumi.AnyOutput)
}

// containerDefinition is the one function every task definition uses: they differ only in
// what process says.
func containerDefinition(r resolvedContainer, proc process) ContainerDefinition {
	env := map[string]string{
		"RAILS_ENV":                "production",
		"RAILS_LOG_TO_STDOUT":      "true",
		"RAILS_SERVE_STATIC_FILES": "true",
		"PORT":                     strconv.Itoa(r.Port),
		"DATABASE_ADAPTER":         r.Adapter,
		"DATABASE_HOST":            r.DBHost,
		"DATABASE_PORT":            strconv.Itoa(r.DBPort),
		"DATABASE_NAME":            r.DBName,
		"DATABASE_USERNAME":        r.DBUser,
		"S3_BUCKET":                r.Bucket,
		"AWS_REGION":               r.Region,
		RolloutDigestEnv:           r.RolloutDigest,
	}
	for k, v := range r.AppEnv {
		env[k] = v // validated: never a reserved name
	}
	environment := make([]KeyValue, 0, len(env))
	for k, v := range env {
		environment = append(environment, KeyValue{Name: k, Value: v})
	}
	sort.Slice(environment, func(i, j int) bool { return environment[i].Name < environment[j].Name })

	secrets := []SecretRef{{Name: "DATABASE_PASSWORD", ValueFrom: r.DBSecretArn + ":password::"}}
	for _, env := range slices.Sorted(maps.Keys(r.ParamArns)) {
		secrets = append(secrets, SecretRef{Name: env, ValueFrom: r.ParamArns[env]})
	}
	sort.Slice(secrets, func(i, j int) bool { return secrets[i].Name < secrets[j].Name })

	mounts := []MountPoint{}
	if r.Readonly {
		for _, m := range writableMounts(r.AppRoot) {
			mounts = append(mounts, MountPoint{SourceVolume: m.Volume, ContainerPath: m.Path})
		}
	}
	ports, sysctls := []PortMapping{}, []SystemControl(nil)
	if proc.Listens {
		ports = []PortMapping{{ContainerPort: r.Port, HostPort: r.Port, Protocol: "tcp"}}
		sysctls = unprivilegedPorts(r.Port)
	}
	return ContainerDefinition{
		Name:         ContainerName,
		Image:        r.ImageURI,
		Essential:    true,
		Command:      proc.Command,
		PortMappings: ports,
		Environment:  environment,
		Secrets:      secrets,
		LogConfiguration: LogConfiguration{LogDriver: "awslogs", Options: map[string]string{
			"awslogs-group":         r.LogGroup,
			"awslogs-region":        r.Region,
			"awslogs-stream-prefix": proc.StreamPrefix,
		}},
		ReadonlyRootFilesystem: r.Readonly,
		MountPoints:            mounts,
		LinuxParameters:        &LinuxParameters{InitProcessEnabled: true},
		SystemControls:         sysctls,
		StopTimeout:            proc.StopTimeout,
	}
}

// taskSize is a task definition's CPU (units) and memory (MiB).
type taskSize struct{ CPU, Memory int }

func newTaskDefinition(ctx *pulumi.Context, name, family string, a AppServiceArgs, size taskSize, roles *taskRoles, resolved pulumi.AnyOutput, proc process, parent pulumi.ResourceOption) (*ecs.TaskDefinition, error) {
	defs := resolved.ApplyT(func(v any) (string, error) {
		b, err := json.Marshal([]ContainerDefinition{containerDefinition(v.(resolvedContainer), proc)})
		return string(b), err
	}).(pulumi.StringOutput)
	var volumes ecs.TaskDefinitionVolumeArray
	if *a.ReadonlyRootFilesystem {
		for _, m := range writableMounts(a.AppRoot) {
			volumes = append(volumes, &ecs.TaskDefinitionVolumeArgs{Name: pulumi.String(m.Volume)})
		}
	}
	return ecs.NewTaskDefinition(ctx, name, &ecs.TaskDefinitionArgs{
		Family:                  pulumi.String(family),
		RequiresCompatibilities: pulumi.StringArray{pulumi.String("FARGATE")},
		NetworkMode:             pulumi.String("awsvpc"),
		Cpu:                     pulumi.String(strconv.Itoa(size.CPU)),
		Memory:                  pulumi.String(strconv.Itoa(size.Memory)),
		RuntimePlatform: &ecs.TaskDefinitionRuntimePlatformArgs{
			OperatingSystemFamily: pulumi.String("LINUX"),
			CpuArchitecture:       pulumi.String(string(a.CPUArchitecture)),
		},
		ExecutionRoleArn:     roles.Execution.Arn,
		TaskRoleArn:          roles.Task.Arn,
		ContainerDefinitions: defs,
		Volumes:              volumes,
	}, parent)
}
