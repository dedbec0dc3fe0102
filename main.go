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

	// Each component takes its settings from config; main wires the components together.
	networkArgs := cfg.Network
	networkArgs.Account = account
	network, err := infra.NewNetwork(ctx, "network", &networkArgs)
	if err != nil {
		return err
	}

	databaseArgs := cfg.DatabaseArgs()
	databaseArgs.VpcID = network.VpcID
	databaseArgs.SubnetIDs = network.PrivateSubnetIDs
	database, err := infra.NewDatabase(ctx, "database", databaseArgs)
	if err != nil {
		return err
	}

	serviceArgs := cfg.ServiceArgs(account)
	serviceArgs.VpcID = network.VpcID
	serviceArgs.PublicSubnetIDs = network.PublicSubnetIDs
	serviceArgs.PrivateSubnetIDs = network.PrivateSubnetIDs
	serviceArgs.Database = database.Endpoint()
	svc, err := infra.NewAppService(ctx, "app", serviceArgs)
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
		domainArgs := cfg.Domain
		domainArgs.Target = infra.AppTarget{
			LoadBalancerArn:             svc.LoadBalancerArn,
			LoadBalancerDNSName:         svc.LoadBalancerDNSName,
			LoadBalancerZoneID:          svc.LoadBalancerZoneID,
			LoadBalancerSecurityGroupID: svc.LoadBalancerSecurityGroupID,
			TargetGroupArn:              svc.TargetGroupArn,
			HealthCheckPath:             cfg.Service.HealthCheckPath,
		}
		domain, err := infra.NewDomain(ctx, "domain", &domainArgs)
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
