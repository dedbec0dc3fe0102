package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rails-infra/rails-infra/infra"
)

// ref is one config key or stack output named in a doc or script.
type ref struct {
	kind string // "config key" or "stack output"
	name string
	file string
	line int
}

// documented are the files a user reads or runs, relative to the repository root.
func documented(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md", "README.ja.md", "rails/README.md", "rails/Dockerfile",
		"rails/bin/docker-entrypoint", "scripts/deploy", "scripts/rollback"}
	mds, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil || len(mds) == 0 {
		t.Fatalf("no docs/*.md found (%v)", err)
	}
	for _, m := range mds {
		files = append(files, filepath.ToSlash(filepath.Join("docs", filepath.Base(m))))
	}
	return files
}

var (
	// pulumi stack output NAME / pulumi config set|get|rm KEY, with flags anywhere on the line.
	pulumiCmd = regexp.MustCompile("pulumi\\s+(stack\\s+output|config\\s+(?:set|get|rm))\\b([^|&;`\\n]*)")
	// rails-infra:KEY, but not a type token such as rails-infra:infra:AppService.
	namespaced = regexp.MustCompile(`rails-infra:([A-Za-z][A-Za-z0-9]*)\b(:[A-Za-z])?`)
	// "the `migrateCommand` output", "`execCommand` 出力", "stack output `url`".
	proseOutput = regexp.MustCompile("`([a-z][A-Za-z0-9]*)` (?:stack )?(?:output|出力)|outputs? `([a-z][A-Za-z0-9]*)`")
	identifier  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)
	// operandText is the part of a word that can be a name: "url`." -> "url", "$tag" -> "".
	operandText = regexp.MustCompile(`^-*[A-Za-z0-9_.:\[\]-]*`)
	// A documented example of a rejected, misspelled key.
	deliberatelyWrong = "is not a rails-infra setting"
)

// flagsWithValue take the next word as their value.
var flagsWithValue = map[string]bool{"--stack": true, "-s": true, "--type": true, "--cwd": true, "-C": true, "--config-file": true}

// extract returns every config key and stack output named in text.
func extract(file, text string) []ref {
	var refs []ref
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		if strings.Contains(line, deliberatelyWrong) {
			continue
		}
		for _, m := range pulumiCmd.FindAllStringSubmatch(line, -1) {
			kind := "config key"
			if strings.HasPrefix(m[1], "stack") {
				kind = "stack output"
			}
			if name, ok := firstOperand(m[2]); ok {
				if kind == "config key" {
					var keep bool
					if name, keep = configKey(name); !keep {
						continue
					}
				}
				refs = append(refs, ref{kind, name, file, n})
			}
		}
		for _, m := range namespaced.FindAllStringSubmatch(line, -1) {
			if m[2] == "" {
				refs = append(refs, ref{"config key", m[1], file, n})
			}
		}
		for _, m := range proseOutput.FindAllStringSubmatch(line, -1) {
			refs = append(refs, ref{"stack output", m[1] + m[2], file, n})
		}
	}
	return refs
}

// firstOperand is the first word of args that is not a flag or a flag's value, unquoted.
func firstOperand(args string) (string, bool) {
	words := strings.Fields(args)
	for i := 0; i < len(words); i++ {
		w := strings.TrimRight(operandText.FindString(strings.TrimLeft(words[i], `'"(`)), ".:")
		switch {
		case flagsWithValue[w]:
			i++
		case strings.HasPrefix(w, "-"), w == "":
		default:
			return w, true
		}
	}
	return "", false
}

// configKey reduces a config operand to the rails-infra key it sets: appEnv.APP_HOST -> appEnv,
// rails-infra:imageTag -> imageTag. Other namespaces (aws:region) and placeholders are skipped.
func configKey(operand string) (string, bool) {
	key := operand
	if ns, rest, ok := strings.Cut(key, ":"); ok {
		if ns != "rails-infra" {
			return "", false
		}
		key = rest
	}
	key, _, _ = strings.Cut(key, ".")
	key, _, _ = strings.Cut(key, "[")
	return key, identifier.MatchString(key)
}

// configKeys are the keys declared under config: in Pulumi.yaml.
// configKeys are the keys the program reads (declared in Pulumi.yaml or listed there as optional).
func configKeys(t *testing.T) []string {
	t.Helper()
	return infra.KnownKeys()
}

// exports are the stack outputs main.go exports, found as export("<name>" calls.
func exports(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`\bexport\("([A-Za-z][A-Za-z0-9]*)"`).FindAllStringSubmatch(string(src), -1) {
		names = append(names, m[1])
	}
	return names
}

// unknown returns the refs whose name is not in keys (config) or outputs (stack output).
func unknown(refs []ref, keys, outputs []string) []ref {
	var bad []ref
	for _, r := range refs {
		known := keys
		if r.kind == "stack output" {
			known = outputs
		}
		if !slices.Contains(known, r.name) {
			bad = append(bad, r)
		}
	}
	return bad
}

func TestDocsNameOnlyRealConfigKeysAndStackOutputs(t *testing.T) {
	keys, outputs := configKeys(t), exports(t)
	// The sources of truth must themselves be found, or every check below would pass vacuously.
	for _, want := range []string{"imageTag", "secretKeyBase", "appEnv", "appSecrets", "cpuArchitecture", "domainName"} {
		if !slices.Contains(keys, want) {
			t.Fatalf("Pulumi.yaml parse found %d keys without %q: %v", len(keys), want, keys)
		}
	}
	for _, want := range []string{"ecrRepositoryUrl", "clusterName", "serviceName", "logGroupName", "bucketName",
		"execCommand", "migrateCommand", "nextStep", "url", "certificateArn"} {
		if !slices.Contains(outputs, want) {
			t.Fatalf("main.go parse found exports %v, without %q", outputs, want)
		}
	}
	total := 0
	for _, file := range documented(t) {
		text, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(file)))
		if err != nil {
			t.Fatal(err)
		}
		refs := extract(file, string(text))
		total += len(refs)
		for _, r := range unknown(refs, keys, outputs) {
			t.Errorf("%s:%d names the %s %q, which does not exist (config keys: Pulumi.yaml; outputs: export(...) in main.go)",
				r.file, r.line, r.kind, r.name)
		}
	}
	if total < 50 {
		t.Errorf("found only %d references in the docs and scripts; the extractor is probably broken", total)
	}
}

func TestExtractFindsEveryFormOfReference(t *testing.T) {
	keys := []string{"imageTag", "appEnv", "secretKeyBase"}
	outputs := []string{"url", "clusterName"}
	cases := []struct {
		name, text string
		want       []ref // names and kinds only
		bad        []string
	}{
		{"a stack output with --stack before the name", `pulumi stack output --stack prod clusterName`,
			[]ref{{kind: "stack output", name: "clusterName"}}, nil},
		{"a stack output inside $(...) with --stack after", `"$(pulumi stack output bucketName --stack prod)"`,
			[]ref{{kind: "stack output", name: "bucketName"}}, []string{"bucketName"}},
		{"a secret config key", `pulumi config set --secret secretKeyBase "$(openssl rand -hex 64)"`,
			[]ref{{kind: "config key", name: "secretKeyBase"}}, nil},
		{"a --path key is checked by its top-level name", `pulumi config set --path 'appEnv.APP_HOST' x`,
			[]ref{{kind: "config key", name: "appEnv"}}, nil},
		{"a misspelled key is caught", `pulumi config set imagetag v1 --stack prod`,
			[]ref{{kind: "config key", name: "imagetag"}}, []string{"imagetag"}},
		{"a namespaced key in a stack file", `  rails-infra:natGateway: Single`,
			[]ref{{kind: "config key", name: "natGateway"}}, []string{"natGateway"}},
		{"a type token is not a key", `rails-infra:infra:AppService`, nil, nil},
		{"provider keys are not rails-infra keys", `pulumi config set aws:region ap-northeast-1`, nil, nil},
		{"a command in backticks ending a sentence", "open `pulumi stack output url`.",
			[]ref{{kind: "stack output", name: "url"}}, nil},
		{"a flag alone in backticks names nothing", "set with `pulumi config set --secret` is stored", nil, nil},
		{"an output named in English prose", "The `migrateCommand` output is the command.",
			[]ref{{kind: "stack output", name: "migrateCommand"}}, []string{"migrateCommand"}},
		{"an output named as a stack output in prose", "The `oidcRedirectUrl` stack output shows it.",
			[]ref{{kind: "stack output", name: "oidcRedirectUrl"}}, []string{"oidcRedirectUrl"}},
		{"an output named in Japanese prose", "`url` 出力", []ref{{kind: "stack output", name: "url"}}, nil},
		{"a documented rejected key is allowed", `rails-infra:natGateway = "Single": is not a rails-infra setting`, nil, nil},
		{"a script's variable operand is not a name", `pulumi config set imageTag "$tag" "${stack_args[@]}"`,
			[]ref{{kind: "config key", name: "imageTag"}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := extract("x.md", c.text)
			if len(got) != len(c.want) {
				t.Fatalf("extract(%q) = %v, want %v", c.text, got, c.want)
			}
			for i := range got {
				if got[i].kind != c.want[i].kind || got[i].name != c.want[i].name {
					t.Errorf("extract(%q)[%d] = %s %q, want %s %q", c.text, i, got[i].kind, got[i].name, c.want[i].kind, c.want[i].name)
				}
			}
			var bad []string
			for _, r := range unknown(got, keys, outputs) {
				bad = append(bad, r.name)
			}
			if !slices.Equal(bad, c.bad) {
				t.Errorf("unknown names in %q = %v, want %v", c.text, bad, c.bad)
			}
		})
	}
}

// The scripts run pulumi in the rails-infra checkout, where the docs' commands are typed, and build
// --app-dir (default: the current directory, which has no Dockerfile there).
func TestDocumentedDeployCommandsNameTheApp(t *testing.T) {
	deploy := regexp.MustCompile(`scripts/deploy( --[^\n|&;` + "`" + `]*)`)
	found := 0
	for _, file := range documented(t) {
		if !strings.HasSuffix(file, ".md") {
			continue
		}
		text, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(file)))
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(text), "\n") {
			for _, m := range deploy.FindAllStringSubmatch(line, -1) {
				found++
				if !strings.Contains(m[1], "--app-dir") && !strings.Contains(m[1], "--help") {
					t.Errorf("%s:%d: scripts/deploy%s has no --app-dir; from the rails-infra checkout it would find no Dockerfile", file, i+1, m[1])
				}
			}
		}
	}
	if found < 5 {
		t.Errorf("found only %d scripts/deploy commands in the docs; the pattern is probably broken", found)
	}
}
