package infra

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/appautoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	ecrx "github.com/pulumi/pulumi-awsx/sdk/v2/go/awsx/ecr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	// ContainerName is the one container of the web and migrate task definitions.
	ContainerName = "web"
	// DefaultAppRoot is the Rails 7.1 Dockerfile's WORKDIR.
	DefaultAppRoot = "/rails"
	// PlaceholderImageTag names an image that does not exist yet: the first deploy runs 0 tasks.
	PlaceholderImageTag = "not-pushed-yet"
)

// MigrateCommand is what the one-off migrate task runs.
var MigrateCommand = []string{"bin/rails", "db:migrate"}

// DatabaseEndpoint is what the service needs from a database.
type DatabaseEndpoint struct {
	Host, Name, Username, SecretArn, SecurityGroupID pulumi.StringInput
	Port                                             pulumi.IntInput
	// Adapter is the Rails adapter name: "postgresql" | "mysql2".
	Adapter string
	// DependsOn are resources the service waits for (the RDS instance).
	DependsOn []pulumi.Resource
}

// AppServiceArgs configures NewAppService. Where a zero value is meaningful (counts, 0-second
// delays, false) it is used as given; the config reader supplies environment-aware values.
type AppServiceArgs struct {
	// Account identifies the AWS account, partition and region. Required.
	Account Account
	// VpcID, PublicSubnetIDs (ALB) and PrivateSubnetIDs (tasks) come from the Network. Required.
	VpcID                             pulumi.StringInput
	PublicSubnetIDs, PrivateSubnetIDs pulumi.StringArrayInput
	// Database is where Rails connects; its secret supplies DATABASE_PASSWORD. Required.
	Database DatabaseEndpoint
	// HTTPS makes port 80 redirect to 443 and opens 443 on the ALB; the Domain component adds
	// the 443 listener. Default false (port 80 forwards).
	HTTPS bool
	// ParameterPath is the SSM prefix for this stack's secrets. Default "/<project>/<stack>".
	ParameterPath string
	// Family prefixes the task definition families. Default "<project>-<stack>".
	Family string

	// ImageTag deploys <repositoryUrl>:<ImageTag>. Exclusive with BuildContext.
	ImageTag string
	// BuildContext builds and pushes the image with awsx/ecr.Image. Exclusive with ImageTag.
	// With neither, the service runs 0 tasks and NextStep says how to deploy.
	BuildContext string
	// Dockerfile for BuildContext. Default <BuildContext>/Dockerfile.
	Dockerfile string

	// ContainerPort is where Rails listens (also PORT). Default 80. Valid: 1 to 65535.
	ContainerPort int
	// CPU (units) and Memory (MiB). Default 256 / 512. Valid: the Fargate table (checkFargateSize).
	CPU, Memory int
	// CPUArchitecture of the task. Default ArchX86.
	CPUArchitecture CPUArchitecture
	// AppRoot is the Rails root inside the image; its tmp/ is writable. Default /rails.
	AppRoot string
	// WritableRootFilesystem turns off the read-only root filesystem. Default false.
	WritableRootFilesystem bool

	// DesiredCount tasks run at first deploy. MinCount..MaxCount bound autoscaling, which is on
	// when an image is configured and MaxCount > MinCount; then Pulumi leaves DesiredCount
	// to autoscaling. Valid: 0 ≤ MinCount ≤ DesiredCount ≤ MaxCount, MaxCount ≥ 1.
	DesiredCount, MinCount, MaxCount int
	// CPUTargetPercent is the average CPU to track. Default 60. Valid: 10 to 90.
	CPUTargetPercent int
	// RequestsPerTarget adds ALB request-count tracking per task. Default 0 (off).
	RequestsPerTarget int

	// HealthCheck of the target group; zero fields take the defaults (/up, 10 s, 5 s, 2, 3).
	HealthCheck HealthCheck
	// HealthCheckGraceSeconds lets Rails boot before ALB health counts. Valid: 0 to 3600.
	HealthCheckGraceSeconds int
	// DeregistrationDelaySeconds drains in-flight requests. Valid: 0 to 3600.
	DeregistrationDelaySeconds int
	// IdleTimeoutSeconds of the ALB. Default 60. Valid: 1 to 4000.
	IdleTimeoutSeconds int

	// LogRetentionDays of the app log group. Default 30. Valid: CloudWatchRetentionDays.
	LogRetentionDays int
	// Spot runs tasks on FARGATE_SPOT (dev). Default false.
	Spot bool
	// ContainerInsights turns on cluster metrics. Default false (the config turns it on in prod).
	ContainerInsights bool
	// AllowedCidrs may reach the ALB on 80 (and 443). Default [0.0.0.0/0]. IPv4 only.
	AllowedCidrs []string

	// AppEnv are plain env vars. Names must not be reserved or look secret.
	AppEnv map[string]string
	// AppSecrets are env name -> secret value, stored as SSM SecureStrings.
	AppSecrets map[string]pulumi.StringInput
	// SecretKeyBase for Rails. Default: generated once and kept (see newSecrets).
	SecretKeyBase pulumi.StringInput

	// DeletionProtection protects the ALB and the uploads bucket (prod). Default false.
	DeletionProtection bool
	// ForceDestroy lets destroy empty the bucket and the ECR repository (dev). Default false.
	ForceDestroy bool
	// ImmutableImageTags forbids re-pushing a tag (prod). Default false.
	ImmutableImageTags bool
	// KeepImages is how many images ECR keeps. Default 30. Valid: 1 to 1000.
	KeepImages int
	// MigrateBeforeDeploy runs the migrate task to completion (through a Lambda invoked by
	// `pulumi up`) before the service rolls to a new revision, and fails the deploy when it
	// fails. Ignored while no image is configured. Default false.
	MigrateBeforeDeploy bool
}

// AppService is the Rails app: ECR, an ECS Fargate service behind an ALB, its IAM roles,
// logs, SSM secrets and an S3 uploads bucket.
type AppService struct {
	pulumi.ResourceState

	SecurityGroupID             pulumi.StringOutput `pulumi:"securityGroupId"`
	LoadBalancerArn             pulumi.StringOutput `pulumi:"loadBalancerArn"`
	LoadBalancerDNSName         pulumi.StringOutput `pulumi:"loadBalancerDnsName"`
	LoadBalancerZoneID          pulumi.StringOutput `pulumi:"loadBalancerZoneId"`
	LoadBalancerSecurityGroupID pulumi.StringOutput `pulumi:"loadBalancerSecurityGroupId"`
	TargetGroupArn              pulumi.StringOutput `pulumi:"targetGroupArn"`
	ClusterName                 pulumi.StringOutput `pulumi:"clusterName"`
	ServiceName                 pulumi.StringOutput `pulumi:"serviceName"`
	RepositoryURL               pulumi.StringOutput `pulumi:"repositoryUrl"`
	LogGroupName                pulumi.StringOutput `pulumi:"logGroupName"`
	BucketName                  pulumi.StringOutput `pulumi:"bucketName"`
	// URL is http://<ALB DNS name>; with HTTPS the Domain component's URL replaces it.
	URL pulumi.StringOutput `pulumi:"url"`
	// Image is the image the tasks run.
	Image pulumi.StringOutput `pulumi:"image"`
	// ExecCommand opens a shell in a running task (ECS Exec).
	ExecCommand pulumi.StringOutput `pulumi:"execCommand"`
	// MigrateCommand runs the migrate task definition once.
	MigrateCommand pulumi.StringOutput `pulumi:"migrateCommand"`
	// NextStep says how to push and deploy an image (or deploy the next one).
	NextStep pulumi.StringOutput `pulumi:"nextStep"`
	// DeployedTaskDefinition is the revision the service runs once `pulumi up` has waited for
	// it. Resolving it fails the update when ECS rolled the new revision back (rolloutCheck).
	DeployedTaskDefinition pulumi.StringOutput `pulumi:"deployedTaskDefinition"`

	Service               *ecs.Service
	TaskDefinition        *ecs.TaskDefinition
	MigrateTaskDefinition *ecs.TaskDefinition
	// MigrationRun is the invocation that migrated before this deploy; nil unless
	// MigrateBeforeDeploy is set and an image is configured.
	MigrationRun *lambda.Invocation
	// HasImage is false on the first deploy: the service runs 0 tasks.
	HasImage bool
	// Autoscaling reports whether Application Auto Scaling manages the desired count.
	Autoscaling bool
}

var familyUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// componentName bounds NewAppService's name: the ALB and target group are auto-named
// "<name>-<7 random chars>", and AWS allows them 32 alphanumerics and hyphens.
var componentName = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,22}[A-Za-z0-9])?$`)

func (a *AppServiceArgs) withDefaults(ctx *pulumi.Context) AppServiceArgs {
	out := *a
	if out.ParameterPath == "" {
		out.ParameterPath = "/" + ctx.Project() + "/" + ctx.Stack()
	}
	if out.Family == "" {
		out.Family = familyUnsafe.ReplaceAllString(ctx.Project()+"-"+ctx.Stack(), "-")
	}
	if out.ContainerPort == 0 {
		out.ContainerPort = DefaultContainerPort
	}
	if out.CPU == 0 {
		out.CPU = DefaultCPU
	}
	if out.Memory == 0 {
		out.Memory = DefaultMemory
	}
	if out.CPUArchitecture == "" {
		out.CPUArchitecture = ArchX86
	}
	if out.AppRoot == "" {
		out.AppRoot = DefaultAppRoot
	}
	if out.CPUTargetPercent == 0 {
		out.CPUTargetPercent = DefaultCPUTargetPercent
	}
	out.HealthCheck = out.HealthCheck.withDefaults()
	if out.IdleTimeoutSeconds == 0 {
		out.IdleTimeoutSeconds = DefaultIdleTimeoutSeconds
	}
	if out.LogRetentionDays == 0 {
		out.LogRetentionDays = 30
	}
	if len(out.AllowedCidrs) == 0 {
		out.AllowedCidrs = []string{DefaultAllowedCidr}
	}
	if out.KeepImages == 0 {
		out.KeepImages = DefaultKeepImages
	}
	return out
}

func (a *AppServiceArgs) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if err := a.Account.validate(); err != nil {
		errs = append(errs, err)
	}
	if a.VpcID == nil || a.PublicSubnetIDs == nil || a.PrivateSubnetIDs == nil {
		add("AppServiceArgs: VpcID, PublicSubnetIDs and PrivateSubnetIDs are required")
	}
	d := a.Database
	if d.Host == nil || d.Name == nil || d.Username == nil || d.SecretArn == nil || d.SecurityGroupID == nil || d.Port == nil {
		add("AppServiceArgs.Database: Host, Name, Username, SecretArn, SecurityGroupID and Port are required")
	}
	if d.Adapter != "postgresql" && d.Adapter != "mysql2" {
		add("AppServiceArgs.Database.Adapter %q: must be postgresql or mysql2", d.Adapter)
	}
	if a.ImageTag != "" && a.BuildContext != "" {
		add("AppServiceArgs: ImageTag and BuildContext are exclusive")
	}
	if a.Dockerfile != "" && a.BuildContext == "" {
		add("AppServiceArgs.Dockerfile needs BuildContext")
	}
	if a.ContainerPort < 1 || a.ContainerPort > 65535 {
		add("AppServiceArgs.ContainerPort %d: must be 1 to 65535", a.ContainerPort)
	}
	if reason := checkFargateSize(a.CPU, a.Memory); reason != "" {
		add("AppServiceArgs CPU/Memory: %s", reason)
	}
	if a.CPUArchitecture != ArchX86 && a.CPUArchitecture != ArchARM64 {
		add("AppServiceArgs.CPUArchitecture %q: must be X86_64 or ARM64", a.CPUArchitecture)
	}
	if a.MinCount < 0 || a.MaxCount < 1 || a.MinCount > a.DesiredCount || a.DesiredCount > a.MaxCount {
		add("AppServiceArgs counts min %d / desired %d / max %d: need 0 ≤ min ≤ desired ≤ max, max ≥ 1", a.MinCount, a.DesiredCount, a.MaxCount)
	}
	if a.CPUTargetPercent < 10 || a.CPUTargetPercent > 90 {
		add("AppServiceArgs.CPUTargetPercent %d: must be 10 to 90", a.CPUTargetPercent)
	}
	if a.RequestsPerTarget < 0 {
		add("AppServiceArgs.RequestsPerTarget %d: must be ≥ 0", a.RequestsPerTarget)
	}
	h := a.HealthCheck
	if reason := healthCheckPathProblem(h.Path); reason != "" {
		add("AppServiceArgs.HealthCheck.Path %q: %s", h.Path, reason)
	}
	if h.TimeoutSeconds >= h.IntervalSeconds {
		add("AppServiceArgs.HealthCheck: timeout %d s must be below interval %d s", h.TimeoutSeconds, h.IntervalSeconds)
	}
	if a.HealthCheckGraceSeconds < 0 || a.DeregistrationDelaySeconds < 0 {
		add("AppServiceArgs: HealthCheckGraceSeconds and DeregistrationDelaySeconds must be ≥ 0")
	}
	if !slices.Contains(CloudWatchRetentionDays, a.LogRetentionDays) {
		add("AppServiceArgs.LogRetentionDays %d: not a CloudWatch retention value", a.LogRetentionDays)
	}
	for _, name := range slices.Sorted(maps.Keys(a.AppEnv)) {
		if reason := envNameProblem(name); reason != "" {
			add("AppServiceArgs.AppEnv: %s", reason)
		} else if secretLooking.MatchString(strings.ToUpper(name)) {
			add("AppServiceArgs.AppEnv: %q looks like a secret; use AppSecrets", name)
		} else if reason := envValueProblem(a.AppEnv[name]); reason != "" {
			add("AppServiceArgs.AppEnv: %q %s Use AppSecrets", name, reason)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(a.AppSecrets)) {
		if reason := envNameProblem(name); reason != "" {
			add("AppServiceArgs.AppSecrets: %s", reason)
		}
		if _, dup := a.AppEnv[name]; dup {
			add("AppServiceArgs.AppSecrets: %q is also in AppEnv", name)
		}
	}
	return errors.Join(errs...)
}

// NewAppService builds the app service and everything it runs on.
func NewAppService(ctx *pulumi.Context, name string, args *AppServiceArgs, opts ...pulumi.ResourceOption) (*AppService, error) {
	if args == nil {
		args = &AppServiceArgs{}
	}
	a := args.withDefaults(ctx)
	err := a.validate()
	if !componentName.MatchString(name) {
		err = errors.Join(err, fmt.Errorf("NewAppService name %q: use 1 to 24 letters, digits and inner hyphens, so the auto-named load balancer and target group stay within 32 characters", name))
	}
	if err != nil {
		return nil, err
	}
	svc := &AppService{HasImage: a.ImageTag != "" || a.BuildContext != ""}
	svc.Autoscaling = svc.HasImage && a.MaxCount > a.MinCount
	if err := ctx.RegisterComponentResource("rails-infra:infra:AppService", name, svc, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(svc)

	repo, err := newRepository(ctx, name, a, parent)
	if err != nil {
		return nil, err
	}
	svc.RepositoryURL = repo.RepositoryUrl
	if svc.Image, err = imageURI(ctx, name, a, repo, parent); err != nil {
		return nil, err
	}

	bucket, err := newUploadsBucket(ctx, name+"-uploads", bucketArgs{ForceDestroy: a.ForceDestroy, Protect: a.DeletionProtection}, parent)
	if err != nil {
		return nil, err
	}
	secrets, err := newSecrets(ctx, name+"-secret", secretsArgs{
		Path: a.ParameterPath, SecretKeyBase: a.SecretKeyBase, AppSecrets: a.AppSecrets,
	}, parent)
	if err != nil {
		return nil, err
	}
	logs, err := cloudwatch.NewLogGroup(ctx, name, &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(a.LogRetentionDays),
	}, parent)
	if err != nil {
		return nil, err
	}
	roles, err := newTaskRoles(ctx, name, a.Account, a.ParameterPath, a.Database.SecretArn, bucket.Arn, logs.Arn, parent)
	if err != nil {
		return nil, err
	}

	sgs, err := newSecurityGroups(ctx, name, securityGroupArgs{
		VpcID: a.VpcID, AllowedCidrs: a.AllowedCidrs, HTTPS: a.HTTPS, ContainerPort: a.ContainerPort,
		DBPort: a.Database.Port, DBSecurityGroupID: a.Database.SecurityGroupID,
	}, parent)
	if err != nil {
		return nil, err
	}
	alb, err := newLoadBalancer(ctx, name, loadBalancerArgs{
		VpcID: a.VpcID, PublicSubnetIDs: a.PublicSubnetIDs, SecurityGroupID: sgs.ALB.ID(), HTTPS: a.HTTPS,
		ContainerPort: a.ContainerPort, HealthCheck: a.HealthCheck, DeregistrationDelaySeconds: a.DeregistrationDelaySeconds,
		IdleTimeoutSeconds: a.IdleTimeoutSeconds, DeletionProtection: a.DeletionProtection,
	}, parent)
	if err != nil {
		return nil, err
	}

	cluster, providers, err := newCluster(ctx, name, a, parent)
	if err != nil {
		return nil, err
	}

	in := containerInputs{
		Image: svc.Image, Port: a.ContainerPort, Region: a.Account.Region, Adapter: a.Database.Adapter,
		AppRoot: a.AppRoot, Readonly: !a.WritableRootFilesystem, AppEnv: a.AppEnv,
	}
	resolved := resolveContainerInputs(in, a.Database, bucket.ID().ToStringOutput(), logs.Name, secrets)
	svc.TaskDefinition, err = newTaskDefinition(ctx, name, a.Family+"-web", a, roles, resolved, "web", nil, parent)
	if err != nil {
		return nil, err
	}
	svc.MigrateTaskDefinition, err = newTaskDefinition(ctx, name+"-migrate", a.Family+"-migrate", a, roles, resolved, "migrate", MigrateCommand, parent)
	if err != nil {
		return nil, err
	}

	capacity := "FARGATE"
	if a.Spot {
		capacity = "FARGATE_SPOT"
	}
	desired := a.DesiredCount
	if !svc.HasImage {
		desired = 0
	}
	deps := append([]pulumi.Resource{providers}, a.Database.DependsOn...)
	deps = append(deps, alb.Routes...)
	deps = append(deps, roles.Grants...)
	if a.MigrateBeforeDeploy && svc.HasImage {
		svc.MigrationRun, err = newMigrationRunner(ctx, name+"-migrate-runner", migrationArgs{
			Account: a.Account, Family: a.Family + "-migrate", LogRetentionDays: a.LogRetentionDays,
			ClusterArn: cluster.Arn, ClusterName: cluster.Name, TaskDefinition: svc.MigrateTaskDefinition.Arn,
			Subnets: a.PrivateSubnetIDs, SecurityGroup: sgs.App.ID().ToStringOutput(),
			ExecutionRole: roles.Execution.Arn, TaskRole: roles.Task.Arn, AppLogGroup: logs.Name, StreamPrefix: "migrate",
		}, parent)
		if err != nil {
			return nil, err
		}
		// The service rolls only after the migration succeeded.
		deps = append(deps, svc.MigrationRun)
	}
	serviceOpts := []pulumi.ResourceOption{parent, pulumi.DependsOn(deps)}
	if svc.Autoscaling {
		// Application Auto Scaling owns the running count; re-applying the config value on
		// every `pulumi up` would undo its scaling.
		serviceOpts = append(serviceOpts, pulumi.IgnoreChanges([]string{"desiredCount"}))
	}
	service, err := ecs.NewService(ctx, name, &ecs.ServiceArgs{
		Cluster:        cluster.Arn,
		TaskDefinition: svc.TaskDefinition.Arn,
		DesiredCount:   pulumi.Int(desired),
		// Always one strategy block, so toggling spot is an in-place update (forceNewDeployment)
		// rather than a replacement (launchType <-> strategy).
		CapacityProviderStrategies: ecs.ServiceCapacityProviderStrategyArray{&ecs.ServiceCapacityProviderStrategyArgs{
			CapacityProvider: pulumi.String(capacity), Weight: pulumi.Int(1),
		}},
		ForceNewDeployment:            pulumi.Bool(true),
		PlatformVersion:               pulumi.String("LATEST"),
		EnableExecuteCommand:          pulumi.Bool(true),
		PropagateTags:                 pulumi.String("SERVICE"),
		EnableEcsManagedTags:          pulumi.Bool(true),
		HealthCheckGracePeriodSeconds: pulumi.Int(a.HealthCheckGraceSeconds),
		DeploymentCircuitBreaker: &ecs.ServiceDeploymentCircuitBreakerArgs{
			Enable: pulumi.Bool(true), Rollback: pulumi.Bool(true),
		},
		DeploymentMinimumHealthyPercent: pulumi.Int(100),
		DeploymentMaximumPercent:        pulumi.Int(200),
		// `pulumi up` fails when the new version never turns healthy.
		WaitForSteadyState: pulumi.Bool(true),
		LoadBalancers: ecs.ServiceLoadBalancerArray{&ecs.ServiceLoadBalancerArgs{
			TargetGroupArn: alb.TargetGroup.Arn,
			ContainerName:  pulumi.String(ContainerName),
			ContainerPort:  pulumi.Int(a.ContainerPort),
		}},
		NetworkConfiguration: &ecs.ServiceNetworkConfigurationArgs{
			Subnets:        a.PrivateSubnetIDs,
			SecurityGroups: pulumi.StringArray{sgs.App.ID()},
			AssignPublicIp: pulumi.Bool(false),
		},
	}, serviceOpts...)
	if err != nil {
		return nil, err
	}
	svc.Service = service
	if err := newRestartOnRotation(ctx, name, a.Account, a.Database.SecretArn, cluster, service, parent); err != nil {
		return nil, err
	}

	if svc.Autoscaling {
		if err := newAutoscaling(ctx, name, a, cluster, service, alb, parent); err != nil {
			return nil, err
		}
	}

	svc.SecurityGroupID = sgs.App.ID().ToStringOutput()
	svc.LoadBalancerSecurityGroupID = sgs.ALB.ID().ToStringOutput()
	svc.LoadBalancerArn = alb.LB.Arn
	svc.LoadBalancerDNSName = alb.LB.DnsName
	svc.LoadBalancerZoneID = alb.LB.ZoneId
	svc.TargetGroupArn = alb.TargetGroup.Arn
	svc.ClusterName = cluster.Name
	svc.ServiceName = service.Name
	svc.LogGroupName = logs.Name
	svc.BucketName = bucket.ID().ToStringOutput()
	svc.URL = pulumi.Sprintf("http://%s", alb.LB.DnsName)
	region := a.Account.Region
	svc.ExecCommand = pulumi.Sprintf(
		`aws ecs execute-command --region %s --cluster %s --task "$(aws ecs list-tasks --region %s --cluster %s --service-name %s --desired-status RUNNING --query 'taskArns[0]' --output text)" --container %s --interactive --command "/bin/sh"`,
		region, cluster.Name, region, cluster.Name, service.Name, ContainerName)
	// The family, not family:N, so the command always runs the newest revision.
	svc.MigrateCommand = runTaskCommand(region, cluster.Name, svc.MigrateTaskDefinition.Family, a.PrivateSubnetIDs, sgs.App.ID().ToStringOutput())
	svc.NextStep = nextStep(svc.HasImage, a, repo.RepositoryUrl, svc.Image, cluster.Name, service.Name)
	svc.DeployedTaskDefinition = rolloutCheck(region, svc.TaskDefinition.Arn, service.TaskDefinition, cluster.Name, service.Name, logs.Name)

	if err := ctx.RegisterResourceOutputs(svc, pulumi.Map{
		"securityGroupId":             svc.SecurityGroupID,
		"loadBalancerArn":             svc.LoadBalancerArn,
		"loadBalancerDnsName":         svc.LoadBalancerDNSName,
		"loadBalancerZoneId":          svc.LoadBalancerZoneID,
		"loadBalancerSecurityGroupId": svc.LoadBalancerSecurityGroupID,
		"targetGroupArn":              svc.TargetGroupArn,
		"clusterName":                 svc.ClusterName,
		"serviceName":                 svc.ServiceName,
		"repositoryUrl":               svc.RepositoryURL,
		"logGroupName":                svc.LogGroupName,
		"bucketName":                  svc.BucketName,
		"url":                         svc.URL,
		"image":                       svc.Image,
		"execCommand":                 svc.ExecCommand,
		"migrateCommand":              svc.MigrateCommand,
		"nextStep":                    svc.NextStep,
		"deployedTaskDefinition":      svc.DeployedTaskDefinition,
	}); err != nil {
		return nil, err
	}
	return svc, nil
}

// ecrLifecyclePolicy expires untagged images after a day and keeps the newest keep images.
type ecrLifecyclePolicy struct {
	Rules []ecrLifecycleRule `json:"rules"`
}

type ecrLifecycleRule struct {
	RulePriority int                `json:"rulePriority"`
	Description  string             `json:"description"`
	Selection    ecrLifecycleSelect `json:"selection"`
	Action       map[string]string  `json:"action"`
}

type ecrLifecycleSelect struct {
	TagStatus   string `json:"tagStatus"`
	CountType   string `json:"countType"`
	CountUnit   string `json:"countUnit,omitempty"`
	CountNumber int    `json:"countNumber"`
}

func lifecyclePolicy(keep int) (string, error) {
	b, err := json.Marshal(ecrLifecyclePolicy{Rules: []ecrLifecycleRule{
		{
			RulePriority: 1, Description: "Expire untagged images after 1 day",
			Selection: ecrLifecycleSelect{TagStatus: "untagged", CountType: "sinceImagePushed", CountUnit: "days", CountNumber: 1},
			Action:    map[string]string{"type": "expire"},
		},
		{
			// "any" must be the lowest-priority rule.
			RulePriority: 2, Description: fmt.Sprintf("Keep the newest %d images", keep),
			Selection: ecrLifecycleSelect{TagStatus: "any", CountType: "imageCountMoreThan", CountNumber: keep},
			Action:    map[string]string{"type": "expire"},
		},
	}})
	return string(b), err
}

func newRepository(ctx *pulumi.Context, name string, a AppServiceArgs, parent pulumi.ResourceOption) (*ecr.Repository, error) {
	mutability := "MUTABLE"
	if a.ImmutableImageTags {
		mutability = "IMMUTABLE"
	}
	repo, err := ecr.NewRepository(ctx, name, &ecr.RepositoryArgs{
		ImageTagMutability:         pulumi.String(mutability),
		ImageScanningConfiguration: &ecr.RepositoryImageScanningConfigurationArgs{ScanOnPush: pulumi.Bool(true)},
		EncryptionConfigurations: ecr.RepositoryEncryptionConfigurationArray{&ecr.RepositoryEncryptionConfigurationArgs{
			EncryptionType: pulumi.String("AES256"),
		}},
		ForceDelete: pulumi.Bool(a.ForceDestroy),
	}, parent)
	if err != nil {
		return nil, err
	}
	policy, err := lifecyclePolicy(a.KeepImages)
	if err != nil {
		return nil, err
	}
	if _, err := ecr.NewLifecyclePolicy(ctx, name, &ecr.LifecyclePolicyArgs{
		Repository: repo.Name,
		Policy:     pulumi.String(policy),
	}, parent); err != nil {
		return nil, err
	}
	return repo, nil
}

// imageURI is the configured tag, a local build, or a placeholder that is never pulled
// (0 tasks) until an image is configured.
func imageURI(ctx *pulumi.Context, name string, a AppServiceArgs, repo *ecr.Repository, parent pulumi.ResourceOption) (pulumi.StringOutput, error) {
	switch {
	case a.ImageTag != "":
		return pulumi.Sprintf("%s:%s", repo.RepositoryUrl, a.ImageTag), nil
	case a.BuildContext != "":
		dockerfile := a.Dockerfile
		if dockerfile == "" {
			dockerfile = strings.TrimSuffix(a.BuildContext, "/") + "/Dockerfile"
		}
		img, err := ecrx.NewImage(ctx, name, &ecrx.ImageArgs{
			RepositoryUrl: repo.RepositoryUrl,
			Context:       pulumi.String(a.BuildContext),
			Dockerfile:    pulumi.String(dockerfile),
			Platform:      pulumi.String(a.CPUArchitecture.DockerPlatform()),
			// PLATFORM feeds rails/Dockerfile's FROM --platform, which otherwise defaults to amd64.
			Args: pulumi.StringMap{"RAILS_ENV": pulumi.String("production"), "PLATFORM": pulumi.String(a.CPUArchitecture.DockerPlatform())},
		}, parent)
		if err != nil {
			return pulumi.StringOutput{}, err
		}
		return img.ImageUri, nil
	}
	return pulumi.Sprintf("%s:%s", repo.RepositoryUrl, PlaceholderImageTag), nil
}

func newCluster(ctx *pulumi.Context, name string, a AppServiceArgs, parent pulumi.ResourceOption) (*ecs.Cluster, *ecs.ClusterCapacityProviders, error) {
	insights := "disabled"
	if a.ContainerInsights {
		insights = "enabled"
	}
	cluster, err := ecs.NewCluster(ctx, name, &ecs.ClusterArgs{
		Settings: ecs.ClusterSettingArray{&ecs.ClusterSettingArgs{
			Name: pulumi.String("containerInsights"), Value: pulumi.String(insights),
		}},
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	providers, err := ecs.NewClusterCapacityProviders(ctx, name, &ecs.ClusterCapacityProvidersArgs{
		ClusterName:       cluster.Name,
		CapacityProviders: pulumi.StringArray{pulumi.String("FARGATE"), pulumi.String("FARGATE_SPOT")},
		DefaultCapacityProviderStrategies: ecs.ClusterCapacityProvidersDefaultCapacityProviderStrategyArray{
			&ecs.ClusterCapacityProvidersDefaultCapacityProviderStrategyArgs{CapacityProvider: pulumi.String("FARGATE"), Weight: pulumi.Int(1)},
		},
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	return cluster, providers, nil
}

func newAutoscaling(ctx *pulumi.Context, name string, a AppServiceArgs, cluster *ecs.Cluster, service *ecs.Service, alb *loadBalancer, parent pulumi.ResourceOption) error {
	target, err := appautoscaling.NewTarget(ctx, name, &appautoscaling.TargetArgs{
		ServiceNamespace:  pulumi.String("ecs"),
		ScalableDimension: pulumi.String("ecs:service:DesiredCount"),
		ResourceId:        pulumi.Sprintf("service/%s/%s", cluster.Name, service.Name),
		MinCapacity:       pulumi.Int(a.MinCount),
		MaxCapacity:       pulumi.Int(a.MaxCount),
	}, parent)
	if err != nil {
		return err
	}
	policy := func(suffix string, spec *appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs, value int) error {
		_, err := appautoscaling.NewPolicy(ctx, name+"-"+suffix, &appautoscaling.PolicyArgs{
			PolicyType:        pulumi.String("TargetTrackingScaling"),
			ServiceNamespace:  target.ServiceNamespace,
			ScalableDimension: target.ScalableDimension,
			ResourceId:        target.ResourceId,
			TargetTrackingScalingPolicyConfiguration: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs{
				PredefinedMetricSpecification: spec,
				TargetValue:                   pulumi.Float64(float64(value)),
				ScaleOutCooldown:              pulumi.Int(60),
				ScaleInCooldown:               pulumi.Int(300),
			},
		}, parent)
		return err
	}
	if err := policy("cpu", &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs{
		PredefinedMetricType: pulumi.String("ECSServiceAverageCPUUtilization"),
	}, a.CPUTargetPercent); err != nil {
		return err
	}
	if a.RequestsPerTarget > 0 {
		return policy("requests", &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs{
			PredefinedMetricType: pulumi.String("ALBRequestCountPerTarget"),
			ResourceLabel:        pulumi.Sprintf("%s/%s", alb.LB.ArnSuffix, alb.TargetGroup.ArnSuffix),
		}, a.RequestsPerTarget)
	}
	return nil
}

// rolloutCheck resolves to the task definition the service runs after `pulumi up`, and fails
// when that is not the one requested. waitForSteadyState alone cannot catch a failed rollout:
// the circuit breaker rolls back to the previous revision, the service turns stable on it and
// the provider reports success (hashicorp/terraform-provider-aws#20858). After the wait the
// provider reads the service's current task definition back, so a mismatch means ECS rejected
// the new revision; failing here makes `pulumi up` exit non-zero, as CI needs.
func rolloutCheck(region string, requested pulumi.StringOutput, running pulumi.StringPtrOutput, cluster, service, logGroup pulumi.StringOutput) pulumi.StringOutput {
	return pulumi.All(requested, running, cluster, service, logGroup).ApplyT(func(xs []any) (string, error) {
		want := xs[0].(string)
		got := ""
		if p, _ := xs[1].(*string); p != nil {
			got = *p
		}
		return checkRollout(region, want, got, xs[2].(string), xs[3].(string), xs[4].(string))
	}).(pulumi.StringOutput)
}

// checkRollout is rolloutCheck's decision, on plain values.
func checkRollout(region, want, got, cluster, service, logGroup string) (string, error) {
	if got == want {
		return got, nil
	}
	return "", fmt.Errorf("the service did not roll out %s: ECS runs %s instead, because the deployment circuit breaker "+
		"rolled back new tasks that never turned healthy. See why with: aws ecs describe-services --region %s --cluster %s --services %s "+
		"--query 'services[0].events[:10]' and aws logs tail %s --region %s --since 30m. Fix the image or its config and run pulumi up again",
		want, got, region, cluster, service, logGroup, region)
}

// runTaskCommand is the exact AWS CLI call that runs the migrate task once, on FARGATE (not
// spot: a migration must not be interrupted), in the private subnets with the app's SG.
func runTaskCommand(region string, cluster, taskDef pulumi.StringInput, subnets pulumi.StringArrayInput, sg pulumi.StringInput) pulumi.StringOutput {
	overrides, _ := json.Marshal(map[string]any{"containerOverrides": []map[string]any{{"name": ContainerName, "command": MigrateCommand}}})
	return pulumi.All(cluster, taskDef, subnets, sg).ApplyT(func(xs []any) string {
		return fmt.Sprintf("aws ecs run-task --region %s --cluster %s --task-definition %s"+
			" --capacity-provider-strategy capacityProvider=FARGATE,weight=1 --platform-version LATEST"+
			" --network-configuration 'awsvpcConfiguration={subnets=[%s],securityGroups=[%s],assignPublicIp=DISABLED}'"+
			" --overrides '%s' --started-by %s --query 'tasks[0].taskArn' --output text",
			region, xs[0], xs[1], strings.Join(xs[2].([]string), ","), xs[3], overrides, MigrateStartedBy)
	}).(pulumi.StringOutput)
}

// nextStep tells the user what to do next. On the first image deploy, Application Auto
// Scaling (registered after the service) raises the 0-task service to minCount, so
// `pulumi up` cannot wait for those first tasks: the message adds an explicit wait.
func nextStep(hasImage bool, a AppServiceArgs, repoURL, image, cluster, service pulumi.StringOutput) pulumi.StringOutput {
	platform := a.CPUArchitecture.DockerPlatform()
	return pulumi.All(repoURL, image, cluster, service).ApplyT(func(xs []any) string {
		repo := xs[0].(string)
		registry := repo[:max(strings.Index(repo, "/"), 0)]
		// Paste-ready from the app's directory: TAG is the commit, and PLATFORM matches cpuArchitecture.
		push := fmt.Sprintf("TAG=$(git rev-parse --short HEAD) && "+
			"aws ecr get-login-password --region %s | docker login --username AWS --password-stdin %s && "+
			"docker build --platform %s --build-arg PLATFORM=%s --build-arg RAILS_ENV=production -t %s:$TAG . && docker push %s:$TAG && "+
			"pulumi config set imageTag $TAG && pulumi up",
			a.Account.Region, registry, platform, platform, repo, repo)
		if !hasImage {
			return fmt.Sprintf("No image is configured, so the service runs 0 tasks. Push the first image and deploy it: %s && "+
				"aws ecs wait services-stable --region %s --cluster %s --services %s", push, a.Account.Region, xs[2], xs[3])
		}
		migrations := "Run migrations with the migrateCommand output."
		if a.MigrateBeforeDeploy {
			migrations = "pulumi up runs the migrations before the service rolls (migrateBeforeDeploy)."
		}
		if a.BuildContext != "" {
			return fmt.Sprintf("Running %s, built from %s on every pulumi up (needs Docker on this machine). %s", xs[1], a.BuildContext, migrations)
		}
		return fmt.Sprintf("Running %s. Deploy a new version: %s. %s", xs[1], push, migrations)
	}).(pulumi.StringOutput)
}
