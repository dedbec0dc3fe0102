package infra

// Legacy readers for the sections not yet converted to tagged Args fields. Each conversion
// deletes its section's reader; this file goes when the last one does.

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// legacyKeys and legacyDefaults describe the unconverted sections by running their readers on
// empty input.
func legacyDescribe(env Environment) *reader {
	r := &reader{src: MapSource{}, read: map[string]bool{}, defaults: map[string]string{}}
	c := &Config{Environment: env}
	r.legacySections(c)
	return r
}

func legacyKeys() []string {
	keys := []string{}
	for k := range legacyDescribe(EnvDev).read {
		if !strings.Contains(k, ":") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func (r *reader) legacySections(c *Config) {
	r.database(c)
	r.service(c)
}

func (r *reader) legacyCrossChecks(c *Config) {
	r.serviceCrossChecks(c)
}

func (r *reader) noteDefault(key string, def any) {
	if r.defaults == nil {
		return
	}
	switch d := def.(type) {
	case []string:
		if d == nil {
			r.defaults[key] = ""
			return
		}
		b, _ := json.Marshal(d)
		r.defaults[key] = string(b)
	default:
		r.defaults[key] = fmt.Sprint(d)
	}
}

func (r *reader) str(key, def string) string {
	if v, ok := r.raw(key); ok {
		return strings.TrimSpace(v)
	}
	r.noteDefault(key, def)
	return def
}

func (r *reader) integer(key string, def, lo, hi int, example string) int {
	v, ok := r.raw(key)
	if !ok {
		r.noteDefault(key, def)
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		r.fail(key, v, fmt.Sprintf("must be a whole number from %d to %d.", lo, hi), setFix(key, example))
		return def
	}
	if n < lo || n > hi {
		r.fail(key, v, fmt.Sprintf("must be from %d to %d.", lo, hi), setFix(key, example))
	}
	return n
}

// oneOfInt accepts only the listed values (e.g. CloudWatch retention days).
func (r *reader) oneOfInt(key string, def int, allowed []int) int {
	v, ok := r.raw(key)
	if !ok {
		r.noteDefault(key, def)
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || !slices.Contains(allowed, n) {
		r.fail(key, v, fmt.Sprintf("must be one of %s.", joinInts(allowed)), setFix(key, strconv.Itoa(def)))
		return def
	}
	return n
}

func (r *reader) boolean(key string, def bool) bool {
	v, ok := r.raw(key)
	if !ok {
		r.noteDefault(key, def)
		return def
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true
	case "false":
		return false
	}
	r.fail(key, v, "must be true or false.", setFix(key, strconv.FormatBool(def)))
	return def
}

// enum accepts exactly one of allowed (case-sensitive, as AWS and awsx are).
func (r *reader) enum(key, def, hint string, allowed ...string) string {
	v, ok := r.raw(key)
	if !ok {
		r.noteDefault(key, def)
		return def
	}
	v = strings.TrimSpace(v)
	if !slices.Contains(allowed, v) {
		reason := fmt.Sprintf("must be one of %s.", strings.Join(allowed, " | "))
		if hint != "" {
			reason += " " + hint
		}
		// Suggest the value the user most likely meant: the same word in the right case, else
		// the default (allowed[0] may be a value that is only valid with other settings).
		fix := def
		for _, a := range allowed {
			if strings.EqualFold(a, v) {
				fix = a
			}
		}
		r.fail(key, v, reason, setFix(key, fix))
		return def
	}
	return v
}

// stringList reads a YAML/JSON array of strings.
func (r *reader) stringList(key string, def []string, example string) []string {
	v, ok := r.raw(key)
	if !ok {
		r.noteDefault(key, def)
		return def
	}
	var out []string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		r.fail(key, v, "must be a list of strings.", fmt.Sprintf("pulumi config set --path '%s[0]' %s", key, example))
		return def
	}
	return out
}

// stringMap reads a YAML/JSON object of string values.
func (r *reader) stringMap(key, example string) map[string]string {
	v, ok := r.raw(key)
	if !ok {
		return map[string]string{}
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		r.fail(key, v, "must be a map of NAME: value.", fmt.Sprintf("pulumi config set --path '%s.%s'", key, example))
		return map[string]string{}
	}
	out := make(map[string]string, len(raw))
	for k, x := range raw {
		switch x := x.(type) {
		case string:
			out[k] = x
		case float64, bool:
			out[k] = fmt.Sprint(x)
		default:
			r.fail(key, v, fmt.Sprintf("entry %q must be a string, number or boolean, not a nested value.", k),
				fmt.Sprintf("pulumi config set --path '%s.%s'", key, example))
		}
	}
	return out
}

// secret reads a value that must be stored with `pulumi config set --secret`.
// The result is always wrapped as a Pulumi secret.
func (r *reader) secret(key string) Secret {
	v, ok := r.raw(key)
	if !ok {
		return Secret{}
	}
	if !r.src.IsSecret(qualify(key)) {
		r.problems = append(r.problems, Problem{
			Key: qualify(key), Secret: true,
			Reason: "is stored in plain text in the stack file; it must be a secret.",
			Fix:    fmt.Sprintf("pulumi config rm %s && pulumi config set --secret %s <value>", key, key),
		})
	}
	return Secret{Set: true, Value: pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput)}
}

// Secret is a config value that is only ever handled as a Pulumi secret.
type Secret struct {
	Set   bool
	Value pulumi.StringOutput
}
