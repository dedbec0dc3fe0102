package infra

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/mockengine"
)

// runDatabase builds one Database named "db" in a fake VPC and grants each client SG access.
func runDatabase(t *testing.T, stack string, args DatabaseArgs, clients map[string]string) (*mockengine.Result, error) {
	t.Helper()
	if args.VpcID == nil {
		args.VpcID = pulumi.String("vpc-0123456789abcdef0")
	}
	if args.SubnetIDs == nil {
		args.SubnetIDs = pulumi.ToStringArray([]string{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"})
	}
	return mockengine.Run(mockengine.Options{
		Project: "rails-infra", Stack: stack,
		Config: map[string]string{"aws:region": "ap-northeast-1"},
	}, func(ctx *pulumi.Context, export mockengine.ExportFunc) error {
		db, err := NewDatabase(ctx, "db", &args)
		if err != nil {
			return err
		}
		for name, sg := range clients {
			if _, err := db.AllowFrom(ctx, name, pulumi.String(sg)); err != nil {
				return err
			}
		}
		export("address", db.Address)
		export("port", db.Port)
		export("dbName", db.DbName)
		export("username", db.Username)
		export("secretArn", db.SecretArn)
		export("securityGroupId", db.SecurityGroupID)
		return nil
	})
}

// prodArgs is a prod database on a class that runs Performance Insights; the rest is the prod profile.
func prodArgs() DatabaseArgs {
	return DatabaseArgs{Environment: EnvProd, InstanceClass: "db.t4g.medium"}
}

// devArgs sets nothing: zero DatabaseArgs are the dev profile.
func devArgs() DatabaseArgs { return DatabaseArgs{} }

var finalSnapshotPattern = regexp.MustCompile(`^[a-z][a-z0-9-]*[a-z0-9]$`)

func TestDatabaseInstanceSettings(t *testing.T) {
	mysqlDev := devArgs()
	mysqlDev.Engine = EngineMySQL
	prodOverrides := prodArgs()
	prodOverrides.MultiAz, prodOverrides.PerformanceInsights, prodOverrides.ApplyImmediately = boolRef(false), boolRef(false), boolRef(true)
	prodOverrides.MaxAllocatedStorage = intRef(0)
	cases := []struct {
		name  string
		stack string
		args  DatabaseArgs
		want  map[string]any // instance inputs
		// protect and a final snapshot go together in every case here
		protect bool
	}{
		{"zero args build the dev profile's postgres database: small, single-AZ and easy to tear down", "dev", devArgs(), map[string]any{
			"engine": "postgres", "engineVersion": "17", "instanceClass": "db.t4g.micro", "port": 5432.0,
			"multiAz": false, "backupRetentionPeriod": 1.0, "deletionProtection": false, "skipFinalSnapshot": true,
			"deleteAutomatedBackups": true, "applyImmediately": true, "performanceInsightsEnabled": false,
			"enabledCloudwatchLogsExports": []any{"postgresql", "upgrade"}, "identifierPrefix": "dev-db-",
		}, false},
		{"a prod postgres database is multi-AZ, protected and keeps a final snapshot", "prod", prodArgs(), map[string]any{
			"engine": "postgres", "instanceClass": "db.t4g.medium", "multiAz": true, "backupRetentionPeriod": 14.0,
			"deletionProtection": true, "skipFinalSnapshot": false, "deleteAutomatedBackups": false,
			"applyImmediately": false, "performanceInsightsEnabled": true, "performanceInsightsRetentionPeriod": 7.0,
			"identifierPrefix": "prod-db-",
		}, true},
		{"a prod database told to run single-AZ, without Performance Insights, applying at once, stays protected", "prod", prodOverrides, map[string]any{
			"multiAz": false, "performanceInsightsEnabled": false, "applyImmediately": true, "maxAllocatedStorage": nil,
			"backupRetentionPeriod": 14.0, "deletionProtection": true, "skipFinalSnapshot": false, "deleteAutomatedBackups": false,
		}, true},
		{"a dev mysql database exports error and slow-query logs on port 3306", "dev", mysqlDev, map[string]any{
			"engine": "mysql", "engineVersion": "8.4", "port": 3306.0, "skipFinalSnapshot": true,
			"enabledCloudwatchLogsExports": []any{"error", "slowquery"},
		}, false},
	}
	always := map[string]any{
		"storageEncrypted": true, "publiclyAccessible": false, "manageMasterUserPassword": true,
		"storageType": "gp3", "allocatedStorage": 20.0, "maxAllocatedStorage": 100.0, "copyTagsToSnapshot": true,
		"autoMinorVersionUpgrade": true, "caCertIdentifier": "rds-ca-rsa2048-g1", "dbName": "app", "username": "rails",
		"backupWindow": DefaultDbBackupWindow, "maintenanceWindow": DefaultDbMaintenanceWindow,
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := runDatabase(t, tc.stack, tc.args, nil)
			if err != nil {
				t.Fatalf("program failed: %v", err)
			}
			db := one(t, res, awstype.RdsInstance)
			for k, want := range mergeMaps(always, tc.want) {
				if got := db.Input(k); !equalJSON(got, want) {
					t.Errorf("%s %s = %#v, want %#v", db.Name, k, got, want)
				}
			}
			if db.Protect != tc.protect {
				t.Errorf("%s protect = %v, want %v", db.Name, db.Protect, tc.protect)
			}
			if got := db.Input("identifier"); got != nil {
				t.Errorf("%s has a fixed identifier %v; want only identifierPrefix so replacements get new names", db.Name, got)
			}
			snap, _ := db.Input("finalSnapshotIdentifier").(string)
			if tc.protect != (snap != "") {
				t.Errorf("%s finalSnapshotIdentifier = %q with protect=%v; want one exactly when a final snapshot is taken", db.Name, snap, tc.protect)
			}
			if snap != "" && (!finalSnapshotPattern.MatchString(snap) || strings.Contains(snap, "--") || len(snap) > 255) {
				t.Errorf("%s finalSnapshotIdentifier %q is not a valid snapshot name", db.Name, snap)
			}
			if params := res.OfType(awstype.RdsParameterGroup); len(params) != 1 || db.Input("parameterGroupName") != params[0].Outputs["name"].StringValue() {
				t.Errorf("%s parameterGroupName = %v, want the component's parameter group", db.Name, db.Input("parameterGroupName"))
			}
			if subnets := res.OfType(awstype.RdsSubnetGroup); len(subnets) != 1 || db.Input("dbSubnetGroupName") != subnets[0].Outputs["name"].StringValue() {
				t.Errorf("%s dbSubnetGroupName = %v, want the component's subnet group", db.Name, db.Input("dbSubnetGroupName"))
			}
			sgs := res.OfType(awstype.Ec2SecurityGroup)
			if len(sgs) != 1 || !equalJSON(db.Input("vpcSecurityGroupIds"), []any{sgs[0].ID}) {
				t.Errorf("%s vpcSecurityGroupIds = %v, want only the database security group", db.Name, db.Input("vpcSecurityGroupIds"))
			}
		})
	}
}

func TestDatabaseSubnetGroupUsesTheGivenPrivateSubnets(t *testing.T) {
	res, err := runDatabase(t, "dev", devArgs(), nil)
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	sn := res.OfType(awstype.RdsSubnetGroup)
	want := []any{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"}
	if len(sn) != 1 || !equalJSON(sn[0].Input("subnetIds"), want) {
		t.Fatalf("subnet group subnetIds: want one group over %v", want)
	}
	if sn[0].Input("name") != nil {
		t.Errorf("%s has a fixed name %v; want auto-naming", sn[0].Name, sn[0].Input("name"))
	}
}

func TestDatabaseParameterGroupForcesTLS(t *testing.T) {
	cases := []struct {
		name    string
		engine  DbEngine
		version string
		family  string
		param   string
	}{
		{"postgres 17 forces ssl in the postgres17 family", EnginePostgres, "17", "postgres17", "rds.force_ssl"},
		{"postgres 14 forces ssl in the postgres14 family", EnginePostgres, "14", "postgres14", "rds.force_ssl"},
		{"mysql 8.0 requires secure transport in the mysql8.0 family", EngineMySQL, "8.0", "mysql8.0", "require_secure_transport"},
		{"mysql 8.4 requires secure transport in the mysql8.4 family", EngineMySQL, "8.4", "mysql8.4", "require_secure_transport"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := devArgs()
			args.Engine, args.EngineVersion = tc.engine, tc.version
			res, err := runDatabase(t, "dev", args, nil)
			if err != nil {
				t.Fatalf("program failed: %v", err)
			}
			pg := one(t, res, awstype.RdsParameterGroup)
			if got := pg.Input("family"); got != tc.family {
				t.Errorf("%s family = %v, want %s", pg.Name, got, tc.family)
			}
			if pg.Input("name") != nil {
				t.Errorf("%s has a fixed name; a family change replaces it, so it must be auto-named", pg.Name)
			}
			found := false
			list, _ := pg.Input("parameters").([]any)
			for _, p := range list {
				m, _ := p.(map[string]any)
				if m["name"] == tc.param {
					found = true
					if m["value"] != "1" || m["applyMethod"] != "pending-reboot" {
						t.Errorf("%s %s = %v (applyMethod %v), want 1 with pending-reboot", pg.Name, tc.param, m["value"], m["applyMethod"])
					}
				}
			}
			if !found {
				t.Errorf("%s does not set %s; parameters: %v", pg.Name, tc.param, list)
			}
		})
	}
}

func TestDatabaseSecurityGroupAdmitsOnlyTheAppSecurityGroup(t *testing.T) {
	cases := []struct {
		name    string
		engine  DbEngine
		clients map[string]string
		port    float64
	}{
		{"with no client nothing can connect", EnginePostgres, nil, 5432},
		{"the app security group reaches postgres on 5432 only", EnginePostgres, map[string]string{"app": "sg-0app"}, 5432},
		{"the app security group reaches mysql on 3306 only", EngineMySQL, map[string]string{"app": "sg-0app"}, 3306},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := devArgs()
			args.Engine = tc.engine
			res, err := runDatabase(t, "dev", args, tc.clients)
			if err != nil {
				t.Fatalf("program failed: %v", err)
			}
			sg := one(t, res, awstype.Ec2SecurityGroup)
			for _, k := range []string{"ingress", "egress"} {
				if v, ok := sg.Input(k).([]any); ok && len(v) > 0 {
					t.Errorf("%s has inline %s rules %v, want none", sg.Name, k, v)
				}
			}
			if d, _ := sg.Input("description").(string); d == "" {
				t.Errorf("%s has no description", sg.Name)
			}
			if n := len(res.OfType(awstype.VpcSecurityGroupEgressRule)) + len(res.OfType(awstype.Ec2SecurityGroupRule)); n != 0 {
				t.Errorf("%d egress/legacy rules, want 0", n)
			}
			rules := res.OfType(awstype.VpcSecurityGroupIngressRule)
			if len(rules) != len(tc.clients) {
				t.Fatalf("ingress rule count = %d, want %d (one per client)", len(rules), len(tc.clients))
			}
			for _, r := range rules {
				want := map[string]any{
					"securityGroupId": sg.ID, "ipProtocol": "tcp", "fromPort": tc.port, "toPort": tc.port,
					"referencedSecurityGroupId": tc.clients["app"],
				}
				for k, v := range want {
					if got := r.Input(k); got != v {
						t.Errorf("%s %s = %v, want %v", r.Name, k, got, v)
					}
				}
				for _, k := range []string{"cidrIpv4", "cidrIpv6", "prefixListId"} {
					if got := r.Input(k); got != nil {
						t.Errorf("%s opens %s %v; only the client security group may be a source", r.Name, k, got)
					}
				}
				if d, _ := r.Input("description").(string); !strings.Contains(d, "app") {
					t.Errorf("%s description = %q, want one naming the client", r.Name, d)
				}
			}
		})
	}
}

func TestDatabaseKeepsThePasswordOutOfStateAndOutputs(t *testing.T) {
	res, err := runDatabase(t, "prod", prodArgs(), map[string]string{"app": "sg-0app"})
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	db := one(t, res, awstype.RdsInstance)
	for _, k := range []string{"password", "passwordWo", "passwordWoVersion"} {
		if v := db.Input(k); v != nil {
			t.Errorf("%s input %s is set; the password must be generated and kept by RDS", db.Name, k)
		}
	}
	for _, r := range res.Resources() {
		for k, v := range r.Inputs {
			if mockengine.ContainsSecret(v) {
				t.Errorf("%s input %s holds a secret value", r.Name, k)
			}
		}
		for k, v := range r.Outputs {
			if mockengine.ContainsSecret(v) {
				t.Errorf("%s output %s holds a secret value", r.Name, k)
			}
			if strings.Contains(strings.ToLower(string(k)), "password") && k != "manageMasterUserPassword" && !v.IsNull() {
				t.Errorf("%s output %s = %v, want no password field", r.Name, k, mockengine.Plain(v, true))
			}
		}
	}
	for name, e := range res.Exports {
		if e.Secret || strings.Contains(strings.ToLower(name), "password") {
			t.Errorf("export %s is secret or a password; outputs must carry only connection facts", name)
		}
	}
	arn, _ := res.Exports["secretArn"].Value.(string)
	if !strings.HasPrefix(arn, "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:rds!") {
		t.Errorf("secretArn = %q, want the RDS-managed secret from masterUserSecrets", arn)
	}
}

func TestDatabaseOutputs(t *testing.T) {
	res, err := runDatabase(t, "dev", devArgs(), nil)
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	db := one(t, res, awstype.RdsInstance)
	sg := res.OfType(awstype.Ec2SecurityGroup)[0]
	want := map[string]any{
		"address": db.Outputs["address"].StringValue(), "port": 5432.0, "dbName": "app", "username": "rails",
		"securityGroupId": sg.ID,
	}
	for k, v := range want {
		if got := res.Exports[k].Value; got != v {
			t.Errorf("output %s = %v, want %v", k, got, v)
		}
	}
	if !strings.HasPrefix(db.Outputs["address"].StringValue(), "dev-db-") {
		t.Errorf("address %q does not start with the identifier prefix", db.Outputs["address"].StringValue())
	}
	comp := res.Find("rails-infra:infra:Database", "db")
	if comp == nil || db.Parent != comp.URN {
		t.Errorf("instance parent = %v, want the Database component", db.Parent)
	}
}

func TestDatabaseRejectsInvalidArgs(t *testing.T) {
	with := func(f func(a *DatabaseArgs)) DatabaseArgs { a := devArgs(); f(&a); return a }
	cases := []struct {
		name    string
		args    DatabaseArgs
		mention string
	}{
		{"an unknown engine", with(func(a *DatabaseArgs) { a.Engine = "oracle" }), "postgres | mysql"},
		{"a postgres version in mysql form", with(func(a *DatabaseArgs) { a.EngineVersion = "8.0" }), "EngineVersion"},
		{"a mysql version in postgres form", with(func(a *DatabaseArgs) { a.Engine, a.EngineVersion = EngineMySQL, "17" }), "8.0 or 8.4"},
		{"an ancient postgres", with(func(a *DatabaseArgs) { a.EngineVersion = "11" }), "older than 13"},
		{"an instance class without db. prefix", with(func(a *DatabaseArgs) { a.InstanceClass = "t4g.micro" }), "db.<family>.<size>"},
		{"10 GiB of storage", with(func(a *DatabaseArgs) { a.AllocatedStorage = 10 }), "from 20 to 65536"},
		{"an autoscaling ceiling at the allocated size", with(func(a *DatabaseArgs) { a.MaxAllocatedStorage = intRef(20) }), "10% above DatabaseArgs.AllocatedStorage"},
		{"a negative autoscaling ceiling", with(func(a *DatabaseArgs) { a.MaxAllocatedStorage = intRef(-1) }), "from 0 to 65536"},
		{"40 days of backups", with(func(a *DatabaseArgs) { a.BackupRetentionDays = intRef(40) }), "from 0 to 35"},
		{"performance insights on a micro class", with(func(a *DatabaseArgs) { a.PerformanceInsights = boolRef(true) }), "cannot run Performance Insights"},
		{"prod without deletion protection", with(func(a *DatabaseArgs) {
			a.Environment, a.DeletionProtection = EnvProd, boolRef(false)
		}), `DatabaseArgs.DeletionProtection = "false": environment is prod`},
		{"prod without a final snapshot", with(func(a *DatabaseArgs) {
			a.Environment, a.FinalSnapshot = EnvProd, boolRef(false)
		}), "Fix: set DatabaseArgs.FinalSnapshot = true"},
		{"prod with one day of backups", with(func(a *DatabaseArgs) { a.Environment, a.BackupRetentionDays = EnvProd, intRef(1) }), "at least 7 days of backups"},
		{"the postgres username", with(func(a *DatabaseArgs) { a.Username = "postgres" }), "reserved"},
		{"the admin username on mysql", with(func(a *DatabaseArgs) { a.Engine, a.Username = EngineMySQL, "admin" }), "reserved"},
		{"a username with a hyphen", with(func(a *DatabaseArgs) { a.Username = "rails-app" }), "a-z, 0-9 and _"},
		{"a 17-character mysql username", with(func(a *DatabaseArgs) { a.Engine, a.Username = EngineMySQL, strings.Repeat("u", 17) }), "at most 16"},
		{"a 17-character postgres username", with(func(a *DatabaseArgs) { a.Username = strings.Repeat("u", 17) }), "at most 16"},
		{"the template1 database", with(func(a *DatabaseArgs) { a.DbName = "template1" }), "already uses"},
		{"overlapping backup and maintenance windows", with(func(a *DatabaseArgs) { a.BackupWindow = "19:00-19:30" }), "overlaps"},
		{"a 15-minute backup window", with(func(a *DatabaseArgs) { a.BackupWindow = "10:00-10:15" }), "at least 30 minutes"},
		{"an upper-case maintenance window", with(func(a *DatabaseArgs) { a.MaintenanceWindow = "Sun:19:00-Sun:19:30" }), "lower case"},
		{"an identifier prefix with an underscore", with(func(a *DatabaseArgs) { a.IdentifierPrefix = "my_db-" }), "IdentifierPrefix"},
	}
	for _, tc := range cases {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			args := tc.args
			res, err := mockengine.Run(mockengine.Options{
				Project: "rails-infra", Stack: "dev", Config: map[string]string{"aws:region": "ap-northeast-1"},
			}, func(ctx *pulumi.Context, _ mockengine.ExportFunc) error {
				args.VpcID = pulumi.String("vpc-1")
				args.SubnetIDs = pulumi.ToStringArray([]string{"subnet-1", "subnet-2"})
				_, err := NewDatabase(ctx, "db", &args)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.mention)
			}
			if n := len(res.Resources()); n != 0 {
				t.Errorf("%d resources registered before the error, want 0", n)
			}
		})
	}
}

func TestDatabaseRequiresTheNetwork(t *testing.T) {
	cases := []struct {
		name    string
		vpc     pulumi.StringInput
		subnets pulumi.StringArrayInput
		mention string
	}{
		{"without a VPC", nil, pulumi.ToStringArray([]string{"subnet-1", "subnet-2"}), "VpcID is required"},
		{"without subnets", pulumi.String("vpc-1"), nil, "SubnetIDs is required"},
	}
	for _, tc := range cases {
		t.Run("rejects a database "+tc.name, func(t *testing.T) {
			res, err := mockengine.Run(mockengine.Options{Project: "rails-infra", Stack: "dev", Config: map[string]string{"aws:region": "ap-northeast-1"}},
				func(ctx *pulumi.Context, _ mockengine.ExportFunc) error {
					a := devArgs()
					a.VpcID, a.SubnetIDs = tc.vpc, tc.subnets
					_, err := NewDatabase(ctx, "db", &a)
					return err
				})
			if err == nil || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.mention)
			}
			if n := len(res.Resources()); n != 0 {
				t.Errorf("%d resources registered before the error, want 0", n)
			}
		})
	}
}

func TestDatabaseRejectsAnUnusableComponentName(t *testing.T) {
	for _, name := range []string{"Database", "my_db", "9db", "", "db-", "my--db", strings.Repeat("d", 32)} {
		t.Run("rejects the name "+strconv.Quote(name), func(t *testing.T) {
			_, err := mockengine.Run(mockengine.Options{Project: "rails-infra", Stack: "dev", Config: map[string]string{"aws:region": "ap-northeast-1"}},
				func(ctx *pulumi.Context, _ mockengine.ExportFunc) error {
					a := devArgs()
					a.VpcID, a.SubnetIDs = pulumi.String("vpc-1"), pulumi.ToStringArray([]string{"subnet-1"})
					_, err := NewDatabase(ctx, name, &a)
					return err
				})
			if err == nil || !strings.Contains(err.Error(), "prefixes RDS names") {
				t.Errorf("NewDatabase(%q) err = %v, want a name error", name, err)
			}
		})
	}
}

func TestFinalSnapshotNameIsUniquePerInstance(t *testing.T) {
	base := DatabaseArgs{Engine: EnginePostgres, DbName: "app", Username: "rails"}
	a := finalSnapshotName("prod-database-", "sg-0aaa", base)
	cases := []struct {
		name string
		got  string
	}{
		{"a re-created stack (new security group) gets a new name", finalSnapshotName("prod-database-", "sg-0bbb", base)},
		{"a replacement for a new engine gets a new name", finalSnapshotName("prod-database-", "sg-0aaa", DatabaseArgs{Engine: EngineMySQL, DbName: "app", Username: "rails"})},
		{"a replacement for a new database name gets a new name", finalSnapshotName("prod-database-", "sg-0aaa", DatabaseArgs{Engine: EnginePostgres, DbName: "app2", Username: "rails"})},
		{"a replacement for a new username gets a new name", finalSnapshotName("prod-database-", "sg-0aaa", DatabaseArgs{Engine: EnginePostgres, DbName: "app", Username: "rails2"})},
		{"another stack gets a new name", finalSnapshotName("staging-database-", "sg-0aaa", base)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got == a {
				t.Errorf("final snapshot name %q repeats", tc.got)
			}
			if !finalSnapshotPattern.MatchString(tc.got) || strings.Contains(tc.got, "--") {
				t.Errorf("final snapshot name %q is not a valid RDS snapshot identifier", tc.got)
			}
		})
	}
	t.Run("the same instance keeps the same name run after run", func(t *testing.T) {
		if again := finalSnapshotName("prod-database-", "sg-0aaa", base); again != a {
			t.Errorf("final snapshot name changed between runs: %q then %q", a, again)
		}
	})
}

func TestIdentifierPrefix(t *testing.T) {
	cases := []struct{ stack, name, want string }{
		{"dev", "database", "dev-database-"},
		{"Prod_Tokyo", "database", "prod-tokyo-database-"},
		{"2026-test", "db", "db-2026-test-db-"},
		{"a-very-long-stack-name-for-a-feature-branch", "database", "a-very-long-stack-name-for-a-feature-"},
	}
	for _, tc := range cases {
		t.Run("stack "+tc.stack+" gives "+tc.want, func(t *testing.T) {
			got := identifierPrefix(tc.stack, tc.name)
			if got != tc.want {
				t.Errorf("identifierPrefix(%q, %q) = %q, want %q", tc.stack, tc.name, got, tc.want)
			}
			if len(got) > maxIdentifierPrefix || !identifierPrefixRegex.MatchString(got) || strings.Contains(got, "--") {
				t.Errorf("identifierPrefix(%q, %q) = %q is not a valid RDS identifier prefix", tc.stack, tc.name, got)
			}
		})
	}
}

func TestDefaultWindowsAreJapaneseNightAndApart(t *testing.T) {
	if ps := windowProblems(DefaultDbBackupWindow, DefaultDbMaintenanceWindow); len(ps) != 0 {
		t.Fatalf("default windows rejected: %+v", ps)
	}
	// UTC+9: 18:00 UTC is 03:00 JST, sun 19:00 UTC is mon 04:00 JST.
	if !strings.HasPrefix(DefaultDbBackupWindow, "18:") || !strings.HasPrefix(DefaultDbMaintenanceWindow, "sun:19:") {
		t.Errorf("windows %s / %s are not 03:00 / Mon 04:00 JST", DefaultDbBackupWindow, DefaultDbMaintenanceWindow)
	}
	overlapping := [][2]string{
		{"19:10-19:40", "sun:19:00-sun:19:30"},
		{"23:45-00:15", "mon:00:00-mon:00:30"}, // across midnight
		{"18:00-18:30", "sat:23:00-sun:23:00"}, // a long weekly window covering the daily one
	}
	for _, w := range overlapping {
		ps := windowProblems(w[0], w[1])
		if len(ps) != 1 || !strings.Contains(ps[0].Reason, "overlaps") {
			t.Errorf("windowProblems(%s, %s) = %+v, want one overlap problem", w[0], w[1], ps)
		}
	}
}

func TestSupportsPerformanceInsights(t *testing.T) {
	for class, want := range map[string]bool{
		"db.t4g.micro": false, "db.t4g.small": false, "db.t3.micro": false, "db.t3.small": false, "db.t2.large": false,
		"db.t4g.medium": true, "db.t3.large": true, "db.m7g.large": true, "db.r6g.xlarge": true,
	} {
		if got := SupportsPerformanceInsights(class); got != want {
			t.Errorf("SupportsPerformanceInsights(%s) = %v, want %v", class, got, want)
		}
	}
}

func mergeMaps(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// equalJSON compares plain values as the mock engine returns them (arrays as []any).
func equalJSON(got, want any) bool {
	ga, gok := got.([]any)
	wa, wok := want.([]any)
	if gok || wok {
		return gok && wok && slices.EqualFunc(ga, wa, func(x, y any) bool { return x == y })
	}
	return got == want
}

func TestDbUsernameFitsRDS(t *testing.T) {
	cases := []struct {
		name   string
		engine DbEngine
		user   string
		ok     bool
	}{
		{"16 characters is the most RDS accepts on postgres", EnginePostgres, strings.Repeat("u", 16), true},
		{"16 characters is the most RDS accepts on mysql", EngineMySQL, strings.Repeat("u", 16), true},
		{"17 characters fails on postgres too", EnginePostgres, strings.Repeat("u", 17), false},
		{"underscores are allowed", EngineMySQL, "rails_app", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := CheckDbUsername(tc.engine, tc.user); (got == "") != tc.ok {
				t.Errorf("CheckDbUsername(%s, %q) = %q, want ok=%v", tc.engine, tc.user, got, tc.ok)
			}
		})
	}
}

func TestTLSParameterNamesEachEnginesSwitch(t *testing.T) {
	cases := []struct {
		engine DbEngine
		want   string
	}{
		{EnginePostgres, "rds.force_ssl"},
		{EngineMySQL, "require_secure_transport"},
		{"aurora-postgresql", "rds.force_ssl"},
		{"aurora-mysql", "require_secure_transport"},
		{"mariadb", "require_secure_transport"},
	}
	for _, tc := range cases {
		t.Run(string(tc.engine)+" is forced by "+tc.want, func(t *testing.T) {
			if got := TLSParameter(tc.engine); got != tc.want {
				t.Errorf("TLSParameter(%s) = %s, want %s", tc.engine, got, tc.want)
			}
		})
	}
}

// A major upgrade replaces the parameter group; deleting the old one fails while the instance
// still uses it, which it does until the maintenance window unless changes apply immediately.
func TestAReplacedParameterGroupIsKeptUntilTheInstanceHasLeftIt(t *testing.T) {
	yes, no := true, false
	cases := []struct {
		name   string
		stack  string
		args   DatabaseArgs
		retain bool
	}{
		{"prod, waiting for the maintenance window, retains the old group", "prod", prodArgs(), true},
		{"dev with changes held for the window retains it too", "dev", DatabaseArgs{ApplyImmediately: &no}, true},
		{"dev, applying at once, deletes it normally", "dev", devArgs(), false},
		{"prod applying at once deletes it normally", "prod", func() DatabaseArgs { a := prodArgs(); a.ApplyImmediately = &yes; return a }(), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := runDatabase(t, tc.stack, tc.args, nil)
			if err != nil {
				t.Fatalf("program failed: %v", err)
			}
			pg := one(t, res, awstype.RdsParameterGroup)
			if pg.RetainOnDelete != tc.retain {
				t.Errorf("%s retainOnDelete = %v, want %v", pg.Name, pg.RetainOnDelete, tc.retain)
			}
			if pg.DeleteBeforeReplace {
				t.Errorf("%s is delete-before-replace; the instance would point at a deleted group", pg.Name)
			}
		})
	}
}
