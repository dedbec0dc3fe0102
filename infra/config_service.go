package infra

// ServiceConfig holds the app service keys (issue: App service component).
type ServiceConfig struct{}

func (r *reader) service(c *Config) {}

func (r *reader) serviceCrossChecks(c *Config) {}
