package infra

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/rails-infra/rails-infra/internal/awstype"
)

func TestUploadsBucket(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		prod                  bool
		forceDestroy, protect bool
	}{
		{"dev bucket can be force-destroyed and is not protected", false, true, false},
		{"prod bucket is protected and never force-destroyed", true, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRunService(t, func(a *AppServiceArgs) { a.Environment = envOf(tc.prod) }, nil)
			b := one(t, r.res, awstype.S3BucketV2)
			if b.Input("forceDestroy") != tc.forceDestroy || b.Protect != tc.protect || b.RetainOnDelete != tc.protect {
				t.Errorf("%s forceDestroy=%v protect=%v retainOnDelete=%v, want %v/%v/%v", b.Name, b.Input("forceDestroy"), b.Protect, b.RetainOnDelete, tc.forceDestroy, tc.protect, tc.protect)
			}
			// Every bucket setting stays with the bucket when a prod stack is destroyed.
			for _, token := range []string{
				awstype.S3BucketPublicAccessBlock, awstype.S3BucketOwnershipControls,
				awstype.S3BucketServerSideEncryptionConfigurationV2,
				awstype.S3BucketVersioningV2, awstype.S3BucketPolicy,
			} {
				if x := one(t, r.res, token); x.RetainOnDelete != tc.prod {
					t.Errorf("%s retainOnDelete = %v, want %v", x.Name, x.RetainOnDelete, tc.prod)
				}
			}
		})
	}
	r := mustRunService(t, nil, nil)
	bucket := one(t, r.res, awstype.S3BucketV2)
	t.Run("the public access block blocks all four ways", func(t *testing.T) {
		pab := one(t, r.res, awstype.S3BucketPublicAccessBlock)
		for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
			if pab.Input(k) != true {
				t.Errorf("%s = %v, want true", k, pab.Input(k))
			}
		}
		if pab.Input("bucket") != bucket.ID {
			t.Errorf("public access block on %v, want %s", pab.Input("bucket"), bucket.ID)
		}
	})
	t.Run("ACLs are off (BucketOwnerEnforced)", func(t *testing.T) {
		oc := one(t, r.res, awstype.S3BucketOwnershipControls)
		if rule, _ := oc.Input("rule").(map[string]any); rule["objectOwnership"] != "BucketOwnerEnforced" {
			t.Errorf("ownership rule = %v", rule)
		}
	})
	t.Run("objects are encrypted by default", func(t *testing.T) {
		sse := one(t, r.res, awstype.S3BucketServerSideEncryptionConfigurationV2)
		got, _ := json.Marshal(sse.Input("rules"))
		if string(got) != `[{"applyServerSideEncryptionByDefault":{"sseAlgorithm":"AES256"}}]` {
			t.Errorf("sse rules = %s", got)
		}
	})
	t.Run("versioning is enabled", func(t *testing.T) {
		v := one(t, r.res, awstype.S3BucketVersioningV2)
		if vc, _ := v.Input("versioningConfiguration").(map[string]any); vc["status"] != "Enabled" {
			t.Errorf("versioning = %v", vc)
		}
	})
	t.Run("the bucket policy denies every non-TLS request", func(t *testing.T) {
		p := one(t, r.res, awstype.S3BucketPolicy)
		d := policyOf(t, p, "policy", policyVersion)
		arn := bucket.Outputs["arn"].StringValue()
		if len(d.Statement) != 1 {
			t.Fatalf("statements = %d", len(d.Statement))
		}
		s := d.Statement[0]
		cond, _ := json.Marshal(s.Condition)
		if s.Effect != "Deny" || !slices.Equal(s.Action, []string{"s3:*"}) || !slices.Equal(s.Resource, []string{arn, arn + "/*"}) ||
			string(cond) != `{"Bool":{"aws:SecureTransport":"false"}}` {
			t.Errorf("statement = %+v", s)
		}
		pab := one(t, r.res, awstype.S3BucketPublicAccessBlock)
		if !slices.Contains(p.DependsOn, pab.URN) {
			t.Errorf("bucket policy DependsOn = %v, want the public access block", p.DependsOn)
		}
	})
}
