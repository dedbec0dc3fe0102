package infra

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DbEngine is the RDS engine: the two Rails supports out of the box that RDS runs as instances.
type DbEngine string

const (
	// EnginePostgres is RDS for PostgreSQL (Rails adapter "postgresql").
	EnginePostgres DbEngine = "postgres"
	// EngineMySQL is RDS for MySQL (Rails adapter "mysql2").
	EngineMySQL DbEngine = "mysql"
)

// DbEngines lists the supported engines, default first.
var DbEngines = []DbEngine{EnginePostgres, EngineMySQL}

// Database defaults, shared by the config reader and the component.
const (
	DefaultDbEngine        = EnginePostgres
	DefaultDbInstanceClass = "db.t4g.micro"
	// DefaultDbAllocatedStorage is the gp3 minimum for PostgreSQL and MySQL.
	DefaultDbAllocatedStorage = 20
	// MaxDbAllocatedStorage is the gp3 maximum (64 TiB) for PostgreSQL and MySQL.
	MaxDbAllocatedStorage = 65536
	// DefaultDbName is the database RDS creates (Rails' database.yml "database").
	DefaultDbName = "app"
	// DefaultDbUsername is the master user; deliberately not an engine default like postgres/admin/root.
	DefaultDbUsername = "rails"
	// ProdMinBackupRetentionDays is the least a protected (prod) database may keep.
	ProdMinBackupRetentionDays = 7
	// DefaultDbBackupWindow is 03:00-03:30 JST (UTC+9), the quietest hour for Japanese users.
	DefaultDbBackupWindow = "18:00-18:30"
	// DefaultDbMaintenanceWindow is Monday 04:00-04:30 JST, after the backup window, never overlapping it.
	DefaultDbMaintenanceWindow = "sun:19:00-sun:19:30"
	// DbCACertIdentifier is the RDS CA the server certificate is issued from (RSA 2048, valid to 2061).
	DbCACertIdentifier = "rds-ca-rsa2048-g1"
	// SlowQueryMillis is the threshold above which statements are logged (and exported to CloudWatch).
	SlowQueryMillis = 1000
)

// DefaultDbEngineVersion is the engine's major version when none is configured: a current
// major with years of RDS standard support left (MySQL 8.0 left standard support on
// 2026-07-31, after which RDS bills Extended Support).
var DefaultDbEngineVersion = map[DbEngine]string{EnginePostgres: "17", EngineMySQL: "8.4"}

// Port is the engine's standard port (what Rails expects without a port in database.yml).
func (e DbEngine) Port() int {
	if e == EngineMySQL {
		return 3306
	}
	return 5432
}

// RailsAdapter is the ActiveRecord adapter name for the engine.
func (e DbEngine) RailsAdapter() string {
	if e == EngineMySQL {
		return "mysql2"
	}
	return "postgresql"
}

// LogExports are the CloudWatch Logs exports per engine. PostgreSQL: the server log (errors and
// slow statements) and upgrade logs. MySQL: error and slow-query logs; the general log records
// every statement, costs a lot and can hold personal data, so it is off.
func (e DbEngine) LogExports() []string {
	if e == EngineMySQL {
		return []string{"error", "slowquery"}
	}
	return []string{"postgresql", "upgrade"}
}

var (
	postgresVersionPattern = regexp.MustCompile(`^(\d{2})(\.\d{1,2})?$`)
	mysqlVersionPattern    = regexp.MustCompile(`^(8\.0|8\.4)(\.\d{1,2})?$`)
	// Minimal RDS PostgreSQL major this program supports (older majors are past standard support).
	minPostgresMajor = 13
)

// ParameterGroupFamily derives the parameter group family from engine and version, e.g.
// postgres + "17.4" -> "postgres17", mysql + "8.0.40" -> "mysql8.0". It returns an error that
// says which forms are allowed when the version does not fit the engine.
func ParameterGroupFamily(engine DbEngine, version string) (string, error) {
	major, err := EngineMajorVersion(engine, version)
	if err != nil {
		return "", err
	}
	return string(engine) + major, nil
}

// EngineMajorVersion is the major part of an RDS engine version: postgres "17.4" -> "17",
// mysql "8.4.5" -> "8.4". It returns an error that says which forms are allowed when the
// version does not fit the engine.
func EngineMajorVersion(engine DbEngine, version string) (string, error) {
	switch engine {
	case EnginePostgres:
		m := postgresVersionPattern.FindStringSubmatch(version)
		if m == nil {
			return "", fmt.Errorf("a PostgreSQL version is a major (17)")
		}
		if major, _ := strconv.Atoi(m[1]); major < minPostgresMajor {
			return "", fmt.Errorf("PostgreSQL %s is older than %d, the oldest major this program supports", m[1], minPostgresMajor)
		}
		return m[1], nil
	case EngineMySQL:
		m := mysqlVersionPattern.FindStringSubmatch(version)
		if m == nil {
			return "", fmt.Errorf("a MySQL version is 8.0 or 8.4")
		}
		return m[1], nil
	}
	return "", fmt.Errorf("unknown engine %q: use postgres or mysql", engine)
}

var instanceClassPattern = regexp.MustCompile(`^db\.[a-z][a-z0-9-]*\.[a-z0-9]+$`)

// noPerformanceInsightsClasses cannot run Performance Insights / Database Insights (RDS user
// guide, "DB engine, Region, and instance class support for Database Insights").
var noPerformanceInsightsClasses = []string{
	"db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small",
}

// SupportsPerformanceInsights reports whether the instance class can run Performance Insights.
// The rule is conservative: every db.t2 and the micro/small sizes of db.t3 and db.t4g are out.
func SupportsPerformanceInsights(class string) bool {
	return !strings.HasPrefix(class, "db.t2.") && !slices.Contains(noPerformanceInsightsClasses, class)
}

// MinMaxAllocatedStorage is the smallest autoscaling ceiling RDS accepts: 10% above the
// allocated storage (RDS rejects less with "Invalid max storage size").
func MinMaxAllocatedStorage(allocated int) int {
	return (allocated*11 + 9) / 10 // ceil(allocated × 1.1) in integers
}

var (
	dbIdentifierPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	// Names the engines reserve or use for their own accounts and databases.
	reservedDbUsernames = []string{"postgres", "admin", "root", "rdsadmin", "rdsrepladmin", "rds_superuser",
		"rdstopmgr", "mysql", "public", "user", "sys", "mysql.sys", "mysql.session", "mysql.infoschema"}
	reservedDbNames = []string{"postgres", "template0", "template1", "rdsadmin", "mysql", "sys",
		"information_schema", "performance_schema", "innodb", "tmp", "user", "database"}
)

// MaxDbUsernameLength is what CreateDBInstance accepts as MasterUsername on every engine
// ("1 to 16 letters, numbers, or underscores"), though PostgreSQL itself allows 63.
const MaxDbUsernameLength = 16

// CheckDbUsername returns why name cannot be the master username for engine, or "".
func CheckDbUsername(engine DbEngine, name string) string {
	switch {
	case !dbIdentifierPattern.MatchString(name):
		return "must start with a lower-case letter and use only a-z, 0-9 and _."
	case len(name) > MaxDbUsernameLength:
		return fmt.Sprintf("must be at most %d characters: RDS rejects longer master usernames on %s.", MaxDbUsernameLength, engine)
	case slices.Contains(reservedDbUsernames, name):
		return "is an engine default or reserved account name; attackers try those first and RDS rejects several."
	}
	return ""
}

// CheckDbName returns why name cannot be the initial database name for engine, or "".
func CheckDbName(engine DbEngine, name string) string {
	maxLen := 63
	if engine == EngineMySQL {
		maxLen = 64
	}
	switch {
	case !dbIdentifierPattern.MatchString(name):
		return "must start with a lower-case letter and use only a-z, 0-9 and _."
	case len(name) > maxLen:
		return fmt.Sprintf("must be at most %d characters for %s.", maxLen, engine)
	case slices.Contains(reservedDbNames, name):
		return "is a database the engine or RDS already uses."
	}
	return ""
}

// DatabaseArgs configures NewDatabase. Each setting is the field tagged with its config key
// (the key without its "db" prefix); a zero value takes the default written beside it, from
// Profile where dev and prod differ, so DatabaseArgs{} is the dev profile's database. Where 0 or
// false is a setting of its own and not the default, the field is a pointer (nil = default).
// Values are plain Go because they are validated and decide derived settings (parameter
// family, log exports, Performance Insights); only values from other resources are pulumi.Input.
type DatabaseArgs struct {
	// VpcID is the VPC of the database security group. Required.
	VpcID pulumi.StringInput
	// SubnetIDs are the private subnets of the DB subnet group, at least two AZs. Required.
	SubnetIDs pulumi.StringArrayInput
	// Environment picks the Profile for unset settings. Where Profile.Protect (prod), the
	// instance is Pulumi-protected, keeps its automated backups after deletion, and its
	// data-safety settings cannot be switched off. Default EnvDev.
	Environment Environment

	// Engine. Default DefaultDbEngine. Valid: EnginePostgres, EngineMySQL.
	Engine DbEngine `config:"dbEngine"`
	// EngineVersion is a major version (17, 8.4); minor upgrades are automatic, so a pinned
	// minor (17.4) is rejected: it would turn into a downgrade after AWS's first minor upgrade.
	// Default DefaultDbEngineVersion[Engine]. Valid: see EngineMajorVersion, major only.
	EngineVersion string `config:"dbEngineVersion"`
	// InstanceClass. Default DefaultDbInstanceClass. Valid: db.<family>.<size>.
	InstanceClass string `config:"dbInstanceClass"`
	// AllocatedStorage in GiB (gp3). Default DefaultDbAllocatedStorage. Valid: 20 to 65536.
	AllocatedStorage int `config:"dbAllocatedStorage"`
	// MaxAllocatedStorage is the storage autoscaling ceiling in GiB; 0 turns autoscaling off.
	// Default defaultMaxAllocatedStorage(AllocatedStorage), five times it.
	// Valid: 0, or MinMaxAllocatedStorage(AllocatedStorage) to 65536.
	MaxAllocatedStorage *int `config:"dbMaxAllocatedStorage"`
	// MultiAz keeps a synchronous standby in another AZ. Default Profile.DbMultiAz (dev false, prod true).
	MultiAz *bool `config:"dbMultiAz"`
	// BackupRetentionDays keeps automated backups (and point-in-time restore) this long; 0 keeps
	// none. Default Profile.DbBackupRetentionDays (dev 1, prod 14). Valid: 0 to 35, and at least
	// ProdMinBackupRetentionDays where Profile.Protect.
	BackupRetentionDays *int `config:"dbBackupRetentionDays"`
	// DeletionProtection makes RDS refuse to delete the instance. Default
	// Profile.DbDeletionProtection (dev false, prod true). Must be true where Profile.Protect.
	DeletionProtection *bool `config:"dbDeletionProtection"`
	// FinalSnapshot takes a snapshot when the instance is deleted. Default Profile.DbFinalSnapshot
	// (dev false, prod true). Must be true where Profile.Protect.
	FinalSnapshot *bool `config:"dbFinalSnapshot"`
	// ApplyImmediately applies modifications now instead of in the maintenance window.
	// Default Profile.DbApplyImmediately (dev true, prod false).
	ApplyImmediately *bool `config:"dbApplyImmediately"`
	// PerformanceInsights turns on Performance Insights (7 days, the free tier). Default
	// Profile.DbPerformanceInsights where SupportsPerformanceInsights(InstanceClass), else false.
	// Valid only where SupportsPerformanceInsights(InstanceClass).
	PerformanceInsights *bool `config:"dbPerformanceInsights"`
	// DbName is the database RDS creates (Name would read as the component's name).
	// Default DefaultDbName. Valid: see CheckDbName.
	DbName string `config:"dbName"`
	// Username is the master user; its password is generated and kept in Secrets Manager by RDS.
	// Default DefaultDbUsername. Valid: see CheckDbUsername.
	Username string `config:"dbUsername"`

	// Not config keys: the same for every stack, settable from Go.

	// BackupWindow is the daily backup window in UTC, hh24:mi-hh24:mi. Default DefaultDbBackupWindow.
	BackupWindow string
	// MaintenanceWindow is the weekly window in UTC, ddd:hh24:mi-ddd:hh24:mi (lower case).
	// Default DefaultDbMaintenanceWindow. Must not overlap BackupWindow.
	MaintenanceWindow string
	// IdentifierPrefix starts the instance identifier and the final snapshot name; RDS adds a
	// unique suffix. Default "<stack>-<name>-" made valid (lower case, at most 37 characters).
	IdentifierPrefix string
}

// Database is an RDS instance in private subnets, reachable only from security groups
// granted with AllowFrom, with TLS forced and the master password managed by RDS.
type Database struct {
	pulumi.ResourceState

	Address  pulumi.StringOutput `pulumi:"address"`
	Port     pulumi.IntOutput    `pulumi:"port"`
	DbName   pulumi.StringOutput `pulumi:"dbName"`
	Username pulumi.StringOutput `pulumi:"username"`
	// SecretArn is the RDS-managed Secrets Manager secret holding username and password.
	SecretArn       pulumi.StringOutput `pulumi:"secretArn"`
	SecurityGroupID pulumi.StringOutput `pulumi:"securityGroupId"`
	// Engine is plain so clients can pick their adapter and port without an apply.
	Engine DbEngine
	// Instance is the RDS instance, for DependsOn.
	Instance *rds.Instance

	name string
	port int
	// watch is what Watch() hands monitoring beyond the outputs (database_watch.go).
	watch databaseWatchSettings
}

// defaultMaxAllocatedStorage lets storage grow to five times its start, within the gp3 limit.
func defaultMaxAllocatedStorage(allocated int) int {
	m := min(5*allocated, MaxDbAllocatedStorage)
	if m < MinMaxAllocatedStorage(allocated) {
		return 0
	}
	return m
}

// defaults fills every unset setting. IdentifierPrefix follows the stack, which only NewDatabase
// knows, so it stays empty here.
func (a *DatabaseArgs) defaults() {
	p := ProfileOf(a.Environment)
	if a.Engine == "" {
		a.Engine = DefaultDbEngine
	}
	if a.EngineVersion == "" {
		a.EngineVersion = DefaultDbEngineVersion[a.Engine]
	}
	if a.InstanceClass == "" {
		a.InstanceClass = DefaultDbInstanceClass
	}
	if a.AllocatedStorage == 0 {
		a.AllocatedStorage = DefaultDbAllocatedStorage
	}
	orDefault(&a.MaxAllocatedStorage, defaultMaxAllocatedStorage(a.AllocatedStorage))
	orDefault(&a.MultiAz, p.DbMultiAz)
	orDefault(&a.BackupRetentionDays, p.DbBackupRetentionDays)
	orDefault(&a.DeletionProtection, p.DbDeletionProtection)
	orDefault(&a.FinalSnapshot, p.DbFinalSnapshot)
	orDefault(&a.ApplyImmediately, p.DbApplyImmediately)
	orDefault(&a.PerformanceInsights, p.DbPerformanceInsights && SupportsPerformanceInsights(a.InstanceClass))
	if a.DbName == "" {
		a.DbName = DefaultDbName
	}
	if a.Username == "" {
		a.Username = DefaultDbUsername
	}
	if a.BackupWindow == "" {
		a.BackupWindow = DefaultDbBackupWindow
	}
	if a.MaintenanceWindow == "" {
		a.MaintenanceWindow = DefaultDbMaintenanceWindow
	}
}

// orDefault points an unset optional setting at def; it never writes through a caller's pointer.
func orDefault[T any](field **T, def T) {
	if *field == nil {
		*field = &def
	}
}

// problems holds every database rule. It reads defaulted args (every pointer set).
func (a *DatabaseArgs) problems() []FieldProblem {
	var ps problemList
	engines := make([]string, len(DbEngines))
	for i, e := range DbEngines {
		engines[i] = string(e)
	}
	enumProblem(&ps, "Engine", string(a.Engine), engines, string(DefaultDbEngine), "Rails supports both (adapters postgresql and mysql2).")
	// A version is read against its engine; with an unknown engine only the engine is wrong.
	major, err := EngineMajorVersion(a.Engine, a.EngineVersion)
	switch {
	case err != nil && slices.Contains(DbEngines, a.Engine):
		ps.add("EngineVersion", a.EngineVersion, fmt.Sprintf("is not a %s version: %v.", a.Engine, err),
			setTo("EngineVersion", DefaultDbEngineVersion[a.Engine]))
	case err == nil && major != a.EngineVersion:
		// Auto minor upgrades stay on (security patches). With a major only, the provider
		// accepts whatever minor RDS runs (engineVersion may be a prefix, engineVersionActual
		// reports the minor); a pinned minor would become a downgrade after AWS's first upgrade.
		ps.add("EngineVersion", a.EngineVersion,
			fmt.Sprintf("pins a minor version, but RDS upgrades minor versions automatically: once it moves the instance past %s, "+
				"the next `pulumi up` would try to go back, and RDS refuses a downgrade. Give the major version only; RDS keeps it on the newest minor.",
				a.EngineVersion),
			setTo("EngineVersion", major))
	}
	if !instanceClassPattern.MatchString(a.InstanceClass) {
		ps.add("InstanceClass", a.InstanceClass, "must look like db.<family>.<size>, e.g. db.t4g.micro or db.m7g.large.",
			setTo("InstanceClass", DefaultDbInstanceClass))
	}
	a.storageProblems(&ps)
	a.dataSafetyProblems(&ps)
	if *a.PerformanceInsights && !SupportsPerformanceInsights(a.InstanceClass) {
		ps.add("PerformanceInsights", "true",
			fmt.Sprintf("%s cannot run Performance Insights (no db.t2, and no micro or small db.t3/db.t4g).", a.InstanceClass),
			setTo("InstanceClass", "db.t4g.medium").or(setTo("PerformanceInsights", "false")))
	}
	if reason := CheckDbName(a.Engine, a.DbName); reason != "" {
		ps.add("DbName", a.DbName, reason, setTo("DbName", DefaultDbName))
	}
	if reason := CheckDbUsername(a.Engine, a.Username); reason != "" {
		ps.add("Username", a.Username, reason, setTo("Username", DefaultDbUsername))
	}
	// Settings without a config key: always their (valid) defaults for config users.
	ps = append(ps, windowProblems(a.BackupWindow, a.MaintenanceWindow)...)
	if p := a.IdentifierPrefix; p != "" && (len(p) > maxIdentifierPrefix || !identifierPrefixRegex.MatchString(p) || strings.Contains(p, "--")) {
		ps.add("IdentifierPrefix", p, fmt.Sprintf("must start with a letter and use a-z, 0-9 and single hyphens, at most %d characters.", maxIdentifierPrefix),
			removeField("IdentifierPrefix"))
	}
	return ps
}

// storageProblems: gp3's size range, and an autoscaling ceiling RDS accepts.
func (a *DatabaseArgs) storageProblems(ps *problemList) {
	rangeProblem(ps, "AllocatedStorage", a.AllocatedStorage, DefaultDbAllocatedStorage, MaxDbAllocatedStorage, DefaultDbAllocatedStorage)
	defMax := defaultMaxAllocatedStorage(a.AllocatedStorage)
	least := MinMaxAllocatedStorage(a.AllocatedStorage)
	switch m := *a.MaxAllocatedStorage; {
	case m < 0 || m > MaxDbAllocatedStorage:
		rangeProblem(ps, "MaxAllocatedStorage", m, 0, MaxDbAllocatedStorage, defMax)
	case m > 0 && m < least:
		ps.add("MaxAllocatedStorage", strconv.Itoa(m),
			fmt.Sprintf("must be 0 (no storage autoscaling) or at least %d GiB: RDS needs the ceiling 10%% above {AllocatedStorage} (%d GiB).",
				least, a.AllocatedStorage),
			setTo("MaxAllocatedStorage", strconv.Itoa(max(least, defMax))))
	}
}

// dataSafetyProblems: backups within RDS's range, and where the profile protects data (prod),
// the three settings that keep it recoverable.
func (a *DatabaseArgs) dataSafetyProblems(ps *problemList) {
	p := ProfileOf(a.Environment)
	days := *a.BackupRetentionDays
	rangeProblem(ps, "BackupRetentionDays", days, 0, 35, p.DbBackupRetentionDays)
	if !p.Protect {
		return
	}
	if days >= 0 && days < ProdMinBackupRetentionDays {
		ps.add("BackupRetentionDays", strconv.Itoa(days),
			prodSafety(fmt.Sprintf("at least %d days of backups keep point-in-time restore possible when a bad migration or deleted rows are noticed days later.",
				ProdMinBackupRetentionDays)),
			setTo("BackupRetentionDays", strconv.Itoa(p.DbBackupRetentionDays)))
	}
	if !*a.DeletionProtection {
		ps.add("DeletionProtection", "false",
			prodSafety("deletion protection stops a mistaken `pulumi destroy`, console click or API call from deleting the database."),
			setTo("DeletionProtection", "true"))
	}
	if !*a.FinalSnapshot {
		ps.add("FinalSnapshot", "false",
			prodSafety("a final snapshot is the last copy of the data if the instance is ever deleted or replaced."),
			setTo("FinalSnapshot", "true"))
	}
}

// prodSafety explains why a prod stack may not switch off a data-safety setting.
func prodSafety(why string) string {
	return "environment is prod (rails-infra:environment), where data safety cannot be switched off: " + why +
		" To retire a production database on purpose, snapshot it, then turn deletion protection off with" +
		" `aws rds modify-db-instance --no-deletion-protection` and run `pulumi state unprotect`; do not weaken the stack config."
}

var (
	componentNamePattern  = regexp.MustCompile(`^[a-z](-?[a-z0-9])*$`)
	identifierPrefixRegex = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	backupWindowPattern   = regexp.MustCompile(`^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$`)
	maintWindowPattern    = regexp.MustCompile(`^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$`)
	nonIdentifierChars    = regexp.MustCompile(`[^a-z0-9]+`)
)

// maxIdentifierPrefix leaves room for the 26-character unique suffix in a 63-character identifier.
const maxIdentifierPrefix = 37

// identifierPrefix makes "<stack>-<name>-" a valid RDS identifier prefix.
func identifierPrefix(stack, name string) string {
	s := nonIdentifierChars.ReplaceAllString(strings.ToLower(stack+"-"+name), "-")
	s = strings.Trim(s, "-")
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		s = "db-" + s
	}
	if len(s) > maxIdentifierPrefix-1 {
		s = strings.TrimRight(s[:maxIdentifierPrefix-1], "-")
	}
	return s + "-"
}

// wiringError checks what main wires in, which no config key sets: the component name and the network.
func (a *DatabaseArgs) wiringError(name string) error {
	var errs []error
	if len(name) > 31 || !componentNamePattern.MatchString(name) {
		errs = append(errs, fmt.Errorf("database name %q: must be 1-31 characters of a-z, 0-9 and single hyphens, starting with a letter and not ending in a hyphen (it prefixes RDS names)", name))
	}
	if a.VpcID == nil {
		errs = append(errs, errors.New("DatabaseArgs.VpcID is required"))
	}
	if a.SubnetIDs == nil {
		errs = append(errs, errors.New("DatabaseArgs.SubnetIDs is required (the network's private subnets)"))
	}
	return errors.Join(errs...)
}

// windowProblems checks both windows' format, RDS's 30-minute minimum, and that they do not overlap.
func windowProblems(backup, maint string) []FieldProblem {
	var ps problemList
	b := backupWindowPattern.FindStringSubmatch(backup)
	m := maintWindowPattern.FindStringSubmatch(maint)
	if b == nil {
		ps.add("BackupWindow", backup, "must be hh24:mi-hh24:mi in UTC.", setTo("BackupWindow", DefaultDbBackupWindow))
	}
	if m == nil {
		ps.add("MaintenanceWindow", maint, "must be ddd:hh24:mi-ddd:hh24:mi in UTC, lower case.", setTo("MaintenanceWindow", DefaultDbMaintenanceWindow))
	}
	if len(ps) > 0 {
		return ps
	}
	const day, week = 24 * 60, 7 * 24 * 60
	days := map[string]int{"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
	minutes := func(h, mi string) int { hh, _ := strconv.Atoi(h); mm, _ := strconv.Atoi(mi); return hh*60 + mm }
	bStart, bEnd := minutes(b[1], b[2]), minutes(b[3], b[4])
	bLen := (bEnd - bStart + day) % day
	mStart, mEnd := days[m[1]]*day+minutes(m[2], m[3]), days[m[4]]*day+minutes(m[5], m[6])
	mLen := (mEnd - mStart + week) % week
	if bLen < 30 {
		ps.add("BackupWindow", backup, "must last at least 30 minutes.", setTo("BackupWindow", DefaultDbBackupWindow))
	}
	if mLen < 30 {
		ps.add("MaintenanceWindow", maint, "must last at least 30 minutes.", setTo("MaintenanceWindow", DefaultDbMaintenanceWindow))
	}
	// The daily backup window repeats every day; check it against the weekly window minute by minute.
	for d := range 7 {
		for t := range bLen {
			x := (d*day + bStart + t) % week
			if (x-mStart+week)%week < mLen {
				ps.add("BackupWindow", backup, fmt.Sprintf("overlaps {MaintenanceWindow} (%s); RDS rejects that.", maint),
					note("move {BackupWindow} or {MaintenanceWindow} so the daily backup never meets the weekly maintenance."))
				return ps
			}
		}
	}
	return ps
}

// dbParameters force TLS for every client and log slow statements. "pending-reboot" works for
// static and dynamic parameters alike: rds.force_ssl is static up to postgres14, and
// "immediate" on a static parameter fails. A new instance boots with the group, so TLS is
// enforced from the first connection; changing an existing group needs a reboot to apply.
func dbParameters(engine DbEngine) rds.ParameterGroupParameterArray {
	p := func(name, value, method string) rds.ParameterGroupParameterArgs {
		return rds.ParameterGroupParameterArgs{Name: pulumi.String(name), Value: pulumi.String(value), ApplyMethod: pulumi.String(method)}
	}
	slow := strconv.Itoa(SlowQueryMillis)
	if engine == EngineMySQL {
		return rds.ParameterGroupParameterArray{
			p(TLSParameter(engine), "1", "pending-reboot"),
			// The slowquery export is empty unless the server writes the slow log to a file.
			p("slow_query_log", "1", "immediate"),
			p("long_query_time", strconv.FormatFloat(float64(SlowQueryMillis)/1000, 'f', -1, 64), "immediate"),
			p("log_output", "FILE", "immediate"),
		}
	}
	return rds.ParameterGroupParameterArray{
		p(TLSParameter(engine), "1", "pending-reboot"),
		p("log_min_duration_statement", slow, "immediate"),
	}
}

// TLSParameter is the parameter that forces TLS on engine (always set to "1"). It takes any RDS
// engine name, so plan checks can read it off an instance: the MySQL family (mysql, mariadb,
// aurora-mysql) has require_secure_transport, PostgreSQL rds.force_ssl.
func TLSParameter(engine DbEngine) string {
	if strings.Contains(string(engine), "mysql") || strings.Contains(string(engine), "mariadb") {
		return "require_secure_transport"
	}
	return "rds.force_ssl"
}

// finalSnapshotName names the snapshot RDS takes when the instance is deleted. Snapshot names
// are unique per account and region, and a taken name makes the next deletion fail, so it must
// differ for every instance this stack ever deletes:
//   - securityGroupID is an AWS-assigned id that is new whenever the stack is created again
//     (destroy + up), so a re-created stack never reuses an earlier name;
//   - the settings that force RDS to replace the instance (engine, database name, username,
//     identifier prefix) are hashed in, so a replacement names its snapshot differently from
//     the instance it replaces.
//
// The name is fixed for the instance's lifetime, so it causes no diff on later updates. If a
// name is ever taken anyway (a replace forced by hand, or going back to an old setting), RDS
// refuses the delete and keeps the instance: no data is lost, and deleting the old snapshot
// or renaming it lets the delete proceed.
func finalSnapshotName(prefix, securityGroupID string, a DatabaseArgs) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{securityGroupID, string(a.Engine), a.DbName, a.Username, prefix}, "\x00")))
	return prefix + "final-" + hex.EncodeToString(sum[:])[:12]
}

// NewDatabase builds the subnet group, security group, parameter group and RDS instance.
func NewDatabase(ctx *pulumi.Context, name string, args *DatabaseArgs, opts ...pulumi.ResourceOption) (*Database, error) {
	if args == nil {
		args = &DatabaseArgs{}
	}
	a := *args
	a.defaults()
	if a.IdentifierPrefix == "" {
		a.IdentifierPrefix = identifierPrefix(ctx.Stack(), name)
	}
	if err := errors.Join(a.wiringError(name), argsError("DatabaseArgs", a.problems())); err != nil {
		return nil, err
	}

	d := &Database{Engine: a.Engine, name: name, port: a.Engine.Port(), watch: databaseWatchOf(a)}
	if err := ctx.RegisterComponentResource("rails-infra:infra:Database", name, d, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(d)
	place, err := newDatabasePlacement(ctx, name, a, d.port, parent)
	if err != nil {
		return nil, err
	}
	instance, err := rds.NewInstance(ctx, name, instanceArgs(a, place, d.port), parent, pulumi.Protect(ProfileOf(a.Environment).Protect))
	if err != nil {
		return nil, err
	}
	return d, d.setOutputs(ctx, instance, place.securityGroup)
}

// databasePlacement is where the instance runs and how it is configured: the resources made
// before it.
type databasePlacement struct {
	subnets       *rds.SubnetGroup
	securityGroup *ec2.SecurityGroup
	params        *rds.ParameterGroup
}

func newDatabasePlacement(ctx *pulumi.Context, name string, a DatabaseArgs, port int, parent pulumi.ResourceOption) (databasePlacement, error) {
	var p databasePlacement
	var err error
	// Names are auto-generated (unique suffix), so a replacement never collides with the old one.
	if p.subnets, err = rds.NewSubnetGroup(ctx, name+"-subnets", &rds.SubnetGroupArgs{
		Description: pulumi.String("Private subnets of the Rails database"),
		SubnetIds:   a.SubnetIDs,
	}, parent); err != nil {
		return p, err
	}
	// No rules inline: ingress comes only from AllowFrom, and the provider removes AWS's default
	// allow-all egress (RDS answers on established connections and needs none).
	if p.securityGroup, err = ec2.NewSecurityGroup(ctx, name+"-sg", &ec2.SecurityGroupArgs{
		VpcId:       a.VpcID,
		Description: pulumi.Sprintf("%s port %d, only from the app security group", a.Engine, port),
	}, parent); err != nil {
		return p, err
	}
	family, _ := ParameterGroupFamily(a.Engine, a.EngineVersion)
	p.params, err = rds.NewParameterGroup(ctx, name+"-params", &rds.ParameterGroupArgs{
		Family:      pulumi.String(family),
		Description: pulumi.Sprintf("Rails %s: TLS required, slow statements logged", family),
		Parameters:  dbParameters(a.Engine),
	}, parent, retainReplacedParameterGroup(*a.ApplyImmediately))
	return p, err
}

// retainReplacedParameterGroup keeps a replaced parameter group in AWS when changes wait for
// the maintenance window. A major upgrade changes the family, which replaces the group
// (create-before-delete); the instance leaves the old group only when the upgrade runs in its
// window, and RDS refuses to delete a group an instance still uses, so the `pulumi up` would
// fail after the instance change was accepted. Retained, the old group only leaves Pulumi's
// state; docs/runbook.md ("Major engine upgrade") says to delete it by hand after the window.
// With ApplyImmediately the instance has switched before Pulumi deletes the old group, so it
// is deleted normally and repeated dev stacks leave no groups behind (the account's quota
// of DB parameter groups is small).
func retainReplacedParameterGroup(applyImmediately bool) pulumi.ResourceOption {
	return pulumi.RetainOnDelete(!applyImmediately)
}

// instanceArgs maps the defaulted settings onto the RDS instance.
func instanceArgs(a DatabaseArgs, place databasePlacement, port int) *rds.InstanceArgs {
	protect := ProfileOf(a.Environment).Protect
	var finalSnapshot pulumi.StringPtrInput
	if *a.FinalSnapshot {
		finalSnapshot = place.securityGroup.ID().ToStringOutput().ApplyT(func(id string) *string {
			s := finalSnapshotName(a.IdentifierPrefix, id, a)
			return &s
		}).(pulumi.StringPtrOutput)
	}
	var maxStorage pulumi.IntPtrInput
	if *a.MaxAllocatedStorage > 0 {
		maxStorage = pulumi.Int(*a.MaxAllocatedStorage)
	}
	args := &rds.InstanceArgs{
		IdentifierPrefix: pulumi.String(a.IdentifierPrefix),
		Engine:           pulumi.String(string(a.Engine)),
		EngineVersion:    pulumi.String(a.EngineVersion),
		// Minor versions follow AWS automatically (EngineVersion is a major only, see
		// problems); a major upgrade happens only when EngineVersion is changed on purpose,
		// which this permits. It also replaces the parameter group (new family): see
		// retainReplacedParameterGroup.
		AutoMinorVersionUpgrade:  pulumi.Bool(true),
		AllowMajorVersionUpgrade: pulumi.Bool(true),
		InstanceClass:            pulumi.String(a.InstanceClass),
		AllocatedStorage:         pulumi.Int(a.AllocatedStorage),
		MaxAllocatedStorage:      maxStorage,
		StorageType:              pulumi.String("gp3"),
		StorageEncrypted:         pulumi.Bool(true),
		DbName:                   pulumi.String(a.DbName),
		Username:                 pulumi.String(a.Username),
		// RDS generates the password into Secrets Manager; it never enters config or state.
		ManageMasterUserPassword: pulumi.Bool(true),
		Port:                     pulumi.Int(port),
		DbSubnetGroupName:        place.subnets.Name,
		VpcSecurityGroupIds:      pulumi.StringArray{place.securityGroup.ID()},
		ParameterGroupName:       place.params.Name,
		PubliclyAccessible:       pulumi.Bool(false),
		MultiAz:                  pulumi.Bool(*a.MultiAz),
		CaCertIdentifier:         pulumi.String(DbCACertIdentifier),
		BackupRetentionPeriod:    pulumi.Int(*a.BackupRetentionDays),
		BackupWindow:             pulumi.String(a.BackupWindow),
		MaintenanceWindow:        pulumi.String(a.MaintenanceWindow),
		CopyTagsToSnapshot:       pulumi.Bool(true),
		DeletionProtection:       pulumi.Bool(*a.DeletionProtection),
		SkipFinalSnapshot:        pulumi.Bool(!*a.FinalSnapshot),
		FinalSnapshotIdentifier:  finalSnapshot,
		// Protected databases keep their automated backups for the retention period after deletion.
		DeleteAutomatedBackups:       pulumi.Bool(!protect),
		ApplyImmediately:             pulumi.Bool(*a.ApplyImmediately),
		EnabledCloudwatchLogsExports: pulumi.ToStringArray(a.Engine.LogExports()),
		PerformanceInsightsEnabled:   pulumi.Bool(*a.PerformanceInsights),
	}
	if *a.PerformanceInsights {
		// 7 days is the free tier.
		args.PerformanceInsightsRetentionPeriod = pulumi.Int(7)
	}
	return args
}

// setOutputs exposes the connection facts; the password stays in the RDS-managed secret.
func (d *Database) setOutputs(ctx *pulumi.Context, instance *rds.Instance, sg *ec2.SecurityGroup) error {
	d.Instance = instance
	d.Address = instance.Address
	d.Port = instance.Port
	d.DbName = instance.DbName
	d.Username = instance.Username
	d.SecurityGroupID = sg.ID().ToStringOutput()
	d.SecretArn = instance.MasterUserSecrets.ApplyT(func(secrets []rds.InstanceMasterUserSecret) (string, error) {
		if len(secrets) == 0 || secrets[0].SecretArn == nil {
			return "", errors.New("RDS reported no managed master user secret; is manageMasterUserPassword on?")
		}
		return *secrets[0].SecretArn, nil
	}).(pulumi.StringOutput)
	return ctx.RegisterResourceOutputs(d, pulumi.Map{
		"address":         d.Address,
		"port":            d.Port,
		"dbName":          d.DbName,
		"username":        d.Username,
		"secretArn":       d.SecretArn,
		"securityGroupId": d.SecurityGroupID,
	})
}

// AllowFrom lets clientSG reach the database port: one ingress rule on the database security
// group whose only source is that security group. name identifies the client (e.g. "app").
// It returns the rule, for clients that must not connect before it exists.
func (d *Database) AllowFrom(ctx *pulumi.Context, name string, clientSG pulumi.StringInput) (pulumi.Resource, error) {
	if name == "" || clientSG == nil {
		return nil, errors.New("Database.AllowFrom: name and clientSG are required")
	}
	return vpc.NewSecurityGroupIngressRule(ctx, d.name+"-from-"+name, &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId:           d.SecurityGroupID,
		Description:               pulumi.Sprintf("%s from the %s security group", d.Engine, name),
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  pulumi.Int(d.port),
		ToPort:                    pulumi.Int(d.port),
		ReferencedSecurityGroupId: clientSG,
	}, pulumi.Parent(d))
}

// Endpoint is what the app service needs to connect; the service waits for the instance.
func (d *Database) Endpoint() DatabaseEndpoint {
	return DatabaseEndpoint{
		Host:            d.Address,
		Name:            d.DbName,
		Username:        d.Username,
		SecretArn:       d.SecretArn,
		SecurityGroupID: d.SecurityGroupID,
		Port:            d.Port,
		Adapter:         d.Engine.RailsAdapter(),
		DependsOn:       []pulumi.Resource{d.Instance},
	}
}
