#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# report --html, diff --html, table --html. Part 1, on the fixture recordings of t_report.sh
# and t_diff.sh: golden pages (tests/fixtures/html/), pages that are self-contained (nothing
# fetched, no script) and well-formed, names from a hostile recording escaped, -o, bad input.
# Part 2: pages rendered in headless Chromium (Debian's chromium): the screenshot is not blank
# and shows the charts' colors, and the DOM has the charts. As root the pages are those of
# real recordings of the ground-truth workload; otherwise those of the fixtures.
#   UPDATE_GOLDEN=1 bash tests/t_html.sh   rewrites the golden files (review the diff)
. "$(dirname "$0")/lib.sh"
FIXTURES=$(cd "$(dirname "$0")/fixtures" && pwd)
FIX=$FIXTURES/html
SCHEMA=$FIXTURES/schema.sql

if [ ! -x "$HVTRACE" ]; then
	fail html_binary_exists "$HVTRACE is not built"
	exit 0
fi
for tool in sqlite3 python3; do
	if ! command -v $tool >/dev/null; then
		fail "html_needs_$tool" "$tool is missing (make deps installs it)"
		exit 0
	fi
done

# Relative file names keep the goldens free of temporary paths.
cd "$TMP" || exit 1

# rec NAME SQL...: NAME.hvt from the schema and the fixtures' DIR/NAME.sql files, in order.
rec() {
	local name=$1 f
	shift
	for f in "$@"; do cat "$FIXTURES/$f.sql"; done | cat "$SCHEMA" - |
		sqlite3 -batch "$name.hvt" || fail "html_fixture_$name" "sqlite3 could not make it"
}
rec basic report/basic
rec killed report/killed
rec native diff/a
rec native2 diff/a diff/a2
rec kvm diff/b
rec kvm2 diff/b diff/b2
rec ept diff/hosta
rec noept diff/hostb

# ---- part 1: fixtures ------------------------------------------------------------------
expect_golden html_report_golden "$FIX/basic.html" -- "$HVTRACE" report basic.hvt --html
expect_golden html_diff_golden "$FIX/native-kvm.html" -- "$HVTRACE" diff native.hvt kvm.hvt \
	--html
expect_golden html_table_golden "$FIX/table.html" -- "$HVTRACE" table --html -b native \
	--phases native.hvt native2.hvt kvm.hvt kvm2.hvt

"$HVTRACE" report basic.hvt --html >basic.html 2>/dev/null
"$HVTRACE" report killed.hvt --html >killed.html 2>/dev/null
"$HVTRACE" diff native.hvt kvm.hvt --html >nk.html 2>/dev/null
"$HVTRACE" diff native.hvt native2.hvt -- kvm.hvt kvm2.hvt --html >sets.html 2>/dev/null
"$HVTRACE" diff ept.hvt noept.hvt --html >host.html 2>/dev/null
"$HVTRACE" table --html -b native --phases native.hvt kvm.hvt >table.html 2>/dev/null
PAGES=(basic.html killed.html nk.html sets.html host.html table.html)

# check_pages FILE...: prints what is wrong with the pages, nothing when they are right: each
# is one document that fetches nothing and runs nothing, and whose tags are balanced.
check_pages() {
	python3 - "$@" <<'EOF'
import html.parser, re, sys

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "wbr", "area", "base", "source",
        "line", "rect", "path"}
FETCH = re.compile(r"<script|<link|<iframe|<object|<embed|<img|\b(src|href|srcset)\s*=|"
                   r"@import|url\((?!#)|https?:|<[^>]*\son[a-z]+\s*=", re.I)

class Check(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes <%s> at line %d" %
                               (tag, self.stack[-1] if self.stack else "nothing",
                                self.getpos()[0]))
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
        else:
            self.stack.pop()

for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    m = FETCH.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        print("%s:%d: fetches or runs something: %r" % (path, line, m.group(0)))
    if not text.startswith("<!DOCTYPE html>\n") or not text.endswith("</html>\n"):
        print("%s: not one whole document" % path)
    c = Check()
    c.feed(text)
    c.close()
    for e in c.errors[:3]:
        print("%s: %s" % (path, e))
    if c.stack:
        print("%s: never closed: %s" % (path, " ".join(c.stack)))
EOF
}

html_pages_self_contained_and_well_formed() {
	local out f
	for f in "${PAGES[@]}"; do
		if [ ! -s "$f" ]; then
			fail html_pages_self_contained_and_well_formed "$f is empty"
			return
		fi
	done
	out=$(check_pages "${PAGES[@]}" 2>&1)
	if [ -n "$out" ]; then
		fail html_pages_self_contained_and_well_formed "$(head -n 5 <<<"$out")"
	else
		ok html_pages_self_contained_and_well_formed
	fi
}
html_pages_self_contained_and_well_formed

# count PATTERN FILE: how many times the extended regex PATTERN matches in FILE.
count() { grep -oE "$1" "$2" | wc -l; }

# The charts: a bar per phase and the run (basic has 4 phases); a waterfall per phase in
# both and the whole run (nk: 4 + 1); with a host view, a second waterfall per phase.
expect_eq html_report_has_a_bar_per_phase 5 \
	"$(grep -c '^<text x="162" [^>]*text-anchor="end">' basic.html)"
expect_eq html_diff_has_a_waterfall_per_phase 5 \
	"$(count 'aria-label="waterfall from T_A to T_B"' nk.html)"
expect_eq html_diff_host_view_has_its_own_waterfall 4 \
	"$(count 'aria-label="waterfall from T_A to T_B"' host.html)"
expect_eq html_table_has_a_bar_per_label 2 \
	"$(grep -cE '^<text x="162" [^>]*>(native|kvm)</text>' table.html)"
expect_eq html_report_legend_says_what_unexplained_is 1 \
	"$(count '<b>unexplained</b> <span class="desc">wall time no category holds' basic.html)"
expect_eq html_report_names_what_was_not_estimated 1 \
	"$(count 'Not estimated, for want of a calibrated unit cost in this recording: page' \
		basic.html)"
expect_eq html_diff_has_a_category_table_per_waterfall 5 "$(count '<th>category</th>' nk.html)"
# wait4 waits in configure, make and so the whole run.
expect_eq html_diff_shows_the_waiting_categories 3 "$(count '<td>wait4</td>' nk.html)"

# The waterfall's steps, read back from the SVG, span T_A to T_B exactly: the whole run of
# the diff fixture, 12 s -> 17.5 s, drawn on a 0..18 s axis of 560 px.
html_waterfall_spans_dT() {
	local got
	got=$(python3 - nk.html <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
svg = text.split('aria-label="waterfall from T_A to T_B"')[1].split("</svg>")[0]
rects = re.findall(r'<rect x="(\d+)" y="(\d+)" width="(\d+)" height="18" fill="([^"]+)"', svg)
ta, tb, steps = rects[0], rects[-1], rects[1:-1]
x = int(ta[0]) + int(ta[2])
for s in steps:
    x0, w = int(s[0]), int(s[2])
    # each step starts where the previous ended (falling steps end there)
    if x0 == x:
        x += w
    elif x0 + w == x:
        x -= w
    else:
        print("step at %d+%d does not start at %d" % (x0, w, x))
        sys.exit()
print(x - int(tb[0]) - int(tb[2]), int(tb[0]) + int(tb[2]) - int(ta[0]) - int(ta[2]))
EOF
)
	# 5.5 s on 560 px / 18 s = 171.1 px; the steps end exactly on T_B's bar.
	if [ "$got" = "0 171" ]; then
		ok html_waterfall_spans_dT
	else
		fail html_waterfall_spans_dT "wanted 0 px off, 171 px from T_A to T_B; got '$got'"
	fi
}
html_waterfall_spans_dT

# A recording whose names are markup: every one of them must come out as text.
cat "$SCHEMA" - <<'EOF' | sqlite3 -batch hostile.hvt
INSERT INTO meta VALUES ('schema', '1'), ('label', '<script>alert(1)</script>'),
  ('command', './x & "y" <b>bold</b>'), ('hostname', 'h''><svg onload=alert(2)>'),
  ('wall_ns', '3000000000'), ('complete', '1'), ('start_mono_ns', '1000000000'),
  ('end_mono_ns', '4000000000');
INSERT INTO phase VALUES (0, '"><img src=x onerror=alert(3)>', 'start', 1000000000,
  2000000000, 0, 0, 100, 0), (1, '</text></svg><script>alert(4)</script>', 'mark', 2000000000,
  4000000000, 0, 0, 100, 0);
INSERT INTO stat VALUES (1, 1, 'guest', 'cpu', 0, 'user', 1, 1500000000, 0, 0);
EOF
html_escapes_names_from_recordings() {
	local out
	if ! "$HVTRACE" report hostile.hvt --html >hostile.html 2>hostile.err ||
		! "$HVTRACE" diff hostile.hvt hostile.hvt --html >>hostile.html 2>>hostile.err ||
		! "$HVTRACE" table --html hostile.hvt >>hostile.html 2>>hostile.err; then
		fail html_escapes_names_from_recordings "failed: $(head -c 300 hostile.err)"
		return
	fi
	out=$(grep -oiE '<script|<img|<svg onload|<b>bold|</text></svg>' hostile.html | sort -u)
	if [ -n "$out" ]; then
		fail html_escapes_names_from_recordings "markup of the recording came through: $out"
	elif ! grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' hostile.html ||
		! grep -q '&quot;&gt;&lt;img src=x onerror=alert(3)&gt;' hostile.html ||
		! grep -q './x &amp; &quot;y&quot; &lt;b&gt;bold&lt;/b&gt;' hostile.html; then
		fail html_escapes_names_from_recordings "the names are not shown as text"
	else
		ok html_escapes_names_from_recordings
	fi
}
html_escapes_names_from_recordings

html_output_file_is_the_page() {
	if ! "$HVTRACE" report basic.hvt --html -o out.html 2>err; then
		fail html_output_file_is_the_page "exit $?: $(head -c 300 err)"
	elif ! cmp -s out.html basic.html; then
		fail html_output_file_is_the_page "-o out.html differs from stdout"
	elif ls out.html.tmp.* >/dev/null 2>&1; then
		fail html_output_file_is_the_page "a temporary file was left: $(ls out.html.tmp.*)"
	else
		ok html_output_file_is_the_page
	fi
}
html_output_file_is_the_page
expect_eq html_table_format_html_is_html "$(cat table.html)" \
	"$("$HVTRACE" table --format html -b native --phases native.hvt kvm.hvt)"

expect_fail html_and_json_exclude_each_other 2 "--html and --json exclude each other" -- \
	"$HVTRACE" report basic.hvt --html --json
expect_fail html_diff_and_csv_exclude_each_other 2 "--csv and --html exclude each other" -- \
	"$HVTRACE" diff native.hvt kvm.hvt --csv --html
expect_fail html_output_in_a_missing_directory 1 "cannot create 'no/such/dir/x.html'" -- \
	"$HVTRACE" report basic.hvt --html -o no/such/dir/x.html
expect_fail html_table_output_in_a_missing_directory 1 "cannot create 'no/such/t.html'" -- \
	"$HVTRACE" table --html -o no/such/t.html native.hvt
expect_fail html_output_needs_a_value 2 "'-o' needs a value" -- \
	"$HVTRACE" report basic.hvt --html -o
to_full_disk() { "$HVTRACE" "$@" >/dev/full; }
expect_fail html_report_to_a_full_disk 1 "cannot write the report: No space left on device" -- \
	to_full_disk report basic.hvt --html
expect_fail html_diff_to_a_full_disk 1 "cannot write the diff: No space left on device" -- \
	to_full_disk diff native.hvt kvm.hvt --html
html_failed_report_leaves_no_file() {
	"$HVTRACE" report missing.hvt --html -o gone.html >/dev/null 2>&1
	if [ -e gone.html ] || ls gone.html.tmp.* >/dev/null 2>&1; then
		fail html_failed_report_leaves_no_file "a report that failed left a file"
	else
		ok html_failed_report_leaves_no_file
	fi
}
html_failed_report_leaves_no_file

# ---- part 2: Chromium ------------------------------------------------------------------
CHROMIUM=$(command -v chromium || command -v chromium-browser)
if [ -z "$CHROMIUM" ]; then
	if [ "${CI:-}" = true ]; then
		fail html_renders_in_chromium "chromium not installed: run make deps"
	else
		skip html_renders_in_chromium \
			"chromium not installed: run make deps (apt-get install chromium)"
	fi
	exit 0
fi

# chromium ARGS... URL: headless, no network, no profile, no sandbox (root in a container).
chromium() {
	local profile
	profile=$(mktemp -d "$TMP/profile.XXXXXX")
	timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update --disable-sync \
		--no-first-run --user-data-dir="$profile" --window-size=1200,1600 "$@" \
		2>>"$TMP/chromium.err"
}

# png_stats PNG: "WIDTH HEIGHT COLORS NONWHITE_PERMILLE" and the hex colors present, from a
# PNG decoded with the standard library (8-bit RGB or RGBA, as Chromium writes them).
png_stats() {
	python3 - "$1" <<'EOF'
import collections, struct, sys, zlib
data = open(sys.argv[1], "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("not a PNG")
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
if depth != 8 or ctype not in (2, 6):
    sys.exit("PNG of depth %d, color type %d: not decoded here" % (depth, ctype))
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
LO, HI = int.from_bytes(b"\x7f" * stride, "big"), int.from_bytes(b"\x80" * stride, "big")
prev, colors = bytearray(stride), collections.Counter()
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    if f == 2:
        # Bytewise a + b mod 256 on whole rows as big integers (no carry between bytes).
        a, b = int.from_bytes(line, "big"), int.from_bytes(prev, "big")
        line = bytearray((((a & LO) + (b & LO)) ^ ((a ^ b) & HI)).to_bytes(stride, "big"))
    elif f == 1:
        for i in range(bpp, stride):
            line[i] = (line[i] + line[i - bpp]) & 255
    elif f == 3:
        for i in range(stride):
            line[i] = (line[i] + ((line[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
    elif f == 4:
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    it = iter(line)
    colors.update(zip(*[it] * bpp))
    prev = line
white = sum(n for c, n in colors.items() if c[:3] == (255, 255, 255))
print(w, h, len(colors), (w * h - white) * 1000 // (w * h))
print(" ".join("#%02x%02x%02x" % c[:3] for c, n in colors.items() if n >= 20))
EOF
}

# render NAME PAGE COLOR...: a screenshot of PAGE that is not blank and shows each chart COLOR;
# a DOM that has the page's charts.
render() {
	local name=$1 page=$2 stats dom svgs rects titles c w h ncolors permille
	shift 2
	if ! chromium --screenshot="$TMP/$name.png" "file://$TMP/$page" >/dev/null ||
		[ ! -s "$TMP/$name.png" ]; then
		fail "html_${name}_screenshot" "no screenshot: $(tail -c 300 "$TMP/chromium.err")"
		return
	fi
	stats=$(png_stats "$TMP/$name.png" 2>&1)
	read -r w h ncolors permille <<<"$(head -n 1 <<<"$stats")"
	if [ "$w" != 1200 ] || [ "${ncolors:-0}" -lt 12 ] || [ "${permille:-0}" -lt 20 ]; then
		fail "html_${name}_screenshot_not_blank" \
			"$w x $h, $ncolors colors, $permille per mille not white: $(head -c 200 \
				<<<"$stats")"
	else
		ok "html_${name}_screenshot_not_blank ($ncolors colors, $permille per mille ink)"
	fi
	for c in "$@"; do
		if ! tail -n 1 <<<"$stats" | grep -qw -- "$c"; then
			fail "html_${name}_screenshot_shows_the_chart" "no $c in the screenshot"
			return
		fi
	done
	ok "html_${name}_screenshot_shows_the_chart"
	dom=$(chromium --dump-dom "file://$TMP/$page")
	svgs=$(grep -o '<svg ' <<<"$dom" | wc -l)
	rects=$(grep -o '<rect ' <<<"$dom" | wc -l)
	titles=$(grep -o '<title>' <<<"$dom" | wc -l)
	if [ "$svgs" -lt 1 ] || [ "$svgs" != "$(grep -o '<svg ' "$page" | wc -l)" ] ||
		[ "$rects" -lt 5 ] || [ "$titles" -lt 5 ]; then
		fail "html_${name}_dom_has_the_charts" "$svgs svg, $rects rect, $titles titles"
	else
		ok "html_${name}_dom_has_the_charts ($svgs svg, $rects rect)"
	fi
}

# The report's chart colors: unexplained hatch and CPU user green; the diff's: T bars, rise.
if [ "$(id -u)" = 0 ] && [ -x "$PROG/gt" ]; then
	# Real recordings: the ground-truth workload, B making twice the syscalls of A. Its
	# "mark" runs $HVTRACE mark.
	export HVTRACE
	gt_run() {
		"$HVTRACE" record -q -o "$1" -- "$PROG/gt" mark setup touch 500 mark work \
			getppid "$2" spawn 2 mark end getppid 10
	}
	if ! gt_run gtA.hvt 100000 >rec.out 2>&1 || ! gt_run gtB.hvt 200000 >>rec.out 2>&1; then
		fail html_real_recordings "hvtrace record failed: $(tail -c 300 rec.out)"
		exit 0
	fi
	"$HVTRACE" report gtA.hvt --html -o real-report.html 2>>"$TMP/chromium.err"
	"$HVTRACE" diff gtA.hvt gtB.hvt --html -o real-diff.html 2>>"$TMP/chromium.err"
	render real_report real-report.html '#efefef'
	render real_diff real-diff.html '#5b6b82' '#e15759'
else
	skip html_real_recordings "needs root (BPF) and tests/prog/gt; rendering the fixtures'"
	render report basic.html '#59a14f' '#efefef' '#4e79a7'
	render diff nk.html '#5b6b82' '#e15759' '#59a14f'
fi
