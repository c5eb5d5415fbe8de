#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""docs/benchmarks.md from one full `make bench` run's result files.

usage: bench/docs-page.py RESULTS OUT [OLD]

RESULTS is what bench/run-all left in bench/results (env.txt, timing.txt,
calibrate.md, chunk.txt, live_ingest.md, aio.md, serve.md, lookup.txt,
scale.txt, seek.md, hls_playlists.md, hls-serve.md, reclaim.md, fill.md and
the PNG plots). OUT is the page to write; the PNGs it links are copied next
to it. OLD is the page of an earlier run (default: OUT itself): a section
this run did not produce (its file missing or without its key RATIO line)
is taken from OLD as it was, marked with the older run's date, rather than
left empty. Every number in a section's text comes from this run's RATIO
lines and tables; the words that say which way a comparison went are chosen
from those numbers. Hand-written analysis of particular runs belongs in
docs/benchmarks-notes.md, which the page links.

Exit status: 0 every section from this run; 2 some kept from OLD (OUT
written); 1 some section neither produced nor in OLD (OUT still written,
for reading, but run-all does not install it); 64 bad usage.
"""
import os
import re
import shutil
import sys

SEC_RE = re.compile(r"^<!-- section (\S+) run=(\S+ \S+ UTC) commit=(\S+) -->$")
END_FMT = "<!-- end section %s -->"
NUM = r"(-?[0-9]+(?:\.[0-9]+)?)"


class Run:
    def __init__(self, res):
        self.res = res

    def text(self, name):
        try:
            with open(os.path.join(self.res, name), encoding="utf-8") as f:
                return f.read()
        except OSError:
            return ""

    def ratios(self, name):
        """{name: (value, lo, hi, rest)} of NAME's RATIO lines; lo/hi None without a spread."""
        out = {}
        for line in self.text(name).splitlines():
            m = re.match(r"^RATIO (\S+) (\S+)(.*)$", line)
            if not m:
                continue
            try:
                v = float(m.group(2))
            except ValueError:
                continue
            s = re.search(r"\(" + NUM + "-" + NUM + r"[;)]", m.group(3))
            lo, hi = (float(s.group(1)), float(s.group(2))) if s else (None, None)
            # The numbers as the run wrote them, for the text.
            raw = (m.group(2), s.group(1), s.group(2)) if s else (m.group(2), None, None)
            out.setdefault(m.group(1), (v, lo, hi, m.group(3).strip()) + raw)
        return out

    def kv(self, name):
        d = {}
        for line in self.text(name).splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                d[k.strip()] = v.strip()
        return d


def n(r):
    """A RATIO line's value as the run wrote it."""
    return r[4]


def spread(r):
    return " (%s-%s)" % (r[5], r[6]) if r[1] is not None else ""


def verdict(r, more, less, tie="a tie within the spread of the repetitions"):
    """MORE if the ratio is above 1 in every repetition, LESS if below, else TIE.
    A ratio without a spread (one median) counts as a tie within 10 %."""
    v, lo, hi = r[0], r[1], r[2]
    if lo is None:
        if v > 1.1:
            return more
        if v < 1 / 1.1:
            return less
        return "within 10 % (a tie at this table's resolution)"
    if lo > 1:
        return more + ", in every repetition"
    if hi < 1:
        return less + ", in every repetition"
    return tie


def demote(md):
    """A result file's headings, two levels down, under a section's heading."""
    return re.sub(r"(?m)^#", "###", md.strip())


def body(md):
    """A result file without its RATIO lines (they are listed at the end)."""
    return re.sub(r"(?m)^RATIO .*\n?", "", md).strip()


def img(run, png, alt, used):
    f = os.path.join(run.res, png)
    if os.path.isfile(f) and os.path.getsize(f) > 0:
        used.append(png)
        return "![%s](%s)\n" % (alt, png)
    return "(The plot %s is missing from this run: gnuplot not installed, or no data.)\n" % png


# --- the sections: each returns (headline, text) or None (no results) -------

def chunk(run, used):
    r = run.ratios("chunk.txt")
    k = r.get("vcache_pread_over_splice")
    if not k:
        return None
    t = r.get("tmpfs_splice_over_vcache_splice")
    p = ["A 20 MiB chunk of a sealed video read five ways in the VM (bench/chunk_bench.c). "
         "pread(2) took %s times as long as splice(2) into a pipe: splice is %s. "
         "pread copies every byte into the caller's buffer; splice hands page references "
         "to the pipe and copies nothing." % (n(k), verdict(k, "the faster path", "the slower path here"))]
    if t:
        p.append("The same splice from a tmpfs file took %s times vcache's: %s, as both pass "
                 "references to the same kind of pages." % (
                     n(t), verdict(t, "vcache faster", "tmpfs faster")))
    head = "pread / splice time %s" % n(k)
    return head, " ".join(p) + "\n\n" + body(run.text("chunk.txt")) + "\n"


def live(run, used):
    md = run.text("live_ingest.md")
    m = re.search(r"^RATIO live_ingest write/ring=" + NUM + " splice/ring=" + NUM +
                  r" \(cpu per MiB; ring " + NUM + " us/MiB\\)", md, re.M)
    if not m:
        return None
    w, s, ring = float(m.group(1)), float(m.group(2)), m.group(3)
    p = ("A live upload received over loopback TCP straight into a ring video's mapping, "
         "against recv(2) into a buffer and write(2) into the ring, and splice(2) from the "
         "socket (bench/live_ingest.c). The receiver's CPU per MiB with write(2) was %s times "
         "the ring's (%s us/MiB): %s; with splice %s times: %s. Receiving into the mapping "
         "saves the copy from a user buffer into the cache." % (
             m.group(1), ring, verdict((w, None, None), "receiving into the ring is cheaper",
                                  "write(2) is cheaper"),
             m.group(2), verdict((s, None, None), "the ring is cheaper", "splice is cheaper")))
    return "write / ring CPU per MiB %s" % m.group(1), p + "\n\n" + demote(body(md)) + "\n"


def aio(run, used):
    # The last table of aio.md is /dev/vcache in the VM: its line comes last.
    md = run.text("aio.md")
    last = re.findall(r"(?m)^RATIO threadpool_cpu_over_kaio_files(\d+) " + NUM + "$", md)
    if not last:
        return None
    files, k = last[-1][0], (float(last[-1][1]), None, None, "", last[-1][1], None, None)
    p = ("Reading many files at once with kernel AIO from one thread, against a thread pool of "
         "blocking reads, POSIX AIO, libaio and io_uring (bench/aio_bench.c, on the host, tmpfs "
         "and /dev/vcache). With %s files the thread pool spent %s times kernel AIO's CPU: "
         "kernel AIO is %s. One thread submitting and reaping a batch makes fewer system calls "
         "and context switches than a thread a read." % (
             files, n(k), verdict(k, "cheaper", "dearer")))
    return "thread pool / kernel AIO CPU (%s files) %s" % (files, n(k)), \
        p + "\n\n" + demote(body(md)) + "\n"


def serve(run, used):
    r = run.ratios("serve.md")
    k = r.get("serving_splice_over_nginx")
    if not k:
        return None
    md = run.text("serve.md")
    m = re.search(r"GB/s, (\S+ \S+) ranges, geometric mean over (\S+) connections; CPU s/GB "
                  r"splice/nginx " + NUM, k[3])
    size, conns, cpu = (m.group(1), m.group(2), m.group(3)) if m else ("the largest", "all", None)

    # The per-cell verdict table's rows of a send path:
    # | range | conns | PATH | GB/s ratio (min-max; verdict) | CPU ... |
    def cpu_verdicts(path):
        cells = [[c.strip() for c in l.split("|")] for l in md.splitlines()
                 if re.match(r"^\| [^|]+ \| \d+ \| %s \| [^|]*\([^|]*; " % path, l)]
        return [c[5] for c in cells if len(c) > 5]

    def cell_sentence(path, cpu_v):
        below = sum(1 for v in cpu_v if "below 1 in every repetition" in v)
        above = sum(1 for v in cpu_v if "above 1 in every repetition" in v)
        return ("%s's CPU per GB was below nginx's in every repetition in %d of %d cells, above "
                "it in every repetition in %d, and a tie within the spread in the other %d" % (
                    path, below, len(cpu_v), above, len(cpu_v) - below - above))
    p = ["vcache-streamer and nginx (sendfile) serving random byte ranges of the same 256 MiB, "
         "in one boot, the servers taking turns (bench/serve-bench.sh). Both send without "
         "copying, so the expected result is a tie. On %s ranges the streamer's splice path "
         "moved %s times nginx's GB/s (geometric mean over %s connections): %s." % (
             size, n(k), conns, verdict(k, "more than nginx", "less than nginx"))]
    if cpu is not None:
        p.append("Its CPU per GB was %s times nginx's: %s." % (
            cpu, verdict((float(cpu), None, None), "nginx spends less", "vcache spends less")))
    p.append("Cell by cell (range size and connections), %s (the last table says which)." %
             cell_sentence("splice", cpu_verdicts("splice")))
    # --send sendfile: the same pages through the kernel's own pipe, one
    # sendfile(2) a wakeup; in runs that measured it.
    sendfile_v = cpu_verdicts("sendfile")
    if sendfile_v:
        p.append("With --send sendfile (the same pages, one sendfile(2) a wakeup and no pipe "
                 "of the connection's) %s." % cell_sentence("sendfile", sendfile_v))
    t = " ".join(p) + "\n\n" + body(md) + "\n\n"
    t += img(run, "serve-gbps.png", "GB/s by connections", used) + "\n"
    t += img(run, "serve-cpu.png", "CPU seconds per GB by connections", used)
    return "splice / nginx GB/s (%s ranges) %s" % (size, n(k)), t


def lookup(run, used):
    r = run.ratios("lookup.txt")
    k = r.get("lookup_search_largest_over_smallest")
    if not k:
        return None
    m = re.search(r"log ratio " + NUM + ", linear " + NUM, k[3])
    logr, logs, lin = (float(m.group(1)), m.group(1), m.group(2)) if m else (None, "?", "?")
    hot = r.get("lookup_hot_search_largest_over_smallest")
    if logr is None:
        grow = "(the log ratio is missing from the RATIO line)"
    elif k[0] <= 2 * logr:
        grow = "within twice the log2 ratio %s, far below the linear %s: logarithmic" % (logs, lin)
    else:
        grow = ("more than twice the log2 ratio %s (linear would be %s): more than the step "
                "count alone; the hot line below separates the steps from the cache misses"
                % (logs, lin))
    p = ("VCACHE_IOC_LOOKUP, the kernel's binary search of a video's keyframe index, timed "
         "against the index's size (bench/lookup_bench.c). From the smallest index to the "
         "largest the search part (time above the no-index floor) grew %s times: %s." % (
             n(k), grow))
    if hot:
        p += (" With 16 labels repeated (the lines the search touches stay cached) it grew "
              "%s times." % n(hot))
    t = p + "\n\n" + body(run.text("lookup.txt")) + "\n\n" + img(run, "lookup.png", "ns per lookup vs index size", used)
    return "search cost, largest / smallest index %s (log2 ratio %s)" % (
        n(k), logs), t


def scale(run, used):
    r = run.ratios("scale.txt")
    k = r.get("scale_splice_largest_over_smallest")
    if not k:
        return None
    m = re.search(r"\((\d+) MiB vs (\d+) MiB\)", k[3])
    big, small = (m.group(1), m.group(2)) if m else ("?", "?")
    c = r.get("scale_memcpy_control_largest_over_smallest")
    per = r.get("scale_splice_per_memcpy_largest_over_smallest")
    flat = lambda x: ("flat (within 25 %)" if 0.8 <= x <= 1.25 else
                      "it grew" if x > 1.25 else "it fell")
    p = ("Random 20 MiB chunks of random videos, each opened by name, as the cache fills from "
         "%s MiB to %s MiB of sealed videos (bench/scale_bench.c). A chunk's splice took %s times "
         "as long at the largest cache as at the smallest: %s." % (small, big, n(k), flat(k[0])))
    if c and per:
        p += (" The memcpy control moved %s times over the same steps (the machine's own drift); "
              "splice per memcpy %s: %s." % (n(c), n(per), flat(per[0])))
    p += (" Opening a video by name is a lookup in the module's hash table of names "
          "(kmod/registry.c), not a walk of every video.")
    t = p + "\n\n" + body(run.text("scale.txt")) + "\n\n" + img(run, "scale.png", "per-chunk cost vs cache size", used)
    return "splice time, %s MiB / %s MiB cache %s" % (big, small, n(k)), t


def length_name(s):
    s = int(s)
    return "%d h" % (s // 3600) if s % 3600 == 0 else "%d min" % (s // 60)


def seek(run, used):
    r = run.ratios("seek.md")
    lens = sorted(int(m.group(1)) for m in (re.match(r"seek_vcache_over_nginx_reqs_(\d+)s$", k) for k in r) if m)
    if not lens:
        return None
    p = ["The same video at %s: MPEG-TS in vcache, where `?t=` is a binary search of the "
         "kernel's keyframe index, and MP4 on tmpfs for nginx's mp4 module, which reads and "
         "rebuilds the moov for every `?start=` request (bench/seek-bench.sh, one boot, the "
         "servers taking turns). Each request a new connection, a random second, the first MiB "
         "of the body." % ", ".join(length_name(l) for l in lens)]
    for l in lens:
        q = r["seek_vcache_over_nginx_reqs_%ds" % l]
        c = r.get("seek_nginx_over_vcache_cpu_per_req_%ds" % l)
        s = "At %s vcache served %s times nginx's requests per second%s: %s" % (
            length_name(l), n(q), spread(q), verdict(q, "vcache faster", "nginx faster"))
        if c:
            s += "; nginx spent %s times vcache's CPU per request%s: %s" % (
                n(c), spread(c), verdict(c, "vcache cheaper", "nginx cheaper"))
        p.append(s + ".")
    lo, hi = lens[0], lens[-1]
    g = []
    for srv in ("vcache", "nginx"):
        x = r.get("seek_%s_cpu_per_req_%ds_over_%ds" % (srv, hi, lo))
        if x:
            g.append("%s's CPU per request %s times (%s)" % (
                srv, n(x), "flat, within 25 %" if 0.8 <= x[0] <= 1.25 else
                "it grows with the length" if x[0] > 1.25 else "it fell"))
    if g:
        p.append("From %s to %s: %s." % (length_name(lo), length_name(hi), "; ".join(g)))
    t = " ".join(p) + "\n\n" + body(run.text("seek.md")) + "\n\n" + \
        img(run, "seek.png", "CPU per request and p50 latency vs video length", used)
    c = r.get("seek_nginx_over_vcache_cpu_per_req_%ds" % hi)
    q = r["seek_vcache_over_nginx_reqs_%ds" % hi]
    head = "at %s: vcache / nginx requests/s %s%s" % (length_name(hi), n(q), spread(q))
    if c:
        head += ", nginx / vcache CPU per request %s%s" % (n(c), spread(c))
    return head, t


def hls_playlists(run, used):
    r = run.ratios("hls_playlists.md")
    k = r.get("hls_ns_per_entry_10h_over_10min")
    if not k:
        return None
    ms = r.get("hls_playlists_10h_ms")
    p = ("The playlists vcache-streamer builds once per sealed video from its index (the media, "
         "I-frame and master playlists, user/lib/hls.c), timed on the host for 10 min to 10 h of "
         "a synthetic 25 fps index (bench/hls_bench.c). The cost per index entry at 10 h was %s "
         "times that at 10 min: %s." % (
             n(k), "linear in the index, within 25 %" if k[0] <= 1.25 else
             "it grows faster than the index"))
    if ms:
        p += " A 10 h video's playlists took %s ms, once per video, on a job thread." % n(ms)
    return "ns per entry, 10 h / 10 min %s" % n(k), \
        p + "\n\n" + demote(body(run.text("hls_playlists.md"))) + "\n"


def hls_serve(run, used):
    r = run.ratios("hls-serve.md")
    cells = sorted(int(m.group(1)) for m in (re.match(r"hls_segments_c(\d+)_vcache_over_nginx_gbps$", k) for k in r) if m)
    if not cells:
        return None
    p = ["The segments of a 10 min byte-range HLS playlist served by vcache-streamer (spliced "
         "from the cache) and by nginx from tmpfs, and the playlist itself, in one boot "
         "(bench/hls-serve-bench.sh). Both send segments without copying, so a tie is the "
         "expected result there."]
    for c in cells:
        g = r["hls_segments_c%d_vcache_over_nginx_gbps" % c]
        u = r.get("hls_segments_c%d_vcache_over_nginx_cpu_per_gb" % c)
        s = "%d viewers: vcache / nginx GB/s %s%s, %s" % (
            c, n(g), spread(g), verdict(g, "vcache faster", "nginx faster"))
        if u:
            s += "; CPU per GB %s%s, %s" % (n(u), spread(u), verdict(u, "vcache dearer", "vcache cheaper"))
        p.append(s + ".")
    pl = r.get("hls_playlist_vcache_over_nginx_reqs")
    if pl:
        p.append("The playlist: vcache / nginx requests/s %s%s, %s (vcache looks it up in its "
                 "cache after checking the video's generation; nginx sends a static file)." % (
                     n(pl), spread(pl), verdict(pl, "vcache faster", "nginx faster")))
    big = cells[-1]
    g = r["hls_segments_c%d_vcache_over_nginx_gbps" % big]
    return "segments, %d viewers: vcache / nginx GB/s %s%s" % (big, n(g), spread(g)), \
        " ".join(p) + "\n\n" + demote(body(run.text("hls-serve.md"))) + "\n"


def reclaim(run, used):
    r = run.ratios("reclaim.md")
    k = r.get("reclaim_vcache_over_ext4")
    if not k:
        return None
    md = run.text("reclaim.md")
    res = {}
    for l in md.splitlines():
        c = [x.strip() for x in l.split("|")]
        if len(c) > 3 and c[1] in ("none", "vcache", "ext4", "tmpfs"):
            res[c[1]] = c[2]
    t = r.get("reclaim_tmpfs_over_ext4")
    p = ("The time a process takes to get memory back when it is held by vcache (its shrinker), "
         "ext4's page cache or tmpfs, no swap, in one boot (bench/reclaim-bench.sh). Hog results: "
         "%s. With vcache holding the memory the hog took %s times as long as with ext4%s: %s." % (
             "; ".join("%s %s" % (h, res[h]) for h in ("none", "vcache", "ext4", "tmpfs") if h in res),
             n(k), spread(k), verdict(k, "vcache slower", "vcache faster")))
    if t:
        p += " tmpfs / ext4: %s%s (tmpfs pages cannot be reclaimed without swap)." % (n(t), spread(t))
    return "hog time, vcache / ext4 %s%s" % (n(k), spread(k)), \
        p + "\n\n" + demote(body(md)) + "\n"


def fill(run, used):
    r = run.ratios("fill.md")
    k = r.get("fill_ttfb_miss_over_hit")
    if not k:
        return None
    tm = r.get("fill_time_aio_over_read")
    cpu = r.get("fill_sys_cpu_aio_over_read")
    p = ("vcache-streamer --origin on ext4, caches dropped: the time to first byte of a miss "
         "(the streamer fills the video while it serves it) against a hit, and a large file read "
         "cold by the streamer's fill (kernel AIO + O_DIRECT into the video), by a buffered "
         "read(2) loop into a video (bench/fill_read.c) and by cat (bench/fill-bench.sh). A miss "
         "took %s times a hit's time to first byte%s." % (n(k), spread(k)))
    if tm:
        p += " The fill took %s times the read(2) loop's time%s: %s." % (
            n(tm), spread(tm), verdict(tm, "the fill slower", "the fill faster"))
    if cpu:
        p += " System CPU, fill / read(2): %s%s: %s." % (
            n(cpu), spread(cpu), verdict(cpu, "the fill dearer", "the fill cheaper"))
    return "miss / hit time to first byte %s%s" % (n(k), spread(k)), \
        p + "\n\n" + demote(body(run.text("fill.md"))) + "\n"


SECTIONS = [
    ("chunk", "1. Chunk access", chunk),
    ("live", "2. Live ingest", live),
    ("aio", "3. Many files at once: kernel AIO", aio),
    ("serve", "4. Serving byte ranges against nginx", serve),
    ("lookup", "5. Timecode lookup against index size", lookup),
    ("scale", "6. Scale: cost against cache size", scale),
    ("seek", "7. Timecode seek against nginx's mp4 module", seek),
    ("hls-playlists", "8. HLS playlists against index size", hls_playlists),
    ("hls-serve", "9. HLS segments against nginx", hls_serve),
    ("reclaim", "10. Memory pressure: reclaim", reclaim),
    ("fill", "11. Read-through fill from ext4", fill),
]


def old_sections(path):
    """{id: (run date, commit, text lines between the markers)} of an earlier page."""
    out, cur = {}, None
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        return out
    for l in lines:
        m = SEC_RE.match(l)
        if m:
            cur = m.group(1)
            out[cur] = (m.group(2), m.group(3), [])
        elif cur and l == END_FMT % cur:
            cur = None
        elif cur:
            out[cur][2].append(l)
    return out


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 64
    run = Run(argv[1])
    out = argv[2]
    old = old_sections(argv[3] if len(argv) == 4 else out)
    if not os.path.isdir(run.res):
        sys.stderr.write("docs-page: %s is not a directory\n" % run.res)
        return 64
    tm = run.kv("timing.txt")
    date = tm.get("run_date", "")
    commit = tm.get("commit", "")
    if not re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$", date) or not commit:
        sys.stderr.write("docs-page: timing.txt has no run_date/commit: not a full run's results\n")
        return 1
    if tm.get("quick") == "1":
        sys.stderr.write("docs-page: a --quick run's results: not for docs/\n")
        return 1
    status, used, heads, secs = 0, [], [], []
    for sid, title, fn in SECTIONS:
        try:
            got = fn(run, used)
        except (ValueError, IndexError, KeyError, AttributeError) as e:
            # A result file this generator does not understand: the section is
            # treated as missing (kept from OLD, marked), and said here.
            sys.stderr.write("docs-page: %s: cannot read its results (%r)\n" % (sid, e))
            got = None
        if got:
            head, text = got
            secs.append("<!-- section %s run=%s commit=%s -->\n## %s\n\n%s\n\n%s\n%s" % (
                sid, date, commit, title, "**Headline:** " + head + ".", text.strip(), END_FMT % sid))
            heads.append((title, head, date))
        elif sid in old:
            odate, ocommit, lines = old[sid]
            lines = [l for l in lines if not l.startswith("**Kept from the run of ")]
            h = next((l for l in lines if l.startswith("**Headline:** ")), "")
            rest = lines[1:]
            while rest and not rest[0].strip():
                rest.pop(0)
            lines = lines[:1] + ["", "**Kept from the run of %s (commit %s): the run of %s did "
                                     "not produce this section.**" % (odate, ocommit, date), ""] + rest
            secs.append("<!-- section %s run=%s commit=%s -->\n%s\n%s" % (
                sid, odate, ocommit, "\n".join(lines).strip(), END_FMT % sid))
            heads.append((title, h[len("**Headline:** "):].rstrip("."), odate))
            status = max(status, 2)
            sys.stderr.write("docs-page: %s: no results in this run; kept from %s\n" % (sid, odate))
        else:
            secs.append("<!-- section %s run=%s commit=%s -->\n## %s\n\n**Missing:** this run "
                        "produced no results for it, and no earlier page had it.\n%s" % (
                            sid, date, commit, title, END_FMT % sid))
            heads.append((title, "missing", date))
            status = 1
            sys.stderr.write("docs-page: %s: no results in this run and none to keep\n" % sid)

    env = run.text("env.txt").strip() or "(env.txt missing: the VM run failed early)"
    cal = run.text("calibrate.md").strip()
    page = ["# vcache benchmarks", "",
            "Generated by `make bench` (bench/run-all, bench/docs-page.py) from the results of "
            "the run of %s at commit %s; do not edit by hand: the next full run rewrites it. "
            "Analysis of particular past runs, written by hand, is in "
            "[benchmarks-notes.md](benchmarks-notes.md). Each section's text is filled in from "
            "that section's own tables and RATIO lines; a section that a run did not produce is "
            "kept from the run that did, and says so." % (date, commit), "",
            "## Where and when it ran", "",
            "- Date: %s; commit %s; `make bench` took %s s in all (%s s in the VM experiments' "
            "boot; the rest the other boots, calibration and waits for the VM lock)." % (
                date, commit, tm.get("total_seconds", "?"), tm.get("vm_seconds", "?")),
            "- Host: %s; load average before / after: %s / %s." % (
                tm.get("host", "?"), tm.get("host_load_start", "?"), tm.get("host_load_end", "?")),
            "- Guest: QEMU TCG (no KVM; 2 vCPUs taking turns on one host thread, thread=single), "
            "`scripts/vm-run -k %s --mem %s`:" % (
                tm.get("kernel_option", "?"), tm.get("mem", "?")),
            "", "```", env, "```", "",
            "Under TCG every guest instruction is translated: absolute times are not a real "
            "machine's. What carries over are the ratios of methods measured side by side in one "
            "boot, with their spread. How much longer the VM takes than the host, by kind of work "
            "(bench/calibrate):", "",
            cal or "(calibrate.md missing: this run did not measure the VM against the host.)", "",
            "## Headline ratios", "",
            "| experiment | headline (this page's section) | run |", "|---|---|---|"]
    for title, head, d in heads:
        anchor = re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")
        page.append("| [%s](#%s) | %s | %s |" % (title, anchor, head, d))
    page += ["", "\n\n".join(secs), "", "## Every RATIO line of this run", "", "```"]
    for f in ("chunk.txt", "live_ingest.md", "aio.md", "serve.md", "lookup.txt", "scale.txt",
              "seek.md", "hls_playlists.md", "hls-serve.md", "reclaim.md", "fill.md",
              "calibrate.md"):
        page += [l for l in run.text(f).splitlines() if l.startswith("RATIO ")]
    page += ["```", ""]
    odir = os.path.dirname(os.path.abspath(out))
    os.makedirs(odir, exist_ok=True)
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        f.write("\n".join(page))
    os.replace(out + ".tmp", out)
    for png in used:
        src = os.path.join(run.res, png)
        if os.path.abspath(src) != os.path.join(odir, png):
            shutil.copyfile(src, os.path.join(odir, png))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
