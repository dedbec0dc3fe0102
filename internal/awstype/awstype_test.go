package awstype

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// all lists every constant of the package with its name, so the test below covers each one.
var all = map[string]string{
	"BudgetsBudget":               BudgetsBudget,
	"CloudWatchDashboard":         CloudWatchDashboard,
	"CloudWatchQueryDefinition":   CloudWatchQueryDefinition,
	"RdsEventSubscription":        RdsEventSubscription,
	"SnsTopicPolicy":              SnsTopicPolicy,
	"SnsTopicSubscription":        SnsTopicSubscription,
	"AcmCertificate":              AcmCertificate,
	"AcmCertificateValidation":    AcmCertificateValidation,
	"AppAutoscalingPolicy":        AppAutoscalingPolicy,
	"AppAutoscalingTarget":        AppAutoscalingTarget,
	"CloudWatchEventRule":         CloudWatchEventRule,
	"CloudWatchEventTarget":       CloudWatchEventTarget,
	"CloudWatchLogGroup":          CloudWatchLogGroup,
	"CloudWatchLogResourcePolicy": CloudWatchLogResourcePolicy,
	"CloudWatchMetricAlarm":       CloudWatchMetricAlarm,
	"Ec2DefaultSecurityGroup":     Ec2DefaultSecurityGroup,
	"Ec2Eip":                      Ec2Eip,
	"Ec2FlowLog":                  Ec2FlowLog,
	"Ec2InternetGateway":          Ec2InternetGateway,
	"Ec2NatGateway":               Ec2NatGateway,
	"Ec2Route":                    Ec2Route,
	"Ec2RouteTable":               Ec2RouteTable,
	"Ec2RouteTableAssociation":    Ec2RouteTableAssociation,
	"Ec2SecurityGroup":            Ec2SecurityGroup,
	"Ec2SecurityGroupRule":        Ec2SecurityGroupRule,
	"Ec2Subnet":                   Ec2Subnet,
	"Ec2Vpc":                      Ec2Vpc,
	"Ec2VpcEndpoint":              Ec2VpcEndpoint,
	"EcrLifecyclePolicy":          EcrLifecyclePolicy,
	"EcrRepository":               EcrRepository,
	"EcrRepositoryPolicy":         EcrRepositoryPolicy,
	"EcsCluster":                  EcsCluster,
	"EcsClusterCapacityProviders": EcsClusterCapacityProviders,
	"EcsService":                  EcsService,
	"EcsTaskDefinition":           EcsTaskDefinition,
	"ElastiCacheParameterGroup":   ElastiCacheParameterGroup,
	"ElastiCacheReplicationGroup": ElastiCacheReplicationGroup,
	"ElastiCacheSubnetGroup":      ElastiCacheSubnetGroup,
	"IamInstanceProfile":          IamInstanceProfile,
	"IamPolicy":                   IamPolicy,
	"IamRole":                     IamRole,
	"IamRolePolicy":               IamRolePolicy,
	"IamRolePolicyAttachment":     IamRolePolicyAttachment,
	"KmsKey":                      KmsKey,
	"LambdaFunction":              LambdaFunction,
	"LambdaInvocation":            LambdaInvocation,
	"LbListener":                  LbListener,
	"LbListenerRule":              LbListenerRule,
	"LbLoadBalancer":              LbLoadBalancer,
	"LbTargetGroup":               LbTargetGroup,
	"RdsInstance":                 RdsInstance,
	"RdsParameterGroup":           RdsParameterGroup,
	"RdsSubnetGroup":              RdsSubnetGroup,
	"Route53Record":               Route53Record,
	"Route53Zone":                 Route53Zone,
	"S3Bucket":                    S3Bucket,
	"SchedulerSchedule":           SchedulerSchedule,
	"S3BucketOwnershipControls":   S3BucketOwnershipControls,
	"S3BucketPolicy":              S3BucketPolicy,
	"S3BucketPublicAccessBlock":   S3BucketPublicAccessBlock,
	"S3BucketServerSideEncryptionConfigurationV2": S3BucketServerSideEncryptionConfigurationV2,
	"S3BucketV2":                  S3BucketV2,
	"S3BucketVersioningV2":        S3BucketVersioningV2,
	"SecretsManagerSecret":        SecretsManagerSecret,
	"SfnStateMachine":             SfnStateMachine,
	"SnsTopic":                    SnsTopic,
	"SqsQueue":                    SqsQueue,
	"SsmParameter":                SsmParameter,
	"VpcSecurityGroupEgressRule":  VpcSecurityGroupEgressRule,
	"VpcSecurityGroupIngressRule": VpcSecurityGroupIngressRule,
	"Ec2GetRouteTables":           Ec2GetRouteTables,
	"GetAvailabilityZones":        GetAvailabilityZones,
	"GetCallerIdentity":           GetCallerIdentity,
	"GetPartition":                GetPartition,
	"GetRegion":                   GetRegion,
	"Route53GetZone":              Route53GetZone,
}

// TestTokensAreTheSDKs checks each constant against the source of the pulumi-aws SDK that
// go.mod pins: the resource's constructor must register exactly that token (or, for a data
// source, invoke it), in the file the SDK generates for that module and type.
func TestTokensAreTheSDKs(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/pulumi/pulumi-aws/sdk/v6").Output()
	if err != nil {
		t.Fatalf("go list pulumi-aws: %v", err)
	}
	sdk := filepath.Join(strings.TrimSpace(string(out)), "go", "aws")
	token := regexp.MustCompile(`^aws:([a-z0-9]+)/([a-zA-Z0-9]+):([a-zA-Z0-9]+)$`)
	for name, tok := range all {
		t.Run(name, func(t *testing.T) {
			m := token.FindStringSubmatch(tok)
			if m == nil {
				t.Fatalf("%s = %q is not an aws type token", name, tok)
			}
			file := filepath.Join(sdk, m[1], m[2]+".go")
			if m[1] == "index" {
				file = filepath.Join(sdk, m[2]+".go")
			}
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%s = %q: no SDK source for it: %v", name, tok, err)
			}
			call := `ctx.RegisterResource("` + tok + `"`
			if strings.HasPrefix(m[3], "get") {
				call = `ctx.Invoke("` + tok + `"`
			}
			if !strings.Contains(string(src), call) {
				t.Errorf("%s = %q: %s does not contain %s", name, tok, file, call)
			}
		})
	}
}

// TestAllListsEveryConstant keeps the table above complete: every constant declared in
// awstype.go must be in it, so none escapes the SDK check.
func TestAllListsEveryConstant(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "awstype.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			for _, n := range s.(*ast.ValueSpec).Names {
				if _, ok := all[n.Name]; !ok {
					t.Errorf("constant %s is not in the table of TestTokensAreTheSDKs", n.Name)
				}
			}
		}
	}
}
