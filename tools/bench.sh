#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The talk's benchmark (LinuxTag 2013, ../shared/seed) made portable:
#   tar xf SOURCE; cd SOURCE; time ./configure; time make
# with each phase marked for hvtrace (`hvtrace mark`, when run under
# `hvtrace record` or `hvtrace bench`), and bash `time` output like the talk's
# log files, so `hvtrace table` reads either.
#
#   tools/bench.sh [--tarball FILE | --dsc FILE] [--workdir DIR] [--jobs N]
#                  [--keep] [-- CONFIGURE-ARGS...]
#
#   --tarball FILE  an autotools source tarball (tar xf, ./configure, make)
#   --dsc FILE      a Debian source package (.dsc): unpacked and patched with
#                   dpkg-source -x as the "tar" phase (samba: see below)
#   --workdir DIR   where to unpack (default: a fresh folder under /tmp)
#   --jobs N        make -jN (default: the number of CPUs)
#   --subdir DIR    run configure and make in this subfolder (the talk: source3)
#   --keep          keep the unpacked tree (the talk removed it after each run)
#
# Samba as in the talk (needs its build dependencies: apt-get build-dep samba):
#   apt-get source --download-only samba
#   tools/bench.sh --dsc samba_*.dsc -- --without-ad-dc --without-ads \
#       --without-pam --disable-python --without-systemd
set -euo pipefail

# A mark before anything else: the set-up's own commands (nproc, mktemp...)
# must not open automatic phases of their own under `hvtrace record`.
HVT=${HVTRACE:-hvtrace}
mark() {
	if [ -n "${HVTRACE_SOCK:-}" ]; then "$HVT" mark "$1"; fi
}
mark setup

TARBALL= DSC= WORKDIR= JOBS=$(nproc) KEEP=0 SUBDIR=
while [ $# -gt 0 ]; do
	case $1 in
	--tarball) TARBALL=$2; shift 2 ;;
	--dsc) DSC=$2; shift 2 ;;
	--workdir) WORKDIR=$2; shift 2 ;;
	--jobs) JOBS=$2; shift 2 ;;
	--subdir) SUBDIR=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	--) shift; break ;;
	-h|--help) sed -n '3,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
	esac
done
[ -n "$TARBALL$DSC" ] || { echo "bench.sh: give --tarball FILE or --dsc FILE" >&2; exit 2; }
[ -z "$TARBALL" ] || [ -r "$TARBALL" ] || { echo "bench.sh: cannot read '$TARBALL'" >&2; exit 1; }
[ -z "$DSC" ] || [ -r "$DSC" ] || { echo "bench.sh: cannot read '$DSC'" >&2; exit 1; }
case $JOBS in '' | *[!0-9]*) echo "bench.sh: --jobs wants a number" >&2; exit 2 ;; esac

# waf (samba) needs the system python first; harmless for autotools.
export PATH=/usr/bin:/bin:$PATH
TARBALL=${TARBALL:+$(realpath "$TARBALL")}
DSC=${DSC:+$(realpath "$DSC")}
made_workdir=0
if [ -z "$WORKDIR" ]; then
	WORKDIR=$(mktemp -d /tmp/hvtrace-bench.XXXXXX)
	made_workdir=1
fi
mkdir -p "$WORKDIR"
cd "$WORKDIR"

mark tar
if [ -n "$DSC" ]; then
	time dpkg-source --no-check -x "$DSC" src >/dev/null
else
	mkdir src
	time tar xf "$TARBALL" -C src --strip-components=1
fi
cd "src${SUBDIR:+/$SUBDIR}"

mark configure
time ./configure "$@" >configure.log 2>&1 || { tail -n 20 configure.log >&2; exit 1; }

mark make
time make -j"$JOBS" >make.log 2>&1 || { tail -n 20 make.log >&2; exit 1; }

cd "$WORKDIR"
if [ "$KEEP" = 0 ]; then
	rm -rf src
	[ "$made_workdir" = 0 ] || rmdir "$WORKDIR"
fi
