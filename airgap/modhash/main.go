// Command modhash checks that a directory holds exactly a module version
// whose h1: hash (the go.sum hash of its zip) is pinned in a sums file of
// go.sum lines. The air-gapped mode builds the root-running engine from the
// Dagger module's source; the checksum database is not always reachable, so
// the hash is pinned in the repository and compared before anything is built.
//
//	modhash -sums airgap/dagger.sum -module github.com/dagger/dagger@v0.19.7 -dir SRC
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/dirhash"
)

func main() {
	sums := flag.String("sums", "", "file of go.sum lines holding the pinned hash")
	module := flag.String("module", "", "module path@version")
	dir := flag.String("dir", "", "the module's extracted source")
	flag.Parse()
	if *sums == "" || *module == "" || *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: modhash -sums FILE -module PATH@VERSION -dir DIR")
		os.Exit(2)
	}
	got, err := check(*sums, *module, *dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "modhash:", err)
		os.Exit(1)
	}
	fmt.Printf("%s %s: as pinned\n", *module, got)
}

// check hashes dir as module (path@version) and compares it with the pin.
func check(sumsFile, module, dir string) (string, error) {
	want, err := pinned(sumsFile, module)
	if err != nil {
		return "", err
	}
	got, err := dirhash.HashDir(dir, module, dirhash.Hash1)
	if err != nil {
		return "", fmt.Errorf("%s: hashing %s: %w", module, dir, err)
	}
	if got != want {
		return "", fmt.Errorf("%s: the source in %s hashes to %s, %s pins %s: refusing to build from it "+
			"(a tampered module cache or proxy? compare with `go mod download -json %s` on a machine that reaches sum.golang.org)",
			module, dir, got, sumsFile, want, module)
	}
	return got, nil
}

// pinned reads the h1: hash of module (path@version) from go.sum lines.
func pinned(sumsFile, module string) (string, error) {
	path, version, ok := strings.Cut(module, "@")
	if !ok || path == "" || version == "" {
		return "", fmt.Errorf("module %q: want path@version", module)
	}
	f, err := os.Open(sumsFile)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 && fields[0] == path && fields[1] == version && strings.HasPrefix(fields[2], "h1:") {
			return fields[2], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%s: no h1: hash pinned for %s %s: add its go.sum line (`go mod download -json %s`, on a machine that reaches sum.golang.org)",
		sumsFile, path, version, module)
}
