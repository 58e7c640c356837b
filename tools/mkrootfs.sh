#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Makes the guest's root disk for the demo and for benchmarks in a guest: a
# Debian bookworm root (debootstrap --variant=minbase with build-essential;
# with --workload samba also samba's build dependencies), hvtrace-static as
# /usr/local/bin/hvtrace, tools/bench.sh as /usr/local/bin/bench.sh and the
# workload's Debian source in /opt/hvtrace/src/WORKLOAD, as an ext4 image.
#
# Cached in two levels under the cache folder (not in the build tree): the
# debootstrap tree (45 s to make, kept until the suite or the package list
# changes) and the image (made from the tree with mkfs.ext4 -d in a few
# seconds whenever hvtrace-static, bench.sh, the sources or the --add files
# change; reused as it is otherwise). Prints the image's path on stdout.
# One block: bash reads all of it before it runs any of it, so that editing
# the script (or a git pull) while it runs cannot change what runs.
{
set -euo pipefail

prog=mkrootfs
here=$(cd "$(dirname "$0")" && pwd)
# Bumped when what goes into a tree or an image changes shape: every cached
# tree and image is then remade.
FORMAT=1
CACHE=${HVT_CACHE:-/var/cache/hvtrace}
hvtrace_bin=${OUT:-build}/hvtrace-static
bench=$here/bench.sh
workload=hello
suite=bookworm
mirror=${HVT_MIRROR:-}
extra_mb=''
adds=()
quiet=''

usage() {
	cat <<EOF
Usage: tools/mkrootfs.sh [--workload hello|samba] [--hvtrace FILE] [--bench FILE]
                         [--add FILE:GUESTPATH]... [--extra-mb N] [--cache DIR]
                         [--mirror URL] [--quiet]

Makes (or finds in the cache) an ext4 image of a Debian $suite root for the
guest of tools/qemu-run.sh --rootfs, and prints its path on stdout:

  debootstrap --variant=minbase --include=build-essential (about 45 s, 600 MB,
  from the mirror apt uses), plus with --workload samba 'apt-get build-dep
  samba' in it; /usr/local/bin/hvtrace (hvtrace-static), /usr/local/bin/bench.sh,
  the workload's source ('apt-get source --download-only WORKLOAD', kept in
  CACHE/WORKLOAD) in /opt/hvtrace/src/WORKLOAD, and the --add files.

The debootstrap tree stays cached; a changed hvtrace-static, bench.sh, source
or --add file only remakes the image (mkfs.ext4 -d, a few seconds). The image
is meant to be used read-only (qemu-run.sh --rootfs on a qcow2 overlay of it):
the cache stays valid for the next run.

Options:
  --workload W       hello (default) or samba (its build dependencies go into
                     the root too: about 200 more packages)
  --hvtrace FILE     the static hvtrace (default: \$OUT/hvtrace-static, or
                     build/hvtrace-static)
  --bench FILE       the benchmark script (default: tools/bench.sh)
  --add FILE:PATH    also put FILE at PATH (absolute) in the root; repeatable
  --extra-mb N       free space in the image for the build, in MiB (default:
                     2048 for hello, 8192 for samba; the image file is sparse)
  --cache DIR        cache folder (default: \$HVT_CACHE or /var/cache/hvtrace);
                     the roots go to DIR/rootfs, the sources to DIR/WORKLOAD
  --mirror URL       Debian mirror (default: \$HVT_MIRROR, else the first one in
                     apt's sources for $suite, else http://deb.debian.org/debian)
  --quiet            no progress lines (errors still go to stderr)
  -h, --help         this text

Needs root (debootstrap, chroot, ownership in the image), debootstrap, e2fsprogs
(mkfs.ext4 1.43 or later for -d), and network to the Debian mirror unless the
tree and the sources are cached. About 1.5 GB free in the cache folder for
hello (4 GB for samba) the first time.

Exit status: 0 with the image path on stdout; 1 on failure (the reason on
stderr); 2 for a usage error.

Examples:
  sudo tools/mkrootfs.sh
  sudo tools/mkrootfs.sh --workload samba --hvtrace build/hvtrace-static
  img=\$(sudo tools/mkrootfs.sh --quiet)
  qemu-img create -f qcow2 -F raw -b "\$img" run.qcow2
  tools/qemu-run.sh --rootfs run.qcow2:qcow2 --backing "\$img" --mem 2048 --cmd 'hvtrace detect'
EOF
}

# A command that fails where no check expected it still says so.
set -E
trap 'printf "%s: error: unexpected failure at line %s: %s\n" "$prog" "$LINENO" "$BASH_COMMAND" >&2; exit 1' ERR

say() { [ -n "$quiet" ] || printf '%s: %s\n' "$prog" "$*" >&2; }
die() {
	printf '%s: error: %s\n' "$prog" "$*" >&2
	exit 1
}
usage_err() {
	printf '%s: %s (see --help)\n' "$prog" "$*" >&2
	exit 2
}

need() { (($# >= 2)) || usage_err "$1 needs a value"; }
while (($#)); do
	case $1 in
	--workload) need "$@"; workload=$2; shift 2 ;;
	--hvtrace) need "$@"; hvtrace_bin=$2; shift 2 ;;
	--bench) need "$@"; bench=$2; shift 2 ;;
	--add) need "$@"; adds+=("$2"); shift 2 ;;
	--extra-mb) need "$@"; extra_mb=$2; shift 2 ;;
	--cache) need "$@"; CACHE=$2; shift 2 ;;
	--mirror) need "$@"; mirror=$2; shift 2 ;;
	--quiet) quiet=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage_err "unknown argument '$1'" ;;
	esac
done

case $workload in
hello) extra_mb=${extra_mb:-2048} ;;
samba) extra_mb=${extra_mb:-8192} ;;
*) usage_err "--workload is hello or samba, not '$workload'" ;;
esac
[[ $extra_mb =~ ^[0-9]+$ ]] || usage_err "--extra-mb wants a number of MiB, not '$extra_mb'"
for a in "${adds[@]}"; do
	case $a in
	*:/*) [ -f "${a%%:*}" ] || die "--add '$a': no such file '${a%%:*}'" ;;
	*) usage_err "--add wants FILE:/GUEST/PATH, not '$a'" ;;
	esac
done

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, and file ownership in the image): run it with sudo"
for t in debootstrap mkfs.ext4 chroot apt-get flock sha256sum findmnt; do
	command -v "$t" >/dev/null || die "'$t' not found; run 'sudo make deps' (Debian 12 is assumed)"
done
[ -f "$hvtrace_bin" ] || die "hvtrace-static not found at '$hvtrace_bin' (run 'make' first, or give --hvtrace)"
if command -v readelf >/dev/null && readelf -lW "$hvtrace_bin" 2>/dev/null | grep -q 'program interpreter'; then
	die "'$hvtrace_bin' is dynamically linked; the guest needs hvtrace-static"
fi
[ -f "$bench" ] || die "benchmark script '$bench' not found"

ROOTFS=$CACHE/rootfs
mkdir -p "$ROOTFS" 2>/dev/null || die "cannot create cache folder '$ROOTFS'"
[ -w "$ROOTFS" ] || die "cache folder '$ROOTFS' is not writable"

# free_mb DIR: MiB free in the file system of DIR.
free_mb() { df -Pm "$1" | awk 'NR == 2 { print $4 }'; }
# need_space MB WHAT: fail early, and say how much, rather than half-way.
need_space() {
	local have
	have=$(free_mb "$ROOTFS")
	((have >= $1)) ||
		die "not enough disk space in $ROOTFS for $2: needs about $1 MB, $have MB free (free some, or use --cache DIR elsewhere)"
}

work=''
# Anything a killed debootstrap or our chroot step left mounted in the work
# folder is unmounted before the folder goes; rm never crosses a mount.
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	[ -n "$work" ] && [ -d "$work" ] || return 0
	local m
	findmnt -rn -o TARGET | awk -v w="$work/" 'index($0, w) == 1' | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

exec 9>"$ROOTFS/.lock"
if ! flock -n 9; then
	say "another mkrootfs runs; waiting for it"
	flock 9
fi

# --- The mirror -------------------------------------------------------------------

# The first binary mirror apt's sources name for $suite (deb822 or one-line).
apt_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v suite="$suite" '
			function flush() {
				if (!found && types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uri != "")
					{ print uri; found = 1 }
				types = suites = uri = ""
			}
			/^[ \t]*$/ { flush(); next }
			tolower($1) == "types:" { types = substr($0, index($0, ":") + 1) }
			tolower($1) == "suites:" { suites = substr($0, index($0, ":") + 1) }
			tolower($1) == "uris:" { uri = $2 }
			END { flush() }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		# deb [options] URI SUITE COMPONENTS...
		awk -v suite="$suite" '$1 == "deb" {
			i = 2
			if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
			if ($(i + 1) == suite) print $i }' "$f"
	done
}
mirror_given=1
if [ -z "$mirror" ]; then
	mirror_given=0
	mirror=$(apt_mirror | awk 'NR == 1')
	mirror=${mirror:-http://deb.debian.org/debian}
fi
mirror=${mirror%/}

# Trees: 'build' (minbase + build-essential) and 'build-samba' (that, plus
# samba's build dependencies). The key file is written last: a tree without
# a matching key is remade.
base_key="format=$FORMAT suite=$suite variant=minbase include=build-essential arch=$(dpkg --print-architecture)"
tree_ready() { [ -d "$ROOTFS/$1" ] && [ "$(cat "$ROOTFS/$1.key" 2>/dev/null)" = "$2" ]; }
# Before any download: a first run that cannot finish should not start.
if ! tree_ready build "$base_key"; then
	if [ "$workload" = samba ]; then
		need_space 5500 "the debootstrap tree, its copy with samba's build dependencies and the image"
	else
		need_space 1500 "the debootstrap tree (600 MB) and its image"
	fi
fi

# --- The workload's source --------------------------------------------------------

# fetch_source PKG: 'apt-get source --download-only PKG' into CACHE/PKG, once.
fetch_source() {
	local pkg=$1 dest=$CACHE/$1 tmp log
	if compgen -G "$dest/${pkg}_*.dsc" >/dev/null; then
		return 0
	fi
	say "downloading the source of $pkg (apt-get source --download-only $pkg; kept in $dest)"
	tmp=$(mktemp -d "$CACHE/.src-$pkg.XXXXXX")
	log=$tmp/apt.log
	chmod 755 "$tmp"
	# apt drops privileges to _apt for downloads; let it write there.
	if id _apt >/dev/null 2>&1; then chown _apt "$tmp" 2>/dev/null || true; fi
	if ! (cd "$tmp" && apt-get source -q --download-only "$pkg" >"$log" 2>&1); then
		if grep -q "deb-src" "$log"; then
			rm -rf "$tmp"
			die "apt has no deb-src sources for 'apt-get source $pkg': run 'sudo make deps' (it adds them)"
		fi
		say "apt-get source $pkg failed; updating the package lists and trying again"
		if ! apt-get update -q >"$tmp/update.log" 2>&1 ||
			! (cd "$tmp" && apt-get source -q --download-only "$pkg" >"$log" 2>&1); then
			sed 's/^/  | /' "$log" "$tmp/update.log" 2>/dev/null | tail -n 8 >&2
			rm -rf "$tmp"
			die "cannot download the source of $pkg: no network to Debian's mirror? (see above)"
		fi
	fi
	mkdir -p "$dest"
	find "$tmp" -maxdepth 1 -type f -name "${pkg}_*" -exec mv -t "$dest" {} +
	rm -rf "$tmp"
	compgen -G "$dest/${pkg}_*.dsc" >/dev/null || die "apt-get source $pkg left no .dsc in $dest"
}
fetch_source "$workload"
SRC=$CACHE/$workload

# --- The debootstrap tree ---------------------------------------------------------------

# progress_filter TOOL: one line per stage of debootstrap or apt, with counts,
# instead of hundreds of per-package lines.
progress_filter() {
	if [ -n "$quiet" ]; then
		cat >/dev/null
		return
	fi
	awk -v tool="$1" -v prog="$prog" '
		function stage_of(l) {
			if (l ~ /^I: (Validating|Valid Release|Retrieving (InRelease|Release|Packages))/) return "-"
			if (l ~ /^I: Retrieving /) return "downloading"
			if (l ~ /^I: Extracting /) return "extracting"
			if (l ~ /^I: Unpacking /) return "unpacking"
			if (l ~ /^I: Configuring /) return "configuring"
			if (l ~ /^(Selecting previously|Preparing to unpack|\(Reading database|Processing triggers|E: Can not write log)/) return "-"
			if (l ~ /^Get:/) return "downloading"
			if (l ~ /^Unpacking /) return "unpacking"
			if (l ~ /^Setting up /) return "configuring"
			return ""
		}
		{
			s = stage_of($0)
			if (s == "-") next
			if (s != "" && s == cur) { n++; if (n % 50 == 0) printf "%s: %s: %s ... %d\n", prog, tool, s, n > "/dev/stderr"; next }
			if (cur != "" && n > 1) printf "%s: %s: %s %d done\n", prog, tool, cur, n > "/dev/stderr"
			cur = s; n = 1
			if (s != "") printf "%s: %s: %s\n", prog, tool, s > "/dev/stderr"
			else if ($0 ~ /^(I|W|E): / && $0 !~ /^I: (Resolving|Found|Checking|Chosen|Keyring)/)
				printf "%s: %s: %s\n", prog, tool, $0 > "/dev/stderr"
			fflush("/dev/stderr")
		}
		END { if (cur != "" && n > 1) printf "%s: %s: %s %d done\n", prog, tool, cur, n > "/dev/stderr" }'
}

make_base_tree() {
	need_space 1500 "the debootstrap tree (600 MB) and its image"
	say "debootstrap: Debian $suite minbase + build-essential from $mirror into $ROOTFS/build (about 45 s and 600 MB; once)"
	work=$(mktemp -d "$ROOTFS/.work.XXXXXX")
	local t0=$SECONDS rc=0
	debootstrap --variant=minbase --include=build-essential --components=main \
		"$suite" "$work/tree" "$mirror" 2>&1 | tee "$work/debootstrap.log" | progress_filter debootstrap ||
		rc=$?
	if ((rc)) || [ ! -x "$work/tree/usr/bin/gcc" ]; then
		sed 's/^/  | /' "$work/debootstrap.log" | tail -n 10 >&2
		if grep -qiE 'Failed getting release file|Temporary failure|Could not resolve|Connection (refused|timed out)|Network is unreachable|unable to resolve' "$work/debootstrap.log"; then
			die "debootstrap could not reach $mirror: no network to Debian's mirror? (or give --mirror URL)"
		fi
		if grep -qi 'No space left' "$work/debootstrap.log"; then
			die "debootstrap ran out of disk space in $ROOTFS (needs about 1.5 GB)"
		fi
		die "debootstrap failed (exit $rc; the last lines are above)"
	fi
	# The downloaded packages and lists are not needed in the guest.
	rm -f "$work/tree"/var/cache/apt/archives/*.deb "$work/tree"/var/cache/apt/*.bin
	find "$work/tree/var/lib/apt/lists" -maxdepth 1 -type f -delete
	mkdir -p "$work/tree/opt/hvtrace"
	rm -rf --one-file-system "${ROOTFS:?}/build" "$ROOTFS/build.key"
	mv "$work/tree" "$ROOTFS/build"
	echo "$base_key" >"$ROOTFS/build.key"
	rm -rf "$work"
	work=''
	say "debootstrap tree ready in $((SECONDS - t0)) s ($(du -sm "$ROOTFS/build" | cut -f1) MB)"
}

# chroot_run TREE CMD...: CMD in TREE with /proc mounted (package scripts want it).
chroot_run() {
	local t=$1
	shift
	mount -t proc proc "$t/proc"
	local rc=0
	DEBIAN_FRONTEND=noninteractive chroot "$t" "$@" || rc=$?
	umount "$t/proc"
	return $rc
}

make_samba_tree() {
	need_space 4000 "a copy of the tree with samba's build dependencies"
	say "samba's build dependencies into a copy of the tree (apt-get build-dep samba: ~200 packages, ~100 MB download; once)"
	work=$(mktemp -d "$ROOTFS/.work.XXXXXX")
	local t=$work/tree t0=$SECONDS rc=0
	cp -a --reflink=auto "$ROOTFS/build" "$t"
	cp /etc/resolv.conf "$t/etc/resolv.conf" 2>/dev/null || true
	# The same sources as here (the samba source came from them: its build
	# dependencies must too), with deb-src; else the mirror's suite alone.
	local f
	if [ "$mirror_given" = 0 ] && compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null &&
		grep -qs 'deb-src' /etc/apt/sources.list.d/*.sources; then
		rm -f "$t/etc/apt/sources.list"
		for f in /etc/apt/sources.list.d/*.sources; do cp "$f" "$t/etc/apt/sources.list.d/"; done
	else
		printf 'deb %s %s main\ndeb-src %s %s main\n' "$mirror" "$suite" "$mirror" "$suite" >"$t/etc/apt/sources.list"
	fi
	# No daemon may start from a package script in the chroot.
	printf '#!/bin/sh\nexit 101\n' >"$t/usr/sbin/policy-rc.d"
	chmod 755 "$t/usr/sbin/policy-rc.d"
	{ chroot_run "$t" apt-get update -q &&
		chroot_run "$t" apt-get build-dep -y -q --no-install-recommends samba; } 2>&1 |
		tee "$work/apt.log" | progress_filter apt || rc=$?
	if ((rc)); then
		sed 's/^/  | /' "$work/apt.log" | tail -n 10 >&2
		grep -qi 'No space left' "$work/apt.log" && die "out of disk space in $ROOTFS (needs about 4 GB)"
		grep -qiE 'Temporary failure|Could not resolve|Failed to fetch|Unable to connect' "$work/apt.log" &&
			die "apt-get in the chroot could not reach $mirror: no network to Debian's mirror?"
		die "apt-get build-dep samba in the chroot failed (the last lines are above)"
	fi
	chroot_run "$t" apt-get clean
	rm -f "$t/usr/sbin/policy-rc.d"
	find "$t/var/lib/apt/lists" -maxdepth 1 -type f -delete
	rm -rf --one-file-system "${ROOTFS:?}/build-samba" "$ROOTFS/build-samba.key"
	mv "$t" "$ROOTFS/build-samba"
	echo "$1" >"$ROOTFS/build-samba.key"
	rm -rf "$work"
	work=''
	say "samba build tree ready in $((SECONDS - t0)) s ($(du -sm "$ROOTFS/build-samba" | cut -f1) MB)"
}

tree_ready build "$base_key" || make_base_tree
tree=build
if [ "$workload" = samba ]; then
	# The samba tree is remade when the base under it was.
	samba_key="$base_key build-dep=samba base=$(stat -c %Y "$ROOTFS/build.key")"
	tree_ready build-samba "$samba_key" || make_samba_tree "$samba_key"
	tree=build-samba
fi
T=$ROOTFS/$tree

# --- The image ----------------------------------------------------------------------

# Everything that goes into the image, hashed: the same inputs give the cached
# image back at once.
src_files=("$SRC"/"${workload}"_*)
img_key=$({
	echo "format=$FORMAT tree=$tree $(cat "$T.key") made=$(stat -c %Y "$T.key") extra_mb=$extra_mb"
	sha256sum "$hvtrace_bin" "$bench" "${src_files[@]}" | awk '{ print $1 }'
	for a in "${adds[@]}"; do echo "${a#*:} $(sha256sum <"${a%%:*}" | cut -d' ' -f1)"; done
} | sha256sum | cut -c1-64)
IMG=$ROOTFS/$tree.img
if [ -f "$IMG" ] && [ "$(cat "$IMG.key" 2>/dev/null)" = "$img_key" ]; then
	say "root image cached: $IMG (hvtrace-static, bench.sh and sources unchanged)"
	echo "$IMG"
	exit 0
fi

used_mb=$(du -sm "$T" | cut -f1)
need_space $((used_mb + used_mb / 5 + 100)) "the root image"
say "root image: $tree tree + hvtrace-static + bench.sh + $workload source -> $IMG"

# Our files, put into the cached tree (where mkfs.ext4 -d takes them from);
# what an earlier image added is removed first.
rm -rf --one-file-system "$T/opt/hvtrace"
mkdir -p "$T/opt/hvtrace/src/$workload"
cp "${src_files[@]}" "$T/opt/hvtrace/src/$workload/"
install -m 755 "$hvtrace_bin" "$T/usr/local/bin/hvtrace"
install -m 755 "$bench" "$T/usr/local/bin/bench.sh"
added=()
if [ -f "$T/opt/.hvtrace-added" ]; then
	while read -r f; do
		if [ -n "$f" ]; then rm -f "$T$f"; fi
	done <"$T/opt/.hvtrace-added"
fi
for a in "${adds[@]}"; do
	dst=${a#*:}
	mkdir -p "$T$(dirname "$dst")"
	if [ -x "${a%%:*}" ]; then mode=755; else mode=644; fi
	install -m "$mode" "${a%%:*}" "$T$dst"
	added+=("$dst")
done
printf '%s\n' "${added[@]}" >"$T/opt/.hvtrace-added"

t0=$SECONDS
size_mb=$((used_mb + used_mb / 5 + extra_mb))
rm -f "$IMG" "$IMG.key" "$IMG.tmp"
truncate -s "${size_mb}M" "$IMG.tmp"
if ! mkfs.ext4 -q -F -L hvtroot -d "$T" "$IMG.tmp" >"$ROOTFS/mkfs.log" 2>&1; then
	rm -f "$IMG.tmp"
	sed 's/^/  | /' "$ROOTFS/mkfs.log" | tail -n 5 >&2
	grep -qi 'No space left' "$ROOTFS/mkfs.log" && die "out of disk space in $ROOTFS while writing the image (needs about $((used_mb + used_mb / 5)) MB)"
	die "mkfs.ext4 -d failed (see above)"
fi
rm -f "$ROOTFS/mkfs.log"
mv "$IMG.tmp" "$IMG"
echo "$img_key" >"$IMG.key"
say "root image ready in $((SECONDS - t0)) s: $IMG ($size_mb MiB, $(($(du -k "$IMG" | cut -f1) / 1024)) MiB used)"
echo "$IMG"
exit
}
