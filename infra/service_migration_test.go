package infra

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/mockengine"
)

const (
	runnerName = "app-migrate-runner"
)

func TestMigrationRunnerExistsOnlyWithTheFlagAndAnImage(t *testing.T) {
	for _, tc := range []struct {
		name    string
		flag    bool
		image   string
		wantRun bool
	}{
		{"the flag off never runs migrations on up", false, "v1.2.3", false},
		{"the flag on without an image has nothing to migrate", true, "", false},
		{"the flag on with an image migrates before the service rolls", true, "v1.2.3", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRunService(t, func(a *AppServiceArgs) {
				a.MigrateBeforeDeploy = tc.flag
				a.ImageTag = tc.image
			}, nil)
			want := 0
			if tc.wantRun {
				want = 1
			}
			for _, token := range []string{awstype.LambdaFunction, awstype.LambdaInvocation} {
				if got := len(r.res.OfType(token)); got != want {
					t.Errorf("%s count = %d, want %d", token, got, want)
				}
			}
			if got := r.res.Find(awstype.IamRole, runnerName) != nil; got != tc.wantRun {
				t.Errorf("runner role exists = %v, want %v", got, tc.wantRun)
			}
			if got := r.svc.MigrationRun != nil; got != tc.wantRun {
				t.Errorf("AppService.MigrationRun set = %v, want %v", got, tc.wantRun)
			}
			if tc.image == "" {
				if n := len(r.res.OfType(awstype.EcsService)); n != 0 {
					t.Errorf("%d ECS services without an image, want none", n)
				}
				return
			}
			svc := one(t, r.res, awstype.EcsService)
			dependsOnRun := false
			for _, inv := range r.res.OfType(awstype.LambdaInvocation) {
				dependsOnRun = dependsOnRun || slices.Contains(svc.DependsOn, inv.URN)
			}
			if dependsOnRun != tc.wantRun {
				t.Errorf("service %s DependsOn the invocation = %v, want %v (DependsOn %v)", svc.Name, dependsOnRun, tc.wantRun, svc.DependsOn)
			}
		})
	}
}

func TestMigrationRunsOnlyOnceRunTaskAndTheDatabaseAdmitTheTask(t *testing.T) {
	r := mustRunService(t, func(a *AppServiceArgs) {
		a.MigrateBeforeDeploy = true
		a.Database.Allow = func(ctx *pulumi.Context, appSG pulumi.StringOutput) (pulumi.Resource, error) {
			return vpc.NewSecurityGroupIngressRule(ctx, "db-from-app", &vpc.SecurityGroupIngressRuleArgs{
				SecurityGroupId: pulumi.String(testDBSG), IpProtocol: pulumi.String("tcp"),
				FromPort: pulumi.Int(5432), ToPort: pulumi.Int(5432), ReferencedSecurityGroupId: appSG,
			})
		}
	}, nil)
	inv := one(t, r.res, awstype.LambdaInvocation)
	service := one(t, r.res, awstype.EcsService)
	providers := one(t, r.res, awstype.EcsClusterCapacityProviders)
	rule := r.res.Find(awstype.VpcSecurityGroupIngressRule, "db-from-app")
	if rule == nil {
		t.Fatal("Database.Allow was not called: no db-from-app rule")
	}
	appSG := r.res.Find(awstype.Ec2SecurityGroup, "app-app")
	if got := rule.Input("referencedSecurityGroupId"); appSG == nil || got != appSG.ID {
		t.Errorf("db-from-app referencedSecurityGroupId = %v, want the tasks' group app-app", got)
	}
	for _, tc := range []struct {
		name string
		dep  *mockengine.Resource
	}{
		{"the migration and the service wait for the cluster's capacity providers (RunTask asks for FARGATE)", providers},
		{"the migration and the service wait for the database to admit the tasks' security group", rule},
		{"the migration and the service wait for the tasks' HTTPS egress (image pull, secrets, logs)", r.res.Find(awstype.VpcSecurityGroupEgressRule, "app-app-out-https")},
		{"the migration and the service wait for the tasks' egress to the database", r.res.Find(awstype.VpcSecurityGroupEgressRule, "app-app-out-db")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.dep == nil {
				t.Fatal("the resource to wait for does not exist")
			}
			for _, waiter := range []*mockengine.Resource{inv, service} {
				if !slices.Contains(waiter.DependsOn, tc.dep.URN) {
					t.Errorf("%s DependsOn = %v, missing %s", waiter.Name, waiter.DependsOn, tc.dep.URN)
				}
			}
		})
	}
}

// migrating runs the service with the flag on and an image.
func migrating(t *testing.T) svcRun {
	t.Helper()
	return mustRunService(t, func(a *AppServiceArgs) { a.MigrateBeforeDeploy = true }, nil)
}

func TestMigrationRunnerFunction(t *testing.T) {
	r := migrating(t)
	fn := one(t, r.res, awstype.LambdaFunction)
	logs := r.res.Find(awstype.CloudWatchLogGroup, runnerName)
	if logs == nil {
		t.Fatalf("no log group %s", runnerName)
	}
	code := fn.Inputs["code"]
	var script string
	if code.IsArchive() {
		if a, ok := code.ArchiveValue().Assets["index.py"].(*resource.Asset); ok {
			script = a.Text
		}
	}
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"runs on Python 3.12, whose runtime ships boto3", fn.Input("runtime"), MigrateLambdaRuntime},
		{"calls index.handler", fn.Input("handler"), "index.handler"},
		{"may wait the full 15 minutes Lambda allows", fn.Input("timeout"), 900.0},
		{"is auto-named (no fixed physical name)", fn.Input("name"), nil},
		{"logs to its own auto-named log group", fn.Input("loggingConfig").(map[string]any)["logGroup"], outputString(t, logs, "name")},
		{"its log group has the app's retention", logs.Input("retentionInDays"), 30.0},
		{"is not in the VPC (it only calls the ECS API)", fn.Input("vpcConfig"), nil},
		{"ships the embedded handler as index.py", script, MigrateHandlerCode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("%s %s: got %#v, want %#v", fn.Type, fn.Name, tc.got, tc.want)
			}
		})
	}
	t.Run("the code calls run_task and takes every stack value from the event", func(t *testing.T) {
		for _, want := range []string{"ecs.run_task(", `event["cluster"]`, `event["taskDefinition"]`, `event["subnets"]`,
			`event["securityGroups"]`, `"assignPublicIp": "DISABLED"`, `"capacityProvider": "FARGATE"`, `get_waiter("tasks_stopped")`} {
			if !strings.Contains(script, want) {
				t.Errorf("index.py does not contain %s", want)
			}
		}
		for _, hard := range append([]string{testAccount.AccountID, "sg-", "arn:aws"}, testPrivateSubnets...) {
			if strings.Contains(script, hard) {
				t.Errorf("index.py hard-codes %q; stack values must come from the invocation input", hard)
			}
		}
	})
}

func TestMigrationInvocation(t *testing.T) {
	r := migrating(t)
	inv := one(t, r.res, awstype.LambdaInvocation)
	fn := one(t, r.res, awstype.LambdaFunction)
	migrateTD := r.res.Find(awstype.EcsTaskDefinition, "app-migrate")
	cluster := one(t, r.res, awstype.EcsCluster)
	appLogs := r.res.Find(awstype.CloudWatchLogGroup, "app")
	svc := one(t, r.res, awstype.EcsService)
	if migrateTD == nil || appLogs == nil {
		t.Fatal("migrate task definition or app log group missing")
	}
	tdArn := outputString(t, migrateTD, "arn")
	sgs, _ := svc.Input("networkConfiguration").(map[string]any)["securityGroups"].([]any)
	if len(sgs) != 1 {
		t.Fatalf("service security groups = %v, want one", sgs)
	}

	raw, _ := inv.Input("input").(string)
	var ev MigrateEvent
	if err := json.Unmarshal([]byte(raw), &ev); err != nil {
		t.Fatalf("invocation input %q is not a migrate event: %v", raw, err)
	}
	var def []ContainerDefinition
	if err := json.Unmarshal([]byte(migrateTD.Input("containerDefinitions").(string)), &def); err != nil || len(def) != 1 {
		t.Fatalf("migrate container definitions: %v", err)
	}
	triggers, _ := inv.Input("triggers").(map[string]any)
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"invokes the runner function by name", inv.Input("functionName"), outputString(t, fn, "name")},
		{"re-runs for every new migrate task definition revision", triggers["migrateTaskDefinition"], tdArn},
		{"invokes only on create and replace", inv.Input("lifecycleScope"), "CREATE_ONLY"},
		{"names the cluster", ev.Cluster, outputString(t, cluster, "arn")},
		{"runs the migrate task definition revision, not the family", ev.TaskDefinition, tdArn},
		{"runs in the private subnets", ev.Subnets, testPrivateSubnets},
		{"runs with the app security group", ev.SecurityGroups, []string{sgs[0].(string)}},
		{"overrides the web container", ev.Container, "web"},
		{"runs bin/rails db:migrate", ev.Command, []string{"bin/rails", "db:migrate"}},
		{"points at the app log group", ev.LogGroup, outputString(t, appLogs, "name")},
		{"uses the migrate container's stream prefix", ev.StreamPrefix, def[0].LogConfiguration.Options["awslogs-stream-prefix"]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("%s %s: got %#v, want %#v", inv.Type, inv.Name, tc.got, tc.want)
			}
		})
	}
}

func TestMigrationRunnerPolicy(t *testing.T) {
	r := migrating(t)
	role := r.res.Find(awstype.IamRole, runnerName)
	grant := r.res.Find(awstype.IamRolePolicy, runnerName)
	if role == nil || grant == nil {
		t.Fatalf("runner role or policy missing")
	}
	trust := policyOf(t, role, "assumeRolePolicy")
	if len(trust.Statement) != 1 || trust.Statement[0].Principal["Service"] != "lambda.amazonaws.com" {
		t.Errorf("runner trust = %+v, want lambda.amazonaws.com only", trust)
	}
	cluster := one(t, r.res, awstype.EcsCluster)
	clusterArn, clusterName := outputString(t, cluster, "arn"), outputString(t, cluster, "name")
	execArn := outputString(t, r.res.Find(awstype.IamRole, "app-execution"), "arn")
	taskArn := outputString(t, r.res.Find(awstype.IamRole, "app-task"), "arn")
	logsArn := outputString(t, r.res.Find(awstype.CloudWatchLogGroup, runnerName), "arn")
	acct := "arn:aws:ecs:ap-northeast-1:123456789012:"

	// Round-trip through JSON so conditions compare as parsed data.
	want := []Statement{
		{Sid: "RunMigrateTask", Effect: "Allow", Action: []string{"ecs:RunTask"},
			Resource:  []string{acct + "task-definition/rails-infra-dev-migrate:*"},
			Condition: map[string]any{"ArnEquals": map[string]any{"ecs:cluster": clusterArn}}},
		{Sid: "FollowMigrateTask", Effect: "Allow", Action: []string{"ecs:DescribeTasks"},
			Resource: []string{acct + "task/" + clusterName + "/*"}},
		{Sid: "PassTaskRoles", Effect: "Allow", Action: []string{"iam:PassRole"}, Resource: []string{execArn, taskArn},
			Condition: map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "ecs-tasks.amazonaws.com"}}},
		{Sid: "OwnLog", Effect: "Allow", Action: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resource: []string{logsArn + ":*"}},
	}
	b, _ := json.Marshal(want)
	var wantParsed []Statement
	_ = json.Unmarshal(b, &wantParsed)
	got := policyOf(t, grant, "policy")
	if !reflect.DeepEqual(got.Statement, wantParsed) {
		t.Errorf("runner policy:\n got %+v\nwant %+v", got.Statement, wantParsed)
	}
	assertNoWildcards(t, got)
	fn := one(t, r.res, awstype.LambdaFunction)
	if !slices.Contains(fn.DependsOn, grant.URN) {
		t.Errorf("%s DependsOn = %v, missing its policy %s (the first invocation would be denied)", fn.Name, fn.DependsOn, grant.URN)
	}
}

func TestMigrateHandlerIsValidPython(t *testing.T) {
	py := requirePython(t)
	cmd := exec.Command(py, "-c", "import ast, sys; ast.parse(sys.stdin.read(), 'index.py')")
	cmd.Stdin = strings.NewReader(MigrateHandlerCode)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("index.py does not parse: %v\n%s", err, out)
	}
}

func requirePython(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is needed to check the migration runner's code: %v", err)
	}
	return py
}

// fakeBoto3 is a boto3 stand-in: it records every ECS call to $FAKE_CALLS and answers with a
// task that stopped with $FAKE_EXIT (or fails to start when $FAKE_EXIT is "nostart").
const fakeBoto3 = `import json, os

class _Waiter:
    def __init__(self, rec):
        self.rec = rec
    def wait(self, **kw):
        self.rec("wait", kw)

class _ECS:
    def _rec(self, op, kw):
        path = os.environ["FAKE_CALLS"]
        calls = json.load(open(path)) if os.path.exists(path) else []
        calls.append({"op": op, "args": kw})
        json.dump(calls, open(path, "w"))
    def run_task(self, **kw):
        self._rec("run_task", kw)
        if os.environ["FAKE_EXIT"] == "nostart":
            return {"tasks": [], "failures": [{"reason": "RESOURCE:ENI", "arn": "x"}]}
        return {"tasks": [{"taskArn": "arn:aws:ecs:ap-northeast-1:123456789012:task/c/abc123"}], "failures": []}
    def get_waiter(self, name):
        self._rec("get_waiter", {"name": name})
        return _Waiter(self._rec)
    def describe_tasks(self, **kw):
        self._rec("describe_tasks", kw)
        code = int(os.environ["FAKE_EXIT"])
        return {"tasks": [{"taskArn": kw["tasks"][0], "stoppedReason": "Essential container in task exited",
                           "containers": [{"name": "web", "exitCode": code}]}]}

def client(name):
    assert name == "ecs", name
    return _ECS()
`

const handlerDriver = `import json, sys
import index

class Ctx:
    def get_remaining_time_in_millis(self):
        return 900000

print(json.dumps(index.handler(json.loads(sys.argv[1]), Ctx())))
`

func TestMigrateHandlerLogic(t *testing.T) {
	py := requirePython(t)
	event := MigrateEvent{
		Cluster: "arn:aws:ecs:ap-northeast-1:123456789012:cluster/app-1234567", TaskDefinition: "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/x-migrate:3",
		Subnets: testPrivateSubnets, SecurityGroups: []string{"sg-0app"}, Container: "web", Command: MigrateCommand,
		LogGroup: "app-1234567", StreamPrefix: "migrate",
	}
	evJSON, _ := json.Marshal(event)
	for _, tc := range []struct {
		name     string
		exit     string
		wantOK   bool
		mentions []string
	}{
		{"a migration that exits 0 returns the task", "0", true, []string{`"exitCode": 0`, "abc123"}},
		{"a migration that exits 1 raises with the reason and the log stream", "1", false,
			[]string{"exit code 1", "Essential container in task exited", "app-1234567", "migrate/web/abc123"}},
		{"a task that cannot start raises with ECS's failure", "nostart", false, []string{"did not start", "RESOURCE:ENI"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for path, body := range map[string]string{
				"boto3/__init__.py": fakeBoto3, "index.py": MigrateHandlerCode, "driver.py": handlerDriver,
			} {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, path)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, path), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			calls := filepath.Join(dir, "calls.json")
			cmd := exec.Command(py, filepath.Join(dir, "driver.py"), string(evJSON))
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PYTHONPATH="+dir, "FAKE_CALLS="+calls, "FAKE_EXIT="+tc.exit, "PYTHONDONTWRITEBYTECODE=1")
			out, err := cmd.CombinedOutput()
			if (err == nil) != tc.wantOK {
				t.Fatalf("handler succeeded = %v, want %v; output:\n%s", err == nil, tc.wantOK, out)
			}
			for _, m := range tc.mentions {
				if !strings.Contains(string(out), m) {
					t.Errorf("output does not mention %q:\n%s", m, out)
				}
			}
			var rec []struct {
				Op   string         `json:"op"`
				Args map[string]any `json:"args"`
			}
			b, err := os.ReadFile(calls)
			if err != nil || json.Unmarshal(b, &rec) != nil || len(rec) == 0 || rec[0].Op != "run_task" {
				t.Fatalf("first ECS call is not run_task: %s (%v)", b, err)
			}
			run, _ := json.Marshal(rec[0].Args)
			wantRun, _ := json.Marshal(map[string]any{
				"cluster": event.Cluster, "taskDefinition": event.TaskDefinition, "count": 1,
				"capacityProviderStrategy": []any{map[string]any{"capacityProvider": "FARGATE", "weight": 1}},
				"platformVersion":          "LATEST",
				"networkConfiguration": map[string]any{"awsvpcConfiguration": map[string]any{
					"subnets": testPrivateSubnets, "securityGroups": []string{"sg-0app"}, "assignPublicIp": "DISABLED"}},
				"overrides": map[string]any{"containerOverrides": []any{map[string]any{"name": "web", "command": MigrateCommand}}},
				"startedBy": MigrateStartedBy,
			})
			if string(run) != string(wantRun) {
				t.Errorf("run_task args:\n got %s\nwant %s", run, wantRun)
			}
			if tc.exit == "nostart" {
				if len(rec) != 1 {
					t.Errorf("after a failed start the handler made %d more calls, want none", len(rec)-1)
				}
				return
			}
			ops := []string{}
			for _, c := range rec {
				ops = append(ops, c.Op)
			}
			if want := []string{"run_task", "get_waiter", "wait", "describe_tasks"}; !slices.Equal(ops, want) {
				t.Errorf("ECS calls = %v, want %v", ops, want)
			}
			wait, _ := json.Marshal(rec[2].Args)
			// 900 s remaining, 30 s margin, 10 s polls: 87 attempts.
			if want := `{"WaiterConfig":{"Delay":10,"MaxAttempts":87},"cluster":"` + event.Cluster + `","tasks":["arn:aws:ecs:ap-northeast-1:123456789012:task/c/abc123"]}`; string(wait) != want {
				t.Errorf("waiter args:\n got %s\nwant %s", wait, want)
			}
		})
	}
}

func TestNextStepSaysWhoMigrates(t *testing.T) {
	for _, tc := range []struct {
		name string
		flag bool
		want string
	}{
		{"without the flag it points at migrateCommand", false, "Run migrations with the migrateCommand output."},
		{"with the flag it says pulumi up migrates", true, "pulumi up runs the migrations before the service rolls"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRunService(t, func(a *AppServiceArgs) { a.MigrateBeforeDeploy = tc.flag }, nil)
			if got := exportString(t, r.res, "nextStep"); !strings.Contains(got, tc.want) {
				t.Errorf("nextStep = %q, want it to contain %q", got, tc.want)
			}
		})
	}
}
