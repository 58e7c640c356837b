#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# `sudo make demo`: the talk's benchmark (tar xf, ./configure, make of a real
# package), recorded natively and in a QEMU guest (the guest recorded from
# inside, its QEMU process from the host at the same time, joined over the
# agent channel), then the talk's table, where the extra time went (hvtrace
# diff), and the reports, as text and as HTML pages. VIA=libvirt runs the
# guest as a libvirt domain and records it on the host by its name.
# See docs/demo.md for what each part of the output means.
# One block: bash reads all of it before it runs any of it, so that editing
# the script (or a git pull) while it runs cannot change what runs.
{
set -euo pipefail

prog=demo
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
OUT=${OUT:-$top/build}
CACHE=${HVT_CACHE:-/var/cache/hvtrace}
QEMU=${QEMU:-qemu-system-x86_64}
WORKLOAD=${WORKLOAD:-hello}
RUNS=${RUNS:-1}
DEMO_SMALL=${DEMO_SMALL:-}
DEMO_OUT=${DEMO_OUT:-demo-out}
DEMO_TIMEOUT=${DEMO_TIMEOUT:-}
VIA=${VIA:-qemu}
GUEST_MEM=2048
GUEST_CPUS=2

usage() {
	cat <<EOF
Usage: sudo make demo [WORKLOAD=hello|samba] [RUNS=N] [VIA=qemu|libvirt] [DEMO_SMALL=1]
                      [DEMO_OUT=DIR]
       sudo OUT=build tools/demo.sh [--workload W] [--runs N] [--via V] [--small] [--out DIR]

Runs the talk's benchmark (tar xf, ./configure, make) natively under
'hvtrace record' and in a QEMU guest (2 vCPUs, 2 GiB, a Debian bookworm root
made by tools/mkrootfs.sh) with 'hvtrace record' inside and the QEMU process
recorded on the host at the same time, the two joined over a virtio-serial
channel into DIR/both.hvt; then prints the talk's table (hvtrace table), where
the extra time went (hvtrace diff) and the per-phase reports, writes them as
HTML pages too, and leaves every recording in DIR.

The guest runs under KVM when /dev/kvm boots a Linux guest, else under QEMU's
TCG (an emulated CPU: many times slower); the demo says which and why.

Settings (environment variables, or the options):
  WORKLOAD=hello   GNU hello from Debian's source (default; 10 s to 1.5 min
                   natively and 4-8 min under TCG on a 2-core machine)
  WORKLOAD=samba   the talk's samba build (minimal configuration); installs
                   samba's build dependencies here and in the guest root
                   (~200 packages). Under TCG it takes hours: use it with KVM.
  RUNS=N           N runs on each side with 'hvtrace bench' (default 1; the
                   host's recording then stays apart, in DIR/host.hvt)
  VIA=libvirt      the guest as a transient libvirt domain (type 'qemu', or
                   'kvm' where KVM works) with a unix <channel> named
                   org.hvtrace.0, recorded on the host by its name with
                   'hvtrace record --vm NAME', which finds the channel in the
                   domain's XML; libvirtd is started for the demo (and stopped
                   after) when no service manager runs it. Default: qemu
                   (tools/qemu-run.sh, recorded with --pid and --channel)
  DEMO_SMALL=1     a tiny autotools-style package instead (a minute or two;
                   what tests/t_demo.sh runs)
  DEMO_OUT=DIR     where the recordings and reports go (default demo-out)
  DEMO_TIMEOUT=S   stop the guest after S seconds (default: 900 small,
                   3600 hello, 21600 samba)
  OUT=DIR          the build folder with hvtrace and hvtrace-static
  HVT_CACHE=DIR    the cache of kernels, roots and sources (/var/cache/hvtrace)

Needs root, QEMU (qemu-system-x86, qemu-utils), e2fsprogs, debootstrap,
for VIA=libvirt libvirt (libvirt-daemon-driver-qemu, libvirt-clients), and
network to Debian's mirror the first time (all installed by 'make deps'; the
guest root and the sources are then cached), and about 2 GB of disk the first
time. Nothing keeps running afterwards.

Exit status: 0 when everything ran; 1 on a failure (the reason is printed);
2 for a usage error.

Examples:
  sudo make demo
  sudo make demo RUNS=3
  sudo make demo WORKLOAD=samba        # with real KVM, or patience
  sudo make demo VIA=libvirt
  sudo DEMO_SMALL=1 OUT=build tools/demo.sh
EOF
}

say() { printf '%s\n' "$*"; }
note() { printf '  %s\n' "$*"; }
die() {
	printf '%s: error: %s\n' "$prog" "$*" >&2
	exit 1
}
usage_err() {
	printf '%s: %s (see --help)\n' "$prog" "$*" >&2
	exit 2
}

# A command that fails where no check expected it still says so.
set -E
trap 'printf "%s: error: unexpected failure at line %s: %s\n" "$prog" "$LINENO" "$BASH_COMMAND" >&2; exit 1' ERR

need() { (($# >= 2)) || usage_err "$1 needs a value"; }
while (($#)); do
	case $1 in
	--workload) need "$@"; WORKLOAD=$2; shift 2 ;;
	--runs) need "$@"; RUNS=$2; shift 2 ;;
	--small) DEMO_SMALL=1; shift ;;
	--out) need "$@"; DEMO_OUT=$2; shift 2 ;;
	--via) need "$@"; VIA=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage_err "unknown argument '$1'" ;;
	esac
done
case $WORKLOAD in hello | samba) ;; *) usage_err "WORKLOAD is hello or samba, not '$WORKLOAD'" ;; esac
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || usage_err "RUNS wants a number of runs (1 or more), not '$RUNS'"
case $VIA in qemu | libvirt) ;; *) usage_err "VIA is qemu or libvirt, not '$VIA'" ;; esac
[[ -z $DEMO_TIMEOUT || $DEMO_TIMEOUT =~ ^[1-9][0-9]*$ ]] ||
	usage_err "DEMO_TIMEOUT wants whole seconds, not '$DEMO_TIMEOUT'"
[ -z "$DEMO_SMALL" ] || [ "$DEMO_SMALL" = 0 ] || WORKLOAD=small
[ "$DEMO_SMALL" != 0 ] || DEMO_SMALL=
case $WORKLOAD in
small) DEMO_TIMEOUT=${DEMO_TIMEOUT:-900} ;;
hello) DEMO_TIMEOUT=${DEMO_TIMEOUT:-3600} ;;
samba) DEMO_TIMEOUT=${DEMO_TIMEOUT:-21600} ;;
esac

HVT=$OUT/hvtrace
HVT_STATIC=$OUT/hvtrace-static
# qemu-run.sh keeps its KVM test-boot verdict there.
export HVT_GUEST_CACHE=$CACHE/guest
T0=$SECONDS

# elapsed: m:ss since the demo started.
elapsed() { printf '%d:%02d' $(((SECONDS - T0) / 60)) $(((SECONDS - T0) % 60)); }
nstep=0
STEPS=7
[ "$VIA" = libvirt ] && STEPS=8
step() {
	nstep=$((nstep + 1))
	printf '\n[%d/%d] %s   (%s)\n' "$nstep" "$STEPS" "$*" "$(elapsed)"
}

# --- Checks first: a demo that fails should fail in the first second ----------------

[ "$(id -u)" = 0 ] ||
	die "the demo needs root (BPF tracing, and the guest images in $CACHE): run 'sudo make demo'"
[ -x "$HVT" ] || die "$HVT not found: run 'make' first ('sudo make demo' does)"
[ -x "$HVT_STATIC" ] || die "$HVT_STATIC not found: run 'make' first ('sudo make demo' does)"
command -v "$QEMU" >/dev/null ||
	die "QEMU ($QEMU) not found: install qemu-system-x86 ('sudo make deps' does)"
for t in qemu-img:qemu-utils debugfs:e2fsprogs mkfs.ext4:e2fsprogs debootstrap:debootstrap \
	sqlite3:sqlite3 apt-get:apt; do
	command -v "${t%%:*}" >/dev/null ||
		die "${t%%:*} not found: install ${t#*:} ('sudo make deps' does)"
done
if [ "$VIA" = libvirt ]; then
	command -v virsh >/dev/null ||
		die "virsh not found: install libvirt-clients ('sudo make deps' does)"
	# A daemon a service manager runs needs no binary here; one we start does.
	if ! timeout 10 virsh -c qemu:///system version >/dev/null 2>&1; then
		for t in libvirtd virtlogd; do
			command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] ||
				die "$t not found: install libvirt-daemon-driver-qemu ('sudo make deps' does)"
		done
	fi
fi

# free_mb DIR: MiB free where DIR is (or would be).
free_mb() {
	local d=$1
	while [ ! -d "$d" ]; do d=$(dirname "$d"); done
	df -Pm "$d" | awk 'NR == 2 { print $4 }'
}
# need_space DIR MB WHAT
need_space() {
	local have
	have=$(free_mb "$1")
	((have >= $2)) ||
		die "not enough disk space for $3 in $1: needs about $2 MB, $have MB free"
}
# The first run makes the guest root (mkrootfs.sh checks its own needs); then
# the guest's writes (a qcow2 overlay), the native build in /tmp, the recordings.
case $WORKLOAD in
samba) need_space /var/tmp 5000 "the guest's build of samba"; need_space /tmp 3000 "the native build of samba" ;;
*) need_space /var/tmp 600 "the guest's disks"; need_space /tmp 200 "the native build" ;;
esac
need_space "$DEMO_OUT" 100 "the recordings"
if [ "$WORKLOAD" = samba ]; then
	[ -e "$CACHE/rootfs/build-samba.key" ] ||
		need_space "$CACHE" 5500 "the guest root with samba's build dependencies (made once)"
else
	[ -e "$CACHE/rootfs/build.key" ] || need_space "$CACHE" 1500 "the guest root (debootstrap tree and image, made once)"
fi

mkdir -p "$DEMO_OUT" || die "cannot create '$DEMO_OUT'"
DEMO_OUT=$(cd "$DEMO_OUT" && pwd)
# Only what this demo writes is replaced; a stale file must not look like ours.
rm -f "$DEMO_OUT"/{native,guest,host,both}{,-[0-9]*}.hvt "$DEMO_OUT"/{native,guest,host,both}.report.txt \
	"$DEMO_OUT"/{table,diff}.txt "$DEMO_OUT"/{table,diff,report}.html "$DEMO_OUT"/console.log \
	"$DEMO_OUT"/{qemu,libvirt}-run.log "$DEMO_OUT"/libvirt-domain.log "$DEMO_OUT"/host-record.log
work=$(mktemp -d /var/tmp/hvtrace-demo.XXXXXX)

# --- Cleanup: no VM, no recorder, no follower outlives the demo -----------------------

runner='' qpid='' hostrec='' tailpid='' followpid=''
# VIA=libvirt: the domain (its name is this demo's own) and what libvirt-up.sh
# started for it, noted in the demo's state file (not libvirt-up.sh's default:
# a daemon someone started by hand is theirs to stop).
dom=hvtrace-demo-$$
dom_started=''
LIBVIRT_STATE=/run/hvtrace/demo-libvirt.started
# stop_pid PID SIGNAL SECONDS: signal, wait, then KILL.
stop_pid() {
	local p=$1 i
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 0
	kill "-$2" "$p" 2>/dev/null || true
	for ((i = 0; i < $3 * 10; i++)); do
		kill -0 "$p" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null || true
}
# stop_libvirt [--quiet]: stops the daemons libvirt-up.sh started for the demo
# (none if one was running), once. Another domain keeps them running: that is
# said, not fatal.
libvirt_stopped=''
stop_libvirt() {
	[ -z "$libvirt_stopped" ] && [ -f "$LIBVIRT_STATE" ] || return 0
	libvirt_stopped=1
	if "$here/libvirt-down.sh" --state "$LIBVIRT_STATE" "$@" 2>"$work/down.err"; then
		sed 's/^/  /' "$work/down.err"
		rm -rf "$LIBVIRT_STATE.d"
	else
		printf '%s: warning: %s; stop them later with: sudo tools/libvirt-down.sh --state %s\n' \
			"$prog" "$(sed 's/^libvirt-down: error: //' "$work/down.err")" "$LIBVIRT_STATE" >&2
	fi
}
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	local rc=$?
	trap - ERR
	set +e
	# qemu-run stops its QEMU on TERM, libvirt-run destroys its domain; QEMU
	# itself (and the domain) are the fallback.
	stop_pid "$runner" TERM 30
	if [ -n "$dom_started" ] && timeout 20 virsh -c qemu:///system domstate "$dom" >/dev/null 2>&1; then
		timeout 30 virsh -c qemu:///system destroy "$dom" >/dev/null 2>&1
	fi
	stop_pid "$qpid" TERM 3
	# TERM ends the host recorder, if a Ctrl-C's INT has not: either way it
	# writes a complete recording.
	stop_pid "$hostrec" TERM 10
	stop_pid "$tailpid" TERM 1
	stop_pid "$followpid" TERM 1
	if [ -n "$dom_started" ]; then
		mv -f "/var/log/libvirt/qemu/$dom.log" "$DEMO_OUT/libvirt-domain.log" 2>/dev/null
	fi
	stop_libvirt --quiet
	rm -rf --one-file-system "$work"
	# Under sudo, the results belong to the user who asked for them.
	if [ -n "${SUDO_UID:-}" ] && [ -d "$DEMO_OUT" ]; then
		chown -R "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$DEMO_OUT" 2>/dev/null
	fi
	if ((rc != 0)); then
		printf '%s: failed after %s; what was recorded so far is in %s\n' "$prog" "$(elapsed)" "$DEMO_OUT" >&2
	fi
	return "$rc"
}
trap cleanup EXIT
trap 'printf "\n%s: interrupted; stopping the guest and the recorders\n" "$prog" >&2; exit 130' INT
trap 'printf "\n%s: terminated; stopping the guest and the recorders\n" "$prog" >&2; exit 143' TERM

# --- The workload ------------------------------------------------------------------------

# The tiny package of DEMO_SMALL=1: a configure script in autoconf's manner (a
# few compile checks and many small processes) and a Makefile of two files.
# Made byte for byte the same each time, so that the guest root, which always
# carries it, is not remade for it.
small_tarball() {
	local d=$CACHE/demo-small t
	t=$(mktemp -d "$work/small.XXXXXX")
	mkdir -p "$d" "$t/demo-small-1.0"
	cat >"$t/demo-small-1.0/configure" <<'EOF'
#!/bin/sh
# A small configure in autoconf's manner: compile checks, then many small
# processes, then config.h and Makefile.
CC=${CC:-cc}
: >config.h
for h in stdio.h stdlib.h string.h unistd.h; do
	printf 'checking for %s... ' "$h"
	printf '#include <%s>\nint main(void) { return 0; }\n' "$h" >conftest.c
	if $CC -c conftest.c -o conftest.o 2>/dev/null; then
		echo yes
		echo "#define HAVE_$(echo "$h" | tr 'a-z.' 'A-Z_') 1" >>config.h
	else
		echo no
	fi
done
rm -f conftest.c conftest.o
i=0
while [ $i -lt 40 ]; do
	echo "x$i" | sed 's/^x//' | grep -q '[0-9]' || exit 1
	i=$(expr $i + 1)
done
echo "checking the shell... ok ($i checks)"
sed "s|@CC@|$CC|" Makefile.in >Makefile
echo "config.status: creating Makefile"
EOF
	cat >"$t/demo-small-1.0/Makefile.in" <<'EOF'
CC = @CC@
hello: hello.o greet.o
	$(CC) -o hello hello.o greet.o
hello.o: hello.c config.h
	$(CC) -O2 -c hello.c
greet.o: greet.c config.h
	$(CC) -O2 -c greet.c
EOF
	printf '#include "config.h"\nvoid greet(void);\nint main(void) { greet(); return 0; }\n' \
		>"$t/demo-small-1.0/hello.c"
	printf '#include <stdio.h>\nvoid greet(void) { puts("Hello, world!"); }\n' \
		>"$t/demo-small-1.0/greet.c"
	chmod 755 "$t/demo-small-1.0/configure"
	tar -C "$t" --sort=name --mtime=@1700000000 --owner=0 --group=0 --numeric-owner \
		-cf - demo-small-1.0 | gzip -n -9 >"$t/demo-small.tar.gz"
	if ! cmp -s "$t/demo-small.tar.gz" "$d/demo-small.tar.gz"; then
		mv "$t/demo-small.tar.gz" "$d/demo-small.tar.gz"
	fi
	rm -rf "$t"
	echo "$d/demo-small.tar.gz"
}

# bench_args ROOT: tools/bench.sh's arguments for the workload, with its
# source under ROOT (the cache here, /opt/hvtrace/src in the guest), into BARGS.
samba_conf=(--without-ad-dc --without-ads --without-pam --disable-python --without-systemd)
BARGS=()
bench_args() {
	case $WORKLOAD in
	small) BARGS=(--tarball "$1/demo-small/demo-small.tar.gz") ;;
	hello) BARGS=(--tarball "$1/hello/$hello_tar") ;;
	samba) BARGS=(--dsc "$1/samba/$samba_dsc" -- "${samba_conf[@]}") ;;
	esac
}

case $WORKLOAD in
small) what="a small autotools-style package (DEMO_SMALL=1)" ;;
hello) what="GNU hello from Debian's source" ;;
samba) what="samba from Debian's source (the talk's workload; minimal configuration)" ;;
esac
say "hvtrace demo: the talk's benchmark (tar xf, ./configure, make) on $what,"
if [ "$VIA" = libvirt ]; then
	say "natively and in a libvirt domain ($GUEST_CPUS vCPUs, $((GUEST_MEM / 1024)) GiB), $RUNS run(s) each; results in $DEMO_OUT"
else
	say "natively and in a QEMU guest ($GUEST_CPUS vCPUs, $((GUEST_MEM / 1024)) GiB), $RUNS run(s) each; results in $DEMO_OUT"
fi
say "(scratch space, removed at the end: $work)"

# --- 1. Guest kernel ---------------------------------------------------------------------

step "guest kernel and initramfs (tools/mkguest.sh: Debian's cloud kernel, cached in $CACHE/guest)"
"$here/mkguest.sh" --out "$work/guest" --cache "$CACHE/guest" 2>&1 | sed -u 's/^/  /' || die "tools/mkguest.sh failed (see above)"

# --- 2. Guest root disk ----------------------------------------------------------------

step "guest root disk (tools/mkrootfs.sh: Debian bookworm + build-essential$([ "$WORKLOAD" = samba ] && echo " + samba's build dependencies"), cached in $CACHE/rootfs)"
small=$(small_tarball)
mkw=$WORKLOAD
[ "$mkw" = small ] && mkw=hello
img=$("$here/mkrootfs.sh" --workload "$mkw" --hvtrace "$HVT_STATIC" --bench "$here/bench.sh" \
	--cache "$CACHE" --add "$small:/opt/hvtrace/src/demo-small/demo-small.tar.gz" 2> >(sed -u 's/^/  /' >&2)) ||
	die "tools/mkrootfs.sh failed (see above)"
# The process substitution's last lines must be out before ours.
sleep 0.1
[ -f "$img" ] || die "tools/mkrootfs.sh printed no image"
hello_tar='' samba_dsc=''
if [ "$WORKLOAD" = hello ]; then
	hello_tar=$(cd "$CACHE/hello" && compgen -G 'hello_*.orig.tar.gz' | head -n 1) ||
		die "no hello_*.orig.tar.gz in $CACHE/hello (tools/mkrootfs.sh should have fetched it)"
fi
if [ "$WORKLOAD" = samba ]; then
	samba_dsc=$(cd "$CACHE/samba" && compgen -G 'samba_*.dsc' | head -n 1) ||
		die "no samba_*.dsc in $CACHE/samba"
	# The native side needs the same build dependencies as the guest root.
	missing=$(apt-get build-dep -s samba 2>/dev/null | grep -c '^Inst ' || true)
	if [ "$missing" != 0 ]; then
		note "samba's build dependencies here: apt-get build-dep samba ($missing packages)"
		DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -q samba >"$work/build-dep.log" 2>&1 || {
			tail -n 8 "$work/build-dep.log" | sed 's/^/  | /' >&2
			die "apt-get build-dep samba failed here: no network to Debian's mirror? (see above)"
		}
	fi
fi

# --- 3. Native run ------------------------------------------------------------------------

bench_args "$CACHE"
native_args=("${BARGS[@]}")
step "native run: $([ "$RUNS" = 1 ] && echo "hvtrace record" || echo "hvtrace bench --runs $RUNS") --label native -- tools/bench.sh ${native_args[*]}"
export HVTRACE=$HVT # bench.sh's 'hvtrace mark'
rc=0
if [ "$RUNS" = 1 ]; then
	"$HVT" record -o "$DEMO_OUT/native.hvt" --label native -- "$here/bench.sh" "${native_args[@]}" 2>&1 |
		sed -u '/^$/d; s/^/  native| /' || rc=$?
	native_files=("$DEMO_OUT/native.hvt")
else
	"$HVT" bench --runs "$RUNS" --label native -o "$DEMO_OUT" -- "$here/bench.sh" "${native_args[@]}" 2>&1 |
		sed -u '/^$/d; s/^/  native| /' || rc=$?
	native_files=()
	for ((i = 1; i <= RUNS; i++)); do native_files+=("$DEMO_OUT/native-$i.hvt"); done
fi
((rc == 0)) || die "the native run failed (exit status $rc; see above)"
unset HVTRACE

# --- 4. (VIA=libvirt) The libvirt daemon --------------------------------------------------

if [ "$VIA" = libvirt ]; then
	step "libvirt: a daemon on qemu:///system (tools/libvirt-up.sh starts libvirtd when no service manager runs it)"
	mkdir -p "$(dirname "$LIBVIRT_STATE")"
	"$here/libvirt-up.sh" --state "$LIBVIRT_STATE" 2>&1 | sed -u 's/^/  /' ||
		die "tools/libvirt-up.sh failed (see above)"
fi

# --- 4. (5.) Guest run -------------------------------------------------------------------

if [ "$VIA" = libvirt ]; then
	step "guest run: libvirt domain $dom (tools/libvirt-run.sh), hvtrace record inside, recorded on the host by name"
else
	step "guest run: QEMU (tools/qemu-run.sh), hvtrace record inside, QEMU recorded from the host"
fi
bench_args /opt/hvtrace/src
guest_args=("${BARGS[@]}")
# One run: the guest's recorder talks to the host's over a virtio-serial port
# (phases as they happen, clock sync, its recording at the end) and the host
# recorder writes both views into one file. The host side takes one guest
# recording per session, so with RUNS > 1 the views stay apart.
channel=''
[ "$RUNS" = 1 ] && channel=$work/hvt.sock
# libvirt puts the domain's socket where it keeps such things (auto), and the
# host recorder finds it in the domain's XML.
[ "$VIA" = libvirt ] && [ -n "$channel" ] && channel=auto
if [ "$RUNS" = 1 ]; then
	record_cmd="hvtrace record -o /mnt/rec/guest.hvt --label \"\$label\" -- bench.sh ${guest_args[*]}"
else
	record_cmd="hvtrace bench --runs $RUNS --label \"\$label\" -o /mnt/rec -- bench.sh ${guest_args[*]}"
fi
# The guest's script goes on a second disk, where its recordings go too (the
# root is a throw-away qcow2 overlay of the cached image).
mkdir -p "$work/outdisk/rec"
cat >"$work/outdisk/run.sh" <<EOF
#!/bin/sh
# Written by tools/demo.sh; runs in the guest, chrooted into the demo's root.
hv=\$(hvtrace detect --json | sed -n 's/^  "hypervisor": "\(.*\)",\$/\1/p')
case \$hv in
"QEMU TCG") label=guest-tcg ;;
KVM) label=guest-kvm ;;
*) label=guest-\$(echo "\$hv" | tr 'A-Z ' 'a-z-') ;;
esac
echo "HVTDEMO-LABEL \$label (hvtrace detect in the guest: \$hv)"
# Through a pipe: on the console, a terminal, 'hvtrace bench' would redraw
# one progress line; the host wants whole lines.
( $record_cmd; echo \$? >/tmp/hvtdemo.rc ) 2>&1 | cat
exit \$(cat /tmp/hvtdemo.rc)
EOF
out_mb=1024
[ "$WORKLOAD" = samba ] && out_mb=4096
truncate -s "${out_mb}M" "$work/out.img"
mkfs.ext4 -q -F -L hvtout -d "$work/outdisk" "$work/out.img" || die "cannot make the guest's output disk"
qemu-img create -q -f qcow2 -F raw -b "$img" "$work/root.qcow2" ||
	die "cannot make a qcow2 overlay of $img"
note "disks: /dev/vda = qcow2 overlay of $img (the cached root stays clean),"
note "       /dev/vdb = $out_mb MiB ext4 for the guest's recordings (read back with debugfs)"

# shellcheck disable=SC2016 # expanded by the guest's shell
guest_cmd='mount /dev/vdb /mnt || { echo "cannot mount the output disk"; exit 99; }
sh /mnt/run.sh; s=$?; cd /; umount /mnt; exit $s'
console=$DEMO_OUT/console.log
: >"$console"
: >"$work/run.err"
: >"$work/host-record.log"
if [ "$VIA" = libvirt ]; then
	# QEMU may run as libvirt's own user (libvirt-daemon-system): it must reach the disks.
	chmod 711 "$work"
	dom_started=1
	"$here/libvirt-run.sh" --name "$dom" --guest "$work/guest" --rootfs "$work/root.qcow2:qcow2" \
		--backing "$img" --disk "$work/out.img:raw" --cpus "$GUEST_CPUS" --mem "$GUEST_MEM" \
		--timeout "$DEMO_TIMEOUT" --log "$console" --pidfile "$work/qemu.pid" \
		--channel "${channel:-none}" --cmd "$guest_cmd" 2>"$work/run.err" &
else
	"$here/qemu-run.sh" --guest "$work/guest" --rootfs "$work/root.qcow2:qcow2" --backing "$img" \
		--disk "$work/out.img:raw" --cpus "$GUEST_CPUS" --mem "$GUEST_MEM" \
		--timeout "$DEMO_TIMEOUT" --log "$console" --pidfile "$work/qemu.pid" \
		${channel:+--serial-sock "$channel"} --cmd "$guest_cmd" 2>"$work/run.err" &
fi
runner=$!

# follow: what the guest prints, what qemu-run and the host recorder say, as
# it comes (tail -F names the file before each change of source); a line
# every minute while the guest is quiet (configure under TCG is minutes
# without output).
follow() {
	local src='' line phase='' boot='' t_phase=$SECONDS t_boot=$SECONDS
	while :; do
		if IFS= read -r -t 60 line; then
			case $line in
			'==> '*' <==') src=${line#==> }; src=${src% <==}; continue ;;
			'') continue ;;
			esac
			case $src in
			*/run.err)
				case $line in
				*"-run: accelerator: "*)
					printf '  %s\n' "$line"
					explain_accel "${line#*-run: accelerator: }"
					;;
				*) printf '  %s\n' "$line" ;;
				esac
				;;
			*host-record.log) printf '  host | %s\n' "$line" ;;
			*)
				case $line in
				HVTDEMO-LABEL*) printf '  guest| label %s\n' "${line#HVTDEMO-LABEL }" ;;
				HVTGUEST-BEGIN*)
					boot=${line#HVTGUEST-BEGIN }
					printf '  guest| booted (guest uptime %s s); the benchmark starts\n' "$boot"
					;;
				HVTGUEST-EXIT*) printf '  guest| the benchmark script ended with status %s; powering off\n' "${line#HVTGUEST-EXIT }" ;;
				*'reboot: Power down'*) ;;
				*)
					if [[ $line =~ ^hvtrace:\ phase\ [0-9]+:\ ([^ ]+) ]]; then
						phase=${BASH_REMATCH[1]}
						t_phase=$SECONDS
					fi
					printf '  guest| %s\n' "$line"
					;;
				esac
				;;
			esac
		elif (($? > 128)); then
			printf '  ... %d:%02d in the guest%s\n' $(((SECONDS - t_boot) / 60)) $(((SECONDS - t_boot) % 60)) \
				"${phase:+, phase $phase for $((SECONDS - t_phase)) s}"
		else
			break
		fi
	done
}
# explain_accel "tcg (why)": what the accelerator means for the numbers.
explain_accel() {
	case $1 in
	tcg*)
		local why=${1#tcg (}
		note "=> TCG: QEMU emulates the guest's CPU in software (no usable KVM: ${why%)}). The guest"
		note "   runs many times slower than native, and the host recording shows QEMU's own"
		note "   syscalls, page faults and scheduling; VM exits exist only under KVM."
		;;
	kvm*)
		note "=> KVM: the guest runs on the CPU with hardware virtualization; the host recording"
		note "   has the VM exits (kvm_exit, kvm_pio, kvm_mmio, ...) of the QEMU process."
		;;
	esac
}
mkfifo "$work/follow.fifo"
follow <"$work/follow.fifo" &
followpid=$!
tail -n +1 -F "$work/run.err" "$console" "$work/host-record.log" \
	>"$work/follow.fifo" 2>/dev/null &
tailpid=$!

# The host recorder follows QEMU from its first seconds (pid file = QEMU is
# up; under libvirt: the domain runs).
# host_log: the recorder's stderr into its log, through sed for whole lines
# (tail must not print half of one). Ctrl-C must not end it before the
# recorder: a recorder that writes to a closed pipe dies before its recording
# is complete.
host_log() {
	trap '' INT
	exec sed -u '' >>"$work/host-record.log"
}
for ((i = 0; i < 600; i++)); do
	[ -s "$work/qemu.pid" ] && break
	kill -0 "$runner" 2>/dev/null || break
	sleep 0.1
done
# It connects to the channel at once: the guest's recorder waits for it.
if [ -s "$work/qemu.pid" ]; then
	qpid=$(cat "$work/qemu.pid")
	if [ "$VIA" = libvirt ]; then
		# By the domain's name alone: the recorder finds QEMU by the domain's
		# UUID and the channel (if any) in the domain's XML.
		rec_out=$DEMO_OUT/both.hvt
		[ -n "$channel" ] || rec_out=$DEMO_OUT/host.hvt
		"$HVT" record --vm "$dom" --no-calibrate --label host -o "$rec_out" \
			> >(host_log) 2>&1 &
	elif [ -n "$channel" ]; then
		"$HVT" record --pid "$qpid" --channel "$channel" --no-calibrate --label host \
			-o "$DEMO_OUT/both.hvt" > >(host_log) 2>&1 &
	else
		"$HVT" record --pid "$qpid" --no-calibrate --label host -o "$DEMO_OUT/host.hvt" \
			> >(host_log) 2>&1 &
	fi
	hostrec=$!
fi

guest_rc=0
wait "$runner" || guest_rc=$?
runner=''
# qemu-run has waited for its QEMU (libvirt-run for its domain): the pid is
# no longer ours to signal.
qemu_pid=$qpid
qpid=''
if [ -n "$dom_started" ]; then
	mv -f "/var/log/libvirt/qemu/$dom.log" "$DEMO_OUT/libvirt-domain.log" 2>/dev/null || true
	dom_started=''
fi
# The host recorder stops by itself when QEMU exits.
host_rc=0
if [ -n "$hostrec" ]; then
	for ((i = 0; i < 300; i++)); do
		kill -0 "$hostrec" 2>/dev/null || break
		sleep 0.1
	done
	stop_pid "$hostrec" TERM 10
	wait "$hostrec" || host_rc=$?
	hostrec=''
fi
# tail follows by inotify: what was written is out well within this.
sleep 0.5
stop_pid "$tailpid" TERM 1
wait "$tailpid" 2>/dev/null || true
tailpid=''
wait "$followpid" 2>/dev/null || true
followpid=''
cp "$work/run.err" "$DEMO_OUT/$VIA-run.log"
cp "$work/host-record.log" "$DEMO_OUT/host-record.log"
accel=$(sed -n 's/^[a-z]*-run: accelerator: \([a-z]*\).*/\1/p' "$work/run.err" | head -n 1)
# The daemons started for the demo are not needed any more.
stop_libvirt

what=QEMU
[ "$VIA" = libvirt ] && what="libvirt, QEMU"
case $guest_rc in
0) ;;
124) die "the guest did not finish within $DEMO_TIMEOUT s (DEMO_TIMEOUT; QEMU was stopped): see $console" ;;
125) die "$what or the guest failed before the benchmark ended (the reason is above; console in $console)" ;;
*) die "the benchmark failed in the guest with exit status $guest_rc (see $console)" ;;
esac
[ -n "$qemu_pid" ] || die "QEMU never wrote its pid file: the host side was not recorded"
((host_rc == 0)) || die "the host recorder of QEMU (pid $qemu_pid) failed with status $host_rc: see $DEMO_OUT/host-record.log"

# The guest's recordings, read from its disk image without mounting it.
guest_files=()
if [ "$RUNS" = 1 ]; then
	names=(guest.hvt)
else
	mapfile -t names < <(debugfs -R 'ls -p /rec' "$work/out.img" 2>/dev/null |
		awk -F/ '$6 ~ /\.hvt$/ { print $6 }' | sort -V)
	((${#names[@]} == RUNS)) || die "the guest's disk holds ${#names[@]} recordings, not $RUNS: ${names[*]:-none}"
fi
n=0
for f in "${names[@]}"; do
	n=$((n + 1))
	if [ "$RUNS" = 1 ]; then dst=$DEMO_OUT/guest.hvt; else dst=$DEMO_OUT/guest-$n.hvt; fi
	debugfs -R "dump /rec/$f $dst" "$work/out.img" >/dev/null 2>"$work/debugfs.err" || true
	[ "$(head -c 15 "$dst" 2>/dev/null)" = "SQLite format 3" ] ||
		die "cannot read /rec/$f from the guest's disk: $(grep -v '^debugfs ' "$work/debugfs.err" | head -n 3)"
	guest_files+=("$dst")
done
note "guest recording(s) copied off its disk with: debugfs -R 'dump /rec/${names[0]} ...' out.img"
label=$(sqlite3 -batch -noheader "${guest_files[0]}" "SELECT value FROM meta WHERE key = 'label'")

# --- 5. Host and guest on one time line ----------------------------------------------------

step "host and guest on one time line"
both_files=()
if [ -n "$channel" ]; then
	# The host recorder merged the guest's recording in (as 'hvtrace merge'
	# does), with the clock offset it measured by pings over the channel.
	sq() { sqlite3 -batch -noheader "$DEMO_OUT/both.hvt" "$1"; }
	[ "$(sq "SELECT count(*) FROM phase WHERE name = 'configure'")" -ge 1 ] 2>/dev/null ||
		die "both.hvt has no guest phases: the guest's recorder never reached the host's over the channel (see $DEMO_OUT/host-record.log)"
	off=$(sq "SELECT value FROM meta WHERE key = 'host.clock_offset_ns'")
	unc=$(sq "SELECT value FROM meta WHERE key = 'clock_uncertainty_ns'")
	drift=$(sq "SELECT value FROM meta WHERE key = 'host.clock_drift_ppm'")
	pings=$(sq "SELECT value FROM meta WHERE key = 'host.clock_pings'")
	note "both.hvt: the guest's phases and statistics on the host's time line, with the host's"
	if [ "$VIA" = libvirt ]; then
		note "view of QEMU in each phase; merged by 'hvtrace record --vm $dom' over the virtio-serial"
		note "channel it found in the domain's XML (<channel type='unix'>, target org.hvtrace.0)."
	else
		note "view of QEMU in each phase; merged by the host recorder over the virtio-serial channel."
	fi
	if [[ $off =~ ^-?[0-9]+$ && $unc =~ ^[0-9]+$ ]]; then
		# Hours are normal: each CLOCK_MONOTONIC counts from its own machine's boot.
		ms=$(( (${off#-} + 500000) / 1000000 ))
		printf -v span '%d.%03d s' $((ms / 1000 % 60)) $((ms % 1000))
		[ "$ms" -ge 60000 ] && span="$((ms / 60000 % 60)) min $span"
		[ "$ms" -ge 3600000 ] && span="$((ms / 3600000)) h $span"
		if [ "$off" -lt 0 ]; then rel=behind when=later; else rel="ahead of" when=earlier; fi
		note "clock: the guest's clock is $span $rel the host's (each CLOCK_MONOTONIC counts from its"
		note "machine's boot: the guest booted that much $when); guest times are on the host's to"
		note "+-$((unc / 1000)) us (from $pings pings), drift ${drift:-?} ppm"
	fi
	case $accel in
	kvm) note "under KVM the host view holds the VM exits of each phase" ;;
	*) note "under TCG the host view is QEMU's process (syscalls, faults, CPU); there are no VM exits" ;;
	esac
	both_files=("$DEMO_OUT/both.hvt")
else
	note "with RUNS > 1 the guest's recorder runs once per run, and the host's recorder takes one"
	note "guest session: host.hvt holds QEMU's process on the host for all runs, apart from the guest's."
fi

# --- 6. Results ----------------------------------------------------------------------

# show NAME ARGS...: print '$ hvtrace ARGS' (paths as the user would type
# them here), then run exactly that; its output is also kept in DEMO_OUT/NAME.
# tests/t_demo.sh runs each printed command again and compares.
show() {
	local name=$1 a args=()
	shift
	for a in "$@"; do args+=("${a#"$PWD"/}"); done
	printf '\n$ hvtrace %s\n' "${args[*]}"
	"$HVT" "${args[@]}" >"$DEMO_OUT/$name" 2>"$work/show.err" || {
		cat "$work/show.err" >&2
		die "hvtrace ${args[*]} failed (see above)"
	}
	cat "$DEMO_OUT/$name"
}
# show_head NAME ARGS...: the same for 'hvtrace report', but on the screen
# only its head, up to the phase table's total; the whole in DEMO_OUT/NAME.
show_head() {
	local name=$1 a args=() lines
	shift
	for a in "$@"; do args+=("${a#"$PWD"/}"); done
	"$HVT" "${args[@]}" >"$DEMO_OUT/$name" 2>"$work/show.err" || {
		cat "$work/show.err" >&2
		die "hvtrace ${args[*]} failed (see above)"
	}
	lines=$(awk '$1 == "total" { print NR; exit }' "$DEMO_OUT/$name")
	printf '\n$ hvtrace %s | head -n %d\n' "${args[*]}" "${lines:=20}"
	head -n "$lines" "$DEMO_OUT/$name"
}

step "results"
if [ "$RUNS" = 1 ]; then sides=("${native_files[0]}" "${guest_files[0]}"); else sides=("${native_files[@]}" -- "${guest_files[@]}"); fi
show table.txt table --baseline native --phases "${native_files[@]}" "${guest_files[@]}"
# The phases that matter; the whole run comes last in any case.
show diff.txt diff --top 5 --phase configure --phase make "${sides[@]}"
show_head native.report.txt report "${native_files[0]}"
if ((${#both_files[@]})); then
	show_head both.report.txt report "${both_files[0]}"
else
	show_head guest.report.txt report "${guest_files[0]}"
	show_head host.report.txt report "$DEMO_OUT/host.hvt"
fi

# The same as pages with charts, self-contained.
page() {
	local a args=()
	for a in "$@"; do args+=("${a#"$PWD"/}"); done
	"$HVT" "${args[@]}" 2>"$work/show.err" || {
		cat "$work/show.err" >&2
		die "hvtrace ${args[*]} failed (see above)"
	}
	note "hvtrace ${args[*]}"
}
printf '\nPages with charts (self-contained HTML):\n'
page table --baseline native --phases --html -o "$DEMO_OUT/table.html" "${native_files[@]}" "${guest_files[@]}"
page diff --html -o "$DEMO_OUT/diff.html" "${sides[@]}"
page report "${both_files[0]:-${guest_files[0]}}" --html -o "$DEMO_OUT/report.html"

# --- 7. What next -----------------------------------------------------------------------

step "done in $(elapsed): native vs ${label} (${accel:-?}), $RUNS run(s) each"
r=${DEMO_OUT#"$PWD"/}
b=${OUT#"$PWD"/}
if ((${#both_files[@]})); then g=$r/${both_files[0]##*/}; else g=$r/${guest_files[0]##*/}; fi
say "Open $r/diff.html (where the time went), $r/report.html and $r/table.html in a browser;"
say "the recordings, the full text outputs and the guest's console (console.log) are in $r/."
say "Look closer:"
say "  $b/hvtrace report $g --phase configure --top 20"
say "  $b/hvtrace diff $r/${native_files[0]##*/} $r/${guest_files[0]##*/} --top 0"
say "  sqlite3 $g 'SELECT view, kind, name, sum(count) AS n FROM stat GROUP BY 1, 2, 3 ORDER BY n DESC LIMIT 10'"
say "Your own benchmark (docs/demo.md):"
say "  natively:        sudo $b/hvtrace record -o native.hvt --label native -- ./bench.sh"
say "  in your VM:      sudo hvtrace record -o vm.hvt --label MY-VM -- ./bench.sh   (hvtrace = $b/hvtrace-static)"
if [ "$VIA" = libvirt ]; then
	say "  on its host:     sudo $b/hvtrace record --vm DOMAIN -o vm-host.hvt --label host   (libvirt; finds its org.hvtrace.0 channel)"
else
	say "  on its KVM host: sudo $b/hvtrace record --pid QEMU_PID -o vm-host.hvt --label host   (or --vm NAME)"
fi
say "  then:            $b/hvtrace table --baseline native native.hvt vm.hvt; $b/hvtrace diff native.hvt vm.hvt"
exit
}
