// Command rails-infra is the Pulumi program for a Rails 7 app on ECS Fargate + RDS.
//
// With no arguments it is the program `pulumi up` / `pulumi preview` run.
// `rails-infra plan <stack>` runs the same program offline on a recording engine.
package main

import (
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/infra"
	"github.com/rails-infra/rails-infra/internal/mockengine"
	"github.com/rails-infra/rails-infra/internal/plan"
)

func main() {
	if len(os.Args) > 1 {
		os.Exit(plan.Main(os.Args[1:], os.Stdout, os.Stderr, ".", offlineProgram))
	}
	pulumi.Run(program)
}

// offlineProgram is program for the offline engine: the same deploy, with exports recorded.
func offlineProgram(ctx *pulumi.Context, export mockengine.ExportFunc) error {
	return deploy(ctx, exporter(export))
}

// program is what the Pulumi engine runs.
func program(ctx *pulumi.Context) error {
	return deploy(ctx, ctx.Export)
}

// exporter receives the stack outputs; under the offline engine it also records them.
type exporter func(name string, value pulumi.Input)

// deploy composes the architecture: config → network → database → service → domain → outputs.
func deploy(ctx *pulumi.Context, export exporter) error {
	cfg, err := infra.LoadConfig(ctx)
	if err != nil {
		return err
	}
	account, err := infra.LookupAccount(ctx, cfg.Region)
	if err != nil {
		return err
	}
	// Before any resource: a missing hosted zone must not leave a half-built stack behind.
	if cfg.Domain.Enabled() {
		if _, err := cfg.Domain.LookupHostedZone(ctx); err != nil {
			return err
		}
	}

	network, err := infra.NewNetwork(ctx, "network", &infra.NetworkArgs{
		Account:              account,
		CidrBlock:            cfg.Network.VpcCidr,
		AvailabilityZones:    cfg.Network.AvailabilityZones,
		NatGateways:          cfg.Network.NatGateways,
		VpcEndpoints:         cfg.Network.VpcEndpoints,
		FlowLogRetentionDays: cfg.Network.FlowLogRetentionDays,
	})
	if err != nil {
		return err
	}

	dbCfg := cfg.Database
	database, err := infra.NewDatabase(ctx, "database", &infra.DatabaseArgs{
		VpcID:               network.VpcID,
		SubnetIDs:           network.PrivateSubnetIDs,
		Engine:              dbCfg.Engine,
		EngineVersion:       dbCfg.EngineVersion,
		InstanceClass:       dbCfg.InstanceClass,
		AllocatedStorage:    dbCfg.AllocatedStorage,
		MaxAllocatedStorage: dbCfg.MaxAllocatedStorage,
		MultiAz:             dbCfg.MultiAz,
		BackupRetentionDays: pulumi.IntRef(dbCfg.BackupRetentionDays),
		DeletionProtection:  dbCfg.DeletionProtection,
		SkipFinalSnapshot:   !dbCfg.FinalSnapshot,
		Protect:             cfg.IsProd(),
		ApplyImmediately:    dbCfg.ApplyImmediately,
		PerformanceInsights: dbCfg.PerformanceInsights,
		DbName:              dbCfg.Name,
		Username:            dbCfg.Username,
	})
	if err != nil {
		return err
	}

	s := cfg.Service
	appSecrets := map[string]pulumi.StringInput{}
	for k, v := range s.AppSecrets {
		appSecrets[k] = v.Value
	}
	var secretKeyBase pulumi.StringInput
	if s.SecretKeyBase.Set {
		secretKeyBase = s.SecretKeyBase.Value
	}
	svc, err := infra.NewAppService(ctx, "app", &infra.AppServiceArgs{
		Account:                account,
		VpcID:                  network.VpcID,
		PublicSubnetIDs:        network.PublicSubnetIDs,
		PrivateSubnetIDs:       network.PrivateSubnetIDs,
		Database:               database.Endpoint(),
		HTTPS:                  cfg.Domain.Enabled(),
		ImageTag:               s.ImageTag,
		BuildContext:           s.AppBuildContext,
		Dockerfile:             s.AppDockerfile,
		ContainerPort:          s.ContainerPort,
		CPU:                    s.CPU,
		Memory:                 s.Memory,
		CPUArchitecture:        s.CPUArchitecture,
		WritableRootFilesystem: !s.ReadonlyRootFilesystem,
		DesiredCount:           s.DesiredCount,
		MinCount:               s.MinCount,
		MaxCount:               s.MaxCount,
		CPUTargetPercent:       s.CPUTargetPercent,
		RequestsPerTarget:      s.RequestsPerTarget,
		HealthCheck: infra.HealthCheck{
			Path:               s.HealthCheckPath,
			IntervalSeconds:    s.HealthCheckIntervalSeconds,
			TimeoutSeconds:     s.HealthCheckTimeoutSeconds,
			HealthyThreshold:   s.HealthyThreshold,
			UnhealthyThreshold: s.UnhealthyThreshold,
		},
		HealthCheckGraceSeconds:    s.HealthCheckGraceSeconds,
		DeregistrationDelaySeconds: s.DeregistrationDelaySeconds,
		LogRetentionDays:           s.LogRetentionDays,
		Spot:                       s.Spot,
		ContainerInsights:          s.ContainerInsights,
		AllowedCidrs:               s.AllowedCidrs,
		AppEnv:                     s.AppEnv,
		AppSecrets:                 appSecrets,
		SecretKeyBase:              secretKeyBase,
		DeletionProtection:         cfg.IsProd(),
		ForceDestroy:               !cfg.IsProd(),
		ImmutableImageTags:         cfg.IsProd(),
		MigrateBeforeDeploy:        s.MigrateBeforeDeploy,
	})
	if err != nil {
		return err
	}
	// The database admits the app's security group and nothing else.
	if err := database.AllowFrom(ctx, "app", svc.SecurityGroupID); err != nil {
		return err
	}

	// Connection facts only: the password stays in the RDS-managed secret.
	export("dbAddress", database.Address)
	export("dbPort", database.Port)
	export("dbName", database.DbName)
	export("dbUsername", database.Username)
	export("dbSecretArn", database.SecretArn)
	export("dbSecurityGroupId", database.SecurityGroupID)
	export("loadBalancerDnsName", svc.LoadBalancerDNSName)
	export("ecrRepositoryUrl", svc.RepositoryURL)
	export("clusterName", svc.ClusterName)
	export("serviceName", svc.ServiceName)
	export("logGroupName", svc.LogGroupName)
	export("bucketName", svc.BucketName)
	export("image", svc.Image)
	export("execCommand", svc.ExecCommand)
	export("migrateCommand", svc.MigrateCommand)
	export("nextStep", svc.NextStep)
	// Fails `pulumi up` when ECS rolled the new revision back.
	export("deployedTaskDefinition", svc.DeployedTaskDefinition)

	// Without a domain, dev serves plain HTTP at the ALB's DNS name.
	url := svc.URL
	if cfg.Domain.Enabled() {
		domainArgs := cfg.Domain.Args()
		domainArgs.LoadBalancerArn = svc.LoadBalancerArn
		domainArgs.LoadBalancerDNSName = svc.LoadBalancerDNSName
		domainArgs.LoadBalancerZoneID = svc.LoadBalancerZoneID
		domainArgs.LoadBalancerSecurityGroupID = svc.LoadBalancerSecurityGroupID
		domainArgs.TargetGroupArn = svc.TargetGroupArn
		domainArgs.HealthCheckPath = cfg.Service.HealthCheckPath
		domain, err := infra.NewDomain(ctx, "domain", domainArgs)
		if err != nil {
			return err
		}
		url = domain.URL
		export("certificateArn", domain.CertificateArn)
		if domain.OIDCRedirectURL != "" {
			export("oidcRedirectUrl", pulumi.String(domain.OIDCRedirectURL))
		}
	}
	export("url", url)

	export("environment", pulumi.String(cfg.Environment))
	export("vpcId", network.VpcID)
	export("publicSubnetIds", network.PublicSubnetIDs)
	export("privateSubnetIds", network.PrivateSubnetIDs)
	return nil
}
