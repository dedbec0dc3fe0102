package plan

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/goccy/go-graphviz"

	"github.com/rails-infra/rails-infra/internal/awstype"
)

// Zones of the architecture diagram, outermost first.
const (
	zoneInternet = "internet"
	zonePublic   = "public"
	zonePrivate  = "private"
	zoneVPC      = "vpcwide" // VPC-wide: route-table endpoints, flow logs
	zoneAWS      = "aws"     // regional AWS services outside the VPC
)

type archNode struct {
	id, label, zone, component string
}

type archEdge struct {
	from, to, label string
	back            bool // drawn against the flow (egress to the internet): no effect on layout
}

// arch is the architecture derived from which types exist in the graph: not a resource dump.
type arch struct {
	title string
	vpc   string // VPC label; "" when there is no VPC
	nodes []archNode
	edges []archEdge
}

func (a *arch) add(n archNode) string {
	a.nodes = append(a.nodes, n)
	return n.id
}

func (a *arch) link(from, to, label string) {
	if from != "" && to != "" {
		a.edges = append(a.edges, archEdge{from: from, to: to, label: label})
	}
}

func componentOr(g *Graph, r *Resource) string {
	if c := g.Component(r); c != "" {
		return c
	}
	return "Stack"
}

// buildArch walks the graph once and keeps what a reader of an architecture diagram needs.
func buildArch(g *Graph) *arch {
	a := &arch{title: fmt.Sprintf("%s · %s · %s", g.Project, g.Stack, g.Region)}
	for _, v := range g.OfType(tVpc) {
		a.vpc = fmt.Sprintf("VPC %s · %s AZs", v.str("cidrBlock"), orDash(v.str("numberOfAvailabilityZones")))
	}

	internet := ""
	needInternet := len(g.OfType(awstype.LbLoadBalancer)) > 0
	nat := ""
	if n, strategy := natGateways(g); n > 0 {
		comp := "Network"
		if vs := g.OfType(tVpc); len(vs) > 0 {
			comp = componentOr(g, vs[0])
		}
		nat = a.add(archNode{id: "nat", label: fmt.Sprintf("NAT gateway ×%d\\n%s", n, strategy), zone: zonePublic, component: comp})
		needInternet = true
	}
	if needInternet {
		internet = a.add(archNode{id: "internet", label: "Internet\\nusers", zone: zoneInternet})
	}
	if nat != "" && internet != "" {
		a.edges = append(a.edges, archEdge{from: nat, to: internet, label: "egress", back: true})
	}

	// DNS and certificates in front of the load balancer.
	dns := ""
	if recs := g.OfType(awstype.Route53Record); len(recs) > 0 {
		names := uniq(recs, func(r *Resource) string { return r.str("name") })
		dns = a.add(archNode{id: "dns", label: "Route 53\\n" + strings.Join(names, ", "), zone: zoneAWS, component: componentOr(g, recs[0])})
		a.link(internet, dns, "DNS")
	}
	cert := ""
	if certs := g.OfType(awstype.AcmCertificate); len(certs) > 0 {
		names := uniq(certs, func(r *Resource) string { return r.str("domainName") })
		cert = a.add(archNode{id: "acm", label: "ACM certificate\\n" + strings.Join(names, ", "), zone: zoneAWS, component: componentOr(g, certs[0])})
	}

	albs := map[string]string{} // LB URN -> node id
	for i, lb := range g.OfType(awstype.LbLoadBalancer) {
		var ports []string
		for _, l := range g.OfType(awstype.LbListener) {
			if deps, ok := l.PropertyDeps["loadBalancerArn"]; ok && !containsStr(deps, lb.URN) {
				continue
			}
			p := fmt.Sprintf("%s:%s", orDash(l.str("protocol")), orDash(l.str("port")))
			if t := l.str("defaultActions", "0", "type"); t == "redirect" {
				p += " → 301"
			}
			ports = append(ports, p)
		}
		id := a.add(archNode{id: fmt.Sprintf("alb%d", i), label: "ALB " + lb.Name + "\\n" + strings.Join(ports, ", "), zone: zonePublic, component: componentOr(g, lb)})
		albs[lb.URN] = id
		a.link(internet, id, strings.Join(ports, ", "))
		a.link(dns, id, "alias")
		a.link(cert, id, "TLS")
	}

	// Private subnets: tasks, database, endpoints.
	var services []string
	for i, svc := range g.OfType(awstype.EcsService) {
		vcpu, gb, archName, ok := taskSize(g, svc)
		size := ""
		if ok {
			size = fmt.Sprintf("\\n%d × %g vCPU / %g GB %s", desiredCount(svc), vcpu, gb, archName)
		}
		if spotShare(svc, desiredCount(svc)) > 0 {
			size += " (Spot)"
		}
		kind := "ECS Fargate "
		if !hasLoadBalancer(svc) {
			kind = "ECS Fargate worker "
		}
		id := a.add(archNode{id: fmt.Sprintf("svc%d", i), label: kind + svc.Name + size, zone: zonePrivate, component: componentOr(g, svc)})
		services = append(services, id)
		// Only a service registered with a target group takes traffic; workers take none.
		if hasLoadBalancer(svc) {
			port := ""
			if tgs := g.linked(svc, "loadBalancers", awstype.LbTargetGroup); len(tgs) > 0 {
				port = " :" + orDash(tgs[0].str("port"))
			}
			for _, lb := range g.OfType(awstype.LbLoadBalancer) {
				a.link(albs[lb.URN], id, "HTTP"+port)
			}
		}
		a.link(id, nat, "egress")
	}
	// Scheduled jobs: EventBridge Scheduler starts one-off tasks in the private subnets; invocations
	// that cannot start go to the dead-letter queue.
	if scheds := g.OfType(awstype.SchedulerSchedule); len(scheds) > 0 {
		var lines []string
		for _, sc := range scheds {
			lines = append(lines, sc.Name+": "+sc.str("scheduleExpression"))
		}
		comp := componentOr(g, scheds[0])
		a.add(archNode{id: "scheduler", label: "EventBridge Scheduler\\n" + strings.Join(lines, "\\n"), zone: zoneAWS, component: comp})
		jobs := a.add(archNode{id: "jobs", label: fmt.Sprintf("ECS Fargate scheduled jobs ×%d", len(scheds)), zone: zonePrivate, component: comp})
		a.link("scheduler", jobs, "RunTask")
		if qs := g.OfType(awstype.SqsQueue); len(qs) > 0 {
			a.add(archNode{id: "dlq", label: "SQS dead-letter queue\\n" + qs[0].Name, zone: zoneAWS, component: componentOr(g, qs[0])})
			a.link("scheduler", "dlq", "failed invocations")
		}
		services = append(services, jobs)
	}

	for i, db := range g.OfType(awstype.RdsInstance) {
		az := "single-AZ"
		if isTrue(db, "multiAz") {
			az = "Multi-AZ"
		}
		id := a.add(archNode{id: fmt.Sprintf("db%d", i),
			label: fmt.Sprintf("RDS %s %s\\n%s · %s", db.str("engine"), db.str("engineVersion"), db.str("instanceClass"), az),
			zone:  zonePrivate, component: componentOr(g, db)})
		for _, s := range services {
			a.link(s, id, dbPort(db))
		}
	}
	for i, rg := range g.OfType(awstype.ElastiCacheReplicationGroup) {
		nodes, _ := rg.num("numCacheClusters")
		id := a.add(archNode{id: fmt.Sprintf("cache%d", i),
			label: fmt.Sprintf("ElastiCache %s %s\\n%s × %g · %s", rg.str("engine"), rg.str("engineVersion"), rg.str("nodeType"), max(nodes, 1),
				pick(isTrue(rg, "multiAzEnabled"), "Multi-AZ", "single node")),
			zone: zonePrivate, component: componentOr(g, rg)})
		for _, s := range services {
			a.link(s, id, "rediss :"+orDash(rg.str("port")))
		}
	}
	var ifaces []string
	var ifaceRes *Resource
	for _, ep := range g.OfType(awstype.Ec2VpcEndpoint) {
		switch ep.str("vpcEndpointType") {
		case "Interface":
			ifaces = append(ifaces, endpointService(ep))
			ifaceRes = ep
		case "Gateway":
			id := a.add(archNode{id: "s3gw", label: "S3 gateway endpoint", zone: zoneVPC, component: componentOr(g, ep)})
			for _, s := range services {
				a.link(s, id, "image layers")
			}
		}
	}
	if len(ifaces) > 0 {
		id := a.add(archNode{id: "endpoints", label: "Interface endpoints\\n" + strings.Join(ifaces, ", "), zone: zonePrivate, component: componentOr(g, ifaceRes)})
		for _, s := range services {
			a.link(s, id, "AWS APIs")
		}
	}

	// Regional services the tasks use.
	awsNode := func(id, label string, rs []*Resource, edge string) {
		if len(rs) == 0 {
			return
		}
		a.add(archNode{id: id, label: label, zone: zoneAWS, component: componentOr(g, rs[0])})
		for _, s := range services {
			a.link(s, id, edge)
		}
	}
	if repos := g.OfType(awstype.EcrRepository); len(repos) > 0 {
		awsNode("ecr", "ECR "+strings.Join(names(repos), ", "), repos, "image pull")
	}
	if b := g.OfType(awstype.S3BucketV2, awstype.S3Bucket); len(b) > 0 {
		awsNode("s3", "S3 "+strings.Join(names(b), ", "), b, "objects")
	}
	if ps := g.OfType(awstype.SsmParameter); len(ps) > 0 {
		awsNode("ssm", fmt.Sprintf("SSM parameters ×%d", len(ps)), ps, "config, secrets")
	}
	var secretHolders []*Resource
	secretHolders = append(secretHolders, g.OfType(awstype.SecretsManagerSecret)...)
	for _, db := range g.OfType(awstype.RdsInstance) {
		if isTrue(db, "manageMasterUserPassword") {
			secretHolders = append(secretHolders, db)
		}
	}
	awsNode("secrets", "Secrets Manager\\nDB credentials", secretHolders, "DB password")
	if lgs := g.OfType(awstype.CloudWatchLogGroup); len(lgs) > 0 {
		var days []string
		for _, lg := range lgs {
			days = append(days, orDash(lg.str("retentionInDays"))+" d")
		}
		awsNode("logs", fmt.Sprintf("CloudWatch Logs\\n%d group%s (%s)", len(lgs), pick(len(lgs) == 1, "", "s"), strings.Join(days, ", ")), lgs, "logs")
		if fl := g.OfType(awstype.Ec2FlowLog); len(fl) > 0 {
			a.add(archNode{id: "flowlogs", label: "VPC flow logs\\n" + fl[0].str("trafficType"), zone: zoneVPC, component: componentOr(g, fl[0])})
			a.link("flowlogs", "logs", "records")
		}
	}
	monitoringArch(g, a)
	return a
}

func dbPort(db *Resource) string {
	if p := db.str("port"); p != "" {
		return ":" + p
	}
	switch {
	case strings.HasPrefix(db.str("engine"), "postgres"):
		return ":5432"
	case strings.Contains(db.str("engine"), "mysql"), strings.Contains(db.str("engine"), "mariadb"):
		return ":3306"
	}
	return "SQL"
}

func names(rs []*Resource) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Name
	}
	return out
}

func uniq(rs []*Resource, f func(*Resource) string) []string {
	var out []string
	for _, r := range rs {
		if s := f(r); s != "" && !containsStr(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func containsStr(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func orDash(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

// groups returns the nodes of one zone by component, components sorted.
func (a *arch) groups(zone string) ([]string, map[string][]archNode) {
	by := map[string][]archNode{}
	for _, n := range a.nodes {
		if n.zone == zone {
			by[n.component] = append(by[n.component], n)
		}
	}
	comps := slices.Sorted(maps.Keys(by))
	return comps, by
}

var zoneTitles = map[string]string{
	zonePublic:  "Public subnets",
	zonePrivate: "Private subnets",
	zoneVPC:     "VPC-wide",
	zoneAWS:     "AWS regional services",
}

// Dot renders the architecture as Graphviz DOT.
func Dot(g *Graph) string {
	a := buildArch(g)
	var b strings.Builder
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
	fmt.Fprintf(&b, "digraph architecture {\n")
	fmt.Fprintf(&b, "  label=%s; labelloc=t; fontname=\"Helvetica\"; rankdir=LR; compound=true; newrank=true;\n", q(a.title))
	b.WriteString("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=11];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=9];\n")
	node := func(indent string, n archNode) {
		fill := map[string]string{zoneInternet: "#eeeeee", zonePublic: "#e3f2fd", zonePrivate: "#e8f5e9", zoneVPC: "#f3e5f5", zoneAWS: "#fff8e1"}[n.zone]
		fmt.Fprintf(&b, "%s%s [label=%s, fillcolor=%s];\n", indent, n.id, q(n.label), q(fill))
	}
	for _, n := range a.nodes {
		if n.zone == zoneInternet {
			node("  ", n)
		}
	}
	cluster := func(indent, zone string) {
		comps, by := a.groups(zone)
		if len(comps) == 0 {
			return
		}
		fmt.Fprintf(&b, "%ssubgraph cluster_%s {\n%s  label=%s; style=dashed;\n", indent, zone, indent, q(zoneTitles[zone]))
		for _, c := range comps {
			fmt.Fprintf(&b, "%s  subgraph cluster_%s_%s {\n%s    label=%s; style=rounded;\n", indent, zone, ident(c), indent, q(c))
			for _, n := range by[c] {
				node(indent+"    ", n)
			}
			fmt.Fprintf(&b, "%s  }\n", indent)
		}
		fmt.Fprintf(&b, "%s}\n", indent)
	}
	if a.vpc != "" {
		fmt.Fprintf(&b, "  subgraph cluster_vpc {\n    label=%s; style=solid;\n", q(a.vpc))
		cluster("    ", zonePublic)
		cluster("    ", zonePrivate)
		cluster("    ", zoneVPC)
		b.WriteString("  }\n")
	} else {
		cluster("  ", zonePublic)
		cluster("  ", zonePrivate)
		cluster("  ", zoneVPC)
	}
	cluster("  ", zoneAWS)
	for _, e := range a.edges {
		attrs := "label=" + q(e.label)
		if e.back {
			attrs += ", constraint=false, style=dashed"
		}
		fmt.Fprintf(&b, "  %s -> %s [%s];\n", e.from, e.to, attrs)
	}
	b.WriteString("}\n")
	return b.String()
}

func ident(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// Mermaid renders the same architecture as a Mermaid flowchart.
func Mermaid(g *Graph) string {
	a := buildArch(g)
	var b strings.Builder
	lbl := func(s string) string {
		s = strings.ReplaceAll(s, `"`, "#quot;")
		return `"` + strings.ReplaceAll(s, `\n`, "<br/>") + `"`
	}
	fmt.Fprintf(&b, "---\ntitle: %s\n---\nflowchart LR\n", a.title)
	for _, n := range a.nodes {
		if n.zone == zoneInternet {
			fmt.Fprintf(&b, "  %s((%s))\n", n.id, lbl(n.label))
		}
	}
	cluster := func(indent, zone string) {
		comps, by := a.groups(zone)
		if len(comps) == 0 {
			return
		}
		fmt.Fprintf(&b, "%ssubgraph %s[%s]\n", indent, zone, lbl(zoneTitles[zone]))
		for _, c := range comps {
			fmt.Fprintf(&b, "%s  subgraph %s_%s[%s]\n", indent, zone, ident(c), lbl(c))
			for _, n := range by[c] {
				fmt.Fprintf(&b, "%s    %s[%s]\n", indent, n.id, lbl(n.label))
			}
			fmt.Fprintf(&b, "%s  end\n", indent)
		}
		fmt.Fprintf(&b, "%send\n", indent)
	}
	if a.vpc != "" {
		fmt.Fprintf(&b, "  subgraph vpc[%s]\n", lbl(a.vpc))
		cluster("    ", zonePublic)
		cluster("    ", zonePrivate)
		cluster("    ", zoneVPC)
		b.WriteString("  end\n")
	} else {
		cluster("  ", zonePublic)
		cluster("  ", zonePrivate)
		cluster("  ", zoneVPC)
	}
	cluster("  ", zoneAWS)
	for _, e := range a.edges {
		if e.label == "" {
			fmt.Fprintf(&b, "  %s --> %s\n", e.from, e.to)
		} else {
			fmt.Fprintf(&b, "  %s -->|%s| %s\n", e.from, lbl(e.label), e.to)
		}
	}
	return b.String()
}

// SVG renders the DOT diagram in-process with Graphviz compiled to WebAssembly (no system binary).
func SVG(g *Graph) ([]byte, error) {
	ctx := context.Background()
	gv, err := graphviz.New(ctx)
	if err != nil {
		return nil, err
	}
	defer gv.Close() //nolint:errcheck // releasing the wasm runtime
	graph, err := graphviz.ParseBytes([]byte(Dot(g)))
	if err != nil {
		return nil, fmt.Errorf("parsing the generated DOT: %w", err)
	}
	defer graph.Close() //nolint:errcheck
	var buf bytes.Buffer
	if err := gv.Render(ctx, graph, graphviz.SVG, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
