package plan

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rails-infra/rails-infra/infra"
)

func TestRuleIDsMatchTheWaiverList(t *testing.T) {
	if got, want := RuleIDs(), infra.PolicyRuleIDs; !slices.Equal(got, want) {
		t.Errorf("plan rule ids = %v, infra.PolicyRuleIDs = %v; keep them equal", got, want)
	}
}

func TestCompliantStackPassesEveryRule(t *testing.T) {
	for _, env := range []string{"dev", "prod"} {
		t.Run("a compliant "+env+" stack has no violation", func(t *testing.T) {
			if v := Check(compliantStack(env)); len(v) != 0 {
				t.Errorf("violations on a compliant stack:\n%v", v)
			}
		})
	}
}

// find returns the resource of type typ in g (the first).
func find(g *Graph, typ string) *Resource {
	if rs := g.OfType(typ); len(rs) > 0 {
		return rs[0]
	}
	return nil
}

func TestEachRuleCatchesAViolatingResource(t *testing.T) {
	cases := []struct {
		rule, env string
		breakIt   func(g *Graph)
	}{
		{"rds-encrypted", "dev", func(g *Graph) { find(g, tRDSInstance).Inputs["storageEncrypted"] = false }},
		{"rds-private", "dev", func(g *Graph) { find(g, tRDSInstance).Inputs["publiclyAccessible"] = true }},
		{"rds-managed-password", "dev", func(g *Graph) { delete(find(g, tRDSInstance).Inputs, "manageMasterUserPassword") }},
		{"rds-managed-password", "dev", func(g *Graph) { find(g, tRDSInstance).Inputs["password"] = "hunter2" }},
		{"rds-prod-retain", "prod", func(g *Graph) { find(g, tRDSInstance).Inputs["deletionProtection"] = false }},
		{"rds-prod-retain", "prod", func(g *Graph) { find(g, tRDSInstance).Inputs["skipFinalSnapshot"] = true }},
		{"rds-prod-retain", "prod", func(g *Graph) { find(g, tRDSInstance).Protect = false }},
		{"s3-public-access-block", "dev", func(g *Graph) { find(g, tPublicAccess).Inputs["restrictPublicBuckets"] = false }},
		{"s3-public-access-block", "dev", func(g *Graph) {
			orphan := res(tBucket, "orphan", nil)
			tlsOnly := res(tBucketPolicy, "orphan", map[string]any{"policy": find(g, tBucketPolicy).Inputs["policy"]})
			tlsOnly.PropertyDeps = map[string][]string{"bucket": {orphan.URN}}
			g.Resources = append(g.Resources, orphan, tlsOnly)
		}},
		{"sg-open-ingress", "dev", func(g *Graph) {
			r := res(tIngressRule, "ssh", map[string]any{"cidrIpv4": "0.0.0.0/0", "fromPort": 22.0, "toPort": 22.0})
			r.PropertyDeps = map[string][]string{"securityGroupId": {find(g, tSecurityGroup).URN}}
			g.Resources = append(g.Resources, r)
		}},
		{"sg-open-ingress", "dev", func(g *Graph) {
			sg := res(tSecurityGroup, "app", nil)
			r := res(tIngressRule, "app-https", map[string]any{"cidrIpv4": "0.0.0.0/0", "fromPort": 443.0, "toPort": 443.0})
			r.PropertyDeps = map[string][]string{"securityGroupId": {sg.URN}}
			g.Resources = append(g.Resources, sg, r)
		}},
		{"sg-open-ingress", "dev", func(g *Graph) {
			g.Resources = append(g.Resources, res(tSecurityGroup, "legacy", map[string]any{"ingress": []any{
				map[string]any{"fromPort": 0.0, "toPort": 65535.0, "cidrBlocks": []any{"0.0.0.0/0"}}}}))
		}},
		{"iam-no-wildcard-action", "dev", func(g *Graph) {
			find(g, tRolePolicy).Inputs["policy"] = `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
		}},
		{"iam-no-wildcard-action", "dev", func(g *Graph) {
			find(g, tRole).Inputs["inlinePolicies"] = []any{map[string]any{"policy": `{"Statement":{"Effect":"Allow","Action":["*"]}}`}}
		}},
		{"ecs-no-public-ip", "dev", func(g *Graph) {
			find(g, tECSService).Inputs["networkConfiguration"] = map[string]any{"assignPublicIp": true}
		}},
		{"task-env-no-secrets", "dev", func(g *Graph) {
			find(g, tTaskDefinition).Inputs["containerDefinitions"] = mustJSON([]any{map[string]any{"name": "web",
				"environment": []any{map[string]any{"name": "SECRET_KEY_BASE", "value": "abc"}}}})
		}},
		{"task-env-no-secrets", "dev", func(g *Graph) {
			td := find(g, tTaskDefinition)
			td.secretInputs = map[string]bool{"containerDefinitions": true}
		}},
		{"log-retention", "dev", func(g *Graph) { delete(find(g, tLogGroup).Inputs, "retentionInDays") }},
		{"alb-drop-invalid-headers", "dev", func(g *Graph) { find(g, tLoadBalancer).Inputs["dropInvalidHeaderFields"] = false }},
		{"alb-access-logs", "prod", func(g *Graph) { delete(find(g, tLoadBalancer).Inputs, "accessLogs") }},
		{"alb-access-logs", "prod", func(g *Graph) {
			find(g, tLoadBalancer).Inputs["accessLogs"] = map[string]any{"enabled": false, "bucket": "b"}
		}},
		{"https-tls13", "dev", func(g *Graph) {
			for _, l := range g.OfType(tListener) {
				if l.Inputs["protocol"] == "HTTPS" {
					l.Inputs["sslPolicy"] = "ELBSecurityPolicy-2016-08"
				}
			}
		}},
		{"https-tls13", "dev", func(g *Graph) {
			// TLS 1.3-capable, but still accepts TLS 1.0.
			for _, l := range g.OfType(tListener) {
				if l.Inputs["protocol"] == "HTTPS" {
					l.Inputs["sslPolicy"] = "ELBSecurityPolicy-TLS13-1-0-2021-06"
				}
			}
		}},
		{"https-tls13", "dev", func(g *Graph) {
			for _, l := range g.OfType(tListener) {
				if l.Inputs["protocol"] == "HTTPS" {
					delete(l.Inputs, "sslPolicy") // AWS then applies ELBSecurityPolicy-2016-08
				}
			}
		}},
		{"http-redirects-https", "dev", func(g *Graph) {
			// dev with HTTPS: the HTTP listener still serves the app in plain text.
			for _, l := range g.OfType(tListener) {
				if l.Inputs["protocol"] == "HTTP" {
					l.Inputs["defaultActions"] = []any{map[string]any{"type": "forward"}}
				}
			}
		}},
		{"http-redirects-https", "prod", func(g *Graph) {
			// A 302 is not the permanent redirect browsers and crawlers remember.
			for _, l := range g.OfType(tListener) {
				if l.Inputs["protocol"] == "HTTP" {
					l.Inputs["defaultActions"] = []any{map[string]any{"type": "redirect",
						"redirect": map[string]any{"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_302"}}}
				}
			}
		}},
		{"http-redirects-https", "prod", func(g *Graph) {
			// No port: AWS keeps #{port}, so the redirect goes to https://host:80.
			for _, l := range g.OfType(tListener) {
				if l.Inputs["protocol"] == "HTTP" {
					l.Inputs["defaultActions"] = []any{map[string]any{"type": "redirect",
						"redirect": map[string]any{"protocol": "HTTPS", "statusCode": "HTTP_301"}}}
				}
			}
		}},
		{"http-redirects-https", "prod", func(g *Graph) {
			// prod without any HTTPS listener, serving the app on HTTP.
			g.Resources = slices.DeleteFunc(g.Resources, func(r *Resource) bool {
				return r.Type == tListener && r.Inputs["protocol"] == "HTTPS"
			})
			for _, l := range g.OfType(tListener) {
				l.Inputs["defaultActions"] = []any{map[string]any{"type": "forward"}}
			}
		}},
		{"oidc-secret-hidden", "prod", func(g *Graph) {
			for _, l := range g.OfType(tListener) {
				if l.Inputs["protocol"] == "HTTPS" {
					l.Inputs["defaultActions"] = []any{
						map[string]any{"type": "authenticate-oidc", "order": 1.0, "authenticateOidc": map[string]any{
							"issuer": "https://accounts.google.com", "clientId": "abc", "clientSecret": "plain-text-secret"}},
						map[string]any{"type": "forward", "order": 2.0},
					}
				}
			}
		}},
		{"s3-tls-only", "dev", func(g *Graph) {
			g.Resources = slices.DeleteFunc(g.Resources, func(r *Resource) bool { return r.Type == tBucketPolicy })
		}},
		{"s3-tls-only", "dev", func(g *Graph) {
			// A policy that only denies plain HTTP for one action leaves the rest open.
			find(g, tBucketPolicy).Inputs["policy"] = mustJSON(map[string]any{"Statement": []any{map[string]any{
				"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			}}})
		}},
		{"s3-tls-only", "dev", func(g *Graph) {
			// The bucket policy belongs to another bucket.
			orphan := res(tBucket, "other", nil)
			pab := res(tPublicAccess, "other", map[string]any{"blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true})
			pab.PropertyDeps = map[string][]string{"bucket": {orphan.URN}}
			g.Resources = append(g.Resources, orphan, pab)
		}},
		{"ecr-scan-on-push", "dev", func(g *Graph) { delete(find(g, tRepository).Inputs, "imageScanningConfiguration") }},
		{"ecr-scan-on-push", "dev", func(g *Graph) {
			find(g, tRepository).Inputs["imageScanningConfiguration"] = map[string]any{"scanOnPush": false}
		}},
		{"ecs-exec-enabled", "dev", func(g *Graph) { delete(find(g, tECSService).Inputs, "enableExecuteCommand") }},
		{"rds-tls", "dev", func(g *Graph) {
			find(g, tParameterGroup).Inputs["parameters"] = []any{map[string]any{"name": "rds.force_ssl", "value": "0"}}
		}},
		{"rds-tls", "dev", func(g *Graph) {
			// A MySQL instance whose group sets only the PostgreSQL parameter.
			find(g, tRDSInstance).Inputs["engine"] = "mysql"
		}},
		{"rds-tls", "dev", func(g *Graph) {
			// The default group of PostgreSQL 14 does not force TLS.
			g.Resources = slices.DeleteFunc(g.Resources, func(r *Resource) bool { return r.Type == tParameterGroup })
			db := find(g, tRDSInstance)
			delete(db.Inputs, "parameterGroupName")
			db.Inputs["engineVersion"] = "14.12"
		}},
		{"default-sg-locked", "dev", func(g *Graph) {
			find(g, tDefaultSG).Inputs["ingress"] = []any{map[string]any{"self": true}}
		}},
		{"default-sg-locked", "dev", func(g *Graph) {
			g.Resources = slices.DeleteFunc(g.Resources, func(r *Resource) bool { return r.Type == tDefaultSG })
		}},
		{"ssm-secure-string", "dev", func(g *Graph) { find(g, tSSMParameter).Inputs["type"] = "String" }},
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.rule] = true
		g := compliantStack(tc.env)
		tc.breakIt(g)
		t.Run(tc.rule+" catches a violating resource", func(t *testing.T) {
			vs := Check(g)
			if len(vs) == 0 {
				t.Fatalf("no violation, want one of %s", tc.rule)
			}
			for _, v := range vs {
				if v.Rule != tc.rule {
					t.Errorf("unexpected violation %s (breaking only %s)", v, tc.rule)
				}
				if v.Fix == "" || v.URN == "" || v.Waived {
					t.Errorf("violation %s must name the resource and the fix and not be waived", v)
				}
			}
		})
	}
	for _, r := range Rules {
		if !covered[r.ID] {
			t.Errorf("rule %s has no violating case in this table", r.ID)
		}
	}
}

func TestRulesAcceptTheirCompliantVariants(t *testing.T) {
	cases := []struct {
		name, env string
		edit      func(g *Graph)
	}{
		{"dev on plain HTTP without any HTTPS listener", "dev", func(g *Graph) {
			g.Resources = slices.DeleteFunc(g.Resources, func(r *Resource) bool {
				return r.Type == tListener && r.Inputs["protocol"] == "HTTPS"
			})
			for _, l := range g.OfType(tListener) {
				l.Inputs["defaultActions"] = []any{map[string]any{"type": "forward"}}
			}
		}},
		{"the post-quantum TLS 1.3 policy", "prod", func(g *Graph) {
			for _, l := range g.OfType(tListener) {
				if l.Inputs["protocol"] == "HTTPS" {
					l.Inputs["sslPolicy"] = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
				}
			}
		}},
		{"an authenticate-oidc client secret that is a secret", "prod", func(g *Graph) {
			for _, l := range g.OfType(tListener) {
				if l.Inputs["protocol"] == "HTTPS" {
					l.Inputs["defaultActions"] = []any{
						map[string]any{"type": "authenticate-oidc", "order": 1.0, "authenticateOidc": map[string]any{
							"issuer": "https://accounts.google.com", "clientId": "abc", "clientSecret": "[secret]"}},
						map[string]any{"type": "forward", "order": 2.0},
					}
				}
			}
		}},
		{"PostgreSQL 16 on its default parameter group (force_ssl defaults to 1 from 15)", "dev", func(g *Graph) {
			g.Resources = slices.DeleteFunc(g.Resources, func(r *Resource) bool { return r.Type == tParameterGroup })
			delete(find(g, tRDSInstance).Inputs, "parameterGroupName")
		}},
		{"MySQL with require_secure_transport", "dev", func(g *Graph) {
			find(g, tRDSInstance).Inputs["engine"] = "mysql"
			find(g, tParameterGroup).Inputs["parameters"] = []any{map[string]any{"name": "require_secure_transport", "value": "1"}}
		}},
		{"a TLS-only statement with Principal \"*\" and Action as a string", "dev", func(g *Graph) {
			find(g, tBucketPolicy).Inputs["policy"] = mustJSON(map[string]any{"Statement": map[string]any{
				"Effect": "Deny", "Principal": "*", "Action": "s3:*",
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": false}},
			}})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name+" passes", func(t *testing.T) {
			g := compliantStack(tc.env)
			tc.edit(g)
			if v := Check(g); len(v) != 0 {
				t.Errorf("violations: %v", v)
			}
		})
	}
}

func TestProdRetentionRuleIgnoresDev(t *testing.T) {
	g := compliantStack("dev")
	find(g, tRDSInstance).Inputs["deletionProtection"] = false
	if v := Check(g); len(v) != 0 {
		t.Errorf("dev without deletion protection: got %v, want no violation", v)
	}
}

func TestWaiverMarksViolationWithReason(t *testing.T) {
	g := compliantStack("dev")
	find(g, tLogGroup).Inputs["retentionInDays"] = 0.0
	g.Waivers = map[string]string{"log-retention": "audit logs are kept forever by law"}
	vs := Check(g)
	if len(vs) != 1 || !vs[0].Waived || vs[0].Reason != "audit logs are kept forever by law" {
		t.Fatalf("got %v, want one waived log-retention violation with the reason", vs)
	}
	if s := vs[0].String(); !strings.HasPrefix(s, "WAIVED log-retention") || !strings.Contains(s, "kept forever by law") {
		t.Errorf("String() = %q, want it marked WAIVED with the reason", s)
	}
}

func TestWaiverConfigIsValidated(t *testing.T) {
	cases := []struct {
		name, value, mention string
	}{
		{"an unknown rule id is rejected with the known ids", `{"no-such-rule":"because"}`, "known ids: alb-access-logs, alb-drop-invalid-headers"},
		{"a waiver without a reason is rejected", `{"log-retention":""}`, "has no reason"},
		{"a waiver with a blank reason is rejected", `{"log-retention":"   "}`, "has no reason"},
		{"a list instead of a map is rejected", `["log-retention"]`, "map of NAME: value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := infra.Parse(infra.MapSource{Values: map[string]string{
				"aws:region": "ap-northeast-1", "rails-infra:policyWaivers": tc.value,
			}}, "rails-infra", "dev")
			if err == nil || !strings.Contains(err.Error(), "rails-infra:policyWaivers") || !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("err = %v, want a policyWaivers problem mentioning %q", err, tc.mention)
			}
		})
	}
	t.Run("a waiver with a reason is accepted", func(t *testing.T) {
		cfg, err := infra.Parse(infra.MapSource{Values: map[string]string{
			"aws:region": "ap-northeast-1", "rails-infra:policyWaivers": `{"log-retention":"kept by law"}`,
		}}, "rails-infra", "dev")
		if err != nil || cfg.Policy.Waivers["log-retention"] != "kept by law" {
			t.Errorf("err = %v, waivers = %v; want the waiver kept", err, cfg)
		}
	})
}

func TestDocsListEveryRule(t *testing.T) {
	doc, err := os.ReadFile("../../docs/plan.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Rules {
		if !strings.Contains(string(doc), "| `"+r.ID+"` |") {
			t.Errorf("docs/plan.md has no table row for rule %s", r.ID)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("runs %d security rules", len(Rules)); !strings.Contains(string(readme), want) {
		t.Errorf("README.md does not say %q", want)
	}
}

// Every policy the Domain component accepts must pass https-tls13, or a valid config would fail --check.
func TestEveryAllowedSSLPolicyPassesTheTLSRule(t *testing.T) {
	for _, p := range infra.SSLPolicies {
		t.Run(string(p)+" passes https-tls13", func(t *testing.T) {
			g := compliantStack("prod")
			for _, l := range g.OfType(tListener) {
				if l.Inputs["protocol"] == "HTTPS" {
					l.Inputs["sslPolicy"] = string(p)
				}
			}
			if v := Check(g); len(v) != 0 {
				t.Errorf("violations: %v", v)
			}
		})
	}
}
