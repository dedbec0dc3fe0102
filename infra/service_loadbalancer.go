package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// healthCheck is the target group's health check (AppServiceArgs' HealthCheck* settings).
type healthCheck struct {
	Path                                                                  string
	IntervalSeconds, TimeoutSeconds, HealthyThreshold, UnhealthyThreshold int
}

// securityGroups are the ALB's and the tasks' groups.
type securityGroups struct {
	ALB, App *ec2.SecurityGroup
	// AppEgress are the tasks' egress rules: a task started before them cannot pull its image,
	// read its secrets or reach the database, so the migration run and the service wait for them.
	AppEgress []pulumi.Resource
}

type securityGroupArgs struct {
	VpcID             pulumi.StringInput
	AllowedCidrs      []string
	HTTPS             bool
	ContainerPort     int
	DBPort            pulumi.IntInput
	DBSecurityGroupID pulumi.StringInput
}

// listenerPorts are the ALB ports open to allowedCidrs: 80, plus 443 when HTTPS is on.
func listenerPorts(https bool) []int {
	if https {
		return []int{80, 443}
	}
	return []int{80}
}

// newSecurityGroups: the internet (allowedCidrs) reaches only the ALB; the ALB reaches only
// the tasks' port; the tasks reach only HTTPS (ECR, SSM, logs, S3, APIs) and the database.
func newSecurityGroups(ctx *pulumi.Context, name string, a securityGroupArgs, parent pulumi.ResourceOption) (*securityGroups, error) {
	albSG, err := ec2.NewSecurityGroup(ctx, name+"-alb", &ec2.SecurityGroupArgs{
		VpcId:       a.VpcID,
		Description: pulumi.String("Load balancer: HTTP(S) from allowed CIDRs, out to the app tasks only"),
	}, parent)
	if err != nil {
		return nil, err
	}
	appSG, err := ec2.NewSecurityGroup(ctx, name+"-app", &ec2.SecurityGroupArgs{
		VpcId:       a.VpcID,
		Description: pulumi.String("Rails tasks: in from the load balancer only"),
	}, parent)
	if err != nil {
		return nil, err
	}
	for _, port := range listenerPorts(a.HTTPS) {
		for i, cidr := range a.AllowedCidrs {
			if _, err := vpc.NewSecurityGroupIngressRule(ctx, fmt.Sprintf("%s-alb-in-%d-%d", name, port, i), &vpc.SecurityGroupIngressRuleArgs{
				SecurityGroupId: albSG.ID(),
				Description:     pulumi.String(fmt.Sprintf("Port %d from %s", port, cidr)),
				IpProtocol:      pulumi.String("tcp"),
				FromPort:        pulumi.Int(port),
				ToPort:          pulumi.Int(port),
				CidrIpv4:        pulumi.String(cidr),
			}, parent); err != nil {
				return nil, err
			}
		}
	}
	if _, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-alb-out-app", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId:           albSG.ID(),
		Description:               pulumi.String("To the app tasks on the container port (traffic and health checks)"),
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  pulumi.Int(a.ContainerPort),
		ToPort:                    pulumi.Int(a.ContainerPort),
		ReferencedSecurityGroupId: appSG.ID(),
	}, parent); err != nil {
		return nil, err
	}
	if _, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-app-in-alb", &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId:           appSG.ID(),
		Description:               pulumi.String("From the load balancer on the container port"),
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  pulumi.Int(a.ContainerPort),
		ToPort:                    pulumi.Int(a.ContainerPort),
		ReferencedSecurityGroupId: albSG.ID(),
	}, parent); err != nil {
		return nil, err
	}
	https, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-app-out-https", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: appSG.ID(),
		Description:     pulumi.String("HTTPS out: ECR, CloudWatch Logs, SSM, Secrets Manager, S3 and external APIs"),
		IpProtocol:      pulumi.String("tcp"),
		FromPort:        pulumi.Int(443),
		ToPort:          pulumi.Int(443),
		CidrIpv4:        pulumi.String("0.0.0.0/0"),
	}, parent)
	if err != nil {
		return nil, err
	}
	dbPort := a.DBPort.ToIntOutput().ToIntPtrOutput()
	db, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-app-out-db", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId:           appSG.ID(),
		Description:               pulumi.String("To the database port on the database security group only"),
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  dbPort,
		ToPort:                    dbPort,
		ReferencedSecurityGroupId: a.DBSecurityGroupID,
	}, parent)
	if err != nil {
		return nil, err
	}
	return &securityGroups{ALB: albSG, App: appSG, AppEgress: []pulumi.Resource{https, db}}, nil
}

type loadBalancerArgs struct {
	VpcID                      pulumi.StringInput
	PublicSubnetIDs            pulumi.StringArrayInput
	SecurityGroupID            pulumi.StringInput
	HTTPS                      bool
	ContainerPort              int
	HealthCheck                healthCheck
	DeregistrationDelaySeconds int
	IdleTimeoutSeconds         int
	DeletionProtection         bool
	// AccessLogs configures the bucket the ALB writes its access logs to.
	AccessLogs accessLogsArgs
}

type loadBalancer struct {
	LB          *lb.LoadBalancer
	TargetGroup *lb.TargetGroup
	HTTP        *lb.Listener
	// Routes are everything that attaches the target group to the ALB; ECS rejects a service
	// whose target group has no load balancer, so the service depends on all of them.
	Routes []pulumi.Resource
}

// newLoadBalancer builds an internet-facing ALB in the public subnets that logs every request
// to its own bucket, an ip target group on the container port, and the port-80 listener.
func newLoadBalancer(ctx *pulumi.Context, name string, a loadBalancerArgs, parent pulumi.ResourceOption) (*loadBalancer, error) {
	logs, err := newAccessLogsBucket(ctx, name+"-access-logs", a.AccessLogs, parent)
	if err != nil {
		return nil, err
	}
	alb, err := lb.NewLoadBalancer(ctx, name, &lb.LoadBalancerArgs{
		LoadBalancerType:         pulumi.String("application"),
		Internal:                 pulumi.Bool(false),
		IpAddressType:            pulumi.String("ipv4"),
		Subnets:                  a.PublicSubnetIDs,
		SecurityGroups:           pulumi.StringArray{a.SecurityGroupID},
		DropInvalidHeaderFields:  pulumi.Bool(true),
		IdleTimeout:              pulumi.Int(a.IdleTimeoutSeconds),
		EnableDeletionProtection: pulumi.Bool(a.DeletionProtection),
		AccessLogs: &lb.LoadBalancerAccessLogsArgs{
			Bucket: logs.Bucket.Bucket, Prefix: pulumi.String(AccessLogPrefix), Enabled: pulumi.Bool(true),
		},
	}, parent, pulumi.DependsOn(logs.Ready))
	if err != nil {
		return nil, err
	}
	h := a.HealthCheck
	tg, err := lb.NewTargetGroup(ctx, name, &lb.TargetGroupArgs{
		VpcId:               a.VpcID,
		TargetType:          pulumi.String("ip"),
		Protocol:            pulumi.String("HTTP"),
		Port:                pulumi.Int(a.ContainerPort),
		DeregistrationDelay: pulumi.Int(a.DeregistrationDelaySeconds),
		HealthCheck: &lb.TargetGroupHealthCheckArgs{
			Enabled:            pulumi.Bool(true),
			Protocol:           pulumi.String("HTTP"),
			Port:               pulumi.String("traffic-port"),
			Path:               pulumi.String(h.Path),
			Matcher:            pulumi.String("200"),
			Interval:           pulumi.Int(h.IntervalSeconds),
			Timeout:            pulumi.Int(h.TimeoutSeconds),
			HealthyThreshold:   pulumi.Int(h.HealthyThreshold),
			UnhealthyThreshold: pulumi.Int(h.UnhealthyThreshold),
		},
	}, parent)
	if err != nil {
		return nil, err
	}
	// Port 80 forwards even with HTTPS: the Domain adds the redirect as a rule on this listener
	// once its 443 listener serves, so HTTP stays up while ACM validates a new domain.
	action := &lb.ListenerDefaultActionArgs{Type: pulumi.String("forward"), TargetGroupArn: tg.Arn}
	http, err := lb.NewListener(ctx, name+"-http", &lb.ListenerArgs{
		LoadBalancerArn: alb.Arn,
		Port:            pulumi.Int(80),
		Protocol:        pulumi.String("HTTP"),
		DefaultActions:  lb.ListenerDefaultActionArray{action},
	}, parent)
	if err != nil {
		return nil, err
	}
	out := &loadBalancer{LB: alb, TargetGroup: tg, HTTP: http, Routes: []pulumi.Resource{http}}
	if a.HTTPS {
		// The Domain component adds the 443 listener after this component, but ECS refuses to
		// create a service whose target group is on no load balancer. Forwarding only the
		// health check path on port 80 attaches it; everything else still gets the 301.
		rule, err := lb.NewListenerRule(ctx, name+"-http-health", &lb.ListenerRuleArgs{
			ListenerArn: http.Arn,
			Priority:    pulumi.Int(1),
			Actions: lb.ListenerRuleActionArray{&lb.ListenerRuleActionArgs{
				Type: pulumi.String("forward"), TargetGroupArn: tg.Arn,
			}},
			Conditions: lb.ListenerRuleConditionArray{&lb.ListenerRuleConditionArgs{
				PathPattern: &lb.ListenerRuleConditionPathPatternArgs{Values: pulumi.StringArray{pulumi.String(h.Path)}},
			}},
		}, parent)
		if err != nil {
			return nil, err
		}
		out.Routes = append(out.Routes, rule)
	}
	return out, nil
}
