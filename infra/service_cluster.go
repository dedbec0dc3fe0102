package infra

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/appautoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func newCluster(ctx *pulumi.Context, name string, a AppServiceArgs, parent pulumi.ResourceOption) (*ecs.Cluster, *ecs.ClusterCapacityProviders, error) {
	insights := "disabled"
	if *a.ContainerInsights {
		insights = "enabled"
	}
	cluster, err := ecs.NewCluster(ctx, name, &ecs.ClusterArgs{
		Settings: ecs.ClusterSettingArray{&ecs.ClusterSettingArgs{
			Name: pulumi.String("containerInsights"), Value: pulumi.String(insights),
		}},
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	providers, err := ecs.NewClusterCapacityProviders(ctx, name, &ecs.ClusterCapacityProvidersArgs{
		ClusterName:       cluster.Name,
		CapacityProviders: pulumi.StringArray{pulumi.String("FARGATE"), pulumi.String("FARGATE_SPOT")},
		DefaultCapacityProviderStrategies: ecs.ClusterCapacityProvidersDefaultCapacityProviderStrategyArray{
			&ecs.ClusterCapacityProvidersDefaultCapacityProviderStrategyArgs{CapacityProvider: pulumi.String("FARGATE"), Weight: pulumi.Int(1)},
		},
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	return cluster, providers, nil
}

// scaling is one service's autoscaling settings; RequestsPerTarget needs the ALB (web only).
type scaling struct{ Min, Max, CPUTarget, RequestsPerTarget int }

func newAutoscaling(ctx *pulumi.Context, name string, a scaling, cluster *ecs.Cluster, service *ecs.Service, alb *loadBalancer, parent pulumi.ResourceOption) error {
	target, err := appautoscaling.NewTarget(ctx, name, &appautoscaling.TargetArgs{
		ServiceNamespace:  pulumi.String("ecs"),
		ScalableDimension: pulumi.String("ecs:service:DesiredCount"),
		ResourceId:        pulumi.Sprintf("service/%s/%s", cluster.Name, service.Name),
		MinCapacity:       pulumi.Int(a.Min),
		MaxCapacity:       pulumi.Int(a.Max),
	}, parent)
	if err != nil {
		return err
	}
	policy := func(suffix string, spec *appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs, value int) error {
		_, err := appautoscaling.NewPolicy(ctx, name+"-"+suffix, &appautoscaling.PolicyArgs{
			PolicyType:        pulumi.String("TargetTrackingScaling"),
			ServiceNamespace:  target.ServiceNamespace,
			ScalableDimension: target.ScalableDimension,
			ResourceId:        target.ResourceId,
			TargetTrackingScalingPolicyConfiguration: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs{
				PredefinedMetricSpecification: spec,
				TargetValue:                   pulumi.Float64(float64(value)),
				ScaleOutCooldown:              pulumi.Int(60),
				ScaleInCooldown:               pulumi.Int(300),
			},
		}, parent)
		return err
	}
	if err := policy("cpu", &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs{
		PredefinedMetricType: pulumi.String("ECSServiceAverageCPUUtilization"),
	}, a.CPUTarget); err != nil {
		return err
	}
	if a.RequestsPerTarget > 0 && alb != nil {
		return policy("requests", &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs{
			PredefinedMetricType: pulumi.String("ALBRequestCountPerTarget"),
			ResourceLabel:        pulumi.Sprintf("%s/%s", alb.LB.ArnSuffix, alb.TargetGroup.ArnSuffix),
		}, a.RequestsPerTarget)
	}
	return nil
}

// rolloutCheck resolves to the task definition the service runs after `pulumi up`, and fails
// when that is not the one requested. waitForSteadyState alone cannot catch a failed rollout:
// the circuit breaker rolls back to the previous revision, the service turns stable on it and
// the provider reports success (hashicorp/terraform-provider-aws#20858). After the wait the
// provider reads the service's current task definition back, so a mismatch means ECS rejected
// the new revision; failing here makes `pulumi up` exit non-zero, as CI needs.
func rolloutCheck(region string, requested pulumi.StringOutput, running pulumi.StringPtrOutput, cluster, service, logGroup pulumi.StringOutput) pulumi.StringOutput {
	return pulumi.All(requested, running, cluster, service, logGroup).ApplyT(func(xs []any) (string, error) {
		want := xs[0].(string)
		got := ""
		if p, _ := xs[1].(*string); p != nil {
			got = *p
		}
		return checkRollout(region, want, got, xs[2].(string), xs[3].(string), xs[4].(string))
	}).(pulumi.StringOutput)
}

// checkRollout is rolloutCheck's decision, on plain values.
func checkRollout(region, want, got, cluster, service, logGroup string) (string, error) {
	if got == want {
		return got, nil
	}
	return "", fmt.Errorf("the service did not roll out %s: ECS runs %s instead, because the deployment circuit breaker "+
		"rolled back new tasks that never turned healthy. See why with: aws ecs describe-services --region %s --cluster %s --services %s "+
		"--query 'services[0].events[:10]' and aws logs tail %s --region %s --since 30m. Fix the image or its config and run pulumi up again",
		want, got, region, cluster, service, logGroup, region)
}

// runTaskCommand is the exact AWS CLI call that runs the migrate task once, on FARGATE (not
// spot: a migration must not be interrupted), in the private subnets with the app's SG.
func runTaskCommand(region string, cluster, taskDef pulumi.StringInput, subnets pulumi.StringArrayInput, sg pulumi.StringInput) pulumi.StringOutput {
	overrides, _ := json.Marshal(taskOverrides(MigrateCommand, 0, 0))
	return oneOffTaskCommand(region, cluster, taskDef, subnets, sg, "FARGATE", string(overrides), "--started-by "+MigrateStartedBy)
}

// taskOverrides are RunTask overrides: the container's command and, when set, the task's size.
func taskOverrides(command []string, cpu, memory int) map[string]any {
	o := map[string]any{"containerOverrides": []map[string]any{{"name": ContainerName, "command": command}}}
	if cpu > 0 {
		o["cpu"], o["memory"] = strconv.Itoa(cpu), strconv.Itoa(memory)
	}
	return o
}

// oneOffTaskCommand is `aws ecs run-task` for one task of the family in the private subnets with
// the app's SG, with overrides (JSON) and extra flags (--started-by, --group).
func oneOffTaskCommand(region string, cluster, taskDef pulumi.StringInput, subnets pulumi.StringArrayInput, sg pulumi.StringInput, capacity, overrides, extra string) pulumi.StringOutput {
	return pulumi.All(cluster, taskDef, subnets, sg).ApplyT(func(xs []any) string {
		return fmt.Sprintf("aws ecs run-task --region %s --cluster %s --task-definition %s"+
			" --capacity-provider-strategy capacityProvider=%s,weight=1 --platform-version LATEST"+
			" --network-configuration 'awsvpcConfiguration={subnets=[%s],securityGroups=[%s],assignPublicIp=DISABLED}'"+
			" --overrides '%s' %s --query 'tasks[0].taskArn' --output text",
			region, xs[0], xs[1], capacity, strings.Join(xs[2].([]string), ","), xs[3], overrides, extra)
	}).(pulumi.StringOutput)
}
