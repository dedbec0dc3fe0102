package infra

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/mockengine"
)

// allowed maps each allowed action to its resources.
func allowed(d PolicyDocument) map[string][]string {
	out := map[string][]string{}
	for _, s := range d.Statement {
		if s.Effect != "Allow" {
			continue
		}
		for _, a := range s.Action {
			out[a] = append(out[a], s.Resource...)
		}
	}
	return out
}

func TestIAMRoles(t *testing.T) {
	r := mustRunService(t, nil, nil)
	execRole := r.res.Find(awstype.IamRole, "app-execution")
	taskRole := r.res.Find(awstype.IamRole, "app-task")
	bucketArn := r.res.Find(awstype.S3BucketV2, "app-uploads").Outputs["arn"].StringValue()
	execPolicy := policyOf(t, r.res.Find(awstype.IamRolePolicy, "app-execution"), "policy", policyVersion)
	taskPolicyDoc := policyOf(t, r.res.Find(awstype.IamRolePolicy, "app-task"), "policy", policyVersion)

	t.Run("the execution and task roles are distinct", func(t *testing.T) {
		if execRole == nil || taskRole == nil || execRole.ID == taskRole.ID {
			t.Fatalf("roles: %v / %v", execRole, taskRole)
		}
		if got := r.res.Find(awstype.IamRolePolicy, "app-task").Input("role"); got != taskRole.ID {
			t.Errorf("task policy is on role %v, want %s", got, taskRole.ID)
		}
	})
	trustCases := []struct {
		role    *mockengine.Resource
		guarded bool
	}{
		// AWS documents the confused-deputy conditions for task roles; the execution role keeps
		// the documented plain trust so ECS can always assume it.
		{taskRole, true},
		{execRole, false},
	}
	for _, tc := range trustCases {
		t.Run(fmt.Sprintf("%s trusts only ECS tasks (source conditions: %v)", tc.role.Name, tc.guarded), func(t *testing.T) {
			d := policyOf(t, tc.role, "assumeRolePolicy", policyVersion)
			if len(d.Statement) != 1 {
				t.Fatalf("trust statements = %d", len(d.Statement))
			}
			s := d.Statement[0]
			cond, _ := json.Marshal(s.Condition)
			if s.Principal["Service"] != "ecs-tasks.amazonaws.com" || !slices.Equal(s.Action, []string{"sts:AssumeRole"}) {
				t.Errorf("trust = %+v", s)
			}
			guarded := strings.Contains(string(cond), `"aws:SourceAccount":"123456789012"`) &&
				strings.Contains(string(cond), `"aws:SourceArn":"arn:aws:ecs:ap-northeast-1:123456789012:*"`)
			if guarded != tc.guarded || (!tc.guarded && len(s.Condition) != 0) {
				t.Errorf("%s trust conditions = %s, want guarded=%v", tc.role.Name, cond, tc.guarded)
			}
		})
	}
	t.Run("the execution role has the managed ECS execution policy", func(t *testing.T) {
		att := one(t, r.res, awstype.IamRolePolicyAttachment)
		if att.Input("policyArn") != "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy" || att.Input("role") != execRole.Outputs["name"].StringValue() {
			t.Errorf("attachment = %v", mockengine.PlainMap(att.Inputs, true))
		}
	})
	t.Run("no policy allows a wildcard action", func(t *testing.T) {
		for _, d := range []PolicyDocument{execPolicy, taskPolicyDoc} {
			for action := range allowed(d) {
				if strings.Contains(action, "*") {
					t.Errorf("action %q has a wildcard", action)
				}
			}
		}
	})
	t.Run("the execution role reads exactly the stack's parameters and the DB secret", func(t *testing.T) {
		want := map[string][]string{
			"ssm:GetParameters":             {"arn:aws:ssm:ap-northeast-1:123456789012:parameter/rails-infra/dev/*"},
			"secretsmanager:GetSecretValue": {testDBSecretArn},
			"kms:Decrypt":                   {"arn:aws:kms:ap-northeast-1:123456789012:key/*"},
		}
		if got := allowed(execPolicy); !reflect.DeepEqual(got, want) {
			t.Errorf("execution grants = %v\nwant %v", got, want)
		}
	})
	t.Run("kms:Decrypt works only through SSM", func(t *testing.T) {
		for _, s := range execPolicy.Statement {
			if slices.Contains(s.Action, "kms:Decrypt") {
				cond, _ := json.Marshal(s.Condition)
				if string(cond) != `{"StringEquals":{"kms:ViaService":"ssm.ap-northeast-1.amazonaws.com"}}` {
					t.Errorf("kms condition = %s", cond)
				}
			}
		}
	})
	t.Run("the task role reaches exactly the uploads bucket, ECS Exec channels and the session log", func(t *testing.T) {
		logGroup := one(t, r.res, awstype.CloudWatchLogGroup).Outputs["arn"].StringValue()
		want := map[string][]string{
			"s3:GetObject": {bucketArn + "/*"}, "s3:PutObject": {bucketArn + "/*"}, "s3:DeleteObject": {bucketArn + "/*"},
			"s3:AbortMultipartUpload": {bucketArn + "/*"}, "s3:ListBucket": {bucketArn},
			"ssmmessages:CreateControlChannel": {"*"}, "ssmmessages:CreateDataChannel": {"*"},
			"ssmmessages:OpenControlChannel": {"*"}, "ssmmessages:OpenDataChannel": {"*"},
			"logs:CreateLogStream": {logGroup + ":*"}, "logs:DescribeLogStreams": {logGroup + ":*"}, "logs:PutLogEvents": {logGroup + ":*"},
			"logs:DescribeLogGroups": {"arn:aws:logs:ap-northeast-1:123456789012:log-group:*"},
		}
		if got := allowed(taskPolicyDoc); !reflect.DeepEqual(got, want) {
			t.Errorf("task grants = %v\nwant %v", got, want)
		}
	})
	t.Run("only ssmmessages (no resource-level permissions) uses Resource *", func(t *testing.T) {
		for _, d := range []PolicyDocument{execPolicy, taskPolicyDoc} {
			for action, resources := range allowed(d) {
				if slices.Contains(resources, "*") && !strings.HasPrefix(action, "ssmmessages:") {
					t.Errorf("%s is allowed on *", action)
				}
			}
		}
	})
}
