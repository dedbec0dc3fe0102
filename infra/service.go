package infra

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The app service's files: service_args.go (settings, defaults, rules), this file (the
// component and its build steps), service_image.go (ECR, image, next step), service_cluster.go
// (cluster, autoscaling, rollout check), service_loadbalancer.go, service_taskdef.go,
// service_secrets.go, service_storage.go, service_migration.go, service_rotation.go and
// service_target.go (what the Domain gets).

const (
	// ContainerName is the one container of the web and migrate task definitions.
	ContainerName = "web"
	// DefaultAppRoot is the Rails 7.1 Dockerfile's WORKDIR.
	DefaultAppRoot = "/rails"
	// PlaceholderImageTag names an image that does not exist yet: the task definitions name it
	// until an image is configured, and no ECS service runs them.
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
	// Allow admits the tasks' security group to the database (Database.AllowFrom) and returns
	// the rule: NewAppService calls it once that group exists, and the migration run and the
	// service wait for the rule. Nil when the caller grants access another way.
	Allow func(ctx *pulumi.Context, appSG pulumi.StringOutput) (pulumi.Resource, error)
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
	// LoadBalancerArnSuffix and TargetGroupArnSuffix are the CloudWatch dimension values of the
	// ALB's metrics (LoadBalancer=app/<name>/<id>, TargetGroup=targetgroup/<name>/<id>).
	LoadBalancerArnSuffix pulumi.StringOutput `pulumi:"loadBalancerArnSuffix"`
	TargetGroupArnSuffix  pulumi.StringOutput `pulumi:"targetGroupArnSuffix"`
	ClusterName           pulumi.StringOutput `pulumi:"clusterName"`
	ServiceName           pulumi.StringOutput `pulumi:"serviceName"`
	RepositoryURL         pulumi.StringOutput `pulumi:"repositoryUrl"`
	LogGroupName          pulumi.StringOutput `pulumi:"logGroupName"`
	BucketName            pulumi.StringOutput `pulumi:"bucketName"`
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

	// Service is nil until an image is configured (HasImage). ServiceName, ExecCommand and
	// DeployedTaskDefinition are then unset.
	Service               *ecs.Service
	TaskDefinition        *ecs.TaskDefinition
	MigrateTaskDefinition *ecs.TaskDefinition
	// MigrationRun is the invocation that migrated before this deploy; nil unless
	// MigrateBeforeDeploy is set and an image is configured.
	MigrationRun *lambda.Invocation
	// HasImage is false until an image is configured: no ECS service exists yet, so the first
	// image creates it at DesiredCount, and `pulumi up` waits for those tasks to turn healthy.
	HasImage bool
	// WorkerNames are the configured workers, sorted; Workers holds each one's task definition,
	// and from the first image on its service and outputs.
	WorkerNames []string
	Workers     map[string]*Worker
	// Schedules is nil without schedules; see Schedules.
	Schedules *Schedules
	// Autoscaling reports whether Application Auto Scaling manages the desired count.
	Autoscaling bool

	// healthCheckPath and httpListenerArn are handed to the Domain with Target().
	healthCheckPath string
	httpListenerArn pulumi.StringOutput
	// watch is what Watch() hands monitoring beyond the outputs (service_watch.go).
	watch serviceWatchSettings
}

var familyUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// componentName bounds NewAppService's name: the ALB and target group are auto-named
// "<name>-<7 random chars>", and AWS allows them 32 alphanumerics and hyphens.
var componentName = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,22}[A-Za-z0-9])?$`)

// Target is what the Domain needs from the service: the ALB, the target group its HTTPS
// listener forwards to, and the health check path that stays reachable without login.
func (s *AppService) Target() AppTarget {
	return AppTarget{
		LoadBalancerArn:             s.LoadBalancerArn,
		LoadBalancerDNSName:         s.LoadBalancerDNSName,
		LoadBalancerZoneID:          s.LoadBalancerZoneID,
		LoadBalancerSecurityGroupID: s.LoadBalancerSecurityGroupID,
		TargetGroupArn:              s.TargetGroupArn,
		HTTPListenerArn:             s.httpListenerArn,
		HealthCheckPath:             s.healthCheckPath,
	}
}

// wiringProblems checks what the caller wires in rather than configures.
func (a *AppServiceArgs) wiringProblems(name string) error {
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
	errs = append(errs, a.cacheWiringProblems()...)
	if !componentName.MatchString(name) {
		add("NewAppService name %q: use 1 to 24 letters, digits and inner hyphens, so the auto-named load balancer and target group stay within 32 characters", name)
	}
	// The longest auto-name: a schedule's failure rule, <name>-schedule-<schedule>-failed-xxxxxxx,
	// within EventBridge's 64 characters.
	for sched := range a.Schedules {
		if n := len(name+"-schedule-"+sched+"-failed-") + 7; n > 64 {
			add("NewAppService name %q with schedule %q: the failure rule's auto-name would be %d characters, over EventBridge's 64; use a shorter component or schedule name", name, sched, n)
		}
	}
	return errors.Join(errs...)
}

// appServiceBuild carries one NewAppService call from step to step.
type appServiceBuild struct {
	ctx    *pulumi.Context
	name   string
	a      AppServiceArgs
	svc    *AppService
	parent pulumi.ResourceOption

	repo       *ecr.Repository
	bucket     *s3.BucketV2
	secrets    *stackSecrets
	logs       *cloudwatch.LogGroup
	roles      *taskRoles
	sgs        *securityGroups
	alb        *loadBalancer
	ecsCluster *ecs.Cluster
	providers  *ecs.ClusterCapacityProviders
	// dbAccess are the data stores' ingress rules for the tasks: the database's (nil without
	// Database.Allow) and the cache's (connectCache).
	dbAccess []pulumi.Resource
	// serviceDeps is what web and every worker wait for: the tasks' prerequisites and the migration.
	serviceDeps []pulumi.Resource
	// scheduleDeps is what the schedules wait for: serviceDeps and the scheduler role's grant.
	scheduleDeps     []pulumi.Resource
	failureLogPolicy *cloudwatch.LogResourcePolicy
}

// NewAppService builds the app service and everything it runs on, in this order (the order
// resources are registered in).
func NewAppService(ctx *pulumi.Context, name string, args *AppServiceArgs, opts ...pulumi.ResourceOption) (*AppService, error) {
	if args == nil {
		args = &AppServiceArgs{}
	}
	a := *args
	a.defaults()
	if err := errors.Join(a.wiringProblems(name), argsError("AppServiceArgs", a.problems())); err != nil {
		return nil, err
	}
	if a.ParameterPath == "" {
		a.ParameterPath = "/" + ctx.Project() + "/" + ctx.Stack()
	}
	if a.Family == "" {
		a.Family = familyUnsafe.ReplaceAllString(ctx.Project()+"-"+ctx.Stack(), "-")
	}
	svc := &AppService{HasImage: a.HasImage(), healthCheckPath: a.HealthCheckPath, watch: watchSettings(a)}
	svc.Autoscaling = svc.HasImage && a.MaxCount > *a.MinCount
	if err := ctx.RegisterComponentResource("rails-infra:infra:AppService", name, svc, opts...); err != nil {
		return nil, err
	}
	b := &appServiceBuild{ctx: ctx, name: name, a: a, svc: svc, parent: pulumi.Parent(svc)}
	for _, step := range []func() error{
		b.image,           // ECR repository, and the image the tasks run
		b.storage,         // uploads bucket and SSM secrets
		b.logsAndRoles,    // log group, execution and task roles
		b.loadBalancer,    // security groups, ALB, target group, listener
		b.connectCache,    // REDIS_URL secret, its grant, egress and ingress (with a cache)
		b.cluster,         // cluster with FARGATE and FARGATE_SPOT
		b.taskDefinitions, // web and migrate
		b.service,         // with an image: migrate first (optional), then the ECS service
		b.workers,         // with an image: a service per worker, after the migration too
		b.restartOnRotation,
		b.autoscaling,
		b.schedules, // with an image: EventBridge Scheduler, its role, DLQ and failure rules
		b.outputs,
	} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return svc, nil
}

func (b *appServiceBuild) image() error {
	var err error
	if b.repo, err = newRepository(b.ctx, b.name, b.a, b.parent); err != nil {
		return err
	}
	b.svc.RepositoryURL = b.repo.RepositoryUrl
	b.svc.Image, err = imageURI(b.ctx, b.name, b.a, b.repo, b.parent)
	return err
}

func (b *appServiceBuild) storage() error {
	a, p := b.a, ProfileOf(b.a.Environment)
	var err error
	if b.bucket, err = newUploadsBucket(b.ctx, b.name+"-uploads", bucketArgs{ForceDestroy: !p.Protect, Protect: p.Protect}, b.parent); err != nil {
		return err
	}
	b.secrets, err = newSecrets(b.ctx, b.name+"-secret", secretsArgs{
		Path: a.ParameterPath, SecretKeyBase: a.SecretKeyBase, AppSecrets: a.AppSecrets,
	}, b.parent)
	return err
}

func (b *appServiceBuild) logsAndRoles() error {
	a := b.a
	var err error
	b.logs, err = cloudwatch.NewLogGroup(b.ctx, b.name, &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(a.LogRetentionDays),
	}, b.parent)
	if err != nil {
		return err
	}
	b.roles, err = newTaskRoles(b.ctx, b.name, a.Account, a.ParameterPath, a.Database.SecretArn, b.bucket.Arn, b.logs.Arn, b.parent)
	return err
}

func (b *appServiceBuild) loadBalancer() error {
	a := b.a
	var err error
	b.sgs, err = newSecurityGroups(b.ctx, b.name, securityGroupArgs{
		VpcID: a.VpcID, AllowedCidrs: a.AllowedCidrs, HTTPS: a.HTTPS, ContainerPort: a.ContainerPort,
		DBPort: a.Database.Port, DBSecurityGroupID: a.Database.SecurityGroupID,
	}, b.parent)
	if err != nil {
		return err
	}
	if allow := a.Database.Allow; allow != nil {
		rule, err := allow(b.ctx, b.sgs.App.ID().ToStringOutput())
		if err != nil {
			return err
		}
		b.dbAccess = []pulumi.Resource{rule}
	}
	b.alb, err = newLoadBalancer(b.ctx, b.name, loadBalancerArgs{
		VpcID: a.VpcID, PublicSubnetIDs: a.PublicSubnetIDs, SecurityGroupID: b.sgs.ALB.ID(), HTTPS: a.HTTPS,
		ContainerPort: a.ContainerPort,
		HealthCheck: healthCheck{
			Path: a.HealthCheckPath, IntervalSeconds: a.HealthCheckIntervalSeconds, TimeoutSeconds: a.HealthCheckTimeoutSeconds,
			HealthyThreshold: a.HealthyThreshold, UnhealthyThreshold: a.UnhealthyThreshold,
		},
		DeregistrationDelaySeconds: *a.DeregistrationDelaySeconds,
		IdleTimeoutSeconds:         a.IdleTimeoutSeconds,
		DeletionProtection:         ProfileOf(a.Environment).Protect,
		AccessLogs:                 accessLogsArgs{Account: a.Account, Protect: ProfileOf(a.Environment).Protect, ExpireDays: ProfileOf(a.Environment).AlbAccessLogDays},
	}, b.parent)
	return err
}

func (b *appServiceBuild) cluster() error {
	var err error
	b.ecsCluster, b.providers, err = newCluster(b.ctx, b.name, b.a, b.parent)
	return err
}

func (b *appServiceBuild) taskDefinitions() error {
	a := b.a
	in := containerInputs{
		Image: b.svc.Image, Port: a.ContainerPort, Region: a.Account.Region, Adapter: a.Database.Adapter,
		AppRoot: a.AppRoot, Readonly: *a.ReadonlyRootFilesystem, AppEnv: a.AppEnv,
	}
	resolved := resolveContainerInputs(in, a.Database, b.bucket.ID().ToStringOutput(), b.logs.Name, b.secrets)
	var err error
	web := taskSize{CPU: a.CPU, Memory: a.Memory}
	b.svc.TaskDefinition, err = newTaskDefinition(b.ctx, b.name, a.Family+"-web", a, web, b.roles, resolved,
		process{StreamPrefix: "web", Listens: true}, b.parent)
	if err != nil {
		return err
	}
	b.svc.MigrateTaskDefinition, err = newTaskDefinition(b.ctx, b.name+"-migrate", a.Family+"-migrate", a, web, b.roles, resolved,
		process{StreamPrefix: "migrate", Command: MigrateCommand, Listens: true}, b.parent)
	if err != nil {
		return err
	}
	if err := b.workerTaskDefinitions(resolved); err != nil {
		return err
	}
	return b.scheduleTaskDefinition(resolved)
}

// service registers the ECS service once an image is configured; with MigrateBeforeDeploy it
// waits for the migration first.
//
// Without an image there is no service at all, rather than one at 0 tasks: ECS would call a
// 0-task service steady at once, and Application Auto Scaling would later raise it to minCount
// outside any deployment, so neither the circuit breaker nor `pulumi up` would see the first
// real tasks. Created with the first image, the service starts DesiredCount tasks as its first
// deployment, which WaitForSteadyState and the circuit breaker gate.
func (b *appServiceBuild) service() error {
	a, svc := b.a, b.svc
	if !svc.HasImage {
		return nil
	}
	// A task needs its egress rules and the database's ingress rule to start, and RunTask
	// and the service need the cluster's capacity providers.
	ready := append([]pulumi.Resource{b.providers}, b.dbAccess...)
	ready = append(ready, b.sgs.AppEgress...)
	deps := append(append([]pulumi.Resource{}, ready...), a.Database.DependsOn...)
	deps = append(deps, b.alb.Routes...)
	deps = append(deps, b.roles.Grants...)
	if a.MigrateBeforeDeploy {
		var err error
		svc.MigrationRun, err = newMigrationRunner(b.ctx, b.name+"-migrate-runner", migrationArgs{
			Account: a.Account, Family: a.Family + "-migrate", LogRetentionDays: a.LogRetentionDays,
			ClusterArn: b.ecsCluster.Arn, ClusterName: b.ecsCluster.Name, TaskDefinition: svc.MigrateTaskDefinition.Arn,
			Subnets: a.PrivateSubnetIDs, SecurityGroup: b.sgs.App.ID().ToStringOutput(),
			ExecutionRole: b.roles.Execution.Arn, TaskRole: b.roles.Task.Arn, AppLogGroup: b.logs.Name, StreamPrefix: "migrate",
			DependsOn: ready,
		}, b.parent)
		if err != nil {
			return err
		}
		// Web and every worker roll only after the migration succeeded.
		deps = append(deps, svc.MigrationRun)
	}
	b.serviceDeps = deps
	var err error
	svc.Service, err = b.newECSService(b.name, b.serviceArgs(), svc.Autoscaling)
	return err
}

// newECSService registers web or a worker with what every service of the stack shares: the
// resources its tasks need first (and the migration), and protection in prod.
func (b *appServiceBuild) newECSService(name string, args *ecs.ServiceArgs, autoscaling bool) (*ecs.Service, error) {
	// Protected in prod: unsetting imageTag would otherwise delete the running service. The
	// engine refuses that in the preview, before anything changes.
	opts := []pulumi.ResourceOption{b.parent, pulumi.DependsOn(b.serviceDeps), pulumi.Protect(ProfileOf(b.a.Environment).Protect)}
	if autoscaling {
		// Application Auto Scaling owns the running count after the first deployment;
		// re-applying the config value on every `pulumi up` would undo its scaling.
		opts = append(opts, pulumi.IgnoreChanges([]string{"desiredCount"}))
	}
	return ecs.NewService(b.ctx, name, args, opts...)
}

func (b *appServiceBuild) serviceArgs() *ecs.ServiceArgs {
	args := b.baseServiceArgs(b.svc.TaskDefinition, *b.a.DesiredCount)
	args.HealthCheckGracePeriodSeconds = pulumi.Int(*b.a.HealthCheckGraceSeconds)
	args.LoadBalancers = ecs.ServiceLoadBalancerArray{&ecs.ServiceLoadBalancerArgs{
		TargetGroupArn: b.alb.TargetGroup.Arn,
		ContainerName:  pulumi.String(ContainerName),
		ContainerPort:  pulumi.Int(b.a.ContainerPort),
	}}
	return args
}

// baseServiceArgs are the settings web and every worker share.
func (b *appServiceBuild) baseServiceArgs(td *ecs.TaskDefinition, desired int) *ecs.ServiceArgs {
	a := b.a
	capacity := "FARGATE"
	if a.Spot {
		capacity = "FARGATE_SPOT"
	}
	return &ecs.ServiceArgs{
		Cluster:        b.ecsCluster.Arn,
		TaskDefinition: td.Arn,
		DesiredCount:   pulumi.Int(desired),
		// Always one strategy block, so toggling spot is an in-place update (forceNewDeployment)
		// rather than a replacement (launchType <-> strategy).
		CapacityProviderStrategies: ecs.ServiceCapacityProviderStrategyArray{&ecs.ServiceCapacityProviderStrategyArgs{
			CapacityProvider: pulumi.String(capacity), Weight: pulumi.Int(1),
		}},
		ForceNewDeployment:   pulumi.Bool(true),
		PlatformVersion:      pulumi.String("LATEST"),
		EnableExecuteCommand: pulumi.Bool(true),
		PropagateTags:        pulumi.String("SERVICE"),
		EnableEcsManagedTags: pulumi.Bool(true),
		DeploymentCircuitBreaker: &ecs.ServiceDeploymentCircuitBreakerArgs{
			Enable: pulumi.Bool(true), Rollback: pulumi.Bool(true),
		},
		DeploymentMinimumHealthyPercent: pulumi.Int(100),
		DeploymentMaximumPercent:        pulumi.Int(200),
		// `pulumi up` fails when the new version never turns healthy, the first one included:
		// on create the provider waits until DesiredCount tasks run in one deployment.
		WaitForSteadyState: pulumi.Bool(true),
		NetworkConfiguration: &ecs.ServiceNetworkConfigurationArgs{
			Subnets:        a.PrivateSubnetIDs,
			SecurityGroups: pulumi.StringArray{b.sgs.App.ID()},
			AssignPublicIp: pulumi.Bool(false),
		},
	}
}

// restartOnRotation restarts web and every worker: they all read DATABASE_PASSWORD at start.
func (b *appServiceBuild) restartOnRotation() error {
	if b.svc.Service == nil {
		return nil // no tasks hold the password yet
	}
	services := []*ecs.Service{b.svc.Service}
	for _, name := range b.svc.WorkerNames {
		services = append(services, b.svc.Workers[name].Service)
	}
	return newRestartOnRotation(b.ctx, b.name, b.a.Account, b.a.Database.SecretArn, b.ecsCluster, services, b.parent)
}

func (b *appServiceBuild) autoscaling() error {
	if b.svc.Autoscaling {
		a := b.a
		if err := newAutoscaling(b.ctx, b.name, scaling{Min: *a.MinCount, Max: a.MaxCount, CPUTarget: a.CPUTargetPercent, RequestsPerTarget: a.RequestsPerTarget},
			b.ecsCluster, b.svc.Service, b.alb, b.parent); err != nil {
			return err
		}
	}
	return b.workerAutoscaling()
}

// execCommand opens a shell in a running task of the service (ECS Exec).
func execCommand(region string, cluster, service pulumi.StringOutput) pulumi.StringOutput {
	return pulumi.Sprintf(
		`aws ecs execute-command --region %s --cluster %s --task "$(aws ecs list-tasks --region %s --cluster %s --service-name %s --desired-status RUNNING --query 'taskArns[0]' --output text)" --container %s --interactive --command "/bin/sh"`,
		region, cluster, region, cluster, service, ContainerName)
}

// outputs fills the component's outputs and registers them.
func (b *appServiceBuild) outputs() error {
	a, svc, cluster := b.a, b.svc, b.ecsCluster
	svc.SecurityGroupID = b.sgs.App.ID().ToStringOutput()
	svc.LoadBalancerSecurityGroupID = b.sgs.ALB.ID().ToStringOutput()
	svc.LoadBalancerArn = b.alb.LB.Arn
	svc.LoadBalancerDNSName = b.alb.LB.DnsName
	svc.LoadBalancerZoneID = b.alb.LB.ZoneId
	svc.TargetGroupArn = b.alb.TargetGroup.Arn
	svc.LoadBalancerArnSuffix = b.alb.LB.ArnSuffix
	svc.TargetGroupArnSuffix = b.alb.TargetGroup.ArnSuffix
	svc.httpListenerArn = b.alb.HTTP.Arn
	svc.ClusterName = cluster.Name
	svc.LogGroupName = b.logs.Name
	svc.BucketName = b.bucket.ID().ToStringOutput()
	svc.URL = pulumi.Sprintf("http://%s", b.alb.LB.DnsName)
	region := a.Account.Region
	// The family, not family:N, so the command always runs the newest revision.
	svc.MigrateCommand = runTaskCommand(region, cluster.Name, svc.MigrateTaskDefinition.Family, a.PrivateSubnetIDs, svc.SecurityGroupID)
	svc.NextStep = nextStep(svc.HasImage, a, b.repo.RepositoryUrl, svc.Image)
	outputs := pulumi.Map{
		"securityGroupId":             svc.SecurityGroupID,
		"loadBalancerArn":             svc.LoadBalancerArn,
		"loadBalancerDnsName":         svc.LoadBalancerDNSName,
		"loadBalancerZoneId":          svc.LoadBalancerZoneID,
		"loadBalancerSecurityGroupId": svc.LoadBalancerSecurityGroupID,
		"targetGroupArn":              svc.TargetGroupArn,
		"loadBalancerArnSuffix":       svc.LoadBalancerArnSuffix,
		"targetGroupArnSuffix":        svc.TargetGroupArnSuffix,
		"clusterName":                 svc.ClusterName,
		"repositoryUrl":               svc.RepositoryURL,
		"logGroupName":                svc.LogGroupName,
		"bucketName":                  svc.BucketName,
		"url":                         svc.URL,
		"image":                       svc.Image,
		"execCommand":                 svc.ExecCommand,
		"migrateCommand":              svc.MigrateCommand,
		"nextStep":                    svc.NextStep,
	}
	if service := svc.Service; service != nil {
		svc.ServiceName = service.Name
		svc.ExecCommand = execCommand(region, cluster.Name, service.Name)
		svc.DeployedTaskDefinition = rolloutCheck(region, svc.TaskDefinition.Arn, service.TaskDefinition, cluster.Name, service.Name, b.logs.Name)
		outputs["serviceName"] = svc.ServiceName
		outputs["execCommand"] = svc.ExecCommand
		outputs["deployedTaskDefinition"] = svc.DeployedTaskDefinition
	}
	b.workerOutputs(outputs)
	b.scheduleOutputs(outputs)
	return b.ctx.RegisterResourceOutputs(svc, outputs)
}
