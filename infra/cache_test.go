package infra

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/mockengine"
)

const testCacheClientSG = "sg-0app0123456789abc"

// runCache builds one Cache named "cache" in a fake VPC, admitting testCacheClientSG as "app".
func runCache(t *testing.T, stack string, args CacheArgs) (*mockengine.Result, error) {
	t.Helper()
	args.Redis = true
	if args.VpcID == nil {
		args.VpcID = pulumi.String(testVpc)
	}
	if args.SubnetIDs == nil {
		args.SubnetIDs = pulumi.ToStringArray(testPrivateSubnets)
	}
	return mockengine.Run(mockengine.Options{
		Project: "rails-infra", Stack: stack, Config: map[string]string{"aws:region": "ap-northeast-1"},
	}, func(ctx *pulumi.Context, export mockengine.ExportFunc) error {
		c, err := NewCache(ctx, "cache", &args)
		if err != nil {
			return err
		}
		if _, err := c.AllowFrom(ctx, "app", pulumi.String(testCacheClientSG)); err != nil {
			return err
		}
		export("primaryEndpoint", c.PrimaryEndpoint)
		export("urlParameterName", c.URLParameterName)
		return nil
	})
}

func mustRunCache(t *testing.T, stack string, args CacheArgs) *mockengine.Result {
	t.Helper()
	res, err := runCache(t, stack, args)
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	return res
}

func TestCacheReplicationGroupSettings(t *testing.T) {
	cases := []struct {
		name    string
		stack   string
		args    CacheArgs
		want    map[string]any // replication group inputs
		family  string
		protect bool // and a final snapshot
	}{
		{"zero args build dev's cache: one small Valkey node, no failover, no snapshots, changes at once", "dev", CacheArgs{}, map[string]any{
			"engine": "valkey", "engineVersion": "8.2", "nodeType": "cache.t4g.micro", "numCacheClusters": 1.0,
			"automaticFailoverEnabled": false, "multiAzEnabled": false, "snapshotRetentionLimit": 0.0, "applyImmediately": true,
		}, "valkey8", false},
		{"prod's cache has a replica with Multi-AZ failover, a week of snapshots, changes in the window, protect and a final snapshot", "prod",
			CacheArgs{Environment: EnvProd}, map[string]any{
				"engine": "valkey", "engineVersion": "8.2", "nodeType": "cache.t4g.small", "numCacheClusters": 2.0,
				"automaticFailoverEnabled": true, "multiAzEnabled": true, "snapshotRetentionLimit": 7.0, "applyImmediately": false,
			}, "valkey8", true},
		{"Redis OSS 7.1 with two replicas and a bigger node in prod", "prod",
			CacheArgs{Environment: EnvProd, Engine: CacheRedis, NodeType: "cache.m7g.large", Replicas: intRef(2), SnapshotRetentionDays: intRef(14)}, map[string]any{
				"engine": "redis", "engineVersion": "7.1", "nodeType": "cache.m7g.large", "numCacheClusters": 3.0,
				"automaticFailoverEnabled": true, "multiAzEnabled": true, "snapshotRetentionLimit": 14.0,
			}, "redis7", true},
		{"dev may opt into a replica and snapshots, on Valkey 7.2", "dev",
			CacheArgs{EngineVersion: "7.2", Replicas: intRef(1), SnapshotRetentionDays: intRef(3), ApplyImmediately: boolRef(false)}, map[string]any{
				"engineVersion": "7.2", "numCacheClusters": 2.0, "automaticFailoverEnabled": true, "multiAzEnabled": true,
				"snapshotRetentionLimit": 3.0, "applyImmediately": false,
			}, "valkey7", false},
	}
	// Every group, whatever its settings.
	always := map[string]any{
		"port": 6379.0, "transitEncryptionEnabled": true, "transitEncryptionMode": "required", "atRestEncryptionEnabled": true,
		"autoMinorVersionUpgrade": true, "snapshotWindow": CacheSnapshotWindow, "maintenanceWindow": CacheMaintenanceWindow,
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := mustRunCache(t, tc.stack, tc.args)
			rg := one(t, res, awstype.ElastiCacheReplicationGroup)
			for k, want := range tc.want {
				if got := rg.Input(k); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s %s = %v, want %v", rg.Name, k, got, want)
				}
			}
			for k, want := range always {
				if got := rg.Input(k); got != want {
					t.Errorf("%s %s = %v, want %v", rg.Name, k, got, want)
				}
			}
			if rg.Protect != tc.protect {
				t.Errorf("%s protect = %v, want %v", rg.Name, rg.Protect, tc.protect)
			}
			snap, _ := rg.Input("finalSnapshotIdentifier").(string)
			if tc.protect != (snap != "") {
				t.Errorf("%s finalSnapshotIdentifier = %q, want one exactly when protected", rg.Name, snap)
			}
			if snap != "" && (!finalSnapshotPattern.MatchString(snap) || len(snap) > 63) {
				t.Errorf("%s finalSnapshotIdentifier = %q: not a valid snapshot name", rg.Name, snap)
			}
			if rg.Input("replicationGroupId") != nil {
				t.Errorf("%s sets replicationGroupId %v; it must be auto-named so a replacement gets a new id", rg.Name, rg.Input("replicationGroupId"))
			}
			if !slices.Equal(rg.IgnoreChanges, []string{"authToken"}) {
				t.Errorf("%s ignoreChanges = %v, want [authToken]: the first generated token must stay", rg.Name, rg.IgnoreChanges)
			}
			pg := one(t, res, awstype.ElastiCacheParameterGroup)
			if pg.Input("family") != tc.family {
				t.Errorf("%s family = %v, want %s", pg.Name, pg.Input("family"), tc.family)
			}
			params, _ := pg.Input("parameters").([]any)
			if len(params) != 1 || fmt.Sprint(params[0]) != "map[name:maxmemory-policy value:noeviction]" {
				t.Errorf("%s parameters = %v, want only maxmemory-policy noeviction", pg.Name, params)
			}
			if !slices.Contains(rg.PropertyDeps["parameterGroupName"], pg.URN) || !slices.Contains(rg.PropertyDeps["subnetGroupName"], one(t, res, awstype.ElastiCacheSubnetGroup).URN) {
				t.Errorf("%s does not use the cache's own parameter and subnet groups", rg.Name)
			}
			subnets, _ := one(t, res, awstype.ElastiCacheSubnetGroup).Input("subnetIds").([]any)
			if fmt.Sprint(subnets) != fmt.Sprint(testPrivateSubnets) {
				t.Errorf("subnet group subnets = %v, want the private subnets %v", subnets, testPrivateSubnets)
			}
		})
	}
}

var authTokenChars = regexp.MustCompile(`^[A-Za-z0-9!&#$^<>-]{16,128}$`)

func TestCacheAuthTokenIsGeneratedSecretAndOnlyInTheURLParameter(t *testing.T) {
	res := mustRunCache(t, "dev", CacheArgs{})
	rg := one(t, res, awstype.ElastiCacheReplicationGroup)
	if !mockengine.ContainsSecret(rg.Inputs["authToken"]) {
		t.Fatalf("%s authToken is not a Pulumi secret", rg.Name)
	}
	token, _ := rg.Input("authToken").(string)
	if !authTokenChars.MatchString(token) || !regexp.MustCompile(`[A-Z]`).MatchString(token) ||
		!regexp.MustCompile(`[a-z]`).MatchString(token) || !regexp.MustCompile(`[0-9]`).MatchString(token) {
		t.Errorf("authToken %d chars does not meet ElastiCache's rules (16-128 printable, specials only !&#$^<>-) with three character classes", len(token))
	}
	param := one(t, res, awstype.SsmParameter)
	if param.Input("type") != "SecureString" || !mockengine.ContainsSecret(param.Inputs["value"]) {
		t.Errorf("%s type = %v, value secret = %v; want a SecureString holding a secret", param.Name, param.Input("type"), mockengine.ContainsSecret(param.Inputs["value"]))
	}
	host := outputString(t, rg, "primaryEndpointAddress")
	if want := "rediss://:" + token + "@" + host + ":6379"; param.Input("value") != want {
		t.Errorf("%s value is not rediss://:<the group's token>@<primary endpoint>:6379", param.Name)
	}
	for name, e := range res.Exports {
		if s := fmt.Sprint(e.Value); strings.Contains(s, token) {
			t.Errorf("output %s shows the AUTH token", name)
		}
	}
	again := mustRunCache(t, "dev", CacheArgs{})
	if other, _ := one(t, again, awstype.ElastiCacheReplicationGroup).Input("authToken").(string); other == token {
		t.Error("two runs generated the same token: it is not random")
	}
}

func TestCacheAdmitsOnlyTheGrantedSecurityGroup(t *testing.T) {
	res := mustRunCache(t, "dev", CacheArgs{})
	sg := one(t, res, awstype.Ec2SecurityGroup)
	for _, k := range []string{"ingress", "egress"} {
		if v, _ := sg.Input(k).([]any); len(v) > 0 {
			t.Errorf("%s has inline %s rules %v, want none", sg.Name, k, v)
		}
	}
	rule := one(t, res, awstype.VpcSecurityGroupIngressRule)
	want := map[string]any{"fromPort": 6379.0, "toPort": 6379.0, "ipProtocol": "tcp", "referencedSecurityGroupId": testCacheClientSG}
	for k, v := range want {
		if got := rule.Input(k); got != v {
			t.Errorf("%s %s = %v, want %v", rule.Name, k, got, v)
		}
	}
	if rule.Input("cidrIpv4") != nil || !slices.Contains(rule.PropertyDeps["securityGroupId"], sg.URN) {
		t.Errorf("%s must open the cache's own group to the client group only", rule.Name)
	}
}

func TestNewCacheRejectsBadWiringAndArgs(t *testing.T) {
	cases := []struct {
		name, stack, component string
		args                   CacheArgs
		mention                string
	}{
		{"a name that makes the group id too long", "dev", "a-very-long-cache-component", CacheArgs{}, "1-20 characters"},
		{"an engine ElastiCache has no group for", "dev", "cache", CacheArgs{Engine: "memcached"}, "CacheArgs.Engine"},
		{"a Valkey version that does not exist", "dev", "cache", CacheArgs{EngineVersion: "6.2"}, "CacheArgs.EngineVersion"},
		{"prod without a replica", "prod", "cache", CacheArgs{Environment: EnvProd, Replicas: intRef(0)}, "CacheArgs.Replicas"},
	}
	for _, tc := range cases {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			args := tc.args
			args.Redis, args.VpcID, args.SubnetIDs = true, pulumi.String(testVpc), pulumi.ToStringArray(testPrivateSubnets)
			res, err := mockengine.Run(mockengine.Options{Project: "rails-infra", Stack: tc.stack, Config: map[string]string{"aws:region": "ap-northeast-1"}},
				func(ctx *pulumi.Context, _ mockengine.ExportFunc) error {
					_, err := NewCache(ctx, tc.component, &args)
					return err
				})
			if err == nil || !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("err = %v, want one naming %s", err, tc.mention)
			}
			if n := len(res.Resources()); n != 0 {
				t.Errorf("%d resources registered, want none", n)
			}
		})
	}
}

func TestCacheFinalSnapshotNameChangesWithWhatReplacesTheGroup(t *testing.T) {
	base := cacheFinalSnapshotName("prod", "cache", "sg-0123", CacheValkey)
	for what, other := range map[string]string{
		"a re-created stack (new security group)": cacheFinalSnapshotName("prod", "cache", "sg-0456", CacheValkey),
		"an engine change (replaces the group)":   cacheFinalSnapshotName("prod", "cache", "sg-0123", CacheRedis),
	} {
		if other == base {
			t.Errorf("%s keeps the final snapshot name %s: the second deletion would collide", what, base)
		}
	}
	if again := cacheFinalSnapshotName("prod", "cache", "sg-0123", CacheValkey); again != base {
		t.Errorf("the name is not stable: %s then %s", base, again)
	}
}
