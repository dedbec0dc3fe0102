package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// bucketArgs configures the ActiveStorage uploads bucket.
type bucketArgs struct {
	// ForceDestroy lets `pulumi destroy` delete a bucket that still holds objects (dev).
	ForceDestroy bool
	// Protect keeps the bucket, with its data, from `pulumi destroy` and replacement (prod); once
	// unprotected on purpose, destroy still leaves the bucket and its objects in the account.
	Protect bool
}

// newUploadsBucket is a private, encrypted, versioned bucket reachable only over TLS and
// only through IAM (no ACLs, no public policy).
func newUploadsBucket(ctx *pulumi.Context, name string, a bucketArgs, parent pulumi.ResourceOption) (*s3.BucketV2, error) {
	b, err := newPrivateBucket(ctx, name, a, tlsOnlyBucketPolicy, parent)
	if err != nil {
		return nil, err
	}
	// Versioning keeps overwritten and deleted uploads recoverable.
	if _, err := s3.NewBucketVersioningV2(ctx, name, &s3.BucketVersioningV2Args{
		Bucket:                  b.Bucket.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, parent, pulumi.RetainOnDelete(a.Protect)); err != nil {
		return nil, err
	}
	return b.Bucket, nil
}

// privateBucket is a bucket with its guards; Policy is the last of them to exist.
type privateBucket struct {
	Bucket *s3.BucketV2
	Policy *s3.BucketPolicy
}

// newPrivateBucket is a bucket with public access blocked, ACLs off, SSE-S3 encryption and
// the bucket policy policyOf(arn), which must deny requests without TLS.
func newPrivateBucket(ctx *pulumi.Context, name string, a bucketArgs, policyOf func(arn string) PolicyDocument, parent pulumi.ResourceOption) (*privateBucket, error) {
	// In prod, destroy leaves the bucket and every setting that keeps it private.
	keep := pulumi.RetainOnDelete(a.Protect)
	bucket, err := s3.NewBucketV2(ctx, name, &s3.BucketV2Args{
		ForceDestroy: pulumi.Bool(a.ForceDestroy),
	}, parent, pulumi.Protect(a.Protect), keep)
	if err != nil {
		return nil, err
	}
	pab, err := s3.NewBucketPublicAccessBlock(ctx, name, &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, parent, keep)
	if err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketOwnershipControls(ctx, name, &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, parent, keep); err != nil {
		return nil, err
	}
	// SSE-S3: also the only encryption ALB access logs support (not SSE-KMS).
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name, &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm: pulumi.String("AES256"),
			},
		}},
	}, parent, keep); err != nil {
		return nil, err
	}
	policy := bucket.Arn.ApplyT(func(arn string) (string, error) {
		return MarshalPolicy(policyOf(arn))
	}).(pulumi.StringOutput)
	// After the public access block, so S3 never evaluates the policy on an unguarded bucket.
	bp, err := s3.NewBucketPolicy(ctx, name, &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: policy,
	}, parent, keep, pulumi.DependsOn([]pulumi.Resource{pab}))
	if err != nil {
		return nil, err
	}
	return &privateBucket{Bucket: bucket, Policy: bp}, nil
}

// AccessLogPrefix is where the ALB writes its access logs in their bucket.
const AccessLogPrefix = "alb"

// accessLogsArgs configures the ALB's access log bucket.
type accessLogsArgs struct {
	Account Account
	// Protect keeps the bucket and its logs from destroy (prod), like the uploads bucket.
	Protect bool
	// ExpireDays deletes each log object this many days after it is written (Profile.AlbAccessLogDays).
	ExpireDays int
}

// accessLogs is the bucket the ALB logs to; the ALB must depend on Ready (the bucket policy):
// enabling access logs fails with "Access Denied for bucket" until ELB may write there.
type accessLogs struct {
	Bucket *s3.BucketV2
	Ready  []pulumi.Resource
}

// newAccessLogsBucket is a private, SSE-S3 bucket (ALB access logs support no other
// encryption) reachable only over TLS, where only ELB log delivery may write, under
// <AccessLogPrefix>/AWSLogs/<account>/, and objects expire after ExpireDays.
func newAccessLogsBucket(ctx *pulumi.Context, name string, a accessLogsArgs, parent pulumi.ResourceOption) (*accessLogs, error) {
	// Regions opened before August 2022 (ap-northeast-1 among them) take the region's ELB
	// account as the principal (ELB user guide, "Enable access logs for your Application Load
	// Balancer", step 2); the provider's table answers it.
	elbAccount, err := elb.GetServiceAccount(ctx, &elb.GetServiceAccountArgs{Region: pulumi.StringRef(a.Account.Region)})
	if err != nil {
		return nil, fmt.Errorf("looking up the ELB log delivery account of %s: %w", a.Account.Region, err)
	}
	b, err := newPrivateBucket(ctx, name, bucketArgs{ForceDestroy: !a.Protect, Protect: a.Protect}, func(arn string) PolicyDocument {
		return accessLogsBucketPolicy(arn, elbAccount.Arn, a.Account.AccountID)
	}, parent)
	if err != nil {
		return nil, err
	}
	lc, err := s3.NewBucketLifecycleConfigurationV2(ctx, name, &s3.BucketLifecycleConfigurationV2Args{
		Bucket: b.Bucket.ID(),
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{&s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:         pulumi.String("expire-access-logs"),
			Status:     pulumi.String("Enabled"),
			Filter:     &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String(AccessLogPrefix + "/")},
			Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(a.ExpireDays)},
			AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
				DaysAfterInitiation: pulumi.Int(1),
			},
		}},
	}, parent, pulumi.RetainOnDelete(a.Protect))
	if err != nil {
		return nil, err
	}
	return &accessLogs{Bucket: b.Bucket, Ready: []pulumi.Resource{b.Policy, lc}}, nil
}

// accessLogsBucketPolicy denies requests without TLS and lets the region's ELB account write
// only this account's access logs, under <AccessLogPrefix>/AWSLogs/<account>/.
func accessLogsBucketPolicy(bucketArn, elbAccountArn, accountID string) PolicyDocument {
	doc := tlsOnlyBucketPolicy(bucketArn)
	doc.Statement = append(doc.Statement, Statement{
		Sid:       "AllowELBAccessLogDelivery",
		Effect:    "Allow",
		Principal: map[string]any{"AWS": elbAccountArn},
		Action:    []string{"s3:PutObject"},
		Resource:  []string{fmt.Sprintf("%s/%s/AWSLogs/%s/*", bucketArn, AccessLogPrefix, accountID)},
	})
	return doc
}

// tlsOnlyBucketPolicy denies every request that does not use TLS.
func tlsOnlyBucketPolicy(bucketArn string) PolicyDocument {
	return PolicyDocument{Statement: []Statement{{
		Sid:       "DenyInsecureTransport",
		Effect:    "Deny",
		Principal: map[string]any{"AWS": "*"},
		Action:    []string{"s3:*"},
		Resource:  []string{bucketArn, bucketArn + "/*"},
		Condition: map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
	}}}
}
