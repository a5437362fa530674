package main

import (
	"context"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/dockerbuild"
)

// Sets Docker build options: build arguments, target stage, build secrets and the source repository of the labels.
func (s *ServiceImage) WithBuild(
	ctx context.Context,
	// Build arguments, NAME=VALUE (one a value, or several a line); never secrets: they stay in the image history.
	// +optional
	buildArgs []string,
	// Target stage of a multi-stage Dockerfile.
	// +optional
	target string,
	// Build secrets, one ID=VALUE a line, e.g. env:BUILD_SECRETS: each is mounted at /run/secrets/ID (RUN --mount=type=secret,id=ID), never in a layer or a log.
	// +optional
	secrets *dagger.Secret,
	// Repository URL for org.opencontainers.image.source (GitHub Actions: $GITHUB_SERVER_URL/$GITHUB_REPOSITORY); default https://github.com/OWNER/IMAGE-NAME.
	// +optional
	sourceUrl string,
) (*ServiceImage, error) {
	if _, err := dockerbuild.ParseArgs(buildArgs); err != nil {
		return nil, err
	}
	if secrets != nil {
		text, err := secrets.Plaintext(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := dockerbuild.ParseSecrets(text); err != nil {
			return nil, err
		}
	}
	c := *s
	c.BuildArgs, c.Target, c.BuildSecrets, c.SourceUrl = buildArgs, target, secrets, sourceUrl
	if _, err := c.plan(); err != nil {
		return nil, err
	}
	return &c, nil
}

// buildOpts are the DockerBuild options of every platform: each build
// secret becomes a Dagger secret named by its id.
func (s *ServiceImage) buildOpts(ctx context.Context) (dagger.DirectoryDockerBuildOpts, error) {
	o := dagger.DirectoryDockerBuildOpts{Dockerfile: s.Dockerfile, Target: s.Target}
	args, err := dockerbuild.ParseArgs(s.BuildArgs)
	if err != nil {
		return o, err
	}
	for _, a := range args {
		o.BuildArgs = append(o.BuildArgs, dagger.BuildArg{Name: a.Name, Value: a.Value})
	}
	if s.BuildSecrets == nil {
		return o, nil
	}
	text, err := s.BuildSecrets.Plaintext(ctx)
	if err != nil {
		return o, err
	}
	secrets, err := dockerbuild.ParseSecrets(text)
	if err != nil {
		return o, err
	}
	for _, id := range dockerbuild.IDs(secrets) {
		o.Secrets = append(o.Secrets, dag.SetSecret(id, secrets[id]))
	}
	return o, nil
}
