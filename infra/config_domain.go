package infra

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DomainConfig holds the domain/TLS keys. Without domainName the app is served over plain HTTP
// at the ALB's DNS name (dev only; prod must have a domain).
//
// OIDC uses flat keys (oidcIssuer, oidcClientSecret, ...) rather than one `oidc` object: Pulumi
// marks a whole object key secret when any nested value is `secure:`, so with an object the
// program could not tell whether the client secret itself was encrypted, and every plain field
// (issuer, endpoints) would turn secret too.
type DomainConfig struct {
	DomainName              string    // domainName; default "" (no domain, HTTP only)
	SubjectAlternativeNames []string  // subjectAlternativeNames; default none
	HostedZoneName          string    // hostedZoneName; exactly one of this and hostedZoneId
	HostedZoneID            string    // hostedZoneId
	SSLPolicy               SSLPolicy // sslPolicy; default DefaultSSLPolicy; one of SSLPolicies
	// OIDC is nil unless the oidc* keys are set (all required ones, or the config fails).
	OIDC *OIDCArgs
}

// Enabled reports whether the stack serves HTTPS on its own domain.
func (d *DomainConfig) Enabled() bool { return d.DomainName != "" }

// Args returns the config part of DomainArgs; the caller adds the load balancer fields.
func (d *DomainConfig) Args() *DomainArgs {
	return &DomainArgs{
		DomainName:              d.DomainName,
		SubjectAlternativeNames: d.SubjectAlternativeNames,
		HostedZoneName:          d.HostedZoneName,
		HostedZoneID:            d.HostedZoneID,
		SSLPolicy:               d.SSLPolicy,
		OIDC:                    d.OIDC,
	}
}

// LookupHostedZone finds the domain's existing public zone and checks that every certificate
// name lies in it. deploy calls it before registering any resource, so a missing or wrong zone
// stops even `pulumi up --skip-preview` with nothing created (NewDomain looks it up again).
func (d *DomainConfig) LookupHostedZone(ctx *pulumi.Context) (string, error) {
	return lookupZone(ctx, d.Args())
}

// oidcRequiredKeys must all be set once any oidc* key is; examples feed the Fix command.
var oidcRequiredKeys = []struct{ key, example string }{
	{"oidcIssuer", "https://accounts.google.com"},
	{"oidcAuthorizationEndpoint", "https://accounts.google.com/o/oauth2/v2/auth"},
	{"oidcTokenEndpoint", "https://oauth2.googleapis.com/token"},
	{"oidcUserInfoEndpoint", "https://openidconnect.googleapis.com/v1/userinfo"},
	{"oidcClientId", "<client id from the IdP>"},
	{"oidcClientSecret", ""},
}

var oidcOptionalKeys = []string{"oidcScope", "oidcSessionTimeoutSeconds", "oidcOnUnauthenticatedRequest"}

func (r *reader) domain(c *Config) {
	d := &c.Domain
	d.DomainName = r.str("domainName", "")
	d.SubjectAlternativeNames = r.stringList("subjectAlternativeNames", nil, "www.app.example.com")
	d.HostedZoneName = r.str("hostedZoneName", "")
	d.HostedZoneID = r.str("hostedZoneId", "")
	d.SSLPolicy = SSLPolicy(r.enum("sslPolicy", string(DefaultSSLPolicy),
		"TLS 1.3-capable policies that refuse TLS 1.0/1.1; the default is the one AWS recommends.",
		sslPolicyNames()...))

	if d.DomainName != "" {
		if reason := checkFQDN(d.DomainName, MaxCommonNameLength, false); reason != "" {
			r.fail("domainName", d.DomainName, reason, setFix("domainName", fqdnExample(d.DomainName)))
		}
	}
	seen := map[string]bool{d.DomainName: true}
	for _, san := range d.SubjectAlternativeNames {
		if reason := checkFQDN(san, MaxDNSNameLength, true); reason != "" {
			r.fail("subjectAlternativeNames", san, reason, "pulumi config set --path 'subjectAlternativeNames[0]' "+fqdnExample(san))
		} else if seen[san] {
			r.fail("subjectAlternativeNames", san, "is listed twice or repeats domainName.",
				"remove the duplicate from subjectAlternativeNames in the stack file")
		}
		seen[san] = true
	}
	if n := len(d.SubjectAlternativeNames) + 1; n > MaxCertificateNames {
		r.fail("subjectAlternativeNames", strconv.Itoa(len(d.SubjectAlternativeNames))+" names",
			fmt.Sprintf("with domainName that is %d names; ACM allows at most %d per certificate (default quota 10).", n, MaxCertificateNames),
			"remove names from subjectAlternativeNames (a wildcard such as *.app.example.com covers many)")
	}
	if d.HostedZoneName != "" {
		if reason := checkFQDN(d.HostedZoneName, MaxDNSNameLength, false); reason != "" {
			r.fail("hostedZoneName", d.HostedZoneName, reason, setFix("hostedZoneName", fqdnExample(d.HostedZoneName)))
		}
	}
	if d.HostedZoneID != "" {
		if reason := checkZoneID(d.HostedZoneID); reason != "" {
			r.fail("hostedZoneId", d.HostedZoneID, reason,
				"pulumi config set hostedZoneId $(aws route53 list-hosted-zones-by-name --dns-name <zone> --query 'HostedZones[0].Id' --output text | cut -d/ -f3)")
		}
	}

	switch {
	case d.DomainName == "":
		if d.HostedZoneName != "" {
			r.fail("hostedZoneName", d.HostedZoneName, "is set but domainName is not; the zone is only used for the app's domain.",
				setFix("domainName", "app."+fqdnExample(d.HostedZoneName))+" (or pulumi config rm hostedZoneName)")
		}
		if d.HostedZoneID != "" {
			r.fail("hostedZoneId", d.HostedZoneID, "is set but domainName is not; the zone is only used for the app's domain.",
				setFix("domainName", "app.example.com")+" (or pulumi config rm hostedZoneId)")
		}
		if len(d.SubjectAlternativeNames) > 0 {
			r.fail("subjectAlternativeNames", strings.Join(d.SubjectAlternativeNames, ","),
				"is set but domainName is not; alternative names go on the domain's certificate.",
				setFix("domainName", "app.example.com")+" (or pulumi config rm subjectAlternativeNames)")
		}
	case d.HostedZoneName == "" && d.HostedZoneID == "":
		r.fail("hostedZoneName", "", fmt.Sprintf("domainName %s needs its Route53 hosted zone: set exactly one of hostedZoneName or hostedZoneId.", d.DomainName),
			setFix("hostedZoneName", guessZone(d.DomainName)))
	case d.HostedZoneName != "" && d.HostedZoneID != "":
		r.fail("hostedZoneId", d.HostedZoneID, fmt.Sprintf("set exactly one of hostedZoneName (%s) or hostedZoneId, not both.", d.HostedZoneName),
			"pulumi config rm hostedZoneId (or pulumi config rm hostedZoneName)")
	case d.HostedZoneName != "":
		// With only an id, the zone's name is known after the lookup; NewDomain checks it there.
		for _, n := range append([]string{d.DomainName}, d.SubjectAlternativeNames...) {
			if checkFQDN(strings.TrimPrefix(n, "*."), MaxDNSNameLength, false) == "" && !inZone(n, d.HostedZoneName) {
				key := "domainName"
				if n != d.DomainName {
					key = "subjectAlternativeNames"
				}
				r.fail(key, n, fmt.Sprintf("is not inside hosted zone %s; its validation and alias records must go in that zone.", d.HostedZoneName),
					setFix(key, "<name ending in ."+d.HostedZoneName+">")+" (or set hostedZoneName to the zone that contains it)")
			}
		}
	}

	r.oidc(d)
}

// oidc reads the flat oidc* keys. All are read unconditionally so KnownKeys sees them.
func (r *reader) oidc(d *DomainConfig) {
	set := func(key string) bool {
		v, ok := r.src.Get(qualify(key))
		return ok && strings.TrimSpace(v) != ""
	}
	var given []string
	for _, k := range oidcRequiredKeys {
		if set(k.key) {
			given = append(given, k.key)
		}
	}
	for _, k := range oidcOptionalKeys {
		if set(k) {
			given = append(given, k)
		}
	}

	o := &OIDCArgs{
		Issuer:                r.str("oidcIssuer", ""),
		AuthorizationEndpoint: r.str("oidcAuthorizationEndpoint", ""),
		TokenEndpoint:         r.str("oidcTokenEndpoint", ""),
		UserInfoEndpoint:      r.str("oidcUserInfoEndpoint", ""),
		ClientID:              r.str("oidcClientId", ""),
		Scope:                 r.str("oidcScope", DefaultOIDCScope),
		SessionTimeoutSeconds: r.integer("oidcSessionTimeoutSeconds", DefaultOIDCSessionTimeoutSeconds, 1, MaxOIDCSessionTimeoutSeconds, strconv.Itoa(DefaultOIDCSessionTimeoutSeconds)),
	}
	actions := make([]string, len(OIDCUnauthenticatedActions))
	for i, a := range OIDCUnauthenticatedActions {
		actions[i] = string(a)
	}
	o.OnUnauthenticatedRequest = OIDCUnauthenticatedAction(r.enum("oidcOnUnauthenticatedRequest", string(OIDCAuthenticate),
		"authenticate sends users to the IdP login; deny answers 401; allow lets anonymous requests through.", actions...))
	secret := r.secret("oidcClientSecret")
	if len(given) == 0 {
		return
	}

	values := map[string]string{
		"oidcIssuer": o.Issuer, "oidcAuthorizationEndpoint": o.AuthorizationEndpoint,
		"oidcTokenEndpoint": o.TokenEndpoint, "oidcUserInfoEndpoint": o.UserInfoEndpoint, "oidcClientId": o.ClientID,
	}
	for _, k := range oidcRequiredKeys {
		if set(k.key) {
			continue
		}
		fix := setFix(k.key, k.example)
		if k.key == "oidcClientSecret" {
			fix = "pulumi config set --secret oidcClientSecret <client secret from the IdP>"
		}
		r.fail(k.key, "", fmt.Sprintf("is required because %s is set: login needs every one of %s.",
			strings.Join(given, ", "), oidcRequiredNames()), fix)
	}
	for _, k := range oidcRequiredKeys[:4] {
		if v := values[k.key]; v != "" {
			if reason := checkHTTPSURL(v); reason != "" {
				r.fail(k.key, v, reason+" Copy it from the IdP's /.well-known/openid-configuration.", setFix(k.key, k.example))
			}
		}
	}
	if set("oidcScope") {
		if reason := checkOIDCScope(o.Scope); reason != "" {
			r.fail("oidcScope", o.Scope, reason, setFix("oidcScope", strconv.Quote(DefaultOIDCScope)))
		}
	}
	o.ClientSecret = secret.Value
	d.OIDC = o
}

func oidcRequiredNames() string {
	names := make([]string, len(oidcRequiredKeys))
	for i, k := range oidcRequiredKeys {
		names[i] = k.key
	}
	return strings.Join(names, ", ")
}

// fqdnExample turns a rejected name into the closest valid-looking one for the Fix command.
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

func (r *reader) domainCrossChecks(c *Config) {
	d := &c.Domain
	if c.IsProd() && !d.Enabled() {
		r.fail("domainName", "",
			"prod must serve HTTPS on its own domain (a certificate, the 443 listener and login all hang on it); only dev may run on plain HTTP at the ALB's DNS name.",
			setFix("domainName", "app.example.com")+" && "+setFix("hostedZoneName", "example.com"))
	}
	// With a domain, the health check path also becomes a listener path pattern (NewDomain checks
	// it there): reject here what the service's own check lets through, so the problem names the
	// key and nothing is registered. The service's check reports the other malformed paths.
	if hp := c.Service.HealthCheckPath; d.Enabled() && strings.HasPrefix(hp, "/") && !strings.ContainsAny(hp, " ?#") {
		if reason := checkHealthPath(hp); reason != "" {
			r.fail("healthCheckPath", hp, "with domainName set it is also the HTTPS listener's no-login path pattern, so it "+reason,
				setFix("healthCheckPath", DefaultHealthCheckPath))
		}
	}
	if d.OIDC != nil && !d.Enabled() {
		r.fail("oidcIssuer", d.OIDC.Issuer,
			"OIDC login runs on the HTTPS listener, which needs domainName (the IdP redirects back to https://<domainName>/oauth2/idpresponse).",
			setFix("domainName", "app.example.com"))
	}
}
