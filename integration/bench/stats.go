package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Sample is the wall times of one measurement, repeated.
type Sample []time.Duration

// Median, Min and Max of the runs (zero when there are none).
func (s Sample) Median() time.Duration {
	if len(s) == 0 {
		return 0
	}
	c := append(Sample(nil), s...)
	sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
	if len(c)%2 == 1 {
		return c[len(c)/2]
	}
	return (c[len(c)/2-1] + c[len(c)/2]) / 2
}

func (s Sample) Min() time.Duration {
	m := time.Duration(0)
	for i, d := range s {
		if i == 0 || d < m {
			m = d
		}
	}
	return m
}

func (s Sample) Max() time.Duration {
	m := time.Duration(0)
	for _, d := range s {
		if d > m {
			m = d
		}
	}
	return m
}

// Cell renders "median (min–max)" in seconds, or "–" without runs.
func (s Sample) Cell() string {
	if len(s) == 0 {
		return "–"
	}
	return fmt.Sprintf("%s (%s–%s)", secs(s.Median()), secs(s.Min()), secs(s.Max()))
}

func secs(d time.Duration) string {
	switch {
	case d >= 100*time.Second:
		return fmt.Sprintf("%.0fs", d.Seconds())
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// Target is a ratio of two medians and the bound it must stay under.
type Target struct {
	Name      string
	Num, Den  Sample
	Max       float64
	WhereTime string
}

// Within is a target on a time itself: the ratio is the median over max.
func Within(name string, num Sample, max time.Duration) Target {
	return Target{Name: name, Num: num, Den: Sample{max}, Max: 1}
}

// StepTook is the duration of the first step whose description starts
// with prefix (0 when there is none).
func StepTook(steps []Step, prefix string) time.Duration {
	for _, s := range steps {
		if strings.HasPrefix(s.Desc, prefix) {
			return s.Took
		}
	}
	return 0
}

// Ratio of the medians (0 when the baseline is missing).
func (t Target) Ratio() float64 {
	if t.Den.Median() == 0 {
		return 0
	}
	return float64(t.Num.Median()) / float64(t.Den.Median())
}

// Verdict is "met" or "MISSED".
func (t Target) Verdict() string {
	if t.Den.Median() == 0 || t.Num.Median() == 0 {
		return "not measured"
	}
	if t.Ratio() <= t.Max {
		return "met"
	}
	return "MISSED"
}

// ExecTook is how long the exec of the first withExec step whose
// description starts with prefix took: an exec is lazy, so it runs inside
// the step that first needs its result (Container.directory, .file, .sync,
// .stdout right after it), or in its own span when that was evaluated; the
// longer of the two (0 when there is no such step).
func ExecTook(steps []Step, prefix string) time.Duration {
	for i, s := range steps {
		if !strings.HasPrefix(s.Desc, prefix) {
			continue
		}
		t := s.Took
		for _, n := range steps[i+1:] {
			if strings.HasPrefix(n.Desc, "Container.") && !strings.HasPrefix(n.Desc, "Container.with") {
				if n.Took > t {
					t = n.Took
				}
				break
			}
		}
		return t
	}
	return 0
}

// Step is one step of a `dagger call --progress=plain` log with its duration.
type Step struct {
	ID     string
	Desc   string
	Took   time.Duration
	Cached bool
}

var (
	ansiRE   = regexp.MustCompile(`\x1b\[[0-9;]*m`)
	stepRE   = regexp.MustCompile(`^(\d+)\s*: (.*)$`)
	statusRE = regexp.MustCompile(`\b(DONE|CACHED|ERROR)\s*\[((?:\d+h)?(?:\d+m)?[\d.]+(?:ms|s))\]\s*$`)
)

// Steps parses the plain progress output: each step's first description
// line and the duration of its last DONE/CACHED/ERROR line.
func Steps(log string) []Step {
	byID := map[string]*Step{}
	var order []string
	for _, line := range strings.Split(ansiRE.ReplaceAllString(log, ""), "\n") {
		m := stepRE.FindStringSubmatch(strings.TrimRight(line, "\r"))
		if m == nil {
			continue
		}
		body := strings.TrimLeft(m[2], "┆ │")
		st := byID[m[1]]
		if st == nil {
			st = &Step{ID: m[1]}
			byID[m[1]] = st
			order = append(order, m[1])
		}
		if s := statusRE.FindStringSubmatch(body); s != nil {
			if d, err := time.ParseDuration(s[2]); err == nil {
				st.Took = d
			}
			st.Cached = s[1] == "CACHED"
			if st.Desc == "" {
				st.Desc = strings.TrimSpace(statusRE.ReplaceAllString(body, ""))
			}
			continue
		}
		if st.Desc == "" && !strings.HasPrefix(body, "[") {
			st.Desc = strings.TrimSpace(body)
		}
	}
	out := make([]Step, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	return out
}

// Longest returns the n longest steps whose description matches none of
// skip (wrapper spans that contain the others).
func Longest(steps []Step, n int, skip ...string) []Step {
	var c []Step
outer:
	for _, s := range steps {
		for _, k := range skip {
			if strings.Contains(s.Desc, k) {
				continue outer
			}
		}
		c = append(c, s)
	}
	sort.SliceStable(c, func(i, j int) bool { return c[i].Took > c[j].Took })
	if len(c) > n {
		c = c[:n]
	}
	return c
}

// Short shortens a step description for a table cell.
func Short(desc string, n int) string {
	d := strings.Join(strings.Fields(strings.ReplaceAll(desc, `\n`, " ")), " ")
	d = strings.ReplaceAll(d, "|", "/")
	if len(d) > n {
		d = d[:n-1] + "…"
	}
	return d
}
