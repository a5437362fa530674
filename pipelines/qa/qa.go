// Package qa turns the bundle's service configuration (services.json) into a
// smoke-test plan for a booted image, and the raw results of that run into a
// JUnit report and a human summary.
package qa

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Check is one smoke check against a service.
type Check struct {
	Name    string `json:"name"`
	Service string `json:"service"`
	Kind    string `json:"kind"` // health | inference | exposure
	Port    int    `json:"port"`
	Path    string `json:"path"`
}

type servicesDoc struct {
	Services []struct {
		Name      string `json:"name"`
		Port      int    `json:"port"`
		Health    string `json:"health"`
		Inference string `json:"inference"`
		Models    bool   `json:"models"`
	} `json:"services"`
}

// Plan reads services.json and lists the checks: every service's health
// endpoint, then every inference endpoint (both run inside the guest against
// 127.0.0.1), then for every port an exposure check: from outside the guest
// the port must not answer (services bind loopback only; SSH is the only way in).
func Plan(servicesJSON []byte) ([]Check, error) {
	var d servicesDoc
	if err := json.Unmarshal(servicesJSON, &d); err != nil {
		return nil, fmt.Errorf("services: not the bundle's services.json: %v", err)
	}
	if len(d.Services) == 0 {
		return nil, fmt.Errorf("services: no service listed")
	}
	var out []Check
	sort.Slice(d.Services, func(i, j int) bool { return d.Services[i].Name < d.Services[j].Name })
	for _, s := range d.Services {
		if s.Port < 1 || s.Port > 65535 || !strings.HasPrefix(s.Health, "/") {
			return nil, fmt.Errorf("services: %s has no valid port and health path", s.Name)
		}
		out = append(out, Check{Name: s.Name + " health", Service: s.Name, Kind: "health", Port: s.Port, Path: s.Health})
	}
	for _, s := range d.Services {
		if s.Inference != "" {
			out = append(out, Check{Name: s.Name + " inference", Service: s.Name, Kind: "inference", Port: s.Port, Path: s.Inference})
		}
	}
	for _, s := range d.Services {
		out = append(out, Check{Name: s.Name + " not exposed", Service: s.Name, Kind: "exposure", Port: s.Port, Path: s.Health})
	}
	return out, nil
}

// Ports lists the distinct ports to forward.
func Ports(checks []Check) []int {
	seen := map[int]bool{}
	var out []int
	for _, c := range checks {
		if !seen[c.Port] {
			seen[c.Port] = true
			out = append(out, c.Port)
		}
	}
	sort.Ints(out)
	return out
}

// PlanTSV is the plan in the form the runner script reads: kind port path name.
func PlanTSV(checks []Check) string {
	var b strings.Builder
	for _, c := range checks {
		fmt.Fprintf(&b, "%s\t%d\t%s\t%s\n", c.Kind, c.Port, c.Path, c.Name)
	}
	return b.String()
}

// Result is one executed check.
type Result struct {
	Name   string
	Passed bool
	// Skipped: the check cannot run on this input (the message says why); it does not fail the suite.
	Skipped bool
	Message string
	Seconds float64
}

// ParseResults reads the runner's results.tsv: name, pass|fail|skip, seconds, message.
func ParseResults(tsv string) ([]Result, error) {
	var out []Result
	for i, line := range strings.Split(strings.TrimRight(tsv, "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.SplitN(line, "\t", 4)
		if len(f) < 3 || (f[1] != "pass" && f[1] != "fail" && f[1] != "skip") {
			return nil, fmt.Errorf("results line %d: %q", i+1, line)
		}
		sec, _ := strconv.ParseFloat(f[2], 64)
		r := Result{Name: f[0], Passed: f[1] != "fail", Skipped: f[1] == "skip", Seconds: sec}
		if len(f) == 4 {
			r.Message = f[3]
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no results: the runner did not record any check")
	}
	return out, nil
}

// ResultsTSV writes results as ParseResults reads them.
func ResultsTSV(rs []Result) string {
	var b strings.Builder
	for _, r := range rs {
		state := "pass"
		switch {
		case r.Skipped:
			state = "skip"
		case !r.Passed:
			state = "fail"
		}
		clean := strings.NewReplacer("\t", " ", "\n", " ").Replace
		fmt.Fprintf(&b, "%s\t%s\t%.1f\t%s\n", clean(r.Name), state, r.Seconds, clean(r.Message))
	}
	return b.String()
}

// Passed reports whether every check passed.
func Passed(rs []Result) bool {
	for _, r := range rs {
		if !r.Passed {
			return false
		}
	}
	return true
}

type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr,omitempty"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

// JUnit renders the results as a JUnit XML test suite.
func JUnit(suite string, rs []Result) []byte {
	s := junitSuite{Name: suite, Tests: len(rs)}
	total := 0.0
	for _, r := range rs {
		c := junitCase{Name: r.Name, ClassName: suite, Time: fmt.Sprintf("%.3f", r.Seconds)}
		if !r.Passed {
			s.Failures++
			c.Failure = &junitFailure{Message: r.Message, Body: r.Message}
		}
		if r.Skipped {
			s.Skipped++
			c.Skipped = &junitSkipped{Message: r.Message}
		}
		total += r.Seconds
		s.Cases = append(s.Cases, c)
	}
	s.Time = fmt.Sprintf("%.3f", total)
	b, _ := xml.MarshalIndent(s, "", "  ")
	return append([]byte(xml.Header), append(b, '\n')...)
}

// Summary is the human summary.
func Summary(suite string, rs []Result) string {
	var b strings.Builder
	failed, skipped := 0, 0
	for _, r := range rs {
		if !r.Passed {
			failed++
		}
		if r.Skipped {
			skipped++
		}
	}
	verdict := "PASSED"
	if failed > 0 {
		verdict = "FAILED"
	}
	note := ""
	if skipped > 0 {
		note = fmt.Sprintf(", %d skipped", skipped)
	}
	fmt.Fprintf(&b, "%s: %s (%d checks, %d failed%s)\n", suite, verdict, len(rs), failed, note)
	for _, r := range rs {
		mark := "ok  "
		if !r.Passed {
			mark = "FAIL"
		} else if r.Skipped {
			mark = "skip"
		}
		fmt.Fprintf(&b, "  %s %-28s %6.1fs  %s\n", mark, r.Name, r.Seconds, r.Message)
	}
	return b.String()
}
