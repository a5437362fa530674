package qa

import (
	"fmt"
	"regexp"
	"strings"
)

// HardeningScript is what the guest prints for Hardening, run with sudo:
// the firewall's status, apt's periodic settings, the unattended-upgrades
// package and the timer that runs it, each section after a "--- name" line.
const HardeningScript = `echo '--- ufw'; ufw status verbose 2>&1; ` +
	`echo '--- apt'; apt-config dump APT::Periodic 2>&1; ` +
	`echo '--- package'; dpkg-query -W -f='${Status}\n' unattended-upgrades 2>&1; ` +
	`echo '--- timer'; systemctl is-enabled apt-daily-upgrade.timer 2>&1`

var (
	sshRule = regexp.MustCompile(`^(22/tcp|22|OpenSSH)\b`)
	inRule  = regexp.MustCompile(`\bALLOW IN\b|\bLIMIT IN\b`)
)

// Hardening judges the seed's hardening from HardeningScript's output: the
// firewall active, denying incoming traffic by default and letting in only
// SSH ("firewall"); unattended upgrades installed, switched on in apt's
// periodic settings and run by its timer ("unattended upgrades").
func Hardening(out string) []Result {
	sec := sections(out)
	fw := Result{Name: "firewall", Passed: true}
	var problems, allowed []string
	ufw := sec["ufw"]
	if !strings.Contains(ufw, "Status: active") {
		problems = append(problems, "ufw not active ("+firstLine(ufw)+")")
	}
	if !strings.Contains(ufw, "Default: deny (incoming)") && !strings.Contains(ufw, "Default: reject (incoming)") {
		problems = append(problems, "incoming traffic not denied by default")
	}
	ssh := false
	for _, l := range strings.Split(ufw, "\n") {
		l = strings.TrimSpace(l)
		if !inRule.MatchString(l) {
			continue
		}
		if sshRule.MatchString(l) {
			ssh = true
		} else {
			allowed = append(allowed, strings.Join(strings.Fields(l), " "))
		}
	}
	if !ssh && strings.Contains(ufw, "Status: active") {
		problems = append(problems, "no rule lets SSH in")
	}
	if len(allowed) > 0 {
		problems = append(problems, "lets in more than SSH: "+strings.Join(allowed, "; "))
	}
	if len(problems) > 0 {
		fw.Passed, fw.Message = false, "firewall: "+strings.Join(problems, ", ")
	} else {
		fw.Message = "firewall (ufw) active: incoming denied but SSH"
	}

	uu := Result{Name: "unattended upgrades", Passed: true}
	problems = nil
	for _, key := range []string{"Update-Package-Lists", "Unattended-Upgrade"} {
		if !strings.Contains(sec["apt"], fmt.Sprintf("APT::Periodic::%s \"1\";", key)) {
			problems = append(problems, "APT::Periodic::"+key+" is not \"1\"")
		}
	}
	if strings.TrimSpace(sec["package"]) != "install ok installed" {
		problems = append(problems, "the unattended-upgrades package is not installed ("+firstLine(sec["package"])+")")
	}
	if t := strings.TrimSpace(sec["timer"]); t != "enabled" && t != "static" {
		problems = append(problems, "apt-daily-upgrade.timer is "+firstLine(sec["timer"]))
	}
	if len(problems) > 0 {
		uu.Passed, uu.Message = false, "unattended upgrades: "+strings.Join(problems, ", ")
	} else {
		uu.Message = "unattended upgrades on (apt's periodic settings, the package, its timer)"
	}
	return []Result{fw, uu}
}

// sections splits "--- name" headed output into name -> text.
func sections(out string) map[string]string {
	m := map[string]string{}
	name := ""
	for _, l := range strings.Split(out, "\n") {
		if n, ok := strings.CutPrefix(l, "--- "); ok {
			name = strings.TrimSpace(n)
			continue
		}
		if name != "" {
			m[name] += l + "\n"
		}
	}
	return m
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if l == "" {
		return "nothing printed"
	}
	return l
}
