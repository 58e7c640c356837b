#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Installs what hvtrace needs on a fresh Debian 12 and builds libperf from
# Debian's linux-source package (libperf is not packaged). Idempotent: with
# everything present it only checks, in well under a second.
#   LIBPERF_DIR  where libperf goes (default /var/cache/hvtrace/libperf)
set -euo pipefail

LIBPERF_DIR=${LIBPERF_DIR:-/var/cache/hvtrace/libperf}

# Build, BPF, recordings, libvirt, perf; then what the tests and the demo run:
# QEMU, busybox and cpio for guest images, debootstrap, libvirt's daemon.
PACKAGES=(
	make gcc clang llvm bpftool pkg-config libbpf-dev libelf-dev libdw-dev zlib1g-dev
	libzstd-dev libsqlite3-dev sqlite3 libvirt-dev libcap-dev xz-utils binutils
	qemu-system-x86 qemu-utils busybox-static cpio debootstrap e2fsprogs
	libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients dpkg-dev chromium fonts-dejavu-core
)

say() { printf 'deps: %s\n' "$*" >&2; }
die() { printf 'deps: error: %s\n' "$*" >&2; exit 1; }

# Source packages (GNU hello for the demo and benchmarks, samba for the talk's
# workload) need deb-src lines; add them beside the binary ones, once.
ensure_deb_src() {
	if grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		return 0
	fi
	[ "$(id -u)" = 0 ] || die "no deb-src sources configured; run 'sudo make deps'"
	local src=/etc/apt/sources.list.d/debian.sources out=/etc/apt/sources.list.d/hvtrace-src.sources
	if [ -f "$src" ]; then
		sed 's/^Types:.*/Types: deb-src/' "$src" >"$out"
	elif [ -f /etc/apt/sources.list ]; then
		grep -E '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' \
			>/etc/apt/sources.list.d/hvtrace-src.list
	else
		die "cannot find Debian's apt sources to add deb-src lines"
	fi
	say "added deb-src sources; updating the package lists"
	apt-get update -q >/dev/null || die "apt-get update failed"
}
ensure_deb_src

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

if ((${#missing[@]})); then
	[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run 'sudo make deps'"
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null || die "apt-get update failed: no network to Debian's mirrors?"
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
fi

if [ ! -f "$LIBPERF_DIR/lib/libperf.a" ] || [ ! -f "$LIBPERF_DIR/lib/libapi.a" ] ||
	[ ! -f "$LIBPERF_DIR/include/perf/evlist.h" ]; then
	[ "$(id -u)" = 0 ] || [ -w "$(dirname "$LIBPERF_DIR")" ] ||
		die "libperf is not built in $LIBPERF_DIR; run 'sudo make deps'"
	say "building libperf from Debian's linux-source-6.1 into $LIBPERF_DIR"
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	(cd "$work" && apt-get download -q linux-source-6.1 >/dev/null 2>&1) ||
		die "apt-get download linux-source-6.1 failed"
	# Only the parts libperf builds from, out of a 1.3 GB tree.
	dpkg-deb --fsys-tarfile "$work"/linux-source-6.1_*.deb |
		tar -xO ./usr/src/linux-source-6.1.tar.xz |
		tar -xJ -C "$work" linux-source-6.1/tools/lib linux-source-6.1/tools/include \
			linux-source-6.1/tools/build linux-source-6.1/tools/scripts \
			linux-source-6.1/tools/arch linux-source-6.1/scripts \
			linux-source-6.1/include/uapi linux-source-6.1/arch/x86/include/uapi ||
		die "cannot unpack linux-source-6.1"
	src=$work/linux-source-6.1/tools/lib
	make -s -C "$src/perf" libperf.a >/dev/null || die "building libperf.a failed"
	make -s -C "$src/api" libapi.a >/dev/null || die "building libapi.a failed"
	mkdir -p "$LIBPERF_DIR/lib" "$LIBPERF_DIR/include"
	cp "$src/perf/libperf.a" "$src/api/libapi.a" "$LIBPERF_DIR/lib/"
	rm -rf "$LIBPERF_DIR/include/perf"
	cp -r "$src/perf/include/perf" "$LIBPERF_DIR/include/"
	say "libperf ready"
fi
