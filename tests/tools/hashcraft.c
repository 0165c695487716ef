// SPDX-License-Identifier: GPL-2.0
/*
 * hashcraft COUNT BUCKETS DST DPORT: prints COUNT "saddr sport" lines of UDP tuples from
 * 10.9.0.0/16 to DST:DPORT that all fall in one bucket of a BUCKETS-bucket table under the
 * key an attacker might guess (zero), hashed as rust_conntrack hashes an IPv4 tuple: SipHash-1-3
 * over the addresses, ports and protocol, folded to 32 bits, scaled to the bucket count. The
 * real key is random, so these should spread like any other tuples.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void round_(uint64_t v[4])
{
	v[0] += v[1]; v[1] = ROTL(v[1], 13) ^ v[0]; v[0] = ROTL(v[0], 32);
	v[2] += v[3]; v[3] = ROTL(v[3], 16) ^ v[2];
	v[0] += v[3]; v[3] = ROTL(v[3], 21) ^ v[0];
	v[2] += v[1]; v[1] = ROTL(v[1], 17) ^ v[2]; v[2] = ROTL(v[2], 32);
}

/* SipHash-1-3 under the zero key of two words, the second holding 5 of the 13 bytes. */
static uint32_t hash13(uint64_t w0, uint64_t w1)
{
	uint64_t v[4] = { 0x736f6d6570736575ULL, 0x646f72616e646f6dULL,
			  0x6c7967656e657261ULL, 0x7465646279746573ULL };
	uint64_t m[2] = { w0, w1 | (uint64_t)13 << 56 };
	for (int i = 0; i < 2; i++) {
		v[3] ^= m[i];
		round_(v);
		v[0] ^= m[i];
	}
	v[2] ^= 0xff;
	for (int i = 0; i < 3; i++)
		round_(v);
	uint64_t h = v[0] ^ v[1] ^ v[2] ^ v[3];
	return (uint32_t)(h ^ (h >> 32));
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: hashcraft COUNT BUCKETS DST DPORT\n");
		return 2;
	}
	long count = atol(argv[1]);
	uint64_t buckets = strtoull(argv[2], NULL, 10);
	struct in_addr dst;
	if (count <= 0 || buckets == 0 || inet_pton(AF_INET, argv[3], &dst) != 1)
		return 2;
	uint16_t dport = htons((uint16_t)atoi(argv[4]));
	int64_t target = -1;
	for (uint32_t host = 1; host < 65535 && count > 0; host++) {
		uint32_t src = htonl(0x0a090000 | host);
		for (uint32_t port = 1024; port < 65536 && count > 0; port++) {
			uint16_t sport = htons((uint16_t)port);
			/* The words as the tracker reads them: native-endian loads of network bytes. */
			uint64_t w0 = (uint64_t)src | (uint64_t)dst.s_addr << 32;
			uint64_t w1 = (uint64_t)sport | (uint64_t)dport << 16 | (uint64_t)17 << 32;
			int64_t b = (int64_t)(((uint64_t)hash13(w0, w1) * buckets) >> 32);
			if (target < 0)
				target = b;
			if (b != target)
				continue;
			struct in_addr a = { src };
			printf("%s %u\n", inet_ntoa(a), port);
			count--;
		}
	}
	return count == 0 ? 0 : 1;
}
