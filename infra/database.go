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
	// DefaultDbBackupRetentionDays applies when DatabaseArgs.BackupRetentionDays is nil.
	DefaultDbBackupRetentionDays = 7
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
	switch engine {
	case EnginePostgres:
		m := postgresVersionPattern.FindStringSubmatch(version)
		if m == nil {
			return "", fmt.Errorf("a PostgreSQL version is a major (17) or major.minor (17.4)")
		}
		if major, _ := strconv.Atoi(m[1]); major < minPostgresMajor {
			return "", fmt.Errorf("PostgreSQL %s is older than %d, the oldest major this program supports", m[1], minPostgresMajor)
		}
		return "postgres" + m[1], nil
	case EngineMySQL:
		m := mysqlVersionPattern.FindStringSubmatch(version)
		if m == nil {
			return "", fmt.Errorf("a MySQL version is 8.0 or 8.4, optionally with a patch level (8.4.5)")
		}
		return "mysql" + m[1], nil
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

// DatabaseArgs configures NewDatabase. Values are plain Go because they are validated and
// decide derived settings (parameter family, log exports, Performance Insights); only
// values that come from other resources are pulumi.Input.
type DatabaseArgs struct {
	// VpcID is the VPC of the database security group. Required.
	VpcID pulumi.StringInput
	// SubnetIDs are the private subnets of the DB subnet group, at least two AZs. Required.
	SubnetIDs pulumi.StringArrayInput
	// Engine. Default EnginePostgres. Valid: EnginePostgres, EngineMySQL.
	Engine DbEngine
	// EngineVersion is a major (prefix) version; minor upgrades are automatic.
	// Default DefaultDbEngineVersion[Engine]. Valid: see ParameterGroupFamily.
	EngineVersion string
	// InstanceClass. Default DefaultDbInstanceClass. Valid: db.<family>.<size>.
	InstanceClass string
	// AllocatedStorage in GiB (gp3). Default 20. Valid: 20 to 65536.
	AllocatedStorage int
	// MaxAllocatedStorage is the storage autoscaling ceiling in GiB. Default 0 (no
	// autoscaling). Valid: 0, or MinMaxAllocatedStorage(AllocatedStorage) to 65536.
	MaxAllocatedStorage int
	// MultiAz keeps a synchronous standby in another AZ. Default false.
	MultiAz bool
	// BackupRetentionDays keeps automated backups (and point-in-time restore) this long.
	// Default (nil) DefaultDbBackupRetentionDays. Valid: 0 (no automated backups) to 35; at
	// least ProdMinBackupRetentionDays when Protect.
	BackupRetentionDays *int
	// DeletionProtection makes RDS refuse to delete the instance. Default false. Required when Protect.
	DeletionProtection bool
	// SkipFinalSnapshot deletes without a final snapshot. Default false (a snapshot is taken).
	// Must be false when Protect.
	SkipFinalSnapshot bool
	// Protect marks the instance with the Pulumi protect option, keeps automated backups after
	// deletion and holds modifications for the maintenance window unless ApplyImmediately.
	// Default false. Prod stacks set it.
	Protect bool
	// ApplyImmediately applies modifications now instead of in the maintenance window. Default false.
	ApplyImmediately bool
	// PerformanceInsights turns on Performance Insights (7 days, the free tier). Default false.
	// Valid only where SupportsPerformanceInsights(InstanceClass).
	PerformanceInsights bool
	// DbName is the database RDS creates. Default DefaultDbName. Valid: see CheckDbName.
	DbName string
	// Username is the master user; its password is generated and kept in Secrets Manager by RDS.
	// Default DefaultDbUsername. Valid: see CheckDbUsername.
	Username string
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
}

func (a *DatabaseArgs) withDefaults(ctx *pulumi.Context, name string) DatabaseArgs {
	out := *a
	if out.Engine == "" {
		out.Engine = DefaultDbEngine
	}
	if out.EngineVersion == "" {
		out.EngineVersion = DefaultDbEngineVersion[out.Engine]
	}
	if out.InstanceClass == "" {
		out.InstanceClass = DefaultDbInstanceClass
	}
	if out.AllocatedStorage == 0 {
		out.AllocatedStorage = DefaultDbAllocatedStorage
	}
	if out.BackupRetentionDays == nil {
		out.BackupRetentionDays = pulumi.IntRef(DefaultDbBackupRetentionDays)
	}
	if out.DbName == "" {
		out.DbName = DefaultDbName
	}
	if out.Username == "" {
		out.Username = DefaultDbUsername
	}
	if out.BackupWindow == "" {
		out.BackupWindow = DefaultDbBackupWindow
	}
	if out.MaintenanceWindow == "" {
		out.MaintenanceWindow = DefaultDbMaintenanceWindow
	}
	if out.IdentifierPrefix == "" {
		out.IdentifierPrefix = identifierPrefix(ctx.Stack(), name)
	}
	return out
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

func (a *DatabaseArgs) validate(name string) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(name) > 31 || !componentNamePattern.MatchString(name) {
		bad("database name %q: must be 1-31 characters of a-z, 0-9 and single hyphens, starting with a letter and not ending in a hyphen (it prefixes RDS names)", name)
	}
	if a.VpcID == nil {
		bad("DatabaseArgs.VpcID is required")
	}
	if a.SubnetIDs == nil {
		bad("DatabaseArgs.SubnetIDs is required (the network's private subnets)")
	}
	if !slices.Contains(DbEngines, a.Engine) {
		bad("DatabaseArgs.Engine %q: must be postgres or mysql", a.Engine)
	} else {
		if _, err := ParameterGroupFamily(a.Engine, a.EngineVersion); err != nil {
			bad("DatabaseArgs.EngineVersion %q: %v", a.EngineVersion, err)
		}
		if reason := CheckDbName(a.Engine, a.DbName); reason != "" {
			bad("DatabaseArgs.DbName %q: %s", a.DbName, reason)
		}
		if reason := CheckDbUsername(a.Engine, a.Username); reason != "" {
			bad("DatabaseArgs.Username %q: %s", a.Username, reason)
		}
	}
	if !instanceClassPattern.MatchString(a.InstanceClass) {
		bad("DatabaseArgs.InstanceClass %q: must look like db.<family>.<size>, e.g. db.t4g.micro", a.InstanceClass)
	}
	if a.AllocatedStorage < DefaultDbAllocatedStorage || a.AllocatedStorage > MaxDbAllocatedStorage {
		bad("DatabaseArgs.AllocatedStorage %d: must be from %d to %d GiB", a.AllocatedStorage, DefaultDbAllocatedStorage, MaxDbAllocatedStorage)
	}
	if m := a.MaxAllocatedStorage; m != 0 && (m < MinMaxAllocatedStorage(a.AllocatedStorage) || m > MaxDbAllocatedStorage) {
		bad("DatabaseArgs.MaxAllocatedStorage %d: must be 0 or from %d (10%% above AllocatedStorage) to %d GiB",
			m, MinMaxAllocatedStorage(a.AllocatedStorage), MaxDbAllocatedStorage)
	}
	if d := *a.BackupRetentionDays; d < 0 || d > 35 {
		bad("DatabaseArgs.BackupRetentionDays %d: must be from 0 to 35", d)
	}
	if a.PerformanceInsights && !SupportsPerformanceInsights(a.InstanceClass) {
		bad("DatabaseArgs.PerformanceInsights: %s does not support Performance Insights", a.InstanceClass)
	}
	if a.Protect {
		if !a.DeletionProtection {
			bad("DatabaseArgs: Protect needs DeletionProtection, or one console click or API call deletes the data")
		}
		if a.SkipFinalSnapshot {
			bad("DatabaseArgs: Protect forbids SkipFinalSnapshot; deleting must leave a final snapshot")
		}
		if *a.BackupRetentionDays < ProdMinBackupRetentionDays {
			bad("DatabaseArgs: Protect needs BackupRetentionDays >= %d, got %d", ProdMinBackupRetentionDays, *a.BackupRetentionDays)
		}
	}
	if len(a.IdentifierPrefix) > maxIdentifierPrefix || !identifierPrefixRegex.MatchString(a.IdentifierPrefix) || strings.Contains(a.IdentifierPrefix, "--") {
		bad("DatabaseArgs.IdentifierPrefix %q: must start with a letter, use a-z, 0-9 and single hyphens, at most %d characters", a.IdentifierPrefix, maxIdentifierPrefix)
	}
	if err := checkWindows(a.BackupWindow, a.MaintenanceWindow); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// checkWindows validates both windows' format, RDS's 30-minute minimum, and that they do not overlap.
func checkWindows(backup, maint string) error {
	b := backupWindowPattern.FindStringSubmatch(backup)
	m := maintWindowPattern.FindStringSubmatch(maint)
	var errs []error
	if b == nil {
		errs = append(errs, fmt.Errorf("DatabaseArgs.BackupWindow %q: must be hh24:mi-hh24:mi in UTC", backup))
	}
	if m == nil {
		errs = append(errs, fmt.Errorf("DatabaseArgs.MaintenanceWindow %q: must be ddd:hh24:mi-ddd:hh24:mi in UTC, lower case", maint))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	const day, week = 24 * 60, 7 * 24 * 60
	days := map[string]int{"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
	minutes := func(h, mi string) int { hh, _ := strconv.Atoi(h); mm, _ := strconv.Atoi(mi); return hh*60 + mm }
	bStart, bEnd := minutes(b[1], b[2]), minutes(b[3], b[4])
	bLen := (bEnd - bStart + day) % day
	mStart, mEnd := days[m[1]]*day+minutes(m[2], m[3]), days[m[4]]*day+minutes(m[5], m[6])
	mLen := (mEnd - mStart + week) % week
	if bLen < 30 {
		errs = append(errs, fmt.Errorf("DatabaseArgs.BackupWindow %q: must last at least 30 minutes", backup))
	}
	if mLen < 30 {
		errs = append(errs, fmt.Errorf("DatabaseArgs.MaintenanceWindow %q: must last at least 30 minutes", maint))
	}
	// The daily backup window repeats every day; check it against the weekly window minute by minute.
	for d := range 7 {
		for t := range bLen {
			x := (d*day + bStart + t) % week
			if (x-mStart+week)%week < mLen {
				return errors.Join(append(errs, fmt.Errorf("DatabaseArgs: BackupWindow %q overlaps MaintenanceWindow %q; RDS rejects that", backup, maint))...)
			}
		}
	}
	return errors.Join(errs...)
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
			p("require_secure_transport", "1", "pending-reboot"),
			// The slowquery export is empty unless the server writes the slow log to a file.
			p("slow_query_log", "1", "immediate"),
			p("long_query_time", strconv.FormatFloat(float64(SlowQueryMillis)/1000, 'f', -1, 64), "immediate"),
			p("log_output", "FILE", "immediate"),
		}
	}
	return rds.ParameterGroupParameterArray{
		p("rds.force_ssl", "1", "pending-reboot"),
		p("log_min_duration_statement", slow, "immediate"),
	}
}

// TLSParameter is the parameter that forces TLS on engine (always set to "1").
func TLSParameter(engine DbEngine) string {
	if engine == EngineMySQL {
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
	a := args.withDefaults(ctx, name)
	if err := a.validate(name); err != nil {
		return nil, err
	}
	family, _ := ParameterGroupFamily(a.Engine, a.EngineVersion)

	d := &Database{Engine: a.Engine, name: name, port: a.Engine.Port()}
	if err := ctx.RegisterComponentResource("rails-infra:infra:Database", name, d, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(d)

	// Names are auto-generated (unique suffix), so a replacement never collides with the old one.
	subnets, err := rds.NewSubnetGroup(ctx, name+"-subnets", &rds.SubnetGroupArgs{
		Description: pulumi.String("Private subnets of the Rails database"),
		SubnetIds:   a.SubnetIDs,
	}, parent)
	if err != nil {
		return nil, err
	}

	// No rules inline: ingress comes only from AllowFrom, and the provider removes AWS's default
	// allow-all egress (RDS answers on established connections and needs none).
	sg, err := ec2.NewSecurityGroup(ctx, name+"-sg", &ec2.SecurityGroupArgs{
		VpcId:       a.VpcID,
		Description: pulumi.Sprintf("%s port %d, only from the app security group", a.Engine, d.port),
	}, parent)
	if err != nil {
		return nil, err
	}

	params, err := rds.NewParameterGroup(ctx, name+"-params", &rds.ParameterGroupArgs{
		Family:      pulumi.String(family),
		Description: pulumi.Sprintf("Rails %s: TLS required, slow statements logged", family),
		Parameters:  dbParameters(a.Engine),
	}, parent)
	if err != nil {
		return nil, err
	}

	var finalSnapshot pulumi.StringPtrInput
	if !a.SkipFinalSnapshot {
		finalSnapshot = sg.ID().ToStringOutput().ApplyT(func(id string) *string {
			s := finalSnapshotName(a.IdentifierPrefix, id, a)
			return &s
		}).(pulumi.StringPtrOutput)
	}
	var maxStorage pulumi.IntPtrInput
	if a.MaxAllocatedStorage > 0 {
		maxStorage = pulumi.Int(a.MaxAllocatedStorage)
	}

	instanceOpts := []pulumi.ResourceOption{parent, pulumi.Protect(a.Protect)}
	instanceArgs := &rds.InstanceArgs{
		IdentifierPrefix: pulumi.String(a.IdentifierPrefix),
		Engine:           pulumi.String(string(a.Engine)),
		EngineVersion:    pulumi.String(a.EngineVersion),
		// Minor versions follow AWS automatically; a major upgrade happens only when
		// EngineVersion is changed on purpose, which this permits. It also replaces the
		// parameter group (new family), whose old copy can only be deleted once the instance
		// has switched, so major upgrades should run with ApplyImmediately.
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
		Port:                     pulumi.Int(d.port),
		DbSubnetGroupName:        subnets.Name,
		VpcSecurityGroupIds:      pulumi.StringArray{sg.ID()},
		ParameterGroupName:       params.Name,
		PubliclyAccessible:       pulumi.Bool(false),
		MultiAz:                  pulumi.Bool(a.MultiAz),
		CaCertIdentifier:         pulumi.String(DbCACertIdentifier),
		BackupRetentionPeriod:    pulumi.Int(*a.BackupRetentionDays),
		BackupWindow:             pulumi.String(a.BackupWindow),
		MaintenanceWindow:        pulumi.String(a.MaintenanceWindow),
		CopyTagsToSnapshot:       pulumi.Bool(true),
		DeletionProtection:       pulumi.Bool(a.DeletionProtection),
		SkipFinalSnapshot:        pulumi.Bool(a.SkipFinalSnapshot),
		FinalSnapshotIdentifier:  finalSnapshot,
		// Protected databases keep their automated backups for the retention period after deletion.
		DeleteAutomatedBackups:       pulumi.Bool(!a.Protect),
		ApplyImmediately:             pulumi.Bool(a.ApplyImmediately),
		EnabledCloudwatchLogsExports: pulumi.ToStringArray(a.Engine.LogExports()),
		PerformanceInsightsEnabled:   pulumi.Bool(a.PerformanceInsights),
	}
	if a.PerformanceInsights {
		// 7 days is the free tier.
		instanceArgs.PerformanceInsightsRetentionPeriod = pulumi.Int(7)
	}
	instance, err := rds.NewInstance(ctx, name, instanceArgs, instanceOpts...)
	if err != nil {
		return nil, err
	}

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

	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{
		"address":         d.Address,
		"port":            d.Port,
		"dbName":          d.DbName,
		"username":        d.Username,
		"secretArn":       d.SecretArn,
		"securityGroupId": d.SecurityGroupID,
	}); err != nil {
		return nil, err
	}
	return d, nil
}

// AllowFrom lets clientSG reach the database port: one ingress rule on the database security
// group whose only source is that security group. name identifies the client (e.g. "app").
func (d *Database) AllowFrom(ctx *pulumi.Context, name string, clientSG pulumi.StringInput) error {
	if name == "" || clientSG == nil {
		return errors.New("Database.AllowFrom: name and clientSG are required")
	}
	_, err := vpc.NewSecurityGroupIngressRule(ctx, d.name+"-from-"+name, &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId:           d.SecurityGroupID,
		Description:               pulumi.Sprintf("%s from the %s security group", d.Engine, name),
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  pulumi.Int(d.port),
		ToPort:                    pulumi.Int(d.port),
		ReferencedSecurityGroupId: clientSG,
	}, pulumi.Parent(d))
	return err
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
