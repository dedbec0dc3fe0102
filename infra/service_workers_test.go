package infra

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/mockengine"
)

// twoWorkers is a Sidekiq worker that autoscales and a Solid Queue worker that does not.
func twoWorkers(a *AppServiceArgs) {
	a.Workers = map[string]WorkerArgs{
		"sidekiq": {Command: []string{"bundle", "exec", "sidekiq"}, CPU: 512, Memory: 1024, DesiredCount: intRef(2), MinCount: intRef(1), MaxCount: 4, StopTimeout: 25},
		"jobs":    {Command: []string{"bin/jobs"}},
	}
}

func TestWorkersRunTheWebContainerWithTheirOwnProcess(t *testing.T) {
	r := mustRunService(t, twoWorkers, map[string]string{"SMTP_PASSWORD": "pw"})
	web := containerDefs(t, r.res, "app")
	webTD := r.res.Find(awstype.EcsTaskDefinition, "app")
	for _, tc := range []struct {
		name, family string
		command      []string
		cpu, memory  string
		stopTimeout  int
	}{
		{"sidekiq", "rails-infra-dev-worker-sidekiq", []string{"bundle", "exec", "sidekiq"}, "512", "1024", 25},
		{"jobs", "rails-infra-dev-worker-jobs", []string{"bin/jobs"}, "256", "512", DefaultStopTimeoutSeconds},
	} {
		td := r.res.Find(awstype.EcsTaskDefinition, "app-worker-"+tc.name)
		if td == nil {
			t.Fatalf("no task definition app-worker-%s", tc.name)
		}
		c := containerDefs(t, r.res, "app-worker-"+tc.name)
		t.Run(tc.name+" has its own family, command, size, stop timeout and log stream prefix", func(t *testing.T) {
			got := []any{td.Input("family"), c.Command, td.Input("cpu"), td.Input("memory"), c.StopTimeout, c.LogConfiguration.Options["awslogs-stream-prefix"]}
			want := []any{tc.family, tc.command, tc.cpu, tc.memory, tc.stopTimeout, "worker-" + tc.name}
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(want)
			if string(gb) != string(wb) {
				t.Errorf("%s: got %s, want %s", td.Name, gb, wb)
			}
		})
		t.Run(tc.name+" gets the web's image, env, secrets, mounts, log group and roles", func(t *testing.T) {
			if c.Image != web.Image || !slices.Equal(c.Environment, web.Environment) || !slices.Equal(c.Secrets, web.Secrets) ||
				!slices.Equal(c.MountPoints, web.MountPoints) || c.ReadonlyRootFilesystem != web.ReadonlyRootFilesystem ||
				c.LogConfiguration.Options["awslogs-group"] != web.LogConfiguration.Options["awslogs-group"] {
				t.Errorf("%s container differs from web's beyond command and size:\n got %+v\nwant %+v", td.Name, c, web)
			}
			for _, k := range []string{"executionRoleArn", "taskRoleArn"} {
				if td.Input(k) != webTD.Input(k) {
					t.Errorf("%s %s = %v, want web's %v", td.Name, k, td.Input(k), webTD.Input(k))
				}
			}
			if !slices.ContainsFunc(c.Secrets, func(s SecretRef) bool { return s.Name == "SMTP_PASSWORD" }) {
				t.Errorf("%s secrets = %v, want the app secret SMTP_PASSWORD", td.Name, c.Secrets)
			}
		})
		t.Run(tc.name+" listens on no port", func(t *testing.T) {
			if len(c.PortMappings) != 0 || len(c.SystemControls) != 0 {
				t.Errorf("%s portMappings = %v, systemControls = %v; want none", td.Name, c.PortMappings, c.SystemControls)
			}
		})
	}
}

func TestWorkerServices(t *testing.T) {
	r := mustRunService(t, twoWorkers, nil)
	web := r.res.Find(awstype.EcsService, "app")
	for _, name := range []string{"jobs", "sidekiq"} {
		svc := r.res.Find(awstype.EcsService, "app-worker-"+name)
		if svc == nil {
			t.Fatalf("no service app-worker-%s", name)
		}
		td := r.res.Find(awstype.EcsTaskDefinition, "app-worker-"+name)
		cb, _ := svc.Input("deploymentCircuitBreaker").(map[string]any)
		for _, c := range []struct {
			name      string
			got, want any
		}{
			{"runs its own task definition", svc.Input("taskDefinition"), outputString(t, td, "arn")},
			{"runs in web's network (private subnets, the app SG, no public IP)", svc.Input("networkConfiguration"), web.Input("networkConfiguration")},
			{"has no load balancer", svc.Input("loadBalancers"), nil},
			{"has no health check grace period (only valid with a load balancer)", svc.Input("healthCheckGracePeriodSeconds"), nil},
			{"enables ECS Exec", svc.Input("enableExecuteCommand"), true},
			{"has the circuit breaker with rollback", cb, map[string]any{"enable": true, "rollback": true}},
			{"waits for steady state", svc.Input("waitForSteadyState"), true},
			{"uses the stack's capacity provider", svc.Input("capacityProviderStrategies"), web.Input("capacityProviderStrategies")},
			{"runs in the web's cluster", svc.Input("cluster"), web.Input("cluster")},
		} {
			t.Run(name+" "+c.name, func(t *testing.T) {
				gb, _ := json.Marshal(c.got)
				wb, _ := json.Marshal(c.want)
				if string(gb) != string(wb) {
					t.Errorf("%s: got %s, want %s", svc.Name, gb, wb)
				}
			})
		}
		t.Run(name+" waits for everything web waits for but its own task definition and target group", func(t *testing.T) {
			for _, dep := range web.DependsOn {
				own := strings.Contains(dep, awstype.EcsTaskDefinition+"::") || strings.Contains(dep, awstype.LbTargetGroup+"::")
				if !own && !slices.Contains(svc.DependsOn, dep) {
					t.Errorf("%s does not depend on %s, which web waits for", svc.Name, dep)
				}
			}
		})
	}
	t.Run("sidekiq starts at its desired count and autoscales between min and max on CPU", func(t *testing.T) {
		svc := r.res.Find(awstype.EcsService, "app-worker-sidekiq")
		if svc.Input("desiredCount") != 2.0 || !slices.Contains(svc.IgnoreChanges, "desiredCount") {
			t.Errorf("desiredCount = %v, ignoreChanges = %v; want 2 and desiredCount ignored", svc.Input("desiredCount"), svc.IgnoreChanges)
		}
		target := r.res.Find(awstype.AppAutoscalingTarget, "app-worker-sidekiq")
		if target == nil || target.Input("minCapacity") != 1.0 || target.Input("maxCapacity") != 4.0 ||
			target.Input("resourceId") != "service/"+exportString(t, r.res, "clusterName")+"/"+outputString(t, svc, "name") {
			t.Fatalf("scalable target = %+v, want 1..4 on the sidekiq service", target)
		}
		if p := r.res.Find(awstype.AppAutoscalingPolicy, "app-worker-sidekiq-cpu"); p == nil {
			t.Error("no CPU target tracking policy for sidekiq")
		}
		if p := r.res.Find(awstype.AppAutoscalingPolicy, "app-worker-sidekiq-requests"); p != nil {
			t.Error("a worker has no load balancer, so no request-count policy")
		}
	})
	t.Run("jobs, with max = min, has no autoscaling and keeps its desired count", func(t *testing.T) {
		svc := r.res.Find(awstype.EcsService, "app-worker-jobs")
		if r.res.Find(awstype.AppAutoscalingTarget, "app-worker-jobs") != nil || slices.Contains(svc.IgnoreChanges, "desiredCount") {
			t.Errorf("jobs autoscales (ignoreChanges %v), want not", svc.IgnoreChanges)
		}
	})
	t.Run("each worker exports its service, exec command and checked revision", func(t *testing.T) {
		names, execs, deployed := r.svc.WorkerOutputs()
		if len(names) != 2 || len(execs) != 2 || len(deployed) != 2 {
			t.Errorf("worker outputs = %d/%d/%d, want 2 each", len(names), len(execs), len(deployed))
		}
	})
}

func TestWorkersFollowTheStack(t *testing.T) {
	cases := []struct {
		name     string
		mutate   func(a *AppServiceArgs)
		services []string // worker services that must exist
		check    func(t *testing.T, res *mockengine.Result)
	}{
		{"without an image there is a worker task definition but no worker service", func(a *AppServiceArgs) { twoWorkers(a); a.ImageTag = "" }, nil,
			func(t *testing.T, res *mockengine.Result) {
				if res.Find(awstype.EcsTaskDefinition, "app-worker-sidekiq") == nil {
					t.Error("no sidekiq task definition before the first image")
				}
			}},
		{"spot moves every worker to FARGATE_SPOT with web", func(a *AppServiceArgs) { twoWorkers(a); a.Spot = true }, []string{"jobs", "sidekiq"},
			func(t *testing.T, res *mockengine.Result) {
				for _, s := range res.OfType(awstype.EcsService) {
					st, _ := s.Input("capacityProviderStrategies").([]any)
					if len(st) != 1 || st[0].(map[string]any)["capacityProvider"] != "FARGATE_SPOT" {
						t.Errorf("%s strategy = %v, want FARGATE_SPOT", s.Name, st)
					}
				}
			}},
		{"ARM64 runs every worker on ARM64", func(a *AppServiceArgs) { twoWorkers(a); a.CPUArchitecture = ArchARM64 }, []string{"jobs", "sidekiq"},
			func(t *testing.T, res *mockengine.Result) {
				td := res.Find(awstype.EcsTaskDefinition, "app-worker-jobs")
				if rp, _ := td.Input("runtimePlatform").(map[string]any); rp["cpuArchitecture"] != "ARM64" {
					t.Errorf("%s runtimePlatform = %v, want ARM64", td.Name, rp)
				}
			}},
		{"prod protects every worker service like web", func(a *AppServiceArgs) { twoWorkers(a); a.Environment = EnvProd; a.HTTPS = true }, []string{"jobs", "sidekiq"},
			func(t *testing.T, res *mockengine.Result) {
				for _, s := range res.OfType(awstype.EcsService) {
					if !s.Protect {
						t.Errorf("%s is not protected in prod", s.Name)
					}
				}
			}},
		{"dev leaves worker services unprotected", twoWorkers, []string{"jobs", "sidekiq"},
			func(t *testing.T, res *mockengine.Result) {
				if s := res.Find(awstype.EcsService, "app-worker-jobs"); s.Protect {
					t.Errorf("%s is protected in dev", s.Name)
				}
			}},
		{"with migrateBeforeDeploy every worker rolls after the migration", func(a *AppServiceArgs) { twoWorkers(a); a.MigrateBeforeDeploy = true }, []string{"jobs", "sidekiq"},
			func(t *testing.T, res *mockengine.Result) {
				run := one(t, res, awstype.LambdaInvocation)
				for _, s := range res.OfType(awstype.EcsService) {
					if !slices.Contains(s.DependsOn, run.URN) {
						t.Errorf("%s does not wait for the migration %s", s.Name, run.URN)
					}
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRunService(t, tc.mutate, nil)
			for _, name := range []string{"jobs", "sidekiq"} {
				exists := r.res.Find(awstype.EcsService, "app-worker-"+name) != nil
				if exists != slices.Contains(tc.services, name) {
					t.Errorf("service app-worker-%s exists = %v, want %v", name, exists, !exists)
				}
			}
			tc.check(t, r.res)
		})
	}
}

func TestRotationRestartsEveryWorker(t *testing.T) {
	r := mustRunService(t, twoWorkers, nil)
	var ids []string
	for _, name := range []string{"app", "app-worker-jobs", "app-worker-sidekiq"} {
		ids = append(ids, r.res.Find(awstype.EcsService, name).ID)
	}
	pol := policyOf(t, r.res.Find(awstype.IamRolePolicy, "app-redeploy"), "policy")
	if len(pol.Statement) != 1 || !slices.Equal(pol.Statement[0].Action, []string{"ecs:UpdateService"}) ||
		!slices.Equal(pol.Statement[0].Resource, ids) {
		t.Errorf("redeploy policy = %+v, want UpdateService on exactly %v", pol, ids)
	}
	machine := one(t, r.res, awstype.SfnStateMachine)
	var def struct {
		StartAt string
		States  map[string]struct {
			Parameters map[string]any
			Next       string
			End        bool
		}
	}
	if err := json.Unmarshal([]byte(machine.Input("definition").(string)), &def); err != nil {
		t.Fatal(err)
	}
	var restarted []string
	for step, seen := def.StartAt, 0; step != "" && seen < 10; seen++ {
		s := def.States[step]
		restarted = append(restarted, s.Parameters["Service"].(string))
		step = s.Next
		if s.End {
			break
		}
	}
	if !slices.Equal(restarted, ids) {
		t.Errorf("the state machine restarts %v, want web then each worker %v", restarted, ids)
	}
}
