package infra

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/mockengine"
)

// containerDefs parses a task definition's containerDefinitions input.
func containerDefs(t *testing.T, res *mockengine.Result, name string) ContainerDefinition {
	t.Helper()
	td := res.Find(awstype.EcsTaskDefinition, name)
	if td == nil {
		t.Fatalf("no task definition %s", name)
	}
	if mockengine.ContainsSecret(td.Inputs["containerDefinitions"]) {
		t.Errorf("%s containerDefinitions is marked secret; it must hold no secret value", name)
	}
	raw, _ := td.Input("containerDefinitions").(string)
	var defs []ContainerDefinition
	if err := json.Unmarshal([]byte(raw), &defs); err != nil {
		t.Fatalf("%s containerDefinitions is not JSON: %v\n%s", name, err, raw)
	}
	if len(defs) != 1 {
		t.Fatalf("%s has %d containers, want 1", name, len(defs))
	}
	return defs[0]
}

func envMap(c ContainerDefinition) map[string]string {
	m := map[string]string{}
	for _, kv := range c.Environment {
		m[kv.Name] = kv.Value
	}
	return m
}

func TestWebContainerDefinition(t *testing.T) {
	const smtp = "smtp-pass-Zq9!x"
	r := mustRunService(t, nil, map[string]string{"SMTP_PASSWORD": smtp})
	c := containerDefs(t, r.res, "app")
	env := envMap(c)
	bucket := r.res.Find(awstype.S3BucketV2, "app-uploads").ID
	logGroup := one(t, r.res, awstype.CloudWatchLogGroup).Outputs["name"].StringValue()

	t.Run("the environment is exactly what Rails needs plus appEnv", func(t *testing.T) {
		want := map[string]string{
			"RAILS_ENV": "production", "RAILS_LOG_TO_STDOUT": "true", "RAILS_SERVE_STATIC_FILES": "true", "PORT": "80",
			"DATABASE_ADAPTER": "postgresql", "DATABASE_HOST": testDBHost, "DATABASE_PORT": "5432",
			"DATABASE_NAME": "app_production", "DATABASE_USERNAME": "app", "S3_BUCKET": bucket,
			"AWS_REGION": "ap-northeast-1", "FEATURE_X": "on",
		}
		version := env[RolloutDigestEnv]
		delete(env, RolloutDigestEnv)
		if !reflect.DeepEqual(env, want) {
			t.Errorf("environment = %v\nwant %v", env, want)
		}
		if len(version) != 32 {
			t.Errorf("%s = %q, want a 32-char digest", RolloutDigestEnv, version)
		}
	})
	t.Run("secrets come from the DB secret and the stack's SSM parameters", func(t *testing.T) {
		got := map[string]string{}
		for _, s := range c.Secrets {
			got[s.Name] = s.ValueFrom
		}
		want := map[string]string{
			"DATABASE_PASSWORD": testDBSecretArn + ":password::",
			"SECRET_KEY_BASE":   "arn:aws:ssm:ap-northeast-1:123456789012:parameter/rails-infra/dev/SECRET_KEY_BASE",
			"SMTP_PASSWORD":     "arn:aws:ssm:ap-northeast-1:123456789012:parameter/rails-infra/dev/SMTP_PASSWORD",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("secrets = %v\nwant %v", got, want)
		}
	})
	t.Run("no secret value appears anywhere in the task definition", func(t *testing.T) {
		raw, _ := json.Marshal(c)
		skb := r.res.Find(awstype.SsmParameter, "app-secret-secret-key-base").Input("value").(string)
		for _, secret := range []string{smtp, skb} {
			if strings.Contains(string(raw), secret) {
				t.Errorf("container definition contains a secret value")
			}
		}
	})
	t.Run("logs go to the app log group with the web prefix", func(t *testing.T) {
		want := LogConfiguration{LogDriver: "awslogs", Options: map[string]string{
			"awslogs-group": logGroup, "awslogs-region": "ap-northeast-1", "awslogs-stream-prefix": "web"}}
		if !reflect.DeepEqual(c.LogConfiguration, want) {
			t.Errorf("logConfiguration = %+v, want %+v", c.LogConfiguration, want)
		}
	})
	t.Run("the web container listens on the container port", func(t *testing.T) {
		if c.Name != "web" || !c.Essential || len(c.PortMappings) != 1 || c.PortMappings[0] != (PortMapping{80, 80, "tcp"}) || c.Command != nil {
			t.Errorf("container = %s essential=%v ports=%v command=%v", c.Name, c.Essential, c.PortMappings, c.Command)
		}
	})
	t.Run("the non-root image may bind port 80 and nothing lower", func(t *testing.T) {
		want := []SystemControl{{Namespace: "net.ipv4.ip_unprivileged_port_start", Value: "80"}}
		if !reflect.DeepEqual(c.SystemControls, want) {
			t.Errorf("systemControls = %v, want %v", c.SystemControls, want)
		}
	})
	t.Run("the root filesystem is read-only except the Rails and ECS Exec scratch paths", func(t *testing.T) {
		paths := map[string]string{}
		for _, m := range c.MountPoints {
			paths[m.ContainerPath] = m.SourceVolume
		}
		want := map[string]string{"/rails/tmp": "app-tmp", "/rails/log": "app-log", "/tmp": "tmp", "/managed-agents": "managed-agents", "/var/lib/amazon": "ssm-agent-state", "/var/log/amazon": "ssm-agent-logs"}
		if !c.ReadonlyRootFilesystem || !reflect.DeepEqual(paths, want) {
			t.Errorf("readonly=%v mounts=%v, want true and %v", c.ReadonlyRootFilesystem, paths, want)
		}
		td := r.res.Find(awstype.EcsTaskDefinition, "app")
		vols, _ := td.Input("volumes").([]any)
		if len(vols) != len(want) {
			t.Errorf("task volumes = %v, want one per mount", vols)
		}
		for _, v := range vols {
			vm := v.(map[string]any)
			if len(vm) != 1 {
				t.Errorf("volume %v has a host path or driver; want a plain Fargate ephemeral volume", vm)
			}
			name, _ := vm["name"].(string)
			if !slices.Contains(slices.Collect(maps.Values(paths)), name) {
				t.Errorf("volume %q is mounted nowhere", name)
			}
		}
		for _, m := range c.MountPoints {
			if m.ReadOnly {
				t.Errorf("mount %s is read-only; the scratch paths must be writable", m.ContainerPath)
			}
		}
		if raw, _ := td.Input("containerDefinitions").(string); strings.Contains(raw, `"privileged":true`) {
			t.Error("container is privileged")
		}
	})
	t.Run("the task is Fargate awsvpc with the configured size and both roles", func(t *testing.T) {
		td := r.res.Find(awstype.EcsTaskDefinition, "app")
		exec := r.res.Find(awstype.IamRole, "app-execution").Outputs["arn"].StringValue()
		task := r.res.Find(awstype.IamRole, "app-task").Outputs["arn"].StringValue()
		if td.Input("networkMode") != "awsvpc" || td.Input("cpu") != "512" || td.Input("memory") != "1024" ||
			td.Input("executionRoleArn") != exec || td.Input("taskRoleArn") != task || td.Input("family") != "rails-infra-dev-web" {
			t.Errorf("task definition = %v", mockengine.PlainMap(td.Inputs, true))
		}
		if rc, _ := td.Input("requiresCompatibilities").([]any); len(rc) != 1 || rc[0] != "FARGATE" {
			t.Errorf("requiresCompatibilities = %v", rc)
		}
	})
	t.Run("a writable root filesystem drops the scratch mounts", func(t *testing.T) {
		r := mustRunService(t, func(a *AppServiceArgs) { a.ReadonlyRootFilesystem = boolRef(false) }, nil)
		c := containerDefs(t, r.res, "app")
		if c.ReadonlyRootFilesystem || len(c.MountPoints) != 0 {
			t.Errorf("readonly=%v mounts=%v, want false and none", c.ReadonlyRootFilesystem, c.MountPoints)
		}
	})
}

func TestMigrateMirrorsWeb(t *testing.T) {
	r := mustRunService(t, nil, map[string]string{"SMTP_PASSWORD": "x-secret-value"})
	web := containerDefs(t, r.res, "app")
	migrate := containerDefs(t, r.res, "app-migrate")
	t.Run("migrate runs bin/rails db:migrate", func(t *testing.T) {
		if !reflect.DeepEqual(migrate.Command, []string{"bin/rails", "db:migrate"}) {
			t.Errorf("command = %v", migrate.Command)
		}
	})
	t.Run("migrate logs under its own stream prefix", func(t *testing.T) {
		if migrate.LogConfiguration.Options["awslogs-stream-prefix"] != "migrate" {
			t.Errorf("stream prefix = %q", migrate.LogConfiguration.Options["awslogs-stream-prefix"])
		}
	})
	t.Run("everything else (image, env, secrets, mounts) is identical", func(t *testing.T) {
		m := migrate
		m.Command = nil
		m.LogConfiguration.Options = map[string]string{}
		for k, v := range migrate.LogConfiguration.Options {
			m.LogConfiguration.Options[k] = v
		}
		m.LogConfiguration.Options["awslogs-stream-prefix"] = "web"
		if !reflect.DeepEqual(m, web) {
			a, _ := json.Marshal(m)
			b, _ := json.Marshal(web)
			t.Errorf("migrate differs beyond command and prefix:\n%s\n%s", a, b)
		}
	})
	t.Run("both task definitions share size, platform, roles and volumes", func(t *testing.T) {
		a := r.res.Find(awstype.EcsTaskDefinition, "app")
		b := r.res.Find(awstype.EcsTaskDefinition, "app-migrate")
		for _, k := range []string{"cpu", "memory", "networkMode", "runtimePlatform", "executionRoleArn", "taskRoleArn", "volumes", "requiresCompatibilities"} {
			if !reflect.DeepEqual(a.Input(k), b.Input(k)) {
				t.Errorf("%s: web %v, migrate %v", k, a.Input(k), b.Input(k))
			}
		}
	})
}

func TestUnprivilegedPortsFollowTheContainerPort(t *testing.T) {
	cases := []struct {
		port int
		want []SystemControl
	}{
		{80, []SystemControl{{"net.ipv4.ip_unprivileged_port_start", "80"}}},
		{443, []SystemControl{{"net.ipv4.ip_unprivileged_port_start", "443"}}},
		{1024, nil},
		{3000, nil},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("port %d", tc.port), func(t *testing.T) {
			if got := unprivilegedPorts(tc.port); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("unprivilegedPorts(%d) = %v, want %v", tc.port, got, tc.want)
			}
		})
	}
}

func TestCustomContainerPortFlowsEverywhere(t *testing.T) {
	r := mustRunService(t, func(a *AppServiceArgs) { a.ContainerPort = 3000 }, nil)
	c := containerDefs(t, r.res, "app")
	tg := one(t, r.res, awstype.LbTargetGroup)
	svc := r.res.Find(awstype.EcsService, "app")
	lbs, _ := svc.Input("loadBalancers").([]any)
	checks := []struct {
		name      string
		got, want any
	}{
		{"PORT tells Rails where to listen", envMap(c)["PORT"], "3000"},
		{"the container maps the port", c.PortMappings, []PortMapping{{3000, 3000, "tcp"}}},
		{"the target group sends traffic there", tg.Input("port"), 3000.0},
		{"the service registers that port", len(lbs) == 1 && lbs[0].(map[string]any)["containerPort"] == 3000.0, true},
		{"no sysctl is needed above 1023", len(c.SystemControls), 0},
	}
	for _, tc := range checks {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}
