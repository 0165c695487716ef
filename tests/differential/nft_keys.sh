# SPDX-License-Identifier: GPL-2.0
# A rule of every `ct` key, loaded and listed: nft prints back what the kernel dumps.
# rules only: no traffic, no connections.
for n in a r b; do
	ip netns exec "$n" nft -f - <<'NFT'
table inet keys {
	chain c {
		ct state { established, related } ct direction original ct status assured,confirmed
		ct mark 0x00000001 ct expiration 5s ct l3proto ipv4
		ct original saddr 10.0.1.1 ct reply daddr 10.0.1.1 ct original ip6 saddr ::1
		ct protocol tcp ct original proto-dst 80 ct reply proto-src 80
		ct original ip saddr 10.0.1.1 ct reply ip daddr 10.0.1.1
		ct packets > 10 ct original bytes > 100 ct reply avgpkt > 50 ct zone 1
		ct original zone 2 ct id 1234 ct helper "ftp" ct label 1
		ct mark set 0x00000002 ct zone set 3 ct original zone set 4 ct mark set meta mark
		meta mark set ct mark notrack ct count over 5
	}
}
NFT
done
