// SPDX-License-Identifier: GPL-2.0
/*
 * Measures how long this process is kept off the CPU: it spins for SECS seconds reading the
 * clock and reports the longest gap between two readings, in microseconds. On one CPU, a gap is
 * time the kernel spent elsewhere, such as in a work item that does not yield. SIGTERM ends it
 * early.
 *
 *   gapmeter SECS
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long long end, last, t, gap, max = 0, over_ms = 0;

	if (argc != 2)
		return fprintf(stderr, "usage: gapmeter SECS\n"), 2;
	signal(SIGTERM, on_term);
	last = now_ns();
	end = last + atoll(argv[1]) * 1000000000LL;
	while ((t = now_ns()) < end && !stop) {
		gap = t - last;
		if (gap > max)
			max = gap;
		if (gap > 1000000)
			over_ms++;
		last = t;
	}
	printf("max_gap_us=%lld gaps_over_1ms=%lld\n", max / 1000, over_ms);
	return 0;
}
