package infra

import (
	"testing"
)

type cacheSettings struct {
	Redis               bool
	Engine              CacheEngine
	EngineVersion       string
	NodeType            string
	Replicas, Snapshots int
	ApplyImmediately    bool
}

func cacheSettingsOf(t *testing.T, a CacheArgs) cacheSettings {
	t.Helper()
	if a.Replicas == nil || a.SnapshotRetentionDays == nil || a.ApplyImmediately == nil {
		t.Fatalf("CacheArgs has a nil setting after defaults: %+v", a)
	}
	return cacheSettings{a.Redis, a.Engine, a.EngineVersion, a.NodeType, *a.Replicas, *a.SnapshotRetentionDays, *a.ApplyImmediately}
}

func TestCacheConfigDefaultsPerEnvironment(t *testing.T) {
	cases := []struct {
		name string
		env  string
		keys map[string]string
		want cacheSettings
	}{
		{"dev has no cache unless redis is on", "dev", nil, cacheSettings{false, CacheValkey, "8.2", "cache.t4g.micro", 0, 0, true}},
		{"dev's cache is one micro Valkey node without snapshots", "dev", map[string]string{"redis": "true"},
			cacheSettings{true, CacheValkey, "8.2", "cache.t4g.micro", 0, 0, true}},
		{"prod's cache is a small node with a replica and a week of snapshots, changed in the window", "prod", map[string]string{"redis": "true"},
			cacheSettings{true, CacheValkey, "8.2", "cache.t4g.small", 1, 7, false}},
		{"Redis OSS defaults to 7.1", "dev", map[string]string{"redis": "true", "redisEngine": "redis"},
			cacheSettings{true, CacheRedis, "7.1", "cache.t4g.micro", 0, 0, true}},
		{"every setting may be given", "prod", map[string]string{"redis": "true", "redisEngineVersion": "7.2", "redisNodeType": "cache.r7g.large",
			"redisReplicas": "2", "redisSnapshotRetentionDays": "35", "redisApplyImmediately": "true"},
			cacheSettings{true, CacheValkey, "7.2", "cache.r7g.large", 2, 35, true}},
		{"dev may keep no snapshots explicitly", "dev", map[string]string{"redis": "true", "redisSnapshotRetentionDays": "0", "redisReplicas": "0"},
			cacheSettings{true, CacheValkey, "8.2", "cache.t4g.micro", 0, 0, true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParseConfig(t, tc.env, tc.keys, environment(tc.env))
			if got := cacheSettingsOf(t, c.Cache); got != tc.want {
				t.Errorf("cache settings\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// A Go caller that sets nothing gets what a dev stack that sets nothing gets.
func TestZeroCacheArgsAreTheDevProfile(t *testing.T) {
	c := mustParseConfig(t, "dev", nil, environment("dev"))
	var zero CacheArgs
	zero.defaults()
	if got, want := cacheSettingsOf(t, zero), cacheSettingsOf(t, c.Cache); got != want {
		t.Errorf("CacheArgs{} defaults to %+v, the dev stack's cache is %+v", got, want)
	}
}

func TestCacheConfigRejectsBadValues(t *testing.T) {
	cases := []struct {
		name    string
		env     string
		keys    map[string]string
		key     string
		mention string
		fix     string
	}{
		{"memcached as the engine", "dev", map[string]string{"redis": "true", "redisEngine": "memcached"}, "redisEngine", "valkey | redis", "pulumi config set redisEngine valkey"},
		{"an upper-case engine", "dev", map[string]string{"redisEngine": "Valkey"}, "redisEngine", "valkey | redis", "pulumi config set redisEngine valkey"},
		{"a Valkey version with a patch", "dev", map[string]string{"redisEngineVersion": "8.2.1"}, "redisEngineVersion", "7.2 or 8.x", "pulumi config set redisEngineVersion 8.2"},
		{"a Redis OSS 6 version", "dev", map[string]string{"redisEngine": "redis", "redisEngineVersion": "6.2"}, "redisEngineVersion", "7.0 or 7.1", "pulumi config set redisEngineVersion 7.1"},
		{"a node type without cache.", "dev", map[string]string{"redisNodeType": "t4g.micro"}, "redisNodeType", "cache.<family>.<size>", "pulumi config set redisNodeType cache.t4g.micro"},
		{"a previous-generation node", "prod", map[string]string{"redisNodeType": "cache.t2.micro"}, "redisNodeType", "previous-generation", "pulumi config set redisNodeType cache.t4g.small"},
		{"six replicas", "dev", map[string]string{"redisReplicas": "6"}, "redisReplicas", "from 0 to 5", "pulumi config set redisReplicas 0"},
		{"replicas as a word", "dev", map[string]string{"redisReplicas": "one"}, "redisReplicas", "whole number", "pulumi config set redisReplicas"},
		{"prod without a replica", "prod", map[string]string{"redis": "true", "redisReplicas": "0"}, "redisReplicas", "environment is prod", "pulumi config set redisReplicas 1"},
		{"36 days of snapshots", "dev", map[string]string{"redisSnapshotRetentionDays": "36"}, "redisSnapshotRetentionDays", "from 0 to 35", "pulumi config set redisSnapshotRetentionDays 0"},
		{"prod with three days of snapshots", "prod", map[string]string{"redisSnapshotRetentionDays": "3"}, "redisSnapshotRetentionDays", "environment is prod", "pulumi config set redisSnapshotRetentionDays 7"},
		{"redis as yes", "dev", map[string]string{"redis": "yes"}, "redis", "true or false", "pulumi config set redis false"},
		{"apply immediately as now", "dev", map[string]string{"redisApplyImmediately": "now"}, "redisApplyImmediately", "true or false", "pulumi config set redisApplyImmediately true"},
		{"REDIS_URL in appSecrets beside the cache", "dev", map[string]string{"redis": "true", "appSecrets": `{"REDIS_URL":"rediss://x"}`}, "appSecrets", "set by the cache", "pulumi config rm --path 'appSecrets.REDIS_URL'"},
		{"REDIS_URL in appEnv beside the cache", "dev", map[string]string{"redis": "true", "appEnv": `{"REDIS_URL":"redis://cache:6379"}`}, "appEnv", "set by the cache", "pulumi config rm --path 'appEnv.REDIS_URL'"},
	}
	for _, tc := range cases {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			_, err := parseConfig(t, tc.env, tc.keys, environment(tc.env), secret("appSecrets"))
			wantProblem(t, err, tc.key, tc.mention, tc.fix)
		})
	}
}
