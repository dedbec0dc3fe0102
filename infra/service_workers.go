package infra

import (
	"maps"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Worker is one background process of the app. Its task definition always exists (naming the
// placeholder image until one is configured); its service only from the first image on.
type Worker struct {
	TaskDefinition *ecs.TaskDefinition
	// Service and the outputs below are nil/unset until an image is configured.
	Service *ecs.Service
	// ServiceName is the ECS service's name.
	ServiceName pulumi.StringOutput
	// ExecCommand opens a shell in one of its running tasks (ECS Exec).
	ExecCommand pulumi.StringOutput
	// DeployedTaskDefinition fails `pulumi up` when ECS rolled the worker back (rolloutCheck).
	DeployedTaskDefinition pulumi.StringOutput

	// minCount is the fewest tasks it runs, for its running-tasks alarm (Watches).
	minCount int
}

// WorkerStreamPrefix is a worker's log stream prefix in the app's log group.
func WorkerStreamPrefix(name string) string { return "worker-" + name }

// workerTaskDefinitions registers a task definition per worker: the web's container with the
// worker's command, size, stop timeout and log stream prefix, so env, secrets (REDIS_URL and
// whatever else reaches web's container) and mounts are the web's by construction.
func (b *appServiceBuild) workerTaskDefinitions(resolved pulumi.AnyOutput) error {
	a, svc := b.a, b.svc
	svc.WorkerNames = slices.Sorted(maps.Keys(a.Workers))
	svc.Workers = map[string]*Worker{}
	for _, name := range svc.WorkerNames {
		w := a.Workers[name]
		td, err := newTaskDefinition(b.ctx, b.name+"-worker-"+name, a.Family+"-worker-"+name, a, taskSize{CPU: w.CPU, Memory: w.Memory},
			b.roles, resolved, process{StreamPrefix: WorkerStreamPrefix(name), Command: w.Command, StopTimeout: w.StopTimeout}, b.parent)
		if err != nil {
			return err
		}
		svc.Workers[name] = &Worker{TaskDefinition: td, minCount: deref(w.MinCount)}
	}
	return nil
}

// workers registers a service per worker once an image is configured: web's settings (private
// subnets, the tasks' security group, no public IP, ECS Exec, circuit breaker with rollback,
// waiting for steady state, spot per the stack, protected in prod) without a load balancer, after
// the same prerequisites and the migration.
func (b *appServiceBuild) workers() error {
	if !b.svc.HasImage {
		return nil
	}
	for _, name := range b.svc.WorkerNames {
		w, worker := b.a.Workers[name], b.svc.Workers[name]
		var err error
		worker.Service, err = b.newECSService(b.name+"-worker-"+name, b.baseServiceArgs(worker.TaskDefinition, *w.DesiredCount), w.Autoscaling())
		if err != nil {
			return err
		}
	}
	return nil
}

func (b *appServiceBuild) workerAutoscaling() error {
	if !b.svc.HasImage {
		return nil
	}
	for _, name := range b.svc.WorkerNames {
		w := b.a.Workers[name]
		if !w.Autoscaling() {
			continue
		}
		if err := newAutoscaling(b.ctx, b.name+"-worker-"+name, scaling{Min: *w.MinCount, Max: w.MaxCount, CPUTarget: w.CPUTargetPercent},
			b.ecsCluster, b.svc.Workers[name].Service, nil, b.parent); err != nil {
			return err
		}
	}
	return nil
}

// workerOutputs fills each worker's outputs and adds them to the component's.
func (b *appServiceBuild) workerOutputs(outputs pulumi.Map) {
	region, cluster := b.a.Account.Region, b.ecsCluster.Name
	names, execs, deployed := pulumi.StringMap{}, pulumi.StringMap{}, pulumi.StringMap{}
	for _, name := range b.svc.WorkerNames {
		w := b.svc.Workers[name]
		if w.Service == nil {
			continue
		}
		w.ServiceName = w.Service.Name
		w.ExecCommand = execCommand(region, cluster, w.Service.Name)
		w.DeployedTaskDefinition = rolloutCheck(region, w.TaskDefinition.Arn, w.Service.TaskDefinition, cluster, w.Service.Name, b.logs.Name)
		names[name], execs[name], deployed[name] = w.ServiceName, w.ExecCommand, w.DeployedTaskDefinition
	}
	if len(names) > 0 {
		outputs["workerServiceNames"] = names
		outputs["workerExecCommands"] = execs
		outputs["workerDeployedTaskDefinitions"] = deployed
	}
}

// WorkerOutputs are the workers' outputs by name, for main.go to export; empty without an image.
func (s *AppService) WorkerOutputs() (names, execs, deployed pulumi.StringMap) {
	names, execs, deployed = pulumi.StringMap{}, pulumi.StringMap{}, pulumi.StringMap{}
	for name, w := range s.Workers {
		if w.Service != nil {
			names[name], execs[name], deployed[name] = w.ServiceName, w.ExecCommand, w.DeployedTaskDefinition
		}
	}
	return names, execs, deployed
}
