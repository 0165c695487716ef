#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Faults: the module's slab caches fail one allocation in five (failslab) while new
# connections arrive. Packets whose connection cannot be made are dropped and counted, nothing
# crashes or leaks, and tracking resumes when allocations succeed again.
. "$(dirname "$0")/lib.sh"

F=/sys/kernel/debug/failslab
if [ ! -d $F ]; then
	fail "failslab" "the kernel has no $F (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS)"
	exit 0
fi
load
pair
udp_server b 5000
caches=$(awk 'index($1, "rust_conntrack") == 1 { print $1 }' /proc/slabinfo)
check "the module has slab caches" test -n "$caches"
echo Y > $F/cache-filter
echo N > $F/ignore-gfp-wait
echo 20 > $F/probability
echo 1 > $F/interval
echo -1 > $F/times
echo 0 > $F/verbose
echo 0 > $F/space
for c in $caches; do echo 1 > /sys/kernel/slab/"$c"/failslab; done
drops0=$(stat a drop)
udp_burst a 10.0.1.2 20000 21999 40000
dropped=$(($(stat a drop) - drops0))
tracked=$(ct_count a)
for c in $caches; do echo 0 > /sys/kernel/slab/"$c"/failslab; done
echo 0 > $F/probability
figure "new connections tried" 2000
figure "dropped for want of memory" "$dropped"
figure "tracked" "$tracked"
check "some allocations failed and their packets were dropped ($dropped)" test "$dropped" -ge 100
check "the others were tracked ($tracked)" test "$tracked" -ge 1000
check_eq "each packet was tracked or counted as dropped" 2000 $((dropped + tracked))
check_eq "tracking resumes" pong "$(udp_ask a 10.0.1.2 5000 41000)"
check "and the new connection is tracked" bash -c "ip netns exec a cat /proc/net/nf_conntrack | grep -q 'sport=41000 .*dport=5000'"
cleanup
check "unload" unload
