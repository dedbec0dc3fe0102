package infra

import (
	"fmt"
	"strconv"
)

// DatabaseConfig holds the database keys. Defaults are per environment (see database()).
type DatabaseConfig struct {
	Engine              DbEngine // dbEngine; default postgres; postgres | mysql
	EngineVersion       string   // dbEngineVersion; default DefaultDbEngineVersion[Engine]
	InstanceClass       string   // dbInstanceClass; default db.t4g.micro; db.<family>.<size>
	AllocatedStorage    int      // dbAllocatedStorage; default 20; 20 to 65536 GiB
	MaxAllocatedStorage int      // dbMaxAllocatedStorage; default 5 × allocated; 0 or ≥ 110% of allocated
	MultiAz             bool     // dbMultiAz; default dev false, prod true
	BackupRetentionDays int      // dbBackupRetentionDays; default dev 1, prod 14; 0 to 35, prod ≥ 7
	DeletionProtection  bool     // dbDeletionProtection; default dev false, prod true; prod must be true
	FinalSnapshot       bool     // dbFinalSnapshot; default dev false, prod true; prod must be true
	ApplyImmediately    bool     // dbApplyImmediately; default dev true, prod false
	PerformanceInsights bool     // dbPerformanceInsights; default prod where the class supports it
	Name                string   // dbName; default app
	Username            string   // dbUsername; default rails; not an engine default
}

// Per-environment database defaults.
const (
	devDbBackupRetentionDays  = 1
	prodDbBackupRetentionDays = 14
)

// defaultMaxAllocatedStorage lets storage grow to five times its start, within the gp3 limit.
func defaultMaxAllocatedStorage(allocated int) int {
	m := min(5*allocated, MaxDbAllocatedStorage)
	if m < MinMaxAllocatedStorage(allocated) {
		return 0
	}
	return m
}

// prodSafety explains why a prod stack may not switch off a data-safety setting.
func prodSafety(why string) string {
	return "environment is prod (rails-infra:environment), where data safety cannot be switched off: " + why +
		" To retire a production database on purpose, snapshot it, then turn deletion protection off with" +
		" `aws rds modify-db-instance --no-deletion-protection` and run `pulumi state unprotect`; do not weaken the stack config."
}

func (r *reader) database(c *Config) {
	prod := c.IsProd()
	retention := devDbBackupRetentionDays
	if prod {
		retention = prodDbBackupRetentionDays
	}
	d := &c.Database

	d.Engine = DbEngine(r.enum("dbEngine", string(DefaultDbEngine),
		"Rails supports both (adapters postgresql and mysql2).", string(EnginePostgres), string(EngineMySQL)))

	d.EngineVersion = r.str("dbEngineVersion", DefaultDbEngineVersion[d.Engine])
	if _, err := ParameterGroupFamily(d.Engine, d.EngineVersion); err != nil {
		r.fail("dbEngineVersion", d.EngineVersion, fmt.Sprintf("is not a %s version: %v.", d.Engine, err),
			setFix("dbEngineVersion", DefaultDbEngineVersion[d.Engine]))
	}

	d.InstanceClass = r.str("dbInstanceClass", DefaultDbInstanceClass)
	if !instanceClassPattern.MatchString(d.InstanceClass) {
		r.fail("dbInstanceClass", d.InstanceClass, "must look like db.<family>.<size>, e.g. db.t4g.micro or db.m7g.large.",
			setFix("dbInstanceClass", DefaultDbInstanceClass))
	}

	d.AllocatedStorage = r.integer("dbAllocatedStorage", DefaultDbAllocatedStorage, DefaultDbAllocatedStorage,
		MaxDbAllocatedStorage, strconv.Itoa(DefaultDbAllocatedStorage))
	defMax := defaultMaxAllocatedStorage(d.AllocatedStorage)
	d.MaxAllocatedStorage = r.integer("dbMaxAllocatedStorage", defMax, 0, MaxDbAllocatedStorage, strconv.Itoa(defMax))
	if least := MinMaxAllocatedStorage(d.AllocatedStorage); d.MaxAllocatedStorage > 0 && d.MaxAllocatedStorage < least {
		r.fail("dbMaxAllocatedStorage", strconv.Itoa(d.MaxAllocatedStorage),
			fmt.Sprintf("must be 0 (no storage autoscaling) or at least %d GiB: RDS needs the ceiling 10%% above dbAllocatedStorage (%d GiB).",
				least, d.AllocatedStorage),
			setFix("dbMaxAllocatedStorage", strconv.Itoa(max(least, defMax))))
	}

	d.MultiAz = r.boolean("dbMultiAz", prod)

	d.BackupRetentionDays = r.integer("dbBackupRetentionDays", retention, 0, 35, strconv.Itoa(retention))
	if prod && d.BackupRetentionDays >= 0 && d.BackupRetentionDays < ProdMinBackupRetentionDays {
		r.fail("dbBackupRetentionDays", strconv.Itoa(d.BackupRetentionDays),
			prodSafety(fmt.Sprintf("at least %d days of backups keep point-in-time restore possible when a bad migration or deleted rows are noticed days later.",
				ProdMinBackupRetentionDays)),
			setFix("dbBackupRetentionDays", strconv.Itoa(prodDbBackupRetentionDays)))
	}

	d.DeletionProtection = r.boolean("dbDeletionProtection", prod)
	if prod && !d.DeletionProtection {
		r.fail("dbDeletionProtection", "false",
			prodSafety("deletion protection stops a mistaken `pulumi destroy`, console click or API call from deleting the database."),
			setFix("dbDeletionProtection", "true"))
	}

	d.FinalSnapshot = r.boolean("dbFinalSnapshot", prod)
	if prod && !d.FinalSnapshot {
		r.fail("dbFinalSnapshot", "false",
			prodSafety("a final snapshot is the last copy of the data if the instance is ever deleted or replaced."),
			setFix("dbFinalSnapshot", "true"))
	}

	d.ApplyImmediately = r.boolean("dbApplyImmediately", !prod)

	d.PerformanceInsights = r.boolean("dbPerformanceInsights", prod && SupportsPerformanceInsights(d.InstanceClass))
	if d.PerformanceInsights && !SupportsPerformanceInsights(d.InstanceClass) {
		r.fail("dbPerformanceInsights", "true",
			fmt.Sprintf("%s cannot run Performance Insights (no db.t2, and no micro or small db.t3/db.t4g).", d.InstanceClass),
			"pulumi config set dbInstanceClass db.t4g.medium (or pulumi config set dbPerformanceInsights false)")
	}

	d.Name = r.str("dbName", DefaultDbName)
	if reason := CheckDbName(d.Engine, d.Name); reason != "" {
		r.fail("dbName", d.Name, reason, setFix("dbName", DefaultDbName))
	}
	d.Username = r.str("dbUsername", DefaultDbUsername)
	if reason := CheckDbUsername(d.Engine, d.Username); reason != "" {
		r.fail("dbUsername", d.Username, reason, setFix("dbUsername", DefaultDbUsername))
	}
}
