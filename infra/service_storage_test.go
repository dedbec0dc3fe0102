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
			b := r.res.Find(awstype.S3BucketV2, "app-uploads")
			if b.Input("forceDestroy") != tc.forceDestroy || b.Protect != tc.protect || b.RetainOnDelete != tc.protect {
				t.Errorf("%s forceDestroy=%v protect=%v retainOnDelete=%v, want %v/%v/%v", b.Name, b.Input("forceDestroy"), b.Protect, b.RetainOnDelete, tc.forceDestroy, tc.protect, tc.protect)
			}
			// Every bucket setting stays with the bucket when a prod stack is destroyed.
			for _, token := range []string{
				awstype.S3BucketPublicAccessBlock, awstype.S3BucketOwnershipControls,
				awstype.S3BucketServerSideEncryptionConfigurationV2,
				awstype.S3BucketVersioningV2, awstype.S3BucketPolicy,
			} {
				if x := r.res.Find(token, "app-uploads"); x.RetainOnDelete != tc.prod {
					t.Errorf("%s retainOnDelete = %v, want %v", x.Name, x.RetainOnDelete, tc.prod)
				}
			}
		})
	}
	r := mustRunService(t, nil, nil)
	bucket := r.res.Find(awstype.S3BucketV2, "app-uploads")
	t.Run("the public access block blocks all four ways", func(t *testing.T) {
		pab := r.res.Find(awstype.S3BucketPublicAccessBlock, "app-uploads")
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
		oc := r.res.Find(awstype.S3BucketOwnershipControls, "app-uploads")
		if rule, _ := oc.Input("rule").(map[string]any); rule["objectOwnership"] != "BucketOwnerEnforced" {
			t.Errorf("ownership rule = %v", rule)
		}
	})
	t.Run("objects are encrypted by default", func(t *testing.T) {
		sse := r.res.Find(awstype.S3BucketServerSideEncryptionConfigurationV2, "app-uploads")
		got, _ := json.Marshal(sse.Input("rules"))
		if string(got) != `[{"applyServerSideEncryptionByDefault":{"sseAlgorithm":"AES256"}}]` {
			t.Errorf("sse rules = %s", got)
		}
	})
	t.Run("versioning is enabled", func(t *testing.T) {
		v := r.res.Find(awstype.S3BucketVersioningV2, "app-uploads")
		if vc, _ := v.Input("versioningConfiguration").(map[string]any); vc["status"] != "Enabled" {
			t.Errorf("versioning = %v", vc)
		}
	})
	t.Run("the bucket policy denies every non-TLS request", func(t *testing.T) {
		p := r.res.Find(awstype.S3BucketPolicy, "app-uploads")
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
		pab := r.res.Find(awstype.S3BucketPublicAccessBlock, "app-uploads")
		if !slices.Contains(p.DependsOn, pab.URN) {
			t.Errorf("bucket policy DependsOn = %v, want the public access block", p.DependsOn)
		}
	})
}

func TestAccessLogsBucket(t *testing.T) {
	for _, tc := range []struct {
		name       string
		prod       bool
		expireDays float64
	}{
		{"dev keeps access logs 14 days and lets destroy delete them", false, 14},
		{"prod keeps access logs 365 days and retains the bucket", true, 365},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRunService(t, func(a *AppServiceArgs) { a.Environment = envOf(tc.prod) }, nil)
			const name = "app-access-logs"
			b := r.res.Find(awstype.S3BucketV2, name)
			if b == nil {
				t.Fatalf("no bucket %s", name)
			}
			if b.Input("forceDestroy") != !tc.prod || b.Protect != tc.prod || b.RetainOnDelete != tc.prod {
				t.Errorf("%s forceDestroy=%v protect=%v retainOnDelete=%v, want %v/%v/%v", name, b.Input("forceDestroy"), b.Protect, b.RetainOnDelete, !tc.prod, tc.prod, tc.prod)
			}
			pab := r.res.Find(awstype.S3BucketPublicAccessBlock, name)
			for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
				if pab == nil || pab.Input(k) != true || pab.Input("bucket") != b.ID {
					t.Fatalf("%s public access block %s missing or not true on the bucket", name, k)
				}
			}
			// ALB access logs support SSE-S3 only, not SSE-KMS.
			sse, _ := json.Marshal(r.res.Find(awstype.S3BucketServerSideEncryptionConfigurationV2, name).Input("rules"))
			if string(sse) != `[{"applyServerSideEncryptionByDefault":{"sseAlgorithm":"AES256"}}]` {
				t.Errorf("%s sse rules = %s, want SSE-S3", name, sse)
			}
			lc := r.res.Find("aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", name)
			rules, _ := lc.Input("rules").([]any)
			rule, _ := rules[0].(map[string]any)
			exp, _ := rule["expiration"].(map[string]any)
			if len(rules) != 1 || rule["status"] != "Enabled" || exp["days"] != tc.expireDays || lc.Input("bucket") != b.ID {
				t.Errorf("%s lifecycle rules = %v, want objects expiring after %v days", name, rules, tc.expireDays)
			}
			bp := r.res.Find(awstype.S3BucketPolicy, name)
			d := policyOf(t, bp, "policy", policyVersion)
			arn := b.Outputs["arn"].StringValue()
			want := []Statement{tlsOnlyBucketPolicy(arn).Statement[0], {
				Sid: "AllowELBAccessLogDelivery", Effect: "Allow",
				// ap-northeast-1's ELB account (ELB user guide, regions before August 2022).
				Principal: map[string]any{"AWS": "arn:aws:iam::582318560864:root"},
				Action:    []string{"s3:PutObject"}, Resource: []string{arn + "/alb/AWSLogs/" + testAccount.AccountID + "/*"},
			}}
			gotJSON, _ := json.Marshal(d.Statement)
			wantJSON, _ := json.Marshal(want)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("%s policy =\n  %s\nwant\n  %s", name, gotJSON, wantJSON)
			}
			alb := r.res.Find(awstype.LbLoadBalancer, "app")
			logs, _ := alb.Input("accessLogs").(map[string]any)
			if logs["enabled"] != true || logs["bucket"] != b.Outputs["bucket"].StringValue() || logs["prefix"] != AccessLogPrefix {
				t.Errorf("ALB accessLogs = %v, want enabled into %s under %s/", logs, b.Outputs["bucket"].StringValue(), AccessLogPrefix)
			}
			// Enabling access logs fails until ELB may write to the bucket.
			if !slices.Contains(alb.DependsOn, bp.URN) {
				t.Errorf("ALB DependsOn = %v, want the access log bucket policy %s", alb.DependsOn, bp.URN)
			}
		})
	}
}
