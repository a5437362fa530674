// Command benchratio reads `go test -bench` output and prints each
// benchmark's time and allocations as a ratio to the baseline benchmark of
// its package (the one named Baseline), measured in the same run: ratios,
// not absolute timings, are what stay comparable across machines.
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var line = regexp.MustCompile(`^Benchmark(\S+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+([\d.]+) B/op)?`)

func main() {
	type acc struct{ ns, b []float64 }
	pkg := ""
	data := map[string]map[string]*acc{}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "pkg: ") {
			pkg = strings.TrimPrefix(l, "pkg: ")
			continue
		}
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if data[pkg] == nil {
			data[pkg] = map[string]*acc{}
		}
		a := data[pkg][m[1]]
		if a == nil {
			a = &acc{}
			data[pkg][m[1]] = a
		}
		ns, _ := strconv.ParseFloat(m[3], 64)
		b, _ := strconv.ParseFloat(m[4], 64)
		a.ns, a.b = append(a.ns, ns), append(a.b, b)
	}
	median := func(v []float64) float64 {
		s := append([]float64(nil), v...)
		sort.Float64s(s)
		return s[len(s)/2]
	}
	pkgs := make([]string, 0, len(data))
	for p := range data {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	fmt.Println("benchmark ratios to the package's Baseline (same run, median of runs):")
	for _, p := range pkgs {
		base := data[p]["Baseline"]
		if base == nil {
			continue
		}
		names := make([]string, 0)
		for n := range data[p] {
			if n != "Baseline" {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			a := data[p][n]
			mem := "-"
			if median(base.b) > 0 {
				mem = fmt.Sprintf("%.2fx", median(a.b)/median(base.b))
			}
			fmt.Printf("  %-60s time %7.2fx  memory %s\n", p[strings.LastIndex(p, "/")+1:]+"."+n, median(a.ns)/median(base.ns), mem)
		}
	}
}
