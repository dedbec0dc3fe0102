package infra

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/internal/awstype"
)

const testSecretKeyBase = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"

func withSecretKeyBase(a *AppServiceArgs) {
	a.SecretKeyBase = pulumi.ToSecret(pulumi.String(testSecretKeyBase)).(pulumi.StringOutput)
}

func TestSecretParameters(t *testing.T) {
	r := mustRunService(t, nil, map[string]string{"SMTP_PASSWORD": "smtp-secret", "STRIPE_KEY": "sk_live_123"})
	params := r.res.OfType(awstype.SsmParameter)
	t.Run("every secret is a SecureString under /<project>/<stack>/", func(t *testing.T) {
		var names []string
		for _, p := range params {
			names = append(names, p.Input("name").(string))
			if p.Input("type") != "SecureString" {
				t.Errorf("%s type = %v, want SecureString", p.Name, p.Input("type"))
			}
			if !p.DeleteBeforeReplace {
				t.Errorf("%s: a fixed-name parameter must be deleted before it is replaced", p.Name)
			}
			if v := p.Inputs["value"]; !v.IsSecret() && (!v.IsOutput() || !v.OutputValue().Secret) {
				t.Errorf("%s value is not marked secret", p.Name)
			}
		}
		slices.Sort(names)
		want := []string{"/rails-infra/dev/SECRET_KEY_BASE", "/rails-infra/dev/SMTP_PASSWORD", "/rails-infra/dev/STRIPE_KEY"}
		if !slices.Equal(names, want) {
			t.Errorf("parameters = %v, want %v", names, want)
		}
	})
	t.Run("app secret values come from config", func(t *testing.T) {
		if got := r.res.Find(awstype.SsmParameter, "app-secret-stripe-key").Input("value"); got != "sk_live_123" {
			t.Errorf("STRIPE_KEY value = %v", got)
		}
	})
	t.Run("an unset SECRET_KEY_BASE is generated once and then left alone", func(t *testing.T) {
		p := r.res.Find(awstype.SsmParameter, "app-secret-secret-key-base")
		v, _ := p.Input("value").(string)
		if !regexp.MustCompile(`^[0-9a-f]{128}$`).MatchString(v) {
			t.Errorf("generated value has %d chars, want 128 hex", len(v))
		}
		if !slices.Equal(p.IgnoreChanges, []string{"value"}) {
			t.Errorf("IgnoreChanges = %v, want [value] so later runs keep the first value", p.IgnoreChanges)
		}
	})
	t.Run("a configured SECRET_KEY_BASE is applied and tracked", func(t *testing.T) {
		r := mustRunService(t, withSecretKeyBase, nil)
		p := r.res.Find(awstype.SsmParameter, "app-secret-secret-key-base")
		if p.Input("value") != testSecretKeyBase || len(p.IgnoreChanges) != 0 {
			t.Errorf("value set=%v IgnoreChanges=%v, want the configured value and no ignore", p.Input("value") == testSecretKeyBase, p.IgnoreChanges)
		}
	})
}

func TestSecretChangeRollsOut(t *testing.T) {
	defs := func(secret string, mutate func(*AppServiceArgs)) string {
		r := mustRunService(t, func(a *AppServiceArgs) {
			withSecretKeyBase(a)
			if mutate != nil {
				mutate(a)
			}
		}, map[string]string{"SMTP_PASSWORD": secret})
		raw, _ := r.res.Find(awstype.EcsTaskDefinition, "app").Input("containerDefinitions").(string)
		return raw
	}
	first := defs("old-password", nil)
	t.Run("the same secrets give the same task definition", func(t *testing.T) {
		if again := defs("old-password", nil); again != first {
			t.Errorf("containerDefinitions changed without a secret change:\n%s\n%s", first, again)
		}
	})
	t.Run("a changed secret value changes the task definition", func(t *testing.T) {
		changed := defs("new-password", nil)
		if changed == first {
			t.Error("containerDefinitions identical after the secret changed; the new value would never roll out")
		}
		if strings.Contains(changed, "new-password") {
			t.Error("the new secret value leaked into containerDefinitions")
		}
	})
	t.Run("a new database secret changes the task definition", func(t *testing.T) {
		changed := defs("old-password", func(a *AppServiceArgs) {
			a.Database.SecretArn = pulumi.String(strings.Replace(testDBSecretArn, "Ab12Cd", "Zz99Yy", 1))
		})
		if changed == first {
			t.Error("containerDefinitions identical after the DB secret changed")
		}
	})
}

func TestSecretsDigest(t *testing.T) {
	names := []string{"SECRET_KEY_BASE", "SMTP_PASSWORD"}
	base := secretsDigest("k", "arn:db", names, []any{"skb", 1, "pw", 1})
	for _, tc := range []struct {
		name  string
		key   string
		pairs []any
	}{
		{"a new parameter version", "k", []any{"skb", 1, "pw", 2}},
		{"a new value", "k", []any{"skb", 1, "pw2", 1}},
		{"a new key", "k2", []any{"skb", 1, "pw", 1}},
	} {
		t.Run("the digest changes with "+tc.name, func(t *testing.T) {
			if got := secretsDigest(tc.key, "arn:db", names, tc.pairs); got == base {
				t.Errorf("digest unchanged (%s)", got)
			}
		})
	}
}
