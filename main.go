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

	export("environment", pulumi.String(cfg.Environment))
	export("vpcId", network.VpcID)
	export("publicSubnetIds", network.PublicSubnetIDs)
	export("privateSubnetIds", network.PrivateSubnetIDs)
	return nil
}
