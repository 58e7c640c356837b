// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * floor: attaches bpf/floor.bpf.c's empty programs, runs COMMAND, detaches.
 * bench/overhead.sh compares it with untraced runs and with hvtrace.
 *   floor [--stats] -- COMMAND [ARGS...]
 * --stats prints the kernel's run count and run time of each program.
 * Only the floor_* programs are attached; the others are bench/progcost's.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "floor.skel.h"

int main(int argc, char **argv)
{
	struct bpf_program *prog;
	struct floor *skel;
	int i = 1, stats = 0, stats_fd = -1, status = 0;
	pid_t pid;

	if (argc > i && !strcmp(argv[i], "--stats")) {
		stats = 1;
		i++;
	}
	if (argc > i && !strcmp(argv[i], "--"))
		i++;
	if (i >= argc) {
		fprintf(stderr, "usage: floor [--stats] -- COMMAND [ARGS...]\n");
		return 2;
	}
	skel = floor__open();
	if (skel)
		bpf_object__for_each_program(prog, skel->obj)
			bpf_program__set_autoload(prog, !strncmp(bpf_program__name(prog), "floor_", 6));
	if (!skel || floor__load(skel) || floor__attach(skel)) {
		fprintf(stderr, "floor: cannot load or attach the empty programs\n");
		floor__destroy(skel);
		return 1;
	}
	if (stats)
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	pid = fork();
	if (pid == 0) {
		execvp(argv[i], argv + i);
		perror(argv[i]);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	if (stats) {
		bpf_object__for_each_program(prog, skel->obj) {
			struct bpf_prog_info info = { 0 };
			__u32 len = sizeof(info);

			if (bpf_program__autoload(prog) &&
			    !bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
				fprintf(stderr, "%s run_cnt %llu run_time_ns %llu\n",
					bpf_program__name(prog), (unsigned long long)info.run_cnt,
					(unsigned long long)info.run_time_ns);
		}
		close(stats_fd);
	}
	floor__destroy(skel);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
