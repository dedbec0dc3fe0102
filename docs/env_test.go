package docs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rails-infra/rails-infra/infra"
)

// appSetEnv are variables the docs read that the infra does not inject: each is documented as set by
// the user (appEnv), by Rails/Puma defaults, or only at build time.
// REDIS_URL is injected only on a stack with redis on (infra.RedisURLEnv).
var appSetEnv = []string{"APP_HOST", "RAILS_FORCE_SSL", "RAILS_MAX_THREADS", "SECRET_KEY_BASE_DUMMY", infra.RedisURLEnv}

var envRead = regexp.MustCompile(`ENV(?:\["|\.fetch\(")([A-Z][A-Z0-9_]*)"`)

func TestRailsConfigReadsOnlyTheVariablesTheInfraInjects(t *testing.T) {
	for _, file := range []string{"docs/rails.md", "README.ja.md"} {
		text, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(file)))
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for i, line := range strings.Split(string(text), "\n") {
			for _, m := range envRead.FindAllStringSubmatch(line, -1) {
				found++
				if !slices.Contains(infra.ReservedEnvNames, m[1]) && !slices.Contains(appSetEnv, m[1]) {
					t.Errorf("%s:%d reads ENV[%q], which the task definition never sets (it sets %v)",
						file, i+1, m[1], infra.ReservedEnvNames)
				}
			}
		}
		if found == 0 {
			t.Errorf("%s reads no ENV at all; the check found nothing to check", file)
		}
	}
}

func TestRailsGuideListsEveryInjectedVariable(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("..", "docs", "rails.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range infra.ReservedEnvNames {
		if !strings.Contains(string(text), "| `"+name+"` |") {
			t.Errorf("docs/rails.md has no table row for %s, which the task definition injects", name)
		}
	}
}

// injectedEnv is every plain env name containerDefinition in infra/service_taskdef.go puts in its
// `env := map[string]string{...}` literal, read with go/parser so the check follows the code, not a copy of it.
func injectedEnv(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join("..", "infra", "service_taskdef.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	ast.Inspect(f, func(n ast.Node) bool {
		fn, ok := n.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "containerDefinition" {
			return true
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			as, ok := n.(*ast.AssignStmt)
			if !ok || len(as.Lhs) != 1 || types.ExprString(as.Lhs[0]) != "env" {
				return true
			}
			lit, ok := as.Rhs[0].(*ast.CompositeLit)
			if !ok || types.ExprString(lit.Type) != "map[string]string" {
				t.Errorf("env in containerDefinition is no longer a map[string]string literal; update this test")
				return false
			}
			for _, el := range lit.Elts {
				switch k := el.(*ast.KeyValueExpr).Key.(type) {
				case *ast.BasicLit:
					name, _ := strconv.Unquote(k.Value)
					names = append(names, name)
				case *ast.Ident:
					if k.Name != "RolloutDigestEnv" {
						t.Errorf("env key %s in containerDefinition: teach this test its value", k.Name)
					}
					names = append(names, infra.RolloutDigestEnv)
				}
			}
			return false
		})
		return false
	})
	return names
}

func TestReservedEnvNamesAreExactlyWhatTheTaskDefinitionInjects(t *testing.T) {
	plain := injectedEnv(t)
	if len(plain) < 10 {
		t.Fatalf("found only %v in containerDefinition's env map; the parse is broken", plain)
	}
	// The two fixed secrets come from Secrets Manager (DATABASE_PASSWORD) and SSM (SECRET_KEY_BASE).
	got := slices.Sorted(slices.Values(append(plain, "DATABASE_PASSWORD", infra.SecretKeyBaseEnv)))
	want := slices.Sorted(slices.Values(infra.ReservedEnvNames))
	if !slices.Equal(got, want) {
		t.Errorf("the task definition injects %v, but infra.ReservedEnvNames (what docs and appEnv checks rely on) is %v", got, want)
	}
}
