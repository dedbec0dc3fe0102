package infra

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DatabaseWatch is what Monitoring needs to watch the RDS instance: its identifier (the
// AWS/RDS DBInstanceIdentifier dimension and the event subscription's source), its ARN (the
// topic policy's source) and the sizes its thresholds are derived from.
type DatabaseWatch struct {
	InstanceID, InstanceArn pulumi.StringInput
	Engine                  DbEngine
	InstanceClass           string
	// AllocatedStorageGiB is the storage the instance starts with; MaxAllocatedStorageGiB the
	// storage autoscaling ceiling (0: autoscaling off).
	AllocatedStorageGiB, MaxAllocatedStorageGiB int
}

type databaseWatchSettings struct {
	class               string
	allocated, maxAlloc int
}

func databaseWatchOf(a DatabaseArgs) databaseWatchSettings {
	s := databaseWatchSettings{class: a.InstanceClass, allocated: a.AllocatedStorage}
	if a.MaxAllocatedStorage != nil {
		s.maxAlloc = *a.MaxAllocatedStorage
	}
	return s
}

// Watch is the database for Monitoring.
func (d *Database) Watch() DatabaseWatch {
	return DatabaseWatch{
		InstanceID: d.Instance.Identifier, InstanceArn: d.Instance.Arn,
		Engine: d.Engine, InstanceClass: d.watch.class,
		AllocatedStorageGiB: d.watch.allocated, MaxAllocatedStorageGiB: d.watch.maxAlloc,
	}
}

// instanceMemoryGiB is the memory of the RDS instance classes this project prices and sizes
// alarms for (RDS user guide, "Hardware specifications for DB instance classes"): burstable
// db.t3/db.t4g by size, and per "large" for the general-purpose (m) and memory-optimized (r)
// families, doubling with each size step. ok is false for any other class.
func instanceMemoryGiB(class string) (gib float64, ok bool) {
	parts := strings.Split(class, ".")
	if len(parts) != 3 || parts[0] != "db" {
		return 0, false
	}
	family, size := parts[1], parts[2]
	if family == "t3" || family == "t4g" {
		m, ok := map[string]float64{"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32}[size]
		return m, ok
	}
	perLarge := 0.0
	switch family {
	case "m5", "m6g", "m6i", "m7g", "m7i":
		perLarge = 8
	case "r5", "r6g", "r6i", "r7g", "r7i":
		perLarge = 16
	default:
		return 0, false
	}
	steps := map[string]float64{"large": 1, "xlarge": 2, "2xlarge": 4, "4xlarge": 8, "8xlarge": 16, "12xlarge": 24, "16xlarge": 32, "24xlarge": 48}
	n, ok := steps[size]
	return perLarge * n, ok
}

// dbClassMemoryShare is DBInstanceClassMemory as a share of the class's memory: RDS keeps part
// of the memory for the OS and its own processes, so the max_connections formulas see less than
// the class's nominal memory (about three quarters on the small classes; an estimate, checked
// with `SHOW max_connections` after the first deploy, see docs/runbook.md).
const dbClassMemoryShare = 0.75

// estimatedMaxConnections is the engine's default max_connections for the class (RDS user guide,
// "Maximum number of database connections"): PostgreSQL LEAST(DBInstanceClassMemory/9531392,
// 5000), MySQL DBInstanceClassMemory/12582880. ok is false for a class without a known memory.
func estimatedMaxConnections(engine DbEngine, class string) (int, bool) {
	gib, ok := instanceMemoryGiB(class)
	if !ok {
		return 0, false
	}
	mem := gib * dbClassMemoryShare * 1024 * 1024 * 1024
	if engine == EngineMySQL {
		return int(mem / 12582880), true
	}
	return min(int(mem/9531392), 5000), true
}
