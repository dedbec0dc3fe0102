package plan

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rails-infra/rails-infra/infra"

	"github.com/rails-infra/rails-infra/internal/awstype"
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

// cacheIngressOf is the fixture's ingress rule on the cache's security group.
func cacheIngressOf(g *Graph) *Resource {
	for _, r := range g.OfType(awstype.VpcSecurityGroupIngressRule) {
		if r.Name == "cache-from-app" {
			return r
		}
	}
	panic("no cache-from-app rule in the fixture")
}

// named returns the resource called name in g.
func named(g *Graph, name string) *Resource {
	for _, r := range g.Resources {
		if r.Name == name {
			return r
		}
	}
	panic("no resource " + name)
}

// drop removes the resources of type typ (only the one called name, unless name is "").
func drop(g *Graph, typ, name string) {
	g.Resources = slices.DeleteFunc(g.Resources, func(r *Resource) bool { return r.Type == typ && (name == "" || r.Name == name) })
}

// find returns the resource of type typ in g (the first).
// schedule is a Scheduler schedule with or without a dead-letter queue and a retry policy.
func schedule(dlq, retry bool) *Resource {
	target := map[string]any{"arn": "arn:aws:ecs:ap-northeast-1:123456789012:cluster/app"}
	if dlq {
		target["deadLetterConfig"] = map[string]any{"arn": "arn:aws:sqs:ap-northeast-1:123456789012:dlq"}
	}
	if retry {
		target["retryPolicy"] = map[string]any{"maximumRetryAttempts": 3.0, "maximumEventAgeInSeconds": 3600.0}
	}
	return res(awstype.SchedulerSchedule, "nightly", map[string]any{"scheduleExpression": "cron(0 3 * * ? *)", "target": target})
}

func find(g *Graph, typ string) *Resource {
	if rs := g.OfType(typ); len(rs) > 0 {
		return rs[0]
	}
	return nil
}

// redirectByRule moves the fixture's port-80 redirect into a rule on that listener, as the
// Domain builds it: the listener forwards, a catch-all rule redirects with the given action.
func redirectByRule(g *Graph, path string, action map[string]any) {
	for _, l := range g.OfType(awstype.LbListener) {
		if l.Inputs["protocol"] != "HTTP" {
			continue
		}
		l.Inputs["defaultActions"] = []any{map[string]any{"type": "forward"}}
		rule := res(awstype.LbListenerRule, "domain-http-to-https", map[string]any{
			"priority":   50000.0,
			"conditions": []any{map[string]any{"pathPattern": map[string]any{"values": []any{path}}}},
			"actions":    []any{action},
		})
		rule.PropertyDeps = map[string][]string{"listenerArn": {l.URN}}
		g.Resources = append(g.Resources, rule)
	}
}

var redirect301 = map[string]any{"type": "redirect", "redirect": map[string]any{"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}

func TestHTTPRedirectMayBeACatchAllRuleOnThePort80Listener(t *testing.T) {
	for _, tc := range []struct {
		name   string
		path   string
		action map[string]any
		onPort int // the listener the rule is linked to
		ok     bool
	}{
		{"a catch-all 301 rule on the port-80 listener passes", "/*", redirect301, 80, true},
		{"a rule on a narrower path leaves the rest of the site on plain HTTP", "/admin/*", redirect301, 80, false},
		{"a catch-all rule with a 302 is not permanent", "/*", map[string]any{"type": "redirect",
			"redirect": map[string]any{"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_302"}}, 80, false},
		{"a catch-all redirect on another listener does not count", "/*", redirect301, 443, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := compliantStack("prod")
			redirectByRule(g, tc.path, tc.action)
			if tc.onPort == 443 {
				for _, l := range g.OfType(awstype.LbListener) {
					if l.Inputs["protocol"] == "HTTPS" {
						find(g, awstype.LbListenerRule).PropertyDeps["listenerArn"] = []string{l.URN}
					}
				}
			}
			var got []string
			for _, v := range Check(g) {
				if v.Rule == "http-redirects-https" {
					got = append(got, fmt.Sprint(v))
				}
			}
			if ok := len(got) == 0; ok != tc.ok {
				t.Errorf("http-redirects-https passes = %v, want %v; violations: %v", ok, tc.ok, got)
			}
		})
	}
}

func TestEachRuleCatchesAViolatingResource(t *testing.T) {
	cases := []struct {
		rule, env string
		breakIt   func(g *Graph)
	}{
		{"rds-encrypted", "dev", func(g *Graph) { find(g, awstype.RdsInstance).Inputs["storageEncrypted"] = false }},
		{"rds-private", "dev", func(g *Graph) { find(g, awstype.RdsInstance).Inputs["publiclyAccessible"] = true }},
		{"rds-managed-password", "dev", func(g *Graph) { delete(find(g, awstype.RdsInstance).Inputs, "manageMasterUserPassword") }},
		{"rds-managed-password", "dev", func(g *Graph) { find(g, awstype.RdsInstance).Inputs["password"] = "hunter2" }},
		{"rds-prod-retain", "prod", func(g *Graph) { find(g, awstype.RdsInstance).Inputs["deletionProtection"] = false }},
		{"rds-prod-retain", "prod", func(g *Graph) { find(g, awstype.RdsInstance).Inputs["skipFinalSnapshot"] = true }},
		{"rds-prod-retain", "prod", func(g *Graph) { find(g, awstype.RdsInstance).Protect = false }},
		{"s3-public-access-block", "dev", func(g *Graph) { find(g, awstype.S3BucketPublicAccessBlock).Inputs["restrictPublicBuckets"] = false }},
		{"s3-public-access-block", "dev", func(g *Graph) {
			orphan := res(awstype.S3BucketV2, "orphan", nil)
			tlsOnly := res(awstype.S3BucketPolicy, "orphan", map[string]any{"policy": find(g, awstype.S3BucketPolicy).Inputs["policy"]})
			tlsOnly.PropertyDeps = map[string][]string{"bucket": {orphan.URN}}
			g.Resources = append(g.Resources, orphan, tlsOnly)
		}},
		{"sg-open-ingress", "dev", func(g *Graph) {
			r := res(awstype.VpcSecurityGroupIngressRule, "ssh", map[string]any{"cidrIpv4": "0.0.0.0/0", "fromPort": 22.0, "toPort": 22.0})
			r.PropertyDeps = map[string][]string{"securityGroupId": {find(g, awstype.Ec2SecurityGroup).URN}}
			g.Resources = append(g.Resources, r)
		}},
		{"sg-open-ingress", "dev", func(g *Graph) {
			sg := res(awstype.Ec2SecurityGroup, "app", nil)
			r := res(awstype.VpcSecurityGroupIngressRule, "app-https", map[string]any{"cidrIpv4": "0.0.0.0/0", "fromPort": 443.0, "toPort": 443.0})
			r.PropertyDeps = map[string][]string{"securityGroupId": {sg.URN}}
			g.Resources = append(g.Resources, sg, r)
		}},
		{"sg-open-ingress", "dev", func(g *Graph) {
			g.Resources = append(g.Resources, res(awstype.Ec2SecurityGroup, "legacy", map[string]any{"ingress": []any{
				map[string]any{"fromPort": 0.0, "toPort": 65535.0, "cidrBlocks": []any{"0.0.0.0/0"}}}}))
		}},
		{"iam-no-wildcard-action", "dev", func(g *Graph) {
			find(g, awstype.IamRolePolicy).Inputs["policy"] = `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
		}},
		{"iam-no-wildcard-action", "dev", func(g *Graph) {
			find(g, awstype.IamRole).Inputs["inlinePolicies"] = []any{map[string]any{"policy": `{"Statement":{"Effect":"Allow","Action":["*"]}}`}}
		}},
		{"ecs-no-public-ip", "dev", func(g *Graph) {
			find(g, awstype.EcsService).Inputs["networkConfiguration"] = map[string]any{"assignPublicIp": true}
		}},
		{"task-env-no-secrets", "dev", func(g *Graph) {
			find(g, awstype.EcsTaskDefinition).Inputs["containerDefinitions"] = mustJSON([]any{map[string]any{"name": "web",
				"environment": []any{map[string]any{"name": "SECRET_KEY_BASE", "value": "abc"}}}})
		}},
		{"task-env-no-secrets", "dev", func(g *Graph) {
			td := find(g, awstype.EcsTaskDefinition)
			td.secretInputs = map[string]bool{"containerDefinitions": true}
		}},
		{"log-retention", "dev", func(g *Graph) { delete(find(g, awstype.CloudWatchLogGroup).Inputs, "retentionInDays") }},
		{"alb-drop-invalid-headers", "dev", func(g *Graph) { find(g, awstype.LbLoadBalancer).Inputs["dropInvalidHeaderFields"] = false }},
		{"alb-access-logs", "prod", func(g *Graph) { delete(find(g, awstype.LbLoadBalancer).Inputs, "accessLogs") }},
		{"alb-access-logs", "prod", func(g *Graph) {
			find(g, awstype.LbLoadBalancer).Inputs["accessLogs"] = map[string]any{"enabled": false, "bucket": "b"}
		}},
		{"https-tls13", "dev", func(g *Graph) {
			for _, l := range g.OfType(awstype.LbListener) {
				if l.Inputs["protocol"] == "HTTPS" {
					l.Inputs["sslPolicy"] = "ELBSecurityPolicy-2016-08"
				}
			}
		}},
		{"https-tls13", "dev", func(g *Graph) {
			// TLS 1.3-capable, but still accepts TLS 1.0.
			for _, l := range g.OfType(awstype.LbListener) {
				if l.Inputs["protocol"] == "HTTPS" {
					l.Inputs["sslPolicy"] = "ELBSecurityPolicy-TLS13-1-0-2021-06"
				}
			}
		}},
		{"https-tls13", "dev", func(g *Graph) {
			for _, l := range g.OfType(awstype.LbListener) {
				if l.Inputs["protocol"] == "HTTPS" {
					delete(l.Inputs, "sslPolicy") // AWS then applies ELBSecurityPolicy-2016-08
				}
			}
		}},
		{"http-redirects-https", "dev", func(g *Graph) {
			// dev with HTTPS: the HTTP listener still serves the app in plain text.
			for _, l := range g.OfType(awstype.LbListener) {
				if l.Inputs["protocol"] == "HTTP" {
					l.Inputs["defaultActions"] = []any{map[string]any{"type": "forward"}}
				}
			}
		}},
		{"http-redirects-https", "prod", func(g *Graph) {
			// A 302 is not the permanent redirect browsers and crawlers remember.
			for _, l := range g.OfType(awstype.LbListener) {
				if l.Inputs["protocol"] == "HTTP" {
					l.Inputs["defaultActions"] = []any{map[string]any{"type": "redirect",
						"redirect": map[string]any{"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_302"}}}
				}
			}
		}},
		{"http-redirects-https", "prod", func(g *Graph) {
			// No port: AWS keeps #{port}, so the redirect goes to https://host:80.
			for _, l := range g.OfType(awstype.LbListener) {
				if l.Inputs["protocol"] == "HTTP" {
					l.Inputs["defaultActions"] = []any{map[string]any{"type": "redirect",
						"redirect": map[string]any{"protocol": "HTTPS", "statusCode": "HTTP_301"}}}
				}
			}
		}},
		{"http-redirects-https", "prod", func(g *Graph) {
			// prod without any HTTPS listener, serving the app on HTTP.
			g.Resources = slices.DeleteFunc(g.Resources, func(r *Resource) bool {
				return r.Type == awstype.LbListener && r.Inputs["protocol"] == "HTTPS"
			})
			for _, l := range g.OfType(awstype.LbListener) {
				l.Inputs["defaultActions"] = []any{map[string]any{"type": "forward"}}
			}
		}},
		{"oidc-secret-hidden", "prod", func(g *Graph) {
			for _, l := range g.OfType(awstype.LbListener) {
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
			g.Resources = slices.DeleteFunc(g.Resources, func(r *Resource) bool { return r.Type == awstype.S3BucketPolicy })
		}},
		{"s3-tls-only", "dev", func(g *Graph) {
			// A policy that only denies plain HTTP for one action leaves the rest open.
			find(g, awstype.S3BucketPolicy).Inputs["policy"] = mustJSON(map[string]any{"Statement": []any{map[string]any{
				"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			}}})
		}},
		{"s3-tls-only", "dev", func(g *Graph) {
			// The bucket policy belongs to another bucket.
			orphan := res(awstype.S3BucketV2, "other", nil)
			pab := res(awstype.S3BucketPublicAccessBlock, "other", map[string]any{"blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true})
			pab.PropertyDeps = map[string][]string{"bucket": {orphan.URN}}
			g.Resources = append(g.Resources, orphan, pab)
		}},
		{"ecr-scan-on-push", "dev", func(g *Graph) { delete(find(g, awstype.EcrRepository).Inputs, "imageScanningConfiguration") }},
		{"ecr-scan-on-push", "dev", func(g *Graph) {
			find(g, awstype.EcrRepository).Inputs["imageScanningConfiguration"] = map[string]any{"scanOnPush": false}
		}},
		{"ecs-exec-enabled", "dev", func(g *Graph) { delete(find(g, awstype.EcsService).Inputs, "enableExecuteCommand") }},
		{"ecs-circuit-breaker", "dev", func(g *Graph) { delete(find(g, awstype.EcsService).Inputs, "deploymentCircuitBreaker") }},
		{"iam-passrole-scoped", "dev", func(g *Graph) {
			g.Resources = append(g.Resources, res(awstype.IamRolePolicy, "scheduler", map[string]any{"policy": mustJSON(map[string]any{
				"Statement": []any{map[string]any{"Effect": "Allow", "Action": []any{"iam:PassRole"}, "Resource": []any{"arn:aws:iam::123456789012:role/task"}}}})}))
		}},
		{"iam-passrole-scoped", "dev", func(g *Graph) {
			g.Resources = append(g.Resources, res(awstype.IamRolePolicy, "scheduler", map[string]any{"policy": mustJSON(map[string]any{
				"Statement": []any{map[string]any{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
					"Condition": map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}}})}))
		}},
		{"schedule-dead-letter", "dev", func(g *Graph) { g.Resources = append(g.Resources, schedule(false, true)) }},
		{"schedule-dead-letter", "dev", func(g *Graph) { g.Resources = append(g.Resources, schedule(true, false)) }},
		{"sqs-encrypted", "dev", func(g *Graph) { g.Resources = append(g.Resources, res(awstype.SqsQueue, "dlq", map[string]any{})) }},
		{"sqs-encrypted", "dev", func(g *Graph) {
			g.Resources = append(g.Resources, res(awstype.SqsQueue, "dlq", map[string]any{"sqsManagedSseEnabled": false}))
		}},
		{"ecs-circuit-breaker", "dev", func(g *Graph) {
			find(g, awstype.EcsService).Inputs["deploymentCircuitBreaker"] = map[string]any{"enable": true, "rollback": false}
		}},
		{"ecs-task-roles-distinct", "dev", func(g *Graph) {
			td := find(g, awstype.EcsTaskDefinition)
			td.Inputs["executionRoleArn"] = "arn:aws:iam::123456789012:role/app"
			td.Inputs["taskRoleArn"] = "arn:aws:iam::123456789012:role/app"
		}},
		{"rds-tls", "dev", func(g *Graph) {
			find(g, awstype.RdsParameterGroup).Inputs["parameters"] = []any{map[string]any{"name": "rds.force_ssl", "value": "0"}}
		}},
		{"rds-tls", "dev", func(g *Graph) {
			// A MySQL instance whose group sets only the PostgreSQL parameter.
			find(g, awstype.RdsInstance).Inputs["engine"] = "mysql"
		}},
		{"rds-tls", "dev", func(g *Graph) {
			// The default group of PostgreSQL 14 does not force TLS.
			g.Resources = slices.DeleteFunc(g.Resources, func(r *Resource) bool { return r.Type == awstype.RdsParameterGroup })
			db := find(g, awstype.RdsInstance)
			delete(db.Inputs, "parameterGroupName")
			db.Inputs["engineVersion"] = "14.12"
		}},
		{"default-sg-locked", "dev", func(g *Graph) {
			find(g, awstype.Ec2DefaultSecurityGroup).Inputs["ingress"] = []any{map[string]any{"self": true}}
		}},
		{"default-sg-locked", "dev", func(g *Graph) {
			g.Resources = slices.DeleteFunc(g.Resources, func(r *Resource) bool { return r.Type == awstype.Ec2DefaultSecurityGroup })
		}},
		{"ssm-secure-string", "dev", func(g *Graph) { find(g, awstype.SsmParameter).Inputs["type"] = "String" }},
		{"cache-tls", "dev", func(g *Graph) {
			find(g, awstype.ElastiCacheReplicationGroup).Inputs["transitEncryptionEnabled"] = false
		}},
		{"cache-tls", "dev", func(g *Graph) {
			find(g, awstype.ElastiCacheReplicationGroup).Inputs["transitEncryptionMode"] = "preferred"
		}},
		{"cache-encrypted", "dev", func(g *Graph) { delete(find(g, awstype.ElastiCacheReplicationGroup).Inputs, "atRestEncryptionEnabled") }},
		{"cache-auth", "dev", func(g *Graph) { delete(find(g, awstype.ElastiCacheReplicationGroup).Inputs, "authToken") }},
		{"cache-auth", "dev", func(g *Graph) {
			find(g, awstype.ElastiCacheReplicationGroup).Inputs["authToken"] = "PlainToken0123456789"
		}},
		{"cache-sg-app-only", "dev", func(g *Graph) {
			in := cacheIngressOf(g)
			delete(in.Inputs, "referencedSecurityGroupId")
			in.Inputs["cidrIpv4"] = "10.0.0.0/16"
		}},
		{"cache-sg-app-only", "dev", func(g *Graph) { cacheIngressOf(g).Inputs["toPort"] = 6380.0 }},
		{"cache-sg-app-only", "dev", func(g *Graph) {
			// The load balancer's group may not reach the cache.
			cacheIngressOf(g).PropertyDeps["referencedSecurityGroupId"] = []string{find(g, awstype.LbLoadBalancer).PropertyDeps["securityGroups"][0]}
		}},
		{"cache-prod-retain", "prod", func(g *Graph) { find(g, awstype.ElastiCacheReplicationGroup).Protect = false }},
		{"cache-prod-retain", "prod", func(g *Graph) {
			rg := find(g, awstype.ElastiCacheReplicationGroup)
			rg.Inputs["numCacheClusters"] = 1.0
			rg.Inputs["automaticFailoverEnabled"] = false
		}},
		{"cache-prod-retain", "prod", func(g *Graph) {
			find(g, awstype.ElastiCacheReplicationGroup).Inputs["snapshotRetentionLimit"] = 1.0
		}},
		{"cache-prod-retain", "prod", func(g *Graph) {
			delete(find(g, awstype.ElastiCacheReplicationGroup).Inputs, "finalSnapshotIdentifier")
		}},
		{"alarm-destination", "dev", func(g *Graph) { delete(named(g, "web-cpu").Inputs, "okActions") }},
		{"alarm-destination", "dev", func(g *Graph) { named(g, "db-cpu").Inputs["alarmActions"] = []any{} }},
		{"alarm-destination", "dev", func(g *Graph) { find(g, awstype.SnsTopic).Inputs["kmsMasterKeyId"] = "alias/aws/sns" }},
		{"alarm-destination", "prod", func(g *Graph) { drop(g, awstype.SnsTopicSubscription, "") }},
		{"ecs-service-alarms", "dev", func(g *Graph) { drop(g, awstype.CloudWatchMetricAlarm, "web-memory") }},
		{"ecs-service-alarms", "dev", func(g *Graph) { drop(g, awstype.CloudWatchMetricAlarm, "web-running-tasks") }},
		{"ecs-service-alarms", "prod", func(g *Graph) { drop(g, awstype.CloudWatchMetricAlarm, "web-latency") }},
		{"ecs-service-alarms", "prod", func(g *Graph) { drop(g, awstype.CloudWatchEventRule, "") }},
		{"rds-alarms", "dev", func(g *Graph) { drop(g, awstype.CloudWatchMetricAlarm, "db-connections") }},
		{"rds-alarms", "prod", func(g *Graph) { drop(g, awstype.CloudWatchMetricAlarm, "db-free-storage") }},
		{"rds-alarms", "prod", func(g *Graph) { drop(g, awstype.RdsEventSubscription, "") }},
		{"cost-budget", "dev", func(g *Graph) { drop(g, awstype.BudgetsBudget, "") }},
		{"cost-budget", "prod", func(g *Graph) {
			// A bill twice the estimate would stay under this limit.
			find(g, awstype.BudgetsBudget).Inputs["limitAmount"] = fmt.Sprint(math.Ceil(EstimateCost(g).TotalUSD * 2))
		}},
		{"cost-budget", "prod", func(g *Graph) {
			find(g, awstype.BudgetsBudget).Inputs["limitAmount"] = fmt.Sprint(math.Floor(EstimateCost(g).TotalUSD))
		}},
		{"cost-budget", "dev", func(g *Graph) { delete(find(g, awstype.BudgetsBudget).Inputs, "costFilters") }},
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
		{"a service waiting at 0 tasks for its first image, without service alarms", "prod", func(g *Graph) {
			find(g, awstype.EcsService).Inputs["desiredCount"] = 0.0
			g.Resources = slices.DeleteFunc(g.Resources, func(r *Resource) bool {
				return strings.HasPrefix(r.Name, "web-") && (r.Type == awstype.CloudWatchMetricAlarm || r.Type == awstype.CloudWatchEventRule)
			})
		}},
		{"a dev alarm topic nobody subscribed to yet", "dev", func(g *Graph) { drop(g, awstype.SnsTopicSubscription, "") }},
		{"alarms on an existing topic (alarmTopicArn) instead of the stack's own", "prod", func(g *Graph) {
			drop(g, awstype.SnsTopic, "")
			drop(g, awstype.SnsTopicSubscription, "")
			drop(g, awstype.KmsKey, "")
		}},
		{"a budget 1.9 times the estimate", "prod", func(g *Graph) {
			find(g, awstype.BudgetsBudget).Inputs["limitAmount"] = fmt.Sprint(math.Floor(EstimateCost(g).TotalUSD * 1.9))
		}},
		{"dev on plain HTTP without any HTTPS listener", "dev", func(g *Graph) {
			g.Resources = slices.DeleteFunc(g.Resources, func(r *Resource) bool {
				return r.Type == awstype.LbListener && r.Inputs["protocol"] == "HTTPS"
			})
			for _, l := range g.OfType(awstype.LbListener) {
				l.Inputs["defaultActions"] = []any{map[string]any{"type": "forward"}}
			}
		}},
		{"the post-quantum TLS 1.3 policy", "prod", func(g *Graph) {
			for _, l := range g.OfType(awstype.LbListener) {
				if l.Inputs["protocol"] == "HTTPS" {
					l.Inputs["sslPolicy"] = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
				}
			}
		}},
		{"an authenticate-oidc client secret that is a secret", "prod", func(g *Graph) {
			for _, l := range g.OfType(awstype.LbListener) {
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
			g.Resources = slices.DeleteFunc(g.Resources, func(r *Resource) bool { return r.Type == awstype.RdsParameterGroup })
			delete(find(g, awstype.RdsInstance).Inputs, "parameterGroupName")
		}},
		{"MySQL with require_secure_transport", "dev", func(g *Graph) {
			find(g, awstype.RdsInstance).Inputs["engine"] = "mysql"
			find(g, awstype.RdsParameterGroup).Inputs["parameters"] = []any{map[string]any{"name": "require_secure_transport", "value": "1"}}
		}},
		{"a TLS-only statement with Principal \"*\" and Action as a string", "dev", func(g *Graph) {
			find(g, awstype.S3BucketPolicy).Inputs["policy"] = mustJSON(map[string]any{"Statement": map[string]any{
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
	find(g, awstype.RdsInstance).Inputs["deletionProtection"] = false
	if v := Check(g); len(v) != 0 {
		t.Errorf("dev without deletion protection: got %v, want no violation", v)
	}
}

func TestWaiverMarksViolationWithReason(t *testing.T) {
	g := compliantStack("dev")
	find(g, awstype.CloudWatchLogGroup).Inputs["retentionInDays"] = 0.0
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
		{"an unknown rule id is rejected with the known ids", `{"no-such-rule":"because"}`, "known ids: alarm-destination, alb-access-logs, alb-drop-invalid-headers"},
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
			for _, l := range g.OfType(awstype.LbListener) {
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
