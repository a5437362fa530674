# UnisonOS build and release system. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

DAGGER   := ./airgap/dagger
AIRGAP   := ./airgap/airgap.sh
OUT      ?= out
VERSION  ?= 0.0.0-dev
FLAVOR   ?= default
# the admin's SSH public key(s) baked into the ISO's autoinstall
SSH_KEY_FILE ?= $(firstword $(wildcard $(HOME)/.ssh/id_ed25519.pub $(HOME)/.ssh/id_rsa.pub))
# a real Ubuntu live-server ISO to remaster (default: the pinned download; the demo uses a stand-in)
BASE_ISO ?=

# Use the air-gapped engine when there is no Docker to run the dagger CLI's own engine.
HAVE_DOCKER := $(shell docker info >/dev/null 2>&1 && echo 1)
ifeq ($(HAVE_DOCKER),)
  ENGINE_MODE := airgap
  AIRGAP_RUN := $(or $(UNISON_AIRGAP_DIR),/var/cache/unison-airgap)/run
  # the air-gapped registry mirrors docker.io/library/debian:bookworm (the tools)
  # and debian:trixie (the OS: Debian 13 ships Docker and Compose v2 as Ubuntu
  # 24.04 does), and serves cosign built from the Go module proxy: each by the
  # digest each engine start records (read when a recipe runs, after
  # engine-if-needed started it)
  TOOLS_IMAGE ?= $(shell cat $(AIRGAP_RUN)/debian-image 2>/dev/null || echo debian:bookworm)
  OS_IMAGE ?= $(shell cat $(AIRGAP_RUN)/debian13-image 2>/dev/null || echo debian:trixie)
  COSIGN_IMAGE ?= $(shell cat $(AIRGAP_RUN)/cosign-image 2>/dev/null || echo 10.87.0.1:5001/sigstore/cosign:v2.4.1)
  # packages that ship come from the Debian archive the engine may reach, not a snapshot service
  APT_PINS ?= airgap/apt.yaml
  # the demo's platform: the reference services go to the engine's own registry (plain HTTP), the VM pulls them from there
  DEMO_REGISTRY ?= 10.87.0.1:5001
  DEMO_REGISTRY_AUTH ?= --username unison --secret file:$(AIRGAP_RUN)/registry-password
else ifeq ($(UNISON_ENGINE),docker)
  # the lab's Docker mode (airgap/docker.sh env): Docker as users have it, the
  # same offline mirror, registry and apt source as the air-gapped engine
  TOOLS_IMAGE ?= $(UNISON_DEBIAN_IMAGE)
  OS_IMAGE ?= $(UNISON_DEBIAN13_IMAGE)
  COSIGN_IMAGE ?= $(UNISON_COSIGN_IMAGE)
  APT_PINS ?= airgap/apt.yaml
  DEMO_REGISTRY ?= $(UNISON_DOCKER_REGISTRY)
  DEMO_REGISTRY_AUTH ?= --username $(UNISON_REGISTRY_USER) --secret file:$(UNISON_REGISTRY_PASSWORD_FILE)
endif
# build inputs (compat.yaml, models.yaml, ...): default the module's images/
IMAGES ?=
MODULE_ARGS = $(if $(TOOLS_IMAGE),--tools-image=$(TOOLS_IMAGE)) $(if $(OS_IMAGE),--os-image=$(OS_IMAGE)) $(if $(COSIGN_IMAGE),--cosign-image=$(COSIGN_IMAGE)) $(if $(APT_PINS),--apt-pins=$(APT_PINS)) $(if $(IMAGES),--images=$(IMAGES))
CALL = $(DAGGER) call --progress=plain $(MODULE_ARGS)

.PHONY: standins engine-prune demo-platform engine-if-needed release-dry-run baremetal-iso image-wsl linux-vm linux-vm-offline qa-smoke help engine engine-stop engine-status demo test test-unit test-integration test-airgap lint generate check-generated bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

engine: ## build (first time ~10 min) and start the air-gapped Dagger engine (root)
	$(AIRGAP) start

engine-stop: ## stop the air-gapped engine and undo every host change
	$(AIRGAP) stop

engine-status:
	@$(AIRGAP) status

engine-prune: ## empty the engine's build cache (after "no space left on device"; the next builds start cold)
	$(DAGGER) core engine local-cache prune
	@df -h $(if $(filter airgap,$(ENGINE_MODE)),$(or $(UNISON_AIRGAP_DIR),/var/cache/unison-airgap),/) | tail -1

engine-if-needed:
ifeq ($(ENGINE_MODE),airgap)
	@$(AIRGAP) status >/dev/null 2>&1 || $(AIRGAP) start
endif

# one build identity for every artifact; commit and commit time come from the checkout
BUILD = build --version $(VERSION) --flavor $(FLAVOR)
ADMIN = with-admin --ssh-authorized-keys-file $(SSH_KEY_FILE)

demo: engine-if-needed ## run the main job on offline stand-in inputs, boot the VM and show the platform up in it
	@mkdir -p $(OUT)/demo
	$(CALL) lab toolbox versions | tee $(OUT)/toolbox-versions.txt
	$(CALL) lab standin-iso export --path $(OUT)/demo/standin-live-server.iso
	@test -f $(OUT)/demo/demo_ed25519.pub || ssh-keygen -q -t ed25519 -N '' -C unison-demo -f $(OUT)/demo/demo_ed25519
	$(MAKE) --no-print-directory baremetal-iso BASE_ISO=$(OUT)/demo/standin-live-server.iso SSH_KEY_FILE=$(OUT)/demo/demo_ed25519.pub
	$(MAKE) --no-print-directory image-wsl
	$(CALL) $(BUILD) bundle export --path $(OUT)/bundle/unison-platform-bundle-$(VERSION).tar.gz
	$(CALL) qa iso --iso $(OUT)/iso/unisonos-baremetal-$(VERSION).iso report export --path $(OUT)/qa-iso
	@cat $(OUT)/qa-iso/summary.txt
	$(MAKE) --no-print-directory demo-platform
	@echo; echo "outputs are in $(abspath $(OUT)):"; find $(abspath $(OUT)) -type f | sort

# a registry the engine pushes to and a VM pulls from over plain HTTP (air-gapped: the engine's own)
DEMO_REGISTRY ?=
DEMO_REGISTRY_AUTH ?=

demo-platform: engine-if-needed ## the platform running: reference services published, the VM built, booted and checked (qa-smoke)
	@test -n "$(DEMO_REGISTRY)" || { echo "set DEMO_REGISTRY=host:port: a registry the engine and a VM reach over plain HTTP (e.g. docker run -d -p 5000:5000 registry:2 and your machine's LAN address)"; exit 2; }
	@mkdir -p $(OUT)/demo
	@test -f $(OUT)/demo/demo_ed25519.pub || ssh-keygen -q -t ed25519 -N '' -C unison-demo -f $(OUT)/demo/demo_ed25519
	$(CALL) lab reference-services --registry $(DEMO_REGISTRY) --owner demo $(DEMO_REGISTRY_AUTH) | tee $(OUT)/demo/reference-services.txt
	@# the build inputs with the services' registry pointed at them
	rm -rf $(OUT)/demo/images && cp -r images $(OUT)/demo/images
	sed -i 's|^registry: .*|registry: $(DEMO_REGISTRY)/demo|' $(OUT)/demo/images/compat.yaml
	$(CALL) lab standin-cloud-image export --path $(OUT)/demo/standin-cloudimg.qcow2
	$(CALL) lab probe-boot export --path $(OUT)/demo/probe
	$(MAKE) --no-print-directory linux-vm IMAGES=$(OUT)/demo/images BASE_IMAGE=$(OUT)/demo/standin-cloudimg.qcow2 SSH_KEY_FILE=$(OUT)/demo/demo_ed25519.pub
	@# first boot installs Docker and Compose v2 from the archive, compose pulls the services; the checks run in the guest
	$(MAKE) --no-print-directory qa-smoke QA_ARGS="--boot-files $(OUT)/demo/probe --insecure-registry $(DEMO_REGISTRY)"
	@echo; echo "the platform in the VM, as compose reported it:"; sed -n '/^--- compose ps/,/^--- network/p' $(OUT)/qa/guest.log | sed '1d;$$d'

# the git ref a release is planned for
REF ?= refs/tags/v0.6.0

standins: engine-if-needed ## stand-ins for Ubuntu's media (live-server ISO, cloud image) and the probe kernel that boots them, in OUT/demo
	@mkdir -p $(OUT)/demo
	@test -f $(OUT)/demo/standin-live-server.iso || $(CALL) lab standin-iso export --path $(OUT)/demo/standin-live-server.iso
	@test -f $(OUT)/demo/standin-cloudimg.qcow2 || $(CALL) lab standin-cloud-image export --path $(OUT)/demo/standin-cloudimg.qcow2
	@# the stand-in disk has no boot loader: QA boots it with the probe kernel
	$(CALL) lab probe-boot export --path $(OUT)/demo/probe

release-dry-run: standins ## build, verify and plan a release of REF on stand-in inputs, push nothing; prints PLAN.txt
	$(CALL) release --ref $(REF) \
	  with-base-iso --file $(OUT)/demo/standin-live-server.iso with-base-image --file $(OUT)/demo/standin-cloudimg.qcow2 \
	  with-qa --boot-files $(OUT)/demo/probe \
	  dry-run export --path $(OUT)/release
	@cat $(OUT)/release/PLAN.txt

baremetal-iso: engine-if-needed ## the installer ISO into $(OUT)/iso (SSH_KEY_FILE=..., BASE_ISO=... optional)
	@test -n "$(SSH_KEY_FILE)" || { echo "set SSH_KEY_FILE to your SSH public key (ed25519 recommended)"; exit 2; }
	$(CALL) $(BUILD) $(ADMIN) iso $(if $(BASE_ISO),--base-iso $(BASE_ISO)) export --path $(OUT)/iso

# a base cloud image to customize (default: the pinned download; the demo uses a stand-in)
BASE_IMAGE ?=
VM_IMAGE ?= $(OUT)/vm/unisonos-linux-vm-$(VERSION).qcow2

linux-vm: engine-if-needed ## the VM disk (qcow2 + vmdk) into $(OUT)/vm (SSH_KEY_FILE=..., BASE_IMAGE=... optional)
	@test -n "$(SSH_KEY_FILE)" || { echo "set SSH_KEY_FILE to your SSH public key (ed25519 recommended)"; exit 2; }
	$(CALL) $(BUILD) $(ADMIN) vm --vmdk $(if $(BASE_IMAGE),--base-image $(BASE_IMAGE)) export --path $(OUT)/vm

# a model store to put on the offline disk (an ollama models directory; optional)
MODELS_STORE ?=

linux-vm-offline: engine-if-needed ## the offline VM disk into $(OUT)/vm-offline: Docker, the service images and MODELS_STORE on it (needs the service registry)
	@test -n "$(SSH_KEY_FILE)" || { echo "set SSH_KEY_FILE to your SSH public key (ed25519 recommended)"; exit 2; }
	$(CALL) $(BUILD) $(ADMIN) with-offline $(if $(MODELS_STORE),--models-store $(MODELS_STORE)) vm $(if $(BASE_IMAGE),--base-image $(BASE_IMAGE)) export --path $(OUT)/vm-offline

qa-smoke: engine-if-needed ## boot $(VM_IMAGE) and run the in-guest checks of the platform (health, inference, containers, reboot); report in $(OUT)/qa
	$(CALL) qa vm --image $(VM_IMAGE) $(QA_ARGS) report export --path $(OUT)/qa
	@cat $(OUT)/qa/summary.txt; grep -q PASSED $(OUT)/qa/summary.txt

image-wsl: engine-if-needed ## the WSL rootfs, .wsl and bundle into $(OUT)/wsl
	$(CALL) $(BUILD) wsl export --path $(OUT)/wsl

# tests of interrupted pushes need the registry's fault endpoint: an engine started for the tests has it
test test-integration: export UNISON_AIRGAP_TEST_FAULTS ?= 1

test: test-airgap engine-if-needed lint test-unit check-generated test-integration ## every test: lint, unit, bindings up to date, integration on the engine

test-airgap: ## air-gapped mode's lifecycle (root): failed starts undo every host change, stale pid files, tampered source (restarts a running engine)
ifeq ($(ENGINE_MODE),airgap)
	./airgap/lifecycle-test.sh
endif

test-unit: ## unit tests, no engine
	go test ./pipelines/... ./airgap/... ./images/...
	cd ci && go build ./... && go vet ./...
	go vet ./...

RUN ?=

test-integration: ## integration tests on the running engine (skip without one, fail in CI); RUN=regexp for some
	go test -count=1 -timeout 88m -v $(if $(RUN),-run '$(RUN)') ./integration/

lint: ## shellcheck + actionlint + gofmt
	@command -v shellcheck >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -q >/dev/null && apt-get install -y -q shellcheck >/dev/null; } || { echo "shellcheck is missing: apt-get install shellcheck"; exit 1; }
	shellcheck -x $$(git ls-files '*.sh') airgap/dagger .ci/run
	@# every script of the module and of pipelines/ is a file: none hides in a Go string
	@! grep -nE '"(sh|bash)", "-c", `' $$(git ls-files 'ci/*.go' 'pipelines/*.go') || { echo "shell script in a Go string: move it to a .sh file"; exit 1; }
	@# actionlint 1.7.12 (the newest) predates concurrency's queue key (GitHub, May 2026): that one message is expected
	go run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12 -ignore 'unexpected key "queue" for "concurrency" section' .github/workflows/*.yml docs/examples/*.yml
	@test -z "$$(gofmt -l pipelines airgap integration images ci/*.go)" || { gofmt -l pipelines airgap integration images ci/*.go; exit 1; }

generate: ## regenerate the committed Dagger bindings (ci/dagger.gen.go, ci/internal)
	$(DAGGER) develop --progress=plain

check-generated: ## fail if the committed bindings are stale
	@cp ci/dagger.gen.go /tmp/unison-dagger.gen.go.before
	$(DAGGER) develop --progress=plain
	@git diff --exit-code -- ci/internal ci/go.mod ci/go.sum dagger.json || { echo "generated Dagger bindings are stale: run make generate and commit"; exit 1; }
	@# v0.19.7's codegen orders the functions of ci/dagger.gen.go differently from run to run:
	@# compare its lines as a set, then keep the committed order
	@diff <(LC_ALL=C sort /tmp/unison-dagger.gen.go.before) <(LC_ALL=C sort ci/dagger.gen.go) >/dev/null || { git diff --stat -- ci/dagger.gen.go; echo "ci/dagger.gen.go is stale: run make generate and commit"; exit 1; }
	@cp /tmp/unison-dagger.gen.go.before ci/dagger.gen.go
	@echo "generated Dagger bindings are up to date"

# e.g. BENCH_ARGS="-runs 5 -cold-runs 3 -artifacts iso,vm"
BENCH_ARGS ?=

bench: engine-if-needed ## benchmarks: every artifact cold/warm/incremental vs host-native baselines, and the Go logic (ratios)
	go test -run '^$$' -bench . -benchmem -count 3 ./pipelines/... | tee /tmp/unison-bench.txt
	@go run ./pipelines/internal/benchratio < /tmp/unison-bench.txt
	go run ./integration/bench $(BENCH_ARGS)
