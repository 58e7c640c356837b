#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Makes a minimal guest for QEMU: Debian's cloud kernel (it has BTF) and an
# initramfs with busybox-static, the virtio modules from the same kernel
# package, tools/guest-init.sh as /init and the files given with --with.
# The kernel package is downloaded once and kept in the cache; the initramfs
# is rebuilt on each run (it takes well under a second).
set -euo pipefail

prog=mkguest
here=$(cd "$(dirname "$0")" && pwd)
CACHE=${HVT_GUEST_CACHE:-/var/cache/hvtrace/guest}
out=${OUT:-build}/guest
kpkg=${HVT_GUEST_KPKG:-}
cmd_file=
update=
with=()
extra_mods=()
# Loaded in dependency order (worked out from each .ko's depends= line).
# virtio_pci and virtio_console are needed for the agent channel; the others
# are skipped with a warning when the kernel lacks them.
REQUIRED_MODS=(virtio_pci virtio_console virtio_blk)
OPTIONAL_MODS=(vmw_vsock_virtio_transport virtio_rng)

usage() {
	cat <<EOF
Usage: tools/mkguest.sh [--out DIR] [--cmd FILE] [--with FILE[:GUESTPATH]...]
                        [--module NAME]... [--cache DIR] [--kernel-package PKG]
                        [--update]

Makes a minimal bootable QEMU guest: DIR/vmlinuz (Debian's cloud kernel, with
BTF), DIR/initrd.img (busybox-static, virtio modules, the hvtrace guest init)
and DIR/kernel-release. Boot it with tools/qemu-run.sh --guest DIR.

Options:
  --out DIR            output folder (default: \$OUT/guest, or build/guest)
  --cmd FILE           the command the guest runs: copied to /guest-cmd (a
                       script or a static binary). qemu-run.sh --cmd overrides
                       it at boot time. Without either the guest runs 'true'.
  --with FILE...       files to put in the guest's /bin (static binaries: the
                       guest has no libc). FILE:/PATH puts FILE at /PATH.
                       Takes every following argument up to the next option.
  --module NAME        also load this kernel module (and what it depends on)
  --cache DIR          where the kernel package is kept
                       (default: \$HVT_GUEST_CACHE or /var/cache/hvtrace/guest)
  --kernel-package PKG use this kernel package instead of the current
                       linux-image-*-cloud-amd64-unsigned (\$HVT_GUEST_KPKG)
  --update             ask apt for the current cloud kernel even when one is
                       cached (by default the newest cached one is used)
  -h, --help           this text

Needs: apt-get and dpkg-deb (the first run downloads ~27 MB from Debian),
busybox-static, cpio, gzip. Root for the default cache folder.

Examples:
  tools/mkguest.sh
  tools/mkguest.sh --out build/guest --with build/hvtrace-static build/tests/prog/*
  tools/mkguest.sh --cmd bench/in-guest.sh --with build/hvtrace-static
  tools/qemu-run.sh --guest build/guest --cmd 'uname -r'
EOF
}

# A command that fails where no check expected it still says so.
set -E
trap 'printf "%s: error: unexpected failure at line %s: %s\n" "$prog" "$LINENO" "$BASH_COMMAND" >&2; exit 1' ERR

say() { printf '%s: %s\n' "$prog" "$*" >&2; }
warn() { printf '%s: warning: %s\n' "$prog" "$*" >&2; }
die() {
	printf '%s: error: %s\n' "$prog" "$*" >&2
	exit 1
}
usage_err() {
	printf '%s: %s (see --help)\n' "$prog" "$*" >&2
	exit 2
}

while (($#)); do
	case $1 in
	--out) (($# >= 2)) || usage_err "--out needs a folder"; out=$2; shift 2 ;;
	--cmd) (($# >= 2)) || usage_err "--cmd needs a file"; cmd_file=$2; shift 2 ;;
	--cache) (($# >= 2)) || usage_err "--cache needs a folder"; CACHE=$2; shift 2 ;;
	--module) (($# >= 2)) || usage_err "--module needs a name"; extra_mods+=("$2"); shift 2 ;;
	--kernel-package)
		(($# >= 2)) || usage_err "--kernel-package needs a package name"
		kpkg=$2
		shift 2
		;;
	--update) update=1; shift ;;
	--with)
		shift
		if ! (($#)) || [[ $1 == -* ]]; then usage_err "--with needs at least one file"; fi
		while (($#)) && [[ $1 != -* ]]; do with+=("$1"); shift; done
		;;
	-h | --help) usage; exit 0 ;;
	*) usage_err "unknown argument '$1'" ;;
	esac
done

for t in apt-get apt-cache dpkg-deb cpio gzip; do
	command -v "$t" >/dev/null || die "'$t' not found; run 'sudo make deps' (Debian 12 is assumed)"
done
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || die "$BUSYBOX not found; install busybox-static ('sudo make deps')"
# A dynamic busybox (Debian's 'busybox' package) cannot run without a libc.
if command -v readelf >/dev/null && readelf -lW "$BUSYBOX" 2>/dev/null | grep -q 'program interpreter'; then
	die "$BUSYBOX is dynamically linked; install busybox-static instead of busybox"
fi
[ -z "$cmd_file" ] || [ -f "$cmd_file" ] || die "--cmd '$cmd_file': no such file"
for w in "${with[@]}"; do
	src=${w%%:*}
	[ -f "$src" ] || die "--with '$src': no such file"
done

# --- The kernel package, cached ------------------------------------------------

# The unsigned twin of what the linux-image-cloud-amd64 meta-package points at
# now; failing that, the newest 6.1 cloud kernel apt knows.
current_kpkg() {
	local signed p
	signed=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	if [ -n "$signed" ] && apt-cache show "$signed-unsigned" >/dev/null 2>&1; then
		echo "$signed-unsigned"
		return
	fi
	p=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' 2>/dev/null |
		awk '{ print $1 }' | sort -V | tail -n 1)
	[ -n "$p" ] && echo "$p"
}

# The newest kernel already in the cache (for machines whose apt lists are
# gone or that cannot reach the mirror).
cached_kpkg() {
	local d
	for d in "$CACHE"/*/; do
		if [ -f "$d/ready" ]; then basename "$d"; fi
	done | sort -V | tail -n 1
}

# download_kernel PKG: the .deb into a fresh $work; fails if apt cannot.
work=''
root=''
trap 'rm -rf "$work" "$root"' EXIT
download_kernel() {
	local pkg=$1
	work=$(mktemp -d "$CACHE/.work.XXXXXX")
	# apt drops privileges to _apt for downloads; let it write there.
	chmod 755 "$work"
	if id _apt >/dev/null 2>&1; then chown _apt "$work" 2>/dev/null || true; fi
	say "downloading $pkg (once; kept in $CACHE)"
	if ! (cd "$work" && apt-get download -q "$pkg" >"$work/apt.log" 2>&1); then
		sed 's/^/  /' "$work/apt.log" >&2
		rm -rf "$work"
		return 1
	fi
}

# unpack_kernel PKG: vmlinuz, config and the modules into $CACHE/PKG
# (atomically: a half-done run leaves nothing behind).
unpack_kernel() {
	local pkg=$1 dest=$CACHE/$1 kver
	mkdir "$work/x"
	dpkg-deb -x "$work"/*.deb "$work/x" || die "cannot unpack $pkg"
	kver=$(find "$work/x/lib/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' | head -n 1)
	[ -n "$kver" ] || die "$pkg has no /lib/modules"
	mkdir -p "$work/k"
	cp "$work/x/boot/vmlinuz-$kver" "$work/k/vmlinuz"
	cp "$work/x/boot/config-$kver" "$work/k/config" 2>/dev/null || true
	mv "$work/x/lib/modules/$kver" "$work/k/modules"
	echo "$kver" >"$work/k/kernel-release"
	dpkg-deb -f "$work"/*.deb Version >"$work/k/version"
	touch "$work/k/ready"
	rm -rf "$dest"
	mv "$work/k" "$dest"
	rm -rf "$work"
}

mkdir -p "$CACHE" 2>/dev/null || die "cannot create cache folder '$CACHE' (run as root, or set --cache)"
[ -w "$CACHE" ] || die "cache folder '$CACHE' is not writable (run as root, or set --cache)"

exec 9>"$CACHE/.lock"
flock 9 # two builds at once must not download over each other

kpkg_asked=$kpkg
# A cached kernel is used as it is (asking apt costs a second or more here);
# --update looks for a newer one.
if [ -z "$kpkg" ] && [ -z "$update" ]; then
	kpkg=$(cached_kpkg)
fi
if [ -z "$kpkg" ]; then
	kpkg=$(current_kpkg || true)
	if [ -z "$kpkg" ] && [ -z "$(cached_kpkg)" ] && [ "$(id -u)" = 0 ]; then
		say "apt knows no cloud kernel; running apt-get update"
		apt-get update -q >/dev/null 2>&1 || die "apt-get update failed: no network to Debian's mirror?"
		kpkg=$(current_kpkg || true)
	fi
	if [ -z "$kpkg" ]; then
		kpkg=$(cached_kpkg)
		[ -n "$kpkg" ] || die "cannot find a linux-image-6.1.0-*-cloud-amd64-unsigned package (apt-get update?)"
		warn "apt does not name a current cloud kernel; using cached $kpkg"
	fi
fi
if [ ! -f "$CACHE/$kpkg/ready" ]; then
	if download_kernel "$kpkg"; then
		unpack_kernel "$kpkg"
	else
		# A kernel asked for by name has no stand-in.
		old=''
		[ -n "$kpkg_asked" ] || old=$(cached_kpkg)
		[ -n "$old" ] || die "apt-get download $kpkg failed (network? apt-get update?)"
		warn "apt-get download $kpkg failed; using cached $old"
		kpkg=$old
	fi
fi
flock -u 9
K=$CACHE/$kpkg
kver=$(cat "$K/kernel-release")

# --- Modules in load order ---------------------------------------------------------

declare -A mod_path=()
while IFS= read -r f; do
	n=${f##*/}
	n=${n%.ko}
	mod_path[${n//-/_}]=$f
done < <(find "$K/modules/kernel" -name '*.ko')

# The modinfo strings sit in the .ko as "depends=a,b"; no modinfo/kmod needed.
mod_depends() {
	local d
	d=$(grep -a -o -m 1 'depends=[A-Za-z0-9_,-]*' "${mod_path[$1]}" | head -n 1)
	d=${d#depends=}
	echo "${d//,/ }"
}

declare -A mod_seen=()
load_order=()
add_module() {
	local m=${1//-/_} d
	[ -n "${mod_seen[$m]:-}" ] && return 0
	[ -n "${mod_path[$m]:-}" ] || return 1
	mod_seen[$m]=1
	for d in $(mod_depends "$m"); do
		add_module "$d" || die "module $m needs $d, which $kpkg lacks"
	done
	load_order+=("$m")
}
for m in "${REQUIRED_MODS[@]}" "${extra_mods[@]}"; do
	add_module "$m" || die "kernel $kver has no module '$m' (is it built in? see $K/config)"
done
for m in "${OPTIONAL_MODS[@]}"; do
	add_module "$m" || warn "kernel $kver has no module '$m'; skipped"
done

# --- The initramfs -------------------------------------------------------------------

mkdir -p "$out" || die "cannot create '$out'"
out=$(cd "$out" && pwd) # the initramfs is written from another folder
root=$(mktemp -d "${TMPDIR:-/tmp}/hvt-guest-root.XXXXXX")

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,run,mnt,etc,lib/modules}
chmod 1777 "$root/tmp"
cp "$BUSYBOX" "$root/bin/busybox"
# --list-full names busybox itself too: linking over it would make /bin/busybox
# a symlink to itself and the kernel could not run /init (ELOOP, error -40).
# (perl, in Debian's essential perl-base, makes the 270 links in one process.)
"$BUSYBOX" --list-full | grep -vx 'bin/busybox' |
	perl -nle 'symlink("/bin/busybox", "'"$root"'/$_") or die "symlink $_: $!\n"' ||
	die "cannot make the busybox links"
# The kernel opens /dev/console for init before devtmpfs is mounted.
if [ "$(id -u)" = 0 ]; then
	mknod -m 600 "$root/dev/console" c 5 1
	mknod -m 666 "$root/dev/null" c 1 3
fi
install -m 755 "$here/guest-init.sh" "$root/init"
echo "$kver" >"$root/etc/kernel-release"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"

for m in "${load_order[@]}"; do
	cp "${mod_path[$m]}" "$root/lib/modules/$m.ko"
	echo "$m" >>"$root/lib/modules/load-order"
done

if [ -n "$cmd_file" ]; then
	install -m 755 "$cmd_file" "$root/guest-cmd"
fi
for w in "${with[@]}"; do
	src=${w%%:*}
	if [ "$src" != "$w" ]; then dst=${w#*:}; else dst=/bin/$(basename "$src"); fi
	case $dst in /*) ;; *) die "--with '$w': the guest path must be absolute" ;; esac
	if command -v readelf >/dev/null && readelf -lW "$src" 2>/dev/null | grep -q 'program interpreter'; then
		warn "'$src' is dynamically linked; the guest has no libc to run it"
	fi
	mkdir -p "$root$(dirname "$dst")"
	cp "$src" "$root$dst"
done

(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet | gzip -6 >"$out/initrd.img.tmp") ||
	die "cannot write the initramfs to '$out'"
mv "$out/initrd.img.tmp" "$out/initrd.img"
cp "$K/vmlinuz" "$out/vmlinuz.tmp" && mv "$out/vmlinuz.tmp" "$out/vmlinuz"
echo "$kver" >"$out/kernel-release"

say "guest ready in $out: kernel $kver ($kpkg $(cat "$K/version")), initrd.img $(($(stat -c %s "$out/initrd.img") / 1024)) KiB, modules: ${load_order[*]}"
