package infra

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// ServiceWatch is what Monitoring needs to watch one ECS service: the names its metrics carry as
// dimensions, and how its running tasks can be counted. Any service (web, a worker) hands one
// over; Monitoring.WatchService builds its alarms and dashboard widgets.
type ServiceWatch struct {
	// Label names the service in alarm names, messages and the dashboard: "web", "worker".
	Label string
	// ClusterName and ServiceName are the AWS/ECS and ECS/ContainerInsights dimensions.
	ClusterName, ServiceName pulumi.StringInput
	// ContainerInsights is on for the cluster: running vs desired tasks come from
	// ECS/ContainerInsights RunningTaskCount and DesiredTaskCount.
	ContainerInsights bool
	// MinCount is the fewest tasks the service runs (autoscaling's minimum). Without Container
	// Insights the web service's healthy targets are compared with it instead.
	MinCount int
	// LoadBalancer is the ALB in front of the service; nil for a service without one (a worker).
	LoadBalancer *LoadBalancerWatch
}

// LoadBalancerWatch is the ALB and target group a service sits behind, as the CloudWatch
// dimension values of AWS/ApplicationELB (the ARN suffixes, not the ARNs).
type LoadBalancerWatch struct {
	LoadBalancerArnSuffix, TargetGroupArnSuffix pulumi.StringInput
}

// serviceWatchSettings are the plain settings Watch() reports, kept from the args.
type serviceWatchSettings struct {
	containerInsights bool
	minCount          int
}

func watchSettings(a AppServiceArgs) serviceWatchSettings {
	s := serviceWatchSettings{}
	if a.ContainerInsights != nil {
		s.containerInsights = *a.ContainerInsights
	}
	if a.MinCount != nil {
		s.minCount = *a.MinCount
	}
	return s
}

// WebServiceLabel names the Rails web service in alarms and on the dashboard.
const WebServiceLabel = "web"

// WorkerServiceLabel names a worker in alarms and on the dashboard.
func WorkerServiceLabel(name string) string { return "worker-" + name }

// Watches are every service for Monitoring: web, then each worker in name order, once an image
// runs them (none before).
func (s *AppService) Watches() []ServiceWatch {
	web, ok := s.Watch()
	if !ok {
		return nil
	}
	out := []ServiceWatch{web}
	for _, name := range s.WorkerNames {
		w := s.Workers[name]
		if w.Service == nil {
			continue
		}
		out = append(out, ServiceWatch{
			Label: WorkerServiceLabel(name), ClusterName: s.ClusterName, ServiceName: w.ServiceName,
			ContainerInsights: s.watch.containerInsights, MinCount: w.minCount,
		})
	}
	return out
}

// Watch is the web service for Monitoring, and false while no service runs tasks: before the
// first image there is nothing to watch (its alarms would only report the empty service), so
// no service alarms exist until an image is configured.
func (s *AppService) Watch() (ServiceWatch, bool) {
	if s.Service == nil || !s.HasImage {
		return ServiceWatch{}, false
	}
	return ServiceWatch{
		Label:             WebServiceLabel,
		ClusterName:       s.ClusterName,
		ServiceName:       s.ServiceName,
		ContainerInsights: s.watch.containerInsights,
		MinCount:          s.watch.minCount,
		LoadBalancer: &LoadBalancerWatch{
			LoadBalancerArnSuffix: s.LoadBalancerArnSuffix,
			TargetGroupArnSuffix:  s.TargetGroupArnSuffix,
		},
	}, true
}
