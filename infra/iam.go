package infra

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ExecutionRoleManagedPolicy lets ECS pull from ECR and write to CloudWatch Logs.
const ExecutionRoleManagedPolicy = "service-role/AmazonECSTaskExecutionRolePolicy"

// EcsExecActions are what the SSM agent inside a task needs for ECS Exec. ssmmessages has
// no resource-level permissions, so these are the only statement with Resource "*".
var EcsExecActions = []string{
	"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
	"ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
}

// UploadObjectActions are what ActiveStorage's S3 service calls on objects
// (upload incl. multipart, download, head, copy for compose, delete).
var UploadObjectActions = []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"}

// ecsTasksTrust lets only ECS tasks in this account assume a role (confused-deputy guard).
func ecsTasksTrust(acct Account) PolicyDocument {
	return trustPolicy("ecs-tasks.amazonaws.com", acct.sourceGuard(acct.ARN("ecs", "*")))
}

// parameterPathARN is every SSM parameter under path ("/<project>/<stack>").
func parameterPathARN(acct Account, path string) string {
	return acct.ARN("ssm", "parameter"+path+"/*")
}

// executionPolicy is what ECS itself needs to start a task: the stack's parameters, the DB
// secret, and KMS only when SSM decrypts on its behalf.
func executionPolicy(acct Account, path, dbSecretArn string) PolicyDocument {
	return PolicyDocument{Statement: []Statement{
		{
			Sid:      "ReadStackParameters",
			Effect:   "Allow",
			Action:   []string{"ssm:GetParameters"},
			Resource: []string{parameterPathARN(acct, path)},
		},
		{
			Sid:      "ReadDatabaseSecret",
			Effect:   "Allow",
			Action:   []string{"secretsmanager:GetSecretValue"},
			Resource: []string{dbSecretArn},
		},
		{
			Sid:      "DecryptParametersViaSsm",
			Effect:   "Allow",
			Action:   []string{"kms:Decrypt"},
			Resource: []string{acct.ARN("kms", "key/*")},
			Condition: map[string]any{
				"StringEquals": map[string]any{"kms:ViaService": "ssm." + acct.Region + ".amazonaws.com"},
			},
		},
	}}
}

// EcsExecLogActions let the ECS Exec agent write each session's transcript to the app's log
// group: with the cluster's DEFAULT exec logging ECS sends it to the container's awslogs group,
// through the task role (Amazon ECS developer guide, "Logging and Auditing using ECS Exec").
// Without them prod would have no record of what was run in a shell.
var EcsExecLogActions = []string{"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"}

// taskPolicy is what the Rails process may do: its uploads bucket, and ECS Exec with its
// session log.
func taskPolicy(acct Account, bucketArn, logGroupArn string) PolicyDocument {
	return PolicyDocument{Statement: []Statement{
		{
			Sid:      "UploadsObjects",
			Effect:   "Allow",
			Action:   UploadObjectActions,
			Resource: []string{bucketArn + "/*"},
		},
		{
			Sid:      "UploadsList",
			Effect:   "Allow",
			Action:   []string{"s3:ListBucket"},
			Resource: []string{bucketArn},
		},
		{
			Sid:      "EcsExec",
			Effect:   "Allow",
			Action:   EcsExecActions,
			Resource: []string{"*"},
		},
		{
			Sid:      "EcsExecSessionLog",
			Effect:   "Allow",
			Action:   EcsExecLogActions,
			Resource: []string{logGroupArn + ":*"},
		},
		{
			// The agent looks its log group up first; a list call, scoped to this account and region.
			Sid:      "EcsExecFindLogGroup",
			Effect:   "Allow",
			Action:   []string{"logs:DescribeLogGroups"},
			Resource: []string{acct.ARN("logs", "log-group:*")},
		},
	}}
}

// taskRoles are the two distinct roles of every task.
type taskRoles struct {
	Execution, Task *iam.Role
	// Grants are the attachments and inline policies; tasks must not start before them.
	Grants []pulumi.Resource
}

func newTaskRoles(ctx *pulumi.Context, name string, acct Account, path string, dbSecretArn, bucketArn, logGroupArn pulumi.StringInput, parent pulumi.ResourceOption) (*taskRoles, error) {
	trust, err := MarshalPolicy(ecsTasksTrust(acct))
	if err != nil {
		return nil, err
	}
	// AWS documents the SourceArn/SourceAccount guard for task roles only; the execution role
	// keeps the documented plain trust so ECS can always assume it to pull and start the task.
	execTrust, err := MarshalPolicy(trustPolicy("ecs-tasks.amazonaws.com", nil))
	if err != nil {
		return nil, err
	}
	exec, err := iam.NewRole(ctx, name+"-execution", &iam.RoleArgs{
		Description:      pulumi.String("ECS starts the Rails tasks with this role: image pull, logs, secrets"),
		AssumeRolePolicy: pulumi.String(execTrust),
	}, parent)
	if err != nil {
		return nil, err
	}
	roles := &taskRoles{Execution: exec}
	attach, err := iam.NewRolePolicyAttachment(ctx, name+"-execution", &iam.RolePolicyAttachmentArgs{
		Role:      exec.Name,
		PolicyArn: pulumi.String(acct.ManagedPolicyARN(ExecutionRoleManagedPolicy)),
	}, parent)
	if err != nil {
		return nil, err
	}
	execDoc := dbSecretArn.ToStringOutput().ApplyT(func(arn string) (string, error) {
		return MarshalPolicy(executionPolicy(acct, path, arn))
	}).(pulumi.StringOutput)
	execPolicy, err := iam.NewRolePolicy(ctx, name+"-execution", &iam.RolePolicyArgs{
		Role:   exec.ID(),
		Policy: execDoc,
	}, parent)
	if err != nil {
		return nil, err
	}

	task, err := iam.NewRole(ctx, name+"-task", &iam.RoleArgs{
		Description:      pulumi.String("The Rails app runs as this role: uploads bucket, ECS Exec and its session log"),
		AssumeRolePolicy: pulumi.String(trust),
	}, parent)
	if err != nil {
		return nil, err
	}
	taskDoc := pulumi.All(bucketArn, logGroupArn).ApplyT(func(xs []any) (string, error) {
		return MarshalPolicy(taskPolicy(acct, xs[0].(string), xs[1].(string)))
	}).(pulumi.StringOutput)
	taskGrant, err := iam.NewRolePolicy(ctx, name+"-task", &iam.RolePolicyArgs{
		Role:   task.ID(),
		Policy: taskDoc,
	}, parent)
	if err != nil {
		return nil, err
	}
	roles.Task = task
	roles.Grants = []pulumi.Resource{attach, execPolicy, taskGrant}
	return roles, nil
}
