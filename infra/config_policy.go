package infra

// PolicyConfig holds the offline plan's policy waivers (issue: offline plan).
type PolicyConfig struct{}

func (r *reader) policy(c *Config) {}
