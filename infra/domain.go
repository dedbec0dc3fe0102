package infra

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	// healthRulePriority puts the no-auth health rule before anything else on the listener.
	healthRulePriority = 1
	// httpRedirectRulePriority is the last priority ALB allows: on port 80 the health path rule
	// (priority 1) still forwards, everything else is redirected.
	httpRedirectRulePriority = 50000
	// validationRecordTTL keeps ACM validation fast: ACM polls DNS while the certificate is pending.
	validationRecordTTL = 60
)

// Domain is the app's public HTTPS name: a DNS-validated ACM certificate, the 443 listener on the
// app's ALB (optionally behind OIDC login) and alias records from the name to the ALB.
type Domain struct {
	pulumi.ResourceState

	// URL is https://<DomainName>.
	URL pulumi.StringOutput `pulumi:"url"`
	// CertificateArn is the issued certificate (from the CertificateValidation, so it resolves
	// only once ACM has issued it).
	CertificateArn pulumi.StringOutput `pulumi:"certificateArn"`
	// ZoneID is the hosted zone the records went into.
	ZoneID pulumi.StringOutput `pulumi:"zoneId"`
	// HTTPSListener is the 443 listener, for rules other components may add.
	HTTPSListener *lb.Listener
	// OIDCRedirectURL is the redirect URI to register at the IdP; "" without OIDC.
	OIDCRedirectURL string
}

// validationBases returns one name per distinct ACM validation record: ACM gives *.x and x the
// same CNAME, so both map to x. Order follows names.
func validationBases(names []string) []string {
	var out []string
	for _, n := range names {
		base := strings.TrimPrefix(n, "*.")
		if !slices.Contains(out, base) {
			out = append(out, base)
		}
	}
	return out
}

// aliasNames are the certificate names that get alias records (wildcards cannot be aliased usefully).
func aliasNames(names []string) []string {
	var out []string
	for _, n := range names {
		if !strings.HasPrefix(n, "*.") {
			out = append(out, n)
		}
	}
	return out
}

// NewDomain looks up the hosted zone, requests and validates the certificate, adds the HTTPS
// listener and points the name at the ALB.
func NewDomain(ctx *pulumi.Context, name string, args *DomainArgs, opts ...pulumi.ResourceOption) (*Domain, error) {
	if args == nil {
		return nil, errors.New("NewDomain: args are required (at least DomainName, a hosted zone and the app's Target)")
	}
	a := *args
	a.defaults()
	if a.Target.HealthCheckPath == "" {
		a.Target.HealthCheckPath = DefaultHealthCheckPath
	}
	if err := argsError("DomainArgs", append(a.problems(), a.wiringProblems()...)); err != nil {
		return nil, err
	}
	d := &Domain{}
	if err := ctx.RegisterComponentResource("rails-infra:infra:Domain", name, d, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(d)

	// A plain invoke: it runs during preview, so a missing zone stops `pulumi up` before anything
	// is created. The parent carries any explicit provider given to NewDomain.
	zoneID, err := lookupZone(ctx, &a, parent)
	if err != nil {
		return nil, err
	}
	zone := pulumi.String(zoneID)

	validation, err := newValidatedCertificate(ctx, name, &a, zone, parent)
	if err != nil {
		return nil, err
	}
	if a.OIDC != nil {
		d.OIDCRedirectURL = "https://" + a.DomainName + "/oauth2/idpresponse"
		if err := allowIdentityProviderEgress(ctx, name, &a, parent); err != nil {
			return nil, err
		}
	}
	if d.HTTPSListener, err = newHTTPSListener(ctx, name, &a, validation.CertificateArn, parent); err != nil {
		return nil, err
	}
	if a.OIDC != nil {
		if err := newHealthRuleWithoutLogin(ctx, name, &a, d.HTTPSListener, parent); err != nil {
			return nil, err
		}
	}
	if err := newHTTPRedirectRule(ctx, name, &a, d.HTTPSListener, parent); err != nil {
		return nil, err
	}
	if err := newAliasRecords(ctx, name, &a, zone, d.HTTPSListener, parent); err != nil {
		return nil, err
	}

	d.URL = pulumi.String("https://" + a.DomainName).ToStringOutput()
	d.CertificateArn = validation.CertificateArn
	d.ZoneID = zone.ToStringOutput()
	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{
		"url":            d.URL,
		"certificateArn": d.CertificateArn,
		"zoneId":         d.ZoneID,
	}); err != nil {
		return nil, err
	}
	return d, nil
}

// LookupHostedZone finds the domain's existing public zone and checks that every certificate
// name lies in it. deploy calls it before registering any resource, so a missing or wrong zone
// stops even `pulumi up --skip-preview` with nothing created (NewDomain looks it up again).
func (a *DomainArgs) LookupHostedZone(ctx *pulumi.Context) (string, error) {
	return lookupZone(ctx, a)
}

// newHTTPSListener serves the certificate on 443 and forwards to the app, behind OIDC login if set.
func newHTTPSListener(ctx *pulumi.Context, name string, a *DomainArgs, certificateArn pulumi.StringInput, parent pulumi.ResourceOption) (*lb.Listener, error) {
	forward := lb.ListenerDefaultActionArgs{Type: pulumi.String("forward"), TargetGroupArn: a.Target.TargetGroupArn}
	actions := lb.ListenerDefaultActionArray{forward}
	if o := a.OIDC; o != nil {
		forward.Order = pulumi.Int(2)
		actions = lb.ListenerDefaultActionArray{
			lb.ListenerDefaultActionArgs{
				Type:  pulumi.String("authenticate-oidc"),
				Order: pulumi.Int(1),
				AuthenticateOidc: &lb.ListenerDefaultActionAuthenticateOidcArgs{
					Issuer:                   pulumi.String(o.Issuer),
					AuthorizationEndpoint:    pulumi.String(o.AuthorizationEndpoint),
					TokenEndpoint:            pulumi.String(o.TokenEndpoint),
					UserInfoEndpoint:         pulumi.String(o.UserInfoEndpoint),
					ClientId:                 pulumi.String(o.ClientID),
					ClientSecret:             pulumi.ToSecret(o.ClientSecret).(pulumi.StringOutput),
					Scope:                    pulumi.String(o.Scope),
					SessionTimeout:           pulumi.Int(o.SessionTimeoutSeconds),
					OnUnauthenticatedRequest: pulumi.String(string(o.OnUnauthenticatedRequest)),
				},
			},
			forward,
		}
	}
	return lb.NewListener(ctx, name+"-https", &lb.ListenerArgs{
		LoadBalancerArn: a.Target.LoadBalancerArn,
		Port:            pulumi.Int(443),
		Protocol:        pulumi.String("HTTPS"),
		SslPolicy:       pulumi.String(string(a.SSLPolicy)),
		CertificateArn:  certificateArn,
		DefaultActions:  actions,
	}, parent)
}

// newHTTPRedirectRule turns port 80 into a 301 to HTTPS, only once the 443 listener serves: the
// app's port-80 listener forwards by default, so turning a domain on for a running stack keeps
// HTTP up while ACM validates, and the redirect never points at a listener that does not exist.
// The port is explicit: AWS's default "#{port}" would keep 80, i.e. https://host:80.
func newHTTPRedirectRule(ctx *pulumi.Context, name string, a *DomainArgs, https *lb.Listener, parent pulumi.ResourceOption) error {
	_, err := lb.NewListenerRule(ctx, name+"-http-to-https", &lb.ListenerRuleArgs{
		ListenerArn: a.Target.HTTPListenerArn,
		Priority:    pulumi.Int(httpRedirectRulePriority),
		Conditions: lb.ListenerRuleConditionArray{lb.ListenerRuleConditionArgs{
			PathPattern: &lb.ListenerRuleConditionPathPatternArgs{Values: pulumi.StringArray{pulumi.String("/*")}},
		}},
		Actions: lb.ListenerRuleActionArray{lb.ListenerRuleActionArgs{
			Type: pulumi.String("redirect"),
			Redirect: &lb.ListenerRuleActionRedirectArgs{
				Protocol:   pulumi.String("HTTPS"),
				Port:       pulumi.String("443"),
				StatusCode: pulumi.String("HTTP_301"),
			},
		}},
	}, parent, pulumi.DependsOn([]pulumi.Resource{https}))
	return err
}

// newHealthRuleWithoutLogin forwards the health check path past OIDC login.
//
// The ALB's own health checks go straight from the load balancer nodes to the targets and never
// pass through listener rules, so login cannot break them. This rule is for callers that do come
// through the listener — uptime monitors, Route53 health checks, a deploy script polling /up —
// which cannot log in. Rails' /up reveals nothing but "up".
func newHealthRuleWithoutLogin(ctx *pulumi.Context, name string, a *DomainArgs, listener *lb.Listener, parent pulumi.ResourceOption) error {
	_, err := lb.NewListenerRule(ctx, name+"-health-no-auth", &lb.ListenerRuleArgs{
		ListenerArn: listener.Arn,
		Priority:    pulumi.Int(healthRulePriority),
		Conditions: lb.ListenerRuleConditionArray{lb.ListenerRuleConditionArgs{
			PathPattern: &lb.ListenerRuleConditionPathPatternArgs{
				Values: pulumi.StringArray{pulumi.String(a.Target.HealthCheckPath)},
			},
		}},
		Actions: lb.ListenerRuleActionArray{lb.ListenerRuleActionArgs{
			Type:           pulumi.String("forward"),
			TargetGroupArn: a.Target.TargetGroupArn,
		}},
	}, parent)
	return err
}

// newValidatedCertificate requests the DNS-validated certificate, writes one validation record per
// distinct ACM record into the zone, and waits for issuance.
func newValidatedCertificate(ctx *pulumi.Context, name string, a *DomainArgs, zone pulumi.StringInput, parent pulumi.ResourceOption) (*acm.CertificateValidation, error) {
	// Replacing the certificate (e.g. a new SAN) creates the new one first, re-points the listener,
	// then deletes the old one: Pulumi's default create-before-delete, which ACM needs because a
	// certificate in use by a listener cannot be deleted. Nothing here may set DeleteBeforeReplace.
	var sans pulumi.StringArray
	for _, s := range a.SubjectAlternativeNames {
		sans = append(sans, pulumi.String(s))
	}
	cert, err := acm.NewCertificate(ctx, name, &acm.CertificateArgs{
		DomainName:              pulumi.String(a.DomainName),
		SubjectAlternativeNames: sans,
		ValidationMethod:        pulumi.String("DNS"),
	}, parent)
	if err != nil {
		return nil, err
	}

	var fqdns pulumi.StringArray
	for _, base := range validationBases(a.certificateNames()) {
		opt := cert.DomainValidationOptions.ApplyT(func(opts []acm.CertificateDomainValidationOption) (acm.CertificateDomainValidationOption, error) {
			for _, o := range opts {
				if o.DomainName != nil && strings.TrimPrefix(*o.DomainName, "*.") == base {
					return o, nil
				}
			}
			return acm.CertificateDomainValidationOption{}, fmt.Errorf("ACM returned no DNS validation record for %s", base)
		}).(acm.CertificateDomainValidationOptionOutput)
		rec, err := route53.NewRecord(ctx, name+"-validation-"+base, &route53.RecordArgs{
			ZoneId:  zone,
			Name:    opt.ResourceRecordName().Elem(),
			Type:    opt.ResourceRecordType().Elem(),
			Records: pulumi.StringArray{opt.ResourceRecordValue().Elem()},
			Ttl:     pulumi.Int(validationRecordTTL),
			// The record is the same for every certificate on this name (also one left behind by
			// an earlier stack or a replaced certificate), so taking it over is safe.
			AllowOverwrite: pulumi.Bool(true),
		}, parent)
		if err != nil {
			return nil, err
		}
		fqdns = append(fqdns, rec.Fqdn)
	}

	// Waits until ACM reports ISSUED; the listener takes the ARN from here, never from cert.Arn,
	// so it cannot reference a certificate that is still pending.
	return acm.NewCertificateValidation(ctx, name, &acm.CertificateValidationArgs{
		CertificateArn:        cert.Arn,
		ValidationRecordFqdns: fqdns,
	}, parent)
}

// newAliasRecords points every non-wildcard certificate name at the ALB (A, and AAAA if dualstack).
func newAliasRecords(ctx *pulumi.Context, name string, a *DomainArgs, zone pulumi.StringInput, listener *lb.Listener, parent pulumi.ResourceOption) error {
	// Names point at the ALB only once HTTPS answers on them.
	recordTypes := []string{"A"}
	if a.DualStack {
		recordTypes = append(recordTypes, "AAAA")
	}
	for _, host := range aliasNames(a.certificateNames()) {
		for _, typ := range recordTypes {
			if _, err := route53.NewRecord(ctx, fmt.Sprintf("%s-%s-%s", name, strings.ToLower(typ), host), &route53.RecordArgs{
				ZoneId: zone,
				Name:   pulumi.String(host),
				Type:   pulumi.String(typ),
				Aliases: route53.RecordAliasArray{route53.RecordAliasArgs{
					Name:                 a.Target.LoadBalancerDNSName,
					ZoneId:               a.Target.LoadBalancerZoneID,
					EvaluateTargetHealth: pulumi.Bool(true),
				}},
			}, parent, pulumi.DependsOn([]pulumi.Resource{listener})); err != nil {
				return err
			}
		}
	}
	return nil
}

// lookupZone finds the existing public zone and checks that every certificate name lies in it.
func lookupZone(ctx *pulumi.Context, a *DomainArgs, opts ...pulumi.InvokeOption) (string, error) {
	args := &route53.LookupZoneArgs{}
	what := "hosted zone " + a.HostedZoneName
	if a.HostedZoneID != "" {
		args.ZoneId = pulumi.StringRef(a.HostedZoneID)
		what = "hosted zone id " + a.HostedZoneID
	} else {
		args.Name = pulumi.StringRef(a.HostedZoneName)
		args.PrivateZone = pulumi.BoolRef(false)
	}
	z, err := route53.LookupZone(ctx, args, opts...)
	if err != nil {
		return "", fmt.Errorf("domain %s: %s was not found in this AWS account: it must already exist "+
			"as a public hosted zone (registering the domain in Route53 creates one). Check "+
			"rails-infra:hostedZoneName / hostedZoneId and the AWS account: %w", a.DomainName, what, err)
	}
	zoneName := strings.ToLower(strings.TrimSuffix(z.Name, "."))
	if z.PrivateZone != nil && *z.PrivateZone {
		return "", fmt.Errorf("domain %s: %s (%s) is a private zone; ACM DNS validation and public "+
			"users need the public zone of %s", a.DomainName, what, zoneName, zoneName)
	}
	var outside []string
	for _, n := range a.certificateNames() {
		if !inZone(n, zoneName) {
			outside = append(outside, n)
		}
	}
	if len(outside) > 0 {
		return "", fmt.Errorf("domain %s: %s is not inside %s (zone %s); its validation and alias "+
			"records cannot go there. Use the zone that contains it, or a name ending in .%s",
			a.DomainName, strings.Join(outside, ", "), what, zoneName, zoneName)
	}
	return z.ZoneId, nil
}

// allowIdentityProviderEgress lets the ALB call the IdP's token and user info endpoints. Their addresses are
// the IdP's and change, so the rule is HTTPS to anywhere; only the ALB's own requests use it.
func allowIdentityProviderEgress(ctx *pulumi.Context, name string, a *DomainArgs, parent pulumi.ResourceOption) error {
	cidrs := map[string]string{"ipv4": "0.0.0.0/0"}
	if a.DualStack {
		cidrs["ipv6"] = "::/0"
	}
	for _, family := range []string{"ipv4", "ipv6"} {
		cidr, ok := cidrs[family]
		if !ok {
			continue
		}
		args := &vpc.SecurityGroupEgressRuleArgs{
			SecurityGroupId: a.Target.LoadBalancerSecurityGroupID,
			Description:     pulumi.String("ALB to the OIDC IdP token and user info endpoints (HTTPS)"),
			IpProtocol:      pulumi.String("tcp"),
			FromPort:        pulumi.Int(443),
			ToPort:          pulumi.Int(443),
		}
		if family == "ipv4" {
			args.CidrIpv4 = pulumi.String(cidr)
		} else {
			args.CidrIpv6 = pulumi.String(cidr)
		}
		if _, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-idp-https-"+family, args, parent); err != nil {
			return err
		}
	}
	return nil
}
