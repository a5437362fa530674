package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/compat"
)

// Runs the built image against the platform's service contract before anything is pushed; fails naming each broken rule.
//
// What the compose file gives every service and expects back
// (docs/service-contract.md): the image runs as a non-root user, ships the
// health probe, starts as 65532:65532 with the contract's environment (and,
// for a models service, the models metadata and store mounted read-only),
// listens on its port and answers its health path with 200, and its probe
// fails when nothing answers. The health path, port and models flag come
// from images/compat.yaml when the image is one of its services. What only
// the installed platform proves (read-only root file system, no
// capabilities) is checked by qa-smoke.
func (s *ServiceImage) Contract(
	ctx context.Context,
	// Health path; default: images/compat.yaml's for this image, else /health.
	// +optional
	health string,
	// The service reads the platform's models (mounted read-only at the contract's paths); default: images/compat.yaml's.
	// +optional
	models bool,
	// Seconds the service has to answer its health path.
	// +optional
	// +default=60
	timeout int,
) (string, error) {
	if timeout < 1 {
		return "", fmt.Errorf("timeout %d: want seconds, at least 1", timeout)
	}
	svc, err := s.contractService(ctx, health, models)
	if err != nil {
		return "", err
	}
	p, err := s.plan()
	if err != nil {
		return "", err
	}
	variants, err := s.variants(ctx, p)
	if err != nil {
		return "", err
	}
	img := variants[0]
	var lines []string
	user, err := img.User(ctx)
	if err != nil {
		return "", err
	}
	if u, _, _ := strings.Cut(user, ":"); u == "" || u == "0" || u == "root" {
		lines = append(lines, fmt.Sprintf("FAIL user: the image runs as %q: services run as %s (USER %s in the Dockerfile)", user, compat.User, compat.User))
	} else {
		lines = append(lines, "ok user: the image runs as "+user)
	}
	probe, err := img.Rootfs().Glob(ctx, strings.TrimPrefix(compat.HealthCheck, "/"))
	if err != nil {
		return "", err
	}
	run := img.WithUser(compat.User).WithEnvVariable("UNISON_SERVICE", svc.Name).
		WithEnvVariable("UNISON_PORT", strconv.Itoa(svc.Port)).WithEnvVariable("UNISON_HEALTH", svc.Health)
	if svc.Models {
		mj, err := renderModels(ctx, s.Root.Images.File("models.yaml"), "images/models.yaml", "default")
		if err != nil {
			return "", err
		}
		run = run.WithEnvVariable("UNISON_MODELS_FILE", compat.ModelsFile).WithEnvVariable("UNISON_MODELS_STORE", compat.ModelsStore).
			WithMountedFile(compat.ModelsFile, dag.File("models.json", string(mj))).
			WithMountedDirectory(compat.ModelsStore, dag.Directory())
	}
	if len(probe) == 0 {
		lines = append(lines, "FAIL probe: no "+compat.HealthCheck+" (the contract's health probe: a program, no shell or curl in the image)")
	} else {
		// with nothing listening, the probe must say unhealthy
		code, err := run.WithExec([]string{compat.HealthCheck}, dagger.ContainerWithExecOpts{Expect: dagger.ReturnTypeAny}).ExitCode(ctx)
		if err != nil {
			return "", err
		}
		if code == 0 {
			lines = append(lines, "FAIL probe: "+compat.HealthCheck+" exits 0 while nothing answers: it must fail when the service is not healthy")
		} else {
			lines = append(lines, fmt.Sprintf("ok probe: %s exits %d while nothing answers", compat.HealthCheck, code))
		}
	}
	lines = append(lines, s.healthLine(ctx, run, svc, timeout))
	return contractReport(s.ImageName, lines)
}

// healthLine starts the image as a service and asks its health path from
// another container, as Docker's network would.
func (s *ServiceImage) healthLine(ctx context.Context, run *dagger.Container, svc compat.Service, timeout int) string {
	// no exposed port (the built image declares its own): the engine would
	// check it for minutes when the image never listens; the probe's
	// deadline (timeout) decides instead
	ports, err := run.ExposedPorts(ctx)
	if err != nil {
		return "FAIL start: " + lastLines(err.Error(), 2)
	}
	for _, p := range ports {
		n, err := p.Port(ctx)
		if err != nil {
			return "FAIL start: " + lastLines(err.Error(), 2)
		}
		proto, err := p.Protocol(ctx)
		if err != nil {
			return "FAIL start: " + lastLines(err.Error(), 2)
		}
		run = run.WithoutExposedPort(n, dagger.ContainerWithoutExposedPortOpts{Protocol: proto})
	}
	service := run.AsService(dagger.ContainerAsServiceOpts{UseEntrypoint: true})
	url := fmt.Sprintf("http://service:%d%s", svc.Port, svc.Health)
	ctx, cancel := context.WithTimeout(ctx, time.Duration(timeout+120)*time.Second)
	defer cancel()
	out, err := runScript(s.Root.tools().WithServiceBinding("service", service), "contract-probe.sh", url, strconv.Itoa(timeout), strconv.Itoa(svc.Port), compat.User).Stdout(ctx)
	if err != nil {
		return fmt.Sprintf("FAIL start: the image did not start listening on 0.0.0.0:%d as %s with the contract's environment: %s", svc.Port, compat.User, lastLines(err.Error(), 2))
	}
	return strings.TrimSpace(out)
}

// contractReport is the report, or an error holding it when a rule failed.
func contractReport(image string, lines []string) (string, error) {
	failed := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "FAIL") {
			failed++
		}
	}
	text := fmt.Sprintf("service contract %s (%s): %d checks, %d failed\n  %s\n", compat.ContractVersion, image, len(lines), failed, strings.Join(lines, "\n  "))
	if failed > 0 {
		return "", fmt.Errorf("%snothing was pushed: fix the image (docs/service-contract.md)", text)
	}
	return text, nil
}

// contractService is the service the image must be: images/compat.yaml's
// entry for this image, the arguments overriding it.
func (s *ServiceImage) contractService(ctx context.Context, health string, models bool) (compat.Service, error) {
	svc := compat.Service{Name: strings.TrimPrefix(s.ImageName, "unison-"), Image: s.ImageName, Port: s.ServicePort, Health: "/health"}
	set, err := s.Root.resolveSet(ctx, "", nil)
	if err != nil {
		return svc, err
	}
	for _, known := range set.Services {
		if known.Image == s.ImageName {
			svc = known
			if s.ServicePort > 0 && s.ServicePort != known.Port {
				return svc, fmt.Errorf("service-port %d: images/compat.yaml runs %s on port %d: use that port (or change compat.yaml)", s.ServicePort, s.ImageName, known.Port)
			}
		}
	}
	if health != "" {
		svc.Health = health
	}
	svc.Models = svc.Models || models
	if svc.Port == 0 {
		return svc, fmt.Errorf("service-port: %s is not a service of images/compat.yaml: give the port it listens on (service --service-port N)", s.ImageName)
	}
	if !strings.HasPrefix(svc.Health, "/") {
		return svc, fmt.Errorf("health %q: want a path such as /health", svc.Health)
	}
	return svc, nil
}
