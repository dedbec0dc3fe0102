package main

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	pkgworkspace "github.com/pulumi/pulumi/pkg/v3/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/common/esc"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/rails-infra/rails-infra/internal/mockengine"
)

// The Pulumi CLI validates and completes a stack's config before the program runs
// (pkg/v3 workspace.ValidateStackConfigAndApplyProjectConfig). These tests run that code itself,
// so what the CLI refuses, or writes into the config, is seen here and not only on a user's
// machine.

// cliCrypter encrypts the secrets of the fresh-stack cases, as `pulumi config set --secret` would.
var cliCrypter = config.NewSymmetricCrypterFromPassphrase("rails-infra-test", []byte("0123456789abcdef"))

// cliStack is a stack's config as the CLI holds it: from a stack file, or set key by key.
type cliStack struct {
	name string
	file string            // a committed Pulumi.<stack>.yaml, or ""
	set  map[string]string // `pulumi config set KEY VALUE` on a fresh stack
	// secret are `pulumi config set --secret` values (KEY, or KEY.NAME for --path).
	secret map[string]string
}

func (s cliStack) configMap(t *testing.T, proj *workspace.Project) config.Map {
	t.Helper()
	if s.file != "" {
		ps, err := workspace.LoadProjectStack(nil, proj, s.file)
		if err != nil {
			t.Fatalf("loading %s: %v", s.file, err)
		}
		return ps.Config
	}
	m := config.Map{}
	for k, v := range s.set {
		if err := m.Set(config.MustMakeKey("rails-infra", k), config.NewValue(v), true); err != nil {
			t.Fatalf("set %s: %v", k, err)
		}
	}
	for k, v := range s.secret {
		ct, err := cliCrypter.EncryptValue(context.Background(), v)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Set(config.MustMakeKey("rails-infra", k), config.NewSecureValue(ct), true); err != nil {
			t.Fatalf("set --secret %s: %v", k, err)
		}
	}
	return m
}

// cliValidate runs the CLI's own validation and returns the config the program would receive:
// fully qualified key -> text, and the secret keys.
func cliValidate(t *testing.T, s cliStack) (map[string]string, []string, error) {
	t.Helper()
	proj, err := workspace.LoadProject("Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := s.configMap(t, proj)
	if err := pkgworkspace.ValidateStackConfigAndApplyProjectConfig(
		context.Background(), s.name, proj, esc.Value{}, m, cliCrypter, cliCrypter); err != nil {
		return nil, nil, err
	}
	values := map[string]string{}
	var secrets []string
	for _, k := range m.SecureKeys() {
		secrets = append(secrets, k.String())
	}
	for k, v := range m {
		text, err := v.Value(cliCrypter)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		values[k.String()] = text
	}
	slices.Sort(secrets)
	return values, secrets, nil
}

// freshStacks set only what the program really requires: the environment, and for prod the
// domain prod must serve on and who hears its alarms.
var freshStacks = []cliStack{
	{name: "dev", set: map[string]string{"environment": "dev"}},
	{name: "prod", set: map[string]string{"environment": "prod", "domainName": "app.example.co.jp", "hostedZoneName": "example.co.jp",
		"alarmEmails[0]": "ops@example.co.jp"}},
	{
		name: "prod-login",
		set: map[string]string{"environment": "prod", "domainName": "app.example.co.jp", "hostedZoneName": "example.co.jp",
			"oidcIssuer": "https://accounts.google.com", "oidcAuthorizationEndpoint": "https://accounts.google.com/o/oauth2/v2/auth",
			"oidcTokenEndpoint": "https://oauth2.googleapis.com/token", "oidcUserInfoEndpoint": "https://openidconnect.googleapis.com/v1/userinfo",
			"oidcClientId": "client-123", "alarmTopicArn": "arn:aws:sns:ap-northeast-1:123456789012:chatbot-alerts"},
		// An optional secret: undeclared, so the CLI neither requires it nor refuses it encrypted.
		secret: map[string]string{"oidcClientSecret": "an-oidc-client-secret"},
	},
	{
		name:   "staging",
		set:    map[string]string{"environment": "dev", "appEnv.FEATURE_X": "on"},
		secret: map[string]string{"secretKeyBase": strings.Repeat("a1", 64), "appSecrets.SMTP_PASSWORD": "hunter2-hunter2"},
	},
}

func committedStacks(t *testing.T) []cliStack {
	t.Helper()
	names, err := mockengine.StackNames(".")
	if err != nil || len(names) == 0 {
		t.Fatalf("no Pulumi.<stack>.yaml: %v", err)
	}
	var out []cliStack
	for _, n := range names {
		out = append(out, cliStack{name: n, file: filepath.Join(".", "Pulumi."+n+".yaml")})
	}
	return out
}

func TestPulumiCLIAcceptsEveryStackAndTheProgramRunsOnWhatItPasses(t *testing.T) {
	for _, s := range append(committedStacks(t), freshStacks...) {
		desc := "committed stack " + s.name
		if s.file == "" {
			desc = "fresh stack " + s.name + " that sets only " + strings.Join(slices.Sorted(maps.Keys(s.set)), ", ")
		}
		t.Run(desc+" passes the CLI's validation and then the program", func(t *testing.T) {
			values, secrets, err := cliValidate(t, s)
			if err != nil {
				t.Fatalf("the Pulumi CLI refuses the stack before the program runs: %v", err)
			}
			opts := mockengine.Options{Project: "rails-infra", Stack: s.name, Config: values, SecretKeys: secrets}
			opts.Setup = registerStackZone(values)
			if _, err := runDeploy(opts); err != nil {
				t.Fatalf("the program fails on the config the CLI passes it:\n%v", err)
			}
		})
	}
}

// TestMockEngineLoadsConfigAsTheCLIDoes proves the offline loader (used by every stack test and
// by `plan`) hands the program exactly what the CLI would: declared defaults written in, project
// values applied, the same secret keys.
func TestMockEngineLoadsConfigAsTheCLIDoes(t *testing.T) {
	for _, s := range committedStacks(t) {
		t.Run("stack "+s.name+" reaches the program with the same keys and values", func(t *testing.T) {
			want, wantSecrets, err := cliValidate(t, s)
			if err != nil {
				t.Fatalf("CLI: %v", err)
			}
			sc := loadStack(t, s.name)
			if err := sc.Validate(s.name); err != nil {
				t.Fatalf("the mock engine refuses what the CLI accepts: %v", err)
			}
			got := sc.Effective()
			for _, k := range slices.Sorted(maps.Keys(want)) {
				if got[k] != want[k] {
					t.Errorf("%s: mock engine passes %q, CLI passes %q", k, got[k], want[k])
				}
			}
			for k := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("%s: mock engine passes %q, CLI does not pass it", k, got[k])
				}
			}
			if !slices.Equal(sc.SecretKeys, wantSecrets) {
				t.Errorf("secret keys: mock engine %v, CLI %v", sc.SecretKeys, wantSecrets)
			}
		})
	}
}

// TestMockEngineRefusesWhatTheCLIRefuses compares the two on stack files the CLI must refuse:
// the same error, word for word, so `plan` stops where `pulumi preview` would.
func TestMockEngineRefusesWhatTheCLIRefuses(t *testing.T) {
	cases := []struct{ name, body, wantErr string }{
		{"a word where a declared integer belongs", "rails-infra:availabilityZones: two", "must be of type 'integer'"},
		{"a word where a declared boolean belongs", "rails-infra:vpcEndpoints: yes please", "must be of type 'boolean'"},
		{"a string where a declared list belongs", "rails-infra:allowedCidrs: 10.0.0.0/8", "must be of type 'array<string>'"},
		{"a list of numbers where a list of strings belongs", "rails-infra:allowedCidrs: [1, 2]", "must be of type 'array<string>'"},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is refused by both with the same words", func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "Pulumi.bad.yaml")
			body := "config:\n  rails-infra:environment: dev\n  " + tc.body + "\n"
			if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, cliErr := cliValidate(t, cliStack{name: "bad", file: file})
			if cliErr == nil || !strings.Contains(cliErr.Error(), tc.wantErr) {
				t.Fatalf("CLI error = %v, want one containing %q", cliErr, tc.wantErr)
			}
			sc, err := mockengine.LoadStackConfig(".", "bad", file)
			if err != nil {
				t.Fatal(err)
			}
			if mockErr := sc.Validate("bad"); mockErr == nil || mockErr.Error() != cliErr.Error() {
				t.Errorf("mock engine error = %v\nCLI error         = %v", mockErr, cliErr)
			}
		})
	}
}
