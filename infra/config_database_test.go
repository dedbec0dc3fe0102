package infra

import (
	"errors"
	"strings"
	"testing"
)

// dbSettings is every setting of DatabaseArgs with its pointers read, to compare and print.
type dbSettings struct {
	Engine                                                                   DbEngine
	EngineVersion, InstanceClass                                             string
	AllocatedStorage, MaxAllocatedStorage                                    int
	MultiAz                                                                  bool
	BackupRetentionDays                                                      int
	DeletionProtection, FinalSnapshot, ApplyImmediately, PerformanceInsights bool
	DbName, Username                                                         string
}

func settingsOf(t *testing.T, a DatabaseArgs) dbSettings {
	t.Helper()
	for name, p := range map[string]bool{
		"MaxAllocatedStorage": a.MaxAllocatedStorage == nil, "BackupRetentionDays": a.BackupRetentionDays == nil,
		"MultiAz": a.MultiAz == nil, "DeletionProtection": a.DeletionProtection == nil, "FinalSnapshot": a.FinalSnapshot == nil,
		"ApplyImmediately": a.ApplyImmediately == nil, "PerformanceInsights": a.PerformanceInsights == nil,
	} {
		if p {
			t.Fatalf("DatabaseArgs.%s is nil after defaults; every optional setting must get its default", name)
		}
	}
	return dbSettings{
		Engine: a.Engine, EngineVersion: a.EngineVersion, InstanceClass: a.InstanceClass,
		AllocatedStorage: a.AllocatedStorage, MaxAllocatedStorage: *a.MaxAllocatedStorage, MultiAz: *a.MultiAz,
		BackupRetentionDays: *a.BackupRetentionDays, DeletionProtection: *a.DeletionProtection, FinalSnapshot: *a.FinalSnapshot,
		ApplyImmediately: *a.ApplyImmediately, PerformanceInsights: *a.PerformanceInsights, DbName: a.DbName, Username: a.Username,
	}
}

func TestDatabaseConfigDefaultsPerEnvironment(t *testing.T) {
	cases := []struct {
		name string
		env  string
		keys map[string]string
		want dbSettings
	}{
		{"dev is small, single-AZ and easy to tear down", "dev", nil, dbSettings{
			Engine: EnginePostgres, EngineVersion: "17", InstanceClass: "db.t4g.micro", AllocatedStorage: 20,
			MaxAllocatedStorage: 100, MultiAz: false, BackupRetentionDays: 1, DeletionProtection: false,
			FinalSnapshot: false, ApplyImmediately: true, PerformanceInsights: false, DbName: "app", Username: "rails",
		}},
		{"prod is multi-AZ with two weeks of backups, deletion protection and a final snapshot", "prod", nil, dbSettings{
			Engine: EnginePostgres, EngineVersion: "17", InstanceClass: "db.t4g.micro", AllocatedStorage: 20,
			MaxAllocatedStorage: 100, MultiAz: true, BackupRetentionDays: 14, DeletionProtection: true,
			FinalSnapshot: true, ApplyImmediately: false, PerformanceInsights: false, DbName: "app", Username: "rails",
		}},
		{"prod turns on Performance Insights when the class supports it", "prod", map[string]string{"dbInstanceClass": "db.t4g.medium"}, dbSettings{
			Engine: EnginePostgres, EngineVersion: "17", InstanceClass: "db.t4g.medium", AllocatedStorage: 20,
			MaxAllocatedStorage: 100, MultiAz: true, BackupRetentionDays: 14, DeletionProtection: true,
			FinalSnapshot: true, ApplyImmediately: false, PerformanceInsights: true, DbName: "app", Username: "rails",
		}},
		{"mysql defaults to 8.4 and the autoscaling ceiling follows the storage", "dev", map[string]string{
			"dbEngine": "mysql", "dbAllocatedStorage": "50", "dbName": "shop", "dbUsername": "shop_admin",
		}, dbSettings{
			Engine: EngineMySQL, EngineVersion: "8.4", InstanceClass: "db.t4g.micro", AllocatedStorage: 50,
			MaxAllocatedStorage: 250, BackupRetentionDays: 1, ApplyImmediately: true, DbName: "shop", Username: "shop_admin",
		}},
		{"dev may opt into prod-like safety", "dev", map[string]string{
			"dbMultiAz": "true", "dbDeletionProtection": "true", "dbFinalSnapshot": "true", "dbBackupRetentionDays": "35",
			"dbMaxAllocatedStorage": "0", "dbEngineVersion": "16",
		}, dbSettings{
			Engine: EnginePostgres, EngineVersion: "16", InstanceClass: "db.t4g.micro", AllocatedStorage: 20,
			MaxAllocatedStorage: 0, MultiAz: true, BackupRetentionDays: 35, DeletionProtection: true,
			FinalSnapshot: true, ApplyImmediately: true, DbName: "app", Username: "rails",
		}},
		{"prod may apply changes at once, run single-AZ and go without Performance Insights", "prod", map[string]string{
			"dbApplyImmediately": "true", "dbMultiAz": "false", "dbInstanceClass": "db.m7g.large", "dbPerformanceInsights": "false",
		}, dbSettings{
			Engine: EnginePostgres, EngineVersion: "17", InstanceClass: "db.m7g.large", AllocatedStorage: 20,
			MaxAllocatedStorage: 100, MultiAz: false, BackupRetentionDays: 14, DeletionProtection: true,
			FinalSnapshot: true, ApplyImmediately: true, PerformanceInsights: false, DbName: "app", Username: "rails",
		}},
		{"dev may keep no automated backups", "dev", map[string]string{"dbBackupRetentionDays": "0"}, dbSettings{
			Engine: EnginePostgres, EngineVersion: "17", InstanceClass: "db.t4g.micro", AllocatedStorage: 20,
			MaxAllocatedStorage: 100, BackupRetentionDays: 0, ApplyImmediately: true, DbName: "app", Username: "rails",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig(t, tc.env, tc.keys, environment(tc.env))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := settingsOf(t, c.Database); got != tc.want {
				t.Errorf("database settings\n got %+v\nwant %+v", got, tc.want)
			}
			if c.Database.Environment != Environment(tc.env) {
				t.Errorf("DatabaseArgs.Environment = %q, want %q", c.Database.Environment, tc.env)
			}
		})
	}
}

// A Go caller that sets nothing gets what a dev stack that sets nothing gets.
func TestZeroDatabaseArgsAreTheDevProfile(t *testing.T) {
	c, err := parseConfig(t, "dev", nil, environment("dev"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var zero DatabaseArgs
	zero.defaults()
	if got, want := settingsOf(t, zero), settingsOf(t, c.Database); got != want {
		t.Errorf("DatabaseArgs{} defaults to\n %+v\nthe dev stack's database is\n %+v", got, want)
	}
}

func TestDatabaseConfigRejectsBadValues(t *testing.T) {
	cases := []struct {
		name    string
		env     string
		keys    map[string]string
		key     string
		mention string
	}{
		{"an unknown engine", "dev", map[string]string{"dbEngine": "aurora"}, "dbEngine", "postgres | mysql"},
		{"a postgres version like 17.4.1", "dev", map[string]string{"dbEngineVersion": "17.4.1"}, "dbEngineVersion", "major (17)"},
		{"a pinned postgres minor, which auto minor upgrades would turn into a downgrade", "dev", map[string]string{"dbEngineVersion": "17.4"}, "dbEngineVersion", "pulumi config set dbEngineVersion 17"},
		{"a pinned mysql minor, which auto minor upgrades would turn into a downgrade", "prod", map[string]string{"dbEngine": "mysql", "dbEngineVersion": "8.4.5"}, "dbEngineVersion", "pulumi config set dbEngineVersion 8.4"},
		{"a mysql version 5.7", "dev", map[string]string{"dbEngine": "mysql", "dbEngineVersion": "5.7"}, "dbEngineVersion", "8.0 or 8.4"},
		{"an instance class missing the size", "dev", map[string]string{"dbInstanceClass": "db.t4g"}, "dbInstanceClass", "db.<family>.<size>"},
		{"19 GiB", "dev", map[string]string{"dbAllocatedStorage": "19"}, "dbAllocatedStorage", "from 20 to 65536"},
		{"a ceiling below 110% of the storage", "dev", map[string]string{"dbAllocatedStorage": "100", "dbMaxAllocatedStorage": "105"}, "dbMaxAllocatedStorage", "at least 110 GiB"},
		{"36 days of backups", "dev", map[string]string{"dbBackupRetentionDays": "36"}, "dbBackupRetentionDays", "from 0 to 35"},
		{"prod with 3 days of backups", "prod", map[string]string{"dbBackupRetentionDays": "3"}, "dbBackupRetentionDays", "environment is prod"},
		{"prod without deletion protection", "prod", map[string]string{"dbDeletionProtection": "false"}, "dbDeletionProtection", "environment is prod"},
		{"prod without a final snapshot", "prod", map[string]string{"dbFinalSnapshot": "false"}, "dbFinalSnapshot", "final snapshot"},
		{"Performance Insights on db.t4g.small", "dev", map[string]string{"dbInstanceClass": "db.t4g.small", "dbPerformanceInsights": "true"}, "dbPerformanceInsights", "cannot run Performance Insights"},
		{"the root user on mysql", "dev", map[string]string{"dbEngine": "mysql", "dbUsername": "root"}, "dbUsername", "reserved"},
		{"a database name with a dash", "dev", map[string]string{"dbName": "my-app"}, "dbName", "a-z, 0-9 and _"},
		{"a 17-character username", "dev", map[string]string{"dbUsername": "rails_app_owner_x"}, "dbUsername", "at most 16"},
		{"multi-AZ as yes", "prod", map[string]string{"dbMultiAz": "yes"}, "dbMultiAz", "true or false"},
		{"a negative autoscaling ceiling", "dev", map[string]string{"dbMaxAllocatedStorage": "-1"}, "dbMaxAllocatedStorage", "from 0 to 65536"},
		{"backups written as a word", "dev", map[string]string{"dbBackupRetentionDays": "week"}, "dbBackupRetentionDays", "is not a whole number: it must be from 0 to 35"},
		{"storage written as a word", "dev", map[string]string{"dbAllocatedStorage": "lots"}, "dbAllocatedStorage", "is not a whole number: it must be from 20 to 65536"},
		{"a wrongly cased engine, suggesting the right case", "dev", map[string]string{"dbEngine": "MySQL", "dbEngineVersion": "8.4"}, "dbEngine", "pulumi config set dbEngine mysql"},
	}
	for _, tc := range cases {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			_, err := parseConfig(t, tc.env, tc.keys, environment(tc.env))
			wantProblem(t, err, tc.key, tc.mention, "")
		})
	}
}

// A version is only wrong against a known engine: with an unknown one, the engine is the problem.
func TestAnUnknownEngineIsTheOnlyProblemWithItsVersion(t *testing.T) {
	_, err := parseConfig(t, "dev", map[string]string{"dbEngine": "MySQL", "dbEngineVersion": "8.4"}, environment("dev"))
	var cerr *ConfigError
	if !errors.As(err, &cerr) {
		t.Fatalf("err = %v, want *ConfigError", err)
	}
	if len(cerr.Problems) != 1 || cerr.Problems[0].Key != qualify("dbEngine") {
		t.Errorf("got %d problem(s), want one about dbEngine only:\n%v", len(cerr.Problems), cerr)
	}
}

func TestProdDataSafetyProblemsExplainHowToRetireADatabase(t *testing.T) {
	_, err := parseConfig(t, "prod", map[string]string{
		"dbDeletionProtection": "false", "dbFinalSnapshot": "false", "dbBackupRetentionDays": "0",
	}, environment("prod"))
	var cerr *ConfigError
	if !errors.As(err, &cerr) {
		t.Fatalf("err = %v, want *ConfigError", err)
	}
	if len(cerr.Problems) != 3 {
		t.Fatalf("got %d problems, want all 3 data-safety problems at once:\n%v", len(cerr.Problems), cerr)
	}
	for _, p := range cerr.Problems {
		if !strings.Contains(p.Reason, "pulumi state unprotect") {
			t.Errorf("%s: reason does not say how to retire a database on purpose: %s", p.Key, p.Reason)
		}
	}
}

func TestDatabaseKeysAreKnown(t *testing.T) {
	known := map[string]bool{}
	for _, k := range KnownKeys() {
		known[k] = true
	}
	for _, k := range []string{"dbEngine", "dbEngineVersion", "dbInstanceClass", "dbAllocatedStorage", "dbMaxAllocatedStorage",
		"dbMultiAz", "dbBackupRetentionDays", "dbDeletionProtection", "dbFinalSnapshot", "dbApplyImmediately",
		"dbPerformanceInsights", "dbName", "dbUsername"} {
		if !known[k] {
			t.Errorf("KnownKeys() lacks %s", k)
		}
	}
}
