# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034 # the disk_* results are read by the sourcing scripts
#
# Disk images for the test guest, sourced by tools/qemu-run.sh and
# tools/libvirt-domain.sh: one reading of IMG[:raw|qcow2] and one check of
# what a qcow2 image may point at.
#
# A disk's format is never guessed from its first bytes: a guest that can
# write a raw image could plant a qcow2 header there whose backing file (or
# external data file) is any file of the host, and the next run would hand
# that file to the guest (QEMU's format-probing hole). So the format is what
# the caller says, raw by default, and a qcow2 image may point only at the
# one raw image the caller names as its backing file (--backing): the overlay
# the tools made with 'qemu-img create -f qcow2 -F raw -b BACKING'.

# disk_split SPEC: sets disk_path and disk_fmt from IMG[:raw|qcow2] (raw
# without a suffix; a path that itself ends in :raw or :qcow2 needs the
# format after it).
disk_split() {
	case $1 in
	*:raw) disk_path=${1%:raw} disk_fmt=raw ;;
	*:qcow2) disk_path=${1%:qcow2} disk_fmt=qcow2 ;;
	*) disk_path=$1 disk_fmt=raw ;;
	esac
}

# disk_check PATH FMT BACKING: 0 when PATH may be attached as FMT; else 1
# with the reason in disk_why. BACKING (may be empty) is the only backing
# file a qcow2 image may have, and it must be recorded as raw. A raw image
# that starts like a qcow2 one sets disk_note (it is still used raw).
disk_check() {
	local path=$1 fmt=$2 backing=$3 info why
	disk_why='' disk_note=''
	if [ ! -f "$path" ] || [ ! -r "$path" ]; then
		disk_why="cannot read disk image '$path'"
		return 1
	fi
	if [ "$fmt" = raw ]; then
		[ "$(head -c 4 "$path" | od -An -tx1 | tr -d ' \n')" != 514649fb ] ||
			disk_note="disk image '$path' starts like a qcow2 image but is used raw (the default; IMG:qcow2 says otherwise)"
		return 0
	fi
	if ! command -v qemu-img >/dev/null; then
		disk_why="qemu-img not found, needed to check the qcow2 image '$path' (qemu-utils; 'sudo make deps')"
		return 1
	fi
	# -f: qemu-img must not probe either; -U: the image may be in use.
	if ! info=$(qemu-img info -U -f qcow2 --output=json -- "$path" 2>&1); then
		disk_why="'$path' is not a qcow2 image qemu-img can read: $(printf '%s' "$info" | head -n 1)"
		return 1
	fi
	why=$(printf '%s' "$info" | perl -MJSON::PP -MCwd=realpath -e '
		my ($img, $want) = @ARGV;
		my $q = chr(39);
		# What the header says is quoted: no control character reaches a terminal.
		sub say { my $m = join("", @_); $m =~ s/[\x00-\x1f\x7f]/?/g; print $m; exit; }
		my $j = eval { decode_json(do { local $/; <STDIN> }) } or say("qemu-img info gave no JSON");
		my $data = ($j->{"format-specific"} // {})->{data} // {};
		say("qcow2 image $q$img$q keeps its data in another file, $q$data->{\"data-file\"}$q")
		    if defined $data->{"data-file"};
		my $b = $j->{"full-backing-filename"} // $j->{"backing-filename"};
		exit if !defined $b;
		my $rb = realpath($b);
		my $rw = $want eq "" ? undef : realpath($want);
		say("qcow2 image $q$img$q has the backing file $q$b$q, ",
		    $want eq "" ? "and no --backing names it" : "not the one --backing names, $q$want$q")
		    if !defined $rw || !defined $rb || $rb ne $rw;
		my $bf = $j->{"backing-filename-format"} // "";
		say("qcow2 image $q$img$q does not record its backing file as raw (",
		    $bf eq "" ? "it records no format: QEMU would guess it" : "it says $bf",
		    "; make it with qemu-img create -f qcow2 -F raw -b BACKING)") if $bf ne "raw";
	' "$path" "$backing") || {
		disk_why="cannot check the qcow2 image '$path' (perl's JSON::PP)"
		return 1
	}
	if [ -n "$why" ]; then
		disk_why=$why
		return 1
	fi
	return 0
}
