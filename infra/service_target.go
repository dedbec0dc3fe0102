package infra

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// AppTarget is what the Domain needs from the app service: its load balancer, the target group
// the HTTPS listener forwards to, and the health check path that must stay reachable without
// login. The service hands it over typed, as Database.Endpoint() does; nothing is re-read from config.
type AppTarget struct {
	LoadBalancerArn, LoadBalancerDNSName, LoadBalancerZoneID pulumi.StringInput
	// LoadBalancerSecurityGroupID gets an HTTPS egress rule with OIDC (the ALB calls the IdP).
	LoadBalancerSecurityGroupID pulumi.StringInput
	TargetGroupArn              pulumi.StringInput
	// HTTPListenerArn is the port-80 listener: it forwards until the Domain's 443 listener serves,
	// then the Domain adds a rule on it that redirects to HTTPS.
	HTTPListenerArn pulumi.StringInput
	// HealthCheckPath is the target group's health check path (plain: it becomes a listener rule).
	HealthCheckPath string
}
