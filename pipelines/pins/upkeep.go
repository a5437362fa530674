package pins

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The other pins besides the Ubuntu media: the container images the
// module builds and signs with (repo:tag@sha256:... in Go source) and the
// apt snapshot date of images/apt.yaml. Upkeep moves each to what its tag
// or the calendar says now; a person reviews the pull request.

// imageRefRE is a pinned image reference: repo:tag@sha256:hex, the repo
// with its registry host (docker.io/library/debian, ghcr.io/sigstore/...).
var imageRefRE = regexp.MustCompile(`\b([a-z0-9][a-z0-9.-]*(?::[0-9]+)?(?:/[a-z0-9._-]+)+):([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})@(sha256:[0-9a-f]{64})\b`)

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Resolver gives the digest a tag points at now.
type Resolver func(ctx context.Context, repo, tag string) (string, error)

// Change is one pin moved.
type Change struct {
	What, From, To string
}

func (c Change) String() string { return fmt.Sprintf("%s: %s -> %s", c.What, c.From, c.To) }

// UpdateDigests moves every repo:tag@sha256 reference of data to the digest
// its tag points at now (one lookup a reference); the tag itself never
// changes (a new version is a person's decision).
func UpdateDigests(ctx context.Context, data []byte, resolve Resolver) ([]byte, []Change, error) {
	var changes []Change
	var failed []string
	seen := map[string]string{}
	out := imageRefRE.ReplaceAllStringFunc(string(data), func(ref string) string {
		m := imageRefRE.FindStringSubmatch(ref)
		repo, tag, old := m[1], m[2], m[3]
		key := repo + ":" + tag
		now, ok := seen[key]
		if !ok {
			d, err := resolve(ctx, repo, tag)
			if err != nil {
				failed = append(failed, fmt.Sprintf("%s: %v", key, err))
				return ref
			}
			if !digestRE.MatchString(d) {
				failed = append(failed, fmt.Sprintf("%s: the registry answered digest %q", key, d))
				return ref
			}
			now, seen[key] = d, d
		}
		if now != old {
			changes = append(changes, Change{What: key, From: old, To: now})
		}
		return key + "@" + now
	})
	if len(failed) > 0 {
		return nil, nil, fmt.Errorf("image pins: could not read the current digest of:\n  %s", strings.Join(failed, "\n  "))
	}
	return []byte(out), changes, nil
}

// snapshotLineRE is the snapshot line of images/apt.yaml.
var snapshotLineRE = regexp.MustCompile(`(?m)^snapshot: ([0-9]{8}T[0-9]{6}Z)[ \t]*$`)

// UpdateSnapshot moves the apt snapshot of an apt.yaml to the start of the
// given UTC day (a snapshot's index never changes once the day is over,
// so the day before the run's is the newest complete one). A date before
// the pinned one is an error: snapshots only move forward.
func UpdateSnapshot(data []byte, day time.Time) ([]byte, []Change, error) {
	m := snapshotLineRE.FindSubmatchIndex(data)
	if m == nil {
		return nil, nil, fmt.Errorf("apt.yaml: no line snapshot: YYYYMMDDTHHMMSSZ to move")
	}
	old := string(data[m[2]:m[3]])
	pinned, err := time.Parse("20060102T150405Z", old)
	if err != nil {
		return nil, nil, fmt.Errorf("apt.yaml: snapshot %q: %v", old, err)
	}
	y, mo, d := day.UTC().Date()
	now := time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
	if now.Before(pinned) {
		return nil, nil, fmt.Errorf("apt.yaml: snapshot %s is newer than %s: snapshots only move forward", old, now.Format("2006-01-02"))
	}
	stamp := now.Format("20060102T150405Z")
	if stamp == old {
		return data, nil, nil
	}
	out := append(append(append([]byte{}, data[:m[2]]...), stamp...), data[m[3]:]...)
	return out, []Change{{What: "apt snapshot", From: old, To: stamp}}, nil
}
