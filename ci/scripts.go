package main

import (
	"embed"
	"fmt"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
)

// The module's shell scripts: files under scripts/ (shellchecked by make
// lint), given their values as arguments or environment, never spliced.
//
//go:embed scripts/*.sh
var scripts embed.FS

// script returns the text of scripts/<name>.
func script(name string) string {
	b, err := scripts.ReadFile("scripts/" + name)
	if err != nil {
		panic(fmt.Sprintf("missing embedded script %s: %v", name, err))
	}
	return string(b)
}

// runScript mounts scripts/<name> at /tmp/unison/<name> (a mount: it never
// lands in the container's filesystem, e.g. the WSL root filesystem) and
// runs it (through its shebang) with args.
func runScript(c *dagger.Container, name string, args ...string) *dagger.Container {
	return runText(c, name, script(name), args...)
}

// runText is runScript for a script text embedded elsewhere (pipelines/...).
func runText(c *dagger.Container, name, text string, args ...string) *dagger.Container {
	return mountScript(c, name, text).WithExec(append([]string{"/tmp/unison/" + name}, args...))
}

// runScriptWith is runScript with exec options (e.g. the insecure root
// capability a KVM boot needs).
func runScriptWith(c *dagger.Container, name string, opts dagger.ContainerWithExecOpts, args ...string) *dagger.Container {
	return mountScript(c, name, script(name)).WithExec(append([]string{"/tmp/unison/" + name}, args...), opts)
}

func mountScript(c *dagger.Container, name, text string) *dagger.Container {
	f := dag.Directory().WithNewFile(name, text, dagger.DirectoryWithNewFileOpts{Permissions: 0o755}).File(name)
	return c.WithMountedFile("/tmp/unison/"+name, f)
}
