package infra

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CacheEngine is the ElastiCache engine of the cache: Valkey (the Linux Foundation fork of
// Redis, which AWS prices 20% below Redis OSS for node-based clusters) or Redis OSS. Both speak
// the Redis protocol, so redis-rb, Sidekiq, Action Cable and Rails' cache store work unchanged.
type CacheEngine string

const (
	// CacheValkey is ElastiCache for Valkey.
	CacheValkey CacheEngine = "valkey"
	// CacheRedis is ElastiCache for Redis OSS (7.x; AWS bills Extended Support for 4 and 5).
	CacheRedis CacheEngine = "redis"
)

// CacheEngines lists the supported engines, default first.
var CacheEngines = []CacheEngine{CacheValkey, CacheRedis}

// Cache defaults that are the same in every environment (Profile holds the others).
const (
	DefaultCacheEngine = CacheValkey
	// CachePort is the Redis protocol's standard port; fixed, because ElastiCache replaces the
	// replication group when it changes.
	CachePort = 6379
	// MaxCacheReplicas is ElastiCache's limit of read replicas per node group.
	MaxCacheReplicas = 5
	// ProdMinCacheSnapshotDays is the least a protected (prod) cache keeps its daily snapshots.
	ProdMinCacheSnapshotDays = 7
	// MaxCacheSnapshotDays is ElastiCache's longest automatic snapshot retention.
	MaxCacheSnapshotDays = 35
	// CacheSnapshotWindow is 01:00-02:00 JST (UTC+9); ElastiCache needs at least 60 minutes.
	CacheSnapshotWindow = "16:00-17:00"
	// CacheMaintenanceWindow is Monday 05:00-06:00 JST, after the database's window, never
	// overlapping the snapshot window.
	CacheMaintenanceWindow = "sun:20:00-sun:21:00"
	// CacheMaxmemoryPolicy keeps every key when memory is full: Sidekiq's jobs and schedules
	// live in Redis without a TTL, and an evicting policy would drop them silently (Sidekiq
	// warns at boot unless the policy is noeviction). Writes fail loudly instead.
	CacheMaxmemoryPolicy = "noeviction"
)

// DefaultCacheEngineVersion is each engine's major.minor when none is configured: the newest
// minor of the current major. ElastiCache applies patch releases itself
// (autoMinorVersionUpgrade); a new minor is a deliberate change of this setting.
var DefaultCacheEngineVersion = map[CacheEngine]string{CacheValkey: "8.2", CacheRedis: "7.1"}

var (
	valkeyVersionPattern  = regexp.MustCompile(`^(7)\.2$|^(8)\.\d$`)
	redisVersionPattern   = regexp.MustCompile(`^(7)\.[01]$`)
	cacheNodeTypePattern  = regexp.MustCompile(`^cache\.[a-z][a-z0-9-]*\.[a-z0-9]+$`)
	unsupportedCacheNodes = regexp.MustCompile(`^cache\.(t1|t2|m1|m2|m3|c1|r3)\.`)
)

// CacheParameterFamily is the parameter group family of an engine version: valkey 8.2 ->
// valkey8, valkey 7.2 -> valkey7, redis 7.1 -> redis7 (ElastiCache user guide, "Engine specific
// parameters"). It returns an error that says which versions are allowed.
func CacheParameterFamily(engine CacheEngine, version string) (string, error) {
	switch engine {
	case CacheValkey:
		m := valkeyVersionPattern.FindStringSubmatch(version)
		if m == nil {
			return "", fmt.Errorf("a Valkey version is 7.2 or 8.x (major.minor, e.g. %s)", DefaultCacheEngineVersion[CacheValkey])
		}
		return "valkey" + m[1] + m[2], nil
	case CacheRedis:
		if redisVersionPattern.MatchString(version) {
			return "redis7", nil
		}
		return "", fmt.Errorf("a Redis OSS version is 7.0 or 7.1 (older majors are past standard support)")
	}
	return "", fmt.Errorf("unknown engine %q: use valkey or redis", engine)
}

// CacheArgs configures NewCache. Each setting is the field tagged with its config key (the key
// without its "redis" prefix); a zero value takes the default written beside it, from Profile
// where dev and prod differ, so CacheArgs{} is the dev profile's cache (switched off).
type CacheArgs struct {
	// VpcID is the VPC of the cache security group. Required when Redis is on.
	VpcID pulumi.StringInput
	// SubnetIDs are the private subnets of the cache subnet group. Required when Redis is on.
	SubnetIDs pulumi.StringArrayInput
	// Environment picks the Profile for unset settings. Where Profile.Protect (prod), the
	// replication group is Pulumi-protected, takes a final snapshot when deleted, and its
	// data-safety settings cannot be switched off. Default EnvDev.
	Environment Environment

	// Redis switches the cache on: an ElastiCache replication group whose REDIS_URL every task
	// of the app receives as a secret. It decides whether the cache's resources exist, so it is
	// a plain bool. Default false.
	Redis bool `config:"redis"`
	// Engine. Default DefaultCacheEngine. Valid: CacheValkey, CacheRedis.
	Engine CacheEngine `config:"redisEngine"`
	// EngineVersion is major.minor; ElastiCache applies patches itself. Default
	// DefaultCacheEngineVersion[Engine]. Valid: see CacheParameterFamily.
	EngineVersion string `config:"redisEngineVersion"`
	// NodeType of every node. Default Profile.CacheNodeType (dev cache.t4g.micro, prod
	// cache.t4g.small). Valid: cache.<family>.<size>, a current generation.
	NodeType string `config:"redisNodeType"`
	// Replicas are read replicas beside the primary, in other AZs; with one or more, ElastiCache
	// fails over to a replica automatically (Multi-AZ). Default Profile.CacheReplicas (dev 0,
	// prod 1). Valid: 0 to MaxCacheReplicas, at least 1 where Profile.Protect.
	Replicas *int `config:"redisReplicas"`
	// SnapshotRetentionDays keeps daily snapshots this long; 0 takes none. Default
	// Profile.CacheSnapshotRetentionDays (dev 0, prod 7). Valid: 0 to 35, at least
	// ProdMinCacheSnapshotDays where Profile.Protect.
	SnapshotRetentionDays *int `config:"redisSnapshotRetentionDays"`
	// ApplyImmediately applies changes (node type, version, replicas) now instead of in
	// CacheMaintenanceWindow. Default Profile.CacheApplyImmediately (dev true, prod false).
	ApplyImmediately *bool `config:"redisApplyImmediately"`
}

// Enabled reports whether the stack has a cache.
func (a *CacheArgs) Enabled() bool { return a.Redis }

// defaults fills every unset setting.
func (a *CacheArgs) defaults() {
	p := ProfileOf(a.Environment)
	if a.Engine == "" {
		a.Engine = DefaultCacheEngine
	}
	if a.EngineVersion == "" {
		a.EngineVersion = DefaultCacheEngineVersion[a.Engine]
	}
	if a.NodeType == "" {
		a.NodeType = p.CacheNodeType
	}
	orDefault(&a.Replicas, p.CacheReplicas)
	orDefault(&a.SnapshotRetentionDays, p.CacheSnapshotRetentionDays)
	orDefault(&a.ApplyImmediately, p.CacheApplyImmediately)
}

// problems holds every cache rule. It reads defaulted args; the settings are checked even with
// Redis off, so a typo is reported when it is made rather than on the day Redis is switched on.
func (a *CacheArgs) problems() []FieldProblem {
	var ps problemList
	p := ProfileOf(a.Environment)
	engines := make([]string, len(CacheEngines))
	for i, e := range CacheEngines {
		engines[i] = string(e)
	}
	enumProblem(&ps, "Engine", string(a.Engine), engines, string(DefaultCacheEngine),
		"Valkey is the Redis OSS fork AWS recommends (20% cheaper per node); both work with Sidekiq and Rails.")
	if _, err := CacheParameterFamily(a.Engine, a.EngineVersion); err != nil && isCacheEngine(a.Engine) {
		ps.add("EngineVersion", a.EngineVersion, fmt.Sprintf("is not a %s version: %v.", a.Engine, err),
			setTo("EngineVersion", DefaultCacheEngineVersion[a.Engine]))
	}
	switch {
	case !cacheNodeTypePattern.MatchString(a.NodeType):
		ps.add("NodeType", a.NodeType, "must look like cache.<family>.<size>, e.g. cache.t4g.micro or cache.m7g.large.",
			setTo("NodeType", p.CacheNodeType))
	case unsupportedCacheNodes.MatchString(a.NodeType):
		ps.add("NodeType", a.NodeType, "is a previous-generation node type that does not support encryption in transit and at rest; use a current generation (t4g, m7g, r7g).",
			setTo("NodeType", p.CacheNodeType))
	}
	replicas, days := *a.Replicas, *a.SnapshotRetentionDays
	rangeProblem(&ps, "Replicas", replicas, 0, MaxCacheReplicas, p.CacheReplicas)
	rangeProblem(&ps, "SnapshotRetentionDays", days, 0, MaxCacheSnapshotDays, p.CacheSnapshotRetentionDays)
	if !p.Protect {
		return ps
	}
	if replicas == 0 {
		ps.add("Replicas", "0",
			cacheProdSafety("a replica in another AZ takes over within a minute or two when the primary's node or AZ fails; without one, queued jobs wait until AWS replaces the node."),
			setTo("Replicas", strconv.Itoa(p.CacheReplicas)))
	}
	if days >= 0 && days < ProdMinCacheSnapshotDays {
		ps.add("SnapshotRetentionDays", strconv.Itoa(days),
			cacheProdSafety(fmt.Sprintf("at least %d days of daily snapshots let queued and scheduled jobs be restored after a bad deploy flushes them.", ProdMinCacheSnapshotDays)),
			setTo("SnapshotRetentionDays", strconv.Itoa(p.CacheSnapshotRetentionDays)))
	}
	return ps
}

func isCacheEngine(e CacheEngine) bool {
	for _, x := range CacheEngines {
		if x == e {
			return true
		}
	}
	return false
}

// cacheProdSafety explains why a prod stack may not switch off a cache data-safety setting.
func cacheProdSafety(why string) string {
	return "environment is prod (rails-infra:environment), where the cache's data safety cannot be switched off: " + why
}

// RedisURLEnv is the env var every task reads the cache's URL from (redis-rb, Sidekiq and
// Rails' cache store and Action Cable all read REDIS_URL by convention).
const RedisURLEnv = "REDIS_URL"

// cacheEnvConflict says why appEnv/appSecrets may not set REDIS_URL when the stack has a cache,
// or "": the cache's own URL would be shadowed or duplicated.
func cacheEnvConflict(appEnv map[string]string, appSecrets map[string]pulumi.StringInput) (field string, reason string) {
	for name := range appEnv {
		if strings.EqualFold(name, RedisURLEnv) {
			return "AppEnv", fmt.Sprintf("%q is set by the cache when redis is on (the URL with its AUTH token, as a secret).", name)
		}
	}
	for name := range appSecrets {
		if strings.EqualFold(name, RedisURLEnv) {
			return "AppSecrets", fmt.Sprintf("%q is set by the cache when redis is on (the URL with its AUTH token, as a secret).", name)
		}
	}
	return "", ""
}
