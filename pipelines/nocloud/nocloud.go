// Package nocloud renders the files of a cloud-init NoCloud seed: the volume
// labelled "cidata" holding meta-data and user-data, what cloud-localds
// writes. Attached to a VM as a second drive it configures the guest at
// first boot with no network datasource.
package nocloud

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"gopkg.in/yaml.v3"
)

// VolumeID is the volume label cloud-init looks for.
const VolumeID = "cidata"

var instanceRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// MetaData is the seed's meta-data. A new instance-id makes cloud-init run
// its first-boot modules again on a disk that already booted once.
func MetaData(instanceID, hostname string) (string, error) {
	if !instanceRE.MatchString(instanceID) {
		return "", fmt.Errorf("instance-id %q: want 1-63 letters, digits, dots, dashes or underscores", instanceID)
	}
	if !instanceRE.MatchString(hostname) {
		return "", fmt.Errorf("hostname %q: want 1-63 letters, digits, dots, dashes or underscores", hostname)
	}
	return fmt.Sprintf("instance-id: %s\nlocal-hostname: %s\n", instanceID, hostname), nil
}

// DefaultUserKeys is user-data that adds SSH keys to the image's default
// user (ubuntu on Ubuntu cloud images) and sets nothing else, so the image's
// own cloud-init configuration (its users, ssh_pwauth: false) still applies.
// qa-smoke logs in with it.
func DefaultUserKeys(keys []string) (string, error) {
	if len(keys) == 0 {
		return "", fmt.Errorf("ssh keys: give at least one public key")
	}
	var b strings.Builder
	b.WriteString("#cloud-config\nssh_authorized_keys:\n")
	for _, k := range keys {
		k = strings.TrimSpace(k)
		if k == "" || strings.ContainsAny(k, "\n\r") {
			return "", fmt.Errorf("ssh keys: %q is not one public key line", k)
		}
		kb, _ := json.Marshal(k) // a JSON string is a YAML scalar
		fmt.Fprintf(&b, "  - %s\n", kb)
	}
	return b.String(), nil
}

// InsecureRegistries is user-data to append to DefaultUserKeys' that lets
// the guest's Docker pull from the given registries (host:port) over plain
// HTTP: cloud-init writes /etc/docker/daemon.json before first boot installs
// Docker, which reads it when it starts. For a lab's or site's registry
// without TLS; images never carry it (qa-smoke's seed only).
func InsecureRegistries(registries []string) (string, error) {
	if len(registries) == 0 {
		return "", nil
	}
	for _, r := range registries {
		reg, err := name.NewRegistry(r, name.StrictValidation)
		if err != nil || reg.RegistryStr() != r || strings.Contains(r, "/") {
			return "", fmt.Errorf("insecure-registry %q: want a registry host[:port] with no scheme or path, like 10.0.0.5:5000", r)
		}
	}
	daemon, err := json.Marshal(map[string][]string{"insecure-registries": registries})
	if err != nil {
		return "", err
	}
	doc := map[string]any{"write_files": []map[string]string{{
		"path": "/etc/docker/daemon.json", "permissions": "0644", "content": string(daemon) + "\n",
	}}}
	out, err := yaml.Marshal(doc)
	return string(out), err
}
