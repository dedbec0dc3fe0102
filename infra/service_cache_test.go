package infra

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/mockengine"
)

// withCache builds a dev Cache first and wires it into the service as main.go does.
func withCache(extra func(a *AppServiceArgs)) func(ctx *pulumi.Context, a *AppServiceArgs) error {
	return func(ctx *pulumi.Context, a *AppServiceArgs) error {
		c, err := NewCache(ctx, "cache", &CacheArgs{Redis: true, VpcID: pulumi.String(testVpc), SubnetIDs: pulumi.ToStringArray(testPrivateSubnets)})
		if err != nil {
			return err
		}
		ep := c.Endpoint()
		ep.Allow = func(ctx *pulumi.Context, appSG pulumi.StringOutput) (pulumi.Resource, error) {
			return c.AllowFrom(ctx, "app", appSG)
		}
		a.Cache = &ep
		if extra != nil {
			extra(a)
		}
		return nil
	}
}

func TestServiceReadsRedisURLAsASecretFromTheCache(t *testing.T) {
	r := runServiceIn(t, withCache(nil), nil)
	if r.err != nil {
		t.Fatalf("program failed: %v", r.err)
	}
	res := r.res
	one(t, res, awstype.ElastiCacheReplicationGroup) // the cache exists
	var urlParam *mockengine.Resource
	for _, p := range res.OfType(awstype.SsmParameter) {
		if p.Name == "cache-redis-url" {
			urlParam = p
		}
	}
	if urlParam == nil {
		t.Fatal("no cache-redis-url parameter")
	}
	arn := outputString(t, urlParam, "arn")

	t.Run("web and migrate read REDIS_URL from the parameter, never as plain env", func(t *testing.T) {
		for _, td := range []string{"app", "app-migrate"} {
			c := containerDefs(t, res, td)
			if _, plain := envMap(c)[RedisURLEnv]; plain {
				t.Errorf("%s has %s in environment", td, RedisURLEnv)
			}
			i := slices.IndexFunc(c.Secrets, func(s SecretRef) bool { return s.Name == RedisURLEnv })
			if i < 0 || c.Secrets[i].ValueFrom != arn {
				t.Errorf("%s secrets = %v, want %s from %s", td, c.Secrets, RedisURLEnv, arn)
			}
		}
	})

	t.Run("the execution role may read exactly that parameter", func(t *testing.T) {
		grant := res.Find(awstype.IamRolePolicy, "app-execution-cache")
		if grant == nil {
			t.Fatal("no app-execution-cache role policy")
		}
		doc := policyOf(t, grant, "policy", policyVersion)
		assertNoWildcards(t, doc)
		if len(doc.Statement) != 1 || !slices.Equal(doc.Statement[0].Action, []string{"ssm:GetParameters"}) ||
			!slices.Equal(doc.Statement[0].Resource, []string{arn}) || doc.Statement[0].Effect != "Allow" {
			t.Errorf("%s = %+v, want one Allow of ssm:GetParameters on %s", grant.Name, doc.Statement, arn)
		}
		exec := res.Find(awstype.IamRole, "app-execution")
		if !slices.Contains(grant.PropertyDeps["role"], exec.URN) {
			t.Errorf("%s is not attached to the execution role", grant.Name)
		}
		svc := one(t, res, awstype.EcsService)
		if !slices.Contains(svc.DependsOn, grant.URN) {
			t.Errorf("the service does not wait for %s: tasks could start without REDIS_URL", grant.Name)
		}
	})

	t.Run("the task security group gains exactly the cache port to the cache's group", func(t *testing.T) {
		cacheSG := res.Find(awstype.Ec2SecurityGroup, "cache-sg")
		appSG := res.Find(awstype.Ec2SecurityGroup, "app-app")
		var toCache []*mockengine.Resource
		for _, e := range res.OfType(awstype.VpcSecurityGroupEgressRule) {
			if slices.Contains(e.PropertyDeps["referencedSecurityGroupId"], cacheSG.URN) {
				toCache = append(toCache, e)
			}
		}
		if len(toCache) != 1 {
			t.Fatalf("%d egress rules reach the cache's group, want 1", len(toCache))
		}
		e := toCache[0]
		if e.Input("fromPort") != 6379.0 || e.Input("toPort") != 6379.0 || e.Input("ipProtocol") != "tcp" ||
			!slices.Contains(e.PropertyDeps["securityGroupId"], appSG.URN) {
			t.Errorf("%s: %v-%v %v from %v, want tcp 6379-6379 on the app group", e.Name, e.Input("fromPort"), e.Input("toPort"), e.Input("ipProtocol"), e.PropertyDeps["securityGroupId"])
		}
		in := res.Find(awstype.VpcSecurityGroupIngressRule, "cache-from-app")
		if in == nil || !slices.Contains(in.PropertyDeps["referencedSecurityGroupId"], appSG.URN) {
			t.Fatalf("the cache does not admit the app's security group")
		}
		if svc := one(t, res, awstype.EcsService); !slices.Contains(svc.DependsOn, in.URN) || !slices.Contains(svc.DependsOn, e.URN) {
			t.Errorf("service %s does not wait for %s and %s: its tasks could start unable to reach the cache", svc.Name, in.Name, e.Name)
		}
	})
}

func TestServiceWithoutACacheHasNoRedis(t *testing.T) {
	r := mustRunService(t, nil, nil)
	for _, td := range []string{"app", "app-migrate"} {
		c := containerDefs(t, r.res, td)
		if slices.ContainsFunc(c.Secrets, func(s SecretRef) bool { return s.Name == RedisURLEnv }) {
			t.Errorf("%s reads %s without a cache", td, RedisURLEnv)
		}
	}
	if g := r.res.Find(awstype.IamRolePolicy, "app-execution-cache"); g != nil {
		t.Error("a cache grant exists without a cache")
	}
	if e := r.res.Find(awstype.VpcSecurityGroupEgressRule, "app-app-out-cache"); e != nil {
		t.Error("a cache egress rule exists without a cache")
	}
}

func TestServiceRefusesASecondREDISURL(t *testing.T) {
	for _, tc := range []struct {
		name  string
		set   func(a *AppServiceArgs)
		field string
	}{
		{"in appSecrets", func(a *AppServiceArgs) {
			a.AppSecrets = map[string]pulumi.StringInput{"REDIS_URL": pulumi.ToSecret(pulumi.String("rediss://x")).(pulumi.StringOutput)}
		}, "AppServiceArgs.AppSecrets"},
		{"in appEnv", func(a *AppServiceArgs) { a.AppEnv = map[string]string{"redis_url": "redis://localhost"} }, "AppServiceArgs.AppEnv"},
	} {
		t.Run("REDIS_URL "+tc.name+" beside a cache is refused", func(t *testing.T) {
			r := runServiceIn(t, withCache(tc.set), nil)
			if r.err == nil || !strings.Contains(r.err.Error(), tc.field) || !strings.Contains(r.err.Error(), "set by the cache") {
				t.Errorf("err = %v, want one naming %s", r.err, tc.field)
			}
		})
	}
}
