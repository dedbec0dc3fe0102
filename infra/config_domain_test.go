package infra

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
)

var fullOIDC = map[string]string{
	"domainName":                "app.example.co.jp",
	"hostedZoneName":            "example.co.jp",
	"oidcIssuer":                "https://login.microsoftonline.com/0000-tenant/v2.0",
	"oidcAuthorizationEndpoint": "https://login.microsoftonline.com/0000-tenant/oauth2/v2.0/authorize",
	"oidcTokenEndpoint":         "https://login.microsoftonline.com/0000-tenant/oauth2/v2.0/token",
	"oidcUserInfoEndpoint":      "https://graph.microsoft.com/oidc/userinfo",
	"oidcClientId":              "11111111-2222-3333-4444-555555555555",
	"oidcClientSecret":          "entra-client-secret",
}

func with(base map[string]string, changes map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range changes {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func TestDomainConfigDefaults(t *testing.T) {
	t.Run("dev without a domain runs on plain HTTP", func(t *testing.T) {
		c := mustParseConfig(t, "test", nil, environment("dev"), noDefaultDomain())
		if c.Domain.Enabled() || c.Domain.OIDC != nil {
			t.Errorf("Domain = %+v, want disabled with no OIDC", c.Domain)
		}
		if c.Domain.SSLPolicy != DefaultSSLPolicy {
			t.Errorf("SSLPolicy = %q, want %q", c.Domain.SSLPolicy, DefaultSSLPolicy)
		}
	})
	t.Run("a domain with its zone and alternative names is read as given", func(t *testing.T) {
		c := mustParseConfig(t, "test", map[string]string{
			"domainName": "app.example.co.jp", "hostedZoneName": "example.co.jp",
			"subjectAlternativeNames": `["*.app.example.co.jp","www.example.co.jp"]`,
			"sslPolicy":               "ELBSecurityPolicy-TLS13-1-3-2021-06",
		}, environment("prod"), noDefaultDomain())
		d := c.Domain
		if !d.Enabled() || d.DomainName != "app.example.co.jp" || d.HostedZoneName != "example.co.jp" || d.HostedZoneID != "" {
			t.Errorf("Domain = %+v", d)
		}
		if !slices.Equal(d.SubjectAlternativeNames, []string{"*.app.example.co.jp", "www.example.co.jp"}) {
			t.Errorf("SubjectAlternativeNames = %v", d.SubjectAlternativeNames)
		}
		if d.SSLPolicy != "ELBSecurityPolicy-TLS13-1-3-2021-06" || d.OIDC != nil {
			t.Errorf("SSLPolicy = %q, OIDC = %v; want the chosen policy and no login", d.SSLPolicy, d.OIDC)
		}
	})
	t.Run("a zone id may replace the zone name", func(t *testing.T) {
		c := mustParseConfig(t, "test", map[string]string{"domainName": "app.example.co.jp", "hostedZoneId": "Z0123456789EXAMPLEJP"}, environment("dev"), noDefaultDomain())
		if c.Domain.HostedZoneID != "Z0123456789EXAMPLEJP" || c.Domain.HostedZoneName != "" {
			t.Errorf("Domain = %+v", c.Domain)
		}
	})
}

func TestDomainConfigOIDC(t *testing.T) {
	c := mustParseConfig(t, "test", fullOIDC, environment("dev"), secret("oidcClientSecret"), noDefaultDomain())
	o := c.Domain.OIDC
	if o == nil {
		t.Fatal("OIDC = nil with every oidc key set")
	}
	t.Run("every OIDC field is read", func(t *testing.T) {
		if o.Issuer != fullOIDC["oidcIssuer"] || o.AuthorizationEndpoint != fullOIDC["oidcAuthorizationEndpoint"] ||
			o.TokenEndpoint != fullOIDC["oidcTokenEndpoint"] || o.UserInfoEndpoint != fullOIDC["oidcUserInfoEndpoint"] ||
			o.ClientID != fullOIDC["oidcClientId"] {
			t.Errorf("OIDC = %+v, want the configured values", o)
		}
	})
	t.Run("optional OIDC settings default in Go", func(t *testing.T) {
		if o.Scope != DefaultOIDCScope || o.SessionTimeoutSeconds != DefaultOIDCSessionTimeoutSeconds || o.OnUnauthenticatedRequest != OIDCAuthenticate {
			t.Errorf("scope/timeout/action = %q/%d/%q, want %q/%d/authenticate", o.Scope, o.SessionTimeoutSeconds,
				o.OnUnauthenticatedRequest, DefaultOIDCScope, DefaultOIDCSessionTimeoutSeconds)
		}
	})
	t.Run("the client secret is a Pulumi secret", func(t *testing.T) {
		r, err := internals.UnsafeAwaitOutput(context.Background(), o.ClientSecret.ToStringOutput())
		if err != nil || !r.Secret || r.Value != "entra-client-secret" {
			t.Errorf("ClientSecret = %v (secret %v, err %v), want the value, marked secret", r.Value, r.Secret, err)
		}
	})
	t.Run("optional OIDC settings are read when set", func(t *testing.T) {
		c := mustParseConfig(t, "test", with(fullOIDC, map[string]string{
			"oidcScope": "openid email", "oidcSessionTimeoutSeconds": "3600", "oidcOnUnauthenticatedRequest": "deny",
		}), environment("dev"), secret("oidcClientSecret"), noDefaultDomain())
		if o := c.Domain.OIDC; o.Scope != "openid email" || o.SessionTimeoutSeconds != 3600 || o.OnUnauthenticatedRequest != OIDCDeny {
			t.Errorf("OIDC = %+v", o)
		}
	})
	t.Run("OIDC is read from flat keys, not an oidc object", func(t *testing.T) {
		known := KnownKeys()
		for _, k := range []string{"oidcClientSecret", "oidcIssuer", "oidcScope", "oidcSessionTimeoutSeconds", "oidcOnUnauthenticatedRequest"} {
			if !slices.Contains(known, k) {
				t.Errorf("KnownKeys() lacks %s", k)
			}
		}
		if slices.Contains(known, "oidc") {
			t.Errorf("KnownKeys() has an oidc object key")
		}
	})
}

func TestDomainConfigProblems(t *testing.T) {
	domain := map[string]string{"domainName": "app.example.co.jp", "hostedZoneName": "example.co.jp"}
	for _, tc := range []struct {
		name    string
		env     string
		values  map[string]string
		secrets []string
		key     string
		mention string
	}{
		{"prod without a domain", "prod", nil, nil, "domainName", "prod must serve HTTPS"},
		{"an upper-case domain", "dev", with(domain, map[string]string{"domainName": "App.example.co.jp"}), nil, "domainName", "lower case (app.example.co.jp)"},
		{"a domain with a trailing dot", "dev", with(domain, map[string]string{"domainName": "app.example.co.jp."}), nil, "domainName", "trailing dot"},
		{"a single-label domain", "dev", map[string]string{"domainName": "localhost", "hostedZoneName": "example.co.jp"}, nil, "domainName", "at least two labels"},
		{"a domain label with an underscore", "dev", with(domain, map[string]string{"domainName": "my_app.example.co.jp"}), nil, "domainName", `label "my_app"`},
		{"a name label over 63 characters", "dev", with(domain, map[string]string{"subjectAlternativeNames": `["` + strings.Repeat("a", 64) + `.example.co.jp"]`}), nil, "subjectAlternativeNames", "1 to 63"},
		{"a domain longer than a certificate common name", "dev", with(domain, map[string]string{"domainName": strings.Repeat("a", 50) + ".b.example.co.jp"}), nil, "domainName", "at most 64"},
		{"a wildcard domain", "dev", with(domain, map[string]string{"domainName": "*.example.co.jp"}), nil, "domainName", "subjectAlternativeNames"},
		{"an IP address as domain", "dev", map[string]string{"domainName": "10.0.0.1", "hostedZoneId": "Z0123"}, nil, "domainName", "all digits"},
		{"a domain outside its zone", "dev", with(domain, map[string]string{"domainName": "app.example.com"}), nil, "domainName", "not inside hosted zone example.co.jp"},
		{"a look-alike zone suffix", "dev", with(domain, map[string]string{"domainName": "app.badexample.co.jp"}), nil, "domainName", "not inside hosted zone"},
		{"an alternative name outside the zone", "dev", with(domain, map[string]string{"subjectAlternativeNames": `["www.example.com"]`}), nil, "subjectAlternativeNames", "not inside hosted zone"},
		{"an alternative name repeating the domain", "dev", with(domain, map[string]string{"subjectAlternativeNames": `["app.example.co.jp"]`}), nil, "subjectAlternativeNames", "twice"},
		{"a wildcard in the middle", "dev", with(domain, map[string]string{"subjectAlternativeNames": `["a.*.example.co.jp"]`}), nil, "subjectAlternativeNames", "whole first label"},
		{"alternative names as a string", "dev", with(domain, map[string]string{"subjectAlternativeNames": "www.example.co.jp"}), nil, "subjectAlternativeNames", "list of strings"},
		{"more names than ACM allows on a certificate", "dev", with(domain, map[string]string{"subjectAlternativeNames": manySANs(MaxCertificateNames)}), nil, "subjectAlternativeNames", "at most 100 per certificate"},
		{"a health path with a wildcard when a domain is set", "dev", with(domain, map[string]string{"healthCheckPath": "/up*"}), nil, "healthCheckPath", "no spaces, query, fragment or *"},
		{"a non-ASCII health path when a domain is set", "dev", with(domain, map[string]string{"healthCheckPath": "/héalth"}), nil, "healthCheckPath", "not ASCII"},
		{"a domain without a zone", "dev", map[string]string{"domainName": "app.example.co.jp"}, nil, "hostedZoneName", "exactly one of hostedZoneName or hostedZoneId"},
		{"both zone name and zone id", "dev", with(domain, map[string]string{"hostedZoneId": "Z0123456789EXAMPLEJP"}), nil, "hostedZoneId", "not both"},
		{"a zone id with its /hostedzone/ prefix", "dev", map[string]string{"domainName": "app.example.co.jp", "hostedZoneId": "/hostedzone/Z0123"}, nil, "hostedZoneId", "drop the /hostedzone/ prefix (Z0123)"},
		{"a zone id in lower case", "dev", map[string]string{"domainName": "app.example.co.jp", "hostedZoneId": "z0123abc"}, nil, "hostedZoneId", "Route53 hosted zone id"},
		{"a zone without a domain", "dev", map[string]string{"hostedZoneName": "example.co.jp"}, nil, "hostedZoneName", "domainName is not"},
		{"alternative names without a domain", "dev", map[string]string{"subjectAlternativeNames": `["www.example.co.jp"]`}, nil, "subjectAlternativeNames", "domainName is not"},
		{"a TLS 1.0 policy", "dev", with(domain, map[string]string{"sslPolicy": "ELBSecurityPolicy-2016-08"}), nil, "sslPolicy", "TLS 1.3-capable"},
		{"an Ext policy with CBC ciphers", "dev", with(domain, map[string]string{"sslPolicy": "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06"}), nil, "sslPolicy", "must be one of"},
		{"half an OIDC block", "dev", with(domain, map[string]string{"oidcIssuer": "https://accounts.google.com"}), nil, "oidcTokenEndpoint", "is required because oidcIssuer is set"},
		{"an OIDC block without the client secret", "dev", with(fullOIDC, map[string]string{"oidcClientSecret": ""}), nil, "oidcClientSecret", "--secret oidcClientSecret"},
		{"only an OIDC scope", "dev", with(domain, map[string]string{"oidcScope": "openid"}), nil, "oidcClientId", "because oidcScope is set"},
		{"only a zero OIDC session timeout", "dev", with(domain, map[string]string{"oidcSessionTimeoutSeconds": "0"}), nil, "oidcIssuer", "because oidcSessionTimeoutSeconds is set"},
		{"OIDC keys listed out of key order", "dev", with(domain, map[string]string{"oidcOnUnauthenticatedRequest": "deny", "oidcSessionTimeoutSeconds": "0", "oidcScope": "openid"}), nil,
			"oidcIssuer", "because oidcScope, oidcSessionTimeoutSeconds, oidcOnUnauthenticatedRequest is set"},
		{"a plain-text client secret", "dev", fullOIDC, nil, "oidcClientSecret", "must be a secret"},
		{"an http token endpoint", "dev", with(fullOIDC, map[string]string{"oidcTokenEndpoint": "http://idp.example.com/token"}), []string{"oidcClientSecret"}, "oidcTokenEndpoint", "must use https"},
		{"a relative user info endpoint", "dev", with(fullOIDC, map[string]string{"oidcUserInfoEndpoint": "/userinfo"}), []string{"oidcClientSecret"}, "oidcUserInfoEndpoint", "absolute URL"},
		{"an issuer with credentials", "dev", with(fullOIDC, map[string]string{"oidcIssuer": "https://user:pw@idp.example.com"}), []string{"oidcClientSecret"}, "oidcIssuer", "credentials"},
		{"a scope without openid", "dev", with(fullOIDC, map[string]string{"oidcScope": "email profile"}), []string{"oidcClientSecret"}, "oidcScope", `include "openid"`},
		{"a session longer than 7 days", "dev", with(fullOIDC, map[string]string{"oidcSessionTimeoutSeconds": "604801"}), []string{"oidcClientSecret"}, "oidcSessionTimeoutSeconds", "from 1 to 604800"},
		{"a session of zero seconds", "dev", with(fullOIDC, map[string]string{"oidcSessionTimeoutSeconds": "0"}), []string{"oidcClientSecret"}, "oidcSessionTimeoutSeconds", "from 1 to 604800"},
		{"an unknown unauthenticated action", "dev", with(fullOIDC, map[string]string{"oidcOnUnauthenticatedRequest": "redirect"}), []string{"oidcClientSecret"}, "oidcOnUnauthenticatedRequest", "authenticate | deny | allow"},
		{"OIDC without a domain", "dev", with(fullOIDC, map[string]string{"domainName": "", "hostedZoneName": ""}), []string{"oidcClientSecret"}, "oidcIssuer", "needs domainName"},
		{"an oidc object key", "dev", with(domain, map[string]string{"oidc": `{"issuer":"https://accounts.google.com"}`}), nil, "oidc", "not a rails-infra setting"},
	} {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			_, err := parseConfig(t, "test", tc.values, environment(tc.env), secret(tc.secrets...), noDefaultDomain())
			wantProblem(t, err, tc.key, tc.mention, "")
		})
	}
}

// With a domain the health check path is also a listener path pattern; a path both the service's
// rule and the domain's reject is one problem, not two.
func TestDomainConfigReportsABadHealthPathOnce(t *testing.T) {
	for _, path := range []string{"/up*", "/up?x=1", "/héalth"} {
		t.Run(path+" is one problem", func(t *testing.T) {
			_, err := parseConfig(t, "test", map[string]string{
				"domainName": "app.example.co.jp", "hostedZoneName": "example.co.jp", "healthCheckPath": path,
			}, environment("dev"), noDefaultDomain())
			var cerr *ConfigError
			if !errors.As(err, &cerr) {
				t.Fatalf("err = %v, want *ConfigError", err)
			}
			n := 0
			for _, p := range cerr.Problems {
				if p.Key == qualify("healthCheckPath") {
					n++
				}
			}
			if n != 1 {
				t.Errorf("healthCheckPath problems = %d, want 1; got:\n%v", n, cerr)
			}
		})
	}
}

func TestDomainConfigReportsEveryMissingOIDCKey(t *testing.T) {
	_, err := parseConfig(t, "test", map[string]string{
		"domainName": "app.example.co.jp", "hostedZoneName": "example.co.jp", "oidcClientId": "abc",
	}, environment("dev"), noDefaultDomain())
	var cerr *ConfigError
	if !errors.As(err, &cerr) {
		t.Fatalf("err = %v, want *ConfigError", err)
	}
	got := map[string]bool{}
	for _, p := range cerr.Problems {
		got[p.Key] = true
	}
	for _, k := range []string{"oidcIssuer", "oidcAuthorizationEndpoint", "oidcTokenEndpoint", "oidcUserInfoEndpoint", "oidcClientSecret"} {
		if !got[qualify(k)] {
			t.Errorf("no problem for missing %s; got:\n%v", k, cerr)
		}
	}
	if got[qualify("oidcClientId")] {
		t.Errorf("oidcClientId is set but reported; got:\n%v", cerr)
	}
}

func TestDomainConfigNeverPrintsTheClientSecret(t *testing.T) {
	_, err := parseConfig(t, "test", with(fullOIDC, map[string]string{"oidcTokenEndpoint": "http://x.example.com/t"}), environment("dev"), noDefaultDomain())
	if err == nil {
		t.Fatal("Parse succeeded with a plain-text secret and an http endpoint")
	}
	if strings.Contains(err.Error(), fullOIDC["oidcClientSecret"]) {
		t.Errorf("the error shows the client secret:\n%v", err)
	}
}

// manySANs is a subjectAlternativeNames value with n distinct names in example.co.jp.
func manySANs(n int) string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%q", fmt.Sprintf("n%d.example.co.jp", i))
	}
	return "[" + strings.Join(names, ",") + "]"
}
