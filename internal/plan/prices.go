package plan

// This is an ESTIMATE. Prices are on-demand list prices in USD for Linux, in the two regions the
// project targets, from the AWS pricing pages below. Table date: 2026-11-27. They were written
// down by hand, not fetched by the program; AWS changes prices, so re-check the pages (or the
// AWS Pricing Calculator) before budgeting. Taxes, free tiers, Savings Plans, data transfer out
// and request charges are not included.
//
// Sources:
//   - NAT gateway:        https://aws.amazon.com/vpc/pricing/
//   - Interface endpoint: https://aws.amazon.com/privatelink/pricing/
//   - ALB:                https://aws.amazon.com/elasticloadbalancing/pricing/
//   - Fargate (+ Spot):   https://aws.amazon.com/fargate/pricing/
//   - RDS PostgreSQL:     https://aws.amazon.com/rds/postgresql/pricing/ (MySQL list prices are within ~5%)
//   - Route 53:           https://aws.amazon.com/route53/pricing/
//   - CloudWatch Logs:    https://aws.amazon.com/cloudwatch/pricing/
//   - Secrets Manager:    https://aws.amazon.com/secrets-manager/pricing/
//   - Public IPv4:        https://aws.amazon.com/vpc/pricing/ ("Public IPv4 Address" tab)
//   - ElastiCache nodes:  https://aws.amazon.com/elasticache/pricing/ ("On-Demand Nodes", Redis OSS
//     tab, node-based clusters). Valkey nodes are listed at 20% below Redis OSS
//     (ValkeyNodePriceFactor), so only the Redis OSS column is written down.
//   - CloudWatch alarms and dashboards: https://aws.amazon.com/cloudwatch/pricing/ (a standard
//     alarm is billed per metric it reads: a metric math alarm over two metrics counts two)
//   - KMS customer managed key: https://aws.amazon.com/kms/pricing/
//   - AWS Budgets:        https://aws.amazon.com/aws-cost-management/aws-budgets/pricing/ (priced
//     at the per-day rate; an account's first budgets are free, so this is an upper bound)
//   - EventBridge Scheduler: https://aws.amazon.com/eventbridge/pricing/ (Scheduler: 14 million
//     invocations free per month, then $1.00 per million; the same in every commercial region)
//   - SQS:                https://aws.amazon.com/sqs/pricing/ (standard queue: 1 million requests
//     free per month, then $0.40 per million)

// PriceTableDate is when the table below was compiled.
const PriceTableDate = "2026-11-27"

// Usage assumptions for the charges that depend on traffic, not on configuration.
const (
	// AssumedNATGBPerMonth is data processed by all NAT gateways of a stack (image pulls via
	// NAT, gem/API calls, OS updates).
	AssumedNATGBPerMonth = 50.0
	// AssumedLCUPerALB is the average load balancer capacity units an internal app uses
	// (1 LCU = 25 new conn/s, 3,000 active conn, 1 GB/h, or 1,000 rule evaluations/s).
	AssumedLCUPerALB = 1.0
	// AssumedLogGBPerGroup is ingestion per log group per month (app logs, VPC flow logs).
	AssumedLogGBPerGroup = 5.0
	// AssumedScheduleRunMinutes is how long one scheduled job runs; the program cannot know it.
	AssumedScheduleRunMinutes = 10.0
	// FargateSpotDiscount is the share of the on-demand price Spot typically costs. Spot prices
	// float per region and hour; AWS advertises "up to 70%" off.
	FargateSpotDiscount = 0.30
	// ValkeyNodePriceFactor is what a Valkey node costs relative to the same Redis OSS node
	// (AWS: "20% lower price" for node-based ElastiCache for Valkey).
	ValkeyNodePriceFactor = 0.80
)

// Usage prices that are the same in both regions (dated with the table).
const (
	SchedulerFreeInvocationsPerMonth = 14_000_000
	SchedulerPerMillionInvocations   = 1.00
	SQSFreeRequestsPerMonth          = 1_000_000
	SQSPerMillionRequests            = 0.40
)

// FargateRate is the price of one vCPU-hour and one GB-hour.
type FargateRate struct{ VCPUHour, GBHour float64 }

// RegionPrices holds one region's prices.
type RegionPrices struct {
	NATHour, NATPerGB float64
	ALBHour, LCUHour  float64
	Fargate           map[string]FargateRate // by cpuArchitecture: X86_64, ARM64 (on-demand)
	RDSHour           map[string]float64     // Single-AZ PostgreSQL, per instance class
	RDSStorageGBMonth map[string]float64     // Single-AZ, per storage type
	EndpointAZHour    float64                // interface endpoint, per endpoint per AZ
	HostedZoneMonth   float64
	LogsIngestGB      float64
	SecretMonth       float64
	PublicIPv4Hour    float64            // every public IPv4 address: NAT EIPs, one per ALB node (AZ)
	CacheNodeHour     map[string]float64 // ElastiCache for Redis OSS on-demand, per node type
	AlarmMetricMonth  float64            // standard-resolution alarm, per metric it reads
	DashboardMonth    float64
	KMSKeyMonth       float64 // customer managed key (requests not included)
	BudgetDay         float64 // past the account's free budgets
}

// Prices is the dated price table, by region.
var Prices = map[string]RegionPrices{
	"us-east-1": {
		NATHour: 0.045, NATPerGB: 0.045,
		ALBHour: 0.0225, LCUHour: 0.008,
		Fargate: map[string]FargateRate{
			"X86_64": {VCPUHour: 0.04048, GBHour: 0.004445},
			"ARM64":  {VCPUHour: 0.03238, GBHour: 0.00356},
		},
		RDSHour: map[string]float64{
			"db.t4g.micro": 0.016, "db.t4g.small": 0.032, "db.t4g.medium": 0.065, "db.t4g.large": 0.129,
			"db.t3.micro": 0.018, "db.t3.small": 0.036, "db.t3.medium": 0.072, "db.t3.large": 0.145,
			"db.m7g.large": 0.168, "db.m7g.xlarge": 0.336, "db.m6g.large": 0.159, "db.m6i.large": 0.178,
			"db.r7g.large": 0.239,
		},
		RDSStorageGBMonth: map[string]float64{"gp3": 0.115, "gp2": 0.115},
		EndpointAZHour:    0.01,
		HostedZoneMonth:   0.50,
		LogsIngestGB:      0.50,
		SecretMonth:       0.40,
		PublicIPv4Hour:    0.005,
		CacheNodeHour: map[string]float64{
			"cache.t4g.micro": 0.016, "cache.t4g.small": 0.032, "cache.t4g.medium": 0.065,
			"cache.m7g.large": 0.158, "cache.r7g.large": 0.219,
		},
		AlarmMetricMonth: 0.10,
		DashboardMonth:   3.00,
		KMSKeyMonth:      1.00,
		BudgetDay:        0.02,
	},
	"ap-northeast-1": {
		NATHour: 0.062, NATPerGB: 0.062,
		ALBHour: 0.0243, LCUHour: 0.008,
		Fargate: map[string]FargateRate{
			"X86_64": {VCPUHour: 0.05056, GBHour: 0.00553},
			"ARM64":  {VCPUHour: 0.04045, GBHour: 0.00442},
		},
		RDSHour: map[string]float64{
			"db.t4g.micro": 0.025, "db.t4g.small": 0.050, "db.t4g.medium": 0.101, "db.t4g.large": 0.202,
			"db.t3.micro": 0.028, "db.t3.small": 0.056, "db.t3.medium": 0.113, "db.t3.large": 0.226,
			"db.m7g.large": 0.248, "db.m7g.xlarge": 0.496, "db.m6g.large": 0.235, "db.m6i.large": 0.263,
			"db.r7g.large": 0.350,
		},
		RDSStorageGBMonth: map[string]float64{"gp3": 0.138, "gp2": 0.138},
		EndpointAZHour:    0.014,
		HostedZoneMonth:   0.50,
		LogsIngestGB:      0.76,
		SecretMonth:       0.40,
		PublicIPv4Hour:    0.005,
		CacheNodeHour: map[string]float64{
			"cache.t4g.micro": 0.025, "cache.t4g.small": 0.050, "cache.t4g.medium": 0.099,
		},
		AlarmMetricMonth: 0.10,
		DashboardMonth:   3.00,
		KMSKeyMonth:      1.00,
		BudgetDay:        0.02,
	},
}
