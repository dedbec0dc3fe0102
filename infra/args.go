package infra

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// ServiceArgs maps the service settings; the caller adds the network and the database.
// HTTPS follows the domain: with one, port 80 redirects and the Domain adds the 443 listener.
func (c *Config) ServiceArgs(account Account) *AppServiceArgs {
	s := c.Service
	appSecrets := map[string]pulumi.StringInput{}
	for k, v := range s.AppSecrets {
		appSecrets[k] = v.Value
	}
	var secretKeyBase pulumi.StringInput
	if s.SecretKeyBase.Set {
		secretKeyBase = s.SecretKeyBase.Value
	}
	return &AppServiceArgs{
		Account:                account,
		HTTPS:                  c.Domain.Enabled(),
		ImageTag:               s.ImageTag,
		BuildContext:           s.AppBuildContext,
		Dockerfile:             s.AppDockerfile,
		ContainerPort:          s.ContainerPort,
		CPU:                    s.CPU,
		Memory:                 s.Memory,
		CPUArchitecture:        s.CPUArchitecture,
		WritableRootFilesystem: !s.ReadonlyRootFilesystem,
		DesiredCount:           s.DesiredCount,
		MinCount:               s.MinCount,
		MaxCount:               s.MaxCount,
		CPUTargetPercent:       s.CPUTargetPercent,
		RequestsPerTarget:      s.RequestsPerTarget,
		HealthCheck: HealthCheck{
			Path:               s.HealthCheckPath,
			IntervalSeconds:    s.HealthCheckIntervalSeconds,
			TimeoutSeconds:     s.HealthCheckTimeoutSeconds,
			HealthyThreshold:   s.HealthyThreshold,
			UnhealthyThreshold: s.UnhealthyThreshold,
		},
		HealthCheckGraceSeconds:    s.HealthCheckGraceSeconds,
		DeregistrationDelaySeconds: s.DeregistrationDelaySeconds,
		LogRetentionDays:           s.LogRetentionDays,
		Spot:                       s.Spot,
		ContainerInsights:          s.ContainerInsights,
		AllowedCidrs:               s.AllowedCidrs,
		AppEnv:                     s.AppEnv,
		AppSecrets:                 appSecrets,
		SecretKeyBase:              secretKeyBase,
		DeletionProtection:         c.IsProd(),
		ForceDestroy:               !c.IsProd(),
		ImmutableImageTags:         c.IsProd(),
		MigrateBeforeDeploy:        s.MigrateBeforeDeploy,
	}
}
