// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* outfile: stdout, or a file replaced only by a complete output. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outfile.h"

int outfile_open(struct outfile *o, const char *path)
{
	memset(o, 0, sizeof(*o));
	if (!path || !strcmp(path, "-")) {
		o->f = stdout;
		return 0;
	}
	if (asprintf(&o->tmp, "%s.tmp.%d", path, (int)getpid()) < 0) {
		o->tmp = NULL;
		return -ENOMEM;
	}
	o->f = fopen(o->tmp, "w");
	if (!o->f) {
		int err = -errno;

		free(o->tmp);
		o->tmp = NULL;
		return err;
	}
	o->path = path;
	return 0;
}

int outfile_close(struct outfile *o, int err)
{
	if (!o->f)
		return err;
	errno = 0;
	if ((fflush(o->f) || ferror(o->f)) && !err)
		err = -(errno ? errno : EIO);
	if (o->path) {
		if (fclose(o->f) && !err)
			err = -errno;
		if (!err && rename(o->tmp, o->path))
			err = -errno;
		if (err)
			unlink(o->tmp);
		free(o->tmp);
	}
	o->f = NULL;
	return err;
}
