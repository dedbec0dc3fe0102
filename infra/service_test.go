package infra

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/mockengine"
)

const (
	testDBHost      = "app-db-3f9a1c2.cabc123def45.ap-northeast-1.rds.amazonaws.com"
	testDBSecretArn = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:rds!db-4f2b9d1e-8c3a-4e5f-9a7b-1c2d3e4f5a6b-Ab12Cd"
	testDBSG        = "sg-0db0123456789abcd"
	testVpc         = "vpc-0a1b2c3d4e5f67890"
)

var (
	testPublicSubnets  = []string{"subnet-0pub0000000000001", "subnet-0pub0000000000002"}
	testPrivateSubnets = []string{"subnet-0prv0000000000001", "subnet-0prv0000000000002"}
)

// baseArgs are what the config reader would pass for a dev stack with an image tag.
func baseArgs() *AppServiceArgs {
	return &AppServiceArgs{
		Account:                    testAccount,
		ImageTag:                   "v1.2.3",
		ContainerPort:              80,
		CPU:                        512,
		Memory:                     1024,
		DesiredCount:               intRef(1),
		MinCount:                   intRef(1),
		MaxCount:                   3,
		HealthCheckGraceSeconds:    intRef(60),
		DeregistrationDelaySeconds: intRef(30),
		LogRetentionDays:           30,
		AppEnv:                     map[string]string{"FEATURE_X": "on"},
	}
}

// envOf is the environment whose profile protects (prod) or not (dev).
func envOf(prod bool) Environment {
	if prod {
		return EnvProd
	}
	return EnvDev
}

type svcRun struct {
	res   *mockengine.Result
	svc   *AppService
	dbURN string
	err   error
}

// runService runs NewAppService on the recording engine with a fake network and database.
// secrets are app secret name -> value (wrapped as Pulumi secrets, as the config reader does).
func runService(t *testing.T, mutate func(a *AppServiceArgs), secrets map[string]string) svcRun {
	t.Helper()
	return runServiceIn(t, func(_ *pulumi.Context, a *AppServiceArgs) error {
		if mutate != nil {
			mutate(a)
		}
		return nil
	}, secrets)
}

// runServiceIn is runService whose mutate may register resources first (a cache to wire in).
func runServiceIn(t *testing.T, mutate func(ctx *pulumi.Context, a *AppServiceArgs) error, secrets map[string]string) svcRun {
	t.Helper()
	var out svcRun
	res, err := mockengine.Run(mockengine.Options{Project: "rails-infra", Stack: "dev",
		Config: map[string]string{"aws:region": "ap-northeast-1"}}, func(ctx *pulumi.Context, export mockengine.ExportFunc) error {
		db, err := rds.NewInstance(ctx, "db", &rds.InstanceArgs{
			Engine: pulumi.String("postgres"), InstanceClass: pulumi.String("db.t4g.micro"),
			AllocatedStorage: pulumi.Int(20), ManageMasterUserPassword: pulumi.Bool(true), Username: pulumi.String("app"),
		})
		if err != nil {
			return err
		}
		a := baseArgs()
		a.VpcID = pulumi.String(testVpc)
		a.PublicSubnetIDs = pulumi.ToStringArray(testPublicSubnets)
		a.PrivateSubnetIDs = pulumi.ToStringArray(testPrivateSubnets)
		a.Database = DatabaseEndpoint{
			Host: pulumi.String(testDBHost), Name: pulumi.String("app_production"), Username: pulumi.String("app"),
			SecretArn: pulumi.String(testDBSecretArn), SecurityGroupID: pulumi.String(testDBSG), Port: pulumi.Int(5432),
			Adapter: "postgresql", DependsOn: []pulumi.Resource{db},
		}
		if len(secrets) > 0 {
			a.AppSecrets = map[string]pulumi.StringInput{}
			for k, v := range secrets {
				a.AppSecrets[k] = pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput)
			}
		}
		if err := mutate(ctx, a); err != nil {
			return err
		}
		svc, err := NewAppService(ctx, "app", a)
		if err != nil {
			return err
		}
		out.svc = svc
		export("url", svc.URL)
		export("migrateCommand", svc.MigrateCommand)
		export("nextStep", svc.NextStep)
		export("image", svc.Image)
		export("clusterName", svc.ClusterName)
		export("securityGroupId", svc.SecurityGroupID)
		if svc.HasImage {
			export("serviceName", svc.ServiceName)
			export("execCommand", svc.ExecCommand)
			export("deployedTaskDefinition", svc.DeployedTaskDefinition)
		}
		return nil
	})
	out.res, out.err = res, err
	if res != nil {
		if db := res.Find(awstype.RdsInstance, "db"); db != nil {
			out.dbURN = db.URN
		}
	}
	return out
}

func mustRunService(t *testing.T, mutate func(a *AppServiceArgs), secrets map[string]string) svcRun {
	t.Helper()
	r := runService(t, mutate, secrets)
	if r.err != nil {
		t.Fatalf("program failed: %v", r.err)
	}
	return r
}

func TestServiceSettings(t *testing.T) {
	r := mustRunService(t, nil, nil)
	svc := r.res.Find(awstype.EcsService, "app")
	if svc == nil {
		t.Fatal("no ecs service named app")
	}
	net, _ := svc.Input("networkConfiguration").(map[string]any)
	cb, _ := svc.Input("deploymentCircuitBreaker").(map[string]any)
	strategy, _ := svc.Input("capacityProviderStrategies").([]any)
	lbs, _ := svc.Input("loadBalancers").([]any)
	checks := []struct {
		name      string
		got, want any
	}{
		{"runs in the private subnets", net["subnets"], []any{testPrivateSubnets[0], testPrivateSubnets[1]}},
		{"gets no public IP", net["assignPublicIp"], false},
		{"uses platform LATEST", svc.Input("platformVersion"), "LATEST"},
		{"enables ECS Exec", svc.Input("enableExecuteCommand"), true},
		{"propagates service tags", svc.Input("propagateTags"), "SERVICE"},
		{"waits for steady state", svc.Input("waitForSteadyState"), true},
		{"has a circuit breaker", cb["enable"], true},
		{"rolls back a failed deploy", cb["rollback"], true},
		{"keeps 100% healthy during deploys", svc.Input("deploymentMinimumHealthyPercent"), 100.0},
		{"may double during deploys", svc.Input("deploymentMaximumPercent"), 200.0},
		{"gives Rails a boot grace period", svc.Input("healthCheckGracePeriodSeconds"), 60.0},
		{"starts at the desired count", svc.Input("desiredCount"), 1.0},
		{"sets no launch type (strategy instead)", svc.Input("launchType"), nil},
	}
	for _, c := range checks {
		t.Run("the service "+c.name, func(t *testing.T) {
			gb, _ := json.Marshal(c.got)
			wb, _ := json.Marshal(c.want)
			if string(gb) != string(wb) {
				t.Errorf("%s: got %s, want %s", svc.Name, gb, wb)
			}
		})
	}
	t.Run("the service uses on-demand FARGATE unless spot is on", func(t *testing.T) {
		if len(strategy) != 1 || strategy[0].(map[string]any)["capacityProvider"] != "FARGATE" {
			t.Errorf("capacityProviderStrategies = %v, want one FARGATE entry", strategy)
		}
	})
	t.Run("the service registers the web container on the container port", func(t *testing.T) {
		if len(lbs) != 1 {
			t.Fatalf("loadBalancers = %v, want 1", lbs)
		}
		lb := lbs[0].(map[string]any)
		tg := one(t, r.res, awstype.LbTargetGroup)
		if lb["containerName"] != ContainerName || lb["containerPort"] != 80.0 || lb["targetGroupArn"] != tg.Outputs["arn"].StringValue() {
			t.Errorf("loadBalancers[0] = %v, want web:80 on %s", lb, tg.Outputs["arn"].StringValue())
		}
	})
	t.Run("the service's security group is the app group", func(t *testing.T) {
		app := r.res.Find(awstype.Ec2SecurityGroup, "app-app")
		sgs, _ := net["securityGroups"].([]any)
		if app == nil || len(sgs) != 1 || sgs[0] != app.ID {
			t.Errorf("securityGroups = %v, want [app-app id]", sgs)
		}
	})
	t.Run("the service depends on the database and the listener", func(t *testing.T) {
		listener := one(t, r.res, awstype.LbListener)
		for _, want := range []string{r.dbURN, listener.URN} {
			if want == "" || !slices.Contains(svc.DependsOn, want) {
				t.Errorf("%s DependsOn = %v, missing %s", svc.Name, svc.DependsOn, want)
			}
		}
	})
	t.Run("the service waits for its IAM grants and the cluster's capacity providers", func(t *testing.T) {
		for _, token := range []string{awstype.IamRolePolicy, awstype.IamRolePolicyAttachment, awstype.EcsClusterCapacityProviders} {
			for _, dep := range r.res.OfType(token) {
				if strings.Contains(dep.Name, "redeploy") || strings.Contains(dep.Name, "rotation") {
					continue // the restart-on-rotation roles act on the service, not for it
				}
				if !slices.Contains(svc.DependsOn, dep.URN) {
					t.Errorf("%s does not depend on %s", svc.Name, dep.URN)
				}
			}
		}
	})
}

func TestAutoscaling(t *testing.T) {
	t.Run("autoscaling owns the desired count once it is on", func(t *testing.T) {
		r := mustRunService(t, nil, nil)
		svc := r.res.Find(awstype.EcsService, "app")
		if !slices.Contains(svc.IgnoreChanges, "desiredCount") {
			t.Errorf("%s IgnoreChanges = %v, want desiredCount", svc.Name, svc.IgnoreChanges)
		}
		target := one(t, r.res, awstype.AppAutoscalingTarget)
		wantID := "service/" + exportString(t, r.res, "clusterName") + "/" + exportString(t, r.res, "serviceName")
		if target.Input("resourceId") != wantID || target.Input("minCapacity") != 1.0 || target.Input("maxCapacity") != 3.0 ||
			target.Input("scalableDimension") != "ecs:service:DesiredCount" || target.Input("serviceNamespace") != "ecs" {
			t.Errorf("target = %v, want %s between 1 and 3", mockengine.PlainMap(target.Inputs, true), wantID)
		}
		policies := r.res.OfType(awstype.AppAutoscalingPolicy)
		if len(policies) != 1 {
			t.Fatalf("policies = %d, want only the CPU policy", len(policies))
		}
		cfg, _ := policies[0].Input("targetTrackingScalingPolicyConfiguration").(map[string]any)
		spec, _ := cfg["predefinedMetricSpecification"].(map[string]any)
		if spec["predefinedMetricType"] != "ECSServiceAverageCPUUtilization" || cfg["targetValue"] != 60.0 {
			t.Errorf("cpu policy = %v, want ECSServiceAverageCPUUtilization at 60", cfg)
		}
	})
	t.Run("request-count tracking is labelled with the ALB and target group suffixes", func(t *testing.T) {
		r := mustRunService(t, func(a *AppServiceArgs) { a.RequestsPerTarget = 500 }, nil)
		p := r.res.Find(awstype.AppAutoscalingPolicy, "app-requests")
		if p == nil {
			t.Fatal("no app-requests policy")
		}
		cfg, _ := p.Input("targetTrackingScalingPolicyConfiguration").(map[string]any)
		spec, _ := cfg["predefinedMetricSpecification"].(map[string]any)
		alb := one(t, r.res, awstype.LbLoadBalancer)
		tg := one(t, r.res, awstype.LbTargetGroup)
		want := alb.Outputs["arnSuffix"].StringValue() + "/" + tg.Outputs["arnSuffix"].StringValue()
		if spec["predefinedMetricType"] != "ALBRequestCountPerTarget" || spec["resourceLabel"] != want || cfg["targetValue"] != 500.0 {
			t.Errorf("requests policy = %v, want ALBRequestCountPerTarget %s at 500", cfg, want)
		}
	})
	t.Run("a fixed count (min = max) keeps desiredCount managed by Pulumi", func(t *testing.T) {
		r := mustRunService(t, func(a *AppServiceArgs) { a.MinCount, a.DesiredCount, a.MaxCount = intRef(2), intRef(2), 2 }, nil)
		svc := r.res.Find(awstype.EcsService, "app")
		if slices.Contains(svc.IgnoreChanges, "desiredCount") || len(r.res.OfType(awstype.AppAutoscalingTarget)) != 0 {
			t.Errorf("IgnoreChanges = %v and targets = %d, want neither", svc.IgnoreChanges, len(r.res.OfType(awstype.AppAutoscalingTarget)))
		}
		if svc.Input("desiredCount") != 2.0 {
			t.Errorf("desiredCount = %v, want 2", svc.Input("desiredCount"))
		}
	})
}

func TestFirstDeployWithoutImage(t *testing.T) {
	r := mustRunService(t, func(a *AppServiceArgs) { a.ImageTag = "" }, nil)
	t.Run("no ECS service exists, so nothing calls a 0-task service steady", func(t *testing.T) {
		if n := len(r.res.OfType(awstype.EcsService)); n != 0 || r.svc.Service != nil {
			t.Errorf("ECS services = %d (AppService.Service %v), want none before the first image", n, r.svc.Service)
		}
	})
	t.Run("nothing scales or restarts a service that does not exist", func(t *testing.T) {
		for _, token := range []string{awstype.AppAutoscalingTarget, awstype.AppAutoscalingPolicy, awstype.SfnStateMachine, awstype.CloudWatchEventRule} {
			if n := len(r.res.OfType(token)); n != 0 {
				t.Errorf("%s count = %d, want 0", token, n)
			}
		}
	})
	t.Run("nextStep says how to push and deploy, and that pulumi up waits for the first tasks", func(t *testing.T) {
		next := exportString(t, r.res, "nextStep")
		repo := one(t, r.res, awstype.EcrRepository).Outputs["repositoryUrl"].StringValue()
		for _, want := range []string{"no ECS service exists yet", "aws ecr get-login-password --region ap-northeast-1", "docker push " + repo + ":$TAG", "--build-arg PLATFORM=linux/amd64",
			"--platform linux/amd64", "RAILS_ENV=production", "pulumi config set imageTag $TAG && pulumi up",
			"waits until desiredCount (1) tasks pass the health check"} {
			if !strings.Contains(next, want) {
				t.Errorf("nextStep = %q, missing %q", next, want)
			}
		}
	})
	t.Run("the task definition names a placeholder in the stack's repository", func(t *testing.T) {
		repo := one(t, r.res, awstype.EcrRepository).Outputs["repositoryUrl"].StringValue()
		if got := exportString(t, r.res, "image"); got != repo+":"+PlaceholderImageTag {
			t.Errorf("image = %q, want %s:%s", got, repo, PlaceholderImageTag)
		}
	})
}

// The first image creates the service, so its first tasks are its first deployment: created at
// desiredCount and waited for, the circuit breaker and `pulumi up` see them, whatever
// autoscaling does later.
func TestFirstImageCreatesTheServiceAsAGatedDeployment(t *testing.T) {
	for _, tc := range []struct {
		name        string
		desired     int
		autoscaling bool
	}{
		{"a fixed-size service starts its desired count and waits for it", 2, false},
		{"an autoscaled service starts its desired count and waits for it before autoscaling owns the count", 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRunService(t, func(a *AppServiceArgs) {
				a.DesiredCount, a.MinCount = &tc.desired, &tc.desired
				a.MaxCount = tc.desired
				if tc.autoscaling {
					a.MaxCount = tc.desired + 2
				}
			}, nil)
			svc := one(t, r.res, awstype.EcsService)
			breaker, _ := svc.Input("deploymentCircuitBreaker").(map[string]any)
			if svc.Input("desiredCount") != float64(tc.desired) || svc.Input("waitForSteadyState") != true ||
				breaker["enable"] != true || breaker["rollback"] != true {
				t.Errorf("service %s desiredCount = %v, waitForSteadyState = %v, circuit breaker = %v; want %d, true, enabled with rollback",
					svc.Name, svc.Input("desiredCount"), svc.Input("waitForSteadyState"), breaker, tc.desired)
			}
			if got := slices.Contains(svc.IgnoreChanges, "desiredCount"); got != tc.autoscaling {
				t.Errorf("service %s ignores desiredCount changes = %v, want %v", svc.Name, got, tc.autoscaling)
			}
			for _, target := range r.res.OfType(awstype.AppAutoscalingTarget) {
				if target.Input("minCapacity") != float64(tc.desired) {
					t.Errorf("autoscaling target minCapacity = %v, want desiredCount %d: a higher minimum would add tasks outside the deployment", target.Input("minCapacity"), tc.desired)
				}
			}
		})
	}
}

func TestImageSources(t *testing.T) {
	t.Run("an image tag deploys that tag from the stack's repository", func(t *testing.T) {
		r := mustRunService(t, nil, nil)
		repo := one(t, r.res, awstype.EcrRepository).Outputs["repositoryUrl"].StringValue()
		if got := exportString(t, r.res, "image"); got != repo+":v1.2.3" {
			t.Errorf("image = %q, want %s:v1.2.3", got, repo)
		}
		if n := len(r.res.OfType("awsx:ecr:Image")); n != 0 {
			t.Errorf("awsx:ecr:Image count = %d, want 0 with an image tag", n)
		}
	})
	for _, arch := range []struct {
		arch     CPUArchitecture
		platform string
	}{{ArchX86, "linux/amd64"}, {ArchARM64, "linux/arm64"}} {
		t.Run("a local build targets "+arch.platform+" on "+string(arch.arch)+" under a tag from its sources", func(t *testing.T) {
			app := writeApp(t, map[string]string{"Dockerfile": "FROM ruby", "Gemfile": "gem 'rails'"})
			r := mustRunService(t, func(a *AppServiceArgs) {
				a.ImageTag, a.AppBuildContext, a.CPUArchitecture = "", app, arch.arch
			}, nil)
			img := one(t, r.res, "awsx:ecr:Image")
			args, _ := img.Input("args").(map[string]any)
			repo := one(t, r.res, awstype.EcrRepository).Outputs["repositoryUrl"].StringValue()
			if img.Input("platform") != arch.platform || args["RAILS_ENV"] != "production" || args["PLATFORM"] != arch.platform || img.Input("context") != app ||
				img.Input("dockerfile") != app+"/Dockerfile" || img.Input("repositoryUrl") != repo {
				t.Errorf("image inputs = %v", mockengine.PlainMap(img.Inputs, true))
			}
			want, err := sourceTag(app, app+"/Dockerfile", arch.platform, map[string]string{"RAILS_ENV": "production", "PLATFORM": arch.platform})
			if tag, _ := img.Input("imageTag").(string); err != nil || tag != want || !imageTagPattern.MatchString(tag) {
				t.Errorf("%s imageTag = %v, want the sources' tag %q (err %v): without one awsx re-pushes one tag on every build", img.Name, img.Input("imageTag"), want, err)
			}
			td := r.res.Find(awstype.EcsTaskDefinition, "app")
			rp, _ := td.Input("runtimePlatform").(map[string]any)
			if rp["cpuArchitecture"] != string(arch.arch) || rp["operatingSystemFamily"] != "LINUX" {
				t.Errorf("runtimePlatform = %v, want LINUX/%s", rp, arch.arch)
			}
			if got := exportString(t, r.res, "image"); !strings.HasPrefix(got, repo+"@sha256:") {
				t.Errorf("image = %q, want the built digest in %s", got, repo)
			}
			if next := exportString(t, r.res, "nextStep"); !strings.Contains(next, "built from "+app+" on every pulumi up") || !strings.Contains(next, "pulumi config set imageTag src-") {
				t.Errorf("nextStep = %q, want it to say the image builds on pulumi up", next)
			}
		})
	}
}

func TestRepositoryAndCluster(t *testing.T) {
	for _, tc := range []struct {
		name       string
		prod       bool
		mutability string
		insights   string
	}{
		{"dev repository keeps mutable tags and can be force-deleted", false, "MUTABLE", "disabled"},
		{"prod repository has immutable tags and is not force-deleted", true, "IMMUTABLE", "enabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRunService(t, func(a *AppServiceArgs) {
				a.Environment = envOf(tc.prod) // tags, force-delete and Container Insights follow the profile
			}, nil)
			repo := one(t, r.res, awstype.EcrRepository)
			scan, _ := repo.Input("imageScanningConfiguration").(map[string]any)
			if repo.Input("imageTagMutability") != tc.mutability || scan["scanOnPush"] != true || repo.Input("forceDelete") != !tc.prod {
				t.Errorf("%s = %v", repo.Name, mockengine.PlainMap(repo.Inputs, true))
			}
			cluster := one(t, r.res, awstype.EcsCluster)
			settings, _ := cluster.Input("settings").([]any)
			if len(settings) != 1 || settings[0].(map[string]any)["name"] != "containerInsights" || settings[0].(map[string]any)["value"] != tc.insights {
				t.Errorf("cluster settings = %v, want containerInsights %s", settings, tc.insights)
			}
		})
	}
	t.Run("the lifecycle policy expires untagged images and keeps the newest 30", func(t *testing.T) {
		r := mustRunService(t, nil, nil)
		lp := one(t, r.res, awstype.EcrLifecyclePolicy)
		// The exact document, so a misspelt field name (ECR's schema) fails here too.
		golden := `{"rules":[{"rulePriority":1,"description":"Expire untagged images after 1 day",` +
			`"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":1},"action":{"type":"expire"}},` +
			`{"rulePriority":2,"description":"Keep the newest 30 images",` +
			`"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":30},"action":{"type":"expire"}}]}`
		if got := lp.Input("policy"); got != golden {
			t.Errorf("policy = %v\nwant %s", got, golden)
		}
		var p ecrLifecyclePolicy
		if err := json.Unmarshal([]byte(lp.Input("policy").(string)), &p); err != nil {
			t.Fatalf("policy is not JSON: %v", err)
		}
		if len(p.Rules) != 2 {
			t.Fatalf("lifecycle rules = %+v, want 2", p.Rules)
		}
		untagged, keep := p.Rules[0], p.Rules[1]
		if untagged.Selection != (ecrLifecycleSelect{TagStatus: "untagged", CountType: "sinceImagePushed", CountUnit: "days", CountNumber: 1}) ||
			untagged.Action["type"] != "expire" {
			t.Errorf("untagged rule = %+v", untagged)
		}
		if keep.Selection != (ecrLifecycleSelect{TagStatus: "any", CountType: "imageCountMoreThan", CountNumber: DefaultKeepImages}) ||
			keep.Action["type"] != "expire" {
			t.Errorf("keep rule = %+v", keep)
		}
		// ECR rejects a policy whose tagStatus "any" rule is not the highest rulePriority number.
		if untagged.RulePriority < 1 || keep.RulePriority <= untagged.RulePriority {
			t.Errorf("rulePriority untagged=%d any=%d; the any rule must come last", untagged.RulePriority, keep.RulePriority)
		}
	})
	t.Run("the cluster offers FARGATE and FARGATE_SPOT, defaulting to FARGATE", func(t *testing.T) {
		r := mustRunService(t, nil, nil)
		cp := one(t, r.res, awstype.EcsClusterCapacityProviders)
		got, _ := json.Marshal([]any{cp.Input("capacityProviders"), cp.Input("defaultCapacityProviderStrategies")})
		if want := `[["FARGATE","FARGATE_SPOT"],[{"capacityProvider":"FARGATE","weight":1}]]`; string(got) != want {
			t.Errorf("capacity providers = %s, want %s", got, want)
		}
	})
	t.Run("spot runs the service on FARGATE_SPOT", func(t *testing.T) {
		r := mustRunService(t, func(a *AppServiceArgs) { a.Spot = true }, nil)
		svc := r.res.Find(awstype.EcsService, "app")
		strategy, _ := svc.Input("capacityProviderStrategies").([]any)
		if len(strategy) != 1 || strategy[0].(map[string]any)["capacityProvider"] != "FARGATE_SPOT" {
			t.Errorf("capacityProviderStrategies = %v, want FARGATE_SPOT", strategy)
		}
	})
}

func TestCommands(t *testing.T) {
	r := mustRunService(t, nil, nil)
	cluster := exportString(t, r.res, "clusterName")
	sg := exportString(t, r.res, "securityGroupId")
	migrate := r.res.Find(awstype.EcsTaskDefinition, "app-migrate")
	t.Run("the run-task command targets the cluster, private subnets and app SG without a public IP", func(t *testing.T) {
		cmd := exportString(t, r.res, "migrateCommand")
		for _, want := range []string{
			"aws ecs run-task --region ap-northeast-1 --cluster " + cluster + " ",
			"--task-definition " + migrate.Input("family").(string) + " ",
			"--capacity-provider-strategy capacityProvider=FARGATE,weight=1",
			"subnets=[" + strings.Join(testPrivateSubnets, ",") + "]",
			"securityGroups=[" + sg + "]",
			"assignPublicIp=DISABLED",
			`--overrides '{"containerOverrides":[{"command":["bin/rails","db:migrate"],"name":"web"}]}'`,
		} {
			if !strings.Contains(cmd, want) {
				t.Errorf("migrateCommand = %q\nmissing %q", cmd, want)
			}
		}
		if strings.Contains(cmd, testPublicSubnets[0]) {
			t.Errorf("migrateCommand uses a public subnet: %q", cmd)
		}
	})
	t.Run("the exec command opens /bin/sh in a running task of the service", func(t *testing.T) {
		cmd := exportString(t, r.res, "execCommand")
		for _, want := range []string{"aws ecs execute-command --region ap-northeast-1 --cluster " + cluster,
			"--service-name " + exportString(t, r.res, "serviceName"), "--container web", `--interactive --command "/bin/sh"`} {
			if !strings.Contains(cmd, want) {
				t.Errorf("execCommand = %q, missing %q", cmd, want)
			}
		}
	})
}

func TestAppServiceArgsValidation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mutate  func(a *AppServiceArgs)
		mention string
	}{
		{"a cpu/memory pair Fargate lacks", func(a *AppServiceArgs) { a.CPU, a.Memory = 256, 4096 }, "does not fit cpu 256"},
		{"a reserved env name", func(a *AppServiceArgs) { a.AppEnv = map[string]string{"DATABASE_HOST": "x"} }, "set by rails-infra"},
		{"a secret-looking env name", func(a *AppServiceArgs) { a.AppEnv = map[string]string{"STRIPE_API_KEY": "x"} }, "looks like a secret"},
		{"both image sources", func(a *AppServiceArgs) { a.AppBuildContext = "." }, "pick one image source"},
		{"a password in an env URL", func(a *AppServiceArgs) { a.AppEnv = map[string]string{"REDIS_URL": "redis://:pw@cache:6379"} }, "holds a credential"},
		{"an unknown adapter", func(a *AppServiceArgs) { a.Database.Adapter = "sqlite3" }, "postgresql or mysql2"},
		{"desired above max", func(a *AppServiceArgs) { a.DesiredCount = intRef(9) }, "AppServiceArgs.DesiredCount = \"9\": must be between AppServiceArgs.MinCount (1) and AppServiceArgs.MaxCount (3)"},
		{"a health check path without a slash", func(a *AppServiceArgs) { a.HealthCheckPath = "up" }, "starting with /"},
		{"timeout at the interval", func(a *AppServiceArgs) { a.HealthCheckIntervalSeconds, a.HealthCheckTimeoutSeconds = 5, 5 }, "must be less than AppServiceArgs.HealthCheckIntervalSeconds (5)"},
		{"spot in prod", func(a *AppServiceArgs) { a.Environment, a.Spot = EnvProd, true }, "dev stacks only"},
	} {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			r := runService(t, tc.mutate, nil)
			if r.err == nil || !strings.Contains(r.err.Error(), tc.mention) {
				t.Fatalf("err = %v, want one mentioning %q", r.err, tc.mention)
			}
			if n := len(r.res.OfType(awstype.EcsService)); n != 0 {
				t.Errorf("%d services registered despite invalid args", n)
			}
		})
	}
}

func TestZeroSettingsAreKept(t *testing.T) {
	r := mustRunService(t, func(a *AppServiceArgs) {
		a.HealthCheckGraceSeconds, a.DeregistrationDelaySeconds = intRef(0), intRef(0)
		a.MinCount, a.DesiredCount = intRef(0), intRef(0)
	}, nil)
	svc := r.res.Find(awstype.EcsService, "app")
	tg := one(t, r.res, awstype.LbTargetGroup)
	got := []any{svc.Input("healthCheckGracePeriodSeconds"), svc.Input("desiredCount"), tg.Input("deregistrationDelay")}
	if want := []any{0.0, 0.0, 0.0}; !slices.Equal(got, want) {
		t.Errorf("%s grace, desired and %s deregistration delay = %v, want %v", svc.Name, tg.Name, got, want)
	}
}

func TestTargetHandsTheDomainTheLoadBalancer(t *testing.T) {
	r := mustRunService(t, func(a *AppServiceArgs) { a.HealthCheckPath = "/healthz" }, nil)
	got, svc := r.svc.Target(), r.svc
	for _, c := range []struct {
		name      string
		got, want pulumi.StringInput
	}{
		{"LoadBalancerArn", got.LoadBalancerArn, svc.LoadBalancerArn},
		{"LoadBalancerDNSName", got.LoadBalancerDNSName, svc.LoadBalancerDNSName},
		{"LoadBalancerZoneID", got.LoadBalancerZoneID, svc.LoadBalancerZoneID},
		{"LoadBalancerSecurityGroupID", got.LoadBalancerSecurityGroupID, svc.LoadBalancerSecurityGroupID},
		{"TargetGroupArn", got.TargetGroupArn, svc.TargetGroupArn},
	} {
		if c.got != c.want {
			t.Errorf("Target().%s is not the service's %s output", c.name, c.name)
		}
	}
	if got.HealthCheckPath != "/healthz" {
		t.Errorf("Target().HealthCheckPath = %q, want /healthz", got.HealthCheckPath)
	}
}

func TestRolledBackDeployFailsTheUpdate(t *testing.T) {
	t.Run("a service running the requested revision resolves to it", func(t *testing.T) {
		r := mustRunService(t, nil, nil)
		td := r.res.Find(awstype.EcsTaskDefinition, "app").Outputs["arn"].StringValue()
		if got := exportString(t, r.res, "deployedTaskDefinition"); got != td {
			t.Errorf("deployedTaskDefinition = %q, want %q", got, td)
		}
	})
	const (
		requested = "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/rails-infra-dev-web:8"
		previous  = "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/rails-infra-dev-web:7"
	)
	t.Run("a service ECS rolled back to the previous revision fails the run", func(t *testing.T) {
		_, err := mockengine.Run(mockengine.Options{Project: "rails-infra", Stack: "dev"}, func(ctx *pulumi.Context, export mockengine.ExportFunc) error {
			export("deployedTaskDefinition", rolloutCheck("ap-northeast-1", pulumi.String(requested).ToStringOutput(),
				pulumi.String(previous).ToStringPtrOutput(), pulumi.String("app-c1").ToStringOutput(),
				pulumi.String("app-s1").ToStringOutput(), pulumi.String("app-l1").ToStringOutput()))
			return nil
		})
		if err == nil {
			t.Fatal("run succeeded; a rolled-back deploy must fail pulumi up")
		}
		for _, want := range []string{"did not roll out " + requested, "runs " + previous,
			"aws ecs describe-services --region ap-northeast-1 --cluster app-c1 --services app-s1", "aws logs tail app-l1"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("err = %v\nmissing %q", err, want)
			}
		}
	})
	for _, tc := range []struct {
		name, got string
		ok        bool
	}{
		{"the requested revision passes", requested, true},
		{"the previous revision fails", previous, false},
		{"no revision fails", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := checkRollout("ap-northeast-1", requested, tc.got, "c", "s", "l")
			if (err == nil) != tc.ok {
				t.Errorf("checkRollout(%q) err = %v, want ok=%v", tc.got, err, tc.ok)
			}
		})
	}
}

func TestComponentNameFitsLoadBalancerNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"app", true}, {strings.Repeat("a", 24), true}, {strings.Repeat("a", 25), false},
		{"my_app", false}, {"-app", false}, {"app-", false}, {"", false},
	} {
		t.Run(fmt.Sprintf("%q", tc.name), func(t *testing.T) {
			_, err := runProgram(t, func(ctx *pulumi.Context) error {
				_, err := NewAppService(ctx, tc.name, &AppServiceArgs{})
				return err
			})
			mentioned := err != nil && strings.Contains(err.Error(), "within 32 characters")
			if mentioned == tc.ok {
				t.Errorf("name %q: err = %v, want the name accepted=%v", tc.name, err, tc.ok)
			}
		})
	}
}
