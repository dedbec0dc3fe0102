package infra

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elasticache"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Cache is an ElastiCache (Valkey or Redis OSS) replication group in private subnets: TLS in
// transit, encrypted at rest, an AUTH token generated once and handed to the app only as the
// REDIS_URL SSM SecureString, reachable only from security groups granted with AllowFrom.
type Cache struct {
	pulumi.ResourceState

	// PrimaryEndpoint is the host that follows the primary through failovers.
	PrimaryEndpoint pulumi.StringOutput `pulumi:"primaryEndpoint"`
	Port            pulumi.IntOutput    `pulumi:"port"`
	// URLParameterName and URLParameterArn name the SSM SecureString holding REDIS_URL.
	URLParameterName pulumi.StringOutput `pulumi:"urlParameterName"`
	URLParameterArn  pulumi.StringOutput `pulumi:"urlParameterArn"`
	SecurityGroupID  pulumi.StringOutput `pulumi:"securityGroupId"`
	// Engine is plain so readers need no apply.
	Engine CacheEngine

	ReplicationGroup *elasticache.ReplicationGroup
	URLParameter     *ssm.Parameter

	name string
}

// CacheEndpoint is what the app service needs from a cache (Cache.Endpoint()).
type CacheEndpoint struct {
	Host pulumi.StringInput
	Port int
	// URL is the SSM SecureString holding REDIS_URL (rediss://:<token>@host:port). The tasks
	// read it as a container secret; its value and version join the rollout digest, so a new
	// URL rolls the tasks.
	URL             *ssm.Parameter
	SecurityGroupID pulumi.StringInput
	// Allow admits the tasks' security group to the cache (Cache.AllowFrom) and returns the rule;
	// NewAppService calls it once that group exists. Nil when access is granted another way.
	Allow func(ctx *pulumi.Context, appSG pulumi.StringOutput) (pulumi.Resource, error)
}

// cacheAuthTokenLength is the generated AUTH token's length: ElastiCache accepts 16 to 128
// printable characters; letters and digits only, so the token needs no escaping in a URL.
const cacheAuthTokenLength = 64

const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// generateAuthToken returns cacheAuthTokenLength random letters and digits with at least one
// upper-case letter, one lower-case letter and one digit (AWS's recommended three classes).
func generateAuthToken() (string, error) {
	for {
		b := make([]byte, cacheAuthTokenLength)
		for i := range b {
			n, err := rand.Int(rand.Reader, big.NewInt(int64(len(tokenAlphabet))))
			if err != nil {
				return "", fmt.Errorf("generating the cache AUTH token: %w", err)
			}
			b[i] = tokenAlphabet[n.Int64()]
		}
		s := string(b)
		if strings.ContainsAny(s, tokenAlphabet[:26]) && strings.ContainsAny(s, tokenAlphabet[26:52]) && strings.ContainsAny(s, tokenAlphabet[52:]) {
			return s, nil
		}
	}
}

// NewCache builds the subnet group, security group, parameter group, replication group and the
// REDIS_URL parameter. It is only called with Redis on.
func NewCache(ctx *pulumi.Context, name string, args *CacheArgs, opts ...pulumi.ResourceOption) (*Cache, error) {
	if args == nil {
		args = &CacheArgs{}
	}
	a := *args
	a.defaults()
	if err := errors.Join(a.wiringError(name), argsError("CacheArgs", a.problems())); err != nil {
		return nil, err
	}
	c := &Cache{Engine: a.Engine, name: name}
	if err := ctx.RegisterComponentResource("rails-infra:infra:Cache", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	place, err := newCachePlacement(ctx, name, a, parent)
	if err != nil {
		return nil, err
	}
	token, err := generateAuthToken()
	if err != nil {
		return nil, err
	}
	rg, err := elasticache.NewReplicationGroup(ctx, name, replicationGroupArgs(a, place, token, ctx.Stack(), name), parent,
		pulumi.Protect(ProfileOf(a.Environment).Protect),
		// The token is generated on every run; the first one stays (see runbook "Redis AUTH
		// token"), so a second `pulumi up` is empty and the URL below keeps its token.
		pulumi.IgnoreChanges([]string{"authToken"}))
	if err != nil {
		return nil, err
	}
	if c.URLParameter, err = newRedisURLParameter(ctx, name, rg, parent); err != nil {
		return nil, err
	}
	return c, c.setOutputs(ctx, rg, place.securityGroup)
}

// wiringError checks what main wires in: the component name (it names AWS resources) and the network.
func (a *CacheArgs) wiringError(name string) error {
	var errs []error
	if len(name) > 20 || !componentNamePattern.MatchString(name) {
		errs = append(errs, fmt.Errorf("cache name %q: must be 1-20 characters of a-z, 0-9 and single hyphens, starting with a letter (the replication group id is <name>-<7 chars>, at most 40)", name))
	}
	if !a.Redis {
		errs = append(errs, errors.New("CacheArgs.Redis is false: call NewCache only for a stack with redis on"))
	}
	if a.VpcID == nil || a.SubnetIDs == nil {
		errs = append(errs, errors.New("CacheArgs.VpcID and CacheArgs.SubnetIDs (the network's private subnets) are required"))
	}
	return errors.Join(errs...)
}

// cachePlacement is where the replication group runs and how it is configured.
type cachePlacement struct {
	subnets       *elasticache.SubnetGroup
	securityGroup *ec2.SecurityGroup
	params        *elasticache.ParameterGroup
}

func newCachePlacement(ctx *pulumi.Context, name string, a CacheArgs, parent pulumi.ResourceOption) (cachePlacement, error) {
	var p cachePlacement
	var err error
	// Auto-named: a replacement never collides with the old group.
	if p.subnets, err = elasticache.NewSubnetGroup(ctx, name+"-subnets", &elasticache.SubnetGroupArgs{
		Description: pulumi.String("Private subnets of the Rails cache"),
		SubnetIds:   a.SubnetIDs,
	}, parent); err != nil {
		return p, err
	}
	// No inline rules: ingress only through AllowFrom; the provider removes AWS's default
	// allow-all egress (the cache only answers).
	if p.securityGroup, err = ec2.NewSecurityGroup(ctx, name+"-sg", &ec2.SecurityGroupArgs{
		VpcId:       a.VpcID,
		Description: pulumi.Sprintf("%s port %d, only from the app security group", a.Engine, CachePort),
	}, parent); err != nil {
		return p, err
	}
	family, _ := CacheParameterFamily(a.Engine, a.EngineVersion)
	// A new family (major upgrade, or engine switch) replaces the group; like the database's,
	// the old one is retained when the switch waits for the maintenance window.
	p.params, err = elasticache.NewParameterGroup(ctx, name+"-params", &elasticache.ParameterGroupArgs{
		Family:      pulumi.String(family),
		Description: pulumi.Sprintf("Rails %s: %s (Sidekiq keeps its jobs)", family, CacheMaxmemoryPolicy),
		Parameters: elasticache.ParameterGroupParameterArray{&elasticache.ParameterGroupParameterArgs{
			Name: pulumi.String("maxmemory-policy"), Value: pulumi.String(CacheMaxmemoryPolicy),
		}},
	}, parent, retainReplacedParameterGroup(*a.ApplyImmediately))
	return p, err
}

// cacheFinalSnapshotName names the snapshot ElastiCache takes when the replication group is
// deleted. Snapshot names are unique per account and region, so, as for the database
// (finalSnapshotName), it hashes the security group id (new whenever the stack is created again)
// and the engine (the one setting here whose change replaces the group), and is fixed for the
// group's lifetime.
func cacheFinalSnapshotName(stack, name, securityGroupID string, engine CacheEngine) string {
	sum := sha256.Sum256([]byte(securityGroupID + "\x00" + string(engine)))
	prefix := strings.Trim(nonIdentifierChars.ReplaceAllString(strings.ToLower(stack+"-"+name), "-"), "-")
	if len(prefix) > 30 {
		prefix = strings.TrimRight(prefix[:30], "-")
	}
	if prefix == "" || prefix[0] < 'a' || prefix[0] > 'z' {
		prefix = "cache-" + prefix
	}
	return prefix + "-final-" + hex.EncodeToString(sum[:])[:12]
}

// replicationGroupArgs maps the defaulted settings onto the replication group.
func replicationGroupArgs(a CacheArgs, place cachePlacement, token, stack, name string) *elasticache.ReplicationGroupArgs {
	p := ProfileOf(a.Environment)
	replicas := *a.Replicas
	var finalSnapshot pulumi.StringPtrInput
	if p.Protect {
		finalSnapshot = place.securityGroup.ID().ToStringOutput().ApplyT(func(id string) *string {
			s := cacheFinalSnapshotName(stack, name, id, a.Engine)
			return &s
		}).(pulumi.StringPtrOutput)
	}
	return &elasticache.ReplicationGroupArgs{
		// ReplicationGroupId is auto-named (<name>-<7 chars>, lower case, at most 40), so a
		// replacement is created beside the old group under a new id.
		Description:   pulumi.String("Rails cache: Sidekiq, Action Cable, cache store"),
		Engine:        pulumi.String(string(a.Engine)),
		EngineVersion: pulumi.String(a.EngineVersion),
		// Patch releases follow AWS; a new minor or major is a change of EngineVersion.
		AutoMinorVersionUpgrade:  pulumi.Bool(true),
		NodeType:                 pulumi.String(a.NodeType),
		NumCacheClusters:         pulumi.Int(1 + replicas),
		AutomaticFailoverEnabled: pulumi.Bool(replicas > 0),
		MultiAzEnabled:           pulumi.Bool(replicas > 0),
		Port:                     pulumi.Int(CachePort),
		SubnetGroupName:          place.subnets.Name,
		SecurityGroupIds:         pulumi.StringArray{place.securityGroup.ID()},
		ParameterGroupName:       place.params.Name,
		TransitEncryptionEnabled: pulumi.Bool(true),
		// required: the server refuses plain-text connections (preferred would accept both).
		TransitEncryptionMode:   pulumi.String("required"),
		AtRestEncryptionEnabled: pulumi.Bool(true),
		AuthToken:               pulumi.ToSecret(pulumi.String(token)).(pulumi.StringOutput),
		SnapshotRetentionLimit:  pulumi.Int(*a.SnapshotRetentionDays),
		SnapshotWindow:          pulumi.String(CacheSnapshotWindow),
		MaintenanceWindow:       pulumi.String(CacheMaintenanceWindow),
		FinalSnapshotIdentifier: finalSnapshot,
		ApplyImmediately:        pulumi.Bool(*a.ApplyImmediately),
	}
}

// newRedisURLParameter keeps REDIS_URL as an auto-named SSM SecureString. The URL is built from
// the replication group's stored token (a secret output), so it never exists in plain text in
// the program's outputs or the state.
func newRedisURLParameter(ctx *pulumi.Context, name string, rg *elasticache.ReplicationGroup, parent pulumi.ResourceOption) (*ssm.Parameter, error) {
	url := pulumi.All(rg.AuthToken, rg.PrimaryEndpointAddress).ApplyT(func(xs []any) (string, error) {
		token, _ := xs[0].(*string)
		if token == nil || *token == "" {
			return "", errors.New("the replication group reported no AUTH token")
		}
		return fmt.Sprintf("rediss://:%s@%s:%d", *token, xs[1].(string), CachePort), nil
	}).(pulumi.StringOutput)
	return ssm.NewParameter(ctx, name+"-redis-url", &ssm.ParameterArgs{
		Type:        pulumi.String("SecureString"),
		Value:       pulumi.ToSecret(url).(pulumi.StringOutput),
		Description: pulumi.String("REDIS_URL for the Rails app: TLS (rediss://) with the AUTH token (managed by Pulumi)"),
	}, parent)
}

func (c *Cache) setOutputs(ctx *pulumi.Context, rg *elasticache.ReplicationGroup, sg *ec2.SecurityGroup) error {
	c.ReplicationGroup = rg
	c.PrimaryEndpoint = rg.PrimaryEndpointAddress
	c.Port = rg.Port.ApplyT(func(p *int) int {
		if p == nil {
			return CachePort
		}
		return *p
	}).(pulumi.IntOutput)
	c.URLParameterName = c.URLParameter.Name
	c.URLParameterArn = c.URLParameter.Arn
	c.SecurityGroupID = sg.ID().ToStringOutput()
	return ctx.RegisterResourceOutputs(c, pulumi.Map{
		"primaryEndpoint":  c.PrimaryEndpoint,
		"port":             c.Port,
		"urlParameterName": c.URLParameterName,
		"urlParameterArn":  c.URLParameterArn,
		"securityGroupId":  c.SecurityGroupID,
	})
}

// AllowFrom lets clientSG reach the cache port: one ingress rule on the cache security group
// whose only source is that security group. It returns the rule.
func (c *Cache) AllowFrom(ctx *pulumi.Context, name string, clientSG pulumi.StringInput) (pulumi.Resource, error) {
	if name == "" || clientSG == nil {
		return nil, errors.New("Cache.AllowFrom: name and clientSG are required")
	}
	return vpc.NewSecurityGroupIngressRule(ctx, c.name+"-from-"+name, &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId:           c.SecurityGroupID,
		Description:               pulumi.Sprintf("%s from the %s security group", c.Engine, name),
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  pulumi.Int(CachePort),
		ToPort:                    pulumi.Int(CachePort),
		ReferencedSecurityGroupId: clientSG,
	}, pulumi.Parent(c))
}

// Endpoint is what the app service needs to connect.
func (c *Cache) Endpoint() CacheEndpoint {
	return CacheEndpoint{
		Host: c.PrimaryEndpoint, Port: CachePort, URL: c.URLParameter, SecurityGroupID: c.SecurityGroupID,
	}
}
