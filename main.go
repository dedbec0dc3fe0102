// Command rails-infra is the Pulumi program for a Rails 7 app on ECS Fargate + RDS.
//
// With no arguments it is the program `pulumi up` / `pulumi preview` run.
// `rails-infra plan <stack>` runs the same program offline on a recording engine.
package main

import (
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/infra"
)

func main() {
	if len(os.Args) > 1 {
		os.Exit(runCLI(os.Args[1:], os.Stdout, os.Stderr))
	}
	pulumi.Run(program)
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

	// TODO(lead): wire Domain to the AppService once service.go is merged. Not compiled yet: the
	// service is not on the domain branch. Give the service `HTTPS: cfg.Domain.Enabled()` so its
	// port-80 listener redirects (301) and its ALB security group opens 443; then, after it:
	//
	//	if cfg.Domain.Enabled() {
	//		domainArgs := cfg.Domain.Args()
	//		domainArgs.LoadBalancerArn = svc.LoadBalancerArn
	//		domainArgs.LoadBalancerDNSName = svc.LoadBalancerDNSName
	//		domainArgs.LoadBalancerZoneID = svc.LoadBalancerZoneID
	//		domainArgs.TargetGroupArn = svc.TargetGroupArn
	//		domainArgs.LoadBalancerSecurityGroupID = svc.LoadBalancerSecurityGroupID
	//		domainArgs.HealthCheckPath = cfg.Service.HealthCheckPath // if the service config has it
	//		domainArgs.DualStack = false                              // true if the ALB is dualstack
	//		domain, err := infra.NewDomain(ctx, "domain", domainArgs)
	//		if err != nil {
	//			return err
	//		}
	//		export("url", domain.URL)
	//		export("certificateArn", domain.CertificateArn)
	//		if domain.OIDCRedirectURL != "" {
	//			export("oidcRedirectUrl", pulumi.String(domain.OIDCRedirectURL))
	//		}
	//	} else {
	//		export("url", svc.URL) // dev without a domain: http://<ALB DNS name>
	//	}

	export("environment", pulumi.String(cfg.Environment))
	export("vpcId", network.VpcID)
	export("publicSubnetIds", network.PublicSubnetIDs)
	export("privateSubnetIds", network.PrivateSubnetIDs)
	return nil
}
