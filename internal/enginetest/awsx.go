package enginetest

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
)

// Plugin versions the engine sees. awsx v2.22.0 builds its children with the @pulumi/aws it
// bundles, so on AWS `pulumi up` runs a second aws provider at that version.
const (
	AWSVersion        = "6.83.4"
	AWSXVersion       = "2.22.0"
	AWSXBundledAWS    = "6.66.3"
	awsxSubnetPrivate = "Private"
	awsxSubnetPublic  = "Public"
)

// vpcSpec is what the fake awsx provider reads from an awsx:ec2:Vpc's inputs.
type vpcSpec struct {
	cidr           netip.Prefix
	azs            int
	azMask         int
	subnets        []subnetSpec // in the order given; each AZ gets one of each
	nat            string       // None | Single | OnePerAz
	dnsHostnames   bool
	dnsSupport     bool
	hasDNSHostname bool
	hasDNSSupport  bool
}

type subnetSpec struct {
	typ  string
	mask int
}

func parseVpcSpec(in resource.PropertyMap) (*vpcSpec, error) {
	num := func(k string, def int) int {
		if v := in[resource.PropertyKey(k)]; v.IsNumber() {
			return int(v.NumberValue())
		}
		return def
	}
	s := &vpcSpec{azs: num("numberOfAvailabilityZones", 3), nat: "OnePerAz"}
	cidr := "10.0.0.0/16"
	if v := in["cidrBlock"]; v.IsString() {
		cidr = v.StringValue()
	} else if v.IsComputed() {
		return nil, fmt.Errorf("enginetest: awsx:ec2:Vpc cidrBlock must be known")
	}
	var err error
	if s.cidr, err = netip.ParsePrefix(cidr); err != nil {
		return nil, fmt.Errorf("enginetest: awsx:ec2:Vpc cidrBlock %q: %w", cidr, err)
	}
	s.azMask = num("availabilityZoneCidrMask", s.cidr.Bits()+2)
	if v := in["natGateways"]; v.IsObject() && v.ObjectValue()["strategy"].IsString() {
		s.nat = v.ObjectValue()["strategy"].StringValue()
	}
	if v := in["enableDnsHostnames"]; v.IsBool() {
		s.dnsHostnames, s.hasDNSHostname = v.BoolValue(), true
	}
	if v := in["enableDnsSupport"]; v.IsBool() {
		s.dnsSupport, s.hasDNSSupport = v.BoolValue(), true
	}
	if v := in["subnetSpecs"]; v.IsArray() {
		for _, x := range v.ArrayValue() {
			o := x.ObjectValue()
			sp := subnetSpec{typ: o["type"].StringValue(), mask: s.azMask + 2}
			if m := o["cidrMask"]; m.IsNumber() {
				sp.mask = int(m.NumberValue())
			}
			s.subnets = append(s.subnets, sp)
		}
	} else {
		s.subnets = []subnetSpec{{awsxSubnetPrivate, s.azMask + 2}, {awsxSubnetPublic, s.azMask + 2}}
	}
	return s, nil
}

// cidrs allocates the subnets as awsx's "Auto" strategy does: AZ i gets the i-th block of
// availabilityZoneCidrMask, and the subnets of an AZ follow one another from its start, in
// the order the specs are given.
func (s *vpcSpec) cidrs(az int) ([]string, error) {
	base := s.cidr.Addr().As4()
	start := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	start += uint32(az) << (32 - s.azMask)
	end := start + 1<<(32-s.azMask)
	var out []string
	for _, sp := range s.subnets {
		size := uint32(1) << (32 - sp.mask)
		if start%size != 0 {
			start += size - start%size
		}
		if start+size > end {
			return nil, fmt.Errorf("enginetest: subnets of AZ %d do not fit a /%d", az+1, s.azMask)
		}
		out = append(out, netip.AddrFrom4([4]byte{byte(start >> 24), byte(start >> 16), byte(start >> 8), byte(start)}).String()+fmt.Sprintf("/%d", sp.mask))
		start += size
	}
	return out, nil
}

// vpcComponent is the awsx:ec2:Vpc component as its provider returns it.
type vpcComponent struct {
	pulumi.ResourceState

	VpcID             pulumi.StringOutput      `pulumi:"vpcId"`
	PublicSubnetIDs   pulumi.StringArrayOutput `pulumi:"publicSubnetIds"`
	PrivateSubnetIDs  pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
	IsolatedSubnetIDs pulumi.StringArrayOutput `pulumi:"isolatedSubnetIds"`
}

// construct registers the children awsx v2.22.0 registers for this spec (names, parents,
// dependsOn and CIDRs as awsx's vpc.ts), with the aws provider at awsx's bundled version.
func (s *vpcSpec) construct(ctx *pulumi.Context, typ, name string, _ provider.ConstructInputs, options pulumi.ResourceOption) (*provider.ConstructResult, error) {
	comp := &vpcComponent{}
	if err := ctx.RegisterComponentResource(typ, name, comp, options); err != nil {
		return nil, err
	}
	v := pulumi.Version(AWSXBundledAWS)
	azs, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{}, v)
	if err != nil {
		return nil, err
	}
	if len(azs.Names) < s.azs {
		return nil, fmt.Errorf("enginetest: %d AZs asked, the region has %d", s.azs, len(azs.Names))
	}
	shared := pulumi.StringMap{"Name": pulumi.String(name)}
	vpcArgs := &ec2.VpcArgs{CidrBlock: pulumi.String(s.cidr.String()), Tags: shared}
	if s.hasDNSHostname {
		vpcArgs.EnableDnsHostnames = pulumi.Bool(s.dnsHostnames)
	}
	if s.hasDNSSupport {
		vpcArgs.EnableDnsSupport = pulumi.Bool(s.dnsSupport)
	}
	vpc, err := ec2.NewVpc(ctx, name, vpcArgs, pulumi.Parent(comp), v)
	if err != nil {
		return nil, err
	}
	igw, err := ec2.NewInternetGateway(ctx, name, &ec2.InternetGatewayArgs{VpcId: vpc.ID(), Tags: shared},
		pulumi.Parent(vpc), pulumi.DependsOn([]pulumi.Resource{vpc}), v)
	if err != nil {
		return nil, err
	}
	var public, private pulumi.StringArray
	var nats []*ec2.NatGateway
	for az := range s.azs {
		cidrs, err := s.cidrs(az)
		if err != nil {
			return nil, err
		}
		// awsx creates each AZ's public subnet first, so a private route finds its NAT.
		order := make([]int, 0, len(s.subnets))
		for i, sp := range s.subnets {
			if sp.typ == awsxSubnetPublic {
				order = append(order, i)
			}
		}
		for i, sp := range s.subnets {
			if sp.typ != awsxSubnetPublic {
				order = append(order, i)
			}
		}
		for _, i := range order {
			sp := s.subnets[i]
			subnetName := fmt.Sprintf("%s-%s-%d", name, strings.ToLower(sp.typ), az+1)
			tags := pulumi.StringMap{"Name": pulumi.String(subnetName), "SubnetType": pulumi.String(sp.typ)}
			subnet, err := ec2.NewSubnet(ctx, subnetName, &ec2.SubnetArgs{
				VpcId:               vpc.ID(),
				AvailabilityZone:    pulumi.String(azs.Names[az]),
				MapPublicIpOnLaunch: pulumi.Bool(sp.typ == awsxSubnetPublic),
				CidrBlock:           pulumi.String(cidrs[i]),
				Tags:                tags,
			}, pulumi.Parent(vpc), pulumi.DependsOn([]pulumi.Resource{vpc}), v)
			if err != nil {
				return nil, err
			}
			switch sp.typ {
			case awsxSubnetPublic:
				public = append(public, subnet.ID())
			case awsxSubnetPrivate:
				private = append(private, subnet.ID())
			}
			rt, err := ec2.NewRouteTable(ctx, subnetName, &ec2.RouteTableArgs{VpcId: vpc.ID(), Tags: tags},
				pulumi.Parent(subnet), pulumi.DependsOn([]pulumi.Resource{subnet}), v)
			if err != nil {
				return nil, err
			}
			if _, err := ec2.NewRouteTableAssociation(ctx, subnetName, &ec2.RouteTableAssociationArgs{
				RouteTableId: rt.ID(), SubnetId: subnet.ID(),
			}, pulumi.Parent(rt), pulumi.DependsOn([]pulumi.Resource{rt}), v); err != nil {
				return nil, err
			}
			onSubnet := []pulumi.ResourceOption{pulumi.Parent(subnet), pulumi.DependsOn([]pulumi.Resource{subnet}), v}
			if sp.typ == awsxSubnetPublic && (s.nat == "OnePerAz" && len(nats) < az+1 || s.nat == "Single" && len(nats) < 1) {
				natName := fmt.Sprintf("%s-%d", name, az+1)
				eip, err := ec2.NewEip(ctx, natName, &ec2.EipArgs{Tags: pulumi.StringMap{"Name": pulumi.String(natName)}}, onSubnet...)
				if err != nil {
					return nil, err
				}
				nat, err := ec2.NewNatGateway(ctx, natName, &ec2.NatGatewayArgs{
					SubnetId: subnet.ID(), AllocationId: eip.AllocationId, Tags: pulumi.StringMap{"Name": pulumi.String(natName)},
				}, onSubnet...)
				if err != nil {
					return nil, err
				}
				nats = append(nats, nat)
			}
			onRouteTable := []pulumi.ResourceOption{pulumi.Parent(rt), pulumi.DependsOn([]pulumi.Resource{rt}), v}
			switch {
			case sp.typ == awsxSubnetPublic:
				if _, err := ec2.NewRoute(ctx, subnetName, &ec2.RouteArgs{
					RouteTableId: rt.ID(), GatewayId: igw.ID(), DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
				}, onRouteTable...); err != nil {
					return nil, err
				}
			case sp.typ == awsxSubnetPrivate && s.nat != "None":
				nat := nats[0]
				if s.nat == "OnePerAz" {
					nat = nats[az]
				}
				if _, err := ec2.NewRoute(ctx, subnetName, &ec2.RouteArgs{
					RouteTableId: rt.ID(), NatGatewayId: nat.ID(), DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
				}, onRouteTable...); err != nil {
					return nil, err
				}
			}
		}
	}
	comp.VpcID = vpc.ID().ToStringOutput()
	comp.PublicSubnetIDs = public.ToStringArrayOutput()
	comp.PrivateSubnetIDs = private.ToStringArrayOutput()
	comp.IsolatedSubnetIDs = pulumi.StringArray{}.ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"vpcId": comp.VpcID, "publicSubnetIds": comp.PublicSubnetIDs,
		"privateSubnetIds": comp.PrivateSubnetIDs, "isolatedSubnetIds": comp.IsolatedSubnetIDs,
	}); err != nil {
		return nil, err
	}
	return provider.NewConstructResult(comp)
}
