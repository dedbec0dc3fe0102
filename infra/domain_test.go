package infra

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/internal/awstype"
	"github.com/rails-infra/rails-infra/internal/mockengine"
)

const (
	testZoneName = "example.co.jp"
	testZoneID   = "Z0123456789EXAMPLEJP"
	testALBArn   = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/web-1a2b3c4/50dc6c495c0c9188"
	testALBDNS   = "web-1a2b3c4-1234567890.ap-northeast-1.elb.amazonaws.com"
	testALBZone  = "Z14GRHDCWA56QT"
	testTGArn    = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/app-9f8e7d6/73e2d6bc24d8a067"
	// testHTTPListenerArn is the app's port-80 listener.
	testHTTPListenerArn = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:listener/app/app-1a2b3c4/50dc6c495c0c9188/f2f7dc8efc522ab2"
	testALBSG           = "sg-0123456789abcdef0"
	testSecret          = "s3cr3t-client-secret-from-the-idp"
)

// baseDomainArgs points at a plain-string ALB, so these tests need no service component.
func baseDomainArgs() *DomainArgs {
	return &DomainArgs{
		DomainName:     "app." + testZoneName,
		HostedZoneName: testZoneName,
		Target: AppTarget{
			LoadBalancerArn:             pulumi.String(testALBArn),
			LoadBalancerDNSName:         pulumi.String(testALBDNS),
			LoadBalancerZoneID:          pulumi.String(testALBZone),
			TargetGroupArn:              pulumi.String(testTGArn),
			LoadBalancerSecurityGroupID: pulumi.String(testALBSG),
			HTTPListenerArn:             pulumi.String(testHTTPListenerArn),
		},
	}
}

func googleOIDC() *OIDCArgs {
	return &OIDCArgs{
		Issuer:                "https://accounts.google.com",
		AuthorizationEndpoint: "https://accounts.google.com/o/oauth2/v2/auth",
		TokenEndpoint:         "https://oauth2.googleapis.com/token",
		UserInfoEndpoint:      "https://openidconnect.googleapis.com/v1/userinfo",
		ClientID:              "1234-abcd.apps.googleusercontent.com",
		ClientSecret:          pulumi.ToSecret(pulumi.String(testSecret)).(pulumi.StringOutput),
	}
}

// runDomain builds a Domain from baseDomainArgs changed by edit, in an account that has zones.
func runDomain(t *testing.T, zones map[string]string, edit func(*DomainArgs)) (*mockengine.Result, error) {
	t.Helper()
	return mockengine.Run(mockengine.Options{
		Project: "rails-infra", Stack: "test",
		Config: map[string]string{"aws:region": "ap-northeast-1"},
		Setup:  func(r *mockengine.Recorder) { r.HostedZones = zones },
	}, func(ctx *pulumi.Context, export mockengine.ExportFunc) error {
		args := baseDomainArgs()
		if edit != nil {
			edit(args)
		}
		d, err := NewDomain(ctx, "domain", args)
		if err != nil {
			return err
		}
		export("url", d.URL)
		export("certificateArn", d.CertificateArn)
		export("zoneId", d.ZoneID)
		export("oidcRedirectUrl", pulumi.String(d.OIDCRedirectURL))
		return nil
	})
}

var exampleZone = map[string]string{testZoneName: testZoneID}

func mustRunDomain(t *testing.T, edit func(*DomainArgs)) *mockengine.Result {
	t.Helper()
	res, err := runDomain(t, exampleZone, edit)
	if err != nil {
		t.Fatalf("NewDomain failed: %v", err)
	}
	return res
}

func strs(v any) []string {
	xs, _ := v.([]any)
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

func records(res *mockengine.Result, typ string) []*mockengine.Resource {
	var out []*mockengine.Resource
	for _, r := range res.OfType(awstype.Route53Record) {
		if r.Input("type") == typ {
			out = append(out, r)
		}
	}
	return out
}

func TestDomainCertificate(t *testing.T) {
	res := mustRunDomain(t, func(a *DomainArgs) {
		a.SubjectAlternativeNames = []string{"*.app." + testZoneName, "www." + testZoneName}
	})
	cert := one(t, res, awstype.AcmCertificate)

	t.Run("the certificate covers the domain and its alternative names", func(t *testing.T) {
		if got := cert.Input("domainName"); got != "app."+testZoneName {
			t.Errorf("%s domainName = %v, want app.%s", cert.Name, got, testZoneName)
		}
		want := []string{"*.app." + testZoneName, "www." + testZoneName}
		if got := strs(cert.Input("subjectAlternativeNames")); !slices.Equal(got, want) {
			t.Errorf("%s subjectAlternativeNames = %v, want %v", cert.Name, got, want)
		}
	})
	t.Run("the certificate is validated through DNS", func(t *testing.T) {
		if got := cert.Input("validationMethod"); got != "DNS" {
			t.Errorf("%s validationMethod = %v, want DNS", cert.Name, got)
		}
	})
	t.Run("a replaced certificate is created before the old one is deleted", func(t *testing.T) {
		if cert.DeleteBeforeReplace {
			t.Errorf("%s has deleteBeforeReplace; the listener still holds the old certificate", cert.Name)
		}
	})

	t.Run("validation records are one per unique ACM record", func(t *testing.T) {
		cnames := records(res, "CNAME")
		// *.app and app share a record; www has its own.
		if len(cnames) != 2 {
			t.Fatalf("validation records = %d, want 2 (app+*.app shared, www)", len(cnames))
		}
		opts, _ := cert.Output("domainValidationOptions").([]any)
		want := map[string]map[string]any{}
		for _, o := range opts {
			m := o.(map[string]any)
			want[m["resourceRecordName"].(string)] = m
		}
		for _, r := range cnames {
			o, ok := want[fmt.Sprint(r.Input("name"))]
			if !ok {
				t.Errorf("%s name %v is not one of ACM's validation records %v", r.Name, r.Input("name"), keys(want))
				continue
			}
			if got := strs(r.Input("records")); !slices.Equal(got, []string{o["resourceRecordValue"].(string)}) {
				t.Errorf("%s records = %v, want [%v]", r.Name, got, o["resourceRecordValue"])
			}
			if r.Input("zoneId") != testZoneID {
				t.Errorf("%s zoneId = %v, want %s", r.Name, r.Input("zoneId"), testZoneID)
			}
			if r.Input("ttl") != float64(60) {
				t.Errorf("%s ttl = %v, want 60", r.Name, r.Input("ttl"))
			}
			if r.Input("allowOverwrite") != true {
				t.Errorf("%s allowOverwrite = %v, want true", r.Name, r.Input("allowOverwrite"))
			}
		}
	})

	t.Run("the certificate validation waits for every validation record", func(t *testing.T) {
		v := one(t, res, awstype.AcmCertificateValidation)
		if got, want := v.Input("certificateArn"), cert.Output("arn"); got != want {
			t.Errorf("%s certificateArn = %v, want the certificate's %v", v.Name, got, want)
		}
		var fqdns, deps []string
		for _, r := range records(res, "CNAME") {
			fqdns = append(fqdns, fmt.Sprint(r.Output("fqdn")))
			deps = append(deps, r.URN)
		}
		got := strs(v.Input("validationRecordFqdns"))
		sort.Strings(got)
		sort.Strings(fqdns)
		if len(got) != 2 || !slices.Equal(got, fqdns) {
			t.Errorf("%s validationRecordFqdns = %v, want the records' fqdns %v", v.Name, got, fqdns)
		}
		for _, dep := range deps {
			if !slices.Contains(v.PropertyDeps["validationRecordFqdns"], dep) {
				t.Errorf("%s does not depend on %s", v.Name, dep)
			}
		}
	})
}

func keys(m map[string]map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestDomainRedirectsPort80OnlyOnceHTTPSServes(t *testing.T) {
	res := mustRunDomain(t, nil)
	https := one(t, res, awstype.LbListener)
	rule := res.Find(awstype.LbListenerRule, "domain-http-to-https")
	if rule == nil {
		t.Fatal("no domain-http-to-https listener rule: port 80 never redirects")
	}
	t.Run("the rule sits on the app's port-80 listener, after its health path rule", func(t *testing.T) {
		if rule.Input("listenerArn") != testHTTPListenerArn || rule.Input("priority") != float64(httpRedirectRulePriority) {
			t.Errorf("%s listenerArn/priority = %v/%v, want %s/%d", rule.Name, rule.Input("listenerArn"), rule.Input("priority"), testHTTPListenerArn, httpRedirectRulePriority)
		}
	})
	t.Run("the rule answers every path with a 301 to https:443", func(t *testing.T) {
		got, _ := json.Marshal([]any{rule.Input("conditions"), rule.Input("actions")})
		want := `[[{"pathPattern":{"values":["/*"]}}],[{"redirect":{"port":"443","protocol":"HTTPS","statusCode":"HTTP_301"},"type":"redirect"}]]`
		if string(got) != want {
			t.Errorf("%s conditions/actions = %s\nwant %s", rule.Name, got, want)
		}
	})
	t.Run("the rule is created only after the 443 listener (which waits for the issued certificate)", func(t *testing.T) {
		if !slices.Contains(rule.DependsOn, https.URN) {
			t.Errorf("%s DependsOn = %v, missing %s", rule.Name, rule.DependsOn, https.URN)
		}
	})
	t.Run("a Target without the port-80 listener is a wiring error", func(t *testing.T) {
		_, err := runDomain(t, exampleZone, func(a *DomainArgs) { a.Target.HTTPListenerArn = nil })
		if err == nil || !strings.Contains(err.Error(), "HTTPListenerArn") {
			t.Errorf("err = %v, want one naming Target.HTTPListenerArn", err)
		}
	})
}

func TestDomainHTTPSListener(t *testing.T) {
	res := mustRunDomain(t, nil)
	l := one(t, res, awstype.LbListener)
	v := one(t, res, awstype.AcmCertificateValidation)

	t.Run("the listener serves HTTPS on 443 with the default TLS 1.3 policy", func(t *testing.T) {
		if l.Input("port") != float64(443) || l.Input("protocol") != "HTTPS" {
			t.Errorf("%s port/protocol = %v/%v, want 443/HTTPS", l.Name, l.Input("port"), l.Input("protocol"))
		}
		if got := l.Input("sslPolicy"); got != string(DefaultSSLPolicy) {
			t.Errorf("%s sslPolicy = %v, want %s", l.Name, got, DefaultSSLPolicy)
		}
		if l.Input("loadBalancerArn") != testALBArn {
			t.Errorf("%s loadBalancerArn = %v, want %s", l.Name, l.Input("loadBalancerArn"), testALBArn)
		}
	})
	t.Run("the listener takes the certificate from the validation, so only once it is issued", func(t *testing.T) {
		if got, want := l.Input("certificateArn"), v.Output("certificateArn"); got != want || got == nil {
			t.Errorf("%s certificateArn = %v, want the validation's %v", l.Name, got, want)
		}
		if !slices.Contains(l.PropertyDeps["certificateArn"], v.URN) {
			t.Errorf("%s certificateArn depends on %v, want %s", l.Name, l.PropertyDeps["certificateArn"], v.URN)
		}
	})
	t.Run("without OIDC the listener forwards everything to the app", func(t *testing.T) {
		acts, _ := l.Input("defaultActions").([]any)
		if len(acts) != 1 {
			t.Fatalf("%s defaultActions = %v, want one forward", l.Name, acts)
		}
		a := acts[0].(map[string]any)
		if a["type"] != "forward" || a["targetGroupArn"] != testTGArn {
			t.Errorf("%s default action = %v, want forward to %s", l.Name, a, testTGArn)
		}
		if n := len(res.OfType(awstype.LbListenerRule)) - 1 + len(res.OfType(awstype.VpcSecurityGroupEgressRule)); n != 0 {
			t.Errorf("without OIDC: %d listener rules besides the port-80 redirect / egress rules, want 0", n)
		}
	})
	t.Run("the outputs are the https URL and the issued certificate", func(t *testing.T) {
		if got := res.Exports["url"].Value; got != "https://app."+testZoneName {
			t.Errorf("URL = %v, want https://app.%s", got, testZoneName)
		}
		if got, want := res.Exports["certificateArn"].Value, v.Output("certificateArn"); got != want {
			t.Errorf("CertificateArn = %v, want %v", got, want)
		}
		if got := res.Exports["zoneId"].Value; got != testZoneID {
			t.Errorf("ZoneID = %v, want %s", got, testZoneID)
		}
	})
	t.Run("a chosen TLS policy reaches the listener", func(t *testing.T) {
		res := mustRunDomain(t, func(a *DomainArgs) { a.SSLPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06" })
		if got := one(t, res, awstype.LbListener).Input("sslPolicy"); got != "ELBSecurityPolicy-TLS13-1-2-2021-06" {
			t.Errorf("sslPolicy = %v, want ELBSecurityPolicy-TLS13-1-2-2021-06", got)
		}
	})
}

func TestDomainOIDC(t *testing.T) {
	res := mustRunDomain(t, func(a *DomainArgs) { a.OIDC = googleOIDC() })
	l := one(t, res, awstype.LbListener)
	acts, _ := l.Input("defaultActions").([]any)
	if len(acts) != 2 {
		t.Fatalf("%s defaultActions = %v, want authenticate-oidc then forward", l.Name, acts)
	}
	auth, fwd := acts[0].(map[string]any), acts[1].(map[string]any)

	t.Run("the listener authenticates with the IdP before forwarding", func(t *testing.T) {
		if auth["type"] != "authenticate-oidc" || auth["order"] != float64(1) {
			t.Errorf("first action = %v %v, want authenticate-oidc order 1", auth["type"], auth["order"])
		}
		if fwd["type"] != "forward" || fwd["order"] != float64(2) || fwd["targetGroupArn"] != testTGArn {
			t.Errorf("second action = %v, want forward order 2 to %s", fwd, testTGArn)
		}
		o, _ := auth["authenticateOidc"].(map[string]any)
		want := map[string]any{
			"issuer":                   "https://accounts.google.com",
			"authorizationEndpoint":    "https://accounts.google.com/o/oauth2/v2/auth",
			"tokenEndpoint":            "https://oauth2.googleapis.com/token",
			"userInfoEndpoint":         "https://openidconnect.googleapis.com/v1/userinfo",
			"clientId":                 "1234-abcd.apps.googleusercontent.com",
			"clientSecret":             testSecret,
			"scope":                    DefaultOIDCScope,
			"sessionTimeout":           float64(DefaultOIDCSessionTimeoutSeconds),
			"onUnauthenticatedRequest": "authenticate",
		}
		for k, w := range want {
			if o[k] != w {
				t.Errorf("authenticateOidc.%s = %v, want %v", k, o[k], w)
			}
		}
	})
	t.Run("the client secret stays secret in the listener inputs", func(t *testing.T) {
		if !mockengine.ContainsSecret(l.Inputs["defaultActions"]) {
			t.Errorf("%s defaultActions carry no secret; the client secret would be stored in plain text", l.Name)
		}
		redacted, _ := json.Marshal(mockengine.PlainMap(l.Inputs, true))
		if strings.Contains(string(redacted), testSecret) {
			t.Errorf("%s inputs show the client secret when redacted: %s", l.Name, redacted)
		}
	})
	t.Run("a plain client secret is still made secret", func(t *testing.T) {
		res := mustRunDomain(t, func(a *DomainArgs) {
			a.OIDC = googleOIDC()
			a.OIDC.ClientSecret = pulumi.String(testSecret)
		})
		if l := one(t, res, awstype.LbListener); !mockengine.ContainsSecret(l.Inputs["defaultActions"]) {
			t.Errorf("%s defaultActions carry no secret for a plain ClientSecret", l.Name)
		}
	})
	t.Run("the health check path is forwarded without login", func(t *testing.T) {
		r := res.Find(awstype.LbListenerRule, "domain-health-no-auth")
		if r == nil {
			t.Fatal("no domain-health-no-auth rule")
		}
		if r.Input("listenerArn") != l.Output("arn") {
			t.Errorf("%s listenerArn = %v, want %v", r.Name, r.Input("listenerArn"), l.Output("arn"))
		}
		if r.Input("priority") != float64(1) {
			t.Errorf("%s priority = %v, want 1 (before any other rule)", r.Name, r.Input("priority"))
		}
		conds, _ := r.Input("conditions").([]any)
		if len(conds) != 1 {
			t.Fatalf("%s conditions = %v, want one path pattern", r.Name, conds)
		}
		pp, _ := conds[0].(map[string]any)["pathPattern"].(map[string]any)
		if got := strs(pp["values"]); !slices.Equal(got, []string{"/up"}) {
			t.Errorf("%s path pattern = %v, want [/up]", r.Name, got)
		}
		ra, _ := r.Input("actions").([]any)
		if len(ra) != 1 || ra[0].(map[string]any)["type"] != "forward" || ra[0].(map[string]any)["targetGroupArn"] != testTGArn {
			t.Errorf("%s actions = %v, want only forward to %s (no authenticate-oidc)", r.Name, ra, testTGArn)
		}
	})
	t.Run("the ALB may call the IdP over HTTPS", func(t *testing.T) {
		e := one(t, res, awstype.VpcSecurityGroupEgressRule)
		if e.Input("securityGroupId") != testALBSG || e.Input("fromPort") != float64(443) ||
			e.Input("toPort") != float64(443) || e.Input("ipProtocol") != "tcp" || e.Input("cidrIpv4") != "0.0.0.0/0" {
			t.Errorf("%s = %v, want tcp 443 to 0.0.0.0/0 on %s", e.Name, e.Inputs, testALBSG)
		}
		if e.Input("description") == nil {
			t.Errorf("%s has no description", e.Name)
		}
	})
	t.Run("a dualstack ALB may call the IdP over IPv6 too", func(t *testing.T) {
		res := mustRunDomain(t, func(a *DomainArgs) { a.OIDC = googleOIDC(); a.DualStack = true })
		var v4, v6 int
		for _, e := range res.OfType(awstype.VpcSecurityGroupEgressRule) {
			switch {
			case e.Input("cidrIpv4") == "0.0.0.0/0" && e.Input("cidrIpv6") == nil:
				v4++
			case e.Input("cidrIpv6") == "::/0" && e.Input("cidrIpv4") == nil:
				v6++
			}
			if e.Input("fromPort") != float64(443) || e.Input("toPort") != float64(443) {
				t.Errorf("%s ports = %v-%v, want 443", e.Name, e.Input("fromPort"), e.Input("toPort"))
			}
		}
		if v4 != 1 || v6 != 1 {
			t.Errorf("egress rules: %d IPv4, %d IPv6; want one each", v4, v6)
		}
	})
	t.Run("the IdP redirect URL is the domain's /oauth2/idpresponse", func(t *testing.T) {
		if got := res.Exports["oidcRedirectUrl"].Value; got != "https://app."+testZoneName+"/oauth2/idpresponse" {
			t.Errorf("OIDCRedirectURL = %v", got)
		}
	})
	t.Run("a custom health path, scope and deny action reach the ALB", func(t *testing.T) {
		res := mustRunDomain(t, func(a *DomainArgs) {
			a.OIDC = googleOIDC()
			a.OIDC.Scope = "openid email"
			a.OIDC.OnUnauthenticatedRequest = OIDCDeny
			a.OIDC.SessionTimeoutSeconds = 3600
			a.Target.HealthCheckPath = "/healthz"
		})
		acts, _ := one(t, res, awstype.LbListener).Input("defaultActions").([]any)
		o, _ := acts[0].(map[string]any)["authenticateOidc"].(map[string]any)
		if o["scope"] != "openid email" || o["onUnauthenticatedRequest"] != "deny" || o["sessionTimeout"] != float64(3600) {
			t.Errorf("authenticateOidc = %v, want scope 'openid email', deny, 3600", o)
		}
		conds, _ := res.Find(awstype.LbListenerRule, "domain-health-no-auth").Input("conditions").([]any)
		pp, _ := conds[0].(map[string]any)["pathPattern"].(map[string]any)
		if got := strs(pp["values"]); !slices.Equal(got, []string{"/healthz"}) {
			t.Errorf("path pattern = %v, want [/healthz]", got)
		}
	})
}

func TestDomainAliasRecords(t *testing.T) {
	for _, tc := range []struct {
		name      string
		dualStack bool
		types     []string
	}{
		{"an IPv4 ALB gets A records only", false, []string{"A"}},
		{"a dualstack ALB gets A and AAAA records", true, []string{"A", "AAAA"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustRunDomain(t, func(a *DomainArgs) {
				a.DualStack = tc.dualStack
				a.SubjectAlternativeNames = []string{"www." + testZoneName, "*.app." + testZoneName}
			})
			l := one(t, res, awstype.LbListener)
			hosts := []string{"app." + testZoneName, "www." + testZoneName}
			for _, typ := range []string{"A", "AAAA"} {
				rs := records(res, typ)
				want := 0
				if slices.Contains(tc.types, typ) {
					want = len(hosts)
				}
				if len(rs) != want {
					t.Errorf("%s records = %d, want %d (one per non-wildcard name)", typ, len(rs), want)
				}
				for _, r := range rs {
					if !slices.Contains(hosts, fmt.Sprint(r.Input("name"))) {
						t.Errorf("%s name = %v, want one of %v", r.Name, r.Input("name"), hosts)
					}
					if r.Input("zoneId") != testZoneID {
						t.Errorf("%s zoneId = %v, want %s", r.Name, r.Input("zoneId"), testZoneID)
					}
					al, _ := r.Input("aliases").([]any)
					if len(al) != 1 {
						t.Fatalf("%s aliases = %v, want one", r.Name, al)
					}
					a := al[0].(map[string]any)
					if a["name"] != testALBDNS || a["zoneId"] != testALBZone || a["evaluateTargetHealth"] != true {
						t.Errorf("%s alias = %v, want %s in %s with evaluateTargetHealth", r.Name, a, testALBDNS, testALBZone)
					}
					if !slices.Contains(r.DependsOn, l.URN) {
						t.Errorf("%s does not wait for the HTTPS listener", r.Name)
					}
				}
			}
		})
	}
}

func TestDomainZoneLookupByID(t *testing.T) {
	res, err := runDomain(t, exampleZone, func(a *DomainArgs) {
		a.HostedZoneName, a.HostedZoneID = "", testZoneID
	})
	if err != nil {
		t.Fatalf("NewDomain with a zone id failed: %v", err)
	}
	t.Run("the zone is looked up by id and its records go there", func(t *testing.T) {
		var asked []string
		for _, inv := range res.Invokes() {
			if inv.Token == awstype.Route53GetZone {
				asked = append(asked, fmt.Sprint(mockengine.PlainMap(inv.Args, false)["zoneId"]))
			}
		}
		if !slices.Equal(asked, []string{testZoneID}) {
			t.Errorf("getZone asked for zone ids %v, want [%s]", asked, testZoneID)
		}
		for _, r := range res.OfType(awstype.Route53Record) {
			if r.Input("zoneId") != testZoneID {
				t.Errorf("%s zoneId = %v, want %s", r.Name, r.Input("zoneId"), testZoneID)
			}
		}
	})
}

func TestDomainFailsClearly(t *testing.T) {
	for _, tc := range []struct {
		name  string
		zones map[string]string
		edit  func(*DomainArgs)
		want  []string
	}{
		{"a domain outside the named zone", exampleZone,
			func(a *DomainArgs) { a.DomainName = "app.example.com" },
			[]string{`DomainArgs.DomainName = "app.example.com": is not inside hosted zone example.co.jp`}},
		{"a domain outside the zone found by id", exampleZone,
			func(a *DomainArgs) {
				a.DomainName, a.HostedZoneName, a.HostedZoneID = "app.example.com", "", testZoneID
			},
			[]string{"app.example.com is not inside hosted zone id " + testZoneID, "(zone example.co.jp)"}},
		{"an alternative name outside the zone", exampleZone,
			func(a *DomainArgs) { a.SubjectAlternativeNames = []string{"www.example.net"} },
			[]string{`DomainArgs.SubjectAlternativeNames = "www.example.net": is not inside hosted zone`}},
		{"a zone that does not exist", map[string]string{},
			nil,
			[]string{"hosted zone example.co.jp was not found", "must already exist"}},
		{"a zone id that does not exist", exampleZone,
			func(a *DomainArgs) { a.HostedZoneName, a.HostedZoneID = "", "Z9999999999NOTHERE" },
			[]string{"hosted zone id Z9999999999NOTHERE was not found"}},
		{"half an OIDC block", exampleZone,
			func(a *DomainArgs) {
				a.OIDC = &OIDCArgs{Issuer: "https://login.microsoftonline.com/tenant/v2.0", ClientID: "abc"}
			},
			[]string{"OIDC.AuthorizationEndpoint", "OIDC.TokenEndpoint", "OIDC.UserInfoEndpoint",
				`DomainArgs.OIDC.ClientSecret = "": is required because DomainArgs.OIDC.Issuer, DomainArgs.OIDC.ClientID is set`}},
		{"an OIDC endpoint over http", exampleZone,
			func(a *DomainArgs) {
				a.OIDC = googleOIDC()
				a.OIDC.TokenEndpoint = "http://oauth2.googleapis.com/token"
			},
			[]string{"DomainArgs.OIDC.TokenEndpoint", "must use https"}},
		{"an OIDC scope without openid", exampleZone,
			func(a *DomainArgs) { a.OIDC = googleOIDC(); a.OIDC.Scope = "email profile" },
			[]string{"DomainArgs.OIDC.Scope", `must include "openid"`}},
		{"OIDC without the ALB security group", exampleZone,
			func(a *DomainArgs) { a.OIDC = googleOIDC(); a.Target.LoadBalancerSecurityGroupID = nil },
			[]string{"DomainArgs.Target.LoadBalancerSecurityGroupID", "is required with OIDC"}},
		{"both a zone name and a zone id", exampleZone,
			func(a *DomainArgs) { a.HostedZoneID = testZoneID },
			[]string{"exactly one of DomainArgs.HostedZoneName (example.co.jp) or DomainArgs.HostedZoneID, not both"}},
		{"an upper-case domain", exampleZone,
			func(a *DomainArgs) { a.DomainName = "App.example.co.jp" },
			[]string{"must be lower case (app.example.co.jp)"}},
		{"a wildcard domain name", exampleZone,
			func(a *DomainArgs) { a.DomainName = "*.example.co.jp" },
			[]string{"must not be a wildcard"}},
		{"a TLS 1.0 policy", exampleZone,
			func(a *DomainArgs) { a.SSLPolicy = "ELBSecurityPolicy-2016-08" },
			[]string{`DomainArgs.SSLPolicy = "ELBSecurityPolicy-2016-08"`, "must be one of"}},
		{"a wildcard health path", exampleZone,
			func(a *DomainArgs) { a.Target.HealthCheckPath = "/up*" },
			[]string{"DomainArgs.Target.HealthCheckPath", "no spaces, query, fragment or *"}},
		{"more names than ACM allows on a certificate", exampleZone,
			func(a *DomainArgs) {
				for i := range MaxCertificateNames {
					a.SubjectAlternativeNames = append(a.SubjectAlternativeNames, fmt.Sprintf("n%d.%s", i, testZoneName))
				}
			},
			[]string{"with DomainArgs.DomainName that is 101 names; ACM allows at most 100"}},
		{"no domain name", exampleZone,
			func(a *DomainArgs) { a.DomainName = "" },
			[]string{`DomainArgs.DomainName = "": must be a domain name`}},
		{"no load balancer", exampleZone,
			func(a *DomainArgs) { a.Target.LoadBalancerArn, a.Target.TargetGroupArn = nil, nil },
			[]string{"DomainArgs.Target.LoadBalancerArn", "DomainArgs.Target.TargetGroupArn", "is required"}},
	} {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			res, err := runDomain(t, tc.zones, tc.edit)
			if err == nil {
				t.Fatalf("NewDomain succeeded, want an error mentioning %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
			for _, r := range res.Resources() {
				if r.Custom {
					t.Errorf("%s %s was registered before the error, want no AWS resource", r.Type, r.Name)
				}
			}
		})
	}
}

func TestDomainLeavesTheCallersArgsAsGiven(t *testing.T) {
	args := baseDomainArgs()
	args.OIDC = googleOIDC()
	if _, err := mockengine.Run(mockengine.Options{
		Project: "rails-infra", Stack: "test", Config: map[string]string{"aws:region": "ap-northeast-1"},
		Setup: func(r *mockengine.Recorder) { r.HostedZones = exampleZone },
	}, func(ctx *pulumi.Context, _ mockengine.ExportFunc) error {
		_, err := NewDomain(ctx, "domain", args)
		return err
	}); err != nil {
		t.Fatalf("NewDomain failed: %v", err)
	}
	if args.SSLPolicy != "" || args.Target.HealthCheckPath != "" || args.OIDC.Scope != "" || args.OIDC.SessionTimeoutSeconds != 0 {
		t.Errorf("NewDomain filled the caller's args: SSLPolicy %q, HealthCheckPath %q, OIDC %+v; want them unset",
			args.SSLPolicy, args.Target.HealthCheckPath, *args.OIDC)
	}
}

func TestValidationBases(t *testing.T) {
	for _, tc := range []struct {
		name  string
		names []string
		want  []string
	}{
		{"a wildcard shares its base's record", []string{"a.example.com", "*.a.example.com"}, []string{"a.example.com"}},
		{"a lone wildcard still gets one record", []string{"a.example.com", "*.b.example.com"}, []string{"a.example.com", "b.example.com"}},
		{"distinct names keep their order", []string{"b.example.com", "a.example.com"}, []string{"b.example.com", "a.example.com"}},
		{"a wildcard of the zone apex is validated at the apex, apart from the domain",
			[]string{"app.example.com", "*.example.com"}, []string{"app.example.com", "example.com"}},
		{"the apex and its wildcard as SANs share one record",
			[]string{"app.example.com", "example.com", "*.example.com"}, []string{"app.example.com", "example.com"}},
		{"a wildcard listed before its base still shares the record",
			[]string{"app.example.com", "*.www.example.com", "www.example.com"}, []string{"app.example.com", "www.example.com"}},
		{"names below one another each get a record (ACM validates each name)",
			[]string{"example.com", "app.example.com", "www.app.example.com"}, []string{"example.com", "app.example.com", "www.app.example.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := validationBases(tc.names); !slices.Equal(got, tc.want) {
				t.Errorf("validationBases(%v) = %v, want %v", tc.names, got, tc.want)
			}
		})
	}
}

// The number of validation records is fixed in Go before ACM answers; it must equal the distinct
// records ACM returns, whatever the mix of apex, wildcards and nested names.
func TestDomainValidationRecordsMatchACM(t *testing.T) {
	for _, tc := range []struct {
		name string
		sans []string
	}{
		{"no alternative names", nil},
		{"a wildcard of the zone apex", []string{"*." + testZoneName}},
		{"the apex and its wildcard", []string{testZoneName, "*." + testZoneName}},
		{"names below one another", []string{"www.app." + testZoneName, "*.www.app." + testZoneName}},
		{"the domain's own wildcard", []string{"*.app." + testZoneName}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustRunDomain(t, func(a *DomainArgs) { a.SubjectAlternativeNames = tc.sans })
			opts, _ := one(t, res, awstype.AcmCertificate).Output("domainValidationOptions").([]any)
			distinct := map[string]string{}
			for _, o := range opts {
				m := o.(map[string]any)
				distinct[m["resourceRecordName"].(string)] = m["resourceRecordValue"].(string)
			}
			cnames := records(res, "CNAME")
			if len(cnames) != len(distinct) {
				t.Fatalf("validation records = %d, ACM returned %d distinct records", len(cnames), len(distinct))
			}
			seen := map[string]bool{}
			for _, r := range cnames {
				name := fmt.Sprint(r.Input("name"))
				if v, ok := distinct[name]; !ok || !slices.Equal(strs(r.Input("records")), []string{v}) {
					t.Errorf("%s = %s %v, not one of ACM's records", r.Name, name, r.Input("records"))
				}
				if seen[name] {
					t.Errorf("%s duplicates record %s", r.Name, name)
				}
				seen[name] = true
			}
			fqdns := strs(one(t, res, awstype.AcmCertificateValidation).Input("validationRecordFqdns"))
			if len(fqdns) != len(distinct) {
				t.Errorf("validationRecordFqdns = %v, want %d", fqdns, len(distinct))
			}
		})
	}
}
