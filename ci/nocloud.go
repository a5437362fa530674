package main

import (
	"context"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/nocloud"
	"github.com/project-unisonOS/unison-platform/pipelines/vm"
)

// Writes a NoCloud seed (seed.iso, volume cidata) that configures a VM disk with this build's admin identity at first boot.
//
// What cloud-localds makes: attach it next to the disk
// (qemu ... -drive file=seed.iso,format=raw,if=virtio) and cloud-init
// creates the admin user with the SSH keys of with-admin, password login off.
// Byte-reproducible: every timestamp is the build's commit time.
func (b *Build) NocloudSeed(ctx context.Context) (*dagger.File, error) {
	a, err := b.admin(ctx)
	if err != nil {
		return nil, err
	}
	cfg := vm.Config{Admin: a, Version: b.Version}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	meta, err := nocloud.MetaData("unisonos-"+a.Hostname, a.Hostname)
	if err != nil {
		return nil, err
	}
	return b.Root.nocloudSeed(cfg.CloudInit(), meta, b.epoch()).WithName("seed.iso"), nil
}

// nocloudSeed writes the seed ISO from the user-data and meta-data texts.
func (m *UnisonPlatform) nocloudSeed(userData, metaData, epoch string) *dagger.File {
	files := dag.Directory().WithNewFile("user-data", userData).WithNewFile("meta-data", metaData)
	c := m.isoTools().
		WithEnvVariable("SOURCE_DATE_EPOCH", epoch).
		WithEnvVariable("VOLUME_ID", nocloud.VolumeID).
		WithMountedDirectory("/in/seed", files)
	return runScript(c, "nocloud-seed.sh").File("/out/seed.iso")
}
