#!/bin/sh
# The stand-in kernel's modules that Docker with its defaults needs in the
# guest (overlay2, the bridge network, iptables: nf_tables and the legacy
# tables, the matches Docker's and ufw's rules use; iptables-nft turns ufw's
# -m limit and -j LOG into nft_limit and nft_log, before6.rules needs ip6t_rt:
# without one, ufw enable fails with "RULE_APPEND failed (No such file or
# directory)"), each with the modules it depends on, and depmod's index:
# /out/<KV>/ for /usr/lib/modules (standin.go).
# A module the kernel does not have fails the build.
set -eu
KV=$(find /lib/modules -mindepth 1 -maxdepth 1 -printf "%f\n" | sort | tail -1)
S=/lib/modules/$KV
O=/w/usr/lib/modules/$KV
mkdir -p "$O"
for m in overlay bridge br_netfilter veth nf_tables nft_compat nft_chain_nat nft_ct nft_masq nft_nat \
         nft_reject_inet nft_fib_inet nf_nat nf_conntrack nf_conntrack_netlink \
         xt_conntrack xt_MASQUERADE xt_addrtype xt_nat xt_tcpudp xt_comment xt_mark xt_multiport xt_limit \
         xt_LOG nf_log_syslog nft_limit nft_log xt_recent xt_hl xt_state ipt_REJECT ip6t_REJECT ip6t_rt \
         ip_tables iptable_filter iptable_nat iptable_mangle ip6_tables ip6table_filter ip6table_nat ip6table_mangle; do
  deps=$(modprobe -S "$KV" --show-depends "$m") || { echo "guest-modules: kernel $KV has no module $m" >&2; exit 1; }
  printf '%s\n' "$deps" | awk '$1 == "insmod" { print $2 }' | while read -r ko; do
    rel=${ko#"$S"/}; rel=${rel#/usr"$S"/}
    mkdir -p "$O/$(dirname "$rel")"
    cp "$ko" "$O/$rel"
  done
done
cp "$S"/modules.order "$S"/modules.builtin "$S"/modules.builtin.modinfo "$O"/
depmod -b /w/usr "$KV"
find /w -exec touch -h -d @0 {} +
mkdir -p /out && cp -a "$O" /out/
echo "guest-modules: $KV, $(find "$O" -name '*.ko*' | wc -l) modules, $(du -sk "$O" | cut -f1) KiB"
