#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Emits a C table of x86_64 syscall names from the installed kernel headers.
set -e
hdr=${1:-/usr/include/x86_64-linux-gnu/asm/unistd_64.h}
[ -r "$hdr" ] || { echo "syscall_names.sh: cannot read $hdr" >&2; exit 1; }
echo "/* Generated from $hdr by mk/syscall_names.sh. */"
echo "static const char *const syscall_names[] = {"
awk '$1 == "#define" && $2 ~ /^__NR_/ && $3 ~ /^[0-9]+$/ {
	printf "\t[%d] = \"%s\",\n", $3, substr($2, 6) }' "$hdr"
echo "};"
