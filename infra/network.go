package infra

import (
	"fmt"
	"math/bits"
	"net/netip"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	ec2x "github.com/pulumi/pulumi-awsx/sdk/v2/go/awsx/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NatStrategy is how private subnets reach the internet.
type NatStrategy string

const (
	// NatNone creates no NAT gateway; tasks reach AWS only through VPC endpoints.
	NatNone NatStrategy = "None"
	// NatSingle shares one NAT gateway across AZs: cheaper, but one AZ failure cuts egress.
	NatSingle NatStrategy = "Single"
	// NatOnePerAz keeps egress working when an AZ fails.
	NatOnePerAz NatStrategy = "OnePerAz"
)

// CloudWatchRetentionDays are the only values CloudWatch Logs accepts for retention.
var CloudWatchRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

const (
	// DefaultVpcCidr is the VPC range when none is configured.
	DefaultVpcCidr = "10.0.0.0/16"
	// DefaultAvailabilityZones spreads subnets over two AZs, the minimum an ALB accepts.
	DefaultAvailabilityZones = 2
	// MaxAvailabilityZones is the most AZs a stack may use. The VPC is always carved for this
	// many (see subnetMask), so raising AvailabilityZones up to it leaves existing subnets in place.
	MaxAvailabilityZones = 3
)

// InterfaceEndpointServices are what Fargate tasks need with no NAT: image pulls (ecr.api,
// ecr.dkr), logs, SSM parameters, Secrets Manager and ECS Exec (ssmmessages).
var InterfaceEndpointServices = []string{"ecr.api", "ecr.dkr", "logs", "ssm", "secretsmanager", "ssmmessages"}

// NetworkArgs configures NewNetwork. Each setting is the field tagged with its config key; a zero
// value takes the default written beside it (Profile for dev/prod differences).
type NetworkArgs struct {
	// Account identifies the AWS account, partition and region. Required.
	Account Account
	// Environment picks the Profile for unset settings. Default EnvDev.
	Environment Environment

	// VpcCidr is the VPC's IPv4 range. Default DefaultVpcCidr. Valid: /16 to /24.
	VpcCidr string `config:"vpcCidr"`
	// AvailabilityZones is how many AZs get a public and a private subnet. Default 2. Valid: 2 to
	// MaxAvailabilityZones. It may be raised after the first deploy (existing subnets keep their
	// CIDRs), never lowered: the dropped AZ's subnets still hold the database, ALB and tasks.
	AvailabilityZones int `config:"availabilityZones"`
	// NatGateways is how private subnets reach the internet. Default Profile.NatGateways
	// (dev NatSingle, prod NatOnePerAz). Valid: NatNone (needs VpcEndpoints), NatSingle, NatOnePerAz.
	NatGateways NatStrategy `config:"natGateways"`
	// VpcEndpoints adds interface endpoints for InterfaceEndpointServices. Default false.
	// An S3 gateway endpoint is always added: it is free and carries ECR image layers.
	VpcEndpoints bool `config:"vpcEndpoints"`
	// FlowLogRetentionDays keeps VPC flow logs this long. Default Profile.FlowLogRetentionDays
	// (dev 14, prod 365). Valid: CloudWatchRetentionDays.
	FlowLogRetentionDays int `config:"flowLogRetentionDays"`
}

// Network is a VPC with public subnets (ALB, NAT) and private subnets (tasks, database),
// flow logs, a locked default security group and VPC endpoints.
type Network struct {
	pulumi.ResourceState

	VpcID            pulumi.StringOutput      `pulumi:"vpcId"`
	VpcCidr          pulumi.StringOutput      `pulumi:"vpcCidr"`
	PublicSubnetIDs  pulumi.StringArrayOutput `pulumi:"publicSubnetIds"`
	PrivateSubnetIDs pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
	FlowLogGroupName pulumi.StringOutput      `pulumi:"flowLogGroupName"`
	// EndpointSecurityGroupID is empty when VpcEndpoints is false.
	EndpointSecurityGroupID pulumi.StringOutput `pulumi:"endpointSecurityGroupId"`
	// SubnetMask is the prefix length of every subnet (plain, for plans and tests).
	SubnetMask int
}

func (a *NetworkArgs) defaults() {
	p := ProfileOf(a.Environment)
	if a.VpcCidr == "" {
		a.VpcCidr = DefaultVpcCidr
	}
	if a.AvailabilityZones == 0 {
		a.AvailabilityZones = DefaultAvailabilityZones
	}
	if a.NatGateways == "" {
		a.NatGateways = p.NatGateways
	}
	if a.FlowLogRetentionDays == 0 {
		a.FlowLogRetentionDays = p.FlowLogRetentionDays
	}
}

// problems holds every network rule.
func (a *NetworkArgs) problems() []FieldProblem {
	var ps problemList
	p := ProfileOf(a.Environment)
	if reason := checkVpcCidr(a.VpcCidr); reason != "" {
		fix := DefaultVpcCidr
		if pre, err := netip.ParsePrefix(a.VpcCidr); err == nil && pre.Bits() >= 16 && pre.Bits() <= 24 {
			fix = pre.Masked().String()
		}
		ps.add("VpcCidr", a.VpcCidr, reason, setTo("VpcCidr", fix))
	}
	rangeProblem(&ps, "AvailabilityZones", a.AvailabilityZones, 2, MaxAvailabilityZones, DefaultAvailabilityZones)
	enumProblem(&ps, "NatGateways", string(a.NatGateways), []string{string(NatNone), string(NatSingle), string(NatOnePerAz)},
		string(p.NatGateways), "None needs {VpcEndpoints}=true; Single is cheaper; OnePerAz survives an AZ outage.")
	if a.NatGateways == NatNone && !a.VpcEndpoints {
		ps.add("NatGateways", string(NatNone),
			"with no NAT gateway and {VpcEndpoints}=false, tasks in private subnets cannot reach ECR, CloudWatch Logs or SSM and would never start.",
			setTo("VpcEndpoints", "true").or(setTo("NatGateways", string(NatSingle))))
	}
	retentionProblem(&ps, "FlowLogRetentionDays", a.FlowLogRetentionDays, p.FlowLogRetentionDays)
	return ps
}

// checkVpcCidr returns why s is not a usable VPC range, or "".
func checkVpcCidr(s string) string {
	p, err := netip.ParsePrefix(s)
	switch {
	case err != nil || !p.Addr().Is4():
		return "must be an IPv4 CIDR block such as 10.0.0.0/16."
	case p.Bits() < 16 || p.Bits() > 24:
		return fmt.Sprintf("prefix /%d is not allowed: use /16 to /24 (AWS allows /16 to /28, and an ALB needs /27 subnets in each AZ).", p.Bits())
	case p.Masked() != p:
		return fmt.Sprintf("host bits are set; the network address is %s.", p.Masked())
	}
	return ""
}

// subnetMask carves the VPC for MaxAvailabilityZones whatever AvailabilityZones is: one block per
// possible AZ (rounded up to a power of two: four quarters), each split into equal private and
// public halves. awsx's allocator (getSubnetSpecs in awsx/ec2/subnetDistributorNew.ts) lays the
// AZ blocks of availabilityZoneCidrMask in order from the VPC's base and the subnets in spec
// order inside each block, so with a mask that never changes, adding an AZ only fills the next
// free block and every existing subnet keeps its CIDR. A mask that followed the AZ count would
// re-carve every subnet (2 → 3 AZs turns each /18 into a /19), which EC2 refuses
// (InvalidSubnet.Conflict) and which would move the database, the ALB and the tasks.
// A /16 gives /19 subnets, a /24 still gives /27 ones, the smallest an ALB accepts.
func subnetMask(cidr string) (azMask, mask int) {
	p := netip.MustParsePrefix(cidr)
	azMask = p.Bits() + bits.Len(uint(MaxAvailabilityZones-1))
	return azMask, azMask + 1
}

// NewNetwork builds the VPC and everything around it.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	if args == nil {
		args = &NetworkArgs{}
	}
	a := *args
	a.defaults()
	if err := a.Account.validate(); err != nil {
		return nil, err
	}
	if err := argsError("NetworkArgs", a.problems()); err != nil {
		return nil, err
	}
	n := &Network{}
	if err := ctx.RegisterComponentResource("rails-infra:infra:Network", name, n, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(n)

	azMask, mask := subnetMask(a.VpcCidr)
	n.SubnetMask = mask
	azCount := a.AvailabilityZones
	strategy := ec2x.SubnetAllocationStrategyAuto
	v, err := ec2x.NewVpc(ctx, name, &ec2x.VpcArgs{
		CidrBlock:                 &a.VpcCidr,
		NumberOfAvailabilityZones: &azCount,
		AvailabilityZoneCidrMask:  &azMask,
		SubnetStrategy:            &strategy,
		SubnetSpecs: []ec2x.SubnetSpecArgs{
			{Type: ec2x.SubnetTypePrivate, CidrMask: &mask},
			{Type: ec2x.SubnetTypePublic, CidrMask: &mask},
		},
		NatGateways: &ec2x.NatGatewayConfigurationArgs{Strategy: ec2x.NatGatewayStrategy(a.NatGateways)},
		// Private DNS for interface endpoints needs both.
		EnableDnsHostnames: pulumi.Bool(true),
		EnableDnsSupport:   pulumi.Bool(true),
	}, parent)
	if err != nil {
		return nil, err
	}
	n.VpcID = v.VpcId
	n.VpcCidr = pulumi.String(a.VpcCidr).ToStringOutput()
	n.PublicSubnetIDs = v.PublicSubnetIds
	n.PrivateSubnetIDs = v.PrivateSubnetIds

	// The default SG allows all traffic between its members; adopting it with no rules removes that.
	if _, err := ec2.NewDefaultSecurityGroup(ctx, name+"-default-sg", &ec2.DefaultSecurityGroupArgs{
		VpcId: v.VpcId,
	}, parent); err != nil {
		return nil, err
	}

	if n.FlowLogGroupName, err = newFlowLogs(ctx, name, v.VpcId, a, parent); err != nil {
		return nil, err
	}

	// Private route tables: looked up after the awsx VPC has created them all.
	rts := ec2.GetRouteTablesOutput(ctx, ec2.GetRouteTablesOutputArgs{
		VpcId: v.VpcId,
		Filters: ec2.GetRouteTablesFilterArray{ec2.GetRouteTablesFilterArgs{
			Name: pulumi.String("tag:SubnetType"), Values: pulumi.StringArray{pulumi.String("Private")},
		}},
	}, pulumi.Parent(n))
	if _, err := ec2.NewVpcEndpoint(ctx, name+"-s3", &ec2.VpcEndpointArgs{
		VpcId:           v.VpcId,
		ServiceName:     pulumi.Sprintf("com.amazonaws.%s.s3", a.Account.Region),
		VpcEndpointType: pulumi.String("Gateway"),
		RouteTableIds:   rts.Ids(),
		// The lookup carries no dependency: make it explicit so destroy removes the endpoint's
		// routes before awsx deletes the route tables.
	}, parent, pulumi.DependsOn([]pulumi.Resource{v})); err != nil {
		return nil, err
	}

	n.EndpointSecurityGroupID = pulumi.String("").ToStringOutput()
	if a.VpcEndpoints {
		sg, err := ec2.NewSecurityGroup(ctx, name+"-endpoints", &ec2.SecurityGroupArgs{
			VpcId:       v.VpcId,
			Description: pulumi.String("HTTPS from inside the VPC to AWS interface endpoints"),
		}, parent)
		if err != nil {
			return nil, err
		}
		if _, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-endpoints-https", &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId: sg.ID(),
			Description:     pulumi.String("HTTPS from the VPC to interface endpoints"),
			IpProtocol:      pulumi.String("tcp"),
			FromPort:        pulumi.Int(443),
			ToPort:          pulumi.Int(443),
			CidrIpv4:        pulumi.String(a.VpcCidr),
		}, parent); err != nil {
			return nil, err
		}
		for _, svc := range InterfaceEndpointServices {
			if _, err := ec2.NewVpcEndpoint(ctx, name+"-"+svc, &ec2.VpcEndpointArgs{
				VpcId:             v.VpcId,
				ServiceName:       pulumi.Sprintf("com.amazonaws.%s.%s", a.Account.Region, svc),
				VpcEndpointType:   pulumi.String("Interface"),
				PrivateDnsEnabled: pulumi.Bool(true),
				SubnetIds:         v.PrivateSubnetIds,
				SecurityGroupIds:  pulumi.StringArray{sg.ID()},
			}, parent); err != nil {
				return nil, err
			}
		}
		n.EndpointSecurityGroupID = sg.ID().ToStringOutput()
	}

	if err := ctx.RegisterResourceOutputs(n, pulumi.Map{
		"vpcId":                   n.VpcID,
		"vpcCidr":                 n.VpcCidr,
		"publicSubnetIds":         n.PublicSubnetIDs,
		"privateSubnetIds":        n.PrivateSubnetIDs,
		"flowLogGroupName":        n.FlowLogGroupName,
		"endpointSecurityGroupId": n.EndpointSecurityGroupID,
	}); err != nil {
		return nil, err
	}
	return n, nil
}

// newFlowLogs records ALL traffic to CloudWatch Logs through a role that can write only
// to that one log group.
func newFlowLogs(ctx *pulumi.Context, name string, vpcID pulumi.StringInput, a NetworkArgs, parent pulumi.ResourceOption) (pulumi.StringOutput, error) {
	group, err := cloudwatch.NewLogGroup(ctx, name+"-flow-logs", &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(a.FlowLogRetentionDays),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	trust, err := MarshalPolicy(trustPolicy("vpc-flow-logs.amazonaws.com", a.Account.sourceGuard(a.Account.ARN("ec2", "vpc-flow-log/*"))))
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	role, err := iam.NewRole(ctx, name+"-flow-logs", &iam.RoleArgs{
		Description:      pulumi.String("Lets VPC Flow Logs write to this stack's flow log group"),
		AssumeRolePolicy: pulumi.String(trust),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	policy := group.Arn.ApplyT(func(arn string) (string, error) {
		return MarshalPolicy(PolicyDocument{Statement: []Statement{
			{
				Sid:      "WriteFlowLogs",
				Effect:   "Allow",
				Action:   []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
				Resource: []string{arn, arn + ":*"},
			},
			{
				// DescribeLogGroups is a list call: it takes only a log-group:* resource.
				Sid:      "FindLogGroup",
				Effect:   "Allow",
				Action:   []string{"logs:DescribeLogGroups"},
				Resource: []string{a.Account.ARN("logs", "log-group:*")},
			},
		}})
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-flow-logs", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: policy,
	}, parent); err != nil {
		return pulumi.StringOutput{}, err
	}
	if _, err := ec2.NewFlowLog(ctx, name, &ec2.FlowLogArgs{
		VpcId:                  vpcID,
		TrafficType:            pulumi.String("ALL"),
		LogDestinationType:     pulumi.String("cloud-watch-logs"),
		LogDestination:         group.Arn,
		IamRoleArn:             role.Arn,
		MaxAggregationInterval: pulumi.Int(60),
	}, parent); err != nil {
		return pulumi.StringOutput{}, err
	}
	return group.Name, nil
}
