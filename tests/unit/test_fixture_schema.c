// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The tests build recordings with the sqlite3 CLI on tests/fixtures/schema.sql
 * (run from the top of the tree, as tests/run.sh does). That file must be the
 * schema recfile_create() writes, and the one docs/recording-format.md
 * documents, or the fixtures test a format no recorder makes.
 */
#include <ctype.h>
#include <stdlib.h>
#include <unistd.h>
#include <sqlite3.h>

#include "recfile.h"
#include "unit.h"

#define FIXTURE "tests/fixtures/schema.sql"
#define DOC "docs/recording-format.md"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* S with each run of white space as one space, and none after '(' or before ')'. */
static void squeeze(char *s)
{
	char *o = s, *in;
	int space = 0;

	for (in = s; *in; in++) {
		if (isspace((unsigned char)*in)) {
			space = 1;
			continue;
		}
		if (space && o > s && *in != ')' && o[-1] != '(')
			*o++ = ' ';
		space = 0;
		*o++ = *in;
	}
	*o = '\0';
}

/* The schema of DB as one string: "type name: sql" lines, sorted, white space squeezed. */
static char *schema_of(sqlite3 *db)
{
	sqlite3_stmt *st;
	char *out = NULL, *line;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	if (sqlite3_prepare_v2(db, "SELECT type, name, coalesce(sql, '') FROM sqlite_master "
				   "ORDER BY type, name", -1, &st, NULL)) {
		fclose(f);
		free(out);
		return NULL;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		line = strdup((const char *)sqlite3_column_text(st, 2));
		if (!line)
			break;
		squeeze(line);
		fprintf(f, "%s %s: %s\n", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
			line);
		free(line);
	}
	sqlite3_finalize(st);
	fclose(f);
	return out;
}

static long long pragma(sqlite3 *db, const char *name)
{
	char sql[64];
	sqlite3_stmt *st;
	long long v = -1;

	snprintf(sql, sizeof(sql), "PRAGMA %s", name);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL))
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The first line that differs between two schemas, as schema_of() writes them. */
static void first_difference(const char *want, const char *got, char *buf, size_t len)
{
	size_t w, g;

	while (*want || *got) {
		w = strcspn(want, "\n");
		g = strcspn(got, "\n");
		if (w != g || strncmp(want, got, w)) {
			snprintf(buf, len, "recfile has '%.*s', the fixture '%.*s'", (int)w, want,
				 (int)g, got);
			return;
		}
		want += w + !!want[w];
		got += g + !!got[g];
	}
	snprintf(buf, len, "no line differs");
}

/* The fixture loaded into a fresh in-memory database, or NULL. */
static sqlite3 *fixture_db(int *failed)
{
	char *sql = slurp(FIXTURE);
	sqlite3 *db = NULL;

	if (!sql) {
		FAIL("cannot read %s (run from the top of the tree)", FIXTURE);
		return NULL;
	}
	if (sqlite3_open(":memory:", &db) || sqlite3_exec(db, sql, NULL, NULL, NULL)) {
		FAIL("%s does not load: %s", FIXTURE, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		db = NULL;
	}
	free(sql);
	return db;
}

TEST(fixture_schema_is_what_recfile_writes)
{
	char dir[] = "/tmp/hvt-schema.XXXXXX", path[64] = "", err[1024];
	char *want = NULL, *got = NULL;
	sqlite3 *fix, *rec = NULL;
	struct recfile *rf;

	fix = fixture_db(failed);
	if (!fix)
		return;
	if (!mkdtemp(dir)) {
		FAIL("mkdtemp: %m");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/empty.hvt", dir);
	rf = recfile_create(path, err, sizeof(err));
	if (!rf) {
		FAIL("recfile_create: %s", err);
		goto out;
	}
	recfile_close(rf);
	if (sqlite3_open_v2(path, &rec, SQLITE_OPEN_READONLY, NULL)) {
		FAIL("cannot open the new recording: %s", sqlite3_errmsg(rec));
		goto out;
	}
	EXPECT_INT(pragma(fix, "application_id"), pragma(rec, "application_id"));
	EXPECT_INT(pragma(fix, "user_version"), pragma(rec, "user_version"));
	EXPECT_INT(pragma(fix, "user_version"), RECFILE_SCHEMA);
	want = schema_of(rec);
	got = schema_of(fix);
	if (!want || !got)
		FAIL("cannot read sqlite_master");
	else if (strcmp(want, got)) {
		first_difference(want, got, err, sizeof(err));
		FAIL("%s differs from the schema recfile.c writes: %s", FIXTURE, err);
	}
out:
	free(want);
	free(got);
	sqlite3_close(rec);
	sqlite3_close(fix);
	if (*path) {
		unlink(path);
		rmdir(dir);
	}
}

TEST(fixture_schema_columns_are_documented)
{
	char *doc = slurp(DOC), row[64];
	sqlite3_stmt *tables = NULL, *cols;
	sqlite3 *fix;

	fix = fixture_db(failed);
	if (!fix || !doc) {
		if (!doc)
			FAIL("cannot read %s", DOC);
		goto out;
	}
	if (sqlite3_prepare_v2(fix, "SELECT name FROM sqlite_master WHERE type = 'table' "
				    "ORDER BY name", -1, &tables, NULL)) {
		FAIL("cannot list the tables: %s", sqlite3_errmsg(fix));
		goto out;
	}
	while (sqlite3_step(tables) == SQLITE_ROW) {
		const char *table = (const char *)sqlite3_column_text(tables, 0);
		const char *line, *at, *end;
		char sql[96], col[80];

		/* Its row in the doc's "Tables" table: | `name` | one row per | columns | */
		snprintf(row, sizeof(row), "\n| `%s` |", table);
		line = strstr(doc, row);
		if (!line) {
			FAIL("table %s has no row in %s", table, DOC);
			continue;
		}
		end = strchr(line + 1, '\n');
		at = line;
		snprintf(sql, sizeof(sql), "SELECT name FROM pragma_table_info('%s')", table);
		if (sqlite3_prepare_v2(fix, sql, -1, &cols, NULL))
			continue;
		while (sqlite3_step(cols) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(cols, 0);

			snprintf(col, sizeof(col), "`%s`", name);
			at = strstr(at, col);
			if (!at || (end && at > end)) {
				FAIL("%s: column %s of %s is not documented (in order) in its row",
				     DOC, name, table);
				break;
			}
			at += strlen(col);
		}
		sqlite3_finalize(cols);
	}
out:
	sqlite3_finalize(tables);
	sqlite3_close(fix);
	free(doc);
}
