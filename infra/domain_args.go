package infra

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

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
// In config these are flat oidc* keys rather than one `oidc` object: Pulumi marks a whole object
// secret when any nested value is `secure:`, so the program could not tell whether the client
// secret itself was encrypted, and the plain fields (issuer, endpoints) would turn secret too.
// Setting any of them turns login on (the group exists), and then every required one must be set.
//
// Behind it the app receives, on every authenticated request:
//   - x-amzn-oidc-accesstoken: the IdP's access token, as is;
//   - x-amzn-oidc-identity: the `sub` claim from the user info endpoint;
//   - x-amzn-oidc-data: the user claims as a JWT signed by the ALB with ES256. Verify it with the
//     public key at https://public-keys.auth.elb.<region>.amazonaws.com/<kid>, and check that the
//     header's `signer` field equals this ALB's ARN, before trusting any claim.
type OIDCArgs struct {
	// Issuer is the IdP's issuer identifier (an https URL). Required.
	Issuer string `config:"oidcIssuer"`
	// AuthorizationEndpoint is the IdP's authorization endpoint, from its
	// /.well-known/openid-configuration (an https URL). Required.
	AuthorizationEndpoint string `config:"oidcAuthorizationEndpoint"`
	// TokenEndpoint is the IdP's token endpoint (an https URL). Required.
	TokenEndpoint string `config:"oidcTokenEndpoint"`
	// UserInfoEndpoint is the IdP's user info endpoint (an https URL). Required.
	UserInfoEndpoint string `config:"oidcUserInfoEndpoint"`
	// ClientID is the OAuth 2.0 client id of the app registered at the IdP. Required.
	ClientID string `config:"oidcClientId"`
	// ClientSecret is the OAuth 2.0 client secret. Required. It is always handled as a Pulumi
	// secret, whatever the caller passes.
	ClientSecret pulumi.StringInput `config:"oidcClientSecret,secret"`
	// Scope is the space-separated scopes to request. Default DefaultOIDCScope. Must contain openid.
	Scope string `config:"oidcScope"`
	// SessionTimeoutSeconds is the longest ALB session before a new login.
	// Default DefaultOIDCSessionTimeoutSeconds. Valid: 1 to MaxOIDCSessionTimeoutSeconds.
	SessionTimeoutSeconds int `config:"oidcSessionTimeoutSeconds"`
	// OnUnauthenticatedRequest is what happens without a session. Default OIDCAuthenticate.
	// Valid: OIDCUnauthenticatedActions.
	OnUnauthenticatedRequest OIDCUnauthenticatedAction `config:"oidcOnUnauthenticatedRequest"`

	// given names the fields set before defaults() filled the rest: the settings that turned
	// login on, which the "is required because ... is set" problems name.
	given []string
}

// DomainArgs configures NewDomain. Each setting is the field tagged with its config key; a zero
// value takes the default written beside it. Without DomainName the stack has no Domain (dev
// only: the app is served over plain HTTP at the ALB's DNS name).
type DomainArgs struct {
	// DomainName is the app's name, e.g. app.example.co.jp: lower-case FQDN, no wildcard, at most
	// MaxCommonNameLength characters (it becomes the certificate's common name). Required by NewDomain.
	DomainName string `config:"domainName"`
	// SubjectAlternativeNames are further names on the certificate (wildcards allowed, e.g.
	// *.app.example.co.jp), all in the same hosted zone. Default none. Each non-wildcard name also
	// gets alias records to the ALB.
	SubjectAlternativeNames []string `config:"subjectAlternativeNames" example:"www.app.example.com"`
	// HostedZoneName names the existing public Route53 zone; set exactly one of it and
	// HostedZoneID. The zone is looked up, never created.
	HostedZoneName string `config:"hostedZoneName"`
	// HostedZoneID is the zone's id (Z...), instead of HostedZoneName.
	HostedZoneID string `config:"hostedZoneId"`
	// SSLPolicy is the HTTPS listener's TLS policy. Default DefaultSSLPolicy. Valid: SSLPolicies.
	SSLPolicy SSLPolicy `config:"sslPolicy"`
	// OIDC turns on login at the company IdP. Default nil (no login).
	OIDC *OIDCArgs `config:",group"`

	// Target is the app service's load balancer and target group, with the health check path that
	// stays reachable without login. Required by NewDomain; not a setting (main wires it).
	Target AppTarget
	// DualStack adds AAAA alias records (and IPv6 egress to the IdP). Default false. Set it when
	// the ALB's ipAddressType is dualstack.
	DualStack bool
}

// Enabled reports whether the stack serves HTTPS on its own domain.
func (a *DomainArgs) Enabled() bool { return a.DomainName != "" }

// certificateNames is the domain name followed by the SANs.
func (a *DomainArgs) certificateNames() []string {
	return append([]string{a.DomainName}, a.SubjectAlternativeNames...)
}

// defaults fills every unset setting; OIDC's only when login is on.
func (a *DomainArgs) defaults() {
	if a.SSLPolicy == "" {
		a.SSLPolicy = DefaultSSLPolicy
	}
	if a.OIDC != nil {
		o := *a.OIDC // the caller's OIDCArgs stay as given
		o.defaults()
		a.OIDC = &o
	}
}

func (o *OIDCArgs) defaults() {
	if o.given == nil {
		o.given = o.setFields()
	}
	if o.Scope == "" {
		o.Scope = DefaultOIDCScope
	}
	if o.SessionTimeoutSeconds == 0 {
		o.SessionTimeoutSeconds = DefaultOIDCSessionTimeoutSeconds
	}
	if o.OnUnauthenticatedRequest == "" {
		o.OnUnauthenticatedRequest = OIDCAuthenticate
	}
}

// oidcFields are OIDCArgs' settings in key order.
var oidcFields = []string{"Issuer", "AuthorizationEndpoint", "TokenEndpoint", "UserInfoEndpoint", "ClientID",
	"ClientSecret", "Scope", "SessionTimeoutSeconds", "OnUnauthenticatedRequest"}

// setFields names o's non-zero fields, in key order.
func (o *OIDCArgs) setFields() []string {
	set := map[string]bool{
		"Issuer": o.Issuer != "", "AuthorizationEndpoint": o.AuthorizationEndpoint != "",
		"TokenEndpoint": o.TokenEndpoint != "", "UserInfoEndpoint": o.UserInfoEndpoint != "",
		"ClientID": o.ClientID != "", "ClientSecret": o.ClientSecret != nil, "Scope": o.Scope != "",
		"SessionTimeoutSeconds": o.SessionTimeoutSeconds != 0, "OnUnauthenticatedRequest": o.OnUnauthenticatedRequest != "",
	}
	out := []string{}
	for _, f := range oidcFields {
		if set[f] {
			out = append(out, f)
		}
	}
	return out
}

// givenFields names the settings that turned login on, in key order: those set before defaults()
// ran, and a session timeout of 0 after it (an explicit 0, which the config reader restores so
// its rule reports it).
func (o *OIDCArgs) givenFields() []string {
	if o.given == nil {
		return o.setFields()
	}
	var out []string
	for _, f := range oidcFields {
		if slices.Contains(o.given, f) || (f == "SessionTimeoutSeconds" && o.SessionTimeoutSeconds == 0) {
			out = append(out, f)
		}
	}
	return out
}

// problems holds every domain rule. Without DomainName only the settings that need one are
// reported; NewDomain adds that DomainName itself is required.
func (a *DomainArgs) problems() []FieldProblem {
	var ps problemList
	a.nameProblems(&ps)
	switch {
	case a.DomainName == "":
		a.withoutDomainProblems(&ps)
	case a.HostedZoneName == "" && a.HostedZoneID == "":
		ps.add("HostedZoneName", "", fmt.Sprintf("{DomainName} %s needs its Route53 hosted zone: set exactly one of {HostedZoneName} or {HostedZoneID}.", a.DomainName),
			setTo("HostedZoneName", guessZone(a.DomainName)))
	case a.HostedZoneName != "" && a.HostedZoneID != "":
		ps.add("HostedZoneID", a.HostedZoneID, fmt.Sprintf("set exactly one of {HostedZoneName} (%s) or {HostedZoneID}, not both.", a.HostedZoneName),
			removeField("HostedZoneID").or(removeField("HostedZoneName")))
	case a.HostedZoneName != "":
		// With only an id, the zone's name is known after the lookup; lookupZone checks it there.
		a.outsideZoneProblems(&ps)
	}
	enumProblem(&ps, "SSLPolicy", string(a.SSLPolicy), sslPolicyNames(), string(DefaultSSLPolicy),
		"TLS 1.3-capable policies that refuse TLS 1.0/1.1; the default is the one AWS recommends.")
	if a.OIDC != nil {
		ps = append(ps, a.OIDC.problems()...)
	}
	return ps
}

// nameProblems checks the form of every name that is set: the certificate's names and the zone's.
func (a *DomainArgs) nameProblems(ps *problemList) {
	if a.DomainName != "" {
		if reason := checkFQDN(a.DomainName, MaxCommonNameLength, false); reason != "" {
			ps.add("DomainName", a.DomainName, reason, setTo("DomainName", fqdnExample(a.DomainName)))
		}
	}
	seen := map[string]bool{a.DomainName: true}
	for _, san := range a.SubjectAlternativeNames {
		if reason := checkFQDN(san, MaxDNSNameLength, true); reason != "" {
			ps.add("SubjectAlternativeNames", san, reason, Fix{Steps: []FixStep{{Op: FixSet, Field: "SubjectAlternativeNames", Path: "[0]", Value: fqdnExample(san)}}})
		} else if seen[san] {
			ps.add("SubjectAlternativeNames", san, "is listed twice or repeats {DomainName}.",
				note("remove the duplicate from {SubjectAlternativeNames} in the stack file"))
		}
		seen[san] = true
	}
	if n := len(a.SubjectAlternativeNames) + 1; n > MaxCertificateNames {
		ps.add("SubjectAlternativeNames", strconv.Itoa(len(a.SubjectAlternativeNames))+" names",
			fmt.Sprintf("with {DomainName} that is %d names; ACM allows at most %d per certificate (default quota 10).", n, MaxCertificateNames),
			note("remove names from {SubjectAlternativeNames} (a wildcard such as *.app.example.com covers many)"))
	}
	if a.HostedZoneName != "" {
		if reason := checkFQDN(a.HostedZoneName, MaxDNSNameLength, false); reason != "" {
			ps.add("HostedZoneName", a.HostedZoneName, reason, setTo("HostedZoneName", fqdnExample(a.HostedZoneName)))
		}
	}
	if a.HostedZoneID != "" {
		if reason := checkZoneID(a.HostedZoneID); reason != "" {
			ps.add("HostedZoneID", a.HostedZoneID, reason,
				setTo("HostedZoneID", "$(aws route53 list-hosted-zones-by-name --dns-name <zone> --query 'HostedZones[0].Id' --output text | cut -d/ -f3)"))
		}
	}
}

// withoutDomainProblems reports the settings that only mean something with a domain.
func (a *DomainArgs) withoutDomainProblems(ps *problemList) {
	if a.HostedZoneName != "" {
		ps.add("HostedZoneName", a.HostedZoneName, "is set but {DomainName} is not; the zone is only used for the app's domain.",
			setTo("DomainName", "app."+fqdnExample(a.HostedZoneName)).or(removeField("HostedZoneName")))
	}
	if a.HostedZoneID != "" {
		ps.add("HostedZoneID", a.HostedZoneID, "is set but {DomainName} is not; the zone is only used for the app's domain.",
			setTo("DomainName", "app.example.com").or(removeField("HostedZoneID")))
	}
	if len(a.SubjectAlternativeNames) > 0 {
		ps.add("SubjectAlternativeNames", strings.Join(a.SubjectAlternativeNames, ","),
			"is set but {DomainName} is not; alternative names go on the domain's certificate.",
			setTo("DomainName", "app.example.com").or(removeField("SubjectAlternativeNames")))
	}
	if a.OIDC != nil {
		ps.add("OIDC.Issuer", a.OIDC.Issuer,
			"OIDC login runs on the HTTPS listener, which needs {DomainName} (the IdP redirects back to https://<domainName>/oauth2/idpresponse).",
			setTo("DomainName", "app.example.com"))
	}
}

// outsideZoneProblems reports certificate names outside the named zone (malformed names already
// have their own problem).
func (a *DomainArgs) outsideZoneProblems(ps *problemList) {
	for i, n := range a.certificateNames() {
		if checkFQDN(strings.TrimPrefix(n, "*."), MaxDNSNameLength, false) != "" || inZone(n, a.HostedZoneName) {
			continue
		}
		field := "DomainName"
		if i > 0 {
			field = "SubjectAlternativeNames"
		}
		ps.add(field, n, fmt.Sprintf("is not inside hosted zone %s; its validation and alias records must go in that zone.", a.HostedZoneName),
			setTo(field, "<name ending in ."+a.HostedZoneName+">").or(note("set {HostedZoneName} to the zone that contains it")))
	}
}

// oidcRequired are the OIDC fields login cannot run without, in key order; examples feed the Fix.
var oidcRequired = []struct{ field, example string }{
	{"Issuer", "https://accounts.google.com"},
	{"AuthorizationEndpoint", "https://accounts.google.com/o/oauth2/v2/auth"},
	{"TokenEndpoint", "https://oauth2.googleapis.com/token"},
	{"UserInfoEndpoint", "https://openidconnect.googleapis.com/v1/userinfo"},
	{"ClientID", "<client id from the IdP>"},
	{"ClientSecret", "<client secret from the IdP>"},
}

// problems holds every OIDC rule; fields are named from DomainArgs ("OIDC.Issuer").
func (o *OIDCArgs) problems() []FieldProblem {
	var ps problemList
	required := make([]string, len(oidcRequired))
	for i, r := range oidcRequired {
		required[i] = r.field
	}
	why := fmt.Sprintf("is required: login needs every one of %s.", oidcRefs(required))
	if given := o.givenFields(); len(given) > 0 {
		why = fmt.Sprintf("is required because %s is set: login needs every one of %s.", oidcRefs(given), oidcRefs(required))
	}
	text := map[string]string{
		"Issuer": o.Issuer, "AuthorizationEndpoint": o.AuthorizationEndpoint, "TokenEndpoint": o.TokenEndpoint,
		"UserInfoEndpoint": o.UserInfoEndpoint, "ClientID": strings.TrimSpace(o.ClientID),
	}
	for _, r := range oidcRequired {
		field := "OIDC." + r.field
		if missing := text[r.field] == "" && (r.field != "ClientSecret" || o.ClientSecret == nil); missing {
			fix := setTo(field, r.example)
			if r.field == "ClientSecret" {
				fix = Fix{Steps: []FixStep{{Op: FixSetSecret, Field: field, Value: r.example}}}
			}
			ps.add(field, "", why, fix)
			continue
		}
		if r.field == "ClientID" || r.field == "ClientSecret" {
			continue
		}
		if reason := checkHTTPSURL(text[r.field]); reason != "" {
			ps.add(field, text[r.field], reason+" Copy it from the IdP's /.well-known/openid-configuration.", setTo(field, r.example))
		}
	}
	if reason := checkOIDCScope(o.Scope); reason != "" {
		ps.add("OIDC.Scope", o.Scope, reason, setTo("OIDC.Scope", strconv.Quote(DefaultOIDCScope)))
	}
	rangeProblem(&ps, "OIDC.SessionTimeoutSeconds", o.SessionTimeoutSeconds, 1, MaxOIDCSessionTimeoutSeconds, DefaultOIDCSessionTimeoutSeconds)
	actions := make([]string, len(OIDCUnauthenticatedActions))
	for i, act := range OIDCUnauthenticatedActions {
		actions[i] = string(act)
	}
	enumProblem(&ps, "OIDC.OnUnauthenticatedRequest", string(o.OnUnauthenticatedRequest), actions, string(OIDCAuthenticate),
		"authenticate sends users to the IdP login; deny answers 401; allow lets anonymous requests through.")
	return ps
}

// oidcRefs names OIDC fields for a Reason: "{OIDC.Issuer}, {OIDC.ClientID}".
func oidcRefs(fields []string) string {
	refs := make([]string, len(fields))
	for i, f := range fields {
		refs[i] = "{OIDC." + f + "}"
	}
	return strings.Join(refs, ", ")
}

// wiringProblems are NewDomain's checks on what its caller wires in rather than on settings: a
// stack without a domain has no Domain at all, and the target comes from the app service.
func (a *DomainArgs) wiringProblems() []FieldProblem {
	var ps problemList
	if a.DomainName == "" {
		ps.add("DomainName", "", checkFQDN("", MaxCommonNameLength, false), setTo("DomainName", "app.example.com"))
	}
	for _, f := range []struct {
		field string
		v     pulumi.StringInput
	}{
		{"LoadBalancerArn", a.Target.LoadBalancerArn}, {"LoadBalancerDNSName", a.Target.LoadBalancerDNSName},
		{"LoadBalancerZoneID", a.Target.LoadBalancerZoneID}, {"TargetGroupArn", a.Target.TargetGroupArn},
		{"HTTPListenerArn", a.Target.HTTPListenerArn},
	} {
		if f.v == nil {
			ps.add("Target."+f.field, "", "is required: the HTTPS listener forwards to the app's load balancer and target group.",
				note("pass the app service's AppTarget as {Target}"))
		}
	}
	if a.OIDC != nil && a.Target.LoadBalancerSecurityGroupID == nil {
		ps.add("Target.LoadBalancerSecurityGroupID", "", "is required with OIDC: the ALB must reach the IdP over HTTPS.",
			note("pass the app service's AppTarget as {Target}"))
	}
	// The service's one health path rule: the path becomes this listener's no-login pattern.
	if reason := healthCheckPathProblem(a.Target.HealthCheckPath); reason != "" {
		ps.add("Target.HealthCheckPath", a.Target.HealthCheckPath, reason, setTo("Target.HealthCheckPath", DefaultHealthCheckPath))
	}
	return ps
}

// fqdnExample turns a rejected name into the closest valid-looking one for a Fix.
func fqdnExample(name string) string {
	n := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
	if checkFQDN(strings.TrimPrefix(n, "*."), MaxDNSNameLength, false) == "" && len(n) <= MaxCommonNameLength {
		return n
	}
	return "app.example.com"
}

// guessZone suggests the zone of a name: its parent, or the name itself for a two-label apex.
func guessZone(name string) string {
	if labels := strings.Split(name, "."); len(labels) > 2 {
		return strings.Join(labels[1:], ".")
	}
	return name
}

var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	zoneID   = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
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
