// SPDX-License-Identifier: GPL-2.0
/*
 * TCP load for benchmarks, timed by the guest clock.
 *
 *   tcpconn serve PORT                 accept connections; echo what arrives, until closed
 *   tcpconn connect ADDR PORT COUNT    open and close COUNT connections, one after another
 *   tcpconn pingpong ADDR PORT COUNT   COUNT round trips of 64 bytes on one connection
 *
 * The clients print "ops=COUNT ns=ELAPSED".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int dial(const char *addr, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
	struct linger lin = { .l_onoff = 1, .l_linger = 0 };

	if (fd < 0)
		die("socket");
	inet_pton(AF_INET, addr, &sin.sin_addr);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Close with a reset: no TIME_WAIT state piles up across thousands of connections. */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		die("connect");
	return fd;
}

static void serve(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
	char buf[4096];

	signal(SIGCHLD, SIG_IGN);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 1024) < 0)
		die("listen");
	for (;;) {
		int c = accept(fd, NULL, NULL);
		ssize_t n;

		if (c < 0)
			continue;
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while ((n = read(c, buf, sizeof(buf))) > 0)
			if (write(c, buf, n) != n)
				break;
		close(c);
	}
}

int main(int argc, char **argv)
{
	long long start, count, i;
	char msg[64] = { 0 };

	if (argc == 3 && !strcmp(argv[1], "serve"))
		serve(atoi(argv[2]));
	if (argc != 5)
		return fprintf(stderr, "usage: see the top of tcpconn.c\n"), 2;
	count = atoll(argv[4]);
	start = now_ns();
	if (!strcmp(argv[1], "connect")) {
		for (i = 0; i < count; i++)
			close(dial(argv[2], atoi(argv[3])));
	} else if (!strcmp(argv[1], "pingpong")) {
		int fd = dial(argv[2], atoi(argv[3]));

		for (i = 0; i < count; i++) {
			if (write(fd, msg, sizeof(msg)) != sizeof(msg) ||
			    recv(fd, msg, sizeof(msg), MSG_WAITALL) != sizeof(msg))
				die("pingpong");
		}
		close(fd);
	} else {
		return 2;
	}
	printf("ops=%lld ns=%lld\n", count, now_ns() - start);
	return 0;
}
