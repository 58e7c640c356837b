// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* hvtrace mark: start a named phase in the recording this workload runs under. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "marksock.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hvtrace mark NAME\n"
		"\n"
		"From inside a workload that 'hvtrace record' runs: ends the current phase and\n"
		"starts one named NAME (1 to 63 printable characters). It returns once the\n"
		"recorder has switched, so what follows is counted in NAME. Marks take over\n"
		"from automatic phases. The recorder is found through $%s.\n"
		"\n"
		"Examples:\n"
		"  hvtrace mark tar;       tar xf samba.tar.gz\n"
		"  hvtrace mark configure; ./configure\n"
		"  hvtrace mark make;      make -j2\n", MARKSOCK_ENV);
}

int cmd_mark(int argc, char **argv)
{
	const char *sock = getenv(MARKSOCK_ENV);
	char msg[256] = "";
	int id;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return HVT_EXIT_OK;
	}
	if (argc != 2)
		return hvt_usage_err("mark", "give exactly one phase NAME");
	if (!sock || !*sock) {
		hvt_err("mark: not running under 'hvtrace record' ($%s is not set)", MARKSOCK_ENV);
		return HVT_EXIT_FAIL;
	}
	id = marksock_mark(sock, argv[1], msg, sizeof(msg));
	if (id < 0) {
		hvt_err("mark '%s': %s", argv[1], msg);
		return HVT_EXIT_FAIL;
	}
	return HVT_EXIT_OK;
}
