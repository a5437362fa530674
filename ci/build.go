package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/buildconfig"
	"github.com/project-unisonOS/unison-platform/pipelines/ident"
	"github.com/project-unisonOS/unison-platform/pipelines/version"
)

// defaultVersion labels local builds that name no version.
const defaultVersion = "0.0.0-dev"

// defaultFlavor is the model flavor of images/models.yaml used when none is named.
const defaultFlavor = "default"

// Build is one build identity: what every artifact of one build shares
// (version, flavor, commit, commit time) and the admin identity.
type Build struct {
	// The version the artifacts are built as (file names, metadata, ISO volume ID).
	Version string
	// Model flavor of the bundle (images/models.yaml).
	Flavor string
	// Platform version in the compatibility matrix ("": the version when it is a release, else the newest).
	PlatformVersion string
	// Commit SHA recorded in the bundle metadata.
	Commit string
	// Commit time, RFC 3339 in UTC: SOURCE_DATE_EPOCH of every artifact.
	CommitTime string
	// Admin user name (the WSL default user).
	AdminUser string
	// Host name of installed systems.
	Hostname string
	// SSH public keys of the admin user.
	SshAuthorizedKeys []string
	// Public artifacts: no operator credentials (the ISO's installer asks for the user and SSH keys; the VM disk takes them from its datasource).
	Public bool
	// crypt(3) hash of the admin password, when one was given.
	// +private
	PasswordHash *dagger.Secret
	// +private
	Offline bool
	// +private
	ModelsStore *dagger.Directory
	// +private
	MaxSizeMib int
	// +private
	OfflineDigests []string
	// +private
	Root *UnisonPlatform
	// The installer's form and extra packages from a build file (flags override).
	// +private
	Locale string
	// +private
	Keyboard string
	// +private
	Timezone string
	// +private
	Packages []string
	// +private
	KernelArgs []string
}

// noKernelArgs refuses a build file's kernel arguments for an artifact that
// has no kernel command line of its own to set.
func (b *Build) noKernelArgs(artifact, why string) error {
	if len(b.KernelArgs) > 0 {
		return fmt.Errorf("kernel-arguments: %s: %s; drop them from the build file for this build (they apply to what the ISO installs)", artifact, why)
	}
	return nil
}

// identity is what declares a build; zero values mean the defaults.
type identity struct {
	Version, Flavor, PlatformVersion, Commit, CommitTime string
	Public                                               bool
}

// Declares one build identity (version, flavor, commit, commit time) that every artifact of the build shares.
//
// Commit and commit time default from HEAD of the module's git checkout:
// dagger call build --version v1.2.3 with-admin --ssh-authorized-keys-file k.pub iso export --path out/
func (m *UnisonPlatform) Build(
	ctx context.Context,
	// Version the artifacts are built as, e.g. v1.2.3 or edge-main-20261127; default 0.0.0-dev.
	// +optional
	version string,
	// Model flavor (images/models.yaml); default: default.
	// +optional
	flavor string,
	// Platform version in the compatibility matrix; default: the version when it is a release, else the newest.
	// +optional
	platformVersion string,
	// Commit SHA; default: HEAD of the module's git checkout.
	// +optional
	commit string,
	// Commit time, RFC 3339 (git show -s --format=%cI); default: HEAD's commit time.
	// +optional
	commitTime string,
	// Public artifacts, as releases are: no operator credentials; the ISO's installer asks for the user and SSH keys, the VM disk takes them from its datasource (nocloud-seed), personalize-iso makes an unattended copy.
	// +optional
	public bool,
	// A build file (docs/examples/unison.yaml): version, flavor, admin, locale, keyboard, time zone, packages; a flag given here or later in the chain overrides its value.
	// +optional
	config *dagger.File,
) (*Build, error) {
	cfg, err := readConfig(ctx, config)
	if err != nil {
		return nil, err
	}
	f, err := cfg.Merge(buildconfig.Flags{Version: version, Flavor: flavor, PlatformVersion: platformVersion, Public: public})
	if err != nil {
		return nil, err
	}
	b, err := m.newBuild(ctx, identity{Version: f.Version, Flavor: f.Flavor, PlatformVersion: f.PlatformVersion, Commit: commit, CommitTime: commitTime, Public: f.Public})
	if err != nil {
		return nil, err
	}
	return b.withConfig(ctx, cfg)
}

// readConfig reads and validates a build file (nil: none); errors name it.
func readConfig(ctx context.Context, f *dagger.File) (*buildconfig.Config, error) {
	if f == nil {
		return nil, nil
	}
	name, err := f.Name(ctx)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	text, err := f.Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	return buildconfig.Parse(name, []byte(text))
}

// withConfig takes a build file's admin identity and installer form (nil:
// nothing); the chain's flags override them later.
func (b *Build) withConfig(ctx context.Context, cfg *buildconfig.Config) (*Build, error) {
	if cfg == nil {
		return b, nil
	}
	c := *b
	c.Locale, c.Keyboard, c.Timezone, c.Packages, c.KernelArgs = cfg.Locale, cfg.Keyboard, cfg.Timezone, cfg.Packages, cfg.KernelArgs
	if !cfg.Admin.Set() {
		return &c, nil
	}
	return c.WithAdmin(ctx, cfg.Admin.SSHAuthorizedKeys, nil, nil, cfg.Admin.User, cfg.Admin.Hostname)
}

// newBuild validates an identity, filling what is not given (git for the
// commit and its time), before anything is built.
func (m *UnisonPlatform) newBuild(ctx context.Context, id identity) (*Build, error) {
	b := &Build{Version: or(id.Version, defaultVersion), Flavor: or(id.Flavor, defaultFlavor),
		PlatformVersion: id.PlatformVersion, Commit: id.Commit, CommitTime: id.CommitTime, Public: id.Public, Root: m}
	if err := version.CheckLabel(b.Version); err != nil {
		return nil, err
	}
	if b.Commit == "" || b.CommitTime == "" {
		commit, when, err := m.gitCommit(ctx, b.Commit, b.CommitTime)
		if err != nil {
			return nil, err
		}
		b.Commit, b.CommitTime = commit, when
	}
	t, err := version.ParseCommitTime(b.CommitTime)
	if err != nil {
		return nil, err
	}
	b.CommitTime = t.Format(time.RFC3339)
	a := ident.Admin{}.WithDefaults()
	b.AdminUser, b.Hostname = a.User, a.Hostname
	return b, nil
}

// gitCommit is a commit of the module's checkout (HEAD when sha is empty)
// and its commit time: when, else read from git (a container with git,
// which a given commit time spares).
func (m *UnisonPlatform) gitCommit(ctx context.Context, sha, when string) (string, string, error) {
	const fix = "pass --commit and --commit-time (git rev-parse HEAD; git show -s --format=%cI HEAD)"
	if m.Git == nil {
		return "", "", fmt.Errorf("commit: the module is not run from a git checkout: %s", fix)
	}
	ref := m.Git.Head()
	if sha != "" {
		ref = m.Git.Commit(sha)
	}
	commit, err := ref.Commit(ctx)
	if err != nil {
		return "", "", fmt.Errorf("commit %q: not in the git checkout (%v): give a full 40-hex SHA of it, or %s", sha, err, fix)
	}
	if when != "" {
		return commit, when, nil
	}
	gitDir := ref.Tree(dagger.GitRefTreeOpts{Depth: 1}).Directory(".git")
	when, err = runScript(m.gitTools().WithMountedDirectory("/git", gitDir), "git-info.sh").Stdout(ctx)
	if err != nil {
		return "", "", fmt.Errorf("commit-time: cannot read HEAD's commit time (%v): %s", err, fix)
	}
	return commit, strings.TrimSpace(when), nil
}

// gitTags lists the v* tags of the module's checkout (for the channel rules).
func (m *UnisonPlatform) gitTags(ctx context.Context) ([]string, error) {
	if m.Git == nil {
		return nil, nil
	}
	refs, err := m.Git.Tags(ctx, dagger.GitRepositoryTagsOpts{Patterns: []string{"refs/tags/v*"}})
	if err != nil {
		return nil, fmt.Errorf("existing-tags: cannot list the checkout's tags (%v): pass --existing-tags", err)
	}
	tags := make([]string, 0, len(refs))
	for _, r := range refs {
		tags = append(tags, strings.TrimPrefix(r, "refs/tags/"))
	}
	return tags, nil
}

// Sets the admin identity (SSH keys, password hash, user, host name) of the build, validated once for every artifact.
func (b *Build) WithAdmin(
	ctx context.Context,
	// SSH public keys of the admin user (ed25519 recommended).
	// +optional
	sshAuthorizedKeys []string,
	// A file of SSH public keys, one per line (added to --ssh-authorized-keys).
	// +optional
	sshAuthorizedKeysFile *dagger.File,
	// crypt(3) hash of the admin password ($6$/$y$, mkpasswd -m sha-512) as a secret; never a plain password.
	// +optional
	passwordHash *dagger.Secret,
	// Admin user name (the WSL default user); default: unison.
	// +optional
	adminUser string,
	// Host name of installed systems; default: unisonos.
	// +optional
	hostname string,
) (*Build, error) {
	if b.Public {
		return nil, fmt.Errorf("with-admin: a --public build carries no operator credentials; drop --public for an unattended artifact, or personalize the public one (personalize-iso, nocloud-seed)")
	}
	keys := append([]string{}, sshAuthorizedKeys...)
	if sshAuthorizedKeysFile != nil {
		text, err := sshAuthorizedKeysFile.Contents(ctx)
		if err != nil {
			return nil, fmt.Errorf("ssh-authorized-keys-file: %w", err)
		}
		keys = append(keys, ident.ParseKeys(text)...)
	}
	if len(keys) == 0 {
		keys = b.SshAuthorizedKeys // given before (a build file): flags override, absence keeps
	}
	a := ident.Admin{User: or(adminUser, b.AdminUser), Hostname: or(hostname, b.Hostname), Keys: keys}
	if passwordHash == nil {
		passwordHash = b.PasswordHash
	}
	if passwordHash != nil {
		h, err := passwordHash.Plaintext(ctx)
		if err != nil {
			return nil, fmt.Errorf("password-hash: %w", err)
		}
		a.PasswordHash = h
	}
	a = a.WithDefaults()
	if err := a.Check(); err != nil {
		return nil, err
	}
	if err := b.Root.checkNotWeak(ctx, passwordHash); err != nil { // cached: a hash kept from before costs nothing
		return nil, err
	}
	c := *b
	c.AdminUser, c.Hostname, c.SshAuthorizedKeys, c.PasswordHash = a.User, a.Hostname, a.Keys, passwordHash
	return &c, nil
}

// admin is the build's admin identity, with the password hash read.
func (b *Build) admin(ctx context.Context) (ident.Admin, error) {
	a := ident.Admin{User: b.AdminUser, Hostname: b.Hostname, Keys: b.SshAuthorizedKeys}
	if b.PasswordHash != nil {
		h, err := b.PasswordHash.Plaintext(ctx)
		if err != nil {
			return a, fmt.Errorf("password-hash: %w", err)
		}
		a.PasswordHash = h
	}
	return a.WithDefaults(), nil
}

// created is the commit time (validated in newBuild).
func (b *Build) created() time.Time {
	t, _ := version.ParseCommitTime(b.CommitTime)
	return t
}

// epoch is SOURCE_DATE_EPOCH of the build.
func (b *Build) epoch() string { return fmt.Sprint(b.created().Unix()) }

// checkNotWeak refuses a password hash of a well-known weak password
// (ident.WeakPasswords, re-hashed with the hash's own salt).
func (m *UnisonPlatform) checkNotWeak(ctx context.Context, hash *dagger.Secret) error {
	if hash == nil {
		return nil
	}
	c := m.archiver().WithMountedSecret("/run/secrets/hash", hash) // perl-base is in the image
	out, err := runScript(c, "weak-hash.sh", ident.WeakPasswords...).Stdout(ctx)
	if err != nil {
		return fmt.Errorf("password-hash: checking it against weak passwords failed: %w", err)
	}
	if strings.TrimSpace(out) != "ok" {
		return ident.WeakHashError()
	}
	return nil
}

// door is what a door (baremetal-iso, linux-vm, wsl-bundle) was given
// besides its artifact's own options: the build identity, the admin and a
// build file.
type door struct {
	identity
	Keys           []string
	KeysFile       *dagger.File
	Hash           *dagger.Secret
	User, Hostname string
	Config         *dagger.File
}

// open is the build a door makes: the file read and merged with the flags
// (flags override; a contradiction is an error naming both), the identity
// validated, then the admin (a public file's build takes none).
func (m *UnisonPlatform) open(ctx context.Context, d door) (*Build, error) {
	cfg, err := readConfig(ctx, d.Config)
	if err != nil {
		return nil, err
	}
	f, err := cfg.Merge(buildconfig.Flags{Version: d.Version, Flavor: d.Flavor, User: d.User, Hostname: d.Hostname,
		Keys: d.Keys, KeysFile: d.KeysFile != nil, PasswordHash: d.Hash != nil})
	if err != nil {
		return nil, err
	}
	d.identity.Version, d.identity.Flavor, d.identity.PlatformVersion, d.identity.Public = f.Version, f.Flavor, f.PlatformVersion, f.Public
	b, err := m.newBuild(ctx, d.identity)
	if err != nil {
		return nil, err
	}
	if b, err = b.withConfig(ctx, cfg); err != nil || b.Public {
		return b, err
	}
	return b.WithAdmin(ctx, d.Keys, d.KeysFile, d.Hash, d.User, d.Hostname)
}
