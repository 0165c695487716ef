#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The same scripted traffic, once under nf_conntrack and once under rust_conntrack in the same
# boot, must leave the same connections in every namespace's /proc/net/nf_conntrack, and
# `conntrack -L -o extended` (ctnetlink) must print the same lines for them, remaining timeouts
# and use counts aside. Scenarios are the files in tests/differential/ (lib.sh aside);
# each runs on a fresh topology under each tracker.
# timeout: 3600
. "$(dirname "$0")/lib.sh"
DIFF="$RCT/tests/differential"
. "$DIFF/lib.sh"
OUT=/tmp/differential
rm -rf "$OUT" && mkdir -p "$OUT"

# The connection lines without the remaining time (5th field) and `use=`, sorted. TCP lines
# also lose their counters: how many segments carry a connection depends on the endpoints'
# timing (an ACK sent alone or with data or a FIN), not on the tracker.
normalize() {
	awk '{ $5 = ""; sub(/ use=[0-9]+$/, "")
	       if ($3 == "tcp") gsub(/ (packets|bytes)=[0-9]+/, "")
	       gsub(/  +/, " "); print }' | sort
}

# A namespace's rules as `nft list ruleset` prints them, with their counters, without the
# table that makes nf_conntrack track.
rules() {
	ip netns exec "$1" nft list ruleset | awk '/^table inet track \{/ { skip = 1 } !skip { print } skip && /^}/ { skip = 0 }'
}

run() { # TRACKER SCENARIO
	local tracker=$1 scenario=$2 n start=$SECONDS
	topology "$tracker"
	(. "$DIFF/$scenario.sh") >/dev/null 2>&1
	for n in "${DIFF_NS[@]}"; do
		ct_list "$n" | normalize > "$OUT/$scenario.$n.$tracker"
		rules "$n" > "$OUT/$scenario.$n.rules.$tracker"
		ip netns exec "$n" conntrack -L -o extended 2>/dev/null | normalize \
			> "$OUT/$scenario.$n.ctnetlink.$tracker"
		ip netns exec "$n" nft flush ruleset
	done
	cleanup
	echo "# $scenario under $tracker: $((SECONDS - start)) s"
}

# DIFF_SCENARIOS="nat tcp" runs only those.
scenarios=${DIFF_SCENARIOS:-$(ls "$DIFF"/*.sh | xargs -n1 basename | sed 's/\.sh$//' | grep -v '^lib$')}

unload
modprobe nft_ct && modprobe nf_conntrack_netlink
check "nf_conntrack loads" module_loaded nf_conntrack
for s in $scenarios; do run nf_conntrack "$s"; done
# Namespaces and their rules go asynchronously.
check "nf_conntrack unloads" wait_for 60 unload_nf

load
for s in $scenarios; do run rust_conntrack "$s"; done
unload

for s in $scenarios; do
	for n in "${DIFF_NS[@]}"; do
		ref="$OUT/$s.$n.rules.nf_conntrack" ours="$OUT/$s.$n.rules.rust_conntrack"
		if [ -s "$ref" ]; then
			if cmp -s "$ref" "$ours"; then
				pass "$s in $n: the rules print and count as under nf_conntrack"
			else
				fail "$s in $n: rules" "$(diff "$ref" "$ours" | grep '^[<>]' | head -n 4 | tr '\n' '|')"
				diff "$ref" "$ours" | sed 's/^/    /'
			fi
		fi
		# A scenario of rules alone leaves no connections to compare.
		grep -q '^# rules only' "$DIFF/$s.sh" && continue
		for view in "" ctnetlink.; do
			ref="$OUT/$s.$n.${view}nf_conntrack" ours="$OUT/$s.$n.${view}rust_conntrack"
			what="$s in $n${view:+ (conntrack -L -o extended)}"
			if [ ! -s "$ref" ]; then
				fail "$what" "nf_conntrack tracked nothing"
			elif cmp -s "$ref" "$ours"; then
				pass "$what: $(wc -l < "$ref") connections as nf_conntrack's"
			else
				fail "$what" "$(diff "$ref" "$ours" | grep '^[<>]' | head -n 4 | tr '\n' '|')"
				diff "$ref" "$ours" | sed 's/^/    /'
			fi
		done
	done
done
