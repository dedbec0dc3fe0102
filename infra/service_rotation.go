package infra

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sfn"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// rotationEventPattern matches the moment a rotation takes effect for exactly this secret: the
// AWSCURRENT staging label moving to the new version. Secrets Manager publishes this "Secret Label
// Updated" event directly to the default event bus, with the secret's ARN in resources; unlike
// CloudTrail-derived events (RotationSucceeded) it needs no trail, and it is on for every secret by
// default. https://docs.aws.amazon.com/secretsmanager/latest/userguide/event-detail-secret-label-updated-secretsmanager.html
// and https://docs.aws.amazon.com/secretsmanager/latest/userguide/secret-event-notifications.html
func rotationEventPattern(secretArn string) (string, error) {
	b, err := json.Marshal(map[string]any{
		"source":      []string{"aws.secretsmanager"},
		"detail-type": []string{"Secret Label Updated"},
		"resources":   []string{secretArn},
		"detail":      map[string]any{"labelUpdated": []string{"AWSCURRENT"}},
	})
	return string(b), err
}

// redeployDefinition is a state machine of one step per service: ECS UpdateService with
// forceNewDeployment, through the Step Functions AWS SDK integration (no Lambda to maintain).
// The first service (web) is step ForceNewDeployment, each further one (a worker) the next step,
// ForceNewDeployment2, 3, ...
func redeployDefinition(clusterArn string, serviceArns []string) (string, error) {
	states := map[string]any{}
	for i, arn := range serviceArns {
		step := map[string]any{
			"Type":     "Task",
			"Resource": "arn:aws:states:::aws-sdk:ecs:updateService",
			"Parameters": map[string]any{
				"Cluster":            clusterArn,
				"Service":            arn,
				"ForceNewDeployment": true,
			},
			"Retry": []any{map[string]any{
				"ErrorEquals": []string{"States.ALL"}, "IntervalSeconds": 30, "MaxAttempts": 3, "BackoffRate": 2,
			}},
		}
		if i == len(serviceArns)-1 {
			step["End"] = true
		} else {
			step["Next"] = redeployStep(i + 1)
		}
		states[redeployStep(i)] = step
	}
	b, err := json.Marshal(map[string]any{
		"Comment": "Restart the Rails tasks (web and workers) so they read the rotated database password",
		"StartAt": redeployStep(0),
		"States":  states,
	})
	return string(b), err
}

// redeployStep names the state that restarts the i-th service.
func redeployStep(i int) string {
	if i == 0 {
		return "ForceNewDeployment"
	}
	return fmt.Sprintf("ForceNewDeployment%d", i+1)
}

// newRestartOnRotation redeploys the services (web and workers) after RDS rotates its master
// password. ECS reads DATABASE_PASSWORD only when a task starts, RDS rotates a managed password
// every 7 days and that cannot be turned off; without this, new connections fail a week after
// the first deploy. The state machine may update exactly these services.
func newRestartOnRotation(ctx *pulumi.Context, name string, acct Account, secretArn pulumi.StringInput, cluster *ecs.Cluster, services []*ecs.Service, parent pulumi.ResourceOption) error {
	sfnTrust, err := MarshalPolicy(trustPolicy("states.amazonaws.com", acct.sourceGuard("")))
	if err != nil {
		return err
	}
	sfnRole, err := iam.NewRole(ctx, name+"-redeploy", &iam.RoleArgs{
		Description:      pulumi.String("Lets the redeploy state machine restart this stack's ECS service"),
		AssumeRolePolicy: pulumi.String(sfnTrust),
	}, parent)
	if err != nil {
		return err
	}
	ids := make([]any, len(services))
	for i, s := range services {
		ids[i] = s.ID()
	}
	arns := pulumi.All(ids...).ApplyT(func(xs []any) []string {
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = string(x.(pulumi.ID))
		}
		return out
	}).(pulumi.StringArrayOutput)
	updatePolicy := arns.ApplyT(func(arns []string) (string, error) {
		return MarshalPolicy(PolicyDocument{Statement: []Statement{{
			Sid: "RestartTheseServices", Effect: "Allow", Action: []string{"ecs:UpdateService"}, Resource: arns,
		}}})
	}).(pulumi.StringOutput)
	grant, err := iam.NewRolePolicy(ctx, name+"-redeploy", &iam.RolePolicyArgs{Role: sfnRole.ID(), Policy: updatePolicy}, parent)
	if err != nil {
		return err
	}
	definition := pulumi.All(cluster.Arn, arns).ApplyT(func(xs []any) (string, error) {
		return redeployDefinition(xs[0].(string), xs[1].([]string))
	}).(pulumi.StringOutput)
	machine, err := sfn.NewStateMachine(ctx, name+"-redeploy", &sfn.StateMachineArgs{
		Type:       pulumi.String("STANDARD"),
		RoleArn:    sfnRole.Arn,
		Definition: definition,
	}, parent, pulumi.DependsOn([]pulumi.Resource{grant}))
	if err != nil {
		return err
	}

	eventsTrust, err := MarshalPolicy(trustPolicy("events.amazonaws.com", acct.sourceGuard("")))
	if err != nil {
		return err
	}
	eventsRole, err := iam.NewRole(ctx, name+"-rotation-events", &iam.RoleArgs{
		Description:      pulumi.String("Lets EventBridge start the redeploy state machine"),
		AssumeRolePolicy: pulumi.String(eventsTrust),
	}, parent)
	if err != nil {
		return err
	}
	startPolicy := machine.Arn.ApplyT(func(arn string) (string, error) {
		return MarshalPolicy(PolicyDocument{Statement: []Statement{{
			Sid: "StartRedeploy", Effect: "Allow", Action: []string{"states:StartExecution"}, Resource: []string{arn},
		}}})
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-rotation-events", &iam.RolePolicyArgs{Role: eventsRole.ID(), Policy: startPolicy}, parent); err != nil {
		return err
	}
	pattern := secretArn.ToStringOutput().ApplyT(rotationEventPattern).(pulumi.StringOutput)
	rule, err := cloudwatch.NewEventRule(ctx, name+"-db-password-rotated", &cloudwatch.EventRuleArgs{
		Description:  pulumi.String("RDS rotated the master password: restart the Rails tasks"),
		EventPattern: pattern,
	}, parent)
	if err != nil {
		return err
	}
	_, err = cloudwatch.NewEventTarget(ctx, name+"-db-password-rotated", &cloudwatch.EventTargetArgs{
		Rule:    rule.Name,
		Arn:     machine.Arn,
		RoleArn: eventsRole.Arn,
	}, parent)
	return err
}
