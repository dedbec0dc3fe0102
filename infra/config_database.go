package infra

// DatabaseConfig holds the database keys (issue: Database component).
type DatabaseConfig struct{}

func (r *reader) database(c *Config) {}
