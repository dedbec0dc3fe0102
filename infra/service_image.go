package infra

import (
	"encoding/json"
	"fmt"
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

// imageURI is the configured tag, a local build, or a placeholder that is never pulled
// (0 tasks) until an image is configured.
func imageURI(ctx *pulumi.Context, name string, a AppServiceArgs, repo *ecr.Repository, parent pulumi.ResourceOption) (pulumi.StringOutput, error) {
	switch {
	case a.ImageTag != "":
		return pulumi.Sprintf("%s:%s", repo.RepositoryUrl, a.ImageTag), nil
	case a.AppBuildContext != "":
		dockerfile := a.AppDockerfile
		if dockerfile == "" {
			dockerfile = strings.TrimSuffix(a.AppBuildContext, "/") + "/Dockerfile"
		}
		img, err := ecrx.NewImage(ctx, name, &ecrx.ImageArgs{
			RepositoryUrl: repo.RepositoryUrl,
			Context:       pulumi.String(a.AppBuildContext),
			Dockerfile:    pulumi.String(dockerfile),
			Platform:      pulumi.String(a.CPUArchitecture.DockerPlatform()),
			// PLATFORM feeds rails/Dockerfile's FROM --platform, which otherwise defaults to amd64.
			Args: pulumi.StringMap{"RAILS_ENV": pulumi.String("production"), "PLATFORM": pulumi.String(a.CPUArchitecture.DockerPlatform())},
		}, parent)
		if err != nil {
			return pulumi.StringOutput{}, err
		}
		return img.ImageUri, nil
	}
	return pulumi.Sprintf("%s:%s", repo.RepositoryUrl, PlaceholderImageTag), nil
}

// nextStep tells the user what to do next. On the first image deploy, Application Auto
// Scaling (registered after the service) raises the 0-task service to minCount, so
// `pulumi up` cannot wait for those first tasks: the message adds an explicit wait.
func nextStep(hasImage bool, a AppServiceArgs, repoURL, image, cluster, service pulumi.StringOutput) pulumi.StringOutput {
	platform := a.CPUArchitecture.DockerPlatform()
	return pulumi.All(repoURL, image, cluster, service).ApplyT(func(xs []any) string {
		repo := xs[0].(string)
		registry := repo[:max(strings.Index(repo, "/"), 0)]
		// Paste-ready from the app's directory: TAG is the commit, and PLATFORM matches cpuArchitecture.
		push := fmt.Sprintf("TAG=$(git rev-parse --short HEAD) && "+
			"aws ecr get-login-password --region %s | docker login --username AWS --password-stdin %s && "+
			"docker build --platform %s --build-arg PLATFORM=%s --build-arg RAILS_ENV=production -t %s:$TAG . && docker push %s:$TAG && "+
			"pulumi config set imageTag $TAG && pulumi up",
			a.Account.Region, registry, platform, platform, repo, repo)
		if !hasImage {
			return fmt.Sprintf("No image is configured, so the service runs 0 tasks. Push the first image and deploy it: %s && "+
				"aws ecs wait services-stable --region %s --cluster %s --services %s", push, a.Account.Region, xs[2], xs[3])
		}
		migrations := "Run migrations with the migrateCommand output."
		if a.MigrateBeforeDeploy {
			migrations = "pulumi up runs the migrations before the service rolls (migrateBeforeDeploy)."
		}
		if a.AppBuildContext != "" {
			return fmt.Sprintf("Running %s, built from %s on every pulumi up (needs Docker on this machine). %s", xs[1], a.AppBuildContext, migrations)
		}
		return fmt.Sprintf("Running %s. Deploy a new version: %s. %s", xs[1], push, migrations)
	}).(pulumi.StringOutput)
}
