package qa

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// Listeners judges what listens in the guest, from `ss -Htuln` (netid, state,
// queues, local address:port, peer): nothing may listen on an address other
// than loopback but SSH (TCP port 22) and the DHCP clients (UDP 68, 546),
// which answer no one. One result, named "listeners".
func Listeners(ss string) (Result, error) {
	var open, seen []string
	for i, line := range strings.Split(strings.TrimSpace(ss), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 5 || (f[0] != "tcp" && f[0] != "udp") {
			return Result{}, fmt.Errorf("ss line %d: want netid, state, recv-q, send-q, local address:port: %q", i+1, line)
		}
		local := f[4]
		cut := strings.LastIndexByte(local, ':')
		if cut < 0 {
			return Result{}, fmt.Errorf("ss line %d: local address %q has no port", i+1, local)
		}
		host, port := local[:cut], local[cut+1:]
		seen = append(seen, f[0]+" "+local)
		if loopback(host) || (f[0] == "tcp" && port == "22") || (f[0] == "udp" && (port == "68" || port == "546")) {
			continue
		}
		open = append(open, f[0]+" "+local)
	}
	sort.Strings(open)
	if len(open) > 0 {
		return Result{Name: "listeners", Message: "listening beyond loopback (only SSH may): " + strings.Join(open, ", ")}, nil
	}
	return Result{Name: "listeners", Passed: true, Message: fmt.Sprintf("only SSH listens beyond loopback (%d sockets: %s)", len(seen), strings.Join(seen, ", "))}, nil
}

// loopback: 127.0.0.0/8 or ::1, as ss prints them (brackets, %interface).
func loopback(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if i := strings.IndexByte(host, '%'); i >= 0 {
		host = host[:i]
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
