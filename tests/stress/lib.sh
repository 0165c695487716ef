#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Helpers of the stress scenarios, over the selftests' (checks print "SELFTEST ok|not ok
# <scenario>: ..."). A scenario also reports its figures:
#   STRESS-FIGURE <scenario> <name>: <value>
. "$(dirname "${BASH_SOURCE[0]}")/../selftests/lib.sh"
SCRIPT=$(basename "$0" .sh)

figure() { echo "STRESS-FIGURE $SCRIPT $1: $2"; }

# flood NS DST_NET PROTO SECONDS [PORT]: spoofed new connections (tcp: SYNs, udp: datagrams) from
# random sources in 10.9.0.0/16 to DST, as fast as one process sends them; prints how many.
flood() {
	ip netns exec "$1" python3 "$(dirname "${BASH_SOURCE[0]}")/flood.py" "$2" "$3" "$4" "${5:-9999}"
}

# msg_count TEXT: kernel log lines with TEXT.
msg_count() { dmesg | grep -c "$1"; }
