package mockengine

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// SecretPlaceholder stands in for a `secure:` value that cannot be decrypted offline.
// It is long enough to pass length checks and says what it is if it ever leaks.
const SecretPlaceholder = "offline-plan-placeholder-for-an-encrypted-secret-value-0000000000000000"

// StackConfig is a stack's config as the Pulumi CLI passes it to the program.
//
// The CLI (pkg/v3 workspace.ValidateStackConfigAndApplyProjectConfig) does three things to a
// stack's config before the program runs, and so does this loader:
//   - a key Pulumi.yaml declares without a default (or value) is required: a stack that does not
//     set it is refused;
//   - a declared default (or value) is written into the config of a stack that does not set the
//     key, so the program cannot tell it from a value the user set;
//   - a stack value of a typed key must have that type, and a `secret: true` key must be encrypted.
//
// A test in the main package runs the CLI's own code on the same files and compares.
type StackConfig struct {
	Project string
	// Values are the keys the stack file sets (fully qualified), as text: scalars as they are,
	// arrays and objects as JSON.
	Values     map[string]string
	SecretKeys []string // keys whose values are secret
	// Placeholders are keys whose encrypted values were replaced by SecretPlaceholder.
	Placeholders []string

	project *workspace.Project
	objects map[string]bool // keys whose values are arrays or objects (JSON text)
}

// Options returns run options for this stack: its values, with the project's declared defaults
// written in for every key it does not set, as the CLI does.
func (s *StackConfig) Options(stack string) Options {
	return Options{Project: s.Project, Stack: stack, Config: s.Effective(), SecretKeys: s.SecretKeys}
}

// Effective is the config the program reads: Values plus the project's defaults and values.
func (s *StackConfig) Effective() map[string]string {
	out := maps.Clone(s.Values)
	for key, text := range s.projectDefaults() {
		if _, set := out[key]; !set {
			out[key] = text
		}
	}
	return out
}

// projectDefaults renders each declared default or value the way the CLI stores it: scalars as
// text, arrays and objects as JSON.
func (s *StackConfig) projectDefaults() map[string]string {
	out := map[string]string{}
	if s.project == nil {
		return out
	}
	for name, t := range s.project.Config {
		v := t.Default
		if t.Value != nil {
			v = t.Value
		}
		if t.Default != nil {
			v = t.Default
		}
		if v == nil {
			continue
		}
		out[s.qualify(name)] = configText(v)
	}
	return out
}

func configText(v any) string {
	switch v := v.(type) {
	case string, int, bool:
		return fmt.Sprint(v)
	}
	simple, err := workspace.SimplifyMarshalledValue(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	b, err := json.Marshal(simple)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func (s *StackConfig) qualify(name string) string {
	if strings.Contains(name, ":") {
		return name
	}
	return s.Project + ":" + name
}

// Validate refuses what the CLI refuses before the program runs, with the CLI's words: required
// keys the stack does not set, then the first value whose type or secrecy is wrong.
func (s *StackConfig) Validate(stack string) error {
	if s.project == nil {
		return nil
	}
	names := slices.Sorted(maps.Keys(s.project.Config))
	var missing []string
	for _, name := range names {
		t := s.project.Config[name]
		key := s.qualify(name)
		_, set := s.Values[key]
		if !set && t.Default == nil && t.Value == nil && strings.HasPrefix(key, s.Project+":") {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		noun := "value"
		if len(missing) > 1 {
			noun = "values"
		}
		return fmt.Errorf("Stack '%s' is missing configuration %s %s", stack, noun, quoteKeys(missing)) //nolint:staticcheck // the CLI's words

	}
	effective := s.Effective()
	for _, name := range names {
		t := s.project.Config[name]
		if !t.IsExplicitlyTyped() {
			continue
		}
		key := s.qualify(name)
		if t.Secret && !slices.Contains(s.SecretKeys, key) {
			return fmt.Errorf("Stack '%s' with configuration key '%s' must be encrypted as it's secret", stack, name) //nolint:staticcheck // the CLI's words
		}
		var content any = effective[key]
		if s.objects[key] || (!isSet(s.Values, key) && isCompound(t.Default)) {
			if err := json.Unmarshal([]byte(effective[key]), &content); err != nil {
				return err
			}
		}
		if !workspace.ValidateConfigValue(*t.Type, t.Items, content) {
			return fmt.Errorf("Stack '%s' with configuration key '%s' must be of type '%s'", //nolint:staticcheck // the CLI's words
				stack, name, workspace.InferFullTypeName(*t.Type, t.Items))
		}
	}
	return nil
}

func isSet(m map[string]string, key string) bool { _, ok := m[key]; return ok }

func isCompound(v any) bool {
	switch v.(type) {
	case nil, string, int, bool: // what the CLI stores as plain text
		return false
	}
	return true
}

// quoteKeys formats keys as the CLI does: 'a', 'b' and 'c'.
func quoteKeys(keys []string) string {
	var b strings.Builder
	for i, k := range keys {
		switch {
		case i == len(keys)-1:
			fmt.Fprintf(&b, "and '%s'", k)
		case i == len(keys)-2:
			fmt.Fprintf(&b, "'%s' ", k)
		default:
			fmt.Fprintf(&b, "'%s', ", k)
		}
	}
	if len(keys) == 1 {
		return "'" + keys[0] + "'"
	}
	return b.String()
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
	out := &StackConfig{Project: proj.Name.String(), Values: map[string]string{}, project: proj, objects: map[string]bool{}}
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
		out.objects[k.String()] = v.Object()
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
