package plan

import (
	"encoding/json"
	"fmt"

	"github.com/rails-infra/rails-infra/internal/awstype"
)

// res builds a resource for hand-made graphs.
func res(typ, name string, inputs map[string]any) *Resource {
	if inputs == nil {
		inputs = map[string]any{}
	}
	return &Resource{
		URN: "urn:pulumi:test::rails-infra::" + typ + "::" + name, Type: typ, Name: name,
		Parent: "urn:pulumi:test::rails-infra::pulumi:pulumi:Stack::rails-infra-test", Custom: true, Inputs: inputs,
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func graphOf(env string, rs ...*Resource) *Graph {
	return &Graph{Project: "rails-infra", Stack: "test", Region: "ap-northeast-1", Environment: env, Resources: rs}
}

// compliantStack is a whole stack as the components are specified to build it: every rule passes.
func compliantStack(env string) *Graph {
	albSG := res(awstype.Ec2SecurityGroup, "web-alb", nil)
	lb := res(awstype.LbLoadBalancer, "web", map[string]any{"loadBalancerType": "application", "dropInvalidHeaderFields": true,
		"accessLogs": map[string]any{"enabled": true, "bucket": "web-access-logs-1a2b3c", "prefix": "alb"}})
	lb.PropertyDeps = map[string][]string{"securityGroups": {albSG.URN}}
	open80 := res(awstype.VpcSecurityGroupIngressRule, "web-alb-http", map[string]any{"cidrIpv4": "0.0.0.0/0", "fromPort": 80.0, "toPort": 80.0, "ipProtocol": "tcp"})
	open80.PropertyDeps = map[string][]string{"securityGroupId": {albSG.URN}}
	open443 := res(awstype.VpcSecurityGroupIngressRule, "web-alb-https", map[string]any{"cidrIpv4": "0.0.0.0/0", "fromPort": 443.0, "toPort": 443.0, "ipProtocol": "tcp"})
	open443.PropertyDeps = map[string][]string{"securityGroupId": {albSG.URN}}
	dbIngress := res(awstype.VpcSecurityGroupIngressRule, "db-from-app", map[string]any{"referencedSecurityGroupId": "sg-123", "fromPort": 5432.0, "toPort": 5432.0, "ipProtocol": "tcp"})
	db := res(awstype.RdsInstance, "db", map[string]any{
		"engine": "postgres", "engineVersion": "16", "instanceClass": "db.t4g.micro", "allocatedStorage": 20.0,
		"maxAllocatedStorage": 100.0, "storageType": "gp3", "multiAz": env == "prod", "storageEncrypted": true,
		"publiclyAccessible": false, "deletionProtection": env == "prod", "skipFinalSnapshot": env != "prod",
		"finalSnapshotIdentifier": "db-final", "backupRetentionPeriod": 7.0, "manageMasterUserPassword": true,
		"parameterGroupName": "db-params",
	})
	db.Protect = env == "prod"
	params := res(awstype.RdsParameterGroup, "db-params", map[string]any{"family": "postgres16", "parameters": []any{
		map[string]any{"name": "rds.force_ssl", "value": "1", "applyMethod": "pending-reboot"},
	}})
	td := res(awstype.EcsTaskDefinition, "web", map[string]any{
		"cpu": "512", "memory": "1024", "runtimePlatform": map[string]any{"cpuArchitecture": "ARM64"},
		"containerDefinitions": mustJSON([]any{map[string]any{
			"name":        "web",
			"environment": []any{map[string]any{"name": "RAILS_ENV", "value": "production"}, map[string]any{"name": "DB_SECRET_ARN", "value": "arn:x"}},
			"secrets":     []any{map[string]any{"name": "RAILS_MASTER_KEY", "valueFrom": "arn:aws:ssm:..."}},
		}}),
	})
	tg := res(awstype.LbTargetGroup, "web", map[string]any{
		"port": 3000.0, "protocol": "HTTP", "deregistrationDelay": "30",
		"healthCheck": map[string]any{"path": "/up", "interval": 10.0, "timeout": 5.0, "healthyThreshold": 2.0, "unhealthyThreshold": 3.0},
	})
	svc := res(awstype.EcsService, "web", map[string]any{
		"desiredCount": 2.0, "healthCheckGracePeriodSeconds": 60.0,
		"deploymentCircuitBreaker":        map[string]any{"enable": true, "rollback": true},
		"deploymentMinimumHealthyPercent": 100.0, "deploymentMaximumPercent": 200.0,
		"networkConfiguration": map[string]any{"assignPublicIp": false},
		"launchType":           "FARGATE",
		"enableExecuteCommand": true,
	})
	svc.PropertyDeps = map[string][]string{"taskDefinition": {td.URN}, "loadBalancers": {tg.URN}}
	bucket := res(awstype.S3BucketV2, "uploads", nil)
	pab := res(awstype.S3BucketPublicAccessBlock, "uploads", map[string]any{"blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true})
	pab.PropertyDeps = map[string][]string{"bucket": {bucket.URN}}
	bucketPolicy := res(awstype.S3BucketPolicy, "uploads", map[string]any{"policy": mustJSON(map[string]any{
		"Version": "2012-10-17", "Statement": []any{map[string]any{
			"Effect": "Deny", "Principal": map[string]any{"AWS": "*"}, "Action": []any{"s3:*"},
			"Resource": []any{"arn:aws:s3:::b", "arn:aws:s3:::b/*"}, "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		}},
	})})
	bucketPolicy.PropertyDeps = map[string][]string{"bucket": {bucket.URN}}
	role := res(awstype.IamRole, "task", map[string]any{"assumeRolePolicy": mustJSON(map[string]any{
		"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": []any{"sts:AssumeRole"}}},
	})})
	policy := res(awstype.IamRolePolicy, "task", map[string]any{"policy": mustJSON(map[string]any{
		"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": []any{"s3:GetObject", "s3:PutObject"}, "Resource": "arn:aws:s3:::b/*"}},
	})})
	https := res(awstype.LbListener, "web-https", map[string]any{"port": 443.0, "protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
		"defaultActions": []any{map[string]any{"type": "forward"}}})
	http := res(awstype.LbListener, "web-http", map[string]any{"port": 80.0, "protocol": "HTTP",
		"defaultActions": []any{map[string]any{"type": "redirect", "redirect": map[string]any{"port": "443", "protocol": "HTTPS", "statusCode": "HTTP_301"}}}})
	appSG := res(awstype.Ec2SecurityGroup, "web-app", nil)
	svc.Inputs["networkConfiguration"] = map[string]any{"assignPublicIp": false, "securityGroups": []any{"sg-app"}}
	cacheSG := res(awstype.Ec2SecurityGroup, "cache-sg", nil)
	cache := res(awstype.ElastiCacheReplicationGroup, "cache", map[string]any{
		"engine": "valkey", "engineVersion": "8.2", "nodeType": "cache.t4g.micro", "port": 6379.0,
		"numCacheClusters":         map[bool]float64{true: 2, false: 1}[env == "prod"],
		"automaticFailoverEnabled": env == "prod", "multiAzEnabled": env == "prod",
		"transitEncryptionEnabled": true, "transitEncryptionMode": "required", "atRestEncryptionEnabled": true,
		"authToken":              secretMarker, // as FromResult redacts a secret input
		"snapshotRetentionLimit": map[bool]float64{true: 7, false: 0}[env == "prod"],
	})
	if env == "prod" {
		cache.Inputs["finalSnapshotIdentifier"] = "test-cache-final-0123456789ab"
	}
	cache.Protect = env == "prod"
	cache.PropertyDeps = map[string][]string{"securityGroupIds": {cacheSG.URN}}
	cacheIngress := res(awstype.VpcSecurityGroupIngressRule, "cache-from-app", map[string]any{
		"referencedSecurityGroupId": "sg-app", "fromPort": 6379.0, "toPort": 6379.0, "ipProtocol": "tcp"})
	cacheIngress.PropertyDeps = map[string][]string{"securityGroupId": {cacheSG.URN}, "referencedSecurityGroupId": {appSG.URN}}
	g := graphOf(env,
		res(tVpc, "network", map[string]any{"cidrBlock": "10.0.0.0/16", "numberOfAvailabilityZones": 2.0, "natGateways": map[string]any{"strategy": "Single"}}),
		res(awstype.Ec2DefaultSecurityGroup, "network-default-sg", map[string]any{}),
		res(awstype.CloudWatchLogGroup, "network-flow-logs", map[string]any{"retentionInDays": 14.0}),
		res(awstype.Ec2VpcEndpoint, "network-s3", map[string]any{"vpcEndpointType": "Gateway", "serviceName": "com.amazonaws.ap-northeast-1.s3"}),
		db, params, dbIngress, albSG, lb, open80, open443, tg, http, https, td, svc, bucket, pab, bucketPolicy, role, policy,
		res(awstype.SsmParameter, "rails-master-key", map[string]any{"type": "SecureString", "name": "/app/RAILS_MASTER_KEY"}),
		res(awstype.CloudWatchLogGroup, "web", map[string]any{"retentionInDays": 30.0}),
		res(awstype.EcrRepository, "web", map[string]any{"imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": map[string]any{"scanOnPush": true}}),
		res(awstype.AcmCertificate, "cert", map[string]any{"domainName": "app.example.com", "validationMethod": "DNS"}),
		res(awstype.Route53Record, "app", map[string]any{"name": "app.example.com", "type": "A"}),
		appSG, cacheSG, cache, cacheIngress,
	)
	g.Resources = append(g.Resources, monitoringFixture()...)
	// The budget follows the estimate, as `plan` suggests it.
	budget := res(awstype.BudgetsBudget, "monthly", map[string]any{"budgetType": "COST", "timeUnit": "MONTHLY", "limitUnit": "USD",
		"costFilters": []any{map[string]any{"name": "TagKeyValue", "values": []any{"user:Stack$test"}}}})
	g.Resources = append(g.Resources, budget)
	budget.Inputs["limitAmount"] = fmt.Sprint(SuggestedBudget(EstimateCost(g).TotalUSD))
	return g
}

// alarmFixture is a metric alarm that notifies on ALARM and OK.
func alarmFixture(name, namespace, metric string) *Resource {
	return res(awstype.CloudWatchMetricAlarm, name, map[string]any{"namespace": namespace, "metricName": metric,
		"alarmActions": []any{"arn:aws:sns:ap-northeast-1:123456789012:alarms"}, "okActions": []any{"arn:aws:sns:ap-northeast-1:123456789012:alarms"}})
}

// monitoringFixture is what Monitoring builds for the fixture's service and database.
func monitoringFixture() []*Resource {
	math := res(awstype.CloudWatchMetricAlarm, "web-running-tasks", map[string]any{
		"alarmActions": []any{"arn:aws:sns:ap-northeast-1:123456789012:alarms"}, "okActions": []any{"arn:aws:sns:ap-northeast-1:123456789012:alarms"},
		"metricQueries": []any{
			map[string]any{"id": "result", "expression": "desired - running"},
			map[string]any{"id": "desired", "metric": map[string]any{"namespace": "ECS/ContainerInsights", "metricName": "DesiredTaskCount"}},
			map[string]any{"id": "running", "metric": map[string]any{"namespace": "ECS/ContainerInsights", "metricName": "RunningTaskCount"}},
		}})
	return []*Resource{
		res(componentPrefix+"Monitoring", "monitoring", nil),
		res(awstype.KmsKey, "alarms", map[string]any{"enableKeyRotation": true}),
		res(awstype.SnsTopic, "alarms", map[string]any{"kmsMasterKeyId": "arn:aws:kms:ap-northeast-1:123456789012:key/1"}),
		res(awstype.SnsTopicSubscription, "alarms-ops@example.co.jp", map[string]any{"protocol": "email", "endpoint": "ops@example.co.jp"}),
		alarmFixture("web-cpu", "AWS/ECS", "CPUUtilization"),
		alarmFixture("web-memory", "AWS/ECS", "MemoryUtilization"),
		math,
		alarmFixture("web-elb-5xx", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"),
		alarmFixture("web-target-5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"),
		alarmFixture("web-unhealthy", "AWS/ApplicationELB", "UnHealthyHostCount"),
		alarmFixture("web-latency", "AWS/ApplicationELB", "TargetResponseTime"),
		alarmFixture("db-cpu", "AWS/RDS", "CPUUtilization"),
		alarmFixture("db-free-storage", "AWS/RDS", "FreeStorageSpace"),
		alarmFixture("db-freeable-memory", "AWS/RDS", "FreeableMemory"),
		alarmFixture("db-connections", "AWS/RDS", "DatabaseConnections"),
		res(awstype.CloudWatchEventRule, "web-deployment", map[string]any{"eventPattern": mustJSON(map[string]any{
			"source": []any{"aws.ecs"}, "detail-type": []any{"ECS Deployment State Change"}})}),
		res(awstype.RdsEventSubscription, "db-events", map[string]any{"sourceType": "db-instance", "eventCategories": []any{"failover", "low storage"}}),
		res(awstype.CloudWatchDashboard, "dashboard", map[string]any{"dashboardName": "rails-infra-test-ap-northeast-1", "dashboardBody": `{"widgets":[]}`}),
	}
}
