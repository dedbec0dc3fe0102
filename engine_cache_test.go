package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/rails-infra/rails-infra/internal/awstype"
)

// stateOf finds the one resource of a type in an exported deployment.
func stateOf(t *testing.T, d apitype.DeploymentV3, typ string) apitype.ResourceV3 {
	t.Helper()
	var found []apitype.ResourceV3
	for _, r := range d.Resources {
		if string(r.Type) == typ {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d resources of %s in the state, want 1", len(found), typ)
	}
	return found[0]
}

// revealed is a string value of a --show-secrets export: a secret there is an envelope whose
// plaintext is the JSON encoding of the value.
func revealed(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	m, _ := v.(map[string]any)
	var s string
	if p, ok := m["plaintext"].(string); ok && json.Unmarshal([]byte(p), &s) == nil {
		return s
	}
	return ""
}

// isSecretObject reports whether a state value is the engine's encrypted secret envelope.
func isSecretObject(v any) bool {
	m, ok := v.(map[string]any)
	return ok && m[resource.SigKey] == resource.SecretSig && m["ciphertext"] != nil
}

// Redis on a dev stack through the real CLI and engine: the config is read, the generated AUTH
// token and the REDIS_URL it builds are secrets in the state, and a second up changes nothing
// although the program draws a new token on every run.
func TestEngineRedis(t *testing.T) {
	t.Parallel()
	s := engineStack(t, "dev", false, nil)
	setConfig(t, s, "redis", "true", false)

	t.Run("preview then up with redis on build the cache", func(t *testing.T) {
		preview(t, s)
		mark := s.Fake.Mark()
		if res := up(t, s); res.Summary.Result != "succeeded" {
			t.Fatalf("up result %q", res.Summary.Result)
		}
		created := calls(s.Fake.CallsSince(mark), "Create")
		var rg bool
		for _, c := range created {
			rg = rg || c.Type == awstype.ElastiCacheReplicationGroup
		}
		if !rg {
			t.Fatal("up created no replication group")
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	t.Run("the AUTH token and REDIS_URL are encrypted in the state and shown nowhere", func(t *testing.T) {
		plain, d := exported(t, s)
		_, shown := exported(t, s, "--show-secrets")
		rg := stateOf(t, shown, awstype.ElastiCacheReplicationGroup)
		token := revealed(rg.Outputs["authToken"])
		if len(token) != 64 {
			t.Fatalf("--show-secrets reveals an authToken of %d chars, want the generated 64: the checks below would prove nothing", len(token))
		}
		var url string
		for _, r := range shown.Resources {
			if string(r.Type) == awstype.SsmParameter && strings.HasSuffix(string(r.URN), "::cache-redis-url") {
				url = revealed(r.Outputs["value"])
			}
		}
		if !strings.HasPrefix(url, "rediss://:"+token+"@master.") || !strings.HasSuffix(url, ":6379") {
			t.Fatalf("REDIS_URL revealed by --show-secrets is not rediss://:<token>@master...:6379")
		}
		if strings.Contains(plain, token) || strings.Contains(plain, url) {
			t.Error("pulumi stack export shows the AUTH token or REDIS_URL in plain text")
		}
		enc := stateOf(t, d, awstype.ElastiCacheReplicationGroup)
		for what, v := range map[string]any{"inputs": enc.Inputs["authToken"], "outputs": enc.Outputs["authToken"]} {
			if !isSecretObject(v) {
				t.Errorf("replication group authToken in %s is %T, want an encrypted secret", what, v)
			}
		}
		outputs, _, err := s.CLI(t.Context(), "stack", "output", "--json", "--show-secrets")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(outputs, token) {
			t.Error("a stack output holds the AUTH token")
		}
		if !strings.Contains(outputs, `"redisEndpoint": "master.`) || !strings.Contains(outputs, `"redisUrlParameter": "cache-redis-url-`) {
			t.Errorf("outputs lack redisEndpoint / redisUrlParameter:\n%s", outputs)
		}
	})

	t.Run("a second up with no change changes nothing, though a new token is drawn", func(t *testing.T) {
		assertNoChanges(t, s)
	})
}
