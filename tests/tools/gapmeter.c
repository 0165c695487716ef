// SPDX-License-Identifier: GPL-2.0
/*
 * Measures how long this process is kept off the CPU: it spins for SECS seconds reading the
 * clock and reports the longest gap between two readings, in microseconds. On one CPU, a gap is
 * time the kernel spent elsewhere, such as in a work item that does not yield. SIGTERM ends it
 * early; so does, given FILE and LIMIT, the number in FILE falling to LIMIT or below, which it
 * reads every 100 ms itself so that no other process has to poll.
 *
 *   gapmeter SECS [FILE LIMIT]
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

/* The number in the file at PATH, or -1 if it cannot be read. */
static long long read_number(const char *path)
{
	FILE *f = fopen(path, "r");
	long long n = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%lld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	long long start, end, last, t, gap, max = 0, over_ms = 0, next_look, limit = 0, n;
	const char *file = NULL;

	if (argc != 2 && argc != 4)
		return fprintf(stderr, "usage: gapmeter SECS [FILE LIMIT]\n"), 2;
	if (argc == 4) {
		file = argv[2];
		limit = atoll(argv[3]);
	}
	signal(SIGTERM, on_term);
	start = last = next_look = now_ns();
	end = last + atoll(argv[1]) * 1000000000LL;
	while ((t = now_ns()) < end && !stop) {
		gap = t - last;
		if (gap > max)
			max = gap;
		if (gap > 1000000)
			over_ms++;
		last = t;
		if (file && t >= next_look) {
			n = read_number(file);
			if (n >= 0 && n <= limit)
				break;
			next_look = t + 100000000LL;
			/* The look is this process's own time, not a gap. */
			last = now_ns();
		}
	}
	printf("max_gap_us=%lld gaps_over_1ms=%lld elapsed_ms=%lld\n", max / 1000, over_ms,
	       (now_ns() - start) / 1000000);
	return 0;
}
