package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rails-infra/rails-infra/internal/awstype"
)

// The cache (ElastiCache replication group) in every format: facts, cost and policy.

// cacheFacts are the decisive settings of a replication group.
func cacheFacts(_ *Graph, r *Resource) string {
	nodes, _ := r.num("numCacheClusters")
	if nodes == 0 {
		nodes = 1
	}
	parts := []string{fmt.Sprintf("%s %s %s × %g", orDash(r.str("engine")), r.str("engineVersion"), r.str("nodeType"), nodes)}
	parts = append(parts, pick(isTrue(r, "automaticFailoverEnabled") && isTrue(r, "multiAzEnabled"), "Multi-AZ failover", "single node, no failover"))
	parts = append(parts, pick(isTrue(r, "transitEncryptionEnabled") && r.str("transitEncryptionMode") != "preferred", "TLS only", "NOT TLS-only"))
	parts = append(parts, pick(isTrue(r, "atRestEncryptionEnabled"), "encrypted", "NOT encrypted"))
	if r.in("authToken") != nil {
		parts = append(parts, "AUTH token")
	}
	if d, _ := r.num("snapshotRetentionLimit"); d > 0 {
		parts = append(parts, fmt.Sprintf("snapshots %g d", d))
	}
	if r.str("finalSnapshotIdentifier") != "" {
		parts = append(parts, "final snapshot")
	}
	return strings.Join(parts, ", ")
}

// cacheCost prices the nodes: the price per node-hour of the node type and engine, times the
// nodes (primary and replicas). Snapshot storage beyond one free snapshot is not counted.
func cacheCost(rg *Resource, p RegionPrices, known bool, add func(item, res, basis string, monthly *float64)) {
	typ, engine := rg.str("nodeType"), rg.str("engine")
	nodes, _ := rg.num("numCacheClusters")
	if nodes == 0 {
		nodes = 1
	}
	hour, ok := p.CacheNodeHour[typ]
	if !ok || !known {
		add("ElastiCache nodes", rg.Name, fmt.Sprintf("price unknown for node type %q; see the ElastiCache pricing page", typ), nil)
		return
	}
	basis := "Redis OSS"
	if engine == "valkey" {
		hour *= ValkeyNodePriceFactor
		basis = fmt.Sprintf("Valkey (%.0f%% of Redis OSS)", ValkeyNodePriceFactor*100)
	}
	add("ElastiCache nodes", rg.Name, fmt.Sprintf("%s %s: %g node(s) × %.0f h × $%.4g/h", typ, basis, nodes, hoursPerMonth, hour),
		usd(nodes*hoursPerMonth*hour))
}

// cacheSecurityGroups are the URNs of the security groups the replication groups use.
func cacheSecurityGroups(g *Graph) map[string]bool {
	out := map[string]bool{}
	for _, rg := range g.OfType(awstype.ElastiCacheReplicationGroup) {
		for _, sg := range g.linked(rg, "securityGroupIds", awstype.Ec2SecurityGroup) {
			out[sg.URN] = true
		}
	}
	return out
}

// checkCacheIngress: a cache security group admits security groups only, on the cache port;
// never an address range, and never the load balancer's group.
func checkCacheIngress(g *Graph, r *Resource) []string {
	sgs := r.PropertyDeps["securityGroupId"]
	if !slices.ContainsFunc(sgs, func(u string) bool { return cacheSecurityGroups(g)[u] }) {
		return nil
	}
	var out []string
	if r.str("cidrIpv4") != "" || r.str("cidrIpv6") != "" || r.str("prefixListId") != "" {
		out = append(out, "admits an address range, not the app's security group")
	}
	src := r.PropertyDeps["referencedSecurityGroupId"]
	if r.in("referencedSecurityGroupId") == nil {
		out = append(out, "names no source security group")
	} else if slices.ContainsFunc(src, func(u string) bool { return albSecurityGroups(g)[u] || cacheSecurityGroups(g)[u] }) {
		out = append(out, "admits the load balancer's or the cache's own security group, not the app's")
	}
	port := ""
	for _, rg := range g.OfType(awstype.ElastiCacheReplicationGroup) {
		port = orDash(rg.str("port"))
	}
	if from, to := r.str("fromPort"), r.str("toPort"); from != to || from != port {
		out = append(out, fmt.Sprintf("opens ports %s-%s, not only the cache port %s", from, to, port))
	}
	return out
}

// cacheRules are the --check rules of the cache.
var cacheRules = []Rule{
	{
		ID: "cache-tls", Types: []string{awstype.ElastiCacheReplicationGroup},
		Summary: "the cache accepts TLS connections only",
		Fix:     "set transitEncryptionEnabled: true and transitEncryptionMode: required on the replication group",
		Check: func(_ *Graph, r *Resource) []string {
			var out []string
			if !isTrue(r, "transitEncryptionEnabled") {
				out = append(out, "transitEncryptionEnabled is not true")
			}
			if m := r.str("transitEncryptionMode"); m == "preferred" {
				out = append(out, "transitEncryptionMode is preferred: plain-text clients are still accepted")
			}
			return out
		},
	},
	{
		ID: "cache-encrypted", Types: []string{awstype.ElastiCacheReplicationGroup},
		Summary: "the cache's data and snapshots are encrypted at rest",
		Fix:     "set atRestEncryptionEnabled: true (needs a replacement for an existing group)",
		Check: func(_ *Graph, r *Resource) []string {
			return when(!isTrue(r, "atRestEncryptionEnabled"), "atRestEncryptionEnabled is not true")
		},
	},
	{
		ID: "cache-auth", Types: []string{awstype.ElastiCacheReplicationGroup},
		Summary: "clients must present an AUTH token, and the token is a Pulumi secret",
		Fix:     "pass authToken as a secret (pulumi.ToSecret) generated by the program; never a plain value",
		Check: func(_ *Graph, r *Resource) []string {
			switch {
			case r.in("authToken") == nil && len(r.list("userGroupIds")) == 0:
				return []string{"no authToken (and no RBAC user group): anyone who reaches the port can read and write"}
			case r.in("authToken") != nil && !r.isSecret("authToken"):
				return []string{"authToken is a plain value: it would be shown in plan output and stored unencrypted in the state"}
			}
			return nil
		},
	},
	{
		ID: "cache-sg-app-only", Types: []string{awstype.VpcSecurityGroupIngressRule},
		Summary: "the cache's security group admits only the app's security group, on the cache port",
		Fix:     "give the cache security group one ingress rule: the cache port, referencedSecurityGroupId = the tasks' security group",
		Check:   checkCacheIngress,
	},
	{
		ID: "cache-prod-retain", Types: []string{awstype.ElastiCacheReplicationGroup},
		Summary: "in prod the cache fails over, keeps a week of snapshots and survives destroy and replace",
		Fix:     "in prod set numCacheClusters ≥ 2 with automaticFailoverEnabled and multiAzEnabled, snapshotRetentionLimit ≥ 7, a finalSnapshotIdentifier, and pulumi.Protect(true)",
		Check: func(g *Graph, r *Resource) []string {
			if !g.IsProd() {
				return nil
			}
			var out []string
			if n, _ := r.num("numCacheClusters"); n < 2 || !isTrue(r, "automaticFailoverEnabled") || !isTrue(r, "multiAzEnabled") {
				out = append(out, "no replica with automatic Multi-AZ failover")
			}
			if d, _ := r.num("snapshotRetentionLimit"); d < 7 {
				out = append(out, fmt.Sprintf("snapshots kept %g days, fewer than 7", d))
			}
			if r.str("finalSnapshotIdentifier") == "" {
				out = append(out, "no finalSnapshotIdentifier")
			}
			if !r.Protect {
				out = append(out, "the resource is not protected")
			}
			return out
		},
	},
}
