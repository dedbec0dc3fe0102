package infra

import (
	"fmt"
	"regexp"
	"strings"
)

// FieldProblem is one invalid setting, as a component's problems() method finds it. Each rule is
// written once, there; the config layer names the field by its config key and turns Fix into
// `pulumi config` commands, and a Go caller of NewX reads the same problem in terms of fields.
//
// Reason and the Note of a Fix may name other settings as {Field} (e.g. "{HealthCheckIntervalSeconds}");
// they are rendered as config keys or as field names, whoever reads them.
type FieldProblem struct {
	Field  string // Args field path: "VpcCidr", "OIDC.Issuer"
	Value  string // the offending value (an entry name for maps); "" when unset
	Reason string // what is wrong and what is allowed
	Fix    Fix
}

// FixOp is one kind of step in a Fix.
type FixOp int

const (
	// FixSet sets Field (or an entry of it, with Path) to Value.
	FixSet FixOp = iota
	// FixSetSecret sets Field (or an entry) to a secret the user supplies.
	FixSetSecret
	// FixRemove removes Field (or an entry of it).
	FixRemove
	// FixNote is free text (it may name settings as {Field}).
	FixNote
)

// FixStep is one step of a Fix.
type FixStep struct {
	Op    FixOp
	Field string
	Path  string // an entry of a map (".NAME") or list ("[0]"); "" for the whole setting
	Value string // FixSet: the value; FixSetSecret: a placeholder such as <client secret>; FixNote: the text
}

// Fix says how to correct a problem: Steps done together, or else Or.
type Fix struct {
	Steps []FixStep
	Or    []FixStep
}

// setTo is the fix "set field to value".
func setTo(field, value string) Fix {
	return Fix{Steps: []FixStep{{Op: FixSet, Field: field, Value: value}}}
}

// removeField is the fix "remove field".
func removeField(field string) Fix { return Fix{Steps: []FixStep{{Op: FixRemove, Field: field}}} }

// note is a fix said in words.
func note(text string) Fix { return Fix{Steps: []FixStep{{Op: FixNote, Value: text}}} }

// and appends steps done together with f's.
func (f Fix) and(g Fix) Fix { f.Steps = append(append([]FixStep{}, f.Steps...), g.Steps...); return f }

// or adds an alternative.
func (f Fix) or(g Fix) Fix { f.Or = append(append([]FixStep{}, f.Or...), g.Steps...); return f }

// problemList collects problems in the order rules run.
type problemList []FieldProblem

func (l *problemList) add(field, value, reason string, fix Fix) {
	*l = append(*l, FieldProblem{Field: field, Value: value, Reason: reason, Fix: fix})
}

// fieldRef is {Field}, {Group.Field} or a map entry's {Workers["sidekiq"].MinCount}.
var fieldRef = regexp.MustCompile(`\{([A-Z][A-Za-z0-9.]*(?:\["(?:[^"\\]|\\.)*"\](?:\.[A-Z][A-Za-z0-9]*)?)?)\}`)

// namer turns a field path into what its reader calls it: a config key, or "XArgs.Field".
type namer func(field string) string

func (n namer) text(s string) string {
	return fieldRef.ReplaceAllStringFunc(s, func(m string) string { return n(m[1 : len(m)-1]) })
}

// goNamer names fields of the Args type typeName, for errors returned to Go callers.
func goNamer(typeName string) namer {
	return func(field string) string { return typeName + "." + field }
}

// goFix renders a Fix as field assignments.
func (n namer) goFix(f Fix) string {
	step := func(s FixStep) string {
		switch s.Op {
		case FixSet:
			return fmt.Sprintf("set %s%s = %s", n(s.Field), s.Path, s.Value)
		case FixSetSecret:
			return fmt.Sprintf("set %s%s to a secret", n(s.Field), s.Path)
		case FixRemove:
			return fmt.Sprintf("unset %s%s", n(s.Field), s.Path)
		}
		return n.text(s.Value)
	}
	return joinFix(f, step)
}

func joinFix(f Fix, step func(FixStep) string) string {
	parts := make([]string, len(f.Steps))
	for i, s := range f.Steps {
		parts[i] = step(s)
	}
	out := strings.Join(parts, " && ")
	if len(f.Or) > 0 {
		alts := make([]string, len(f.Or))
		for i, s := range f.Or {
			alts[i] = step(s)
		}
		out += " (or " + strings.Join(alts, ", or ") + ")"
	}
	return out
}

// argsError is what NewX returns for invalid args: every problem, in terms of fields.
func argsError(typeName string, ps []FieldProblem) error {
	if len(ps) == 0 {
		return nil
	}
	n := goNamer(typeName)
	lines := []string{fmt.Sprintf("invalid %s (%d problem(s)):", typeName, len(ps))}
	for _, p := range ps {
		line := fmt.Sprintf("  - %s = %q: %s", n(p.Field), p.Value, n.text(p.Reason))
		if fix := n.goFix(p.Fix); fix != "" {
			line += " Fix: " + fix
		}
		lines = append(lines, line)
	}
	return fmt.Errorf("%s", strings.Join(lines, "\n"))
}
