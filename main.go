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

// deploy composes the architecture: config → network → database → cache → service → domain →
// monitoring → outputs.
// It reads like the diagram: each component takes its settings from config, and main only wires
// the typed values components hand each other.
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

	network, err := newNetwork(ctx, cfg, account)
	if err != nil {
		return err
	}
	database, err := newDatabase(ctx, cfg, network)
	if err != nil {
		return err
	}
	cache, err := newCache(ctx, cfg, network)
	if err != nil {
		return err
	}
	svc, err := newService(ctx, cfg, account, network, database, cache)
	if err != nil {
		return err
	}
	domain, err := newDomain(ctx, cfg, svc)
	if err != nil {
		return err
	}
	monitoring, err := newMonitoring(ctx, cfg, account, database, svc)
	if err != nil {
		return err
	}
	exportOutputs(export, cfg, network, database, cache, svc, domain)
	exportMonitoring(export, monitoring)
	return nil
}

func newNetwork(ctx *pulumi.Context, cfg *infra.Config, account infra.Account) (*infra.Network, error) {
	args := cfg.Network
	args.Account = account
	return infra.NewNetwork(ctx, "network", &args)
}

func newDatabase(ctx *pulumi.Context, cfg *infra.Config, network *infra.Network) (*infra.Database, error) {
	args := cfg.Database
	args.VpcID = network.VpcID
	args.SubnetIDs = network.PrivateSubnetIDs
	return infra.NewDatabase(ctx, "database", &args)
}

// newCache is nil without redis: the stack then has no cache and no REDIS_URL.
func newCache(ctx *pulumi.Context, cfg *infra.Config, network *infra.Network) (*infra.Cache, error) {
	if !cfg.Cache.Enabled() {
		return nil, nil
	}
	args := cfg.Cache
	args.VpcID = network.VpcID
	args.SubnetIDs = network.PrivateSubnetIDs
	return infra.NewCache(ctx, "cache", &args)
}

func newService(ctx *pulumi.Context, cfg *infra.Config, account infra.Account, network *infra.Network,
	database *infra.Database, cache *infra.Cache) (*infra.AppService, error) {
	args := cfg.Service
	args.Account = account
	// With a domain, port 80 redirects and the Domain adds the 443 listener.
	args.HTTPS = cfg.Domain.Enabled()
	args.VpcID = network.VpcID
	args.PublicSubnetIDs = network.PublicSubnetIDs
	args.PrivateSubnetIDs = network.PrivateSubnetIDs
	args.Database = database.Endpoint()
	// The database admits the app's security group and nothing else; the service creates the
	// rule as soon as its group exists, so the migration and the tasks start after it.
	args.Database.Allow = func(ctx *pulumi.Context, appSG pulumi.StringOutput) (pulumi.Resource, error) {
		return database.AllowFrom(ctx, "app", appSG)
	}
	if cache != nil {
		// The same for the cache: it admits the app's tasks and nothing else.
		endpoint := cache.Endpoint()
		endpoint.Allow = func(ctx *pulumi.Context, appSG pulumi.StringOutput) (pulumi.Resource, error) {
			return cache.AllowFrom(ctx, "app", appSG)
		}
		args.Cache = &endpoint
	}
	return infra.NewAppService(ctx, "app", &args)
}

// newDomain is nil without a domain: dev then serves plain HTTP at the ALB's DNS name.
func newDomain(ctx *pulumi.Context, cfg *infra.Config, svc *infra.AppService) (*infra.Domain, error) {
	if !cfg.Domain.Enabled() {
		return nil, nil
	}
	args := cfg.Domain
	args.Target = svc.Target()
	return infra.NewDomain(ctx, "domain", &args)
}

// newMonitoring watches what the other components built: the web service (once it runs tasks),
// the database and the Rails log group.
func newMonitoring(ctx *pulumi.Context, cfg *infra.Config, account infra.Account, database *infra.Database,
	svc *infra.AppService) (*infra.Monitoring, error) {
	args := cfg.Monitoring
	args.Account = account
	args.Services = svc.Watches()
	args.ScheduleFailures = svc.ScheduleFailureRules()
	db := database.Watch()
	args.Database = &db
	args.LogGroupName = svc.LogGroupName
	return infra.NewMonitoring(ctx, "monitoring", &args)
}

// exportMonitoring adds where alarms go and the dashboard.
func exportMonitoring(export exporter, m *infra.Monitoring) {
	export("alarmTopicArn", m.TopicArn)
	export("dashboardUrl", m.DashboardURL)
}

// exportOutputs is every stack output, in one place.
func exportOutputs(export exporter, cfg *infra.Config, network *infra.Network, database *infra.Database,
	cache *infra.Cache, svc *infra.AppService, domain *infra.Domain) {
	export("environment", pulumi.String(cfg.Environment))
	export("vpcId", network.VpcID)
	export("publicSubnetIds", network.PublicSubnetIDs)
	export("privateSubnetIds", network.PrivateSubnetIDs)

	// Connection facts only: the password stays in the RDS-managed secret.
	export("dbAddress", database.Address)
	export("dbPort", database.Port)
	export("dbName", database.DbName)
	export("dbUsername", database.Username)
	export("dbSecretArn", database.SecretArn)
	export("dbSecurityGroupId", database.SecurityGroupID)
	if cache != nil {
		// Where the cache is and where its URL is kept; the URL itself (with the AUTH token)
		// stays in the SSM SecureString.
		export("redisEndpoint", cache.PrimaryEndpoint)
		export("redisUrlParameter", cache.URLParameterName)
	}

	export("loadBalancerDnsName", svc.LoadBalancerDNSName)
	export("ecrRepositoryUrl", svc.RepositoryURL)
	export("clusterName", svc.ClusterName)
	export("logGroupName", svc.LogGroupName)
	export("bucketName", svc.BucketName)
	export("image", svc.Image)
	export("migrateCommand", svc.MigrateCommand)
	export("nextStep", svc.NextStep)
	// The ECS service exists once an image is configured.
	if svc.HasImage {
		export("serviceName", svc.ServiceName)
		export("execCommand", svc.ExecCommand)
		// Fails `pulumi up` when ECS rolled the new revision back.
		export("deployedTaskDefinition", svc.DeployedTaskDefinition)
	}
	// Workers, by name, once their services exist (with the first image).
	if names, execs, deployed := svc.WorkerOutputs(); len(names) > 0 {
		export("workerServiceNames", names)
		export("workerExecCommands", execs)
		// Fails `pulumi up` when ECS rolled a worker back, as deployedTaskDefinition does for web.
		export("workerDeployedTaskDefinitions", deployed)
	}
	// Schedules, once they exist (with the first image).
	if s := svc.Schedules; s != nil && s.RunCommands != nil {
		export("scheduleRunCommands", s.RunCommands)
		export("scheduleFailureLogGroup", s.FailureLogGroup.Name)
		export("scheduleDeadLetterQueueUrl", s.DeadLetterQueue.Url)
	}

	url := svc.URL
	if domain != nil {
		url = domain.URL
		export("certificateArn", domain.CertificateArn)
		if domain.OIDCRedirectURL != "" {
			export("oidcRedirectUrl", pulumi.String(domain.OIDCRedirectURL))
		}
	}
	export("url", url)
}
