package plan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rails-infra/rails-infra/infra"
	"github.com/rails-infra/rails-infra/internal/mockengine"
)

// Exit codes; scripts depend on them.
const (
	ExitOK         = 0
	ExitConfig     = 1 // invalid config (one line per problem on stderr) or the program failed
	ExitUsage      = 2
	ExitViolations = 3 // --check found violations that are not waived
)

// Formats lists the --format values.
var Formats = []string{"text", "json", "mermaid", "dot", "svg"}

const usage = `usage: rails-infra plan <stack> [--config-file FILE] [--format text|json|mermaid|dot|svg] [--out FILE] [--check]
  Runs the program 'pulumi up' runs, offline, and shows what it would build. No AWS access needed.
  (Run with no arguments only under the Pulumi CLI.)`

// Options are the parsed command-line flags.
type Options struct {
	Stack      string
	ConfigFile string
	Format     string
	Out        string
	Check      bool
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// ParseArgs parses `plan <stack> [flags]`; flags may come before or after the stack.
func ParseArgs(args []string) (Options, error) {
	o := Options{Format: "text"}
	var positional []string
	rest := args
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		name, val, hasVal := strings.Cut(a, "=")
		value := func() (string, error) {
			if hasVal {
				return val, nil
			}
			if i+1 >= len(rest) || strings.HasPrefix(rest[i+1], "--") {
				return "", usageError{fmt.Sprintf("flag %s needs a value", name)}
			}
			i++
			return rest[i], nil
		}
		var err error
		switch name {
		case "--config-file", "-config-file":
			o.ConfigFile, err = value()
		case "--format", "-format":
			o.Format, err = value()
			if err == nil && !slices.Contains(Formats, o.Format) {
				err = usageError{fmt.Sprintf("unknown format %q (want %s)", o.Format, strings.Join(Formats, "|"))}
			}
		case "--out", "-out":
			o.Out, err = value()
		case "--check", "-check":
			if hasVal {
				err = usageError{"--check takes no value"}
			}
			o.Check = true
		case "-h", "--help", "-help":
			err = usageError{"help"}
		default:
			if strings.HasPrefix(a, "-") {
				err = usageError{fmt.Sprintf("unknown flag %s", a)}
			} else {
				positional = append(positional, a)
			}
		}
		if err != nil {
			return o, err
		}
	}
	if len(positional) == 0 || positional[0] != "plan" {
		cmd := ""
		if len(positional) > 0 {
			cmd = positional[0]
		}
		return o, usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
	switch len(positional) {
	case 1:
		return o, usageError{"missing <stack>"}
	case 2:
		o.Stack = positional[1]
	default:
		return o, usageError{fmt.Sprintf("one stack expected, got %s", strings.Join(positional[1:], " "))}
	}
	return o, nil
}

// Main runs the plan command and returns the process exit code. program is main.go's
// composition — the exact program `pulumi up` runs.
func Main(args []string, stdout, stderr io.Writer, projectDir string,
	program func(*pulumi.Context, mockengine.ExportFunc) error) int {
	opts, err := ParseArgs(args)
	if err != nil {
		if err.Error() == "help" {
			_, _ = fmt.Fprintln(stdout, usage)
			return ExitOK
		}
		_, _ = fmt.Fprintf(stderr, "plan: %v\n%s\n", err, usage)
		return ExitUsage
	}
	if opts.ConfigFile == "" {
		if _, err := os.Stat(filepath.Join(projectDir, "Pulumi."+opts.Stack+".yaml")); err != nil {
			stacks, _ := mockengine.StackNames(projectDir)
			_, _ = fmt.Fprintf(stderr, "plan: no stack file Pulumi.%s.yaml in %s (stacks: %s)\n%s\n",
				opts.Stack, projectDir, strings.Join(stacks, ", "), usage)
			return ExitUsage
		}
	} else if _, err := os.Stat(opts.ConfigFile); err != nil {
		_, _ = fmt.Fprintf(stderr, "plan: --config-file: %v\n", err)
		return ExitUsage
	}

	g, err := Run(projectDir, opts.Stack, opts.ConfigFile, program)
	if err != nil {
		var cerr *infra.ConfigError
		if errors.As(err, &cerr) {
			for _, p := range cerr.Problems {
				_, _ = fmt.Fprintln(stderr, p.String())
			}
			return ExitConfig
		}
		_, _ = fmt.Fprintf(stderr, "plan: %v\n", err)
		return ExitConfig
	}

	var violations []Violation
	if opts.Check {
		violations = Check(g)
	}
	var buf bytes.Buffer
	if err := Render(&buf, g, opts.Format, opts.Out, opts.Check, violations); err != nil {
		_, _ = fmt.Fprintf(stderr, "plan: rendering %s: %v\n", opts.Format, err)
		return ExitConfig
	}
	if opts.Out != "" {
		if err := os.WriteFile(opts.Out, buf.Bytes(), 0o644); err != nil {
			_, _ = fmt.Fprintf(stderr, "plan: %v\n", err)
			return ExitUsage
		}
	} else if _, err := stdout.Write(buf.Bytes()); err != nil {
		return ExitConfig
	}
	open := 0
	for _, v := range violations {
		if !v.Waived {
			open++
		}
	}
	// Diagrams and files carry no violation list: say it where the user looks.
	if opts.Check && (opts.Out != "" || (opts.Format != "text" && opts.Format != "json")) {
		for _, v := range violations {
			_, _ = fmt.Fprintln(stderr, v.String())
		}
	}
	if open > 0 {
		return ExitViolations
	}
	return ExitOK
}

// Run loads the stack's config (a file in Pulumi's stack format), validates it, runs program on
// the recording engine and returns the graph. Config problems come back as *infra.ConfigError.
func Run(projectDir, stack, configFile string, program func(*pulumi.Context, mockengine.ExportFunc) error) (*Graph, error) {
	sc, err := mockengine.LoadStackConfig(projectDir, stack, configFile)
	if err != nil {
		return nil, err
	}
	// What the Pulumi CLI refuses before the program runs, the plan refuses too.
	if err := sc.Validate(stack); err != nil {
		return nil, err
	}
	// Parse first: it reports every problem at once and yields the waivers and environment
	// without registering anything.
	cfg, err := infra.Parse(infra.MapSource{Values: sc.Effective(), SecretKeys: sc.SecretKeys}, sc.Project, stack)
	if err != nil {
		return nil, err
	}
	opts := sc.Options(stack)
	// Route53 cannot be asked offline: every hosted-zone lookup is answered as found, and the
	// text output says so. `pulumi up` still fails early when the zone is missing.
	opts.Setup = func(r *mockengine.Recorder) {
		r.AnyZoneExists = true
		// With only a zone id the zone's name is unknown offline; name it after the
		// certificate's names so the lookup finds them inside, as it would for their real zone.
		if d := cfg.Domain; d.HostedZoneID != "" {
			r.HostedZones[zoneFor(append([]string{d.DomainName}, d.SubjectAlternativeNames...))] = d.HostedZoneID
		}
	}
	res, err := mockengine.Run(opts, program)
	if err != nil {
		return nil, fmt.Errorf("the program failed under the offline engine: %w", err)
	}
	g := FromResult(res)
	if !cfg.Service.HasImage() {
		if g, err = withFirstImage(g, opts, program); err != nil {
			return nil, err
		}
	}
	g.Environment = string(cfg.Environment)
	g.Region = cfg.Region
	g.Placeholders = sc.Placeholders
	g.Waivers = cfg.Policy.Waivers
	return g, nil
}

// withFirstImage plans a stack that has no image yet as its first image deploy makes it, so the
// diagram, the estimates and every --check rule cover the ECS service it will run. The program
// runs again with imageTag set to the tag the task definitions already name; what only that run
// registers is marked WithFirstImage. The outputs stay those of `now`: what `pulumi up` exports
// today, including the next step.
func withFirstImage(now *Graph, opts mockengine.Options, program func(*pulumi.Context, mockengine.ExportFunc) error) (*Graph, error) {
	opts.Config = maps.Clone(opts.Config)
	opts.Config[infra.Namespace+":imageTag"] = infra.PlaceholderImageTag
	res, err := mockengine.Run(opts, program)
	if err != nil {
		return nil, fmt.Errorf("the program failed under the offline engine with a first image: %w", err)
	}
	g := FromResult(res)
	g.ImagePending = true
	g.Outputs = now.Outputs
	for _, r := range g.Resources {
		r.WithFirstImage = now.ByURN(r.URN) == nil
	}
	return g, nil
}

// Render writes g in format. out is the destination file name ("" for stdout); a mermaid
// diagram written to a .md file is wrapped in a fenced block so Markdown viewers draw it.
func Render(w io.Writer, g *Graph, format, out string, check bool, violations []Violation) error {
	switch format {
	case "text":
		return writeText(w, g, check, violations)
	case "json":
		return writeJSON(w, g, check, violations)
	case "mermaid":
		m := Mermaid(g)
		if strings.HasSuffix(out, ".md") {
			m = fmt.Sprintf("# Architecture: %s stack\n\n<!-- Generated by `go run . plan %s --format mermaid --out %s`; do not edit. -->\n\n```mermaid\n%s```\n",
				g.Stack, g.Stack, filepath.ToSlash(filepath.Clean(out)), m)
		}
		_, err := io.WriteString(w, m)
		return err
	case "dot":
		_, err := io.WriteString(w, Dot(g))
		return err
	case "svg":
		svg, err := SVG(g)
		if err != nil {
			return err
		}
		_, err = w.Write(svg)
		return err
	}
	return fmt.Errorf("unknown format %q", format)
}

// zoneFor is the longest DNS suffix shared by every name (wildcards by their base): the
// deepest zone that could hold them all.
func zoneFor(names []string) string {
	var common []string
	for i, n := range names {
		labels := strings.Split(strings.TrimPrefix(n, "*."), ".")
		if i == 0 {
			common = labels
			continue
		}
		k := 0
		for k < len(common) && k < len(labels) && common[len(common)-1-k] == labels[len(labels)-1-k] {
			k++
		}
		common = common[len(common)-k:]
	}
	return strings.Join(common, ".")
}
