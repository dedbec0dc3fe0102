package plan

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/rails-infra/rails-infra/infra"
	"github.com/rails-infra/rails-infra/internal/awstype"
)

// CostItem is one line of the monthly estimate. MonthlyUSD is nil when the price is unknown:
// such an item is listed, never counted as 0.
type CostItem struct {
	Item       string   `json:"item"`
	Resource   string   `json:"resource,omitempty"`
	Basis      string   `json:"basis"`
	MonthlyUSD *float64 `json:"monthlyUSD"`
}

// Cost is the itemized monthly estimate for the stack's region.
type Cost struct {
	Region      string     `json:"region"`
	Currency    string     `json:"currency"`
	PriceDate   string     `json:"priceDate"`
	Items       []CostItem `json:"items"`
	TotalUSD    float64    `json:"totalUSD"`
	Unknown     []string   `json:"unknown"` // items whose price is not in the table
	Assumptions []string   `json:"assumptions"`
	Note        string     `json:"note"`
}

func usd(x float64) *float64 {
	r := math.Round(x*100) / 100
	return &r
}

// EstimateCost prices what the graph builds, per month (730 hours), from the dated table in prices.go.
func EstimateCost(g *Graph) Cost {
	c := Cost{
		Region: g.Region, Currency: "USD", PriceDate: PriceTableDate, Items: []CostItem{}, Unknown: []string{},
		Note: "Estimate from list prices dated " + PriceTableDate + " (see internal/plan/prices.go); excludes data transfer out, " +
			"S3/ECR storage, requests, taxes, free tiers and discounts.",
		Assumptions: []string{
			fmt.Sprintf("%.0f hours per month, resources running all month", hoursPerMonth),
			fmt.Sprintf("NAT gateways process %.0f GB per month in total", AssumedNATGBPerMonth),
			fmt.Sprintf("each ALB averages %.0f LCU", AssumedLCUPerALB),
			fmt.Sprintf("each log group ingests %.0f GB per month", AssumedLogGBPerGroup),
			fmt.Sprintf("Fargate Spot costs %.0f%% of on-demand", FargateSpotDiscount*100),
			"ECS services run their desired count all month (autoscaling above it costs more)",
			fmt.Sprintf("each scheduled job runs %.0f minutes (its runtime is unknown to the program; the basis gives the price per run)", AssumedScheduleRunMinutes),
		},
	}
	p, ok := Prices[g.Region]
	add := func(item, res, basis string, monthly *float64) {
		c.Items = append(c.Items, CostItem{Item: item, Resource: res, Basis: basis, MonthlyUSD: monthly})
		if monthly == nil {
			c.Unknown = append(c.Unknown, item+" "+res)
		} else {
			c.TotalUSD += *monthly
		}
	}
	price := func(x float64) *float64 {
		if !ok {
			return nil
		}
		return usd(x)
	}
	if !ok {
		c.Note = fmt.Sprintf("price unknown: no prices for region %q in the table (known: %s). ", g.Region,
			strings.Join(slices.Sorted(maps.Keys(Prices)), ", ")) + c.Note
	}

	if n, strategy := natGateways(g); n > 0 {
		add("NAT gateway", fmt.Sprintf("×%d (%s)", n, strategy),
			fmt.Sprintf("%d × %.0f h × $%g/h", n, hoursPerMonth, p.NATHour), price(float64(n)*hoursPerMonth*p.NATHour))
		add("NAT data processing", "", fmt.Sprintf("%.0f GB × $%g/GB (assumed traffic)", AssumedNATGBPerMonth, p.NATPerGB),
			price(AssumedNATGBPerMonth*p.NATPerGB))
	}
	for _, lb := range g.OfType(awstype.LbLoadBalancer) {
		if t := lb.str("loadBalancerType"); t != "" && t != "application" {
			add("load balancer ("+t+")", lb.Name, "not in the price table", nil)
			continue
		}
		add("ALB", lb.Name, fmt.Sprintf("%.0f h × ($%g/h + %.0f LCU × $%g/LCU-h)", hoursPerMonth, p.ALBHour, AssumedLCUPerALB, p.LCUHour),
			price(hoursPerMonth*(p.ALBHour+AssumedLCUPerALB*p.LCUHour)))
	}
	// Public IPv4 addresses: one Elastic IP per NAT gateway, one per AZ for each internet-facing ALB.
	natN, _ := natGateways(g)
	ips := natN
	for _, lb := range g.OfType(awstype.LbLoadBalancer) {
		if !isTrue(lb, "internal") {
			ips += vpcAZs(g)
		}
	}
	if ips > 0 {
		add("public IPv4 addresses", fmt.Sprintf("×%d", ips), fmt.Sprintf("%d × %.0f h × $%g/h (NAT EIPs, ALB nodes)", ips, hoursPerMonth, p.PublicIPv4Hour),
			price(float64(ips)*hoursPerMonth*p.PublicIPv4Hour))
	}
	for _, svc := range g.OfType(awstype.EcsService) {
		fargateCost(g, svc, p, ok, add)
	}
	schedulesCost(g, p, ok, add)
	for _, db := range g.OfType(awstype.RdsInstance) {
		rdsCost(db, p, ok, add)
	}
	for _, rg := range g.OfType(awstype.ElastiCacheReplicationGroup) {
		cacheCost(rg, p, ok, add)
	}
	azs := vpcAZs(g)
	for _, ep := range g.OfType(awstype.Ec2VpcEndpoint) {
		if ep.str("vpcEndpointType") != "Interface" {
			continue
		}
		n := azs
		if ids := ep.list("subnetIds"); len(ids) > 0 {
			n = len(ids)
		}
		add("interface endpoint", endpointService(ep), fmt.Sprintf("%d AZ × %.0f h × $%g/AZ-h", n, hoursPerMonth, p.EndpointAZHour),
			price(float64(n)*hoursPerMonth*p.EndpointAZHour))
	}
	zones := len(g.OfType(awstype.Route53Zone))
	if zones == 0 && len(g.OfType(awstype.Route53Record)) > 0 {
		zones = 1 // records live in an existing zone: billed whether or not this stack made it
	}
	if zones > 0 {
		add("Route 53 hosted zone", fmt.Sprintf("×%d", zones), fmt.Sprintf("%d × $%g/month", zones, p.HostedZoneMonth),
			price(float64(zones)*p.HostedZoneMonth))
	}
	for _, lg := range g.OfType(awstype.CloudWatchLogGroup) {
		add("CloudWatch Logs ingestion", lg.Name, fmt.Sprintf("%.0f GB × $%g/GB (assumed)", AssumedLogGBPerGroup, p.LogsIngestGB),
			price(AssumedLogGBPerGroup*p.LogsIngestGB))
	}
	secrets := len(g.OfType(awstype.SecretsManagerSecret))
	for _, db := range g.OfType(awstype.RdsInstance) {
		if v, _ := db.flag("manageMasterUserPassword"); v {
			secrets++
		}
	}
	if secrets > 0 {
		add("Secrets Manager secret", fmt.Sprintf("×%d", secrets), fmt.Sprintf("%d × $%g/month", secrets, p.SecretMonth),
			price(float64(secrets)*p.SecretMonth))
	}
	monitoringCost(g, p, price, add)
	c.TotalUSD = math.Round(c.TotalUSD*100) / 100
	return c
}

// daysPerMonth turns a per-day price into a month (730 h / 24).
const daysPerMonth = hoursPerMonth / 24

// monitoringCost prices the alarms (per metric they read), dashboards, KMS keys and budgets.
func monitoringCost(g *Graph, p RegionPrices, price func(float64) *float64, add func(item, res, basis string, monthly *float64)) {
	alarms, metrics := 0, 0
	for _, a := range g.OfType(awstype.CloudWatchMetricAlarm) {
		alarms++
		metrics += alarmMetrics(a)
	}
	if alarms > 0 {
		add("CloudWatch alarms", fmt.Sprintf("×%d", alarms), fmt.Sprintf("%d alarm metrics × $%g/month (metric math alarms count each metric they read)", metrics, p.AlarmMetricMonth),
			price(float64(metrics)*p.AlarmMetricMonth))
	}
	if n := len(g.OfType(awstype.CloudWatchDashboard)); n > 0 {
		add("CloudWatch dashboard", fmt.Sprintf("×%d", n), fmt.Sprintf("%d × $%g/month", n, p.DashboardMonth), price(float64(n)*p.DashboardMonth))
	}
	if n := len(g.OfType(awstype.KmsKey)); n > 0 {
		add("KMS key", fmt.Sprintf("×%d", n), fmt.Sprintf("%d × $%g/month (requests not included)", n, p.KMSKeyMonth), price(float64(n)*p.KMSKeyMonth))
	}
	if n := len(g.OfType(awstype.BudgetsBudget)); n > 0 {
		add("AWS Budgets budget", fmt.Sprintf("×%d", n), fmt.Sprintf("%d × $%g/day × %.1f days (free within the account's first budgets)", n, p.BudgetDay, daysPerMonth),
			price(float64(n)*p.BudgetDay*daysPerMonth))
	}
}

// alarmMetrics is how many metrics an alarm reads: 1, or each metric of its metric math.
func alarmMetrics(a *Resource) int {
	n := 0
	for i := range a.list("metricQueries") {
		if a.in("metricQueries", fmt.Sprint(i), "metric") != nil {
			n++
		}
	}
	return max(n, 1)
}

// natGateways counts NAT gateways: explicit resources, else the awsx VPC's strategy × AZs.
func natGateways(g *Graph) (int, string) {
	if n := len(g.OfType(awstype.Ec2NatGateway)); n > 0 {
		return n, "explicit"
	}
	total, strategy := 0, ""
	for _, v := range g.OfType(tVpc) {
		strategy = v.str("natGateways", "strategy")
		azs := 3 // awsx's default numberOfAvailabilityZones
		if n, ok := v.num("numberOfAvailabilityZones"); ok {
			azs = int(n)
		}
		switch strategy {
		case "Single":
			total++
		case "OnePerAz":
			total += azs
		case "None":
		default:
			// awsx defaults to OnePerAz when natGateways is unset.
			strategy = "OnePerAz (awsx default)"
			total += azs
		}
	}
	return total, strategy
}

func vpcAZs(g *Graph) int {
	for _, v := range g.OfType(tVpc) {
		if n, ok := v.num("numberOfAvailabilityZones"); ok {
			return int(n)
		}
	}
	return 2
}

func endpointService(ep *Resource) string {
	s := ep.str("serviceName")
	if i := strings.LastIndex(s, "."); i >= 0 && strings.HasPrefix(s, "com.amazonaws.") {
		// com.amazonaws.<region>.<service...>
		parts := strings.SplitN(s, ".", 4)
		if len(parts) == 4 {
			return parts[3]
		}
	}
	if s == "" {
		return ep.Name
	}
	return s
}

// taskSize returns vCPU, GB and architecture of the task definition a service runs.
func taskSize(g *Graph, svc *Resource) (vcpu, gb float64, arch string, found bool) {
	tds := g.linked(svc, "taskDefinition", awstype.EcsTaskDefinition)
	if len(tds) == 0 {
		return 0, 0, "", false
	}
	td := tds[0]
	cpu, ok1 := td.num("cpu")
	mem, ok2 := td.num("memory")
	arch = td.str("runtimePlatform", "cpuArchitecture")
	if arch == "" {
		arch = "X86_64"
	}
	return cpu / cpuUnitsPerVCPU, mem / bytesPerGiB, arch, ok1 && ok2
}

// spotShare is the fraction of desired tasks placed on FARGATE_SPOT by the capacity provider
// strategy: base tasks first, the rest split by weight.
func spotShare(svc *Resource, desired int) float64 {
	strategies := svc.list("capacityProviderStrategies")
	if len(strategies) == 0 || desired == 0 {
		return 0
	}
	spotTasks, remaining := 0.0, float64(desired)
	totalWeight, spotWeight := 0.0, 0.0
	for _, s := range strategies {
		m, _ := s.(map[string]any)
		base, _ := toNum(m["base"])
		weight, _ := toNum(m["weight"])
		take := math.Min(base, remaining)
		remaining -= take
		if m["capacityProvider"] == "FARGATE_SPOT" {
			spotTasks += take
			spotWeight += weight
		}
		totalWeight += weight
	}
	if totalWeight > 0 {
		spotTasks += remaining * spotWeight / totalWeight
	}
	return spotTasks / float64(desired)
}

func desiredCount(svc *Resource) int {
	if n, ok := svc.num("desiredCount"); ok {
		return int(n)
	}
	return 1 // the provider's default
}

func fargateCost(g *Graph, svc *Resource, p RegionPrices, known bool, add func(item, res, basis string, monthly *float64)) {
	desired := desiredCount(svc)
	vcpu, gb, arch, ok := taskSize(g, svc)
	if !ok {
		add("Fargate tasks", svc.Name, "task size unknown (no task definition with cpu and memory)", nil)
		return
	}
	rate, hasRate := p.Fargate[arch]
	if !known || !hasRate {
		add("Fargate tasks", svc.Name, fmt.Sprintf("price unknown for %s in %s", arch, orUnknown(known)), nil)
		return
	}
	spot := spotShare(svc, desired)
	perTaskHour := vcpu*rate.VCPUHour + gb*rate.GBHour
	factor := (1 - spot) + spot*FargateSpotDiscount
	basis := fmt.Sprintf("%d task × (%g vCPU × $%g + %g GB × $%g) × %.0f h, %s",
		desired, vcpu, rate.VCPUHour, gb, rate.GBHour, hoursPerMonth, arch)
	if spot > 0 {
		basis += fmt.Sprintf(", %.0f%% on Spot at %.0f%% of on-demand", spot*100, FargateSpotDiscount*100)
	}
	if svc.WithFirstImage {
		basis += "; from the first image deploy on (no task runs until then)"
	}
	add("Fargate tasks", svc.Name, basis, usd(float64(desired)*perTaskHour*hoursPerMonth*factor))
}

// schedulesCost prices each scheduled job's Fargate runs (runs per month from its expression ×
// the assumed run time), Scheduler's invocations and the dead-letter queue's requests.
func schedulesCost(g *Graph, p RegionPrices, known bool, add func(item, res, basis string, monthly *float64)) {
	schedules := g.OfType(awstype.SchedulerSchedule)
	total := 0.0
	for _, sc := range schedules {
		expr := sc.str("scheduleExpression")
		runs, counted := infra.ScheduleRunsPerMonth(expr)
		if sc.str("state") == "DISABLED" {
			runs, counted = 0, true
		}
		total += runs
		vcpu, gb, arch, sized := scheduleTaskSize(g, sc)
		rate, hasRate := p.Fargate[arch]
		if !known || !hasRate || !sized {
			add("Fargate scheduled runs", sc.Name, "price unknown (task size or region)", nil)
			continue
		}
		perRun := (vcpu*rate.VCPUHour + gb*rate.GBHour) * AssumedScheduleRunMinutes / 60
		basis := fmt.Sprintf("$%.4f per %.0f-minute run (%g vCPU / %g GB %s)", perRun, AssumedScheduleRunMinutes, vcpu, gb, arch)
		if !counted {
			add("Fargate scheduled runs", sc.Name, basis+"; runs per month of "+expr+" not estimated", nil)
			continue
		}
		basis += fmt.Sprintf(" × %.0f runs/month (%s)", runs, expr)
		if sc.WithFirstImage {
			basis += "; from the first image deploy on"
		}
		add("Fargate scheduled runs", sc.Name, basis, usd(runs*perRun))
	}
	if len(schedules) > 0 {
		billable := math.Max(0, total-SchedulerFreeInvocationsPerMonth)
		add("EventBridge Scheduler", fmt.Sprintf("×%d", len(schedules)), fmt.Sprintf("%.0f invocations/month; %d million free per month, then $%.2f per million",
			total, SchedulerFreeInvocationsPerMonth/1_000_000, SchedulerPerMillionInvocations), usd(billable/1e6*SchedulerPerMillionInvocations))
	}
	for _, q := range g.OfType(awstype.SqsQueue) {
		add("SQS queue (per request)", q.Name, fmt.Sprintf("$%.2f per million requests after %d million free per month; a dead-letter queue gets a message only for an invocation that could not start",
			SQSPerMillionRequests, SQSFreeRequestsPerMonth/1_000_000), usd(0))
	}
}

// scheduleTaskSize is the size a schedule's task runs at: its input's cpu/memory override, else
// its task definition's.
func scheduleTaskSize(g *Graph, sc *Resource) (vcpu, gb float64, arch string, ok bool) {
	var cpu, mem float64
	var okc, okm bool
	if in, isStr := sc.in("target", "input").(string); isStr {
		if m, isMap := parseJSON(in).(map[string]any); isMap {
			cpu, okc = toNum(m["cpu"])
			mem, okm = toNum(m["memory"])
		}
	}
	arch = "X86_64"
	if tds := g.linked(sc, "target", awstype.EcsTaskDefinition); len(tds) > 0 {
		td := tds[0]
		if a := td.str("runtimePlatform", "cpuArchitecture"); a != "" {
			arch = a
		}
		if !okc || !okm {
			cpu, okc = td.num("cpu")
			mem, okm = td.num("memory")
		}
	}
	return cpu / cpuUnitsPerVCPU, mem / bytesPerGiB, arch, okc && okm
}

func orUnknown(known bool) string {
	if known {
		return "the table"
	}
	return "an unknown region"
}

func rdsCost(db *Resource, p RegionPrices, known bool, add func(item, res, basis string, monthly *float64)) {
	class := db.str("instanceClass")
	multi, _ := db.flag("multiAz")
	copies, az := 1.0, "Single-AZ"
	if multi {
		copies, az = 2, "Multi-AZ (×2)"
	}
	if hour, ok := p.RDSHour[class]; ok && known {
		add("RDS instance", db.Name, fmt.Sprintf("%s %s: %.0f h × $%g/h × %g", class, az, hoursPerMonth, hour, copies),
			usd(hoursPerMonth*hour*copies))
	} else {
		add("RDS instance", db.Name, fmt.Sprintf("price unknown for instance class %q; see the RDS pricing page", class), nil)
	}
	gb, _ := db.num("allocatedStorage")
	st := db.str("storageType")
	if st == "" {
		st = "gp2" // the RDS API default when storageType is unset
	}
	if rate, ok := p.RDSStorageGBMonth[st]; ok && known {
		add("RDS storage", db.Name, fmt.Sprintf("%g GB %s × $%g/GB-month × %g (allocated, not max)", gb, st, rate, copies),
			usd(gb*rate*copies))
	} else {
		add("RDS storage", db.Name, fmt.Sprintf("price unknown for storage type %q", st), nil)
	}
}
