package infra

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"testing"

	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/mockengine"
)

var ruleDescription = regexp.MustCompile(`^[a-zA-Z0-9 ._\-:/()#,@\[\]+=;{}!$*]{1,255}$`)

// sgRules renders every SG rule as "<group> <in|out> <port> <source>" with SG ids replaced by
// the group names, so tests read like a firewall table.
func sgRules(t *testing.T, res *mockengine.Result) []string {
	t.Helper()
	names := map[string]string{testDBSG: "db"}
	for _, sg := range res.OfType(awstype.Ec2SecurityGroup) {
		names[sg.ID] = sg.Name
	}
	var out []string
	for _, kind := range []struct{ token, dir string }{
		{awstype.VpcSecurityGroupIngressRule, "in"},
		{awstype.VpcSecurityGroupEgressRule, "out"},
	} {
		for _, r := range res.OfType(kind.token) {
			if r.Input("fromPort") != r.Input("toPort") || r.Input("ipProtocol") != "tcp" {
				t.Errorf("%s is not a single TCP port: %v", r.Name, mockengine.PlainMap(r.Inputs, true))
			}
			// EC2 accepts only these characters in rule descriptions (no apostrophes).
			if d, _ := r.Input("description").(string); !ruleDescription.MatchString(d) {
				t.Errorf("%s description %q is empty or has characters EC2 rejects", r.Name, d)
			}
			peer, _ := r.Input("cidrIpv4").(string)
			if ref, ok := r.Input("referencedSecurityGroupId").(string); ok {
				peer = names[ref]
			}
			out = append(out, fmt.Sprintf("%s %s %v %s", names[r.Input("securityGroupId").(string)], kind.dir, r.Input("fromPort"), peer))
		}
	}
	sort.Strings(out)
	return out
}

func TestSecurityGroups(t *testing.T) {
	for _, tc := range []struct {
		name string
		args func(*AppServiceArgs)
		want []string
	}{
		{"without HTTPS only port 80 is open, to the world by default", nil, []string{
			"app-alb in 80 0.0.0.0/0", "app-alb out 80 app-app",
			"app-app in 80 app-alb", "app-app out 443 0.0.0.0/0", "app-app out 5432 db",
		}},
		{"with HTTPS and office CIDRs, 80 and 443 are open to those CIDRs only", func(a *AppServiceArgs) {
			a.HTTPS, a.AllowedCidrs, a.ContainerPort = true, []string{"203.0.113.0/24", "198.51.100.0/24"}, 3000
		}, []string{
			"app-alb in 443 198.51.100.0/24", "app-alb in 443 203.0.113.0/24",
			"app-alb in 80 198.51.100.0/24", "app-alb in 80 203.0.113.0/24", "app-alb out 3000 app-app",
			"app-app in 3000 app-alb", "app-app out 443 0.0.0.0/0", "app-app out 5432 db",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRunService(t, tc.args, nil)
			got := sgRules(t, r.res)
			want := append([]string(nil), tc.want...)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("rules =\n  %v\nwant\n  %v", got, want)
			}
			for _, sg := range r.res.OfType(awstype.Ec2SecurityGroup) {
				if sg.Input("ingress") != nil || sg.Input("egress") != nil {
					t.Errorf("%s has inline rules; all rules must be separate resources", sg.Name)
				}
				if sg.Input("vpcId") != testVpc {
					t.Errorf("%s vpcId = %v", sg.Name, sg.Input("vpcId"))
				}
			}
		})
	}
}

func TestLoadBalancer(t *testing.T) {
	for _, tc := range []struct {
		name       string
		env        Environment
		protection bool
	}{{"a dev ALB can be deleted", EnvDev, false}, {"a prod ALB has deletion protection", EnvProd, true}} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRunService(t, func(a *AppServiceArgs) { a.Environment = tc.env }, nil)
			alb := one(t, r.res, awstype.LbLoadBalancer)
			sg := r.res.Find(awstype.Ec2SecurityGroup, "app-alb")
			subnets, _ := json.Marshal(alb.Input("subnets"))
			sgs, _ := alb.Input("securityGroups").([]any)
			if alb.Input("enableDeletionProtection") != tc.protection || alb.Input("dropInvalidHeaderFields") != true ||
				alb.Input("idleTimeout") != 60.0 || alb.Input("internal") != false || alb.Input("loadBalancerType") != "application" ||
				string(subnets) != `["subnet-0pub0000000000001","subnet-0pub0000000000002"]` || len(sgs) != 1 || sgs[0] != sg.ID {
				t.Errorf("alb = %v", mockengine.PlainMap(alb.Inputs, true))
			}
		})
	}
	t.Run("the target group is ip-type on the container port with the health check defaults", func(t *testing.T) {
		r := mustRunService(t, nil, nil)
		tg := one(t, r.res, awstype.LbTargetGroup)
		hc, _ := json.Marshal(tg.Input("healthCheck"))
		want := `{"enabled":true,"healthyThreshold":2,"interval":10,"matcher":"200","path":"/up","port":"traffic-port","protocol":"HTTP","timeout":5,"unhealthyThreshold":3}`
		if string(hc) != want {
			t.Errorf("healthCheck = %s\nwant %s", hc, want)
		}
		if tg.Input("targetType") != "ip" || tg.Input("port") != 80.0 || tg.Input("protocol") != "HTTP" ||
			tg.Input("deregistrationDelay") != 30.0 || tg.Input("vpcId") != testVpc {
			t.Errorf("target group = %v", mockengine.PlainMap(tg.Inputs, true))
		}
	})
	t.Run("without HTTPS port 80 forwards to the target group", func(t *testing.T) {
		r := mustRunService(t, nil, nil)
		l := one(t, r.res, awstype.LbListener)
		tg := one(t, r.res, awstype.LbTargetGroup)
		actions, _ := l.Input("defaultActions").([]any)
		if l.Input("port") != 80.0 || l.Input("protocol") != "HTTP" || len(actions) != 1 {
			t.Fatalf("listener = %v", mockengine.PlainMap(l.Inputs, true))
		}
		a := actions[0].(map[string]any)
		if a["type"] != "forward" || a["targetGroupArn"] != tg.Outputs["arn"].StringValue() {
			t.Errorf("default action = %v", a)
		}
		if n := len(r.res.OfType(awstype.LbListenerRule)); n != 0 {
			t.Errorf("listener rules = %d, want 0", n)
		}
	})
	t.Run("with HTTPS port 80 still forwards: the Domain adds the redirect once 443 serves", func(t *testing.T) {
		r := mustRunService(t, func(a *AppServiceArgs) { a.HTTPS = true }, nil)
		l := one(t, r.res, awstype.LbListener)
		tg := one(t, r.res, awstype.LbTargetGroup)
		actions, _ := l.Input("defaultActions").([]any)
		if a, _ := actions[0].(map[string]any); len(actions) != 1 || a["type"] != "forward" || a["targetGroupArn"] != tg.Outputs["arn"].StringValue() {
			t.Errorf("listener %s default actions = %v, want one forward to the target group (a redirect now would take HTTP down while ACM validates)", l.Name, actions)
		}
		if got := r.svc.Target().HTTPListenerArn; got == nil {
			t.Errorf("Target().HTTPListenerArn is nil, want the port-80 listener for the Domain's redirect rule")
		}
		// The target group must be on the ALB before ECS creates the service.
		rule := one(t, r.res, awstype.LbListenerRule)
		conds, _ := json.Marshal(rule.Input("conditions"))
		if string(conds) != `[{"pathPattern":{"values":["/up"]}}]` || rule.Input("listenerArn") != l.Outputs["arn"].StringValue() {
			t.Errorf("health rule conditions = %s on %v", conds, rule.Input("listenerArn"))
		}
		svc := r.res.Find(awstype.EcsService, "app")
		if !slices.Contains(svc.DependsOn, rule.URN) || !slices.Contains(svc.DependsOn, l.URN) {
			t.Errorf("service DependsOn = %v, want the listener and the health rule", svc.DependsOn)
		}
	})
}
