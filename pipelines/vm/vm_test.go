package vm

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/project-unisonOS/unison-platform/pipelines/ident"
	"github.com/project-unisonOS/unison-platform/pipelines/offline"
)

// sfdisk --json of the Ubuntu 24.04 cloud image layout: root is #1 but sits
// after BIOS boot (#14), ESP (#15) and /boot (#16).
func TestFindRootUbuntuLayout(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "noble-sfdisk.json"))
	require.NoError(t, err)
	parts, ss, err := ParsePartitions(data)
	require.NoError(t, err)
	assert.Equal(t, int64(512), ss)
	require.Len(t, parts, 4)
	labels := map[int]string{1: "cloudimg-rootfs", 15: "UEFI", 16: "BOOT"}
	for i := range parts {
		parts[i].Label = labels[parts[i].Index]
	}
	root, err := FindRoot(parts)
	require.NoError(t, err)
	assert.Equal(t, 1, root.Index)
	assert.Equal(t, int64(2099200), root.Start)

	// the same disk with root renumbered: found by label, not by number
	parts[0].Index, parts[0].Node = 3, "disk.raw3"
	root, err = FindRoot(parts)
	require.NoError(t, err)
	assert.Equal(t, 3, root.Index)
}

func TestFindRootErrors(t *testing.T) {
	_, err := FindRoot([]Partition{{Index: 1, Label: "data", Type: LinuxFSType}})
	require.ErrorContains(t, err, "no root partition labelled cloudimg-rootfs")
	_, err = FindRoot([]Partition{{Index: 1, Label: RootLabel}, {Index: 2, Label: RootLabel}})
	require.ErrorContains(t, err, "2 partitions are labelled")
	root, err := FindRoot([]Partition{{Index: 2, Name: RootLabel, Type: "0fc63daf-8483-4772-8e79-3d69d8477de4"}})
	require.NoError(t, err)
	assert.Equal(t, 2, root.Index)
	_, _, err = ParsePartitions([]byte(`{"partitiontable":{"label":"dos","partitions":[]}}`))
	require.ErrorContains(t, err, `want gpt`)
	_, _, err = ParsePartitions([]byte(`not json`))
	require.ErrorContains(t, err, "no readable partition table")
}

func TestConfig(t *testing.T) {
	c := Config{Admin: ident.Admin{Keys: []string{" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl t\n"}}}
	require.NoError(t, c.Check())
	ci := c.CloudInit()
	assert.Contains(t, ci, "ssh_pwauth: false")
	assert.Contains(t, ci, "lock_passwd: true")
	assert.Contains(t, ci, "growpart:")
	assert.Contains(t, ci, `      - "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl t"`+"\n")
	assert.Contains(t, ci, "hostname: unisonos\n")
	assert.Contains(t, ci, "  - name: unison\n")
	for _, bad := range []Config{
		{Admin: ident.Admin{Hostname: "Bad_Host", User: "u", Keys: c.Admin.Keys}},
		{Admin: ident.Admin{Hostname: "h", User: "root", Keys: c.Admin.Keys}},
		{Admin: ident.Admin{Hostname: "h", User: "u"}},
		{Admin: ident.Admin{Hostname: "h", User: "u", Keys: []string{"nope"}}},
	} {
		assert.Error(t, bad.Check(), "%+v", bad)
	}
	require.NoError(t, CheckSize("32G"))
	require.Error(t, CheckSize("32GB"))
	require.Error(t, CheckSize("0G"))
}

func TestApplyLabels(t *testing.T) {
	parts := []Partition{{Index: 1}, {Index: 14}, {Index: 15}}
	ApplyLabels(parts, "1 cloudimg-rootfs\n14 \n15 UEFI\ngarbage\n")
	assert.Equal(t, []string{"cloudimg-rootfs", "", "UEFI"}, []string{parts[0].Label, parts[1].Label, parts[2].Label})
	root, err := FindRoot(parts)
	require.NoError(t, err)
	assert.Equal(t, 1, root.Index)
}

// On Ubuntu, cloud-final.service and cloud-init.target come after
// multi-user.target; a unit multi-user.target wants must not be ordered after
// them, or systemd drops it to break the cycle.
func TestFirstbootUnitHasNoOrderingCycle(t *testing.T) {
	var after []string
	for _, l := range strings.Split(FirstbootUnit, "\n") {
		if v, ok := strings.CutPrefix(l, "After="); ok {
			after = append(after, strings.Fields(v)...)
		}
	}
	assert.Contains(t, FirstbootUnit, "WantedBy=multi-user.target")
	assert.Contains(t, after, "cloud-config.service", "users and keys exist first")
	for _, late := range []string{"cloud-init.target", "cloud-final.service", "multi-user.target"} {
		assert.NotContains(t, after, late)
	}
}

// A public VM disk has no baked user or key: the datasource brings them.
func TestPublicCloudInit(t *testing.T) {
	c := Config{Public: true, Version: "v1.2.3"}
	require.NoError(t, c.Check())
	ci := c.CloudInit()
	assert.Contains(t, ci, "ssh_pwauth: false\n")
	assert.Contains(t, ci, "users:\n  - default\ngrowpart:")
	assert.NotContains(t, ci, "ssh_authorized_keys")
	assert.NotContains(t, ci, "NOPASSWD")
	c.Admin.Keys = []string{"ssh-ed25519 AAAA x"}
	require.ErrorContains(t, c.Check(), "carries no operator credentials")
}

// First boot installs, from the archive, what an offline medium carries for
// the same release (offline.Packages): one list per OS in both places.
func TestFirstbootPackagesMatchOffline(t *testing.T) {
	for osr, want := range map[string]string{
		"ID=ubuntu\nVERSION_ID=\"24.04\"\n": `  *) PKGS="%s" ;;`,
		"ID=debian\nVERSION_ID=\"13\"\n":    `  debian) PKGS="%s" ;;`,
	} {
		pkgs, err := offline.Packages(osr)
		require.NoError(t, err)
		assert.Contains(t, FirstbootScript, fmt.Sprintf(want, strings.Join(pkgs, " ")), osr)
	}
}
