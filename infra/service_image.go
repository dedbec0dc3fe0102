package infra

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	ecrx "github.com/pulumi/pulumi-awsx/sdk/v2/go/awsx/ecr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ecrLifecyclePolicy expires untagged images after a day and keeps the newest keep images.
type ecrLifecyclePolicy struct {
	Rules []ecrLifecycleRule `json:"rules"`
}

type ecrLifecycleRule struct {
	RulePriority int                `json:"rulePriority"`
	Description  string             `json:"description"`
	Selection    ecrLifecycleSelect `json:"selection"`
	Action       map[string]string  `json:"action"`
}

type ecrLifecycleSelect struct {
	TagStatus   string `json:"tagStatus"`
	CountType   string `json:"countType"`
	CountUnit   string `json:"countUnit,omitempty"`
	CountNumber int    `json:"countNumber"`
}

func lifecyclePolicy(keep int) (string, error) {
	b, err := json.Marshal(ecrLifecyclePolicy{Rules: []ecrLifecycleRule{
		{
			RulePriority: 1, Description: "Expire untagged images after 1 day",
			Selection: ecrLifecycleSelect{TagStatus: "untagged", CountType: "sinceImagePushed", CountUnit: "days", CountNumber: 1},
			Action:    map[string]string{"type": "expire"},
		},
		{
			// "any" must be the lowest-priority rule.
			RulePriority: 2, Description: fmt.Sprintf("Keep the newest %d images", keep),
			Selection: ecrLifecycleSelect{TagStatus: "any", CountType: "imageCountMoreThan", CountNumber: keep},
			Action:    map[string]string{"type": "expire"},
		},
	}})
	return string(b), err
}

func newRepository(ctx *pulumi.Context, name string, a AppServiceArgs, parent pulumi.ResourceOption) (*ecr.Repository, error) {
	mutability := "MUTABLE"
	if ProfileOf(a.Environment).ImmutableImageTags {
		mutability = "IMMUTABLE"
	}
	repo, err := ecr.NewRepository(ctx, name, &ecr.RepositoryArgs{
		ImageTagMutability:         pulumi.String(mutability),
		ImageScanningConfiguration: &ecr.RepositoryImageScanningConfigurationArgs{ScanOnPush: pulumi.Bool(true)},
		EncryptionConfigurations: ecr.RepositoryEncryptionConfigurationArray{&ecr.RepositoryEncryptionConfigurationArgs{
			EncryptionType: pulumi.String("AES256"),
		}},
		ForceDelete: pulumi.Bool(!ProfileOf(a.Environment).Protect),
	}, parent)
	if err != nil {
		return nil, err
	}
	policy, err := lifecyclePolicy(a.KeepImages)
	if err != nil {
		return nil, err
	}
	if _, err := ecr.NewLifecyclePolicy(ctx, name, &ecr.LifecyclePolicyArgs{
		Repository: repo.Name,
		Policy:     pulumi.String(policy),
	}, parent); err != nil {
		return nil, err
	}
	return repo, nil
}

// imageURI is the configured tag, a local build, or a placeholder that is never pulled: until
// an image is configured no service runs the task definitions.
func imageURI(ctx *pulumi.Context, name string, a AppServiceArgs, repo *ecr.Repository, parent pulumi.ResourceOption) (pulumi.StringOutput, error) {
	switch {
	case a.ImageTag != "":
		return pulumi.Sprintf("%s:%s", repo.RepositoryUrl, a.ImageTag), nil
	case a.AppBuildContext != "":
		dockerfile := a.AppDockerfile
		if dockerfile == "" {
			dockerfile = strings.TrimSuffix(a.AppBuildContext, "/") + "/Dockerfile"
		}
		buildArgs := map[string]string{"RAILS_ENV": "production", "PLATFORM": a.CPUArchitecture.DockerPlatform()}
		tag, err := sourceTag(a.AppBuildContext, dockerfile, a.CPUArchitecture.DockerPlatform(), buildArgs)
		if err != nil {
			return pulumi.StringOutput{}, err
		}
		img, err := ecrx.NewImage(ctx, name, &ecrx.ImageArgs{
			RepositoryUrl: repo.RepositoryUrl,
			// Without a tag awsx names the image from a hash of the build inputs (paths and
			// args), not of the sources: every rebuild would re-push one tag, which prod's
			// immutable repository rejects and which in dev leaves the old digest untagged for
			// the lifecycle rule to expire. The tag is a hash of the sources instead.
			ImageTag:   pulumi.String(tag),
			Context:    pulumi.String(a.AppBuildContext),
			Dockerfile: pulumi.String(dockerfile),
			Platform:   pulumi.String(a.CPUArchitecture.DockerPlatform()),
			// PLATFORM feeds rails/Dockerfile's FROM --platform, which otherwise defaults to amd64.
			Args: pulumi.ToStringMap(buildArgs),
		}, parent)
		if err != nil {
			return pulumi.StringOutput{}, err
		}
		return img.ImageUri, nil
	}
	return pulumi.Sprintf("%s:%s", repo.RepositoryUrl, PlaceholderImageTag), nil
}

// nextStep tells the user what to do next.
func nextStep(hasImage bool, a AppServiceArgs, repoURL, image pulumi.StringOutput) pulumi.StringOutput {
	platform := a.CPUArchitecture.DockerPlatform()
	return pulumi.All(repoURL, image).ApplyT(func(xs []any) string {
		repo := xs[0].(string)
		registry := repo[:max(strings.Index(repo, "/"), 0)]
		// Paste-ready from the app's directory: TAG is the commit, and PLATFORM matches cpuArchitecture.
		push := fmt.Sprintf("TAG=$(git rev-parse --short HEAD) && "+
			"aws ecr get-login-password --region %s | docker login --username AWS --password-stdin %s && "+
			"docker build --platform %s --build-arg PLATFORM=%s --build-arg RAILS_ENV=production -t %s:$TAG . && docker push %s:$TAG && "+
			"pulumi config set imageTag $TAG && pulumi up",
			a.Account.Region, registry, platform, platform, repo, repo)
		if !hasImage {
			return fmt.Sprintf("No image is configured, so no ECS service exists yet. Push the first image and deploy it: %s "+
				"(that pulumi up creates the service and waits until desiredCount (%d) tasks pass the health check).", push, *a.DesiredCount)
		}
		migrations := "Run migrations with the migrateCommand output."
		if a.MigrateBeforeDeploy {
			migrations = "pulumi up runs the migrations before the service rolls (migrateBeforeDeploy)."
		}
		if a.AppBuildContext != "" {
			return fmt.Sprintf("Running %s, built from %s on every pulumi up (needs Docker on this machine) and tagged %s<hash of the sources>. %s "+
				"Roll back to an earlier build by its tag (aws ecr describe-images --repository-name %s): "+
				"pulumi config rm appBuildContext && pulumi config set imageTag %s<hash> && pulumi up.",
				xs[1], a.AppBuildContext, SourceTagPrefix, migrations, repo[strings.Index(repo, "/")+1:], SourceTagPrefix)
		}
		return fmt.Sprintf("Running %s. Deploy a new version: %s. %s", xs[1], push, migrations)
	}).(pulumi.StringOutput)
}

// SourceTagPrefix starts the tag of an image built from appBuildContext; the rest is sourceTag's hash.
const SourceTagPrefix = "src-"

// sourceTag is the image tag of a local build: a hash of every file the build sees (the context
// less what its .dockerignore excludes, each file's path, executable bit and content), the
// Dockerfile, the platform and the build args. The same sources give the same tag, so a
// `pulumi up` without changes pushes nothing; changed sources give a new tag, so every build
// stays in ECR under its own tag (until KeepImages newer ones) and a rollback can name it.
func sourceTag(contextDir, dockerfile, platform string, buildArgs map[string]string) (string, error) {
	h := sha256.New()
	ignore, err := readDockerignore(contextDir)
	if err != nil {
		return "", err
	}
	add := func(kind, name string, r io.Reader) error {
		fmt.Fprintf(h, "%s\x00%s\x00", kind, name)
		if r == nil {
			return nil
		}
		_, err := io.Copy(h, r)
		h.Write([]byte{0})
		return err
	}
	err = filepath.WalkDir(contextDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(contextDir, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if ignore.skipsDir(rel) {
				return filepath.SkipDir
			}
			return nil
		}
		if ignore.excludes(rel) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return add("link", rel, strings.NewReader(target))
		case info.Mode().IsRegular():
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			return add(fmt.Sprintf("file %o", info.Mode().Perm()&0o111), rel, f)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("appBuildContext %q: hashing the sources for the image tag: %w", contextDir, err)
	}
	df, err := os.Open(dockerfile)
	if err != nil {
		return "", fmt.Errorf("appDockerfile %q: %w", dockerfile, err)
	}
	defer df.Close()
	if err := add("dockerfile", "", df); err != nil {
		return "", err
	}
	_ = add("platform", platform, nil)
	for _, k := range slices.Sorted(maps.Keys(buildArgs)) {
		_ = add("arg", k+"="+buildArgs[k], nil)
	}
	return SourceTagPrefix + hex.EncodeToString(h.Sum(nil))[:16], nil
}

// dockerignore is the subset of .dockerignore that sourceTag needs. It errs towards hashing
// more: a file hashed needlessly only costs a rebuild, a file missed would reuse a stale tag.
type dockerignore struct {
	rules []ignoreRule
	// all disables the ignore file when it has a pattern this reader cannot follow (**).
	all bool
}

type ignoreRule struct {
	pattern string
	negate  bool
}

func readDockerignore(contextDir string) (dockerignore, error) {
	b, err := os.ReadFile(filepath.Join(contextDir, ".dockerignore"))
	if os.IsNotExist(err) {
		return dockerignore{}, nil
	} else if err != nil {
		return dockerignore{}, err
	}
	var d dockerignore
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r := ignoreRule{}
		if strings.HasPrefix(line, "!") {
			r.negate, line = true, line[1:]
		}
		r.pattern = strings.Trim(path.Clean("/"+strings.TrimSpace(line)), "/")
		if strings.Contains(r.pattern, "**") {
			return dockerignore{all: true}, nil
		}
		if _, err := path.Match(r.pattern, ""); err != nil || r.pattern == "" {
			continue // docker rejects a malformed pattern; the build reports it
		}
		d.rules = append(d.rules, r)
	}
	return d, nil
}

// matches reports whether pattern matches rel or one of its parent directories.
func (r ignoreRule) matches(rel string) bool {
	for p := rel; p != "." && p != "/" && p != ""; p = path.Dir(p) {
		if ok, _ := path.Match(r.pattern, p); ok {
			return true
		}
	}
	return false
}

// excludes applies the rules in order; the last that matches decides, as in docker.
func (d dockerignore) excludes(rel string) bool {
	if d.all {
		return false
	}
	out := false
	for _, r := range d.rules {
		if r.matches(rel) {
			out = !r.negate
		}
	}
	return out
}

// skipsDir skips an excluded directory only when no "!" rule could bring back a file under it.
func (d dockerignore) skipsDir(rel string) bool {
	if !d.excludes(rel) {
		return false
	}
	depth := strings.Count(rel, "/") + 1
	for _, r := range d.rules {
		parts := strings.Split(r.pattern, "/")
		if !r.negate || len(parts) <= depth {
			continue
		}
		if ok, _ := path.Match(strings.Join(parts[:depth], "/"), rel); ok {
			return false
		}
	}
	return true
}
