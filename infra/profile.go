package infra

import "strings"

// Environment decides the per-environment defaults and the data-safety rules.
type Environment string

const (
	// EnvDev is cheap and easy to tear down, but still encrypted and private.
	EnvDev Environment = "dev"
	// EnvProd protects data: deletion protection, final snapshots, protect, versioning.
	EnvProd Environment = "prod"
)

// Environments lists the valid environments, dev first.
var Environments = []Environment{EnvDev, EnvProd}

// Profile is every default that differs between dev and prod, and what each environment
// enforces. It is the one place a dev/prod difference is written: components read it for the
// settings left unset (an Args zero value means "the profile's"), and their rules read its
// enforcements. Every other default is a constant next to its Args field.
type Profile struct {
	// Network
	NatGateways          NatStrategy // natGateways
	FlowLogRetentionDays int         // flowLogRetentionDays

	// Database
	DbMultiAz             bool // dbMultiAz
	DbBackupRetentionDays int  // dbBackupRetentionDays
	DbDeletionProtection  bool // dbDeletionProtection
	DbFinalSnapshot       bool // dbFinalSnapshot
	DbApplyImmediately    bool // dbApplyImmediately
	// DbPerformanceInsights turns Performance Insights on where dbInstanceClass supports it.
	DbPerformanceInsights bool // dbPerformanceInsights

	// App service
	DesiredCount      int  // desiredCount
	MinCount          int  // minCount
	MaxCount          int  // maxCount
	LogRetentionDays  int  // logRetentionDays
	ContainerInsights bool // containerInsights
	// AlbAccessLogDays keeps the ALB's access logs this long (S3 lifecycle expiry); not a setting.
	AlbAccessLogDays int

	// Cache (with redis on)
	CacheNodeType              string // redisNodeType
	CacheReplicas              int    // redisReplicas
	CacheSnapshotRetentionDays int    // redisSnapshotRetentionDays
	CacheApplyImmediately      bool   // redisApplyImmediately
	// Monitoring, not settings.
	// HeartbeatMissingData is how alarms on metrics a live stack always reports (running tasks,
	// healthy targets, database CPU) treat missing data: a stopped dev stack reports nothing and
	// must not page anyone; a prod stack that reports nothing is dead and must.
	HeartbeatMissingData TreatMissingData
	// RequireAlarmDestination: alarmEmails or alarmTopicArn must be set.
	RequireAlarmDestination bool

	// Enforced, not settings.
	// Protect: Pulumi protect on the database and the cache (which also takes a final snapshot
	// when deleted), deletion protection on the ALB, the uploads bucket
	// retained and never force-destroyed, ECR not force-deleted; the database's data-safety
	// settings (deletion protection, final snapshot, ≥ ProdMinBackupRetentionDays of backups)
	// cannot be switched off.
	Protect bool
	// ImmutableImageTags forbids re-pushing an image tag to ECR.
	ImmutableImageTags bool
	// RequireDomain: the stack must serve HTTPS on its own domain.
	RequireDomain bool
	// AllowSpot: FARGATE_SPOT may be chosen.
	AllowSpot bool
}

// Profiles is the dev/prod table.
var Profiles = map[Environment]Profile{
	EnvDev: {
		NatGateways: NatSingle, FlowLogRetentionDays: 14,
		DbMultiAz: false, DbBackupRetentionDays: 1, DbDeletionProtection: false, DbFinalSnapshot: false,
		DbApplyImmediately: true, DbPerformanceInsights: false,
		DesiredCount: 1, MinCount: 1, MaxCount: 2, LogRetentionDays: 30, ContainerInsights: false, AlbAccessLogDays: 14,
		CacheNodeType: "cache.t4g.micro", CacheReplicas: 0, CacheSnapshotRetentionDays: 0, CacheApplyImmediately: true,
		HeartbeatMissingData: MissingNotBreaching, RequireAlarmDestination: false,
		Protect: false, ImmutableImageTags: false, RequireDomain: false, AllowSpot: true,
	},
	EnvProd: {
		NatGateways: NatOnePerAz, FlowLogRetentionDays: 365,
		DbMultiAz: true, DbBackupRetentionDays: 14, DbDeletionProtection: true, DbFinalSnapshot: true,
		DbApplyImmediately: false, DbPerformanceInsights: true,
		DesiredCount: 2, MinCount: 2, MaxCount: 6, LogRetentionDays: 365, ContainerInsights: true, AlbAccessLogDays: 365,
		CacheNodeType: "cache.t4g.small", CacheReplicas: 1, CacheSnapshotRetentionDays: 7, CacheApplyImmediately: false,
		HeartbeatMissingData: MissingBreaching, RequireAlarmDestination: true,
		Protect: true, ImmutableImageTags: true, RequireDomain: true, AllowSpot: false,
	},
}

// ProfileOf returns env's profile; an unset environment is dev, so Args zero values are dev's.
func ProfileOf(env Environment) Profile {
	if p, ok := Profiles[env]; ok {
		return p
	}
	return Profiles[EnvDev]
}

// defaultEnvironment is prod for a stack named prod*, else dev.
func defaultEnvironment(stack string) Environment {
	if strings.HasPrefix(strings.ToLower(stack), "prod") {
		return EnvProd
	}
	return EnvDev
}

func boolRef(b bool) *bool { return &b }
func intRef(i int) *int    { return &i }
