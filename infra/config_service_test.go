package infra

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestServiceConfigDefaults(t *testing.T) {
	for _, tc := range []struct {
		stack                                  string
		desired, minCount, maxCount, retention int
		insights                               bool
	}{
		{"dev", 1, 1, 2, 30, false},
		{"prod", 2, 2, 6, 365, true},
	} {
		t.Run(tc.stack+" gets its environment's defaults", func(t *testing.T) {
			c, err := parseConfig(t, tc.stack, nil)
			if err != nil {
				t.Fatal(err)
			}
			s := c.Service
			got := []any{*s.DesiredCount, *s.MinCount, s.MaxCount, s.LogRetentionDays, *s.ContainerInsights,
				s.ContainerPort, s.CPU, s.Memory, s.CPUArchitecture, s.HealthCheckPath, s.HealthCheckIntervalSeconds,
				s.HealthCheckTimeoutSeconds, s.HealthyThreshold, s.UnhealthyThreshold, *s.HealthCheckGraceSeconds, *s.DeregistrationDelaySeconds,
				s.AllowedCidrs, *s.ReadonlyRootFilesystem, s.Spot, s.HasImage()}
			want := []any{tc.desired, tc.minCount, tc.maxCount, tc.retention, tc.insights,
				80, 256, 512, ArchX86, "/up", 10, 5, 2, 3, 60, 30, []string{"0.0.0.0/0"}, true, false, false}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("defaults = %v\nwant %v", got, want)
			}
		})
	}
	t.Run("app secrets and secretKeyBase are read as secrets", func(t *testing.T) {
		c, err := parseConfig(t, "dev", map[string]string{
			"appSecrets":    `{"SMTP_PASSWORD":"pw","STRIPE_KEY":"sk"}`,
			"secretKeyBase": strings.Repeat("ab", 64),
		}, secret("appSecrets", "secretKeyBase"))
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Service.AppSecrets) != 2 || c.Service.AppSecrets["SMTP_PASSWORD"] == nil || c.Service.SecretKeyBase == nil {
			t.Errorf("secrets = %+v / %+v", c.Service.AppSecrets, c.Service.SecretKeyBase)
		}
	})
}

func TestServiceConfigRejects(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stack   string
		values  map[string]string
		secret  []string
		key     string
		mention string
	}{
		{"memory that does not fit the cpu", "dev", map[string]string{"cpu": "256", "memory": "4096"}, nil, "memory", "512, 1024, 2048"},
		{"a cpu Fargate does not offer", "dev", map[string]string{"cpu": "768"}, nil, "cpu", "not a Fargate size"},
		{"a secret-looking appEnv name", "dev", map[string]string{"appEnv": `{"SMTP_PASSWORD":"x"}`}, nil, "appEnv", "appSecrets"},
		{"AWS keys in appEnv", "dev", map[string]string{"appEnv": `{"AWS_ACCESS_KEY_ID":"AKIA"}`}, nil, "appEnv", "task role"},
		{"DATABASE_URL in appEnv", "dev", map[string]string{"appEnv": `{"DATABASE_URL":"postgres://"}`}, nil, "appEnv", "looks like a secret"},
		{"an appEnv name we set", "dev", map[string]string{"appEnv": `{"RAILS_ENV":"staging"}`}, nil, "appEnv", "set by rails-infra"},
		{"an appSecrets name we set", "dev", map[string]string{"appSecrets": `{"SECRET_KEY_BASE":"x"}`}, []string{"appSecrets"}, "appSecrets", "set by rails-infra"},
		{"plain-text appSecrets", "dev", map[string]string{"appSecrets": `{"SMTP_PASSWORD":"x"}`}, nil, "appSecrets", "--secret"},
		{"a name in both appEnv and appSecrets", "dev", map[string]string{"appEnv": `{"MAILER":"a"}`, "appSecrets": `{"MAILER":"b"}`}, []string{"appSecrets"}, "appSecrets", "also set in appEnv"},
		{"a short secretKeyBase", "dev", map[string]string{"secretKeyBase": "short"}, []string{"secretKeyBase"}, "secretKeyBase", "64"},
		{"timeout equal to interval", "dev", map[string]string{"healthCheckTimeoutSeconds": "10"}, nil, "healthCheckTimeoutSeconds", "less than healthCheckIntervalSeconds"},
		{"min above max", "dev", map[string]string{"minCount": "3", "maxCount": "2", "desiredCount": "2"}, nil, "minCount", "above maxCount"},
		{"desired above max", "dev", map[string]string{"desiredCount": "5"}, nil, "desiredCount", "between minCount"},
		{"a relative health check path", "dev", map[string]string{"healthCheckPath": "up"}, nil, "healthCheckPath", "starting with /"},
		{"a health check path longer than a listener rule allows", "dev", map[string]string{"healthCheckPath": "/" + strings.Repeat("a", 128)}, nil, "healthCheckPath", "at most 128"},
		{"a wildcard health check path", "dev", map[string]string{"healthCheckPath": "/health/*"}, nil, "healthCheckPath", "no spaces, query, fragment or *"},
		{"spot in prod", "prod", map[string]string{"spot": "true"}, nil, "spot", "dev stacks only"},
		{"both image sources", "dev", map[string]string{"imageTag": "v1", "appBuildContext": "."}, nil, "imageTag", "pick one"},
		{"a Dockerfile without a build context", "dev", map[string]string{"appDockerfile": "Dockerfile"}, nil, "appDockerfile", "appBuildContext"},
		{"a repository URL as the tag", "dev", map[string]string{"imageTag": "123.dkr.ecr/app:v1"}, nil, "imageTag", "only the tag"},
		{"an IPv6 allowed CIDR", "dev", map[string]string{"allowedCidrs": `["2001:db8::/32"]`}, nil, "allowedCidrs", "IPv4"},
		{"an allowed CIDR with host bits", "dev", map[string]string{"allowedCidrs": `["203.0.113.7/24"]`}, nil, "allowedCidrs", "host bits"},
		{"an unknown architecture", "dev", map[string]string{"cpuArchitecture": "arm64"}, nil, "cpuArchitecture", "X86_64 | ARM64"},
		{"a retention CloudWatch lacks", "dev", map[string]string{"logRetentionDays": "45"}, nil, "logRetentionDays", "one of"},
		{"a password inside a URL in appEnv", "dev", map[string]string{"appEnv": `{"REDIS_URL":"redis://:hunter2@cache:6379/0"}`}, nil, "appEnv", "credential"},
		{"a user and password inside a URL in appEnv", "dev", map[string]string{"appEnv": `{"QUEUE":"amqp://app:hunter2@mq/vhost"}`}, nil, "appEnv", "appSecrets"},
		{"an AWS access key id in appEnv", "dev", map[string]string{"appEnv": `{"UPLOADER":"AKIAIOSFODNN7EXAMPLE"}`}, nil, "appEnv", "access key"},
		{"appEnv set with --secret", "dev", map[string]string{"appEnv": `{"FEATURE_X":"on"}`}, []string{"appEnv"}, "appEnv", "secrets belong in appSecrets"},
		{"a non-ASCII health check path", "dev", map[string]string{"healthCheckPath": "/héalth"}, nil, "healthCheckPath", "'é', which is not ASCII"},
		{"a percent-encoded health check path", "dev", map[string]string{"healthCheckPath": "/health%20check"}, nil, "healthCheckPath", "ASCII letters, digits and"},
		{"an empty allowed CIDR list", "dev", map[string]string{"allowedCidrs": `[]`}, nil, "allowedCidrs", "unreachable"},
		{"a cpu below Fargate's range", "dev", map[string]string{"cpu": "128"}, nil, "cpu", "from 256 to 16384"},
		{"memory above Fargate's range", "dev", map[string]string{"cpu": "16384", "memory": "131072"}, nil, "memory", "from 512 to 122880"},
		{"a cpu that is not a number", "dev", map[string]string{"cpu": "a lot"}, nil, "cpu", "is not a whole number: it must be from 256 to 16384"},
		{"a negative min count", "dev", map[string]string{"minCount": "-1"}, nil, "minCount", "from 0 to 100"},
		{"a desired count that is not a number", "dev", map[string]string{"desiredCount": "two"}, nil, "desiredCount", "is not a whole number: it must be from 0 to 100"},
		{"a max count of 0", "dev", map[string]string{"maxCount": "0", "minCount": "0", "desiredCount": "0"}, nil, "maxCount", "from 1 to 100"},
		{"a CPU target of 95%", "dev", map[string]string{"cpuTargetPercent": "95"}, nil, "cpuTargetPercent", "from 10 to 90"},
		{"negative requests per target", "dev", map[string]string{"requestsPerTarget": "-5"}, nil, "requestsPerTarget", "from 0 to 100000"},
		{"a 3-second health check interval", "dev", map[string]string{"healthCheckIntervalSeconds": "3", "healthCheckTimeoutSeconds": "2"}, nil, "healthCheckIntervalSeconds", "from 5 to 300"},
		{"a healthy threshold of 1", "dev", map[string]string{"healthyThreshold": "1"}, nil, "healthyThreshold", "from 2 to 10"},
		{"an unhealthy threshold of 11", "dev", map[string]string{"unhealthyThreshold": "11"}, nil, "unhealthyThreshold", "from 2 to 10"},
		{"a negative grace period", "dev", map[string]string{"healthCheckGraceSeconds": "-1"}, nil, "healthCheckGraceSeconds", "from 0 to 3600"},
		{"a deregistration delay over an hour", "dev", map[string]string{"deregistrationDelaySeconds": "3601"}, nil, "deregistrationDelaySeconds", "from 0 to 3600"},
		{"readonlyRootFilesystem as yes", "dev", map[string]string{"readonlyRootFilesystem": "yes"}, nil, "readonlyRootFilesystem", "true or false"},
		{"spot with ARM64, which Fargate Spot never places", "dev", map[string]string{"spot": "true", "cpuArchitecture": "ARM64"}, nil, "spot", "Fargate Spot runs only X86_64"},
		{"61 allowed CIDRs on port 80, over 60 rules per security group", "dev", map[string]string{"allowedCidrs": cidrList(61)}, nil, "allowedCidrs", "61 inbound rules"},
		{"31 allowed CIDRs in prod, where 80 and 443 make 62 rules", "prod", map[string]string{"allowedCidrs": cidrList(31)}, nil, "allowedCidrs", "62 inbound rules (one per CIDR on each of ports 80, 443)"},
		{"an appSecrets value over the 4 KB Standard SSM tier", "dev", map[string]string{"appSecrets": `{"TLS_CERT":"` + strings.Repeat("a", 4097) + `"}`}, []string{"appSecrets"}, "appSecrets", "at most 4096 bytes"},
	} {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			_, err := parseConfig(t, tc.stack, tc.values, secret(tc.secret...))
			wantProblem(t, err, tc.key, tc.mention, "")
		})
	}
	t.Run("a credential in appEnv is reported by name, never by value", func(t *testing.T) {
		_, err := parseConfig(t, "dev", map[string]string{"appEnv": `{"REDIS_URL":"redis://:hunter2@cache:6379/0"}`})
		if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "REDIS_URL") {
			t.Errorf("err = %v, want one naming REDIS_URL without the password", err)
		}
	})
	t.Run("URLs without a password and plain values pass", func(t *testing.T) {
		c, err := parseConfig(t, "dev", map[string]string{"appEnv": `{"REDIS_URL":"redis://cache:6379/0","API_BASE":"https://api.example.com:8443/v1","MAILER_FROM":"app@example.co.jp"}`})
		if err != nil || len(c.Service.AppEnv) != 3 {
			t.Errorf("err = %v, appEnv = %v; want all three accepted", err, c)
		}
	})
	t.Run("explicit zeros and false are kept, not replaced by the defaults", func(t *testing.T) {
		c, err := parseConfig(t, "prod", map[string]string{
			"desiredCount": "0", "minCount": "0", "healthCheckGraceSeconds": "0", "deregistrationDelaySeconds": "0",
			"containerInsights": "false", "readonlyRootFilesystem": "false",
		})
		if err != nil {
			t.Fatal(err)
		}
		s := c.Service
		got := []any{*s.DesiredCount, *s.MinCount, *s.HealthCheckGraceSeconds, *s.DeregistrationDelaySeconds, *s.ContainerInsights, *s.ReadonlyRootFilesystem}
		if want := []any{0, 0, 0, 0, false, false}; !reflect.DeepEqual(got, want) {
			t.Errorf("desired, min, grace, deregistration, insights, readonly = %v, want %v", got, want)
		}
		// NewAppService defaults its args again: the explicit values must survive that too.
		s.defaults()
		if *s.DesiredCount != 0 || *s.HealthCheckGraceSeconds != 0 || *s.ContainerInsights {
			t.Errorf("after defaults(): desired %d, grace %d, insights %v; want 0, 0, false", *s.DesiredCount, *s.HealthCheckGraceSeconds, *s.ContainerInsights)
		}
	})
	t.Run("limits are inclusive: 60 CIDRs on 80, 30 on 80 and 443, and a 4096-byte secret pass", func(t *testing.T) {
		for _, tc := range []struct {
			stack  string
			values map[string]string
			secret []string
		}{
			{"dev", map[string]string{"allowedCidrs": cidrList(60)}, nil},
			{"prod", map[string]string{"allowedCidrs": cidrList(30)}, nil},
			{"dev", map[string]string{"appSecrets": `{"TLS_CERT":"` + strings.Repeat("a", 4096) + `"}`}, []string{"appSecrets"}},
		} {
			if _, err := parseConfig(t, tc.stack, tc.values, secret(tc.secret...)); err != nil {
				t.Errorf("%s %v: err = %v, want none", tc.stack, slices.Collect(maps.Keys(tc.values)), err)
			}
		}
	})
	t.Run("spot with X86_64 and on-demand ARM64 pass", func(t *testing.T) {
		for _, v := range []map[string]string{{"spot": "true", "cpuArchitecture": "X86_64"}, {"cpuArchitecture": "ARM64"}} {
			if _, err := parseConfig(t, "dev", v); err != nil {
				t.Errorf("%v: err = %v, want none", v, err)
			}
		}
	})
	t.Run("a secret problem never prints the value", func(t *testing.T) {
		_, err := parseConfig(t, "dev", map[string]string{"secretKeyBase": "tiny-secret"}, secret("secretKeyBase"))
		if err == nil || strings.Contains(err.Error(), "tiny-secret") {
			t.Errorf("err = %v, want an error without the value", err)
		}
	})
}

func TestFargateSizes(t *testing.T) {
	for _, tc := range []struct {
		cpu, mem int
		ok       bool
	}{
		{256, 512, true}, {256, 2048, true}, {256, 3072, false},
		{512, 1024, true}, {512, 4096, true}, {512, 512, false},
		{1024, 8192, true}, {2048, 16384, true}, {4096, 30720, true}, {4096, 31744, false},
		{8192, 16384, true}, {8192, 20480, true}, {8192, 17408, false},
		{16384, 122880, true}, {16384, 40960, true}, {16384, 36864, false}, {3000, 6144, false},
	} {
		t.Run(fmt.Sprintf("cpu %d with %d MiB", tc.cpu, tc.mem), func(t *testing.T) {
			if got := checkFargateSize(tc.cpu, tc.mem) == ""; got != tc.ok {
				t.Errorf("checkFargateSize(%d, %d) ok = %v, want %v", tc.cpu, tc.mem, got, tc.ok)
			}
		})
	}
}

func TestHealthCheckPathLimits(t *testing.T) {
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{"/up", true}, {"/" + strings.Repeat("a", 127), true}, {"/" + strings.Repeat("a", 128), false},
		{"/health/*", false}, {"/up?full=1", false}, {"up", false}, {"", false},
		{"/héalth", false}, {"/health check", false}, {"/health%20check", false}, {"/up#top", false},
		{"/health/live-v1.json", true}, {"/_ah/health;v=1", true}, {"/~ops/up", true},
	} {
		t.Run(fmt.Sprintf("%d-char path %.12q", len(tc.path), tc.path), func(t *testing.T) {
			if got := healthCheckPathProblem(tc.path) == ""; got != tc.ok {
				t.Errorf("healthCheckPathProblem(%q) ok = %v, want %v", tc.path, got, tc.ok)
			}
		})
	}
}

func TestSecretLookingEnvNames(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secret bool
	}{
		{"SMTP_PASSWORD", true}, {"REDIS_PASS", true}, {"MYSQL_PWD", true}, {"GPG_PASSPHRASE", true},
		{"GITHUB_TOKEN", true}, {"STRIPE_SECRET", true}, {"RAILS_MASTER_KEY", true}, {"API_KEY_ID", true},
		{"DATABASE_URL", true}, {"SENTRY_DSN", true}, {"GOOGLE_APPLICATION_CREDENTIALS", true},
		{"FEATURE_X", false}, {"PASSENGER_MAX_POOL", false}, {"KEYBOARD_LAYOUT", false}, {"REDIS_URL", false},
		{"WEB_CONCURRENCY", false}, {"TZ", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := secretLooking.MatchString(tc.name); got != tc.secret {
				t.Errorf("secretLooking(%s) = %v, want %v", tc.name, got, tc.secret)
			}
		})
	}
}

// cidrList is n distinct /24 blocks as a JSON list.
func cidrList(n int) string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("10.%d.%d.0/24", i/256, i%256)
	}
	b, _ := json.Marshal(out)
	return string(b)
}
