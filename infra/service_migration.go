package infra

import (
	_ "embed" // the migration runner's Python source
	"encoding/json"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// MigrateHandlerCode is the migration runner Lambda's source (index.py). It holds nothing
// stack-specific: the invocation's input names the cluster, task definition and network.
//
//go:embed service_migrate_lambda.py
var MigrateHandlerCode string

const (
	// MigrateLambdaRuntime ships boto3, so the inline code needs no packaging.
	MigrateLambdaRuntime = "python3.12"
	// MigrateLambdaHandler is index.py's handler function.
	MigrateLambdaHandler = "index.handler"
	// MigrateLambdaTimeoutSeconds is Lambda's maximum: the longest migration `pulumi up` can wait for.
	MigrateLambdaTimeoutSeconds = 900
	// MigrateStartedBy tags the task so it can be found with `aws ecs list-tasks --started-by`.
	MigrateStartedBy = "rails-infra-migrate"
)

// MigrateEvent is the invocation's input: everything the handler needs, as data.
type MigrateEvent struct {
	Cluster        string   `json:"cluster"`
	TaskDefinition string   `json:"taskDefinition"`
	Subnets        []string `json:"subnets"`
	SecurityGroups []string `json:"securityGroups"`
	Container      string   `json:"container"`
	Command        []string `json:"command"`
	LogGroup       string   `json:"logGroup"`
	StreamPrefix   string   `json:"streamPrefix"`
}

// migrationArgs are what the runner needs from NewAppService.
type migrationArgs struct {
	Account          Account
	Family           string // the migrate task definition family
	LogRetentionDays int
	ClusterArn       pulumi.StringOutput
	ClusterName      pulumi.StringOutput
	TaskDefinition   pulumi.StringOutput // the migrate task definition's ARN with revision
	Subnets          pulumi.StringArrayInput
	SecurityGroup    pulumi.StringOutput
	ExecutionRole    pulumi.StringOutput
	TaskRole         pulumi.StringOutput
	AppLogGroup      pulumi.StringOutput
	StreamPrefix     string
	// DependsOn is what RunTask and the task need first: the cluster's capacity providers and
	// the database's ingress rule for the tasks.
	DependsOn []pulumi.Resource
}

// migrationRunnerPolicy lets the runner start only the migrate family in this cluster, follow
// its tasks, hand ECS exactly the two task roles, and write its own log.
func migrationRunnerPolicy(acct Account, family, clusterArn, clusterName, execRole, taskRole, logGroupArn string) PolicyDocument {
	return PolicyDocument{Statement: []Statement{
		{
			Sid:       "RunMigrateTask",
			Effect:    "Allow",
			Action:    []string{"ecs:RunTask"},
			Resource:  []string{acct.ARN("ecs", "task-definition/"+family+":*")},
			Condition: map[string]any{"ArnEquals": map[string]any{"ecs:cluster": clusterArn}},
		},
		{
			Sid:      "FollowMigrateTask",
			Effect:   "Allow",
			Action:   []string{"ecs:DescribeTasks"},
			Resource: []string{acct.ARN("ecs", "task/"+clusterName+"/*")},
		},
		{
			Sid:       "PassTaskRoles",
			Effect:    "Allow",
			Action:    []string{"iam:PassRole"},
			Resource:  []string{execRole, taskRole},
			Condition: map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
		},
		{
			Sid:      "OwnLog",
			Effect:   "Allow",
			Action:   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			Resource: []string{logGroupArn + ":*"},
		},
	}}
}

// newMigrationRunner runs the migrate task to completion during `pulumi up`, through a Lambda
// invoked synchronously by an aws.lambda.Invocation. The invocation is replaced (and so
// re-invoked) whenever the migrate task definition gets a new revision: a new image or new
// env. A failed migration fails the invocation; the caller makes the service depend on it.
func newMigrationRunner(ctx *pulumi.Context, name string, m migrationArgs, parent pulumi.ResourceOption) (*lambda.Invocation, error) {
	// The documented plain Lambda trust, as for the ECS execution role.
	trust, err := MarshalPolicy(trustPolicy("lambda.amazonaws.com", nil))
	if err != nil {
		return nil, err
	}
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		Description:      pulumi.String("Runs the Rails migrate task before the ECS service rolls"),
		AssumeRolePolicy: pulumi.String(trust),
	}, parent)
	if err != nil {
		return nil, err
	}
	logs, err := cloudwatch.NewLogGroup(ctx, name, &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(m.LogRetentionDays),
	}, parent)
	if err != nil {
		return nil, err
	}
	doc := pulumi.All(m.ClusterArn, m.ClusterName, m.ExecutionRole, m.TaskRole, logs.Arn).ApplyT(func(xs []any) (string, error) {
		return MarshalPolicy(migrationRunnerPolicy(m.Account, m.Family, xs[0].(string), xs[1].(string), xs[2].(string), xs[3].(string), xs[4].(string)))
	}).(pulumi.StringOutput)
	grant, err := iam.NewRolePolicy(ctx, name, &iam.RolePolicyArgs{Role: role.ID(), Policy: doc}, parent)
	if err != nil {
		return nil, err
	}
	fn, err := lambda.NewFunction(ctx, name, &lambda.FunctionArgs{
		Description: pulumi.String("Runs bin/rails db:migrate as a one-off ECS task and waits for it"),
		Runtime:     pulumi.String(MigrateLambdaRuntime),
		Handler:     pulumi.String(MigrateLambdaHandler),
		Code: pulumi.NewAssetArchive(map[string]any{
			"index.py": pulumi.NewStringAsset(MigrateHandlerCode),
		}),
		Role:       role.Arn,
		Timeout:    pulumi.Int(MigrateLambdaTimeoutSeconds),
		MemorySize: pulumi.Int(128),
		// An auto-named log group with retention, instead of the fixed /aws/lambda/<name>.
		LoggingConfig: &lambda.FunctionLoggingConfigArgs{
			LogFormat: pulumi.String("Text"),
			LogGroup:  logs.Name,
		},
	}, parent, pulumi.DependsOn([]pulumi.Resource{grant}))
	if err != nil {
		return nil, err
	}
	input := pulumi.All(m.ClusterArn, m.TaskDefinition, m.Subnets, m.SecurityGroup, m.AppLogGroup).ApplyT(func(xs []any) (string, error) {
		b, err := json.Marshal(MigrateEvent{
			Cluster: xs[0].(string), TaskDefinition: xs[1].(string), Subnets: xs[2].([]string),
			SecurityGroups: []string{xs[3].(string)}, Container: ContainerName, Command: MigrateCommand,
			LogGroup: xs[4].(string), StreamPrefix: m.StreamPrefix,
		})
		return string(b), err
	}).(pulumi.StringOutput)
	return lambda.NewInvocation(ctx, name, &lambda.InvocationArgs{
		FunctionName: fn.Name,
		Input:        input,
		// CREATE_ONLY: invoked on create and replace only; a new revision replaces it.
		LifecycleScope: pulumi.String("CREATE_ONLY"),
		Triggers:       pulumi.StringMap{"migrateTaskDefinition": m.TaskDefinition},
	}, parent, pulumi.DependsOn(m.DependsOn))
}
