package mockengine

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/budgets"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/internal/awstype"
)

func opts() Options {
	return Options{Project: "proj", Stack: "dev", Config: map[string]string{"aws:region": "ap-northeast-1"}}
}

func TestUnknownInvokesFailLoudly(t *testing.T) {
	_, err := Run(opts(), func(ctx *pulumi.Context, _ ExportFunc) error {
		_, err := ec2.LookupVpc(ctx, &ec2.LookupVpcArgs{})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "unexpected invoke aws:ec2/getVpc:getVpc") {
		t.Errorf("err = %v, want an unexpected-invoke error naming the token", err)
	}
}

func TestKnownInvokesAnswerLikeAWS(t *testing.T) {
	var acct, partition string
	_, err := Run(opts(), func(ctx *pulumi.Context, _ ExportFunc) error {
		id, err := aws.GetCallerIdentity(ctx, nil)
		if err != nil {
			return err
		}
		p, err := aws.GetPartition(ctx, nil)
		if err != nil {
			return err
		}
		acct, partition = id.AccountId, p.Partition
		return nil
	})
	if err != nil || acct != "123456789012" || partition != "aws" {
		t.Errorf("got account=%q partition=%q err=%v", acct, partition, err)
	}
}

func TestRecordsParentDependenciesProtectAndSecrets(t *testing.T) {
	res, err := Run(opts(), func(ctx *pulumi.Context, export ExportFunc) error {
		lg, err := cloudwatch.NewLogGroup(ctx, "logs", &cloudwatch.LogGroupArgs{RetentionInDays: pulumi.Int(7)})
		if err != nil {
			return err
		}
		db, err := rds.NewInstance(ctx, "db", &rds.InstanceArgs{
			Engine: pulumi.String("postgres"), InstanceClass: pulumi.String("db.t4g.micro"),
			ManageMasterUserPassword: pulumi.Bool(true),
			Username:                 pulumi.ToSecret(pulumi.String("s3cr3t-user")).(pulumi.StringOutput),
		}, pulumi.Protect(true), pulumi.DependsOn([]pulumi.Resource{lg}), pulumi.IgnoreChanges([]string{"password"}))
		if err != nil {
			return err
		}
		export("address", db.Address)
		export("user", db.Username)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db := res.Find(awstype.RdsInstance, "db")
	lg := res.Find(awstype.CloudWatchLogGroup, "logs")
	if db == nil || lg == nil {
		t.Fatal("resources not recorded")
	}
	if !db.Protect || !slices.Contains(db.DependsOn, lg.URN) || !slices.Contains(db.IgnoreChanges, "password") {
		t.Errorf("protect=%v dependsOn=%v ignoreChanges=%v", db.Protect, db.DependsOn, db.IgnoreChanges)
	}
	if !strings.HasPrefix(db.Parent, "urn:pulumi:dev::proj::pulumi:pulumi:Stack") {
		t.Errorf("parent = %s, want the stack", db.Parent)
	}
	if !ContainsSecret(db.Inputs["username"]) {
		t.Error("a secret input lost its secret marking")
	}
	if Plain(db.Inputs["username"], true) != "[secret]" {
		t.Error("redacted plain value should be [secret]")
	}
	addr, _ := res.Exports["address"].Value.(string)
	if !strings.HasSuffix(addr, ".ap-northeast-1.rds.amazonaws.com") || !strings.HasPrefix(addr, "db-") {
		t.Errorf("address = %q, want an auto-named RDS endpoint", addr)
	}
	if !res.Exports["user"].Secret {
		t.Error("an output derived from a secret must stay secret")
	}
	if secrets := Plain(db.Outputs["masterUserSecrets"], false); !strings.Contains(strings.Join(flatten(secrets), ","), "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:rds!") {
		t.Errorf("masterUserSecrets = %v, want a Secrets Manager ARN", secrets)
	}
}

func flatten(v any) []string {
	switch x := v.(type) {
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, flatten(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, e := range x {
			out = append(out, flatten(e)...)
		}
		return out
	case string:
		return []string{x}
	}
	return nil
}

func TestStackFilesLoadWithSecretsAsPlaceholders(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("Pulumi.yaml", "name: proj\nruntime: go\n")
	write("Pulumi.dev.yaml", `config:
  aws:region: us-east-1
  proj:count: 3
  proj:list: [a, b]
  proj:token:
    secure: v1:AAAABBBBCCCC
`)
	sc, err := LoadStackConfig(dir, "dev", "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"aws:region": "us-east-1", "proj:count": "3", "proj:list": `["a","b"]`, "proj:token": SecretPlaceholder}
	for k, v := range want {
		if sc.Values[k] != v {
			t.Errorf("%s = %q, want %q", k, sc.Values[k], v)
		}
	}
	if !slices.Equal(sc.SecretKeys, []string{"proj:token"}) || !slices.Equal(sc.Placeholders, []string{"proj:token"}) {
		t.Errorf("secretKeys=%v placeholders=%v, want proj:token in both", sc.SecretKeys, sc.Placeholders)
	}
	if _, err := LoadStackConfig(dir, "missing", ""); err == nil {
		t.Error("a missing stack file must be an error, not an empty config")
	}
	names, _ := StackNames(dir)
	if !slices.Equal(names, []string{"dev"}) {
		t.Errorf("StackNames = %v, want [dev]", names)
	}
}

type testComponent struct{ pulumi.ResourceState }

func TestRecordsTypeNameURNAndCustomAsTheEngineSeesThem(t *testing.T) {
	res, err := Run(opts(), func(ctx *pulumi.Context, export ExportFunc) error {
		comp := &testComponent{}
		if err := ctx.RegisterComponentResource("proj:test:Comp", "comp", comp); err != nil {
			return err
		}
		lg, err := cloudwatch.NewLogGroup(ctx, "child", &cloudwatch.LogGroupArgs{RetentionInDays: pulumi.Int(7)}, pulumi.Parent(comp))
		if err != nil {
			return err
		}
		export("childUrn", lg.URN())
		return ctx.RegisterResourceOutputs(comp, pulumi.Map{})
	})
	if err != nil {
		t.Fatal(err)
	}
	comp := res.Find("proj:test:Comp", "comp")
	child := res.Find(awstype.CloudWatchLogGroup, "child")
	if comp == nil || child == nil {
		t.Fatalf("component recorded = %v, child recorded = %v", comp != nil, child != nil)
	}
	if comp.Custom || !child.Custom {
		t.Errorf("custom: component = %v (want false), log group = %v (want true)", comp.Custom, child.Custom)
	}
	wantChild := "urn:pulumi:dev::proj::proj:test:Comp$aws:cloudwatch/logGroup:LogGroup::child"
	if child.URN != wantChild {
		t.Errorf("child URN = %s, want %s", child.URN, wantChild)
	}
	if got := res.Exports["childUrn"].Value; got != child.URN {
		t.Errorf("recorded URN %s differs from the URN the SDK returned %v", child.URN, got)
	}
	if child.Parent != comp.URN {
		t.Errorf("child parent = %s, want the component %s", child.Parent, comp.URN)
	}
	if child.Input("retentionInDays") != 7.0 {
		t.Errorf("child input retentionInDays = %v, want 7", child.Input("retentionInDays"))
	}
	if comp.ID != "" || child.ID != child.Outputs["name"].StringValue() {
		t.Errorf("ids: component %q (want none), log group %q (want its auto-generated name)", comp.ID, child.ID)
	}
}

// The monitoring resources are answered as AWS names them: ARNs a topic policy or a dashboard can
// refer to, a pending email subscription, account-global dashboard and budget ARNs.
func TestMonitoringResourcesAnswerLikeAWS(t *testing.T) {
	res, err := Run(opts(), func(ctx *pulumi.Context, _ ExportFunc) error {
		topic, err := sns.NewTopic(ctx, "alarms", &sns.TopicArgs{})
		if err != nil {
			return err
		}
		if _, err := sns.NewTopicSubscription(ctx, "ops", &sns.TopicSubscriptionArgs{Topic: topic.Arn, Protocol: pulumi.String("email"), Endpoint: pulumi.String("ops@example.co.jp")}); err != nil {
			return err
		}
		if _, err := cloudwatch.NewMetricAlarm(ctx, "cpu", &cloudwatch.MetricAlarmArgs{ComparisonOperator: pulumi.String("GreaterThanThreshold"), EvaluationPeriods: pulumi.Int(1)}); err != nil {
			return err
		}
		if _, err := cloudwatch.NewDashboard(ctx, "dash", &cloudwatch.DashboardArgs{DashboardName: pulumi.String("proj-dev"), DashboardBody: pulumi.String("{}")}); err != nil {
			return err
		}
		_, err = budgets.NewBudget(ctx, "monthly", &budgets.BudgetArgs{NamePrefix: pulumi.String("proj-dev-"), BudgetType: pulumi.String("COST"), TimeUnit: pulumi.String("MONTHLY")})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	out := func(typ, key string) string {
		r, err := res.One(typ)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := r.Output(key).(string)
		return s
	}
	for _, tc := range []struct{ typ, key, prefix string }{
		{awstype.SnsTopic, "arn", "arn:aws:sns:ap-northeast-1:123456789012:alarms-"},
		{awstype.SnsTopicSubscription, "arn", "arn:aws:sns:ap-northeast-1:123456789012:alarms-"},
		{awstype.CloudWatchMetricAlarm, "arn", "arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:cpu-"},
		{awstype.CloudWatchDashboard, "dashboardArn", "arn:aws:cloudwatch::123456789012:dashboard/proj-dev"},
		{awstype.BudgetsBudget, "arn", "arn:aws:budgets::123456789012:budget/proj-dev-"},
	} {
		if got := out(tc.typ, tc.key); !strings.HasPrefix(got, tc.prefix) {
			t.Errorf("%s %s = %q, want it to start %q", tc.typ, tc.key, got, tc.prefix)
		}
	}
	sub, _ := res.One(awstype.SnsTopicSubscription)
	if sub.Output("pendingConfirmation") != true {
		t.Errorf("an email subscription is pending until confirmed; got %v", sub.Output("pendingConfirmation"))
	}
}
