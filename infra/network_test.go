package infra

import (
	"fmt"
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
		{"defaults give 2 AZs, one NAT and /18 subnets", NetworkArgs{}, "Single", 2, 17, 18},
		{"3 AZs with a NAT each split a /16 into /19 subnets", NetworkArgs{AvailabilityZones: 3, NatGateways: NatOnePerAz}, "OnePerAz", 3, 18, 19},
		{"a /24 over 3 AZs still gives ALB-sized /27 subnets", NetworkArgs{VpcCidr: "10.9.0.0/24", AvailabilityZones: 3}, "Single", 3, 26, 27},
		{"no NAT with endpoints", NetworkArgs{NatGateways: NatNone, VpcEndpoints: true}, "None", 2, 17, 18},
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
		for azs := 2; azs <= 3; azs++ {
			t.Run(fmt.Sprintf("a /%d VPC over %d AZs", bits, azs), func(t *testing.T) {
				azMask, mask := subnetMask(fmt.Sprintf("10.0.0.0/%d", bits), azs)
				if 1<<(azMask-bits) < azs {
					t.Errorf("AZ blocks /%d: only %d fit, need %d", azMask, 1<<(azMask-bits), azs)
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
