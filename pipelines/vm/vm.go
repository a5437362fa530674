// Package vm holds the logic of the Linux VM image: finding the root
// partition of an Ubuntu cloud image, and the first-boot unit, script and
// cloud-init defaults that are injected into it.
package vm

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/project-unisonOS/unison-platform/pipelines/ident"
)

// RootLabel is the filesystem label of Ubuntu cloud images' root partition.
const RootLabel = "cloudimg-rootfs"

// LinuxFSType is the GPT type GUID of a Linux filesystem partition.
const LinuxFSType = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"

// Partition is one entry of `sfdisk --json`.
type Partition struct {
	Node  string `json:"node"`
	Start int64  `json:"start"`
	Size  int64  `json:"size"`
	Type  string `json:"type"`
	Name  string `json:"name"`
	// Index is the partition number (1-based, from the node name).
	Index int `json:"-"`
	// Label is the filesystem label (blkid), filled in by the caller.
	Label string `json:"-"`
}

type sfdiskDoc struct {
	PartitionTable struct {
		Label      string      `json:"label"`
		SectorSize int64       `json:"sectorsize"`
		Partitions []Partition `json:"partitions"`
	} `json:"partitiontable"`
}

var nodeNum = regexp.MustCompile(`(\d+)$`)

// ParsePartitions reads `sfdisk --json` output.
func ParsePartitions(data []byte) ([]Partition, int64, error) {
	var d sfdiskDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, 0, fmt.Errorf("base-image: no readable partition table (sfdisk --json): %v", err)
	}
	if d.PartitionTable.Label != "gpt" {
		return nil, 0, fmt.Errorf("base-image: partition table is %q, want gpt (an Ubuntu cloud image)", d.PartitionTable.Label)
	}
	ss := d.PartitionTable.SectorSize
	if ss == 0 {
		ss = 512
	}
	parts := d.PartitionTable.Partitions
	for i := range parts {
		if m := nodeNum.FindStringSubmatch(parts[i].Node); m != nil {
			fmt.Sscan(m[1], &parts[i].Index)
		}
	}
	return parts, ss, nil
}

// FindRoot picks the root partition: the one whose filesystem label is
// cloudimg-rootfs, else the only one whose GPT name is; never "partition 1"
// by assumption (Ubuntu images also carry BIOS boot, ESP and /boot).
func FindRoot(parts []Partition) (Partition, error) {
	var byLabel, byName []Partition
	for _, p := range parts {
		if p.Label == RootLabel {
			byLabel = append(byLabel, p)
		}
		if p.Name == RootLabel && strings.EqualFold(p.Type, LinuxFSType) {
			byName = append(byName, p)
		}
	}
	switch {
	case len(byLabel) == 1:
		return byLabel[0], nil
	case len(byLabel) > 1:
		return Partition{}, fmt.Errorf("base-image: %d partitions are labelled %s; cannot tell which is root", len(byLabel), RootLabel)
	case len(byName) == 1:
		return byName[0], nil
	}
	var seen []string
	for _, p := range parts {
		seen = append(seen, fmt.Sprintf("#%d label=%q name=%q type=%s", p.Index, p.Label, p.Name, p.Type))
	}
	return Partition{}, fmt.Errorf("base-image: no root partition labelled %s (found: %s); is this an Ubuntu cloud image?", RootLabel, strings.Join(seen, "; "))
}

// ApplyLabels sets the filesystem labels of parts from "<number> <label>"
// lines (blkid's output, as scripts/vm-partitions.sh writes it).
func ApplyLabels(parts []Partition, lines string) {
	for _, l := range strings.Split(lines, "\n") {
		var idx int
		var label string
		if n, _ := fmt.Sscan(l, &idx, &label); n == 2 {
			for i := range parts {
				if parts[i].Index == idx {
					parts[i].Label = label
				}
			}
		}
	}
}

// Config is what the image is customized with.
type Config struct {
	Admin   ident.Admin
	Version string
	// Public: no operator credentials in the image; the admin user and
	// keys come from the hypervisor's datasource (e.g. nocloud-seed).
	Public bool
}

var (
	sizeRE = regexp.MustCompile(`^[1-9][0-9]*[MGT]$`)
)

// Check validates the inputs before any work: the admin identity (keys
// required: password login is off).
func (c Config) Check() error {
	if c.Public {
		if len(c.Admin.Keys) > 0 || c.Admin.PasswordHash != "" {
			return &ident.Error{Field: "admin", Msg: "a public image carries no operator credentials: leave out the keys and password (nocloud-seed gives them at first boot)"}
		}
		return nil
	}
	a := c.Admin.WithDefaults()
	if err := a.Check(); err != nil {
		return err
	}
	return a.RequireKeys("password login is off, so the VM would be unreachable")
}

// CheckSize validates a disk size like 32G.
func CheckSize(s string) error {
	if !sizeRE.MatchString(s) {
		return fmt.Errorf("disk-size %q: want a size like 32G, 8192M or 1T", s)
	}
	return nil
}

// CloudInit is /etc/cloud/cloud.cfg.d/99-unisonos.cfg: admin user with SSH
// keys, no password login, host name, root filesystem grown to the disk.
func (c Config) CloudInit() string {
	a := c.Admin.WithDefaults()
	var b strings.Builder
	b.WriteString("#cloud-config\n# UnisonOS defaults (linux-vm). A datasource may add to them.\n")
	fmt.Fprintf(&b, "hostname: %s\npreserve_hostname: false\nssh_pwauth: false\ndisable_root: true\n", a.Hostname)
	b.WriteString("users:\n  - default\n")
	if c.Public {
		// the users and their keys come from the datasource's user-data (nocloud-seed)
		b.WriteString("growpart:\n  mode: auto\n  devices: [\"/\"]\nresize_rootfs: true\n")
		return b.String()
	}
	fmt.Fprintf(&b, "  - name: %s\n    groups: [adm, sudo]\n    shell: /bin/bash\n    lock_passwd: true\n    sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n    ssh_authorized_keys:\n", a.User)
	for _, k := range a.Keys {
		kb, _ := json.Marshal(k)
		fmt.Fprintf(&b, "      - %s\n", kb)
	}
	b.WriteString("growpart:\n  mode: auto\n  devices: [\"/\"]\nresize_rootfs: true\n")
	return b.String()
}

// ResolvedConfig keeps systemd-resolved's name resolution to itself: no
// LLMNR or multicast DNS responder listening on every address (Ubuntu's
// default; Debian's answers on port 5355 of every interface).
const ResolvedConfig = "# UnisonOS: no LLMNR or mDNS responder (only SSH listens beyond loopback)\n[Resolve]\nLLMNR=no\nMulticastDNS=no\n"

// SSHDConfig turns off password logins for OpenSSH.
const SSHDConfig = "# UnisonOS: keys only\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin no\n"

// FirstbootUnit is unisonos-firstboot.service. It runs after cloud-init's
// config stage (users and keys exist), not after cloud-init.target: on Ubuntu
// cloud-final.service (and so cloud-init.target) is ordered after
// multi-user.target, which wants this unit, so systemd would break the cycle
// by dropping the first boot (seen when the stand-in gained cloud-init).
const FirstbootUnit = `[Unit]
Description=UnisonOS first boot: install what is missing, enable and start the platform
Wants=network-online.target
After=network-online.target cloud-config.service
ConditionPathExists=!/var/lib/unisonos/firstboot.done

[Service]
Type=oneshot
ExecStart=/opt/unison-platform/bin/unisonos-firstboot
RemainAfterExit=yes
StandardOutput=journal+console
TimeoutStartSec=900

[Install]
WantedBy=multi-user.target
`

// FirstbootScript runs once: installs Docker and compose v2 if missing,
// installs and enables the platform, starts it when platform.env is ready,
// and records a stamp so it never runs again.
//
//go:embed firstboot.sh
var FirstbootScript string
