package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
)

// Builds and publishes the reference services: images/reference-service as every service of a platform version, at its tag.
//
// The reference service meets the service contract
// (docs/service-contract.md) as any service of images/compat.yaml: a
// platform that starts, passes qa-smoke and answers with the model of the
// mounted models.json before the real images exist (make demo). Each is
// built with service, as service repositories are, from the module's
// checkout (commit and commit time of HEAD), and pushed to
// REGISTRY/OWNER/<image>:<tag>; builds then name that registry in a copy of
// images/ (compat.yaml's registry). Prints the pushed references with digests.
//
// +cache="never"
func (l *Lab) ReferenceServices(
	ctx context.Context,
	// Registry host to push to, e.g. 10.87.0.1:5001.
	registry string,
	// Repository owner under the registry, e.g. reference.
	owner string,
	// Platform version whose services and tags are built; default: the newest of images/compat.yaml.
	// +optional
	platformVersion string,
	// Registry user name.
	// +optional
	username string,
	// Registry password or token, e.g. file:./password (a Dagger secret), as with-registry-auth --secret.
	// +optional
	secret *dagger.Secret,
) (string, error) {
	m := l.Root
	set, err := m.resolveSet(ctx, platformVersion, nil)
	if err != nil {
		return "", err
	}
	commit, when, err := m.gitCommit(ctx, "", "")
	if err != nil {
		return "", err
	}
	src := m.Images.Directory("reference-service")
	var out []string
	for _, svc := range set.Services {
		s, err := m.Service(src, svc.Image, "refs/tags/"+set.Tags[svc.Name], commit, when, nil, 0, "", "platform", svc.Port, "", nil)
		if err != nil {
			return "", fmt.Errorf("reference service %s: %w", svc.Name, err)
		}
		if s, err = s.WithRegistry(registry, owner); err != nil {
			return "", err
		}
		if username != "" {
			if s, err = s.WithRegistryAuth(username, secret); err != nil {
				return "", err
			}
		}
		refs, err := s.Publish(ctx, "text")
		if err != nil {
			return "", fmt.Errorf("reference service %s: %w", svc.Name, err)
		}
		exact := fmt.Sprintf("/%s:%s@", svc.Image, set.Tags[svc.Name])
		for _, r := range strings.Fields(refs) {
			if strings.Contains(r, exact) {
				out = append(out, svc.Name+" "+r)
			}
		}
	}
	return strings.Join(out, "\n") + "\n", nil
}
