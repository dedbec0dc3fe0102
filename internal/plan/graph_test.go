package plan

import (
	"slices"
	"testing"

	"github.com/rails-infra/rails-infra/internal/awstype"
)

func TestStableOrderPutsParentsAndDependenciesFirst(t *testing.T) {
	comp := res("rails-infra:infra:Network", "network", nil)
	comp.Custom = false
	vpc := res(tVpc, "network", nil)
	vpc.Parent = comp.URN
	ep := res(awstype.Ec2VpcEndpoint, "a-endpoint", nil) // sorts before the VPC by URN, but depends on it
	ep.Parent = comp.URN
	ep.PropertyDeps = map[string][]string{"vpcId": {vpc.URN}}
	lg := res(awstype.CloudWatchLogGroup, "logs", nil)
	lg.Parent = comp.URN
	role := res(awstype.IamRole, "role", nil)
	role.DependsOn = []string{lg.URN}

	for _, arrival := range [][]*Resource{{ep, role, vpc, lg, comp}, {comp, vpc, ep, lg, role}, {role, lg, ep, comp, vpc}} {
		var got []string
		for _, r := range stableOrder(arrival) {
			got = append(got, r.Name+"/"+r.Type)
		}
		// The component has no parent in the graph; the rest follow parents, deps, then URN.
		idx := func(s string) int { return slices.Index(got, s) }
		if idx(comp.Name+"/"+comp.Type) > idx(vpc.Name+"/"+vpc.Type) || idx(vpc.Name+"/"+vpc.Type) > idx(ep.Name+"/"+ep.Type) ||
			idx(lg.Name+"/"+lg.Type) > idx(role.Name+"/"+role.Type) {
			t.Errorf("order %v breaks parent/dependency order", got)
		}
		if first := stableOrder(arrival); len(first) != 5 {
			t.Errorf("lost resources: %v", got)
		}
	}
	a := stableOrder([]*Resource{ep, role, vpc, lg, comp})
	b := stableOrder([]*Resource{role, lg, ep, comp, vpc})
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("order depends on arrival: %s vs %s at %d", a[i].URN, b[i].URN, i)
		}
	}
}

func TestZoneForIsTheSharedSuffix(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{[]string{"app.example.co.jp"}, "app.example.co.jp"},
		{[]string{"app.example.co.jp", "www.example.co.jp"}, "example.co.jp"},
		{[]string{"app.example.co.jp", "*.app.example.co.jp"}, "app.example.co.jp"},
		{[]string{"a.b.example.com", "c.b.example.com", "*.example.com"}, "example.com"},
	} {
		if got := zoneFor(tc.names); got != tc.want {
			t.Errorf("zoneFor(%v) = %q, want %q", tc.names, got, tc.want)
		}
	}
}
