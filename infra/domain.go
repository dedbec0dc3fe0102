package infra

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	// DefaultSSLPolicy is the HTTPS listener's TLS policy: the one AWS recommends and the console
	// default since 2025-09. TLS 1.3 and TLS 1.2 with AEAD, forward-secret ciphers only ("Res"),
	// plus hybrid post-quantum key exchange (ML-KEM) for clients that offer it. Every browser of
	// the last decade connects; clients stuck on TLS 1.0/1.1 or CBC ciphers do not.
	DefaultSSLPolicy SSLPolicy = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
	// DefaultOIDCScope asks for the claims an internal app needs to know who the user is.
	DefaultOIDCScope = "openid email profile"
	// DefaultOIDCSessionTimeoutSeconds is one working day (12 h); ALB's own default is 7 days.
	DefaultOIDCSessionTimeoutSeconds = 43200
	// MaxOIDCSessionTimeoutSeconds is the longest session ALB allows (7 days).
	MaxOIDCSessionTimeoutSeconds = 604800
	// MaxCommonNameLength is the longest first name on an ACM certificate (RFC 5280 common name).
	MaxCommonNameLength = 64
	// MaxDNSNameLength is the longest DNS name (and ACM subject alternative name).
	MaxDNSNameLength = 253
	// MaxCertificateNames is ACM's hard ceiling on names per certificate (domain name + SANs).
	// The default quota is 10; more needs a Service Quotas increase first.
	MaxCertificateNames = 100

	// domainDefaultHealthCheckPath is Rails 7.1's health endpoint (rails/health#show).
	domainDefaultHealthCheckPath = "/up"
	// healthRulePriority puts the no-auth health rule before anything else on the listener.
	healthRulePriority = 1
	// validationRecordTTL keeps ACM validation fast: ACM polls DNS while the certificate is pending.
	validationRecordTTL = 60
)

// SSLPolicy names an ELB predefined TLS security policy.
type SSLPolicy string

// SSLPolicies are the TLS policies the HTTPS listener may use: TLS 1.3-capable policies that
// refuse TLS 1.0/1.1. The Ext1/Ext2 variants are left out (they re-enable CBC/SHA-1 ciphers and
// security scanners flag them). The first one is the default.
var SSLPolicies = []SSLPolicy{
	DefaultSSLPolicy,
	"ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
	"ELBSecurityPolicy-TLS13-1-2-2021-06",
	"ELBSecurityPolicy-TLS13-1-3-2021-06",
}

func sslPolicyNames() []string {
	out := make([]string, len(SSLPolicies))
	for i, p := range SSLPolicies {
		out[i] = string(p)
	}
	return out
}

// OIDCUnauthenticatedAction is what the ALB does with a request that has no valid session.
type OIDCUnauthenticatedAction string

const (
	// OIDCAuthenticate redirects to the IdP login (the default: an internal web app).
	OIDCAuthenticate OIDCUnauthenticatedAction = "authenticate"
	// OIDCDeny answers 401 (for APIs called by scripts that cannot follow a login redirect).
	OIDCDeny OIDCUnauthenticatedAction = "deny"
	// OIDCAllow forwards anonymous requests too; the app decides from the (absent) claims.
	OIDCAllow OIDCUnauthenticatedAction = "allow"
)

// OIDCUnauthenticatedActions lists the valid actions, default first.
var OIDCUnauthenticatedActions = []OIDCUnauthenticatedAction{OIDCAuthenticate, OIDCDeny, OIDCAllow}

// OIDCArgs turns on ALB `authenticate-oidc` in front of the app: only users who log in at the
// company IdP (Google Workspace, Entra ID, Okta, ...) reach Rails. See docs/oidc.md.
//
// Behind it the app receives, on every authenticated request:
//   - x-amzn-oidc-accesstoken: the IdP's access token, as is;
//   - x-amzn-oidc-identity: the `sub` claim from the user info endpoint;
//   - x-amzn-oidc-data: the user claims as a JWT signed by the ALB with ES256. Verify it with the
//     public key at https://public-keys.auth.elb.<region>.amazonaws.com/<kid>, and check that the
//     header's `signer` field equals this ALB's ARN, before trusting any claim.
type OIDCArgs struct {
	// Issuer is the IdP's issuer identifier (an https URL). Required.
	Issuer string
	// AuthorizationEndpoint, TokenEndpoint and UserInfoEndpoint are the IdP's endpoints, from its
	// /.well-known/openid-configuration (https URLs). Required.
	AuthorizationEndpoint, TokenEndpoint, UserInfoEndpoint string
	// ClientID is the OAuth 2.0 client id of the app registered at the IdP. Required.
	ClientID string
	// ClientSecret is the OAuth 2.0 client secret. Required. It is always handled as a Pulumi
	// secret, whatever the caller passes.
	ClientSecret pulumi.StringInput
	// Scope is the space-separated scopes to request. Default DefaultOIDCScope. Must contain openid.
	Scope string
	// SessionTimeoutSeconds is the longest ALB session before a new login.
	// Default DefaultOIDCSessionTimeoutSeconds. Valid: 1 to MaxOIDCSessionTimeoutSeconds.
	SessionTimeoutSeconds int
	// OnUnauthenticatedRequest is what happens without a session. Default OIDCAuthenticate.
	// Valid: OIDCUnauthenticatedActions.
	OnUnauthenticatedRequest OIDCUnauthenticatedAction
}

// DomainArgs configures NewDomain.
type DomainArgs struct {
	// DomainName is the app's name, e.g. app.example.co.jp: lower-case FQDN, no wildcard, at most
	// MaxCommonNameLength characters (it becomes the certificate's common name). Required.
	DomainName string
	// SubjectAlternativeNames are further names on the certificate (wildcards allowed, e.g.
	// *.app.example.co.jp), all in the same hosted zone. Default none. Each non-wildcard name also
	// gets alias records to the ALB.
	SubjectAlternativeNames []string
	// HostedZoneName or HostedZoneID names the existing public Route53 zone; exactly one. The zone
	// is looked up, never created.
	HostedZoneName, HostedZoneID string

	// LoadBalancerArn, LoadBalancerDNSName and LoadBalancerZoneID identify the ALB; TargetGroupArn
	// is the app's target group. All required.
	LoadBalancerArn, LoadBalancerDNSName, LoadBalancerZoneID, TargetGroupArn pulumi.StringInput
	// LoadBalancerSecurityGroupID is the ALB's security group. Required with OIDC: the ALB itself
	// calls the IdP's token and user info endpoints, so it gets an HTTPS egress rule.
	LoadBalancerSecurityGroupID pulumi.StringInput
	// DualStack adds AAAA alias records (and IPv6 egress to the IdP). Default false. Set it when
	// the ALB's ipAddressType is dualstack.
	DualStack bool
	// SSLPolicy is the HTTPS listener's TLS policy. Default DefaultSSLPolicy. Valid: SSLPolicies.
	SSLPolicy SSLPolicy
	// HealthCheckPath stays reachable without login when OIDC is on. Default "/up". A literal path.
	HealthCheckPath string
	// OIDC turns on login at the company IdP. Default nil (no login).
	OIDC *OIDCArgs
}

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

func (a *DomainArgs) withDefaults() DomainArgs {
	out := *a
	if out.SSLPolicy == "" {
		out.SSLPolicy = DefaultSSLPolicy
	}
	if out.HealthCheckPath == "" {
		out.HealthCheckPath = domainDefaultHealthCheckPath
	}
	if a.OIDC != nil {
		o := *a.OIDC
		if o.Scope == "" {
			o.Scope = DefaultOIDCScope
		}
		if o.SessionTimeoutSeconds == 0 {
			o.SessionTimeoutSeconds = DefaultOIDCSessionTimeoutSeconds
		}
		if o.OnUnauthenticatedRequest == "" {
			o.OnUnauthenticatedRequest = OIDCAuthenticate
		}
		out.OIDC = &o
	}
	return out
}

func (a *DomainArgs) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if reason := checkFQDN(a.DomainName, MaxCommonNameLength, false); reason != "" {
		bad("DomainArgs.DomainName %q: %s", a.DomainName, reason)
	}
	seen := map[string]bool{a.DomainName: true}
	for _, san := range a.SubjectAlternativeNames {
		if reason := checkFQDN(san, MaxDNSNameLength, true); reason != "" {
			bad("DomainArgs.SubjectAlternativeNames %q: %s", san, reason)
		}
		if seen[san] {
			bad("DomainArgs.SubjectAlternativeNames %q: listed twice (or equal to DomainName)", san)
		}
		seen[san] = true
	}
	if n := len(a.SubjectAlternativeNames) + 1; n > MaxCertificateNames {
		bad("DomainArgs.SubjectAlternativeNames: %d names with DomainName; ACM allows at most %d per certificate", n, MaxCertificateNames)
	}
	switch {
	case (a.HostedZoneName == "") == (a.HostedZoneID == ""):
		bad("DomainArgs: set exactly one of HostedZoneName and HostedZoneID (got %q and %q)", a.HostedZoneName, a.HostedZoneID)
	case a.HostedZoneName != "":
		if reason := checkFQDN(a.HostedZoneName, MaxDNSNameLength, false); reason != "" {
			bad("DomainArgs.HostedZoneName %q: %s", a.HostedZoneName, reason)
		}
		for _, n := range a.certificateNames() {
			if !inZone(n, a.HostedZoneName) {
				bad("DomainArgs: %q is not inside hosted zone %q; every certificate name must be validated in that zone", n, a.HostedZoneName)
			}
		}
	default:
		if reason := checkZoneID(a.HostedZoneID); reason != "" {
			bad("DomainArgs.HostedZoneID %q: %s", a.HostedZoneID, reason)
		}
	}
	for _, f := range []struct {
		field string
		v     pulumi.StringInput
	}{
		{"LoadBalancerArn", a.LoadBalancerArn}, {"LoadBalancerDNSName", a.LoadBalancerDNSName},
		{"LoadBalancerZoneID", a.LoadBalancerZoneID}, {"TargetGroupArn", a.TargetGroupArn},
	} {
		if f.v == nil {
			bad("DomainArgs.%s is required", f.field)
		}
	}
	if !slices.Contains(SSLPolicies, a.SSLPolicy) {
		bad("DomainArgs.SSLPolicy %q: must be one of %s", a.SSLPolicy, strings.Join(sslPolicyNames(), ", "))
	}
	if reason := checkHealthPath(a.HealthCheckPath); reason != "" {
		bad("DomainArgs.HealthCheckPath %q: %s", a.HealthCheckPath, reason)
	}
	if o := a.OIDC; o != nil {
		for _, f := range [][2]string{
			{"Issuer", o.Issuer}, {"AuthorizationEndpoint", o.AuthorizationEndpoint},
			{"TokenEndpoint", o.TokenEndpoint}, {"UserInfoEndpoint", o.UserInfoEndpoint},
		} {
			if reason := checkHTTPSURL(f[1]); reason != "" {
				bad("DomainArgs.OIDC.%s %q: %s", f[0], f[1], reason)
			}
		}
		if strings.TrimSpace(o.ClientID) == "" {
			bad("DomainArgs.OIDC.ClientID is required")
		}
		if o.ClientSecret == nil {
			bad("DomainArgs.OIDC.ClientSecret is required")
		}
		if reason := checkOIDCScope(o.Scope); reason != "" {
			bad("DomainArgs.OIDC.Scope %q: %s", o.Scope, reason)
		}
		if o.SessionTimeoutSeconds < 1 || o.SessionTimeoutSeconds > MaxOIDCSessionTimeoutSeconds {
			bad("DomainArgs.OIDC.SessionTimeoutSeconds %d: must be from 1 to %d", o.SessionTimeoutSeconds, MaxOIDCSessionTimeoutSeconds)
		}
		if !slices.Contains(OIDCUnauthenticatedActions, o.OnUnauthenticatedRequest) {
			bad("DomainArgs.OIDC.OnUnauthenticatedRequest %q: must be authenticate, deny or allow", o.OnUnauthenticatedRequest)
		}
		if a.LoadBalancerSecurityGroupID == nil {
			bad("DomainArgs.LoadBalancerSecurityGroupID is required with OIDC: the ALB must reach the IdP over HTTPS")
		}
	}
	return errors.Join(errs...)
}

// certificateNames is the domain name followed by the SANs.
func (a *DomainArgs) certificateNames() []string {
	return append([]string{a.DomainName}, a.SubjectAlternativeNames...)
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
		return nil, errors.New("NewDomain: args are required (at least DomainName, a hosted zone and the ALB)")
	}
	a := args.withDefaults()
	if err := a.validate(); err != nil {
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

	forward := lb.ListenerDefaultActionArgs{Type: pulumi.String("forward"), TargetGroupArn: a.TargetGroupArn}
	actions := lb.ListenerDefaultActionArray{forward}
	if o := a.OIDC; o != nil {
		d.OIDCRedirectURL = "https://" + a.DomainName + "/oauth2/idpresponse"
		if err := allowIdentityProviderEgress(ctx, name, &a, parent); err != nil {
			return nil, err
		}
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
	listener, err := lb.NewListener(ctx, name+"-https", &lb.ListenerArgs{
		LoadBalancerArn: a.LoadBalancerArn,
		Port:            pulumi.Int(443),
		Protocol:        pulumi.String("HTTPS"),
		SslPolicy:       pulumi.String(string(a.SSLPolicy)),
		CertificateArn:  validation.CertificateArn,
		DefaultActions:  actions,
	}, parent)
	if err != nil {
		return nil, err
	}
	d.HTTPSListener = listener

	if a.OIDC != nil {
		// The ALB's own health checks go straight from the load balancer nodes to the targets and
		// never pass through listener rules, so login cannot break them. This rule is for callers
		// that do come through the listener — uptime monitors, Route53 health checks, a deploy
		// script polling /up — which cannot log in. Rails' /up reveals nothing but "up".
		if _, err := lb.NewListenerRule(ctx, name+"-health-no-auth", &lb.ListenerRuleArgs{
			ListenerArn: listener.Arn,
			Priority:    pulumi.Int(healthRulePriority),
			Conditions: lb.ListenerRuleConditionArray{lb.ListenerRuleConditionArgs{
				PathPattern: &lb.ListenerRuleConditionPathPatternArgs{
					Values: pulumi.StringArray{pulumi.String(a.HealthCheckPath)},
				},
			}},
			Actions: lb.ListenerRuleActionArray{lb.ListenerRuleActionArgs{
				Type:           pulumi.String("forward"),
				TargetGroupArn: a.TargetGroupArn,
			}},
		}, parent); err != nil {
			return nil, err
		}
	}

	if err := newAliasRecords(ctx, name, &a, zone, listener, parent); err != nil {
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
					Name:                 a.LoadBalancerDNSName,
					ZoneId:               a.LoadBalancerZoneID,
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
			SecurityGroupId: a.LoadBalancerSecurityGroupID,
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

var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	zoneID   = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
	// healthPath is a literal URL path: ALB path patterns treat * and ? as wildcards.
	healthPath = regexp.MustCompile(`^/[A-Za-z0-9._~!$&'()+,;=:@/-]{0,127}$`)
)

// checkFQDN returns why name is not a usable lower-case DNS name of at most maxLen characters,
// or "". With wildcard, a leading "*." label is allowed.
func checkFQDN(name string, maxLen int, wildcard bool) string {
	switch {
	case name == "":
		return "must be a domain name such as app.example.com."
	case strings.ToLower(name) != name:
		return fmt.Sprintf("must be lower case (%s): ACM and Route53 store names in lower case.", strings.ToLower(name))
	case strings.HasSuffix(name, "."):
		return fmt.Sprintf("drop the trailing dot (%s).", strings.TrimSuffix(name, "."))
	case len(name) > maxLen:
		return fmt.Sprintf("is %d characters; at most %d are allowed here.", len(name), maxLen)
	}
	host := name
	if wildcard {
		host = strings.TrimPrefix(host, "*.")
	}
	if strings.Contains(host, "*") {
		if wildcard {
			return "a wildcard is allowed only as the whole first label (*.example.com)."
		}
		return "must not be a wildcard; put *.name in subjectAlternativeNames instead."
	}
	labels := strings.Split(host, ".")
	if len(labels) < 2 {
		return "must be a fully qualified name with at least two labels (app.example.com)."
	}
	for _, l := range labels {
		if !dnsLabel.MatchString(l) {
			return fmt.Sprintf("label %q is not valid: 1 to 63 of a-z, 0-9 and '-', not starting or ending with '-' (use the xn-- form for international names).", l)
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "the last label must not be all digits (an IP address is not a domain name)."
	}
	return ""
}

// inZone reports whether name (or the base of a wildcard) is zone itself or lies below it.
func inZone(name, zone string) bool {
	name = strings.TrimPrefix(name, "*.")
	return name == zone || strings.HasSuffix(name, "."+zone)
}

func checkZoneID(id string) string {
	if strings.HasPrefix(id, "/hostedzone/") {
		return fmt.Sprintf("drop the /hostedzone/ prefix (%s).", strings.TrimPrefix(id, "/hostedzone/"))
	}
	if !zoneID.MatchString(id) {
		return "must be a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ (Z followed by upper-case letters and digits)."
	}
	return ""
}

// checkHTTPSURL returns why s is not an absolute https URL the ALB accepts as an IdP endpoint, or "".
func checkHTTPSURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case s == "":
		return "is required."
	case err != nil || u.Host == "" || strings.ContainsAny(s, " \t\n"):
		return "must be an absolute URL such as https://idp.example.com/oauth2/token."
	case u.Scheme != "https":
		return "must use https (the ALB sends the client secret and tokens over it)."
	case u.User != nil || u.Fragment != "":
		return "must not contain credentials or a #fragment."
	}
	return ""
}

func checkOIDCScope(scope string) string {
	if !slices.Contains(strings.Fields(scope), "openid") {
		return `must include "openid" (space-separated, e.g. "openid email profile"); without it the IdP does not run OpenID Connect.`
	}
	return ""
}

func checkHealthPath(p string) string {
	if !healthPath.MatchString(p) {
		return "must be a literal path starting with / (at most 128 characters, no * or ?, no query string), such as /up."
	}
	return ""
}
