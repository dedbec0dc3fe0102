package main

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/infra"
	"github.com/rails-infra/rails-infra/internal/mockengine"
)

// runDeploy runs the exact program `pulumi up` runs, on the recording engine.
func runDeploy(opts mockengine.Options) (*mockengine.Result, error) {
	return mockengine.Run(opts, func(ctx *pulumi.Context, export mockengine.ExportFunc) error {
		return deploy(ctx, exporter(export))
	})
}

func loadStack(t testing.TB, stack string) *mockengine.StackConfig {
	t.Helper()
	sc, err := mockengine.LoadStackConfig(".", stack, "")
	if err != nil {
		t.Fatalf("loading stack %s: %v", stack, err)
	}
	return sc
}

// runStack runs a committed stack file, with optional overrides (key -> value; "" deletes).
func runStack(t testing.TB, stack string, overrides map[string]string) (*mockengine.Result, error) {
	t.Helper()
	sc := loadStack(t, stack)
	opts := sc.Options(stack)
	opts.Config = maps.Clone(opts.Config)
	for k, v := range overrides {
		if v == "" {
			delete(opts.Config, k)
		} else {
			opts.Config[k] = v
		}
	}
	opts.Setup = registerStackZone(opts.Config)
	return runDeploy(opts)
}

// registerStackZone makes the stack's configured hosted zone exist in the mock account, so the
// domain's zone lookup answers as it would for a user who owns the zone. With only a zone id,
// the zone is named after domainName (its name is unknown until AWS answers).
func registerStackZone(config map[string]string) func(*mockengine.Recorder) {
	name, id := config["rails-infra:hostedZoneName"], config["rails-infra:hostedZoneId"]
	return func(r *mockengine.Recorder) {
		switch {
		case name != "":
			r.HostedZones[name] = "ZMOCK" + strings.ToUpper(strings.NewReplacer(".", "", "-", "").Replace(name))
		case id != "":
			r.HostedZones[config["rails-infra:domainName"]] = id
		}
	}
}

// stackExpectations is what each committed stack must build. A new stack file without
// an entry here fails the test, so every environment is covered.
var stackExpectations = map[string]struct {
	env      infra.Environment
	nat      string
	azs      float64
	cidr     string
	flowDays float64
}{
	"dev":  {env: infra.EnvDev, nat: "Single", azs: 2, cidr: "10.0.0.0/16", flowDays: 14},
	"prod": {env: infra.EnvProd, nat: "OnePerAz", azs: 2, cidr: "10.1.0.0/16", flowDays: 90},
}

func TestEveryStackFileRunsUnderMocks(t *testing.T) {
	stacks, err := mockengine.StackNames(".")
	if err != nil || len(stacks) == 0 {
		t.Fatalf("no Pulumi.<stack>.yaml found: %v", err)
	}
	for _, stack := range stacks {
		t.Run(stack+" stack builds its network as configured", func(t *testing.T) {
			want, ok := stackExpectations[stack]
			if !ok {
				t.Fatalf("Pulumi.%s.yaml has no entry in stackExpectations; add what it must build", stack)
			}
			res, err := runStack(t, stack, nil)
			if err != nil {
				t.Fatalf("program failed: %v", err)
			}
			if got := res.Exports["environment"].Value; got != string(want.env) {
				t.Errorf("environment output = %v, want %v", got, want.env)
			}
			vpcs := res.OfType("awsx:ec2:Vpc")
			if len(vpcs) != 1 {
				t.Fatalf("awsx:ec2:Vpc count = %d, want 1", len(vpcs))
			}
			vpc := vpcs[0]
			nat, _ := vpc.Input("natGateways").(map[string]any)
			if nat["strategy"] != want.nat {
				t.Errorf("%s natGateways.strategy = %v, want %s", vpc.Name, nat["strategy"], want.nat)
			}
			if got := vpc.Input("numberOfAvailabilityZones"); got != want.azs {
				t.Errorf("%s numberOfAvailabilityZones = %v, want %v", vpc.Name, got, want.azs)
			}
			if got := vpc.Input("cidrBlock"); got != want.cidr {
				t.Errorf("%s cidrBlock = %v, want %v", vpc.Name, got, want.cidr)
			}
			flows := res.OfType("aws:ec2/flowLog:FlowLog")
			if len(flows) != 1 || flows[0].Input("trafficType") != "ALL" {
				t.Errorf("want exactly one flow log with trafficType ALL, got %d", len(flows))
			}
			groups := res.OfType("aws:cloudwatch/logGroup:LogGroup")
			if len(groups) == 0 || groups[0].Input("retentionInDays") != want.flowDays {
				t.Errorf("flow log group retention: want %v days", want.flowDays)
			}
			sgs := res.OfType("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
			if len(sgs) != 1 {
				t.Fatalf("default security group count = %d, want 1", len(sgs))
			}
			for _, k := range []string{"ingress", "egress"} {
				if v, ok := sgs[0].Input(k).([]any); ok && len(v) > 0 {
					t.Errorf("default security group has %s rules %v, want none", k, v)
				}
			}
			if ids, _ := res.Exports["privateSubnetIds"].Value.([]any); len(ids) != int(want.azs) {
				t.Errorf("privateSubnetIds output = %v, want %v subnets", ids, want.azs)
			}
		})
	}
}

func TestStackFilesUseOnlyDeclaredKeys(t *testing.T) {
	known := map[string]bool{}
	for _, k := range infra.KnownKeys() {
		known[k] = true
	}
	stacks, _ := mockengine.StackNames(".")
	for _, stack := range stacks {
		for k := range loadStack(t, stack).Values {
			short, ok := strings.CutPrefix(k, infra.Namespace+":")
			if ok && !known[short] {
				t.Errorf("Pulumi.%s.yaml sets %s, which the program does not read", stack, k)
			}
		}
	}
}

// badConfig cases each break one rule on top of the dev stack file.
var badConfig = []struct {
	name      string
	stack     string // default dev
	overrides map[string]string
	key       string // the key the error must name
	mention   string // text the message must contain
}{
	{"a /8 VPC is too big", "", map[string]string{"rails-infra:vpcCidr": "10.0.0.0/8"}, "rails-infra:vpcCidr", "/16 to /24"},
	{"a /28 VPC is too small", "", map[string]string{"rails-infra:vpcCidr": "10.0.0.0/28"}, "rails-infra:vpcCidr", "/16 to /24"},
	{"a VPC CIDR that is not a CIDR", "", map[string]string{"rails-infra:vpcCidr": "not-a-cidr"}, "rails-infra:vpcCidr", "IPv4 CIDR"},
	{"a VPC CIDR with host bits", "", map[string]string{"rails-infra:vpcCidr": "10.0.0.1/16"}, "rails-infra:vpcCidr", "10.0.0.0/16"},
	{"an IPv6 VPC CIDR", "", map[string]string{"rails-infra:vpcCidr": "2001:db8::/56"}, "rails-infra:vpcCidr", "IPv4"},
	{"a VPC CIDR without prefix", "", map[string]string{"rails-infra:vpcCidr": "10.0.0.0"}, "rails-infra:vpcCidr", "IPv4 CIDR"},
	{"one availability zone", "", map[string]string{"rails-infra:availabilityZones": "1"}, "rails-infra:availabilityZones", "from 2 to 3"},
	{"four availability zones", "", map[string]string{"rails-infra:availabilityZones": "4"}, "rails-infra:availabilityZones", "from 2 to 3"},
	{"availability zones as a word", "", map[string]string{"rails-infra:availabilityZones": "two"}, "rails-infra:availabilityZones", "whole number"},
	{"fractional availability zones", "", map[string]string{"rails-infra:availabilityZones": "2.5"}, "rails-infra:availabilityZones", "whole number"},
	{"a lower-case NAT strategy", "", map[string]string{"rails-infra:natGateways": "single"}, "rails-infra:natGateways", "None | Single | OnePerAz"},
	{"an unknown NAT strategy", "", map[string]string{"rails-infra:natGateways": "Multiple"}, "rails-infra:natGateways", "None | Single | OnePerAz"},
	{"no NAT and no endpoints", "", map[string]string{"rails-infra:natGateways": "None"}, "rails-infra:natGateways", "vpcEndpoints"},
	{"no NAT and endpoints off explicitly", "", map[string]string{"rails-infra:natGateways": "None", "rails-infra:vpcEndpoints": "false"}, "rails-infra:natGateways", "ECR"},
	{"endpoints as yes", "", map[string]string{"rails-infra:vpcEndpoints": "yes"}, "rails-infra:vpcEndpoints", "true or false"},
	{"endpoints as 1", "", map[string]string{"rails-infra:vpcEndpoints": "1"}, "rails-infra:vpcEndpoints", "true or false"},
	{"10-day flow log retention", "", map[string]string{"rails-infra:flowLogRetentionDays": "10"}, "rails-infra:flowLogRetentionDays", "one of 1, 3, 5"},
	{"zero flow log retention", "", map[string]string{"rails-infra:flowLogRetentionDays": "0"}, "rails-infra:flowLogRetentionDays", "3653"},
	{"negative flow log retention", "", map[string]string{"rails-infra:flowLogRetentionDays": "-1"}, "rails-infra:flowLogRetentionDays", "one of"},
	{"flow log retention forever", "", map[string]string{"rails-infra:flowLogRetentionDays": "forever"}, "rails-infra:flowLogRetentionDays", "one of"},
	{"environment spelled out", "", map[string]string{"rails-infra:environment": "production"}, "rails-infra:environment", "dev | prod"},
	{"environment capitalised", "", map[string]string{"rails-infra:environment": "Prod"}, "rails-infra:environment", "dev | prod"},
	{"the prod stack with dev defaults", "prod", map[string]string{"rails-infra:environment": "dev"}, "rails-infra:environment", "looks like production"},
	{"no region", "", map[string]string{"aws:region": ""}, "aws:region", "region"},
	{"a region that is a city", "", map[string]string{"aws:region": "tokyo"}, "aws:region", "not an AWS region"},
	{"a misspelled key", "", map[string]string{"rails-infra:vpcCIDR": "10.0.0.0/16"}, "rails-infra:vpcCIDR", `Did you mean "vpcCidr"`},
	{"an unknown key", "", map[string]string{"rails-infra:webScale": "true"}, "rails-infra:webScale", "not a rails-infra setting"},
	// --- domain ---
	{"the prod stack without a domain", "prod", map[string]string{"rails-infra:domainName": "", "rails-infra:hostedZoneName": ""}, "rails-infra:domainName", "prod must serve HTTPS"},
	{"an upper-case domain name", "", map[string]string{"rails-infra:domainName": "App.example.co.jp", "rails-infra:hostedZoneName": "example.co.jp"}, "rails-infra:domainName", "lower case"},
	{"a one-label domain name", "", map[string]string{"rails-infra:domainName": "rails", "rails-infra:hostedZoneName": "example.co.jp"}, "rails-infra:domainName", "at least two labels"},
	{"a wildcard domain name", "", map[string]string{"rails-infra:domainName": "*.example.co.jp", "rails-infra:hostedZoneName": "example.co.jp"}, "rails-infra:domainName", "must not be a wildcard"},
	{"a domain without a hosted zone", "", map[string]string{"rails-infra:domainName": "app.example.co.jp"}, "rails-infra:hostedZoneName", "exactly one of hostedZoneName or hostedZoneId"},
	{"a domain with zone name and zone id", "", map[string]string{"rails-infra:domainName": "app.example.co.jp", "rails-infra:hostedZoneName": "example.co.jp", "rails-infra:hostedZoneId": "Z0123456789EXAMPLEJP"}, "rails-infra:hostedZoneId", "not both"},
	{"a domain outside its hosted zone", "", map[string]string{"rails-infra:domainName": "app.example.com", "rails-infra:hostedZoneName": "example.co.jp"}, "rails-infra:domainName", "not inside hosted zone example.co.jp"},
	{"a zone id with the /hostedzone/ prefix", "", map[string]string{"rails-infra:domainName": "app.example.co.jp", "rails-infra:hostedZoneId": "/hostedzone/Z0123456789EXAMPLEJP"}, "rails-infra:hostedZoneId", "drop the /hostedzone/ prefix"},
	{"a hosted zone without a domain", "", map[string]string{"rails-infra:hostedZoneName": "example.co.jp"}, "rails-infra:hostedZoneName", "domainName is not"},
	{"a TLS policy that allows TLS 1.0", "", map[string]string{"rails-infra:sslPolicy": "ELBSecurityPolicy-2016-08"}, "rails-infra:sslPolicy", "TLS 1.3-capable"},
	{"half an OIDC block", "", map[string]string{"rails-infra:domainName": "app.example.co.jp", "rails-infra:hostedZoneName": "example.co.jp", "rails-infra:oidcIssuer": "https://accounts.google.com"}, "rails-infra:oidcClientSecret", "is required because oidcIssuer is set"},
	{"an OIDC endpoint over http", "", map[string]string{"rails-infra:domainName": "app.example.co.jp", "rails-infra:hostedZoneName": "example.co.jp", "rails-infra:oidcTokenEndpoint": "http://idp.example.com/token"}, "rails-infra:oidcTokenEndpoint", "must use https"},
	{"an OIDC client secret in plain text", "", map[string]string{"rails-infra:domainName": "app.example.co.jp", "rails-infra:hostedZoneName": "example.co.jp", "rails-infra:oidcClientSecret": "plain"}, "rails-infra:oidcClientSecret", "must be a secret"},
	{"OIDC without a domain", "", map[string]string{"rails-infra:oidcIssuer": "https://accounts.google.com"}, "rails-infra:oidcIssuer", "needs domainName"},
	{"an OIDC scope without openid", "", map[string]string{"rails-infra:domainName": "app.example.co.jp", "rails-infra:hostedZoneName": "example.co.jp", "rails-infra:oidcScope": "email"}, "rails-infra:oidcScope", `must include "openid"`},
	{"a misspelled OIDC key", "", map[string]string{"rails-infra:oidcClientID": "abc"}, "rails-infra:oidcClientID", `Did you mean "oidcClientId"`},
}

func TestBadConfigFailsBeforeAnyResource(t *testing.T) {
	for _, tc := range badConfig {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			stack := tc.stack
			if stack == "" {
				stack = "dev"
			}
			res, err := runStack(t, stack, tc.overrides)
			var cerr *infra.ConfigError
			if !errors.As(err, &cerr) {
				t.Fatalf("err = %v, want a *infra.ConfigError naming %s", err, tc.key)
			}
			found := false
			for _, p := range cerr.Problems {
				if p.Key == tc.key && strings.Contains(p.String(), tc.mention) && strings.Contains(p.String(), "Fix:") {
					found = true
				}
			}
			if !found {
				t.Errorf("no problem names %s with %q and a fix; got:\n%v", tc.key, tc.mention, cerr)
			}
			if n := len(res.Resources()); n != 0 {
				t.Errorf("%d resources registered before the config error, want 0 (first: %s)", n, res.Resources()[0].URN)
			}
		})
	}
}

func TestAllConfigProblemsAreReportedAtOnce(t *testing.T) {
	_, err := runStack(t, "dev", map[string]string{
		"rails-infra:vpcCidr":              "10.0.0.0/8",
		"rails-infra:availabilityZones":    "9",
		"rails-infra:flowLogRetentionDays": "10",
	})
	var cerr *infra.ConfigError
	if !errors.As(err, &cerr) {
		t.Fatalf("err = %v, want *infra.ConfigError", err)
	}
	keys := map[string]bool{}
	for _, p := range cerr.Problems {
		keys[p.Key] = true
	}
	for _, k := range []string{"rails-infra:vpcCidr", "rails-infra:availabilityZones", "rails-infra:flowLogRetentionDays"} {
		if !keys[k] {
			t.Errorf("problem for %s missing; got %v", k, cerr)
		}
	}
}

// Every committed stack parses its domain settings as its environment requires, and the mock
// account holds the hosted zone the stack names (runStack registers it).
func TestStackFilesDomainSettings(t *testing.T) {
	stacks, _ := mockengine.StackNames(".")
	for _, stack := range stacks {
		sc := loadStack(t, stack)
		cfg, err := infra.Parse(infra.MapSource{Values: sc.Values, SecretKeys: sc.SecretKeys}, sc.Project, stack)
		if err != nil {
			t.Fatalf("Pulumi.%s.yaml: %v", stack, err)
		}
		d := cfg.Domain
		if cfg.IsProd() {
			t.Run(stack+" serves HTTPS on its own domain", func(t *testing.T) {
				if !d.Enabled() || (d.HostedZoneName == "") == (d.HostedZoneID == "") {
					t.Errorf("domainName %q, hostedZoneName %q, hostedZoneId %q: prod needs a domain and exactly one zone key",
						d.DomainName, d.HostedZoneName, d.HostedZoneID)
				}
			})
		}
		if !d.Enabled() {
			continue
		}
		t.Run(stack+" finds its hosted zone in the mock account", func(t *testing.T) {
			rec := mockengine.New(sc.Project, stack, sc.Values["aws:region"])
			registerStackZone(sc.Values)(rec)
			zone := d.HostedZoneName
			if zone == "" {
				zone = d.DomainName
			}
			if rec.HostedZones[zone] == "" {
				t.Errorf("hosted zones %v lack %s", rec.HostedZones, zone)
			}
		})
	}
}

// TODO(lead): enable after merging the App service and wiring the Domain in main.go (see the
// TODO(lead) block there): uncomment, and add "fmt" and "slices" to the imports. It was run
// green against a stand-in ALB + target group + port-80 listener wired exactly as main.go's
// block shows; it assumes the service exports "url" only when there is no domain and that its
// port-80 listener forwards (no domain) or redirects with HTTP_301 to HTTPS:443 (domain).
//
// func TestEveryStackServesItsDomain(t *testing.T) {
// 	stacks, err := mockengine.StackNames(".")
// 	if err != nil || len(stacks) == 0 {
// 		t.Fatalf("no Pulumi.<stack>.yaml found: %v", err)
// 	}
// 	for _, stack := range stacks {
// 		sc := loadStack(t, stack)
// 		cfg, err := infra.Parse(infra.MapSource{Values: sc.Values, SecretKeys: sc.SecretKeys}, sc.Project, stack)
// 		if err != nil {
// 			t.Fatalf("Pulumi.%s.yaml: %v", stack, err)
// 		}
// 		res, err := runStack(t, stack, nil)
// 		if err != nil {
// 			t.Fatalf("%s: program failed: %v", stack, err)
// 		}
// 		albs := res.OfType("aws:lb/loadBalancer:LoadBalancer")
// 		if len(albs) != 1 {
// 			t.Fatalf("%s: %d load balancers, want 1", stack, len(albs))
// 		}
// 		albDNS := mockengine.Plain(albs[0].Outputs["dnsName"], false)
// 		albZone := mockengine.Plain(albs[0].Outputs["zoneId"], false)
// 		listeners := map[float64]*mockengine.Resource{}
// 		for _, l := range res.OfType("aws:lb/listener:Listener") {
// 			if port, ok := l.Input("port").(float64); ok {
// 				listeners[port] = l
// 			}
// 		}
// 		firstAction := func(l *mockengine.Resource) map[string]any {
// 			acts, _ := l.Input("defaultActions").([]any)
// 			if len(acts) == 0 {
// 				return nil
// 			}
// 			a, _ := acts[0].(map[string]any)
// 			return a
// 		}
// 		d := cfg.Domain
// 		if !d.Enabled() {
// 			t.Run(stack+" serves plain HTTP at the ALB's DNS name", func(t *testing.T) {
// 				if n := len(res.OfType("aws:acm/certificate:Certificate")); n != 0 {
// 					t.Errorf("%d certificates, want 0 without a domain", n)
// 				}
// 				if listeners[443] != nil {
// 					t.Errorf("a 443 listener exists without a domain")
// 				}
// 				if l := listeners[80]; l == nil || firstAction(l)["type"] != "forward" {
// 					t.Errorf("port 80 listener = %v, want one that forwards to the app", l)
// 				}
// 				if got, want := res.Exports["url"].Value, fmt.Sprintf("http://%v", albDNS); got != want {
// 					t.Errorf("url output = %v, want %v", got, want)
// 				}
// 			})
// 			continue
// 		}
// 		t.Run(stack+" has a DNS-validated certificate for its domain", func(t *testing.T) {
// 			certs := res.OfType("aws:acm/certificate:Certificate")
// 			if len(certs) != 1 || certs[0].Input("domainName") != d.DomainName || certs[0].Input("validationMethod") != "DNS" {
// 				t.Fatalf("certificates = %d, want one for %s validated by DNS", len(certs), d.DomainName)
// 			}
// 			vals := res.OfType("aws:acm/certificateValidation:CertificateValidation")
// 			if len(vals) != 1 {
// 				t.Fatalf("certificate validations = %d, want 1", len(vals))
// 			}
// 			fqdns, _ := vals[0].Input("validationRecordFqdns").([]any)
// 			cnames := 0
// 			for _, r := range res.OfType("aws:route53/record:Record") {
// 				if r.Input("type") == "CNAME" {
// 					cnames++
// 				}
// 			}
// 			if len(fqdns) == 0 || len(fqdns) != cnames {
// 				t.Errorf("validation waits for %d records, %d validation CNAMEs exist", len(fqdns), cnames)
// 			}
// 		})
// 		t.Run(stack+" answers HTTPS on 443 with a TLS 1.3 policy and the issued certificate", func(t *testing.T) {
// 			l := listeners[443]
// 			if l == nil {
// 				t.Fatal("no 443 listener")
// 			}
// 			if l.Input("protocol") != "HTTPS" || l.Input("sslPolicy") != string(d.SSLPolicy) {
// 				t.Errorf("443 listener protocol/policy = %v/%v, want HTTPS/%s", l.Input("protocol"), l.Input("sslPolicy"), d.SSLPolicy)
// 			}
// 			val := res.OfType("aws:acm/certificateValidation:CertificateValidation")[0]
// 			if !slices.Contains(l.PropertyDeps["certificateArn"], val.URN) {
// 				t.Errorf("443 listener certificateArn comes from %v, want the certificate validation", l.PropertyDeps["certificateArn"])
// 			}
// 		})
// 		t.Run(stack+" redirects HTTP to HTTPS with a 301", func(t *testing.T) {
// 			l := listeners[80]
// 			if l == nil {
// 				t.Fatal("no port 80 listener")
// 			}
// 			a := firstAction(l)
// 			r, _ := a["redirect"].(map[string]any)
// 			if a["type"] != "redirect" || r["protocol"] != "HTTPS" || r["port"] != "443" || r["statusCode"] != "HTTP_301" {
// 				t.Errorf("port 80 default action = %v, want a 301 redirect to HTTPS:443", a)
// 			}
// 		})
// 		t.Run(stack+" points its domain at the ALB", func(t *testing.T) {
// 			found := 0
// 			for _, r := range res.OfType("aws:route53/record:Record") {
// 				if r.Input("name") != d.DomainName || (r.Input("type") != "A" && r.Input("type") != "AAAA") {
// 					continue
// 				}
// 				found++
// 				al, _ := r.Input("aliases").([]any)
// 				if len(al) != 1 {
// 					t.Errorf("%s aliases = %v, want one", r.Name, al)
// 					continue
// 				}
// 				a := al[0].(map[string]any)
// 				if a["name"] != albDNS || a["zoneId"] != albZone || a["evaluateTargetHealth"] != true {
// 					t.Errorf("%s alias = %v, want %v in %v, evaluating target health", r.Name, a, albDNS, albZone)
// 				}
// 			}
// 			if found == 0 {
// 				t.Errorf("no A/AAAA alias record for %s", d.DomainName)
// 			}
// 		})
// 		t.Run(stack+" outputs its https URL", func(t *testing.T) {
// 			if got := res.Exports["url"].Value; got != "https://"+d.DomainName {
// 				t.Errorf("url output = %v, want https://%s", got, d.DomainName)
// 			}
// 		})
// 	}
// }
