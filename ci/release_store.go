package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
)

// The release's files as streams: a directory served over HTTP, read by the
// module while it hashes and pushes them, so that no copy of gigabytes of
// artifacts is written anywhere. Two servers: a tools container serving a
// directory of the engine (what this DAG built, or --dir), and the
// publishing runner's own disk (--server: the artifact jobs' outputs as
// actions/download-artifact left them, served by python3 -m http.server).

// maxSmall bounds what is read whole into memory: records, payload lists.
const maxSmall = 16 << 20

// fileStore reads the files of one directory served over HTTP.
type fileStore struct {
	svc  *dagger.Service
	base string
}

// serveDir serves a directory of the engine over HTTP from a tools
// container (python3's http.server: streams, no copy).
func (m *UnisonPlatform) serveDir(dir *dagger.Directory) *dagger.Service {
	return m.tools().WithMountedDirectory("/srv", dir).WithExposedPort(8080).
		AsService(dagger.ContainerAsServiceOpts{Args: []string{"python3", "-m", "http.server", "--bind", "0.0.0.0", "--directory", "/srv", "8080"}})
}

// openStore starts the server and finds its address.
func openStore(ctx context.Context, svc *dagger.Service, what string) (*fileStore, error) {
	if _, err := svc.Start(ctx); err != nil {
		return nil, fmt.Errorf("%s: start: %w", what, err)
	}
	ep, err := svc.Endpoint(ctx, dagger.ServiceEndpointOpts{Scheme: "http"})
	if err != nil {
		return nil, fmt.Errorf("%s: endpoint: %w", what, err)
	}
	return &fileStore{svc: svc, base: strings.TrimSuffix(ep, "/")}, nil
}

func (s *fileStore) close(ctx context.Context) { s.svc.Stop(ctx) }

func (s *fileStore) get(ctx context.Context, name string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/"+url.PathEscape(name), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read %q from %s: %w (a file server of the folder must be running: python3 -m http.server PORT --bind 127.0.0.1 --directory DIR, given as --server tcp://localhost:PORT)", "/"+name, s.base, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("%s: %s from the file server %s", name, resp.Status, s.base)
	}
	return resp, nil
}

// names are the files the server lists (its index page).
func (s *fileStore) names(ctx context.Context) ([]string, error) {
	page, err := s.small(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("listing: %w", err)
	}
	return release.IndexNames(page)
}

// small reads a file of at most maxSmall bytes.
func (s *fileStore) small(ctx context.Context, name string) (string, error) {
	resp, err := s.get(ctx, name)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxSmall+1))
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	if len(b) > maxSmall {
		return "", fmt.Errorf("%s: over %d MiB, not a record", name, maxSmall>>20)
	}
	return string(b), nil
}

// open streams a file (ociartifact.File.Open).
func (s *fileStore) open(ctx context.Context, name string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		resp, err := s.get(ctx, name)
		if err != nil {
			return nil, err
		}
		return resp.Body, nil
	}
}

// records are the jobs' records the server lists (built-*.json), and the
// names of the other files.
func (s *fileStore) records(ctx context.Context) ([]release.Built, []string, error) {
	names, err := s.names(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("with-artifacts: %w", err)
	}
	return parseRecords(names, func(name string) (string, error) { return s.small(ctx, name) })
}

// served is the fanned-out release read from the publishing runner's disk
// (with-artifacts --server): every file hashed as it streams by, compared
// with its job's record, and the parts of the split ones hashed in the same
// pass. Nothing of the artifacts is written in the engine; the release
// directory holds the notes, checksums, signatures and statements, and the
// GitHub Release attaches the jobs' files (release-assets.sh splits them).
func (r *Release) served(ctx context.Context, p *prepared, s *fileStore) (*made, error) {
	recs, files, err := s.records(ctx)
	if err != nil {
		return nil, err
	}
	small := dag.Directory() // the JSON files (offline payload list): what PLAN.txt and the notes read
	asm, err := release.Assemble(r.expect(true), recs)
	if err != nil {
		return nil, fmt.Errorf("with-artifacts: %w", err)
	}
	v, rel, err := r.hashServed(ctx, s, files, asm.Files)
	if err != nil {
		return nil, fmt.Errorf("with-artifacts: %w", err)
	}
	for _, n := range files {
		if strings.HasSuffix(n, ".json") {
			data, err := s.small(ctx, n)
			if err != nil {
				return nil, fmt.Errorf("with-artifacts: %w", err)
			}
			small = small.WithNewFile(n, data)
		}
	}
	return &made{Built: &builtRelease{Files: small, Tree: p.Tree, Store: s}, Verified: v, Split: rel, QA: asm.QA, Evidence: asm.Evidence}, nil
}

// hashServed reads every served file once: its SHA-256 and its parts' must
// be the ones its job recorded (the job verified and boot-checked those
// bytes); a file no job recorded, or a recorded one missing, is refused
// before anything is read.
func (r *Release) hashServed(ctx context.Context, s *fileStore, names []string, recorded []release.Asset) (*verifiedRelease, *splitRelease, error) {
	sidecars, err := servedNames(names, recorded)
	if err != nil {
		return nil, nil, err
	}
	recorded = slices.Clone(recorded)
	slices.SortFunc(recorded, func(a, b release.Asset) int { return strings.Compare(a.Name, b.Name) }) // as verify.sh lists them
	limit, partSize := r.limits().Bytes()
	var listed []release.Asset
	var report strings.Builder
	report.WriteString("Every file as the publishing job read it, hashed while it streamed, against the record of the job that built,\nverified and boot-checked it (built-<artifact>.json):\n\n")
	rel := &splitRelease{Dir: dag.Directory()}
	for _, a := range recorded {
		planned, err := release.SplitPlan(a, limit, partSize)
		if err != nil {
			return nil, nil, err
		}
		resp, err := s.get(ctx, a.Name)
		if err != nil {
			return nil, nil, err
		}
		got, parts, err := release.Digest(a.Name, resp.Body, planned)
		resp.Body.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("%w (its job recorded %d bytes)", err, a.Size)
		}
		if side, ok := sidecars[a.Name]; ok {
			line, err := s.small(ctx, side)
			if err != nil {
				return nil, nil, err
			}
			if f := strings.Fields(line); len(f) == 0 || f[0] != got.SHA256 {
				return nil, nil, fmt.Errorf("VERIFY FAILED %s: SHA-256 %s, its %s says %q", a.Name, got.SHA256, side, strings.TrimSpace(line))
			}
		}
		listed = append(listed, got)
		fmt.Fprintf(&report, "%s: %d bytes, SHA-256 %s\n", got.Name, got.Size, got.SHA256)
		rel.Sums = append(rel.Sums, got)
		if len(planned) == 0 {
			rel.Attached = append(rel.Attached, got)
			continue
		}
		rel.Dir = rel.Dir.WithNewFile("REASSEMBLE-"+a.Name+".txt", release.Reassemble(got, planned))
		rel.Attached = append(rel.Attached, parts...)
		rel.Sums = append(rel.Sums, parts...)
		rel.Split = append(rel.Split, got)
	}
	if err := release.CheckFiles(recorded, listed); err != nil {
		return nil, nil, err
	}
	v := r.Build.Version
	if err := release.CheckSizes(v, listed); err != nil {
		return nil, nil, err
	}
	groups, err := release.Groups(v, listed)
	if err != nil {
		return nil, nil, err
	}
	rel.Dir = rel.Dir.WithNewFile("VERIFY.txt", report.String())
	return &verifiedRelease{Report: rel.Dir.File("VERIFY.txt"), Assets: listed, Groups: groups}, rel, nil
}

// servedNames checks the served names against the recorded files before
// anything is read: a file no job recorded, or a recorded one missing, is
// refused. It returns the builds' NAME.sha256 files by the file they check.
func servedNames(names []string, recorded []release.Asset) (map[string]string, error) {
	want, built := map[string]release.Asset{}, map[string]bool{}
	for _, a := range recorded {
		want[a.Name], built[a.Name] = a, true
	}
	var extra []string
	sidecars := map[string]string{} // a file's NAME.sha256, written by its build (verify.sh reads them too)
	for _, n := range names {
		if base, ok := strings.CutSuffix(n, ".sha256"); ok {
			if built[base] {
				sidecars[base] = n
				continue
			}
		}
		if _, ok := want[n]; !ok {
			extra = append(extra, n+": no job built it")
		}
		delete(want, n)
	}
	for n := range want {
		extra = append(extra, n+": missing")
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return nil, fmt.Errorf("the served files are not the ones the jobs built:\n  %s", strings.Join(extra, "\n  "))
	}
	return sidecars, nil
}
