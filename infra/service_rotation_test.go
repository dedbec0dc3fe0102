package infra

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/mockengine"
)

func TestServiceRestartsAfterTheDatabasePasswordRotates(t *testing.T) {
	r := mustRunService(t, nil, nil)
	res := r.res
	rule := one(t, res, awstype.CloudWatchEventRule)
	target := one(t, res, awstype.CloudWatchEventTarget)
	machine := one(t, res, awstype.SfnStateMachine)
	service := res.Find(awstype.EcsService, "app")
	cluster := one(t, res, awstype.EcsCluster)
	outStr := func(x *mockengine.Resource, key string) string {
		s, _ := mockengine.Plain(x.Outputs[resource.PropertyKey(key)], false).(string)
		return s
	}

	t.Run("the rule matches the native Secret Label Updated event that makes the rotated password current, for exactly the database secret", func(t *testing.T) {
		var p map[string]any
		if err := json.Unmarshal([]byte(rule.Input("eventPattern").(string)), &p); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"source":      []any{"aws.secretsmanager"},
			"detail-type": []any{"Secret Label Updated"},
			"resources":   []any{testDBSecretArn},
			"detail":      map[string]any{"labelUpdated": []any{"AWSCURRENT"}},
		}
		if !reflect.DeepEqual(p, want) {
			t.Errorf("rule %s eventPattern = %v, want %v (a CloudTrail-derived pattern never fires without a trail)", rule.Name, p, want)
		}
	})
	t.Run("the target starts the redeploy state machine with its own role", func(t *testing.T) {
		if target.Input("arn") != outStr(machine, "arn") || target.Input("rule") != outStr(rule, "name") {
			t.Errorf("target arn=%v rule=%v, want %s on %s", target.Input("arn"), target.Input("rule"), outStr(machine, "arn"), outStr(rule, "name"))
		}
		role := res.Find(awstype.IamRole, "app-rotation-events")
		if role == nil || target.Input("roleArn") != outStr(role, "arn") {
			t.Fatalf("target roleArn = %v, want the rotation-events role", target.Input("roleArn"))
		}
		pol := policyOf(t, res.Find(awstype.IamRolePolicy, "app-rotation-events"), "policy")
		if len(pol.Statement) != 1 || !slices.Equal(pol.Statement[0].Action, []string{"states:StartExecution"}) ||
			!slices.Equal(pol.Statement[0].Resource, []string{outStr(machine, "arn")}) {
			t.Errorf("events role policy = %+v, want only StartExecution on the state machine", pol)
		}
		trust := policyOf(t, role, "assumeRolePolicy")
		if trust.Statement[0].Principal["Service"] != "events.amazonaws.com" {
			t.Errorf("events role trust = %+v", trust)
		}
	})
	t.Run("the state machine forces a new deployment of exactly this service", func(t *testing.T) {
		var def struct {
			States map[string]struct {
				Resource   string         `json:"Resource"`
				Parameters map[string]any `json:"Parameters"`
			} `json:"States"`
		}
		if err := json.Unmarshal([]byte(machine.Input("definition").(string)), &def); err != nil {
			t.Fatal(err)
		}
		step := def.States["ForceNewDeployment"]
		if step.Resource != "arn:aws:states:::aws-sdk:ecs:updateService" {
			t.Errorf("Resource = %s, want the ecs:updateService SDK integration", step.Resource)
		}
		want := map[string]any{"Cluster": outStr(cluster, "arn"), "Service": service.ID, "ForceNewDeployment": true}
		for k, v := range want {
			if step.Parameters[k] != v {
				t.Errorf("Parameters.%s = %v, want %v", k, step.Parameters[k], v)
			}
		}
		pol := policyOf(t, res.Find(awstype.IamRolePolicy, "app-redeploy"), "policy")
		if len(pol.Statement) != 1 || !slices.Equal(pol.Statement[0].Action, []string{"ecs:UpdateService"}) ||
			!slices.Equal(pol.Statement[0].Resource, []string{service.ID}) {
			t.Errorf("redeploy role policy = %+v, want only UpdateService on %s", pol, service.ID)
		}
		if machine.Input("roleArn") != outStr(res.Find(awstype.IamRole, "app-redeploy"), "arn") {
			t.Errorf("state machine roleArn = %v, want the redeploy role", machine.Input("roleArn"))
		}
	})
}
