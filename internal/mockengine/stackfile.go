package mockengine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// SecretPlaceholder stands in for a `secure:` value that cannot be decrypted offline.
// It is long enough to pass length checks and says what it is if it ever leaks.
const SecretPlaceholder = "offline-plan-placeholder-for-an-encrypted-secret-value-0000000000000000"

// StackConfig is a stack's config as Pulumi would pass it to the program.
type StackConfig struct {
	Project    string
	Values     map[string]string // fully qualified keys
	SecretKeys []string          // keys whose values are secret
	// Placeholders are keys whose encrypted values were replaced by SecretPlaceholder.
	Placeholders []string
}

// Options returns run options for this stack.
func (s *StackConfig) Options(stack string) Options {
	return Options{Project: s.Project, Stack: stack, Config: s.Values, SecretKeys: s.SecretKeys}
}

// placeholderDecrypter "decrypts" every ciphertext to SecretPlaceholder.
type placeholderDecrypter struct{ used *bool }

func (d placeholderDecrypter) DecryptValue(context.Context, string) (string, error) {
	*d.used = true
	return SecretPlaceholder, nil
}

func (d placeholderDecrypter) BatchDecrypt(_ context.Context, cts []string) ([]string, error) {
	out := make([]string, len(cts))
	for i := range out {
		out[i] = SecretPlaceholder
	}
	*d.used = *d.used || len(cts) > 0
	return out, nil
}

// LoadStackConfig reads Pulumi.yaml in projectDir and the stack's settings file with
// the Pulumi SDK's own loaders. file overrides the default Pulumi.<stack>.yaml.
func LoadStackConfig(projectDir, stack, file string) (*StackConfig, error) {
	proj, err := workspace.LoadProject(filepath.Join(projectDir, "Pulumi.yaml"))
	if err != nil {
		return nil, fmt.Errorf("loading Pulumi.yaml: %w", err)
	}
	if file == "" {
		file = filepath.Join(projectDir, "Pulumi."+stack+".yaml")
	}
	if _, err := os.Stat(file); err != nil {
		return nil, fmt.Errorf("stack settings file %s: %w", file, err)
	}
	ps, err := workspace.LoadProjectStack(nil, proj, file)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", file, err)
	}
	used := false
	secure := map[config.Key]bool{}
	for _, k := range ps.Config.SecureKeys() {
		secure[k] = true
	}
	out := &StackConfig{Project: proj.Name.String(), Values: map[string]string{}}
	for k, v := range ps.Config {
		var text string
		if v.Secure() {
			used = false
			text, err = v.Value(placeholderDecrypter{used: &used})
			if used {
				out.Placeholders = append(out.Placeholders, k.String())
			}
		} else {
			text, err = v.Value(config.NopDecrypter)
		}
		if err != nil {
			return nil, fmt.Errorf("%s in %s: %w", k, file, err)
		}
		out.Values[k.String()] = text
		if secure[k] {
			out.SecretKeys = append(out.SecretKeys, k.String())
		}
	}
	sort.Strings(out.SecretKeys)
	sort.Strings(out.Placeholders)
	return out, nil
}

// StackNames lists the stacks that have a Pulumi.<stack>.yaml in projectDir.
func StackNames(projectDir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(projectDir, "Pulumi.*.yaml"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml"))
	}
	sort.Strings(names)
	return names, nil
}
