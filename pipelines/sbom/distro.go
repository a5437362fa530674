package sbom

import (
	"regexp"
	"strings"
)

var diskInfoRE = regexp.MustCompile(`^([A-Za-z]+)[^ ]* (\d+\.\d+)`)

// Distro names the distribution of a package list for purls, as ID-VERSION_ID
// (ubuntu-24.04): from an os-release file, or from an Ubuntu ISO's .disk/info
// ("Ubuntu-Server 24.04.3 LTS ..."). Unknown: "".
func Distro(release string) string {
	id, ver := "", ""
	for _, l := range strings.Split(release, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(l), "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"'`)
		switch k {
		case "ID":
			id = v
		case "VERSION_ID":
			ver = v
		}
	}
	if id != "" {
		if ver == "" {
			return id
		}
		return id + "-" + ver
	}
	if m := diskInfoRE.FindStringSubmatch(strings.TrimSpace(release)); m != nil {
		return strings.ToLower(m[1]) + "-" + m[2]
	}
	return ""
}
