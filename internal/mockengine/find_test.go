package mockengine

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/internal/awstype"
)

func TestOneFindsTheOnlyResourceOrSaysWhatItFound(t *testing.T) {
	res, err := Run(opts(), func(ctx *pulumi.Context, _ ExportFunc) error {
		for _, name := range []string{"a", "b"} {
			if _, err := cloudwatch.NewLogGroup(ctx, name, &cloudwatch.LogGroupArgs{Name: pulumi.String(name)}); err != nil {
				return err
			}
		}
		_, err := cloudwatch.NewMetricAlarm(ctx, "alarm", &cloudwatch.MetricAlarmArgs{
			ComparisonOperator: pulumi.String("GreaterThanThreshold"), EvaluationPeriods: pulumi.Int(1),
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := res.One(awstype.CloudWatchMetricAlarm); err != nil || r.Name != "alarm" {
		t.Errorf("One(alarm) = %v, %v; want the alarm", r, err)
	}
	for _, r := range res.OfType(awstype.CloudWatchLogGroup) {
		if got := r.Output("name"); got != r.Name {
			t.Errorf("%s Output(name) = %v, want %s", r.Name, got, r.Name)
		}
	}
	_, err = res.One(awstype.CloudWatchLogGroup)
	if err == nil || !strings.Contains(err.Error(), "count = 2, want 1 (found: [a, b])") {
		t.Errorf("One(log groups) error = %v, want the count and both names", err)
	}
	_, err = res.One(awstype.SnsTopic)
	if err == nil || !strings.Contains(err.Error(), awstype.SnsTopic+" count = 0, want 1") {
		t.Errorf("One(topic) error = %v, want the type and a zero count", err)
	}
}
