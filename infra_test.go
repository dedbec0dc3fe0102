package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/infra"
	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/mockengine"
)

// runDeploy runs the exact program `pulumi up` runs, on the recording engine.
func runDeploy(opts mockengine.Options) (*mockengine.Result, error) {
	return mockengine.Run(opts, func(ctx *pulumi.Context, export mockengine.ExportFunc) error {
		return deploy(ctx, exporter(export))
	})
}

func loadStack(t testing.TB, stack string) *mockengine.StackConfig {
	t.Helper()
	sc, err := mockengine.LoadStackConfig(".", stack, "")
	if err != nil {
		t.Fatalf("loading stack %s: %v", stack, err)
	}
	return sc
}

// runStack runs a committed stack file, with optional overrides (key -> value; "" deletes).
func runStack(t testing.TB, stack string, overrides map[string]string) (*mockengine.Result, error) {
	t.Helper()
	sc := loadStack(t, stack)
	// Overrides change what the stack file sets; the CLI then fills in Pulumi.yaml's defaults.
	sc.Values = maps.Clone(sc.Values)
	for k, v := range overrides {
		if v == "" {
			delete(sc.Values, k)
		} else {
			sc.Values[k] = v
		}
	}
	opts := sc.Options(stack)
	opts.Setup = registerStackZone(opts.Config)
	return runDeploy(opts)
}

// registerStackZone makes the stack's configured hosted zone exist in the mock account, so the
// domain's zone lookup answers as it would for a user who owns the zone. With only a zone id,
// the zone is named after domainName (its name is unknown until AWS answers).
func registerStackZone(config map[string]string) func(*mockengine.Recorder) {
	name, id := config["rails-infra:hostedZoneName"], config["rails-infra:hostedZoneId"]
	return func(r *mockengine.Recorder) {
		switch {
		case name != "":
			r.HostedZones[name] = "ZMOCK" + strings.ToUpper(strings.NewReplacer(".", "", "-", "").Replace(name))
		case id != "":
			r.HostedZones[config["rails-infra:domainName"]] = id
		}
	}
}

// stackExpectations is what each committed stack must build. A new stack file without
// an entry here fails the test, so every environment is covered.
var stackExpectations = map[string]struct {
	env      infra.Environment
	nat      string
	azs      float64
	cidr     string
	flowDays float64
}{
	"dev":  {env: infra.EnvDev, nat: "Single", azs: 2, cidr: "10.0.0.0/16", flowDays: 14},
	"prod": {env: infra.EnvProd, nat: "OnePerAz", azs: 2, cidr: "10.1.0.0/16", flowDays: 365},
}

func TestEveryStackFileRunsUnderMocks(t *testing.T) {
	stacks, err := mockengine.StackNames(".")
	if err != nil || len(stacks) == 0 {
		t.Fatalf("no Pulumi.<stack>.yaml found: %v", err)
	}
	for _, stack := range stacks {
		t.Run(stack+" stack builds its network as configured", func(t *testing.T) {
			want, ok := stackExpectations[stack]
			if !ok {
				t.Fatalf("Pulumi.%s.yaml has no entry in stackExpectations; add what it must build", stack)
			}
			res, err := runStack(t, stack, nil)
			if err != nil {
				t.Fatalf("program failed: %v", err)
			}
			if got := res.Exports["environment"].Value; got != string(want.env) {
				t.Errorf("environment output = %v, want %v", got, want.env)
			}
			vpc := one(t, res, "awsx:ec2:Vpc")
			nat, _ := vpc.Input("natGateways").(map[string]any)
			if nat["strategy"] != want.nat {
				t.Errorf("%s natGateways.strategy = %v, want %s", vpc.Name, nat["strategy"], want.nat)
			}
			if got := vpc.Input("numberOfAvailabilityZones"); got != want.azs {
				t.Errorf("%s numberOfAvailabilityZones = %v, want %v", vpc.Name, got, want.azs)
			}
			if got := vpc.Input("cidrBlock"); got != want.cidr {
				t.Errorf("%s cidrBlock = %v, want %v", vpc.Name, got, want.cidr)
			}
			flows := res.OfType(awstype.Ec2FlowLog)
			if len(flows) != 1 || flows[0].Input("trafficType") != "ALL" {
				t.Fatalf("want exactly one flow log with trafficType ALL, got %d", len(flows))
			}
			// Several log groups exist (app, flow logs, ...) in no fixed order: pick the one the
			// flow log writes to, and require it to be the network's own group.
			dest := flows[0].Input("logDestination")
			var group *mockengine.Resource
			for _, g := range res.OfType(awstype.CloudWatchLogGroup) {
				if mockengine.Plain(g.Outputs["arn"], false) == dest {
					group = g
				}
			}
			network := res.Find("rails-infra:infra:Network", "network")
			switch {
			case group == nil:
				t.Errorf("flow log destination %v is no log group of this stack", dest)
			case network == nil || group.Parent != network.URN || group.Name != "network-flow-logs":
				t.Errorf("flow log group %s (parent %s) is not the Network's network-flow-logs group", group.Name, group.Parent)
			case group.Input("retentionInDays") != want.flowDays:
				t.Errorf("%s retentionInDays = %v, want %v", group.Name, group.Input("retentionInDays"), want.flowDays)
			}
			defaultSG := one(t, res, awstype.Ec2DefaultSecurityGroup)
			for _, k := range []string{"ingress", "egress"} {
				if v, ok := defaultSG.Input(k).([]any); ok && len(v) > 0 {
					t.Errorf("default security group has %s rules %v, want none", k, v)
				}
			}
			if ids, _ := res.Exports["privateSubnetIds"].Value.([]any); len(ids) != int(want.azs) {
				t.Errorf("privateSubnetIds output = %v, want %v subnets", ids, want.azs)
			}
		})
	}
}

func TestStackFilesUseOnlyDeclaredKeys(t *testing.T) {
	known := map[string]bool{}
	for _, k := range infra.KnownKeys() {
		known[k] = true
	}
	stacks, _ := mockengine.StackNames(".")
	for _, stack := range stacks {
		for k := range loadStack(t, stack).Values {
			short, ok := strings.CutPrefix(k, infra.Namespace+":")
			if ok && !known[short] {
				t.Errorf("Pulumi.%s.yaml sets %s, which the program does not read", stack, k)
			}
		}
	}
}

// badConfig cases each break one rule on top of the dev stack file.
var badConfig = []struct {
	name      string
	stack     string // default dev
	overrides map[string]string
	key       string // the key the error must name
	mention   string // text the message must contain
}{
	{"a /8 VPC is too big", "", map[string]string{"rails-infra:vpcCidr": "10.0.0.0/8"}, "rails-infra:vpcCidr", "/16 to /24"},
	{"a /28 VPC is too small", "", map[string]string{"rails-infra:vpcCidr": "10.0.0.0/28"}, "rails-infra:vpcCidr", "/16 to /24"},
	{"a VPC CIDR that is not a CIDR", "", map[string]string{"rails-infra:vpcCidr": "not-a-cidr"}, "rails-infra:vpcCidr", "IPv4 CIDR"},
	{"a VPC CIDR with host bits", "", map[string]string{"rails-infra:vpcCidr": "10.0.0.1/16"}, "rails-infra:vpcCidr", "10.0.0.0/16"},
	{"an IPv6 VPC CIDR", "", map[string]string{"rails-infra:vpcCidr": "2001:db8::/56"}, "rails-infra:vpcCidr", "IPv4"},
	{"a VPC CIDR without prefix", "", map[string]string{"rails-infra:vpcCidr": "10.0.0.0"}, "rails-infra:vpcCidr", "IPv4 CIDR"},
	{"one availability zone", "", map[string]string{"rails-infra:availabilityZones": "1"}, "rails-infra:availabilityZones", "from 2 to 3"},
	{"four availability zones", "", map[string]string{"rails-infra:availabilityZones": "4"}, "rails-infra:availabilityZones", "from 2 to 3"},
	{"availability zones as a word", "", map[string]string{"rails-infra:availabilityZones": "two"}, "rails-infra:availabilityZones", "whole number"},
	{"fractional availability zones", "", map[string]string{"rails-infra:availabilityZones": "2.5"}, "rails-infra:availabilityZones", "whole number"},
	{"a lower-case NAT strategy", "", map[string]string{"rails-infra:natGateways": "single"}, "rails-infra:natGateways", "None | Single | OnePerAz"},
	{"an unknown NAT strategy", "", map[string]string{"rails-infra:natGateways": "Multiple"}, "rails-infra:natGateways", "None | Single | OnePerAz"},
	{"no NAT and no endpoints", "", map[string]string{"rails-infra:natGateways": "None"}, "rails-infra:natGateways", "vpcEndpoints"},
	{"no NAT and endpoints off explicitly", "", map[string]string{"rails-infra:natGateways": "None", "rails-infra:vpcEndpoints": "false"}, "rails-infra:natGateways", "ECR"},
	{"endpoints as yes", "", map[string]string{"rails-infra:vpcEndpoints": "yes"}, "rails-infra:vpcEndpoints", "true or false"},
	{"endpoints as 1", "", map[string]string{"rails-infra:vpcEndpoints": "1"}, "rails-infra:vpcEndpoints", "true or false"},
	{"10-day flow log retention", "", map[string]string{"rails-infra:flowLogRetentionDays": "10"}, "rails-infra:flowLogRetentionDays", "one of 1, 3, 5"},
	{"zero flow log retention", "", map[string]string{"rails-infra:flowLogRetentionDays": "0"}, "rails-infra:flowLogRetentionDays", "3653"},
	{"negative flow log retention", "", map[string]string{"rails-infra:flowLogRetentionDays": "-1"}, "rails-infra:flowLogRetentionDays", "one of"},
	{"flow log retention forever", "", map[string]string{"rails-infra:flowLogRetentionDays": "forever"}, "rails-infra:flowLogRetentionDays", "one of"},
	{"environment spelled out", "", map[string]string{"rails-infra:environment": "production"}, "rails-infra:environment", "dev | prod"},
	{"environment capitalised", "", map[string]string{"rails-infra:environment": "Prod"}, "rails-infra:environment", "dev | prod"},
	{"the prod stack with dev defaults", "prod", map[string]string{"rails-infra:environment": "dev"}, "rails-infra:environment", "looks like production"},
	{"a region that is a city", "", map[string]string{"aws:region": "tokyo"}, "aws:region", "not an AWS region"},
	{"a misspelled key", "", map[string]string{"rails-infra:vpcCIDR": "10.0.0.0/16"}, "rails-infra:vpcCIDR", `Did you mean "vpcCidr"`},
	{"an unknown key", "", map[string]string{"rails-infra:webScale": "true"}, "rails-infra:webScale", "not a rails-infra setting"},
	// --- database ---
	{"a database engine other than postgres or mysql", "", map[string]string{"rails-infra:dbEngine": "oracle-ee"}, "rails-infra:dbEngine", "postgres | mysql"},
	{"a postgres version written like mysql", "", map[string]string{"rails-infra:dbEngineVersion": "8.0"}, "rails-infra:dbEngineVersion", "major (17)"},
	{"a mysql version past its support", "", map[string]string{"rails-infra:dbEngine": "mysql", "rails-infra:dbEngineVersion": "5.7"}, "rails-infra:dbEngineVersion", "8.0 or 8.4"},
	{"an instance class without the db. prefix", "", map[string]string{"rails-infra:dbInstanceClass": "t4g.micro"}, "rails-infra:dbInstanceClass", "db.<family>.<size>"},
	{"10 GiB of database storage", "", map[string]string{"rails-infra:dbAllocatedStorage": "10"}, "rails-infra:dbAllocatedStorage", "from 20 to 65536"},
	{"an autoscaling ceiling equal to the storage", "", map[string]string{"rails-infra:dbMaxAllocatedStorage": "20"}, "rails-infra:dbMaxAllocatedStorage", "at least 22 GiB"},
	{"40 days of database backups", "", map[string]string{"rails-infra:dbBackupRetentionDays": "40"}, "rails-infra:dbBackupRetentionDays", "from 0 to 35"},
	{"the prod stack with 3 days of backups", "prod", map[string]string{"rails-infra:dbBackupRetentionDays": "3"}, "rails-infra:dbBackupRetentionDays", "environment is prod"},
	{"the prod stack without deletion protection", "prod", map[string]string{"rails-infra:dbDeletionProtection": "false"}, "rails-infra:dbDeletionProtection", "environment is prod"},
	{"the prod stack without a final snapshot", "prod", map[string]string{"rails-infra:dbFinalSnapshot": "false"}, "rails-infra:dbFinalSnapshot", "environment is prod"},
	{"the postgres master username", "", map[string]string{"rails-infra:dbUsername": "postgres"}, "rails-infra:dbUsername", "reserved"},
	{"the admin master username on mysql", "", map[string]string{"rails-infra:dbEngine": "mysql", "rails-infra:dbUsername": "admin"}, "rails-infra:dbUsername", "reserved"},
	{"a database name with a dash", "", map[string]string{"rails-infra:dbName": "my-app"}, "rails-infra:dbName", "a-z, 0-9 and _"},
	{"a master username longer than RDS accepts", "", map[string]string{"rails-infra:dbUsername": "rails_application_owner"}, "rails-infra:dbUsername", "at most 16"},
	{"Performance Insights on db.t4g.micro", "", map[string]string{"rails-infra:dbPerformanceInsights": "true"}, "rails-infra:dbPerformanceInsights", "cannot run Performance Insights"},
	{"multi-AZ as yes", "", map[string]string{"rails-infra:dbMultiAz": "yes"}, "rails-infra:dbMultiAz", "true or false"},
	{"database storage as a word", "", map[string]string{"rails-infra:dbAllocatedStorage": "twenty"}, "rails-infra:dbAllocatedStorage", "whole number"},
	{"a negative autoscaling ceiling", "", map[string]string{"rails-infra:dbMaxAllocatedStorage": "-1"}, "rails-infra:dbMaxAllocatedStorage", "from 0 to 65536"},
	{"backups for a week written out", "", map[string]string{"rails-infra:dbBackupRetentionDays": "a week"}, "rails-infra:dbBackupRetentionDays", "whole number"},
	{"a mysql major without its minor", "", map[string]string{"rails-infra:dbEngine": "mysql", "rails-infra:dbEngineVersion": "8"}, "rails-infra:dbEngineVersion", "8.0 or 8.4"},
	{"an upper-case instance class", "", map[string]string{"rails-infra:dbInstanceClass": "db.T4G.micro"}, "rails-infra:dbInstanceClass", "db.<family>.<size>"},
	{"a system database as the app database", "", map[string]string{"rails-infra:dbName": "template1"}, "rails-infra:dbName", "already uses"},
	{"the prod stack with deletion protection as no", "prod", map[string]string{"rails-infra:dbDeletionProtection": "no"}, "rails-infra:dbDeletionProtection", "true or false"},
	// --- service ---
	{"memory that does not fit the cpu", "", map[string]string{"rails-infra:cpu": "1024", "rails-infra:memory": "512"}, "rails-infra:memory", "does not fit cpu 1024"},
	{"a cpu Fargate lacks", "", map[string]string{"rails-infra:cpu": "300"}, "rails-infra:cpu", "not a Fargate size"},
	{"a password in plain appEnv", "", map[string]string{"rails-infra:appEnv": `{"SMTP_PASSWORD":"hunter2"}`}, "rails-infra:appEnv", "appSecrets"},
	{"AWS keys in appEnv", "", map[string]string{"rails-infra:appEnv": `{"AWS_SECRET_ACCESS_KEY":"x"}`}, "rails-infra:appEnv", "task role"},
	{"an appEnv name the service sets", "", map[string]string{"rails-infra:appEnv": `{"DATABASE_HOST":"localhost"}`}, "rails-infra:appEnv", "set by rails-infra"},
	{"app secrets in plain text", "", map[string]string{"rails-infra:appSecrets": `{"STRIPE_KEY":"sk_live"}`}, "rails-infra:appSecrets", "--secret"},
	{"a health check timeout at the interval", "", map[string]string{"rails-infra:healthCheckTimeoutSeconds": "10"}, "rails-infra:healthCheckTimeoutSeconds", "less than"},
	{"a health check path without a slash", "", map[string]string{"rails-infra:healthCheckPath": "up"}, "rails-infra:healthCheckPath", "starting with /"},
	{"min count above max count", "", map[string]string{"rails-infra:minCount": "4", "rails-infra:maxCount": "3", "rails-infra:desiredCount": "3"}, "rails-infra:minCount", "above maxCount"},
	{"desired count above max count", "", map[string]string{"rails-infra:desiredCount": "9"}, "rails-infra:desiredCount", "between minCount"},
	{"spot on the prod stack", "prod", map[string]string{"rails-infra:spot": "true"}, "rails-infra:spot", "dev stacks only"},
	{"two image sources", "", map[string]string{"rails-infra:imageTag": "v1", "rails-infra:appBuildContext": "../app"}, "rails-infra:imageTag", "pick one"},
	{"a lower-case architecture", "", map[string]string{"rails-infra:cpuArchitecture": "arm64"}, "rails-infra:cpuArchitecture", "X86_64 | ARM64"},
	{"an IPv6 allowed CIDR", "", map[string]string{"rails-infra:allowedCidrs": `["::/0"]`}, "rails-infra:allowedCidrs", "IPv4"},
	{"a container port of 0", "", map[string]string{"rails-infra:containerPort": "0"}, "rails-infra:containerPort", "from 1 to 65535"},
	{"a password inside an appEnv URL", "", map[string]string{"rails-infra:appEnv": `{"REDIS_URL":"redis://:hunter2@cache:6379/0"}`}, "rails-infra:appEnv", "holds a credential"},
	{"an AWS access key id as an appEnv value", "", map[string]string{"rails-infra:appEnv": `{"UPLOADER":"AKIAIOSFODNN7EXAMPLE"}`}, "rails-infra:appEnv", "access key id"},
	{"migrate before deploy as yes", "", map[string]string{"rails-infra:migrateBeforeDeploy": "yes", "rails-infra:imageTag": "v1"}, "rails-infra:migrateBeforeDeploy", "true or false"},
	{"migrate before deploy as 1 on prod", "prod", map[string]string{"rails-infra:migrateBeforeDeploy": "1"}, "rails-infra:migrateBeforeDeploy", "true or false"},
	{"a misspelled migrate flag", "", map[string]string{"rails-infra:migrateBeforeDeploys": "true"}, "rails-infra:migrateBeforeDeploys", `Did you mean "migrateBeforeDeploy"`},
	// --- cache ---
	{"redis as on", "", map[string]string{"rails-infra:redis": "on"}, "rails-infra:redis", "true or false"},
	{"memcached as the cache engine", "", map[string]string{"rails-infra:redis": "true", "rails-infra:redisEngine": "memcached"}, "rails-infra:redisEngine", "valkey | redis"},
	{"a Redis OSS version past its support", "", map[string]string{"rails-infra:redis": "true", "rails-infra:redisEngine": "redis", "rails-infra:redisEngineVersion": "5.0.6"}, "rails-infra:redisEngineVersion", "7.0 or 7.1"},
	{"a Valkey version with its patch", "", map[string]string{"rails-infra:redis": "true", "rails-infra:redisEngineVersion": "8.2.1"}, "rails-infra:redisEngineVersion", "7.2 or 8.x"},
	{"a cache node type without cache.", "", map[string]string{"rails-infra:redis": "true", "rails-infra:redisNodeType": "t4g.micro"}, "rails-infra:redisNodeType", "cache.<family>.<size>"},
	{"six cache replicas", "", map[string]string{"rails-infra:redis": "true", "rails-infra:redisReplicas": "6"}, "rails-infra:redisReplicas", "from 0 to 5"},
	{"the prod stack's cache without a replica", "prod", map[string]string{"rails-infra:redis": "true", "rails-infra:redisReplicas": "0"}, "rails-infra:redisReplicas", "environment is prod"},
	{"cache snapshots kept 40 days", "", map[string]string{"rails-infra:redis": "true", "rails-infra:redisSnapshotRetentionDays": "40"}, "rails-infra:redisSnapshotRetentionDays", "from 0 to 35"},
	{"the prod stack's cache with a day of snapshots", "prod", map[string]string{"rails-infra:redis": "true", "rails-infra:redisSnapshotRetentionDays": "1"}, "rails-infra:redisSnapshotRetentionDays", "environment is prod"},
	{"cache apply immediately as asap", "", map[string]string{"rails-infra:redis": "true", "rails-infra:redisApplyImmediately": "asap"}, "rails-infra:redisApplyImmediately", "true or false"},
	{"REDIS_URL in appEnv beside the cache", "", map[string]string{"rails-infra:redis": "true", "rails-infra:appEnv": `{"REDIS_URL":"redis://cache:6379/0"}`}, "rails-infra:appEnv", "set by the cache"},
	{"a misspelled redis key", "", map[string]string{"rails-infra:redisNodetype": "cache.t4g.micro"}, "rails-infra:redisNodetype", `Did you mean "redisNodeType"`},
	// --- workers ---
	{"workers as a list", "", map[string]string{"rails-infra:workers": `["sidekiq"]`}, "rails-infra:workers", "map of NAME: settings"},
	{"a worker that is a command string", "", map[string]string{"rails-infra:workers": `{"sidekiq":"bundle exec sidekiq"}`}, "rails-infra:workers.sidekiq", "object of settings"},
	{"a worker name with capitals", "", map[string]string{"rails-infra:workers": `{"Sidekiq":{"command":["x"]}}`}, "rails-infra:workers.Sidekiq", "lower-case"},
	{"a worker without a command", "", map[string]string{"rails-infra:workers": `{"sidekiq":{"cpu":512,"memory":1024}}`}, "rails-infra:workers.sidekiq.command", "non-empty list"},
	{"a worker cpu Fargate lacks", "", map[string]string{"rails-infra:workers": `{"sidekiq":{"command":["x"],"cpu":300}}`}, "rails-infra:workers.sidekiq.cpu", "not a Fargate size"},
	{"worker memory that does not fit", "", map[string]string{"rails-infra:workers": `{"sidekiq":{"command":["x"],"cpu":2048,"memory":1024}}`}, "rails-infra:workers.sidekiq.memory", "does not fit cpu 2048"},
	{"worker counts out of order", "", map[string]string{"rails-infra:workers": `{"sidekiq":{"command":["x"],"minCount":3,"maxCount":2,"desiredCount":2}}`}, "rails-infra:workers.sidekiq.minCount", "above workers.sidekiq.maxCount"},
	{"a worker desired count over its max", "prod", map[string]string{"rails-infra:workers": `{"sidekiq":{"command":["x"],"desiredCount":4,"maxCount":3}}`}, "rails-infra:workers.sidekiq.desiredCount", "between"},
	{"a worker CPU target of 5%", "", map[string]string{"rails-infra:workers": `{"sidekiq":{"command":["x"],"cpuTargetPercent":5}}`}, "rails-infra:workers.sidekiq.cpuTargetPercent", "from 10 to 90"},
	{"a worker stop timeout over 120 s", "", map[string]string{"rails-infra:workers": `{"sidekiq":{"command":["x"],"stopTimeout":180}}`}, "rails-infra:workers.sidekiq.stopTimeout", "from 2 to 120"},
	{"a misspelled worker setting", "", map[string]string{"rails-infra:workers": `{"sidekiq":{"command":["x"],"cmd":["y"]}}`}, "rails-infra:workers.sidekiq.cmd", "not a setting of workers entries"},
	// --- schedules ---
	{"schedules as a string", "", map[string]string{"rails-infra:schedules": `"nightly"`}, "rails-infra:schedules", "map of NAME: settings"},
	{"a schedule without a command", "", map[string]string{"rails-infra:schedules": `{"nightly":{"schedule":"rate(1 day)"}}`}, "rails-infra:schedules.nightly.command", "non-empty list"},
	{"a Unix five-field cron", "", map[string]string{"rails-infra:schedules": `{"nightly":{"command":["x"],"schedule":"cron(0 3 * * *)"}}`}, "rails-infra:schedules.nightly.schedule", "needs 6"},
	{"a cron with both day fields", "prod", map[string]string{"rails-infra:schedules": `{"nightly":{"command":["x"],"schedule":"cron(0 3 * * MON *)"}}`}, "rails-infra:schedules.nightly.schedule", "exactly one of day-of-month"},
	{"a rate in weeks", "", map[string]string{"rails-infra:schedules": `{"weekly":{"command":["x"],"schedule":"rate(1 week)"}}`}, "rails-infra:schedules.weekly.schedule", "minute(s), hour(s) or day(s)"},
	{"a city as the timezone", "", map[string]string{"rails-infra:schedules": `{"nightly":{"command":["x"],"schedule":"rate(1 day)","timezone":"Tokyo"}}`}, "rails-infra:schedules.nightly.timezone", "IANA"},
	{"enabled as off", "", map[string]string{"rails-infra:schedules": `{"nightly":{"command":["x"],"schedule":"rate(1 day)","enabled":"off"}}`}, "rails-infra:schedules.nightly.enabled", "true or false"},
	{"a schedule cpu Fargate lacks", "", map[string]string{"rails-infra:schedules": `{"nightly":{"command":["x"],"schedule":"rate(1 day)","cpu":768}}`}, "rails-infra:schedules.nightly.cpu", "not a Fargate size"},
	{"schedule memory that does not fit", "", map[string]string{"rails-infra:schedules": `{"nightly":{"command":["x"],"schedule":"rate(1 day)","cpu":4096,"memory":512}}`}, "rails-infra:schedules.nightly.memory", "does not fit cpu 4096"},
	{"a schedule named migrate", "", map[string]string{"rails-infra:schedules": `{"migrate":{"command":["x"],"schedule":"rate(1 day)"}}`}, "rails-infra:schedules.migrate", "taken by the stack"},
	{"a misspelled schedule setting", "", map[string]string{"rails-infra:schedules": `{"nightly":{"command":["x"],"cron":"cron(0 3 * * ? *)"}}`}, "rails-infra:schedules.nightly.cron", "not a setting of schedules entries"},
	// --- domain ---
	{"the prod stack without a domain", "prod", map[string]string{"rails-infra:domainName": "", "rails-infra:hostedZoneName": ""}, "rails-infra:domainName", "prod must serve HTTPS"},
	{"an upper-case domain name", "", map[string]string{"rails-infra:domainName": "App.example.co.jp", "rails-infra:hostedZoneName": "example.co.jp"}, "rails-infra:domainName", "lower case"},
	{"a one-label domain name", "", map[string]string{"rails-infra:domainName": "rails", "rails-infra:hostedZoneName": "example.co.jp"}, "rails-infra:domainName", "at least two labels"},
	{"a wildcard domain name", "", map[string]string{"rails-infra:domainName": "*.example.co.jp", "rails-infra:hostedZoneName": "example.co.jp"}, "rails-infra:domainName", "must not be a wildcard"},
	{"a domain without a hosted zone", "", map[string]string{"rails-infra:domainName": "app.example.co.jp"}, "rails-infra:hostedZoneName", "exactly one of hostedZoneName or hostedZoneId"},
	{"a domain with zone name and zone id", "", map[string]string{"rails-infra:domainName": "app.example.co.jp", "rails-infra:hostedZoneName": "example.co.jp", "rails-infra:hostedZoneId": "Z0123456789EXAMPLEJP"}, "rails-infra:hostedZoneId", "not both"},
	{"a domain outside its hosted zone", "", map[string]string{"rails-infra:domainName": "app.example.com", "rails-infra:hostedZoneName": "example.co.jp"}, "rails-infra:domainName", "not inside hosted zone example.co.jp"},
	{"a zone id with the /hostedzone/ prefix", "", map[string]string{"rails-infra:domainName": "app.example.co.jp", "rails-infra:hostedZoneId": "/hostedzone/Z0123456789EXAMPLEJP"}, "rails-infra:hostedZoneId", "drop the /hostedzone/ prefix"},
	{"a hosted zone without a domain", "", map[string]string{"rails-infra:hostedZoneName": "example.co.jp"}, "rails-infra:hostedZoneName", "domainName is not"},
	{"a TLS policy that allows TLS 1.0", "", map[string]string{"rails-infra:sslPolicy": "ELBSecurityPolicy-2016-08"}, "rails-infra:sslPolicy", "TLS 1.3-capable"},
	{"half an OIDC block", "", map[string]string{"rails-infra:domainName": "app.example.co.jp", "rails-infra:hostedZoneName": "example.co.jp", "rails-infra:oidcIssuer": "https://accounts.google.com"}, "rails-infra:oidcClientSecret", "is required because oidcIssuer is set"},
	{"an OIDC endpoint over http", "", map[string]string{"rails-infra:domainName": "app.example.co.jp", "rails-infra:hostedZoneName": "example.co.jp", "rails-infra:oidcTokenEndpoint": "http://idp.example.com/token"}, "rails-infra:oidcTokenEndpoint", "must use https"},
	{"an OIDC client secret in plain text", "", map[string]string{"rails-infra:domainName": "app.example.co.jp", "rails-infra:hostedZoneName": "example.co.jp", "rails-infra:oidcClientSecret": "plain"}, "rails-infra:oidcClientSecret", "must be a secret"},
	{"OIDC without a domain", "", map[string]string{"rails-infra:oidcIssuer": "https://accounts.google.com"}, "rails-infra:oidcIssuer", "needs domainName"},
	{"an OIDC scope without openid", "", map[string]string{"rails-infra:domainName": "app.example.co.jp", "rails-infra:hostedZoneName": "example.co.jp", "rails-infra:oidcScope": "email"}, "rails-infra:oidcScope", `must include "openid"`},
	{"a health path with a wildcard on a stack with a domain", "prod", map[string]string{"rails-infra:healthCheckPath": "/health*"}, "rails-infra:healthCheckPath", "no spaces, query, fragment or *"},
	{"a non-ASCII health path on a stack with a domain", "prod", map[string]string{"rails-infra:healthCheckPath": "/héalth"}, "rails-infra:healthCheckPath", "not ASCII"},
	{"a health path longer than a listener path pattern on a stack with a domain", "prod", map[string]string{"rails-infra:healthCheckPath": "/" + strings.Repeat("a", 200)}, "rails-infra:healthCheckPath", "at most 128 characters"},
	{"a misspelled OIDC key", "", map[string]string{"rails-infra:oidcClientID": "abc"}, "rails-infra:oidcClientID", `Did you mean "oidcClientId"`},
	// --- monitoring ---
	{"the prod stack without an alarm destination", "prod", map[string]string{"rails-infra:alarmEmails": ""}, "rails-infra:alarmEmails", "prod must tell someone"},
	{"alarm emails as a single string", "", map[string]string{"rails-infra:alarmEmails": "ops@example.co.jp"}, "rails-infra:alarmEmails", "list of strings"},
	{"an alarm email with a display name", "", map[string]string{"rails-infra:alarmEmails": `["Ops <ops@example.co.jp>"]`}, "rails-infra:alarmEmails", "plain email addresses"},
	{"an alarm email without a domain", "", map[string]string{"rails-infra:alarmEmails": `["ops"]`}, "rails-infra:alarmEmails", "plain email addresses"},
	{"the same alarm email twice", "", map[string]string{"rails-infra:alarmEmails": `["ops@example.co.jp","ops@example.co.jp"]`}, "rails-infra:alarmEmails", "listed twice"},
	{"eleven alarm emails", "", map[string]string{"rails-infra:alarmEmails": `["a@x.jp","b@x.jp","c@x.jp","d@x.jp","e@x.jp","f@x.jp","g@x.jp","h@x.jp","i@x.jp","j@x.jp","k@x.jp"]`}, "rails-infra:alarmEmails", "at most 10"},
	{"alarm emails and an alarm topic", "prod", map[string]string{"rails-infra:alarmTopicArn": "arn:aws:sns:ap-northeast-1:123456789012:chatbot"}, "rails-infra:alarmTopicArn", "pick one destination"},
	{"an alarm topic that is a topic name", "", map[string]string{"rails-infra:alarmTopicArn": "chatbot-alerts"}, "rails-infra:alarmTopicArn", "must be an SNS topic ARN"},
	{"an alarm topic in another region", "", map[string]string{"rails-infra:alarmTopicArn": "arn:aws:sns:us-east-1:123456789012:chatbot"}, "rails-infra:alarmTopicArn", "in us-east-1"},
	{"a FIFO alarm topic", "", map[string]string{"rails-infra:alarmTopicArn": "arn:aws:sns:ap-northeast-1:123456789012:alerts.fifo"}, "rails-infra:alarmTopicArn", "not .fifo"},
	{"a 5xx alarm at 0 percent", "", map[string]string{"rails-infra:alarmTarget5xxPercent": "0"}, "rails-infra:alarmTarget5xxPercent", "from 1 to 100"},
	{"a 5xx alarm as a fraction", "", map[string]string{"rails-infra:alarmTarget5xxPercent": "2.5"}, "rails-infra:alarmTarget5xxPercent", "whole number"},
	{"a latency alarm in seconds", "", map[string]string{"rails-infra:alarmLatencyP95Ms": "2"}, "rails-infra:alarmLatencyP95Ms", "from 50 to 60000"},
	{"a latency alarm with a unit", "", map[string]string{"rails-infra:alarmLatencyP95Ms": "1500ms"}, "rails-infra:alarmLatencyP95Ms", "whole number"},
	{"a CPU alarm above 100 percent", "", map[string]string{"rails-infra:alarmCpuPercent": "150"}, "rails-infra:alarmCpuPercent", "from 10 to 100"},
	{"a memory alarm at 5 percent", "", map[string]string{"rails-infra:alarmMemoryPercent": "5"}, "rails-infra:alarmMemoryPercent", "from 10 to 100"},
	{"a database CPU alarm as a word", "", map[string]string{"rails-infra:alarmDbCpuPercent": "high"}, "rails-infra:alarmDbCpuPercent", "whole number"},
	{"a free storage alarm at 60 percent", "", map[string]string{"rails-infra:alarmDbFreeStoragePercent": "60"}, "rails-infra:alarmDbFreeStoragePercent", "from 1 to 50"},
	{"a negative budget", "", map[string]string{"rails-infra:budgetMonthlyUsd": "-100"}, "rails-infra:budgetMonthlyUsd", "0 (no budget)"},
	{"a budget in yen", "", map[string]string{"rails-infra:budgetMonthlyUsd": "30000000"}, "rails-infra:budgetMonthlyUsd", "up to 1000000"},
	{"a budget with a dollar sign", "", map[string]string{"rails-infra:budgetMonthlyUsd": "$200"}, "rails-infra:budgetMonthlyUsd", "whole number"},
	{"a misspelled alarm key", "", map[string]string{"rails-infra:alarmEmail": `["ops@example.co.jp"]`}, "rails-infra:alarmEmail", `Did you mean "alarmEmails"`},
	// --- policy ---
	{"a waiver for an unknown rule", "", map[string]string{"rails-infra:policyWaivers": `{"no-such-rule":"because"}`}, "rails-infra:policyWaivers", "known ids: alarm-destination, alb-access-logs, alb-drop-invalid-headers"},
	{"a waiver with a misspelled rule id", "", map[string]string{"rails-infra:policyWaivers": `{"log_retention":"kept by law"}`}, "rails-infra:policyWaivers", "not a policy rule id"},
	{"a waiver without a reason", "", map[string]string{"rails-infra:policyWaivers": `{"log-retention":""}`}, "rails-infra:policyWaivers", "has no reason"},
	{"a waiver with a blank reason", "", map[string]string{"rails-infra:policyWaivers": `{"sg-open-ingress":"   "}`}, "rails-infra:policyWaivers", "has no reason"},
	{"waivers as a list", "", map[string]string{"rails-infra:policyWaivers": `["log-retention"]`}, "rails-infra:policyWaivers", "map of NAME: value"},
	{"a waiver with a nested reason", "", map[string]string{"rails-infra:policyWaivers": `{"log-retention":{"why":"law"}}`}, "rails-infra:policyWaivers", "not a nested value"},
	{"one good and one unknown waiver", "prod", map[string]string{"rails-infra:policyWaivers": `{"log-retention":"kept by law","rds-public":"demo"}`}, "rails-infra:policyWaivers", `"rds-public" is not a policy rule id`},
}

func TestBadConfigFailsBeforeAnyResource(t *testing.T) {
	for _, tc := range badConfig {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			stack := tc.stack
			if stack == "" {
				stack = "dev"
			}
			res, err := runStack(t, stack, tc.overrides)
			var cerr *infra.ConfigError
			if !errors.As(err, &cerr) {
				t.Fatalf("err = %v, want a *infra.ConfigError naming %s", err, tc.key)
			}
			found := false
			for _, p := range cerr.Problems {
				if p.Key == tc.key && strings.Contains(p.String(), tc.mention) && strings.Contains(p.String(), "Fix:") {
					found = true
				}
			}
			if !found {
				t.Errorf("no problem names %s with %q and a fix; got:\n%v", tc.key, tc.mention, cerr)
			}
			if n := len(res.Resources()); n != 0 {
				t.Errorf("%d resources registered before the config error, want 0 (first: %s)", n, res.Resources()[0].URN)
			}
		})
	}
}

func TestAllConfigProblemsAreReportedAtOnce(t *testing.T) {
	_, err := runStack(t, "dev", map[string]string{
		"rails-infra:vpcCidr":              "10.0.0.0/8",
		"rails-infra:availabilityZones":    "9",
		"rails-infra:flowLogRetentionDays": "10",
	})
	var cerr *infra.ConfigError
	if !errors.As(err, &cerr) {
		t.Fatalf("err = %v, want *infra.ConfigError", err)
	}
	keys := map[string]bool{}
	for _, p := range cerr.Problems {
		keys[p.Key] = true
	}
	for _, k := range []string{"rails-infra:vpcCidr", "rails-infra:availabilityZones", "rails-infra:flowLogRetentionDays"} {
		if !keys[k] {
			t.Errorf("problem for %s missing; got %v", k, cerr)
		}
	}
}

var snapshotIDPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]$`)

// dbExpectations is what each committed stack's database must be. Like stackExpectations, a new
// stack file without an entry fails, so every environment's data safety is asserted.
var dbExpectations = map[string]struct {
	multiAz, deletionProtection, protect, finalSnapshot, performanceInsights bool
	backupDays                                                               float64
	class                                                                    string
}{
	"dev":  {multiAz: false, deletionProtection: false, protect: false, finalSnapshot: false, performanceInsights: false, backupDays: 1, class: "db.t4g.micro"},
	"prod": {multiAz: true, deletionProtection: true, protect: true, finalSnapshot: true, performanceInsights: true, backupDays: 14, class: "db.t4g.medium"},
}

func TestEveryStackFileBuildsItsDatabaseAsConfigured(t *testing.T) {
	stacks, err := mockengine.StackNames(".")
	if err != nil || len(stacks) == 0 {
		t.Fatalf("no Pulumi.<stack>.yaml found: %v", err)
	}
	for _, stack := range stacks {
		t.Run(stack+" stack keeps its database private, encrypted and as safe as its environment demands", func(t *testing.T) {
			want, ok := dbExpectations[stack]
			if !ok {
				t.Fatalf("Pulumi.%s.yaml has no entry in dbExpectations; add what its database must be", stack)
			}
			res, err := runStack(t, stack, nil)
			if err != nil {
				t.Fatalf("program failed: %v", err)
			}
			db := one(t, res, awstype.RdsInstance)
			inputs := map[string]any{
				"storageEncrypted": true, "publiclyAccessible": false, "manageMasterUserPassword": true,
				"multiAz": want.multiAz, "deletionProtection": want.deletionProtection,
				"skipFinalSnapshot": !want.finalSnapshot, "backupRetentionPeriod": want.backupDays,
				"performanceInsightsEnabled": want.performanceInsights, "instanceClass": want.class,
			}
			for k, v := range inputs {
				if got := db.Input(k); got != v {
					t.Errorf("%s %s = %v, want %v", db.Name, k, got, v)
				}
			}
			if db.Protect != want.protect {
				t.Errorf("%s protect = %v, want %v", db.Name, db.Protect, want.protect)
			}
			snap, _ := db.Input("finalSnapshotIdentifier").(string)
			if want.finalSnapshot != (snap != "") {
				t.Errorf("%s finalSnapshotIdentifier = %q, want one exactly when a final snapshot is kept", db.Name, snap)
			}
			// RDS: letters, digits and hyphens, a letter first, at most 255, no "--", no trailing hyphen.
			if snap != "" && (!snapshotIDPattern.MatchString(snap) || len(snap) > 255 || strings.Contains(snap, "--")) {
				t.Errorf("%s finalSnapshotIdentifier %q is not a name RDS accepts", db.Name, snap)
			}
			if db.Input("password") != nil {
				t.Errorf("%s has a password input; RDS must manage it", db.Name)
			}
			groups := res.OfType(awstype.RdsSubnetGroup)
			private, _ := res.Exports["privateSubnetIds"].Value.([]any)
			if len(groups) != 1 || fmt.Sprint(groups[0].Input("subnetIds")) != fmt.Sprint(private) {
				t.Errorf("DB subnet group is not over the network's private subnets %v", private)
			}
			pg := one(t, res, awstype.RdsParameterGroup)
			forced := false
			list, _ := pg.Input("parameters").([]any)
			for _, p := range list {
				if m, _ := p.(map[string]any); m["name"] == "rds.force_ssl" && m["value"] == "1" {
					forced = true
				}
			}
			if !forced || db.Input("parameterGroupName") != pg.Outputs["name"].StringValue() {
				t.Errorf("%s does not use a parameter group with rds.force_ssl=1: %v", db.Name, list)
			}
			// The DB SG admits exactly the SG the ECS tasks run in, on the engine port, and nothing else.
			dbSGs, _ := db.Input("vpcSecurityGroupIds").([]any)
			withImage, err := runStack(t, stack, map[string]string{"rails-infra:imageTag": "v1"})
			if err != nil {
				t.Fatal(err)
			}
			svc := withImage.Find(awstype.EcsService, "app")
			if len(dbSGs) != 1 || svc == nil {
				t.Fatalf("%s vpcSecurityGroupIds = %v (want one), ecs service found = %v", db.Name, dbSGs, svc != nil)
			}
			netCfg, _ := svc.Input("networkConfiguration").(map[string]any)
			taskSGs, _ := netCfg["securityGroups"].([]any)
			if len(taskSGs) != 1 {
				t.Fatalf("ecs service securityGroups = %v, want the app SG", taskSGs)
			}
			if db.Input("port") != 5432.0 {
				t.Errorf("%s port = %v, want 5432", db.Name, db.Input("port"))
			}
			var ingress []*mockengine.Resource
			for _, r := range res.OfType(awstype.VpcSecurityGroupIngressRule) {
				if r.Input("securityGroupId") == dbSGs[0] {
					ingress = append(ingress, r)
				}
			}
			if len(ingress) != 1 {
				t.Fatalf("DB security group has %d ingress rules, want exactly 1 (from the app)", len(ingress))
			}
			rule := ingress[0]
			if rule.Input("referencedSecurityGroupId") != taskSGs[0] || rule.Input("ipProtocol") != "tcp" ||
				rule.Input("fromPort") != db.Input("port") || rule.Input("toPort") != db.Input("port") ||
				rule.Input("cidrIpv4") != nil || rule.Input("cidrIpv6") != nil || rule.Input("prefixListId") != nil {
				t.Errorf("%s admits %v %v-%v from SG %v / cidr %v, want tcp %v only from the tasks' SG %v", rule.Name,
					rule.Input("ipProtocol"), rule.Input("fromPort"), rule.Input("toPort"), rule.Input("referencedSecurityGroupId"),
					rule.Input("cidrIpv4"), db.Input("port"), taskSGs[0])
			}
			if d, _ := rule.Input("description").(string); d == "" {
				t.Errorf("%s has no description", rule.Name)
			}
			for _, r := range res.OfType(awstype.VpcSecurityGroupEgressRule) {
				if r.Input("securityGroupId") == dbSGs[0] {
					t.Errorf("DB security group has egress rule %s; the database needs none", r.Name)
				}
			}
			for _, k := range []string{"dbAddress", "dbPort", "dbName", "dbUsername", "dbSecretArn", "dbSecurityGroupId"} {
				e, ok := res.Exports[k]
				if !ok || e.Value == nil || e.Value == "" {
					t.Errorf("output %s missing", k)
				}
				if e.Secret {
					t.Errorf("output %s is secret; outputs must hold only connection facts", k)
				}
			}
			if arn, _ := res.Exports["dbSecretArn"].Value.(string); !strings.HasPrefix(arn, "arn:aws:secretsmanager:") {
				t.Errorf("dbSecretArn = %q, want a Secrets Manager ARN", arn)
			}
		})
	}
}

// serviceExpectations is what the app service must look like on each committed stack.
var serviceExpectations = map[string]struct {
	capacity, mutability, insights string
	prod                           bool
	retention, minCount, maxCount  float64
}{
	"dev":  {capacity: "FARGATE_SPOT", mutability: "MUTABLE", insights: "disabled", retention: 30, minCount: 1, maxCount: 2},
	"prod": {capacity: "FARGATE", mutability: "IMMUTABLE", insights: "enabled", prod: true, retention: 365, minCount: 2, maxCount: 6},
}

func TestServiceOnEveryStack(t *testing.T) {
	stacks, _ := mockengine.StackNames(".")
	for _, stack := range stacks {
		want, ok := serviceExpectations[stack]
		if !ok {
			t.Errorf("Pulumi.%s.yaml has no entry in serviceExpectations", stack)
			continue
		}
		// The committed stacks have no image yet: the service comes with the first one.
		first, err := runStack(t, stack, nil)
		if err != nil {
			t.Fatalf("%s: program failed: %v", stack, err)
		}
		res, err := runStack(t, stack, map[string]string{"rails-infra:imageTag": "v1"})
		if err != nil {
			t.Fatalf("%s with an imageTag: program failed: %v", stack, err)
		}
		svc := res.Find(awstype.EcsService, "app")
		if svc == nil {
			t.Fatalf("%s: no ecs service with an imageTag", stack)
		}
		t.Run(stack+" runs the service on "+want.capacity, func(t *testing.T) {
			strategy, _ := svc.Input("capacityProviderStrategies").([]any)
			if len(strategy) != 1 || strategy[0].(map[string]any)["capacityProvider"] != want.capacity {
				t.Errorf("capacityProviderStrategies = %v", strategy)
			}
		})
		t.Run(stack+" has no ECS service until an image is pushed, and says how to deploy the first", func(t *testing.T) {
			if n := len(first.OfType(awstype.EcsService)); n != 0 {
				t.Errorf("%d ECS services with no imageTag, want none: one at 0 tasks is steady at once and gates nothing", n)
			}
			next, _ := first.Exports["nextStep"].Value.(string)
			if !strings.Contains(next, "pulumi config set imageTag $TAG && pulumi up") || !strings.Contains(next, "no ECS service exists yet") {
				t.Errorf("nextStep = %q", next)
			}
			for _, name := range []string{"serviceName", "execCommand", "deployedTaskDefinition"} {
				if e, ok := first.Exports[name]; ok {
					t.Errorf("output %s = %+v with no service, want it unset", name, e)
				}
			}
		})
		t.Run(stack+" protects the running service as its environment requires", func(t *testing.T) {
			if svc.Protect != want.prod {
				t.Errorf("service %s protect = %v, want %v: unsetting imageTag in prod must not delete it", svc.Name, svc.Protect, want.prod)
			}
		})
		t.Run(stack+" protects data as its environment requires", func(t *testing.T) {
			bucket := res.OfType(awstype.S3BucketV2)[0]
			alb := res.OfType(awstype.LbLoadBalancer)[0]
			repo := res.OfType(awstype.EcrRepository)[0]
			if bucket.Protect != want.prod || bucket.Input("forceDestroy") != !want.prod {
				t.Errorf("bucket protect=%v forceDestroy=%v, want %v/%v", bucket.Protect, bucket.Input("forceDestroy"), want.prod, !want.prod)
			}
			if alb.Input("enableDeletionProtection") != want.prod {
				t.Errorf("ALB deletion protection = %v, want %v", alb.Input("enableDeletionProtection"), want.prod)
			}
			if repo.Input("imageTagMutability") != want.mutability || repo.Input("forceDelete") != !want.prod {
				t.Errorf("repository = %v / forceDelete %v", repo.Input("imageTagMutability"), repo.Input("forceDelete"))
			}
		})
		t.Run(stack+" sets Container Insights and log retention per environment", func(t *testing.T) {
			cluster := res.OfType(awstype.EcsCluster)[0]
			settings, _ := cluster.Input("settings").([]any)
			if len(settings) != 1 || settings[0].(map[string]any)["value"] != want.insights {
				t.Errorf("cluster settings = %v, want containerInsights %s", settings, want.insights)
			}
			logs := res.Find(awstype.CloudWatchLogGroup, "app")
			if logs == nil || logs.Input("retentionInDays") != want.retention {
				t.Errorf("app log group retention, want %v days", want.retention)
			}
		})
		t.Run(stack+" exports every service output and no secret", func(t *testing.T) {
			for _, name := range []string{"url", "loadBalancerDnsName", "ecrRepositoryUrl", "clusterName", "serviceName",
				"logGroupName", "bucketName", "image", "execCommand", "migrateCommand", "nextStep", "deployedTaskDefinition"} {
				e, ok := res.Exports[name]
				if s, _ := e.Value.(string); !ok || s == "" || e.Secret {
					t.Errorf("output %s = %+v, want a non-secret string", name, e)
				}
			}
			skb := res.Find(awstype.SsmParameter, "app-secret-secret-key-base")
			if skb == nil {
				t.Fatal("no SECRET_KEY_BASE parameter")
			}
			value, _ := skb.Input("value").(string)
			for name, e := range res.Exports {
				if s, _ := e.Value.(string); value != "" && strings.Contains(s, value) {
					t.Errorf("output %s contains SECRET_KEY_BASE", name)
				}
			}
		})
		t.Run(stack+" autoscales between its min and max once an image is set", func(t *testing.T) {
			res, err := runStack(t, stack, map[string]string{"rails-infra:imageTag": "v1"})
			if err != nil {
				t.Fatal(err)
			}
			target := res.OfType(awstype.AppAutoscalingTarget)
			if len(target) != 1 || target[0].Input("minCapacity") != want.minCount || target[0].Input("maxCapacity") != want.maxCount {
				t.Fatalf("autoscaling targets = %d, want one from %v to %v", len(target), want.minCount, want.maxCount)
			}
			svc := res.Find(awstype.EcsService, "app")
			if svc.Input("desiredCount") != want.minCount || !slices.Contains(svc.IgnoreChanges, "desiredCount") {
				t.Errorf("desiredCount = %v, IgnoreChanges = %v", svc.Input("desiredCount"), svc.IgnoreChanges)
			}
		})
	}
}

// Every committed stack parses its domain settings as its environment requires, and the mock
// account holds the hosted zone the stack names (runStack registers it).
func TestStackFilesDomainSettings(t *testing.T) {
	stacks, _ := mockengine.StackNames(".")
	for _, stack := range stacks {
		sc := loadStack(t, stack)
		cfg, err := infra.Parse(infra.MapSource{Values: sc.Values, SecretKeys: sc.SecretKeys}, sc.Project, stack)
		if err != nil {
			t.Fatalf("Pulumi.%s.yaml: %v", stack, err)
		}
		d := cfg.Domain
		if cfg.IsProd() {
			t.Run(stack+" serves HTTPS on its own domain", func(t *testing.T) {
				if !d.Enabled() || (d.HostedZoneName == "") == (d.HostedZoneID == "") {
					t.Errorf("domainName %q, hostedZoneName %q, hostedZoneId %q: prod needs a domain and exactly one zone key",
						d.DomainName, d.HostedZoneName, d.HostedZoneID)
				}
			})
		}
		if !d.Enabled() {
			continue
		}
		t.Run(stack+" finds its hosted zone in the mock account", func(t *testing.T) {
			rec := mockengine.New(sc.Project, stack, sc.Values["aws:region"])
			registerStackZone(sc.Values)(rec)
			zone := d.HostedZoneName
			if zone == "" {
				zone = d.DomainName
			}
			if rec.HostedZones[zone] == "" {
				t.Errorf("hosted zones %v lack %s", rec.HostedZones, zone)
			}
		})
	}
}

// Every stack with a domain serves HTTPS on it: certificate, 443 listener, 301 redirect, aliases.
func TestEveryStackServesItsDomain(t *testing.T) {
	stacks, err := mockengine.StackNames(".")
	if err != nil || len(stacks) == 0 {
		t.Fatalf("no Pulumi.<stack>.yaml found: %v", err)
	}
	for _, stack := range stacks {
		sc := loadStack(t, stack)
		cfg, err := infra.Parse(infra.MapSource{Values: sc.Values, SecretKeys: sc.SecretKeys}, sc.Project, stack)
		if err != nil {
			t.Fatalf("Pulumi.%s.yaml: %v", stack, err)
		}
		res, err := runStack(t, stack, nil)
		if err != nil {
			t.Fatalf("%s: program failed: %v", stack, err)
		}
		albs := res.OfType(awstype.LbLoadBalancer)
		if len(albs) != 1 {
			t.Fatalf("%s: %d load balancers, want 1", stack, len(albs))
		}
		albDNS := mockengine.Plain(albs[0].Outputs["dnsName"], false)
		albZone := mockengine.Plain(albs[0].Outputs["zoneId"], false)
		listeners := map[float64]*mockengine.Resource{}
		for _, l := range res.OfType(awstype.LbListener) {
			if port, ok := l.Input("port").(float64); ok {
				listeners[port] = l
			}
		}
		firstAction := func(l *mockengine.Resource) map[string]any {
			acts, _ := l.Input("defaultActions").([]any)
			if len(acts) == 0 {
				return nil
			}
			a, _ := acts[0].(map[string]any)
			return a
		}
		d := cfg.Domain
		if !d.Enabled() {
			t.Run(stack+" serves plain HTTP at the ALB's DNS name", func(t *testing.T) {
				if n := len(res.OfType(awstype.AcmCertificate)); n != 0 {
					t.Errorf("%d certificates, want 0 without a domain", n)
				}
				if listeners[443] != nil {
					t.Errorf("a 443 listener exists without a domain")
				}
				if l := listeners[80]; l == nil || firstAction(l)["type"] != "forward" {
					t.Errorf("port 80 listener = %v, want one that forwards to the app", l)
				}
				if got, want := res.Exports["url"].Value, fmt.Sprintf("http://%v", albDNS); got != want {
					t.Errorf("url output = %v, want %v", got, want)
				}
			})
			continue
		}
		t.Run(stack+" has a DNS-validated certificate for its domain", func(t *testing.T) {
			certs := res.OfType(awstype.AcmCertificate)
			if len(certs) != 1 || certs[0].Input("domainName") != d.DomainName || certs[0].Input("validationMethod") != "DNS" {
				t.Fatalf("certificates = %d, want one for %s validated by DNS", len(certs), d.DomainName)
			}
			vals := res.OfType(awstype.AcmCertificateValidation)
			if len(vals) != 1 {
				t.Fatalf("certificate validations = %d, want 1", len(vals))
			}
			fqdns, _ := vals[0].Input("validationRecordFqdns").([]any)
			cnames := 0
			for _, r := range res.OfType(awstype.Route53Record) {
				if r.Input("type") == "CNAME" {
					cnames++
				}
			}
			if len(fqdns) == 0 || len(fqdns) != cnames {
				t.Errorf("validation waits for %d records, %d validation CNAMEs exist", len(fqdns), cnames)
			}
		})
		t.Run(stack+" answers HTTPS on 443 with a TLS 1.3 policy and the issued certificate", func(t *testing.T) {
			l := listeners[443]
			if l == nil {
				t.Fatal("no 443 listener")
			}
			if l.Input("protocol") != "HTTPS" || l.Input("sslPolicy") != string(d.SSLPolicy) {
				t.Errorf("443 listener protocol/policy = %v/%v, want HTTPS/%s", l.Input("protocol"), l.Input("sslPolicy"), d.SSLPolicy)
			}
			val := res.OfType(awstype.AcmCertificateValidation)[0]
			if !slices.Contains(l.PropertyDeps["certificateArn"], val.URN) {
				t.Errorf("443 listener certificateArn comes from %v, want the certificate validation", l.PropertyDeps["certificateArn"])
			}
		})
		t.Run(stack+" redirects HTTP to HTTPS with a 301, by a rule added after the 443 listener", func(t *testing.T) {
			l := listeners[80]
			if l == nil {
				t.Fatal("no port 80 listener")
			}
			rule := res.Find("aws:lb/listenerRule:ListenerRule", "domain-http-to-https")
			if rule == nil || !slices.Contains(rule.PropertyDeps["listenerArn"], l.URN) || !slices.Contains(rule.DependsOn, listeners[443].URN) {
				t.Fatalf("want a domain-http-to-https rule on the port 80 listener, after the 443 listener; got %v", rule)
			}
			acts, _ := rule.Input("actions").([]any)
			a, _ := acts[0].(map[string]any)
			r, _ := a["redirect"].(map[string]any)
			if a["type"] != "redirect" || r["protocol"] != "HTTPS" || r["port"] != "443" || r["statusCode"] != "HTTP_301" {
				t.Errorf("port 80 redirect rule action = %v, want a 301 redirect to HTTPS:443", a)
			}
		})
		t.Run(stack+" points its domain at the ALB", func(t *testing.T) {
			found := 0
			for _, r := range res.OfType(awstype.Route53Record) {
				if r.Input("name") != d.DomainName || (r.Input("type") != "A" && r.Input("type") != "AAAA") {
					continue
				}
				found++
				al, _ := r.Input("aliases").([]any)
				if len(al) != 1 {
					t.Errorf("%s aliases = %v, want one", r.Name, al)
					continue
				}
				a := al[0].(map[string]any)
				if a["name"] != albDNS || a["zoneId"] != albZone || a["evaluateTargetHealth"] != true {
					t.Errorf("%s alias = %v, want %v in %v, evaluating target health", r.Name, a, albDNS, albZone)
				}
			}
			if found == 0 {
				t.Errorf("no A/AAAA alias record for %s", d.DomainName)
			}
		})
		t.Run(stack+" outputs its https URL", func(t *testing.T) {
			if got := res.Exports["url"].Value; got != "https://"+d.DomainName {
				t.Errorf("url output = %v, want https://%s", got, d.DomainName)
			}
		})
	}
}

// Every stack file pins its region and tags everything it creates with who owns it.
func TestStackFilesSetRegionAndDefaultTags(t *testing.T) {
	stacks, err := mockengine.StackNames(".")
	if err != nil || len(stacks) == 0 {
		t.Fatalf("no Pulumi.<stack>.yaml found: %v", err)
	}
	for _, stack := range stacks {
		t.Run(stack+" runs in ap-northeast-1 and tags resources with Project, Stack and ManagedBy", func(t *testing.T) {
			sc := loadStack(t, stack)
			if got := sc.Values["aws:region"]; got != "ap-northeast-1" {
				t.Errorf("aws:region = %q, want ap-northeast-1", got)
			}
			var tags struct{ Tags map[string]string }
			if err := json.Unmarshal([]byte(sc.Values["aws:defaultTags"]), &tags); err != nil {
				t.Fatalf("aws:defaultTags = %q is not {tags: {...}}: %v", sc.Values["aws:defaultTags"], err)
			}
			want := map[string]string{"Project": sc.Project, "Stack": stack, "ManagedBy": "pulumi"}
			for k, v := range want {
				if tags.Tags[k] != v {
					t.Errorf("aws:defaultTags.tags.%s = %q, want %q", k, tags.Tags[k], v)
				}
			}
		})
	}
}

// A missing or wrong hosted zone stops the program before it registers anything, so even
// `pulumi up --skip-preview` leaves no half-built stack behind.
func TestMissingHostedZoneStopsBeforeAnyResource(t *testing.T) {
	for _, tc := range []struct {
		name  string
		zones map[string]string
		edit  map[string]string
		want  string
	}{
		{"a zone that does not exist", map[string]string{}, nil, "hosted zone example.co.jp was not found"},
		{"a zone id whose zone does not hold the domain", map[string]string{"example.com": "Z0123456789EXAMPLECOM"},
			map[string]string{"rails-infra:hostedZoneName": "", "rails-infra:hostedZoneId": "Z0123456789EXAMPLECOM"}, "is not inside hosted zone id Z0123456789EXAMPLECOM"},
	} {
		t.Run("stops on "+tc.name, func(t *testing.T) {
			opts := loadStack(t, "prod").Options("prod")
			opts.Config = maps.Clone(opts.Config)
			for k, v := range tc.edit {
				if v == "" {
					delete(opts.Config, k)
				} else {
					opts.Config[k] = v
				}
			}
			opts.Setup = func(r *mockengine.Recorder) { maps.Copy(r.HostedZones, tc.zones) }
			res, err := runDeploy(opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
			for _, r := range res.Resources() {
				if r.Custom {
					t.Errorf("%s %s was registered before the zone lookup failed", r.Type, r.Name)
				}
			}
		})
	}
}

// migrateBeforeDeploy on a committed stack: only with an image does `pulumi up` run the
// migration, and then the service waits for it.
func TestStackMigratesBeforeDeployOnlyWhenAsked(t *testing.T) {
	for _, tc := range []struct {
		name      string
		stack     string
		overrides map[string]string
		want      int
	}{
		{"dev without the flag never invokes the runner", "dev", map[string]string{"rails-infra:imageTag": "v1"}, 0},
		{"dev with the flag but no image has nothing to migrate", "dev", map[string]string{"rails-infra:migrateBeforeDeploy": "true", "rails-infra:imageTag": ""}, 0},
		{"dev with the flag and an image migrates first", "dev", map[string]string{"rails-infra:migrateBeforeDeploy": "true", "rails-infra:imageTag": "v1"}, 1},
		{"prod with the flag and an image migrates first", "prod", map[string]string{"rails-infra:migrateBeforeDeploy": "true", "rails-infra:imageTag": "v1"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := runStack(t, tc.stack, tc.overrides)
			if err != nil {
				t.Fatalf("%s: %v", tc.stack, err)
			}
			runs := res.OfType(awstype.LambdaInvocation)
			if len(runs) != tc.want || len(res.OfType(awstype.LambdaFunction)) != tc.want {
				t.Fatalf("invocations = %d, functions = %d, want %d of each", len(runs), len(res.OfType(awstype.LambdaFunction)), tc.want)
			}
			for _, svc := range res.OfType(awstype.EcsService) {
				for _, run := range runs {
					if !slices.Contains(svc.DependsOn, run.URN) {
						t.Errorf("service %s does not wait for %s", svc.Name, run.Name)
					}
				}
			}
		})
	}
}
