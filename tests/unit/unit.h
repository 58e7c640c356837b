/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A minimal unit-test harness. Each TEST() is a function named for the
 * behaviour it checks; the runner prints "ok - name" or "not ok - name: why"
 * per test, which tests/run.sh counts.
 */
#ifndef HVT_UNIT_H
#define HVT_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct unit_test {
	const char *name;
	void (*fn)(int *failed);
};

#define MAX_TESTS 256
static struct unit_test unit_tests[MAX_TESTS];
static int unit_n;

#define TEST(name)                                                                 \
	static void name(int *failed);                                             \
	__attribute__((constructor)) static void reg_##name(void)                  \
	{                                                                          \
		if (unit_n < MAX_TESTS)                                            \
			unit_tests[unit_n++] = (struct unit_test){ #name, name };  \
	}                                                                          \
	static void name(int *failed)

#define FAIL(...)                                                                  \
	do {                                                                       \
		if (*failed <= 0)                                                  \
			printf("not ok - %s: ", __func__);                         \
		else                                                               \
			printf("    also: ");                                      \
		printf(__VA_ARGS__);                                               \
		printf(" (%s:%d)\n", __FILE__, __LINE__);                          \
		*failed = 1;                                                       \
	} while (0)

/* Skips the rest of the test, loudly, with the reason. */
#define SKIP(...)                                                                  \
	do {                                                                       \
		printf("skip - %s: ", __func__);                                   \
		printf(__VA_ARGS__);                                               \
		printf("\n");                                                     \
		*failed = -1;                                                      \
		return;                                                            \
	} while (0)

#define EXPECT_INT(got, want)                                                      \
	do {                                                                       \
		long long g_ = (long long)(got), w_ = (long long)(want);           \
		if (g_ != w_)                                                      \
			FAIL("%s: expected %lld, got %lld", #got, w_, g_);         \
	} while (0)

#define EXPECT_STR(got, want)                                                      \
	do {                                                                       \
		const char *g_ = (got), *w_ = (want);                              \
		if (!g_ || strcmp(g_, w_))                                         \
			FAIL("%s: expected \"%s\", got \"%s\"", #got, w_,          \
			     g_ ? g_ : "(null)");                                  \
	} while (0)

#define EXPECT_TRUE(cond)                                                          \
	do {                                                                       \
		if (!(cond))                                                       \
			FAIL("expected %s", #cond);                                \
	} while (0)

#define EXPECT_NEAR(got, want, tol)                                                \
	do {                                                                       \
		double g_ = (got), w_ = (want);                                    \
		if (g_ < w_ - (tol) || g_ > w_ + (tol))                            \
			FAIL("%s: expected %g +- %g, got %g", #got, w_,            \
			     (double)(tol), g_);                                   \
	} while (0)

int main(int argc, char **argv)
{
	int i, bad = 0;

	for (i = 0; i < unit_n; i++) {
		int failed = 0;

		if (argc > 1 && !strstr(unit_tests[i].name, argv[1]))
			continue;
		unit_tests[i].fn(&failed);
		if (!failed)
			printf("ok - %s\n", unit_tests[i].name);
		bad |= failed > 0;
	}
	return bad;
}

#endif /* HVT_UNIT_H */
