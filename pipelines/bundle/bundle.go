// Package bundle renders the text files of the platform bundle that every
// UnisonOS artifact carries: metadata.json, the platform.env template (with
// placeholders only, never a secret) and the bundle README. The compose file
// and services.json come from package compat, models.json from package models.
package bundle

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/project-unisonOS/unison-platform/pipelines/compat"
	"github.com/project-unisonOS/unison-platform/pipelines/version"
)

// InstallDir is where the bundle lives in every artifact (ISO target, VM
// disk, WSL root filesystem) and where the installers put it by default.
const InstallDir = "/opt/unison-platform"

// Placeholder marks a value the operator must set; the installers and the
// systemd unit refuse to start the platform while one is left.
const Placeholder = "CHANGE_ME"

// Input describes one bundle.
type Input struct {
	Version    string
	Flavor     string
	Commit     string
	CommitTime string // RFC 3339; becomes build_date and the files' mtime
	Set        *compat.Set
}

// Metadata is metadata.json.
type Metadata struct {
	Name            string            `json:"name"`
	Version         string            `json:"version"`
	PlatformVersion string            `json:"platform_version"`
	Flavor          string            `json:"flavor"`
	Commit          string            `json:"commit"`
	BuildDate       string            `json:"build_date"`
	Images          map[string]string `json:"images"`
}

// Validate checks the input and returns the commit time.
func (in Input) Validate() (time.Time, error) {
	if err := version.CheckLabel(in.Version); err != nil {
		return time.Time{}, err
	}
	t, err := version.ParseCommitTime(in.CommitTime)
	if err != nil {
		return time.Time{}, err
	}
	if in.Set == nil {
		return time.Time{}, fmt.Errorf("internal: no service set")
	}
	known := map[string]bool{}
	for _, kv := range in.envDefaults() {
		known[kv[0]] = true
	}
	for _, svc := range in.Set.Services {
		for _, k := range svc.Env {
			if !known[k] {
				return time.Time{}, fmt.Errorf("images/compat.yaml: services.%s.env: %s is not a key of platform.env (bundle.EnvDefaults)", svc.Name, k)
			}
		}
	}
	return t.UTC(), nil
}

// MetadataJSON renders metadata.json; the build date is the commit time.
func (in Input) MetadataJSON() ([]byte, error) {
	t, err := in.Validate()
	if err != nil {
		return nil, err
	}
	md := Metadata{
		Name: "unison-platform", Version: in.Version, PlatformVersion: in.Set.PlatformVersion,
		Flavor: in.Flavor, Commit: in.Commit, BuildDate: t.Format(time.RFC3339), Images: map[string]string{},
	}
	for _, s := range in.Set.Services {
		md.Images[s.Name] = in.Set.ImageRef(s)
	}
	b, err := json.MarshalIndent(md, "", "  ")
	return append(b, '\n'), err
}

// EnvTemplate renders platform.env.template: placeholders only.
func (in Input) EnvTemplate() []byte {
	var b strings.Builder
	b.WriteString("# UnisonOS platform environment: /etc/unison/platform.env (mode 0600, root).\n")
	b.WriteString("# The installers create it on the machine from this template, once: every secret\n")
	b.WriteString("# (keys ending in _SECRET, _PASSWORD, _PASS, _TOKEN, _KEY) left as " + Placeholder + " gets its own\n")
	b.WriteString("# 32 random bytes from the kernel (hex). Secrets live only there, never in an image.\n")
	b.WriteString("# Strict KEY=value lines: no spaces around '=', no quotes, no '$', no inline comments.\n")
	for _, kv := range in.envDefaults() {
		fmt.Fprintf(&b, "%s=%s\n", kv[0], kv[1])
	}
	return []byte(b.String())
}

// EnvDefaults are the keys of platform.env and their template values, in
// order. UNISON_MODELS_FILE and UNISON_MODELS_STORE are paths on the machine:
// compose mounts them where the service contract says (compat.ModelsFile,
// compat.ModelsStore); an offline medium's model store is served in place.
func EnvDefaults(flavor string, offline bool) [][2]string {
	store := compat.HostModelsStore
	if offline {
		store = OfflineModelsStore
	}
	return [][2]string{
		{"UNISON_AUTH_SECRET", Placeholder},
		{"UNISON_JWT_SECRET", Placeholder},
		{"UNISON_ADMIN_EMAIL", ""}, // optional: only a person knows it
		{"UNISON_MODEL_FLAVOR", flavor},
		{"UNISON_MODELS_FILE", compat.HostModelsFile},
		{"UNISON_MODELS_STORE", store},
		{"UNISON_LOG_LEVEL", "info"},
	}
}

// OfflineModelsStore is the model store an offline medium carries (its
// payload's models/ folder, installed with the bundle).
const OfflineModelsStore = InstallDir + "/offline/models"

func (in Input) envDefaults() [][2]string {
	return EnvDefaults(in.Flavor, in.Set != nil && in.Set.Offline)
}

// Readme renders the bundle's README.md.
func (in Input) Readme() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# UnisonOS platform bundle %s\n\n", in.Version)
	fmt.Fprintf(&b, "Platform %s, model flavor `%s`, commit `%s`.\n\n", in.Set.PlatformVersion, in.Flavor, in.Commit)
	b.WriteString("Install (as root), from this folder:\n\n")
	b.WriteString("    ./installer/install-docker.sh    # a host with Docker and compose v2\n")
	b.WriteString("    ./installer/install-native.sh    # Ubuntu: installs docker.io and docker-compose-v2 first\n")
	b.WriteString("    ./installer/install-wsl.sh       # inside a WSL distribution\n\n")
	b.WriteString("Each accepts --dry-run (print what would change) and --start. The installer\n")
	b.WriteString("creates /etc/unison/platform.env (mode 600) with every secret generated on this\n")
	b.WriteString("machine; an existing one is kept. The platform starts at boot, or now with\n")
	b.WriteString("--start or: systemctl start unison-platform\n\n")
	b.WriteString("Services:\n\n")
	for _, s := range in.Set.Services {
		fmt.Fprintf(&b, "- %s: %s (port %d, health %s)\n", s.Name, in.Set.ImageRef(s), s.Port, s.Health)
	}
	return []byte(b.String())
}

// ParseMetadata reads a bundle's metadata.json (the one on a medium, say)
// and checks its version label.
func ParseMetadata(b []byte) (Metadata, error) {
	var m Metadata
	if err := json.Unmarshal(b, &m); err != nil {
		return Metadata{}, fmt.Errorf("not valid JSON: %v", err)
	}
	if err := version.CheckLabel(m.Version); err != nil {
		return Metadata{}, fmt.Errorf("version: %w", err)
	}
	return m, nil
}
