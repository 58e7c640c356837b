/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The commands: one cmd_*.c each, dispatched from main.c's table. */
#ifndef HVT_CMDS_H
#define HVT_CMDS_H

int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_mark(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_table(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_top(int argc, char **argv);

#endif /* HVT_CMDS_H */
