#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The test guest's disks (tools/lib-disk.sh, through tools/libvirt-domain.sh
# and tools/qemu-run.sh): a disk's format is what the caller says, raw by
# default, never guessed from its first bytes, so a qcow2 header that a guest
# wrote into its raw disk, naming a host file as backing file, stays data; a
# qcow2 disk may have no backing file but the raw one --backing names (the
# overlay the tools make) and no external data file. qemu-run.sh runs a
# stand-in QEMU that only writes down its arguments. No root, no guest.
set -u
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DOMAIN=$ROOT/tools/libvirt-domain.sh
QRUN=$ROOT/tools/qemu-run.sh

if ! command -v qemu-img >/dev/null; then
	if [ -n "${CI:-}" ]; then
		fail disks "qemu-img not found (CI has qemu-utils: this must not skip)"
		exit 1
	fi
	skip disks "qemu-img not found: run 'sudo make deps' (qemu-utils)"
	exit 0
fi

# A guest folder for the tools' file checks; nothing boots it.
mkdir -p "$TMP/guest"
: >"$TMP/guest/vmlinuz"
: >"$TMP/guest/initrd.img"
printf 'host secret\n' >"$TMP/secret"

# qcow2_naming IMG TARGET: a qcow2 header whose backing file is TARGET and
# whose format is not recorded: what a guest can write at the start of its
# raw disk (qemu-img itself insists on a backing format).
qcow2_naming() {
	qemu-img create -q -f qcow2 -o compat=0.10 "$1" 8M &&
		perl -e 'open(my $f, "+<", $ARGV[0]) or die "$ARGV[0]: $!\n";
			seek($f, 8, 0); print $f pack("Q>L>", 1024, length $ARGV[1]);
			seek($f, 1024, 0); print $f $ARGV[1]; close($f) or die "$!\n"' "$1" "$2"
}
qcow2_naming "$TMP/planted.img" "$TMP/secret" || { fail disks "cannot make the test images"; exit 1; }
truncate -s 8M "$TMP/base.img"
qemu-img create -q -f qcow2 -F raw -b "$TMP/base.img" "$TMP/overlay.qcow2"
qemu-img create -q -f qcow2 "$TMP/plain.qcow2" 8M
qemu-img create -q -f qcow2 -o data_file="$TMP/data.raw" "$TMP/datafile.qcow2" 8M
cp "$TMP/planted.img" "$TMP/nofmt.qcow2"
qcow2_naming "$TMP/nofmt.qcow2" "$TMP/base.img"

domain() {
	"$DOMAIN" --guest "$TMP/guest" --channel none --console "$TMP/console.log" "$@"
}
# driver_types XML: the disks' driver types in order, space-separated.
driver_types() { grep -o "<driver name='qemu' type='[a-z0-9]*'/>" "$1" | cut -d"'" -f4 | xargs; }

test_libvirt_domain_raw_disk_stays_raw_whatever_its_bytes() {
	domain --rootfs "$TMP/planted.img" --disk "$TMP/planted.img:raw" >"$TMP/d.xml" 2>"$TMP/d.err"
	expect_eq libvirt_domain_exit_status 0 $?
	expect_eq libvirt_domain_raw_disk_stays_raw_whatever_its_bytes "raw raw" \
		"$(driver_types "$TMP/d.xml")"
	if grep -q "note: disk image '$TMP/planted.img' starts like a qcow2 image but is used raw" \
		"$TMP/d.err"; then
		ok libvirt_domain_says_a_raw_disk_looks_like_qcow2
	else
		fail libvirt_domain_says_a_raw_disk_looks_like_qcow2 "stderr: $(head -c 300 "$TMP/d.err")"
	fi
	if grep -q secret "$TMP/d.xml"; then
		fail libvirt_domain_names_no_backing_file "the XML names $TMP/secret"
	else
		ok libvirt_domain_names_no_backing_file
	fi
}

test_libvirt_domain_takes_the_tools_overlay() {
	domain --rootfs "$TMP/overlay.qcow2:qcow2" --backing "$TMP/base.img" \
		--disk "$TMP/plain.qcow2:qcow2" >"$TMP/o.xml" 2>"$TMP/o.err"
	expect_eq libvirt_domain_overlay_exit_status "0 " "$? $(head -c 300 "$TMP/o.err")"
	expect_eq libvirt_domain_takes_the_tools_overlay "qcow2 qcow2" "$(driver_types "$TMP/o.xml")"
}

test_qcow2_disk_pointing_elsewhere_is_refused() {
	expect_fail libvirt_domain_refuses_a_planted_backing_file 1 \
		"qcow2 image '$TMP/planted.img' has the backing file '$TMP/secret', and no --backing names it" -- \
		domain --disk "$TMP/planted.img:qcow2"
	expect_fail libvirt_domain_refuses_another_backing_file 1 \
		"has the backing file '$TMP/base.img', not the one --backing names, '$TMP/plain.qcow2'" -- \
		domain --rootfs "$TMP/overlay.qcow2:qcow2" --backing "$TMP/plain.qcow2"
	expect_fail libvirt_domain_refuses_an_unrecorded_backing_format 1 \
		"does not record its backing file as raw \(it records no format: QEMU would guess it" -- \
		domain --rootfs "$TMP/nofmt.qcow2:qcow2" --backing "$TMP/base.img"
	expect_fail libvirt_domain_refuses_an_external_data_file 1 \
		"qcow2 image '$TMP/datafile.qcow2' keeps its data in another file" -- \
		domain --disk "$TMP/datafile.qcow2:qcow2"
	expect_fail libvirt_domain_refuses_a_raw_image_called_qcow2 1 \
		"'$TMP/base.img' is not a qcow2 image qemu-img can read" -- \
		domain --disk "$TMP/base.img:qcow2"
}

# A stand-in QEMU: writes its arguments down, one a line, and fails at once.
cat >"$TMP/fake-qemu" <<EOF
#!/bin/sh
printf '%s\n' "\$@" >"$TMP/qemu.args"
exit 1
EOF
chmod +x "$TMP/fake-qemu"
qrun() {
	rm -f "$TMP/qemu.args"
	QEMU=$TMP/fake-qemu "$QRUN" --guest "$TMP/guest" --accel tcg --timeout 20 \
		--log "$TMP/q.log" "$@"
}
drives() { grep -A1 -x -- -drive "$TMP/qemu.args" 2>/dev/null | grep -v -x -e -drive -e -- | xargs; }

test_qemu_run_passes_the_format_it_is_told() {
	qrun --rootfs "$TMP/planted.img" >/dev/null 2>"$TMP/q.err"
	expect_eq qemu_run_raw_disk_stays_raw_whatever_its_bytes \
		"file=$TMP/planted.img,if=virtio,format=raw" "$(drives)"
	qrun --rootfs "$TMP/overlay.qcow2:qcow2" --backing "$TMP/base.img" \
		--disk "$TMP/base.img:raw" >/dev/null 2>"$TMP/q.err"
	expect_eq qemu_run_takes_the_tools_overlay \
		"file=$TMP/overlay.qcow2,if=virtio,format=qcow2 file=$TMP/base.img,if=virtio,format=raw" \
		"$(drives)"
}

test_qemu_run_refuses_a_planted_backing_file() {
	expect_fail qemu_run_refuses_a_planted_backing_file 125 \
		"has the backing file '$TMP/secret', and no --backing names it" -- \
		qrun --disk "$TMP/planted.img:qcow2"
	if [ -e "$TMP/qemu.args" ]; then
		fail qemu_run_starts_no_qemu_for_a_refused_disk "QEMU ran: $(xargs <"$TMP/qemu.args")"
	else
		ok qemu_run_starts_no_qemu_for_a_refused_disk
	fi
}

test_libvirt_domain_raw_disk_stays_raw_whatever_its_bytes
test_libvirt_domain_takes_the_tools_overlay
test_qcow2_disk_pointing_elsewhere_is_refused
test_qemu_run_passes_the_format_it_is_told
test_qemu_run_refuses_a_planted_backing_file
