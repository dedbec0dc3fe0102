package mockengine

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/rails-infra/rails-infra/internal/awstype"
)

// albZoneIDs are the canonical hosted zone ids of Application Load Balancers per region
// (Route53 alias targets), as published in the AWS General Reference.
var albZoneIDs = map[string]string{
	"ap-northeast-1": "Z14GRHDCWA56QT",
	"ap-northeast-3": "Z5LXEXXYW11ES",
	"us-east-1":      "Z35SXDOTRQ7X7K",
	"us-west-2":      "Z1H1FL5HABSF5",
	"eu-west-1":      "Z32O12XQLNTSW2",
}

// physicalNameKey is the input that holds each auto-named type's physical name.
var physicalNameKey = map[string]string{
	awstype.CloudWatchLogGroup:      "name",
	awstype.IamRole:                 "name",
	awstype.IamPolicy:               "name",
	awstype.IamRolePolicy:           "name",
	awstype.EcsCluster:              "name",
	awstype.EcsService:              "name",
	awstype.LbLoadBalancer:          "name",
	awstype.LbTargetGroup:           "name",
	awstype.EcrRepository:           "name",
	awstype.Ec2SecurityGroup:        "name",
	awstype.RdsSubnetGroup:          "name",
	awstype.RdsParameterGroup:       "name",
	awstype.RdsInstance:             "identifier",
	awstype.S3BucketV2:              "bucket",
	awstype.S3Bucket:                "bucket",
	awstype.AppAutoscalingPolicy:    "name",
	awstype.SsmParameter:            "name",
	awstype.EcsTaskDefinition:       "family",
	awstype.SecretsManagerSecret:    "name",
	awstype.CloudWatchMetricAlarm:   "name",
	awstype.SnsTopic:                "name",
	awstype.CloudWatchEventRule:     "name",
	awstype.SchedulerSchedule:       "name",
	awstype.SqsQueue:                "name",
	awstype.IamInstanceProfile:      "name",
	awstype.LambdaFunction:          "name",
	awstype.LbListenerRule:          "",
	awstype.Route53Record:           "name",
	awstype.AcmCertificate:          "domainName",
	awstype.KmsKey:                  "",
	awstype.Ec2VpcEndpoint:          "",
	awstype.Ec2FlowLog:              "",
	awstype.Ec2DefaultSecurityGroup: "",
	// The provider lower-cases these auto-names (ElastiCache stores ids in lower case).
	awstype.ElastiCacheSubnetGroup:      "name",
	awstype.ElastiCacheParameterGroup:   "name",
	awstype.ElastiCacheReplicationGroup: "replicationGroupId",
	awstype.RdsEventSubscription:        "name",
	awstype.BudgetsBudget:               "name",
	// Given by the program (no generated names): the dashboard, query definitions.
	awstype.CloudWatchDashboard:       "dashboardName",
	awstype.CloudWatchQueryDefinition: "name",
	awstype.SnsTopicPolicy:            "",
	awstype.SnsTopicSubscription:      "",
}

// lowerCaseNames are the auto-named types whose provider lower-cases the generated name.
var lowerCaseNames = map[string]bool{
	awstype.ElastiCacheSubnetGroup: true, awstype.ElastiCacheParameterGroup: true, awstype.ElastiCacheReplicationGroup: true,
}

// cacheRegionCodes are the short region codes in ElastiCache endpoint names.
var cacheRegionCodes = map[string]string{
	"ap-northeast-1": "apne1", "ap-northeast-3": "apne3", "us-east-1": "use1", "us-west-2": "usw2", "eu-west-1": "euw1",
}

func str(m resource.PropertyMap, key string) string {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return ""
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsString() {
		return v.StringValue()
	}
	if v.IsNumber() {
		return fmt.Sprint(v.NumberValue())
	}
	return ""
}

func set(m resource.PropertyMap, key string, v any) {
	if _, ok := m[resource.PropertyKey(key)]; !ok {
		m[resource.PropertyKey(key)] = resource.NewPropertyValue(v)
	}
}

// answer fills state with what AWS would return and gives the resource's id.
func (m *Recorder) answer(r *Resource, state resource.PropertyMap) (string, error) {
	h := hexID(r.URN, 17)
	region, acct := m.Region, m.AccountID
	arn := func(service, res string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, region, acct, res)
	}

	// The provider auto-names: logical name + "-" + 7 hex chars (or a namePrefix + suffix).
	name := ""
	if key, ok := physicalNameKey[r.Type]; ok && key != "" {
		name = str(state, key)
		if name == "" {
			if p := str(state, key+"Prefix"); p != "" {
				name = p + hexID(r.URN, 26)
			} else {
				name = r.Name + "-" + hexID(r.URN, 7)
			}
			if lowerCaseNames[r.Type] {
				name = strings.ToLower(name)
			}
			state[resource.PropertyKey(key)] = resource.NewPropertyValue(name)
		}
	}

	switch r.Type {
	case "awsx:ec2:Vpc":
		azs := 3
		if n := state["numberOfAvailabilityZones"]; n.IsNumber() {
			azs = int(n.NumberValue())
		}
		vpcID := "vpc-" + h
		var pub, priv []any
		for i := range azs {
			pub = append(pub, fmt.Sprintf("subnet-%s", hexID(fmt.Sprintf("%s/public/%d", r.URN, i), 17)))
			priv = append(priv, fmt.Sprintf("subnet-%s", hexID(fmt.Sprintf("%s/private/%d", r.URN, i), 17)))
		}
		set(state, "vpcId", vpcID)
		set(state, "publicSubnetIds", pub)
		set(state, "privateSubnetIds", priv)
		set(state, "isolatedSubnetIds", []any{})
		return "", nil
	case "awsx:ecr:Image":
		url := str(state, "repositoryUrl")
		set(state, "imageUri", url+"@sha256:"+hexID(r.URN+"image", 64))
		return "", nil

	// The children awsx:ec2:Vpc creates (under the real engine its provider registers them).
	case awstype.Ec2Vpc:
		id := "vpc-" + h
		set(state, "arn", arn("ec2", "vpc/"+id))
		set(state, "ownerId", acct)
		set(state, "defaultRouteTableId", "rtb-"+hexID(r.URN+"main", 17))
		set(state, "mainRouteTableId", "rtb-"+hexID(r.URN+"main", 17))
		set(state, "defaultSecurityGroupId", "sg-"+hexID(r.URN+"default", 17))
		set(state, "defaultNetworkAclId", "acl-"+hexID(r.URN+"acl", 17))
		return id, nil
	case awstype.Ec2Subnet, awstype.Ec2RouteTable, awstype.Ec2InternetGateway:
		// Owned EC2 resources: an id with the type's prefix, an ARN and the owner account.
		kind := ec2Owned[r.Type]
		id := kind.idPrefix + h
		set(state, "arn", arn("ec2", kind.arnType+"/"+id))
		set(state, "ownerId", acct)
		return id, nil
	case awstype.Ec2RouteTableAssociation:
		return "rtbassoc-" + h, nil
	case awstype.Ec2Route:
		// The provider's id is r-<route table id><hash of the destination>.
		return "r-" + str(state, "routeTableId") + "1080289494", nil
	case awstype.Ec2Eip:
		id := "eipalloc-" + h
		set(state, "allocationId", id)
		set(state, "publicIp", fmt.Sprintf("13.%d.%d.%d", 100+int(h[0])%50, int(h[1])*3%250, 1+int(h[2])*5%250))
		set(state, "domain", "vpc")
		return id, nil
	case awstype.Ec2NatGateway:
		id := "nat-" + h
		set(state, "networkInterfaceId", "eni-"+hexID(r.URN+"eni", 17))
		set(state, "connectivityType", "public")
		return id, nil

	case awstype.Ec2SecurityGroup, awstype.Ec2DefaultSecurityGroup:
		id := "sg-" + h
		set(state, "arn", arn("ec2", "security-group/"+id))
		set(state, "ownerId", acct)
		return id, nil
	case awstype.VpcSecurityGroupIngressRule, awstype.VpcSecurityGroupEgressRule:
		id := "sgr-" + h
		set(state, "arn", arn("ec2", "security-group-rule/"+id))
		set(state, "securityGroupRuleId", id)
		return id, nil
	case awstype.Ec2VpcEndpoint:
		id := "vpce-" + h
		set(state, "arn", arn("ec2", "vpc-endpoint/"+id))
		set(state, "state", "available")
		if str(state, "vpcEndpointType") == "Gateway" {
			set(state, "prefixListId", "pl-"+hexID(r.URN, 8))
		}
		return id, nil
	case awstype.Ec2FlowLog:
		id := "fl-" + h
		set(state, "arn", arn("ec2", "vpc-flow-log/"+id))
		return id, nil

	case awstype.CloudWatchLogGroup:
		set(state, "arn", arn("logs", "log-group:"+name))
		return name, nil
	case awstype.IamRole:
		set(state, "arn", fmt.Sprintf("arn:aws:iam::%s:role/%s", acct, name))
		set(state, "uniqueId", "AROA"+strings.ToUpper(hexID(r.URN, 17)))
		return name, nil
	case awstype.IamPolicy:
		a := fmt.Sprintf("arn:aws:iam::%s:policy/%s", acct, name)
		set(state, "arn", a)
		return a, nil
	case awstype.IamRolePolicy:
		return str(state, "role") + ":" + name, nil
	case awstype.IamRolePolicyAttachment:
		return str(state, "role") + "-" + h, nil

	case awstype.EcsCluster:
		a := arn("ecs", "cluster/"+name)
		set(state, "arn", a)
		return a, nil
	case awstype.EcsTaskDefinition:
		a := arn("ecs", "task-definition/"+name+":1")
		set(state, "arn", a)
		set(state, "arnWithoutRevision", arn("ecs", "task-definition/"+name))
		set(state, "revision", 1)
		return name, nil
	case awstype.EcsService:
		cluster := str(state, "cluster")
		clusterName := cluster[strings.LastIndex(cluster, "/")+1:]
		return arn("ecs", "service/"+clusterName+"/"+name), nil

	case awstype.LbLoadBalancer:
		suffix := "app/" + name + "/" + hexID(r.URN, 16)
		a := arn("elasticloadbalancing", "loadbalancer/"+suffix)
		set(state, "arn", a)
		set(state, "arnSuffix", suffix)
		scheme := "internet-facing"
		if v := state["internal"]; v.IsBool() && v.BoolValue() {
			scheme = "internal"
		}
		dns := fmt.Sprintf("%s-%d.%s.elb.amazonaws.com", name, 1000000000+int(h[0])*7919, region)
		if scheme == "internal" {
			dns = "internal-" + dns
		}
		set(state, "dnsName", dns)
		set(state, "zoneId", albZoneIDs[region])
		return a, nil
	case awstype.LbTargetGroup:
		suffix := "targetgroup/" + name + "/" + hexID(r.URN, 16)
		a := arn("elasticloadbalancing", suffix)
		set(state, "arn", a)
		set(state, "arnSuffix", suffix)
		return a, nil
	case awstype.LbListener, awstype.LbListenerRule:
		kind := "listener"
		if r.Type == awstype.LbListenerRule {
			kind = "listener-rule"
		}
		a := arn("elasticloadbalancing", kind+"/app/"+r.Name+"/"+hexID(r.URN, 16))
		set(state, "arn", a)
		return a, nil

	case awstype.EcrRepository:
		set(state, "arn", arn("ecr", "repository/"+name))
		set(state, "registryId", acct)
		set(state, "repositoryUrl", fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", acct, region, name))
		return name, nil
	case awstype.EcrLifecyclePolicy, awstype.EcrRepositoryPolicy:
		set(state, "registryId", acct)
		return str(state, "repository"), nil

	case awstype.S3BucketV2, awstype.S3Bucket:
		set(state, "arn", "arn:aws:s3:::"+name)
		set(state, "bucketDomainName", name+".s3.amazonaws.com")
		set(state, "bucketRegionalDomainName", fmt.Sprintf("%s.s3.%s.amazonaws.com", name, region))
		set(state, "region", region)
		set(state, "hostedZoneId", "Z2M4EHUR26P7ZW")
		return name, nil

	case awstype.SsmParameter:
		set(state, "arn", arn("ssm", "parameter/"+strings.TrimPrefix(name, "/")))
		set(state, "version", 1)
		return name, nil

	case awstype.RdsInstance:
		port := 5432
		if strings.HasPrefix(str(state, "engine"), "mysql") || strings.HasPrefix(str(state, "engine"), "mariadb") {
			port = 3306
		}
		if p := state["port"]; p.IsNumber() {
			port = int(p.NumberValue())
		}
		address := fmt.Sprintf("%s.c%s.%s.rds.amazonaws.com", name, hexID(acct+region, 11), region)
		resourceID := "db-" + strings.ToUpper(hexID(r.URN, 26))
		set(state, "arn", arn("rds", "db:"+name))
		set(state, "address", address)
		set(state, "endpoint", fmt.Sprintf("%s:%d", address, port))
		set(state, "port", port)
		set(state, "resourceId", resourceID)
		set(state, "hostedZoneId", "Z24O6O9L7SGTNB")
		if v := state["manageMasterUserPassword"]; v.IsBool() && v.BoolValue() {
			set(state, "masterUserSecrets", []any{map[string]any{
				"secretArn":    arn("secretsmanager", "secret:rds!"+strings.ToLower(resourceID)+"-"+hexID(r.URN, 6)),
				"secretStatus": "active",
				"kmsKeyId":     arn("kms", "key/"+hexID(r.URN+"kms", 32)),
			}})
		}
		return resourceID, nil
	case awstype.RdsSubnetGroup:
		set(state, "arn", arn("rds", "subgrp:"+name))
		return name, nil
	case awstype.RdsParameterGroup:
		set(state, "arn", arn("rds", "pg:"+name))
		return name, nil

	case awstype.ElastiCacheSubnetGroup:
		set(state, "arn", arn("elasticache", "subnetgroup:"+name))
		return name, nil
	case awstype.ElastiCacheParameterGroup:
		set(state, "arn", arn("elasticache", "parametergroup:"+name))
		return name, nil
	case awstype.ElastiCacheReplicationGroup:
		return m.replicationGroup(name, state), nil

	case awstype.AcmCertificate:
		a := arn("acm", "certificate/"+uuidish(r.URN))
		set(state, "arn", a)
		set(state, "status", "PENDING_VALIDATION")
		set(state, "domainValidationOptions", m.validationOptions(state))
		return a, nil
	case awstype.AcmCertificateValidation:
		return str(state, "certificateArn"), nil
	case awstype.Route53Record:
		set(state, "fqdn", trimDot(name))
		return str(state, "zoneId") + "_" + trimDot(name) + "_" + str(state, "type"), nil

	case awstype.SfnStateMachine:
		a := arn("states", "stateMachine:"+name)
		set(state, "arn", a)
		return a, nil
	case awstype.CloudWatchEventRule:
		set(state, "arn", arn("events", "rule/"+name))
		return name, nil
	case awstype.SchedulerSchedule:
		group := str(state, "groupName")
		if group == "" {
			group = "default"
			set(state, "groupName", group)
		}
		set(state, "arn", arn("scheduler", "schedule/"+group+"/"+name))
		return group + "/" + name, nil
	case awstype.SqsQueue:
		url := fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", region, acct, name)
		set(state, "arn", arn("sqs", name))
		set(state, "url", url)
		return url, nil
	case awstype.CloudWatchLogResourcePolicy:
		return str(state, "policyName"), nil
	case awstype.CloudWatchEventTarget:
		return str(state, "rule") + "-" + hexID(r.URN, 8), nil

	case awstype.LambdaFunction:
		a := arn("lambda", "function:"+name)
		set(state, "arn", a)
		set(state, "qualifiedArn", a+":$LATEST")
		set(state, "invokeArn", fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", region, a))
		set(state, "version", "$LATEST")
		return name, nil
	case awstype.LambdaInvocation:
		// The provider's id is function_name,qualifier,md5(payload); result is the handler's return value.
		set(state, "result", `{"taskArn": "`+arn("ecs", "task/mock/"+hexID(r.URN, 32))+`", "exitCode": 0}`)
		return str(state, "functionName") + ",$LATEST," + hexID(r.URN, 32), nil

	case awstype.KmsKey:
		keyID := uuidish(r.URN)
		set(state, "keyId", keyID)
		set(state, "arn", arn("kms", "key/"+keyID))
		set(state, "keyUsage", "ENCRYPT_DECRYPT")
		set(state, "customerMasterKeySpec", "SYMMETRIC_DEFAULT")
		set(state, "multiRegion", false)
		if v := state["enableKeyRotation"]; v.IsBool() && v.BoolValue() {
			set(state, "rotationPeriodInDays", 365)
		}
		return keyID, nil
	case awstype.SnsTopic:
		a := arn("sns", name)
		set(state, "arn", a)
		set(state, "owner", acct)
		return a, nil
	case awstype.SnsTopicPolicy:
		set(state, "owner", acct)
		return str(state, "arn"), nil
	case awstype.SnsTopicSubscription:
		// Email subscriptions stay pending until the address confirms; the provider asks for
		// the subscription ARN at once (ReturnSubscriptionArn), so it is known while pending.
		a := str(state, "topic") + ":" + uuidish(r.URN)
		set(state, "arn", a)
		set(state, "ownerId", acct)
		email := strings.HasPrefix(str(state, "protocol"), "email")
		set(state, "pendingConfirmation", email)
		set(state, "confirmationWasAuthenticated", false)
		return a, nil
	case awstype.CloudWatchMetricAlarm:
		set(state, "arn", arn("cloudwatch", "alarm:"+name))
		return name, nil
	case awstype.CloudWatchDashboard:
		// Dashboards are global per account: no region in the ARN.
		set(state, "dashboardArn", fmt.Sprintf("arn:aws:cloudwatch::%s:dashboard/%s", acct, name))
		return name, nil
	case awstype.CloudWatchQueryDefinition:
		id := uuidish(r.URN)
		set(state, "queryDefinitionId", id)
		return id, nil
	case awstype.RdsEventSubscription:
		set(state, "arn", arn("rds", "es:"+name))
		set(state, "customerAwsId", acct)
		return name, nil
	case awstype.BudgetsBudget:
		// Budgets is global: the ARN has no region; the id is account:name.
		set(state, "arn", fmt.Sprintf("arn:aws:budgets::%s:budget/%s", acct, name))
		set(state, "accountId", acct)
		return acct + ":" + name, nil

	case awstype.AppAutoscalingTarget:
		set(state, "arn", arn("application-autoscaling", "scalable-target/"+hexID(r.URN, 24)))
		return str(state, "resourceId"), nil
	case awstype.AppAutoscalingPolicy:
		set(state, "arn", arn("autoscaling", "scalingPolicy:"+uuidish(r.URN)+":resource/"+str(state, "resourceId")+":policyName/"+name))
		return name, nil
	}

	// Any other custom resource still gets a stable id and, if it has a name, an ARN-like value.
	id := r.Name + "-" + h
	set(state, "arn", arn(strings.SplitN(strings.TrimPrefix(r.Type, "aws:"), "/", 2)[0], id))
	return id, nil
}

// replicationGroup answers like ElastiCache for a cluster-mode-disabled group: with encryption in
// transit the endpoints are master.<id>... and replica.<id>..., one member cluster per node.
func (m *Recorder) replicationGroup(id string, state resource.PropertyMap) string {
	suffix := hexID(m.AccountID+m.Region+id, 6) + "." + cacheRegionCodes[m.Region] + ".cache.amazonaws.com"
	port := 6379
	if p := state["port"]; p.IsNumber() {
		port = int(p.NumberValue())
	}
	n := 1
	if v := state["numCacheClusters"]; v.IsNumber() {
		n = int(v.NumberValue())
	}
	var members []any
	for i := 1; i <= n; i++ {
		members = append(members, fmt.Sprintf("%s-%03d", id, i))
	}
	engine := str(state, "engine")
	if engine == "" {
		engine = "redis"
	}
	version := str(state, "engineVersion")
	set(state, "arn", fmt.Sprintf("arn:aws:elasticache:%s:%s:replicationgroup:%s", m.Region, m.AccountID, id))
	set(state, "engine", engine)
	set(state, "engineVersionActual", version+".0")
	set(state, "primaryEndpointAddress", "master."+id+"."+suffix)
	set(state, "readerEndpointAddress", "replica."+id+"."+suffix)
	set(state, "port", port)
	set(state, "memberClusters", members)
	set(state, "clusterEnabled", false)
	set(state, "clusterMode", "disabled")
	set(state, "networkType", "ipv4")
	set(state, "ipDiscovery", "ipv4")
	return id
}

func uuidish(seed string) string {
	x := hexID(seed, 32)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// validationOptions returns one DNS record per requested name. As in ACM, a wildcard and
// its base name share the same record, so callers must de-duplicate.
func (m *Recorder) validationOptions(state resource.PropertyMap) []any {
	names := []string{str(state, "domainName")}
	if sans := state["subjectAlternativeNames"]; sans.IsArray() {
		for _, s := range sans.ArrayValue() {
			if s.IsString() {
				names = append(names, s.StringValue())
			}
		}
	}
	var out []any
	for _, n := range names {
		base := strings.TrimPrefix(n, "*.")
		out = append(out, map[string]any{
			"domainName":          n,
			"resourceRecordName":  "_" + hexID("name:"+base, 32) + "." + base + ".",
			"resourceRecordType":  "CNAME",
			"resourceRecordValue": "_" + hexID("value:"+base, 32) + "." + hexID("zone:"+base, 10) + ".acm-validations.aws.",
		})
	}
	return out
}

// invoke answers the data sources this program uses.
func (m *Recorder) invoke(token string, args resource.PropertyMap) (map[string]any, error) {
	region, acct := m.Region, m.AccountID
	switch token {
	case awstype.GetRegion:
		return map[string]any{"id": region, "name": region, "region": region,
			"description": "Mock region", "endpoint": "ec2." + region + ".amazonaws.com"}, nil
	case awstype.GetCallerIdentity:
		return map[string]any{"id": acct, "accountId": acct,
			"arn": fmt.Sprintf("arn:aws:iam::%s:user/deployer", acct), "userId": "AIDAEXAMPLEUSERID"}, nil
	case awstype.GetPartition:
		return map[string]any{"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws"}, nil
	case awstype.GetAvailabilityZones:
		zones := []any{region + "a", region + "c", region + "d"}
		return map[string]any{"id": region, "names": zones, "zoneIds": []any{"apne1-az4", "apne1-az1", "apne1-az2"}}, nil
	case awstype.Ec2GetRouteTables:
		// The program asks for the private route tables of the awsx VPC: one per AZ.
		n := 0
		for _, r := range m.OfType("awsx:ec2:Vpc") {
			if v := r.Inputs["numberOfAvailabilityZones"]; v.IsNumber() {
				n += int(v.NumberValue())
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("mockengine: getRouteTables called before any awsx:ec2:Vpc was registered")
		}
		ids := make([]any, n)
		for i := range ids {
			ids[i] = "rtb-" + hexID(fmt.Sprintf("rtb/%d", i), 17)
		}
		return map[string]any{"id": region, "ids": ids, "vpcId": str(args, "vpcId")}, nil
	case awstype.Route53GetZone:
		return m.zone(args)
	case "aws:elb/getServiceAccount:getServiceAccount":
		// The provider's table of ELB log delivery accounts, for the regions tests use (ELB user
		// guide, "Enable access logs for your Application Load Balancer").
		if r := str(args, "region"); r != "" {
			region = r
		}
		id, ok := map[string]string{"ap-northeast-1": "582318560864", "ap-northeast-3": "383597477331", "us-east-1": "127311923021"}[region]
		if !ok {
			return nil, fmt.Errorf("mockengine: getServiceAccount: no ELB account known for region %q", region)
		}
		return map[string]any{"id": id, "arn": "arn:aws:iam::" + id + ":root", "region": region}, nil
	}
	return nil, fmt.Errorf("mockengine: unexpected invoke %s (args %v): the program called a data source this harness does not answer; add a realistic answer in internal/mockengine/answers.go", token, PlainMap(args, true))
}

func (m *Recorder) zone(args resource.PropertyMap) (map[string]any, error) {
	name, id := trimDot(str(args, "name")), str(args, "zoneId")
	if v := args["privateZone"]; v.IsBool() && v.BoolValue() {
		return nil, fmt.Errorf("mockengine: no private hosted zone matches %q", name+id)
	}
	found := false
	for n, zid := range m.HostedZones {
		if (name != "" && n == name) || (id != "" && zid == id) {
			name, id, found = n, zid, true
		}
	}
	if !found && m.AnyZoneExists {
		if id == "" {
			id = "Z" + strings.ToUpper(hexID("zone:"+name, 20))
		}
		if name == "" {
			name = "zone-" + strings.ToLower(id) + ".example"
		}
		found = true
	}
	if !found {
		// Matches the provider's message for a missing zone.
		return nil, fmt.Errorf("no matching Route 53 Hosted Zone found (name %q, zoneId %q)", name, id)
	}
	return map[string]any{
		"id": id, "zoneId": id, "name": name, "privateZone": false, "resourceRecordSetCount": 2,
		"nameServers": []any{"ns-1.awsdns-01.org", "ns-2.awsdns-02.co.uk", "ns-3.awsdns-03.com", "ns-4.awsdns-04.net"},
		"arn":         "arn:aws:route53:::hostedzone/" + id, "callerReference": "mock", "comment": "", "tags": map[string]any{},
	}, nil
}

// ec2Owned are the id prefix and ARN resource type of the EC2 resources answered alike.
var ec2Owned = map[string]struct{ idPrefix, arnType string }{
	awstype.Ec2Subnet:          {"subnet-", "subnet"},
	awstype.Ec2RouteTable:      {"rtb-", "route-table"},
	awstype.Ec2InternetGateway: {"igw-", "internet-gateway"},
}
