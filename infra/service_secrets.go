package infra

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// RolloutDigestEnv is a plain env var whose value changes whenever any secret the task
// reads changes, so ECS registers a new task definition revision and rolls it out.
// ECS resolves `secrets` only when a task starts; without this a changed SSM value would
// reach the app only at the next unrelated deploy.
const RolloutDigestEnv = "RAILS_INFRA_ROLLOUT_DIGEST"

// SecretKeyBaseEnv is the Rails env var that holds the secret key base.
const SecretKeyBaseEnv = "SECRET_KEY_BASE"

// secretsArgs configures the stack's SSM SecureString parameters.
type secretsArgs struct {
	// Path is the parameter prefix, "/<project>/<stack>" (no trailing slash).
	Path string
	// SecretKeyBase is the Rails secret key base; nil generates one once (see newSecrets).
	SecretKeyBase pulumi.StringInput
	// AppSecrets are env name -> secret value.
	AppSecrets map[string]pulumi.StringInput
}

// stackSecrets are the SSM parameters the task reads, by env name.
type stackSecrets struct {
	Names  []string // sorted env names, SECRET_KEY_BASE included
	Params map[string]*ssm.Parameter
}

// newSecrets stores SECRET_KEY_BASE and every app secret as a SecureString under Path.
//
// SECRET_KEY_BASE, when the user sets none, is generated here from crypto/rand and kept
// stable without a `random` provider (only the pinned aws/awsx/pulumi packages are allowed):
// the parameter ignores changes to `value`, so the first run's value stays in SSM and every
// later run's fresh random input is discarded. Setting secretKeyBase later drops the
// ignore and overwrites it (a rotation); removing it again keeps the last value.
func newSecrets(ctx *pulumi.Context, name string, a secretsArgs, parent pulumi.ResourceOption) (*stackSecrets, error) {
	out := &stackSecrets{Params: map[string]*ssm.Parameter{}}
	values := map[string]pulumi.StringInput{}
	for k, v := range a.AppSecrets {
		values[k] = v
	}
	skbOpts := []pulumi.ResourceOption{}
	skb := a.SecretKeyBase
	if skb == nil {
		generated, err := generateSecretKeyBase()
		if err != nil {
			return nil, err
		}
		skb = pulumi.String(generated)
		skbOpts = append(skbOpts, pulumi.IgnoreChanges([]string{"value"}))
	}
	values[SecretKeyBaseEnv] = skb

	for env := range values {
		out.Names = append(out.Names, env)
	}
	sort.Strings(out.Names)
	for _, env := range out.Names {
		opts := []pulumi.ResourceOption{parent,
			// The name is fixed (the execution role may read only this path), so a replacement
			// must delete the old parameter first.
			pulumi.DeleteBeforeReplace(true)}
		if env == SecretKeyBaseEnv {
			opts = append(opts, skbOpts...)
		}
		p, err := ssm.NewParameter(ctx, name+"-"+strings.ToLower(strings.ReplaceAll(env, "_", "-")), &ssm.ParameterArgs{
			Name:        pulumi.String(a.Path + "/" + env),
			Type:        pulumi.String("SecureString"),
			Value:       pulumi.ToSecret(values[env]).(pulumi.StringOutput),
			Description: pulumi.String(fmt.Sprintf("%s for the Rails app (managed by Pulumi)", env)),
		}, opts...)
		if err != nil {
			return nil, err
		}
		out.Params[env] = p
	}
	return out, nil
}

// generateSecretKeyBase returns 64 random bytes as 128 hex characters, like `bin/rails secret`.
func generateSecretKeyBase() (string, error) {
	b := make([]byte, 64)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating SECRET_KEY_BASE: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Version is a digest over every parameter's stored value and SSM version and the DB secret
// ARN. It is an HMAC keyed with the stored SECRET_KEY_BASE, so it changes when any secret
// changes but reveals nothing about low-entropy values to readers of the task definition;
// that is why it may be unsecreted.
func (s *stackSecrets) Version(dbSecretArn pulumi.StringInput) pulumi.StringOutput {
	inputs := []any{dbSecretArn}
	for _, env := range s.Names {
		inputs = append(inputs, s.Params[env].Value, s.Params[env].Version)
	}
	names := append([]string(nil), s.Names...)
	digest := pulumi.All(inputs...).ApplyT(func(xs []any) string {
		key := ""
		for i, env := range names {
			if env == SecretKeyBaseEnv {
				key, _ = xs[1+2*i].(string)
			}
		}
		return secretsDigest(key, xs[0].(string), names, xs[1:])
	}).(pulumi.StringOutput)
	return pulumi.Unsecret(digest).(pulumi.StringOutput)
}

// secretsDigest hashes (name, value, version) pairs in name order; pairs holds value,
// version alternately.
func secretsDigest(key, dbSecretArn string, names []string, pairs []any) string {
	var b strings.Builder
	b.WriteString("db=" + dbSecretArn + "\n")
	for i, env := range names {
		// The value's length is part of the record so that no two inputs serialise alike.
		value := fmt.Sprint(pairs[2*i])
		b.WriteString(env + "=" + fmt.Sprint(pairs[2*i+1]) + ":" + strconv.Itoa(len(value)) + ":" + value + "\n")
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(b.String()))
	return hex.EncodeToString(mac.Sum(nil))[:32]
}

// secretKeyBaseProblem checks SECRET_KEY_BASE's plain text, which only the config reader sees
// (config.go secretRules); a Go caller's value is an output and cannot be checked before deploy.
func secretKeyBaseProblem(_, raw string) (reason, fix string) {
	if raw != "" && len(raw) < MinSecretKeyBaseLength {
		return fmt.Sprintf("is shorter than %d characters; Rails signs and encrypts cookies with it.", MinSecretKeyBaseLength),
			"pulumi config set --secret secretKeyBase \"$(bin/rails secret)\" (or pulumi config rm secretKeyBase to have one generated)"
	}
	return "", ""
}

// MaxStandardParameterBytes is the value limit of an SSM Standard-tier parameter (4 KB; the
// Advanced tier allows 8 KB but is charged per parameter per month, so it is not used).
const MaxStandardParameterBytes = 4096

// appSecretValueProblem checks one appSecrets value's plain text (config.go secretRules): each
// is a Standard-tier SSM SecureString, which PutParameter refuses over 4 KB. It never quotes value.
func appSecretValueProblem(name, raw string) (reason, fix string) {
	if len(raw) <= MaxStandardParameterBytes {
		return "", ""
	}
	return fmt.Sprintf("entry %q is %d bytes; each value is stored as a Standard-tier SSM parameter, which holds at most %d bytes "+
			"(the Advanced tier costs money per parameter and is not used). Keep large material (certificates, key files) in S3 or split it into several entries.",
			name, len(raw), MaxStandardParameterBytes),
		fmt.Sprintf("pulumi config set --secret --path 'appSecrets.%s' <a value of at most %d bytes>", name, MaxStandardParameterBytes)
}
