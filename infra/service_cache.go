package infra

import (
	"errors"
	"fmt"
	"sort"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// connectCache wires the tasks to the cache, when the stack has one (AppServiceArgs.Cache):
//   - REDIS_URL joins the stack's secrets, so every task definition built from them (web,
//     migrate, and whatever else shares them) gets it in `secrets`, and a changed URL changes
//     the rollout digest;
//   - the execution role may read exactly that one parameter;
//   - the task security group gains one egress rule: the cache port, to the cache's group;
//   - the cache admits the task security group (CacheEndpoint.Allow), and the tasks wait for it.
func (b *appServiceBuild) connectCache() error {
	c := b.a.Cache
	if c == nil {
		return nil
	}
	b.secrets.include(RedisURLEnv, c.URL)
	grant, err := newCacheSecretGrant(b.ctx, b.name, b.roles.Execution, c.URL, b.parent)
	if err != nil {
		return err
	}
	b.roles.Grants = append(b.roles.Grants, grant)
	egress, err := vpc.NewSecurityGroupEgressRule(b.ctx, b.name+"-app-out-cache", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId:           b.sgs.App.ID(),
		Description:               pulumi.String("To the cache port on the cache security group only"),
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  pulumi.Int(c.Port),
		ToPort:                    pulumi.Int(c.Port),
		ReferencedSecurityGroupId: c.SecurityGroupID,
	}, b.parent)
	if err != nil {
		return err
	}
	b.sgs.AppEgress = append(b.sgs.AppEgress, egress)
	if c.Allow == nil {
		return nil
	}
	rule, err := c.Allow(b.ctx, b.sgs.App.ID().ToStringOutput())
	if err != nil {
		return err
	}
	// The tasks (and the migration run) start only once the cache admits them.
	b.dbAccess = append(b.dbAccess, rule)
	return nil
}

// cacheSecretPolicy lets ECS read the one REDIS_URL parameter when it starts a task; its
// SecureString is decrypted through SSM with the execution policy's DecryptParametersViaSsm.
func cacheSecretPolicy(parameterArn string) PolicyDocument {
	return PolicyDocument{Statement: []Statement{{
		Sid:      "ReadRedisUrl",
		Effect:   "Allow",
		Action:   []string{"ssm:GetParameters"},
		Resource: []string{parameterArn},
	}}}
}

func newCacheSecretGrant(ctx *pulumi.Context, name string, exec *iam.Role, url *ssm.Parameter, parent pulumi.ResourceOption) (pulumi.Resource, error) {
	doc := url.Arn.ApplyT(func(arn string) (string, error) {
		return MarshalPolicy(cacheSecretPolicy(arn))
	}).(pulumi.StringOutput)
	return iam.NewRolePolicy(ctx, name+"-execution-cache", &iam.RolePolicyArgs{
		Role:   exec.ID(),
		Policy: doc,
	}, parent)
}

// include adds a parameter another component keeps (the cache's REDIS_URL) to the secrets the
// tasks read, as if it were one of the stack's own.
func (s *stackSecrets) include(env string, p *ssm.Parameter) {
	if _, ok := s.Params[env]; !ok {
		s.Names = append(s.Names, env)
		sort.Strings(s.Names)
	}
	s.Params[env] = p
}

// cacheWiringProblems checks the cache a Go caller wires in: complete, and REDIS_URL not also
// set by appEnv/appSecrets (the config reader reports the same rule by key, in crossChecks).
func (a *AppServiceArgs) cacheWiringProblems() []error {
	c := a.Cache
	if c == nil {
		return nil
	}
	var errs []error
	if c.URL == nil || c.SecurityGroupID == nil || c.Port < 1 || c.Port > 65535 {
		errs = append(errs, errors.New("AppServiceArgs.Cache: URL, SecurityGroupID and Port (1-65535) are required"))
	}
	if field, reason := cacheEnvConflict(a.AppEnv, a.AppSecrets); field != "" {
		errs = append(errs, fmt.Errorf("AppServiceArgs.%s: %s", field, reason))
	}
	return errs
}
