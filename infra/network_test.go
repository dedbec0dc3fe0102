package infra

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/mockengine"
)

func buildNetwork(t *testing.T, args NetworkArgs) *mockengine.Result {
	t.Helper()
	args.Account = testAccount
	return mustRun(t, func(ctx *pulumi.Context) error {
		_, err := NewNetwork(ctx, "network", &args)
		return err
	})
}

func TestNetworkPassesTheLayoutToAwsx(t *testing.T) {
	cases := []struct {
		name           string
		args           NetworkArgs
		nat            string
		azs            float64
		azMask, subnet float64
	}{
		{"defaults give 2 AZs, one NAT and /19 subnets carved for 3 AZs", NetworkArgs{}, "Single", 2, 18, 19},
		{"3 AZs with a NAT each keep the same /19 subnets", NetworkArgs{AvailabilityZones: 3, NatGateways: NatOnePerAz}, "OnePerAz", 3, 18, 19},
		{"a /24 over 2 AZs is carved like 3 AZs, in /27 subnets", NetworkArgs{VpcCidr: "10.9.0.0/24"}, "Single", 2, 26, 27},
		{"a /24 over 3 AZs still gives ALB-sized /27 subnets", NetworkArgs{VpcCidr: "10.9.0.0/24", AvailabilityZones: 3}, "Single", 3, 26, 27},
		{"no NAT with endpoints", NetworkArgs{NatGateways: NatNone, VpcEndpoints: true}, "None", 2, 18, 19},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := buildNetwork(t, tc.args)
			vpc := one(t, res, "awsx:ec2:Vpc")
			nat, _ := vpc.Input("natGateways").(map[string]any)
			if nat["strategy"] != tc.nat {
				t.Errorf("natGateways.strategy = %v, want %s", nat["strategy"], tc.nat)
			}
			if got := vpc.Input("numberOfAvailabilityZones"); got != tc.azs {
				t.Errorf("numberOfAvailabilityZones = %v, want %v", got, tc.azs)
			}
			if got := vpc.Input("availabilityZoneCidrMask"); got != tc.azMask {
				t.Errorf("availabilityZoneCidrMask = %v, want %v", got, tc.azMask)
			}
			if vpc.Input("subnetStrategy") != "Auto" {
				t.Errorf("subnetStrategy = %v, want Auto", vpc.Input("subnetStrategy"))
			}
			specs, _ := vpc.Input("subnetSpecs").([]any)
			var types []string
			for _, s := range specs {
				spec := s.(map[string]any)
				types = append(types, spec["type"].(string))
				if spec["cidrMask"] != tc.subnet {
					t.Errorf("%s subnet cidrMask = %v, want %v", spec["type"], spec["cidrMask"], tc.subnet)
				}
			}
			slices.Sort(types)
			if !slices.Equal(types, []string{"Private", "Public"}) {
				t.Errorf("subnet types = %v, want Private and Public", types)
			}
			for _, k := range []string{"enableDnsHostnames", "enableDnsSupport"} {
				if vpc.Input(k) != true {
					t.Errorf("%s = %v, want true (interface endpoints need private DNS)", k, vpc.Input(k))
				}
			}
		})
	}
}

func TestSubnetMaskFitsEveryAllowedVpc(t *testing.T) {
	for bits := 16; bits <= 24; bits++ {
		t.Run(fmt.Sprintf("a /%d VPC", bits), func(t *testing.T) {
			azMask, mask := subnetMask(fmt.Sprintf("10.0.0.0/%d", bits))
			if 1<<(azMask-bits) < MaxAvailabilityZones {
				t.Errorf("AZ blocks /%d: only %d fit, need %d", azMask, 1<<(azMask-bits), MaxAvailabilityZones)
			}
			if mask > 27 {
				t.Errorf("subnet mask /%d: an ALB needs at least /27", mask)
			}
			if mask != azMask+1 {
				t.Errorf("subnet mask /%d, want half an AZ block (/%d)", mask, azMask+1)
			}
		})
	}
}

// awsxSubnet is one subnet as awsx's allocator places it.
type awsxSubnet struct {
	Az   int
	Type string
	Cidr string
}

// awsxSubnets reimplements getSubnetSpecs of awsx v2 (awsx/ec2/subnetDistributorNew.ts) for
// specs with an explicit cidrMask: AZ blocks of azMask follow each other from the VPC's base;
// inside a block, the first subnet starts at the block's base and each next one is the block of
// its mask after the previous subnet's last host address (nextNetmask).
func awsxSubnets(vpcCidr string, azs, azMask int, specs []awsxSpec) []awsxSubnet {
	vpcBase := netip.MustParsePrefix(vpcCidr).Masked().Addr().As4()
	base := binary.BigEndian.Uint32(vpcBase[:])
	size := func(m int) uint32 { return uint32(1) << (32 - m) }
	mask := func(addr uint32, m int) uint32 { return addr &^ (size(m) - 1) }
	cidr := func(addr uint32, m int) string {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], addr)
		return netip.PrefixFrom(netip.AddrFrom4(b), m).String()
	}
	var out []awsxSubnet
	az := mask(base, azMask)
	for i := range azs {
		var cur uint32
		var curMask int
		for j, spec := range specs {
			if j == 0 {
				cur = mask(az, spec.Mask)
			} else {
				// netmask's "last" is the last host: the broadcast address minus one.
				last := cur + size(curMask) - 2
				cur = mask(last, spec.Mask) + size(spec.Mask)
			}
			curMask = spec.Mask
			out = append(out, awsxSubnet{Az: i + 1, Type: spec.Type, Cidr: cidr(cur, spec.Mask)})
		}
		az += size(azMask)
	}
	return out
}

type awsxSpec struct {
	Type string
	Mask int
}

func TestAwsxSubnetsMatchesHandComputedLayouts(t *testing.T) {
	halves := []awsxSpec{{"Private", 18}, {"Public", 18}}
	cases := []struct {
		name   string
		vpc    string
		azs    int
		azMask int
		specs  []awsxSpec
		want   []string
	}{
		{"2 AZs of /17 in a /16 give /18 halves (the issue's old layout)", "10.0.0.0/16", 2, 17, halves,
			[]string{"10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18", "10.0.192.0/18"}},
		{"3 AZs of /18 in a /16 give /19 halves, the second AZ at 10.0.64.0", "10.0.0.0/16", 3, 18,
			[]awsxSpec{{"Private", 19}, {"Public", 19}},
			[]string{"10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19", "10.0.96.0/19", "10.0.128.0/19", "10.0.160.0/19"}},
		{"a larger subnet after a smaller one is aligned to its own size", "10.1.0.0/16", 1, 18,
			[]awsxSpec{{"Private", 20}, {"Public", 19}},
			[]string{"10.1.0.0/20", "10.1.32.0/19"}},
		{"a /24 in quarters gives /27 halves", "192.168.5.0/24", 2, 26,
			[]awsxSpec{{"Private", 27}, {"Public", 27}},
			[]string{"192.168.5.0/27", "192.168.5.32/27", "192.168.5.64/27", "192.168.5.96/27"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, s := range awsxSubnets(tc.vpc, tc.azs, tc.azMask, tc.specs) {
				got = append(got, s.Cidr)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("subnets = %v, want %v", got, tc.want)
			}
		})
	}
}

// plannedSubnets is what awsx will create from the network's awsx:ec2:Vpc inputs.
func plannedSubnets(t *testing.T, res *mockengine.Result) []awsxSubnet {
	t.Helper()
	v := one(t, res, "awsx:ec2:Vpc")
	cidr, _ := v.Input("cidrBlock").(string)
	azs, _ := v.Input("numberOfAvailabilityZones").(float64)
	azMask, _ := v.Input("availabilityZoneCidrMask").(float64)
	var specs []awsxSpec
	for _, s := range v.Input("subnetSpecs").([]any) {
		spec := s.(map[string]any)
		m, ok := spec["cidrMask"].(float64)
		if !ok {
			t.Fatalf("%s: subnet spec %v has no cidrMask; awsx would size it from the AZ count", v.Name, spec)
		}
		specs = append(specs, awsxSpec{Type: spec["type"].(string), Mask: int(m)})
	}
	if cidr == "" || azs == 0 || azMask == 0 {
		t.Fatalf("%s: cidrBlock %q, numberOfAvailabilityZones %v, availabilityZoneCidrMask %v: all must be set", v.Name, cidr, azs, azMask)
	}
	return awsxSubnets(cidr, int(azs), int(azMask), specs)
}

func TestAddingAnAvailabilityZoneKeepsEveryExistingSubnet(t *testing.T) {
	for _, cidr := range []string{"10.0.0.0/16", "10.20.0.0/20", "10.9.0.0/24"} {
		t.Run("a "+cidr+" VPC going from 2 to 3 AZs", func(t *testing.T) {
			two := plannedSubnets(t, buildNetwork(t, NetworkArgs{VpcCidr: cidr, AvailabilityZones: 2}))
			three := plannedSubnets(t, buildNetwork(t, NetworkArgs{VpcCidr: cidr, AvailabilityZones: 3}))
			if len(two) != 4 || len(three) != 6 {
				t.Fatalf("got %d and %d subnets, want 4 and 6", len(two), len(three))
			}
			for i, s := range two {
				if three[i] != s {
					t.Errorf("subnet %d (%s, AZ %d) moves from %s to %s", i, s.Type, s.Az, s.Cidr, three[i].Cidr)
				}
			}
			vpc := netip.MustParsePrefix(cidr)
			seen := map[string]bool{}
			for _, s := range three {
				p := netip.MustParsePrefix(s.Cidr)
				if !vpc.Contains(p.Addr()) || p.Bits() < vpc.Bits() {
					t.Errorf("%s subnet %s in AZ %d lies outside the VPC %s", s.Type, s.Cidr, s.Az, cidr)
				}
				if p.Bits() > 27 {
					t.Errorf("%s subnet %s in AZ %d: an ALB needs at least /27", s.Type, s.Cidr, s.Az)
				}
				for o := range seen {
					if netip.MustParsePrefix(o).Overlaps(p) {
						t.Errorf("%s subnet %s overlaps %s", s.Type, s.Cidr, o)
					}
				}
				seen[s.Cidr] = true
			}
		})
	}
}

func TestInterfaceEndpointsExistOnlyWhenEnabled(t *testing.T) {
	for _, enabled := range []bool{false, true} {
		t.Run(fmt.Sprintf("vpcEndpoints=%v", enabled), func(t *testing.T) {
			res := buildNetwork(t, NetworkArgs{VpcEndpoints: enabled})
			vpcOut := one(t, res, "awsx:ec2:Vpc").Outputs
			private := mockengine.Plain(vpcOut["privateSubnetIds"], false)
			var services []string
			for _, e := range res.OfType(awstype.Ec2VpcEndpoint) {
				if e.Input("vpcEndpointType") != "Interface" {
					continue
				}
				services = append(services, strings.TrimPrefix(e.Input("serviceName").(string), "com.amazonaws.ap-northeast-1."))
				if e.Input("privateDnsEnabled") != true {
					t.Errorf("%s: privateDnsEnabled = %v, want true", e.Name, e.Input("privateDnsEnabled"))
				}
				if fmt.Sprint(e.Input("subnetIds")) != fmt.Sprint(private) {
					t.Errorf("%s: subnetIds = %v, want the private subnets %v", e.Name, e.Input("subnetIds"), private)
				}
				if sgs, _ := e.Input("securityGroupIds").([]any); len(sgs) != 1 {
					t.Errorf("%s: securityGroupIds = %v, want the endpoint SG", e.Name, sgs)
				}
			}
			var want []string
			if enabled {
				want = slices.Clone(InterfaceEndpointServices)
			}
			slices.Sort(services)
			slices.Sort(want)
			if !slices.Equal(services, want) {
				t.Errorf("interface endpoints = %v, want %v", services, want)
			}
			sgs := res.OfType(awstype.Ec2SecurityGroup)
			rules := res.OfType(awstype.VpcSecurityGroupIngressRule)
			if !enabled {
				if len(sgs) != 0 || len(rules) != 0 {
					t.Errorf("endpoint SG/rules exist with endpoints off: %d SGs, %d rules", len(sgs), len(rules))
				}
				return
			}
			rule := one(t, res, awstype.VpcSecurityGroupIngressRule)
			if rule.Input("fromPort") != 443.0 || rule.Input("toPort") != 443.0 || rule.Input("cidrIpv4") != DefaultVpcCidr {
				t.Errorf("endpoint ingress = %v:%v from %v, want 443 from %s", rule.Input("fromPort"), rule.Input("toPort"), rule.Input("cidrIpv4"), DefaultVpcCidr)
			}
			if d, _ := rule.Input("description").(string); d == "" {
				t.Errorf("endpoint ingress rule has no description")
			}
		})
	}
}

func TestS3GatewayEndpointAlwaysServesThePrivateRouteTables(t *testing.T) {
	res := buildNetwork(t, NetworkArgs{})
	var gw *mockengine.Resource
	for _, e := range res.OfType(awstype.Ec2VpcEndpoint) {
		if e.Input("vpcEndpointType") == "Gateway" {
			gw = e
		}
	}
	if gw == nil {
		t.Fatal("no S3 gateway endpoint")
	}
	if gw.Input("serviceName") != "com.amazonaws.ap-northeast-1.s3" {
		t.Errorf("serviceName = %v, want com.amazonaws.ap-northeast-1.s3", gw.Input("serviceName"))
	}
	if vpcURN := one(t, res, "awsx:ec2:Vpc").URN; !slices.Contains(gw.DependsOn, vpcURN) {
		t.Errorf("S3 endpoint DependsOn = %v, want the awsx VPC %s", gw.DependsOn, vpcURN)
	}
	rts, _ := gw.Input("routeTableIds").([]any)
	if len(rts) != 2 {
		t.Errorf("routeTableIds = %v, want the 2 private route tables", rts)
	}
	var lookup *mockengine.Invoke
	for _, inv := range res.Invokes() {
		if inv.Token == awstype.Ec2GetRouteTables {
			lookup = &inv
		}
	}
	if lookup == nil {
		t.Fatal("route tables were not looked up")
	}
	filters := fmt.Sprint(mockengine.PlainMap(lookup.Args, false)["filters"])
	if !strings.Contains(filters, "tag:SubnetType") || !strings.Contains(filters, "Private") {
		t.Errorf("route table lookup filters = %s, want tag:SubnetType=Private", filters)
	}
	vpcID := mockengine.Plain(one(t, res, "awsx:ec2:Vpc").Outputs["vpcId"], false)
	if got := mockengine.PlainMap(lookup.Args, false)["vpcId"]; got != vpcID {
		t.Errorf("route table lookup vpcId = %v, want %v", got, vpcID)
	}
}

func TestFlowLogsWriteOnlyToTheirOwnLogGroup(t *testing.T) {
	res := buildNetwork(t, NetworkArgs{FlowLogRetentionDays: 30})
	flow := one(t, res, awstype.Ec2FlowLog)
	group := one(t, res, awstype.CloudWatchLogGroup)
	role := one(t, res, awstype.IamRole)
	groupArn := mockengine.Plain(group.Outputs["arn"], false)
	checks := map[string]any{
		"trafficType":            "ALL",
		"logDestinationType":     "cloud-watch-logs",
		"logDestination":         groupArn,
		"iamRoleArn":             mockengine.Plain(role.Outputs["arn"], false),
		"maxAggregationInterval": 60.0,
	}
	for k, want := range checks {
		if got := flow.Input(k); got != want {
			t.Errorf("flow log %s = %v, want %v", k, got, want)
		}
	}
	if group.Input("retentionInDays") != 30.0 {
		t.Errorf("log group retentionInDays = %v, want 30", group.Input("retentionInDays"))
	}
	for _, r := range []*mockengine.Resource{group, role} {
		if r.Input("name") != nil {
			t.Errorf("%s %s has a fixed name %v; replacements would collide", r.Type, r.Name, r.Input("name"))
		}
	}

	trust := policyOf(t, role, "assumeRolePolicy")
	if len(trust.Statement) != 1 || trust.Statement[0].Principal["Service"] != "vpc-flow-logs.amazonaws.com" {
		t.Errorf("trust policy = %+v, want only vpc-flow-logs.amazonaws.com", trust)
	}
	if !strings.Contains(fmt.Sprint(trust.Statement[0].Condition), testAccount.AccountID) {
		t.Errorf("trust policy has no aws:SourceAccount condition: %+v", trust.Statement[0].Condition)
	}
	policy := policyOf(t, one(t, res, awstype.IamRolePolicy), "policy")
	// What VPC Flow Logs calls on a log group that already exists (AWS VPC user guide, "IAM role
	// for publishing flow logs to CloudWatch Logs"; CreateLogGroup is not needed): each action
	// must be allowed on a resource that covers this group's streams.
	streams := groupArn.(string) + ":log-stream:eni-0123-all"
	for _, action := range []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:DescribeLogGroups"} {
		allowed := false
		for _, st := range policy.Statement {
			if st.Effect != "Allow" || !slices.Contains(st.Action, action) {
				continue
			}
			for _, r := range st.Resource {
				if r == groupArn || (strings.HasSuffix(r, ":*") && strings.HasPrefix(streams, strings.TrimSuffix(r, "*"))) {
					allowed = true
				}
			}
		}
		if !allowed {
			t.Errorf("flow log role cannot %s on %s; flow logs would show an access error", action, groupArn)
		}
	}
	assertNoWildcards(t, policy)
	for _, st := range policy.Statement {
		if st.Sid == "WriteFlowLogs" && !slices.Equal(st.Resource, []string{groupArn.(string), groupArn.(string) + ":*"}) {
			t.Errorf("WriteFlowLogs resources = %v, want only %v and its streams", st.Resource, groupArn)
		}
	}
}

func TestEveryNetworkResourceIsAChildOfTheComponent(t *testing.T) {
	res := buildNetwork(t, NetworkArgs{VpcEndpoints: true})
	comp := one(t, res, "rails-infra:infra:Network")
	for _, r := range res.Resources() {
		if r == comp {
			continue
		}
		if r.Parent != comp.URN {
			t.Errorf("%s %s parent = %s, want the Network component", r.Type, r.Name, r.Parent)
		}
	}
}

func TestInvalidNetworkArgsRegisterNothing(t *testing.T) {
	cases := []struct {
		name    string
		args    NetworkArgs
		mention string
	}{
		{"a /12 VPC", NetworkArgs{VpcCidr: "10.0.0.0/12"}, "VpcCidr"},
		{"four AZs", NetworkArgs{AvailabilityZones: 4}, "AvailabilityZones"},
		{"an unknown NAT strategy", NetworkArgs{NatGateways: "Two"}, "NatGateways"},
		{"no NAT and no endpoints", NetworkArgs{NatGateways: NatNone}, "VpcEndpoints"},
		{"a retention CloudWatch rejects", NetworkArgs{FlowLogRetentionDays: 2}, "FlowLogRetentionDays"},
	}
	for _, tc := range cases {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			args := tc.args
			args.Account = testAccount
			res, err := runProgram(t, func(ctx *pulumi.Context) error {
				_, err := NewNetwork(ctx, "network", &args)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("err = %v, want one mentioning %s", err, tc.mention)
			}
			if n := len(res.Resources()); n != 0 {
				t.Errorf("%d resources registered, want 0", n)
			}
		})
	}
	t.Run("rejects a missing account", func(t *testing.T) {
		_, err := runProgram(t, func(ctx *pulumi.Context) error {
			_, err := NewNetwork(ctx, "network", &NetworkArgs{})
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "Account") {
			t.Errorf("err = %v, want an Account error", err)
		}
	})
}

func TestNetworkOutputsWhatLaterComponentsNeed(t *testing.T) {
	for _, endpoints := range []bool{false, true} {
		t.Run(fmt.Sprintf("vpcEndpoints=%v exports the VPC, its CIDR, both subnet tiers and the flow log group", endpoints), func(t *testing.T) {
			res, err := mockengine.Run(mockengine.Options{
				Project: Namespace, Stack: "test", Config: map[string]string{"aws:region": testAccount.Region},
			}, func(ctx *pulumi.Context, export mockengine.ExportFunc) error {
				n, err := NewNetwork(ctx, "network", &NetworkArgs{Account: testAccount, VpcCidr: "10.7.0.0/20", VpcEndpoints: endpoints})
				if err != nil {
					return err
				}
				export("vpcId", n.VpcID)
				export("vpcCidr", n.VpcCidr)
				export("public", n.PublicSubnetIDs)
				export("private", n.PrivateSubnetIDs)
				export("flowLogGroup", n.FlowLogGroupName)
				export("endpointSg", n.EndpointSecurityGroupID)
				return nil
			})
			if err != nil {
				t.Fatalf("program failed: %v", err)
			}
			vpc := one(t, res, "awsx:ec2:Vpc")
			group := one(t, res, awstype.CloudWatchLogGroup)
			want := map[string]any{
				"vpcId":        mockengine.Plain(vpc.Outputs["vpcId"], false),
				"vpcCidr":      "10.7.0.0/20",
				"flowLogGroup": group.ID,
			}
			for k, v := range want {
				if got := res.Exports[k].Value; got != v {
					t.Errorf("output %s = %v, want %v", k, got, v)
				}
			}
			for _, k := range []string{"public", "private"} {
				ids, _ := res.Exports[k].Value.([]any)
				if len(ids) != DefaultAvailabilityZones || fmt.Sprint(ids) != fmt.Sprint(mockengine.Plain(vpc.Outputs[resource.PropertyKey(k+"SubnetIds")], false)) {
					t.Errorf("output %s = %v, want the awsx VPC's %d %s subnets", k, ids, DefaultAvailabilityZones, k)
				}
			}
			sg, _ := res.Exports["endpointSg"].Value.(string)
			if endpoints != strings.HasPrefix(sg, "sg-") {
				t.Errorf("endpointSg output = %q, want an SG id exactly when endpoints are on", sg)
			}
		})
	}
}
