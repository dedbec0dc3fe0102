package infra

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// DatabaseArgs maps the database settings; the caller adds the VPC and subnets.
func (c *Config) DatabaseArgs() *DatabaseArgs {
	d := c.Database
	return &DatabaseArgs{
		Engine:              d.Engine,
		EngineVersion:       d.EngineVersion,
		InstanceClass:       d.InstanceClass,
		AllocatedStorage:    d.AllocatedStorage,
		MaxAllocatedStorage: d.MaxAllocatedStorage,
		MultiAz:             d.MultiAz,
		BackupRetentionDays: pulumi.IntRef(d.BackupRetentionDays),
		DeletionProtection:  d.DeletionProtection,
		SkipFinalSnapshot:   !d.FinalSnapshot,
		Protect:             c.IsProd(),
		ApplyImmediately:    d.ApplyImmediately,
		PerformanceInsights: d.PerformanceInsights,
		DbName:              d.Name,
		Username:            d.Username,
	}
}
