package infra

// DomainConfig holds the domain/TLS keys (issue: Domain component).
type DomainConfig struct{}

func (r *reader) domain(c *Config) {}

func (r *reader) domainCrossChecks(c *Config) {}
