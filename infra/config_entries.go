package infra

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Maps of structs: a setting such as workers is a map of NAME -> settings, each entry a struct
// whose fields are tagged `config:"key"` like an Args struct's. The reader here is generic: it
// walks the entry type by reflection, so a new map-of-struct setting needs only its types.
//
// A problem with one entry names its key path (workers.sidekiq.cpu): rules return FieldProblems
// for the entry's own fields and entryProblems prefixes them with the entry, as
// `Workers["sidekiq"].CPU`, which the config layer renders as the key path and Go callers read
// as Go.

// entryFieldPath matches a field path into a map entry: Workers["sidekiq"] or Workers["sidekiq"].CPU.
var entryFieldPath = regexp.MustCompile(`^([A-Z][A-Za-z0-9]*)\[("(?:[^"\\]|\\.)*")\](?:\.([A-Z][A-Za-z0-9]*))?$`)

// entryField is the field path of an entry of the map field (sub "" for the entry itself).
func entryField(field, name, sub string) string {
	p := fmt.Sprintf("%s[%q]", field, name)
	if sub != "" {
		p += "." + sub
	}
	return p
}

// entryProblems prefixes the problems of one entry, found by its own type's rules, with the
// entry: fields, {Field} references and fix steps all move under field[name].
func entryProblems(field, name string, ps []FieldProblem) []FieldProblem {
	prefix := func(f string) string { return entryField(field, name, f) }
	refs := func(s string) string {
		return fieldRef.ReplaceAllStringFunc(s, func(m string) string { return "{" + prefix(m[1:len(m)-1]) + "}" })
	}
	steps := func(in []FixStep) []FixStep {
		out := make([]FixStep, len(in))
		for i, s := range in {
			if s.Op == FixNote {
				s.Value = refs(s.Value)
			} else {
				s.Field = prefix(s.Field)
			}
			out[i] = s
		}
		return out
	}
	out := make([]FieldProblem, len(ps))
	for i, p := range ps {
		out[i] = FieldProblem{Field: prefix(p.Field), Value: p.Value, Reason: refs(p.Reason),
			Fix: Fix{Steps: steps(p.Fix.Steps), Or: steps(p.Fix.Or)}}
	}
	return out
}

// simpleEntryName is an entry name that needs no quoting in a `--path` (letters, digits, _ and -).
var simpleEntryName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// entryPath is the `pulumi config --path` form of key.name[.sub].
func entryPath(key, name, sub string) string {
	p := key + "." + name
	if !simpleEntryName.MatchString(name) {
		p = key + "[" + strconv.Quote(name) + "]"
	}
	if sub != "" {
		p += "." + sub
	}
	return p
}

// entryKey renders Workers["sidekiq"].CPU as workers.sidekiq.cpu.
func (n configNames) entryKey(field, quoted, sub string) string {
	name, err := strconv.Unquote(quoted)
	if err != nil {
		panic(fmt.Sprintf("%s: bad entry name %s", field, quoted))
	}
	key := n.key(field)
	if sub == "" {
		return entryPath(key, name, "")
	}
	sf, ok := n.t.FieldByName(field)
	if !ok || sf.Type.Kind() != reflect.Map || sf.Type.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("%s.%s is not a map of settings", n.t.Name(), field))
	}
	subKey := keyOf(sf.Type.Elem(), sub)
	if subKey == "" {
		panic(fmt.Sprintf("%s.%s has no config key", sf.Type.Elem().Name(), sub))
	}
	return entryPath(key, name, subKey)
}

// parseEntries reads a map of NAME -> object into a map of structs, field by field. Every entry
// problem (not an object, an unknown setting, a value of the wrong form) is reported here by its
// key path; the entries' rules run later, with the section's.
func (r *reader) parseEntries(f field, raw string, target reflect.Value) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(raw), &m) != nil {
		return false
	}
	mapType := target.Type()
	elem := mapType.Elem()
	subs := fieldsOf(elem, "")
	known := make([]string, len(subs))
	for i, s := range subs {
		known[i] = s.key
	}
	out := reflect.MakeMapWithSize(mapType, len(m))
	for _, name := range slices.Sorted(maps.Keys(m)) {
		var settings map[string]json.RawMessage
		if json.Unmarshal(m[name], &settings) != nil || settings == nil {
			r.fail(entryPath(f.key, name, ""), string(m[name]),
				fmt.Sprintf("must be an object of settings (%s).", strings.Join(known, ", ")),
				fmt.Sprintf("pulumi config set --path '%s' %s", entryPath(f.key, name, subs[0].key), subs[0].example))
			continue
		}
		entry := reflect.New(elem).Elem()
		var zeros []field
		for _, k := range slices.Sorted(maps.Keys(settings)) {
			key := entryPath(f.key, name, k)
			i := slices.Index(known, k)
			if i < 0 {
				reason := fmt.Sprintf("is not a setting of %s entries (%s), so it would be ignored.", f.key, strings.Join(known, ", "))
				if near := closest(k, known); near != "" {
					reason += fmt.Sprintf(" Did you mean %q?", near)
				}
				r.fail(key, string(settings[k]), reason, fmt.Sprintf("pulumi config rm --path '%s'", key))
				continue
			}
			sub := subs[i]
			sub.key = key
			text := jsonText(settings[k])
			v := entry.FieldByIndex(sub.index)
			if !r.parse(sub, text, v) {
				r.entryFormProblem(sub, text, v.Type())
				v.SetZero()
				if r.malformedEntry == nil {
					r.malformedEntry = map[string]bool{}
				}
				r.malformedEntry[key] = true
				continue
			}
			if v.Kind() != reflect.Pointer && v.IsZero() {
				zeros = append(zeros, sub)
			}
		}
		out.SetMapIndex(reflect.ValueOf(name), entry)
		if len(zeros) > 0 {
			r.rezero = append(r.rezero, func() {
				e := reflect.New(elem).Elem()
				e.Set(target.MapIndex(reflect.ValueOf(name)))
				for _, z := range zeros {
					e.FieldByIndex(z.index).SetZero()
				}
				target.SetMapIndex(reflect.ValueOf(name), e)
			})
		}
	}
	target.Set(out)
	return true
}

// jsonText is a JSON value as the config layer reads scalars: strings unquoted, the rest as JSON.
func jsonText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// entryFormProblem reports an entry setting of the wrong form, with a fix that sets an example.
func (r *reader) entryFormProblem(f field, raw string, t reflect.Type) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	example := f.example
	switch t.Kind() {
	case reflect.Slice:
		r.fail(f.key, raw, "must be a list of strings.", fmt.Sprintf("pulumi config set --path '%s[0]' %s", f.key, orText(example, "<value>")))
	case reflect.Bool:
		r.fail(f.key, raw, "must be true or false.", fmt.Sprintf("pulumi config set --path '%s' %s", f.key, orText(example, "true")))
	default:
		r.fail(f.key, raw, "must be a whole number.", fmt.Sprintf("pulumi config set --path '%s' %s", f.key, orText(example, "1")))
	}
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
