package infra

import (
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
	// In prod, destroy leaves the bucket and every setting that keeps it private and versioned.
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
	// Versioning keeps overwritten and deleted uploads recoverable.
	if _, err := s3.NewBucketVersioningV2(ctx, name, &s3.BucketVersioningV2Args{
		Bucket:                  bucket.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, parent, keep); err != nil {
		return nil, err
	}
	policy := bucket.Arn.ApplyT(func(arn string) (string, error) {
		return MarshalPolicy(tlsOnlyBucketPolicy(arn))
	}).(pulumi.StringOutput)
	// After the public access block, so S3 never evaluates the policy on an unguarded bucket.
	if _, err := s3.NewBucketPolicy(ctx, name, &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: policy,
	}, parent, keep, pulumi.DependsOn([]pulumi.Resource{pab})); err != nil {
		return nil, err
	}
	return bucket, nil
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
