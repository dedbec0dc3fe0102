package infra

import "net/netip"

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

// NetworkConfig holds the network keys. Defaults are per environment (see network()).
type NetworkConfig struct {
	VpcCidr              string      // vpcCidr; default 10.0.0.0/16; /16 to /24
	AvailabilityZones    int         // availabilityZones; default 2; 2 or 3
	NatGateways          NatStrategy // natGateways; default dev Single, prod OnePerAz
	VpcEndpoints         bool        // vpcEndpoints; default false
	FlowLogRetentionDays int         // flowLogRetentionDays; default dev 14, prod 90
}

func (r *reader) network(c *Config) {
	nat, retention := NatSingle, 14
	if c.IsProd() {
		nat, retention = NatOnePerAz, 90
	}
	n := &c.Network
	n.VpcCidr = r.str("vpcCidr", DefaultVpcCidr)
	if reason := checkVpcCidr(n.VpcCidr); reason != "" {
		fix := DefaultVpcCidr
		if p, err := netip.ParsePrefix(n.VpcCidr); err == nil && p.Bits() >= 16 && p.Bits() <= 24 {
			fix = p.Masked().String()
		}
		r.fail("vpcCidr", n.VpcCidr, reason, setFix("vpcCidr", fix))
	}
	n.AvailabilityZones = r.integer("availabilityZones", DefaultAvailabilityZones, 2, 3, "2")
	n.NatGateways = NatStrategy(r.enum("natGateways", string(nat),
		"None needs vpcEndpoints=true; Single is cheaper; OnePerAz survives an AZ outage.",
		string(NatNone), string(NatSingle), string(NatOnePerAz)))
	n.VpcEndpoints = r.boolean("vpcEndpoints", false)
	n.FlowLogRetentionDays = r.oneOfInt("flowLogRetentionDays", retention, CloudWatchRetentionDays)
}
