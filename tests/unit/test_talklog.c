// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* talklog: the talk's bench.sh log format, good and bad. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "talklog.h"
#include "util.h"
#include "unit.h"

#define S(sec) ((int64_t)((sec) * 1000000000.0 + 0.5))

/*
 * Run 1 of the talk's CENTOS-XEN-PARA-x86_64 logs: the `real` times are the
 * talk's ("Benchmark-Skript" slide); the talk does not show the rest, so the
 * build output and the user/sys times here are made up.
 */
static const char talk_run1[] =
	"checking for gcc... gcc\n"
	"checking whether the C compiler works... yes\n"
	"\n"
	"real\t1m41.054s\n"
	"user\t0m59.120s\n"
	"sys\t0m31.710s\n"
	"Compiling lib/util.c\n"
	"Linking bin/smbd\n"
	"\n"
	"real\t6m12.247s\n"
	"\n"
	"real\t7m55.886s\n";

static int parse_str(const char *name, const char *text, size_t len, struct talklog *log,
		     char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, len, "r");
	int ret;

	if (!f)
		return -errno;
	ret = talklog_parse(f, name, log, err, errlen);
	fclose(f);
	return ret;
}

static int parse(const char *name, const char *text, struct talklog *log, char *err,
		 size_t errlen)
{
	return parse_str(name, text, strlen(text), log, err, errlen);
}

static int64_t time_of(const char *s)
{
	int64_t ns = -1;

	return talklog_parse_time(s, &ns) ? -1 : ns;
}

TEST(parse_time_reads_bash_format)
{
	EXPECT_INT(time_of("7m55.886s"), S(475.886));
	EXPECT_INT(time_of("0m0.003s"), S(0.003));
	EXPECT_INT(time_of("1m41.054s"), S(101.054));
	EXPECT_INT(time_of("120m0.000s"), S(7200));
}

TEST(parse_time_reads_other_precisions_and_decimal_comma)
{
	EXPECT_INT(time_of("7m55s"), S(475));			/* TIMEFORMAT precision 0 */
	EXPECT_INT(time_of("7m55.9s"), S(475.9));
	EXPECT_INT(time_of("7m55,886s"), S(475.886));		/* de_DE locale */
	EXPECT_INT(time_of("0m1.123456789s"), 1123456789);
}

TEST(parse_time_reads_time_p_format)
{
	EXPECT_INT(time_of("475.88"), S(475.88));
	EXPECT_INT(time_of("0.00"), 0);
	EXPECT_INT(time_of("12"), S(12));
}

TEST(parse_time_allows_trailing_blanks_only)
{
	EXPECT_INT(time_of("7m55.886s \t"), S(475.886));
	EXPECT_INT(time_of("7m55.886s x"), -1);
}

TEST(parse_time_rejects_malformed)
{
	static const char *const bad[] = {
		"7x55s", "", "m55.886s", "7m.886s", "7m55.s", "7m55.886", "7m55.886ss",
		"7m60.000s", "7m123.000s", "-1m2.000s", "7m55.1234567890s", "7 m55s", "1e3",
		"7m55..886s", ".5",
	};
	size_t i;
	int64_t ns;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int err = talklog_parse_time(bad[i], &ns);

		if (err != -EINVAL)
			FAIL("'%s': expected -EINVAL, got %d", bad[i], err);
	}
}

TEST(parse_time_rejects_out_of_range)
{
	int64_t ns;

	EXPECT_INT(talklog_parse_time("100001m0.000s", &ns), -ERANGE);
	EXPECT_INT(talklog_parse_time("1234567890m0.000s", &ns), -ERANGE);
	EXPECT_INT(talklog_parse_time("99999999999999999999", &ns), -ERANGE);
	EXPECT_INT(talklog_parse_time("100000m0.000s", &ns), 0);
}

TEST(parse_name_splits_label_and_run)
{
	char label[TALKLOG_LABEL_MAX];
	unsigned int run = 0;

	EXPECT_INT(talklog_parse_name("logfile-CENTOS-XEN-PARA-x86_64-1", label, sizeof(label),
				      &run), 0);
	EXPECT_STR(label, "CENTOS-XEN-PARA-x86_64");
	EXPECT_INT(run, 1);
	EXPECT_INT(talklog_parse_name("/tmp/run1/logfile-SUSE-KVM-x86_64-12", label,
				      sizeof(label), &run), 0);
	EXPECT_STR(label, "SUSE-KVM-x86_64");
	EXPECT_INT(run, 12);
}

TEST(parse_name_rejects_other_names)
{
	static const char *const bad[] = {
		"logfile-CENTOS-XEN-PARA-x86_64-", "logfile-CENTOS-XEN-PARA-x86_64", "log-X-1",
		"logfile--1", "logfile-X-1a", "logfile-X-1.txt", "dir/xen.log", "logfile-1",
		"logfile-X-1/",
	};
	char label[TALKLOG_LABEL_MAX];
	unsigned int run;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (talklog_parse_name(bad[i], label, sizeof(label), &run) != -EINVAL)
			FAIL("'%s' accepted as a log name", bad[i]);
	EXPECT_INT(talklog_parse_name("logfile-ABCDEFGH-1", label, 8, &run), -ENAMETOOLONG);
}

TEST(parse_reads_talk_log_total_and_phases)
{
	struct talklog log;
	char err[256] = "";

	EXPECT_INT(parse("logfile-CENTOS-XEN-PARA-x86_64-1", talk_run1, &log, err, sizeof(err)),
		   0);
	EXPECT_STR(log.label, "CENTOS-XEN-PARA-x86_64");
	EXPECT_INT(log.run, 1);
	EXPECT_INT(log.total_ns, S(475.886));
	EXPECT_INT(log.total_line, 12);
	EXPECT_INT(log.n_phases, 3);
	EXPECT_STR(log.phases[0].name, "tar");
	EXPECT_INT(log.phases[0].ns, S(475.886 - 101.054 - 372.247));
	EXPECT_INT(log.phases[0].line, 0);
	EXPECT_STR(log.phases[1].name, "configure");
	EXPECT_INT(log.phases[1].ns, S(101.054));
	EXPECT_INT(log.phases[1].line, 4);
	EXPECT_STR(log.phases[2].name, "make");
	EXPECT_INT(log.phases[2].ns, S(372.247));
	EXPECT_INT(log.phases[2].line, 10);
}

TEST(parse_with_one_real_line_has_total_only)
{
	struct talklog log;
	char err[256] = "";

	EXPECT_INT(parse("logfile-A-B-C-1", "build output\nreal\t0m5.000s\n", &log, err,
			 sizeof(err)), 0);
	EXPECT_INT(log.total_ns, S(5));
	EXPECT_INT(log.n_phases, 0);
}

TEST(parse_with_two_real_lines_has_configure)
{
	struct talklog log;
	char err[256] = "";

	EXPECT_INT(parse("logfile-A-B-C-1", "real\t0m2.000s\nreal\t0m5.000s\n", &log, err,
			 sizeof(err)), 0);
	EXPECT_INT(log.total_ns, S(5));
	EXPECT_INT(log.n_phases, 1);
	EXPECT_STR(log.phases[0].name, "configure");
	EXPECT_INT(log.phases[0].ns, S(2));
}

TEST(parse_accepts_crlf_and_no_final_newline_and_time_p)
{
	struct talklog log;
	char err[256] = "";

	EXPECT_INT(parse("logfile-A-B-C-2",
			 "real 1.50\r\nuser 1.00\r\nsys 0.20\r\nreal 2.50\r\nreal 4.25", &log, err,
			 sizeof(err)), 0);
	EXPECT_INT(log.total_ns, S(4.25));
	EXPECT_INT(log.n_phases, 3);
	EXPECT_INT(log.phases[0].ns, S(0.25));
}

TEST(parse_ignores_lines_that_only_start_like_real)
{
	struct talklog log;
	char err[256] = "";

	EXPECT_INT(parse("logfile-A-B-C-1",
			 "realloc.c: warning\nreally\n real\t9m9.999s\nx real\t1m0.000s\n"
			 "real\t0m1.000s\n", &log, err, sizeof(err)), 0);
	EXPECT_INT(log.total_ns, S(1));
	EXPECT_INT(log.n_phases, 0);
}

TEST(parse_skips_overlong_build_lines)
{
	static char text[3 * TALKLOG_LINE_MAX];
	struct talklog log;
	char err[256] = "";

	memset(text, 'x', 2 * TALKLOG_LINE_MAX);
	strcpy(text + 2 * TALKLOG_LINE_MAX, "\nreal\t0m3.000s\n");
	EXPECT_INT(parse("logfile-A-B-C-1", text, &log, err, sizeof(err)), 0);
	EXPECT_INT(log.total_ns, S(3));
}

TEST(parse_rejects_log_without_real_line)
{
	struct talklog log;
	char err[256] = "";

	EXPECT_INT(parse("logfile-A-B-C-1", "checking...\nuser\t0m1.000s\n", &log, err,
			 sizeof(err)), -EINVAL);
	EXPECT_TRUE(strstr(err, "logfile-A-B-C-1: no 'real' line") != NULL);
	EXPECT_INT(parse("logfile-A-B-C-1", "", &log, err, sizeof(err)), -EINVAL);
	EXPECT_TRUE(strstr(err, "no 'real' line (0 lines read)") != NULL);
}

TEST(parse_rejects_malformed_time_naming_file_and_line)
{
	struct talklog log;
	char err[256] = "";

	EXPECT_INT(parse("logfile-A-B-C-1", "a\nreal\t0m1.000s\nreal 7x55s\nreal\t0m9.000s\n",
			 &log, err, sizeof(err)), -EINVAL);
	EXPECT_STR(err, "logfile-A-B-C-1:3: malformed time '7x55s' in a 'real' line "
			"(expected bash's format, like 7m55.886s)");
}

TEST(parse_rejects_fourth_real_line)
{
	struct talklog log;
	char err[256] = "";

	EXPECT_INT(parse("logfile-A-B-C-1", "real 1.0\nreal 2.0\nreal 4.0\n\nreal 5.0\n", &log,
			 err, sizeof(err)), -EINVAL);
	EXPECT_TRUE(strstr(err, "logfile-A-B-C-1:5: a 4th 'real' line") != NULL);
}

TEST(parse_rejects_total_shorter_than_its_parts)
{
	struct talklog log;
	char err[256] = "";

	EXPECT_INT(parse("logfile-A-B-C-1", "real 3.0\nreal 2.0\nreal 4.0\n", &log, err,
			 sizeof(err)), -EINVAL);
	EXPECT_TRUE(strstr(err, "logfile-A-B-C-1:3: the whole run (4.000 s) is shorter") != NULL);
}

TEST(parse_rejects_binary_data)
{
	static const char text[] = "real\t0m1.000s\nSQLite\0format\n";
	struct talklog log;
	char err[256] = "";

	EXPECT_INT(parse_str("logfile-A-B-C-1", text, sizeof(text) - 1, &log, err, sizeof(err)),
		   -EINVAL);
	EXPECT_TRUE(strstr(err, "logfile-A-B-C-1:2: binary data") != NULL);
}

TEST(parse_rejects_overlong_real_line)
{
	static char text[2 * TALKLOG_LINE_MAX];
	struct talklog log;
	char err[256] = "";

	strcpy(text, "real\t0m1.000s");
	memset(text + strlen(text), ' ', TALKLOG_LINE_MAX);
	strcat(text, "\n");
	EXPECT_INT(parse("logfile-A-B-C-1", text, &log, err, sizeof(err)), -EINVAL);
	EXPECT_TRUE(strstr(err, "logfile-A-B-C-1:1: 'real' line longer than") != NULL);
}

TEST(parse_rejects_file_not_named_like_a_log)
{
	struct talklog log;
	char err[256] = "";

	EXPECT_INT(parse("results.txt", "real\t0m1.000s\n", &log, err, sizeof(err)), -EINVAL);
	EXPECT_TRUE(strstr(err, "'results.txt' is neither an hvtrace recording nor a bench.sh "
				"log") != NULL);
}
