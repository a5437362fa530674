package version

import (
	"fmt"
	"strings"
	"time"
)

// Label keys beyond the org.opencontainers.image.* set.
const (
	LabelDomain  = "unison.domain"
	LabelService = "unison.service"
	LabelChannel = "unison.channel"
)

// labels returns the OCI labels for the plan. created is the commit time, so
// rebuilding a commit gives byte-identical image configs.
func labels(in Input, p *Plan, sha string, created time.Time) map[string]string {
	title := in.Image
	if title == "" {
		title = in.Repo
	}
	if i := strings.LastIndex(title, "/"); i >= 0 {
		title = title[i+1:]
	}
	service := in.Service
	if service == "" {
		service = title
	}
	desc := in.Description
	if desc == "" {
		desc = fmt.Sprintf("UnisonOS %s", service)
	}
	license := in.License
	if license == "" {
		license = "NOASSERTION"
	}
	vendor := in.Vendor
	if vendor == "" {
		vendor = "UnisonOS"
	}
	source := in.Source
	if source == "" && in.Owner != "" && in.Repo != "" {
		source = fmt.Sprintf("https://github.com/%s/%s", in.Owner, in.Repo)
	}
	l := map[string]string{
		"org.opencontainers.image.title":       title,
		"org.opencontainers.image.description": desc,
		"org.opencontainers.image.version":     p.Version,
		"org.opencontainers.image.revision":    sha,
		"org.opencontainers.image.created":     created.Format(time.RFC3339),
		"org.opencontainers.image.licenses":    license,
		"org.opencontainers.image.vendor":      vendor,
		LabelService:                           service,
		LabelChannel:                           string(p.Channel),
	}
	if source != "" {
		l["org.opencontainers.image.source"] = source
		l["org.opencontainers.image.url"] = source
	}
	if in.Domain != "" {
		l[LabelDomain] = in.Domain
	}
	return l
}
