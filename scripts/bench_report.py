#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turns the raw samples of `make bench` into summary.md and lookup.svg.

    bench_report.py RESULTS_DIR [WALL_SECONDS]

raw.txt holds one sample per line: "<boot> BENCH <round> <config> <measure> <value>".
"""
import statistics
import sys
from collections import defaultdict
from pathlib import Path

CONFIGS = ["none", "floor", "nf_conntrack", "rust_conntrack"]


def load(path):
    samples = defaultdict(list)
    failed = set()
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) != 6:
            continue
        _, _, _, config, measure, value = parts
        if measure == "failed":
            failed.add(config)
            continue
        try:
            samples[(config, measure)].append(float(value))
        except ValueError:
            pass
    return samples, failed


def med(samples, config, measure):
    v = samples.get((config, measure))
    return statistics.median(v) if v else None


def fmt(x, digits=0):
    return "failed" if x is None else f"{x:,.{digits}f}"


def cell(samples, config, measure):
    v = samples.get((config, measure))
    if not v:
        return "failed"
    return f"{statistics.median(v):,.0f} [{min(v):,.0f}–{max(v):,.0f}]"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def verdict(r, target, lower_is_better=True):
    if r is None:
        return "n/a"
    ok = r <= target if lower_is_better else r >= target
    return f"{r:.2f} ({'met' if ok else 'not met'}, target {'≤' if lower_is_better else '≥'} {target})"


def svg_plot(samples, path):
    sizes = [("1k", 1e3), ("100k", 1e5), ("1M", 1e6)]
    series = {}
    for config in ["nf_conntrack", "rust_conntrack"]:
        for kind, prefix in [("counted", "icount_lookup_ns_per_packet_"), ("real time", "lookup_ns_per_packet_")]:
            pts = [(n, med(samples, config, prefix + k.lower())) for k, n in sizes]
            series[f"{config}, {kind}"] = [(n, y) for n, y in pts if y is not None]
    ys = [y for pts in series.values() for _, y in pts]
    if not ys:
        return False
    import math

    w, h, left, bottom, top, right = 720, 400, 70, 50, 30, 250
    ymax = max(ys) * 1.15
    xl = lambda n: left + (math.log10(n) - 3) / 3 * (w - left - right)
    yl = lambda y: h - bottom - y / ymax * (h - bottom - top)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2 - 120}" y="18">Lookup cost against table size (counted: instructions)</text>',
           f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" stroke="black"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="black"/>',
           f'<text x="{(w - right) / 2}" y="{h - 12}">live connections</text>',
           f'<text x="10" y="{top - 8}">ns per packet</text>']
    for label, n in sizes:
        out.append(f'<text x="{xl(n) - 10}" y="{h - bottom + 18}">{label}</text>')
    for i in range(5):
        y = ymax * i / 4
        out.append(f'<text x="{left - 60}" y="{yl(y) + 4}">{y:,.0f}</text>')
        out.append(f'<line x1="{left}" y1="{yl(y)}" x2="{w - right}" y2="{yl(y)}" stroke="#ddd"/>')
    colors = {"nf_conntrack, counted": "#1f77b4", "rust_conntrack, counted": "#d62728",
              "nf_conntrack, real time": "#9ecae1", "rust_conntrack, real time": "#fc9272"}
    for i, (config, pts) in enumerate(series.items()):
        if not pts:
            continue
        d = " ".join(f"{xl(n):.1f},{yl(y):.1f}" for n, y in pts)
        out.append(f'<polyline points="{d}" fill="none" stroke="{colors[config]}" stroke-width="2"/>')
        for n, y in pts:
            out.append(f'<circle cx="{xl(n):.1f}" cy="{yl(y):.1f}" r="4" fill="{colors[config]}"/>')
        out.append(f'<rect x="{w - right + 15}" y="{top + 20 * i}" width="12" height="12" fill="{colors[config]}"/>')
        out.append(f'<text x="{w - right + 32}" y="{top + 20 * i + 11}">{config}</text>')
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n")
    return True


def main():
    results = Path(sys.argv[1])
    wall = int(sys.argv[2]) if len(sys.argv) > 2 else None
    samples, failed = load(results / "raw.txt")
    s = lambda c, m: med(samples, c, m)
    lines = ["# rust_conntrack benchmark", ""]
    lines.append("Costs under TCG are meaningful only as ratios within one boot: the first boot counts "
                 "guest instructions (`-icount shift=0`, one vCPU: 1 ns = 1 instruction), the second "
                 "measures real time under emulation. Medians with [min–max] over the rounds.")
    if failed:
        lines += ["", "Configurations that failed to load: " + ", ".join(sorted(failed)) + "."]
    lines += ["", "## Per-packet and per-connection costs (instructions)", "",
              "| measure | " + " | ".join(CONFIGS) + " |", "|---|" + "---|" * len(CONFIGS)]
    measures = [("udp_flow_ns_per_packet", "established UDP flow, per packet"),
                ("udp_new_ns_per_packet", "new UDP connection, per packet"),
                ("tcp_connect_ns_per_connection", "TCP connect and close, per connection"),
                ("tcp_pingpong_ns_per_round_trip", "TCP established, per round trip")]
    for m, label in measures:
        lines.append(f"| {label} | " + " | ".join(cell(samples, c, m) for c in CONFIGS) + " |")

    def over_floor(c, m):
        a, f = s(c, m), s("floor", m)
        return None if a is None or f is None else a - f

    flow_rust, flow_nf = over_floor("rust_conntrack", "udp_flow_ns_per_packet"), over_floor("nf_conntrack", "udp_flow_ns_per_packet")
    rtt_rust, rtt_nf = over_floor("rust_conntrack", "tcp_pingpong_ns_per_round_trip"), over_floor("nf_conntrack", "tcp_pingpong_ns_per_round_trip")
    new_ratio = ratio(s("nf_conntrack", "udp_new_ns_per_packet"), s("rust_conntrack", "udp_new_ns_per_packet"))
    tcp_ratio = ratio(s("nf_conntrack", "tcp_connect_ns_per_connection"), s("rust_conntrack", "tcp_connect_ns_per_connection"))
    rate = lambda c, m: None if s(c, m) is None else 1e9 / s(c, m)
    lines += ["", "| derived | nf_conntrack | rust_conntrack | rust / nf_conntrack |", "|---|---|---|---|",
              f"| established UDP: instructions per packet over the floor | {fmt(flow_nf)} | {fmt(flow_rust)} | {verdict(ratio(flow_rust, flow_nf), 0.8)} |",
              f"| established UDP: packets per second (guest time) | {fmt(rate('nf_conntrack', 'udp_flow_ns_per_packet'))} | {fmt(rate('rust_conntrack', 'udp_flow_ns_per_packet'))} | {fmt(ratio(rate('rust_conntrack', 'udp_flow_ns_per_packet'), rate('nf_conntrack', 'udp_flow_ns_per_packet')), 2)} |",
              f"| established TCP: instructions per round trip over the floor | {fmt(rtt_nf)} | {fmt(rtt_rust)} | {fmt(ratio(rtt_rust, rtt_nf), 2)} |",
              f"| new UDP connections per second (guest time) | {fmt(rate('nf_conntrack', 'udp_new_ns_per_packet'))} | {fmt(rate('rust_conntrack', 'udp_new_ns_per_packet'))} | {verdict(new_ratio, 1.25, False)} |",
              f"| TCP connections per second (guest time) | {fmt(rate('nf_conntrack', 'tcp_connect_ns_per_connection'))} | {fmt(rate('rust_conntrack', 'tcp_connect_ns_per_connection'))} | {fmt(tcp_ratio, 2)} |"]

    lines += ["", "## NAT and a stateful ruleset, beside nf_conntrack with nf_nat and nft_ct (instructions per packet)", "",
              "| measure | nf_conntrack | rust_conntrack | rust / nf_conntrack |", "|---|---|---|---|"]
    for m, label in [("nat_udp_flow_ns_per_packet", "masqueraded established UDP flow"),
                     ("nat_udp_new_ns_per_packet", "new masqueraded UDP connection"),
                     ("fw_udp_flow_ns_per_packet", "established flow through a `ct state` firewall")]:
        a, b = s("nf_conntrack", m), s("rust_conntrack", m)
        lines.append(f"| {label} | {cell(samples, 'nf_conntrack', m)} | {cell(samples, 'rust_conntrack', m)} | {fmt(ratio(b, a), 2)} |")
    for m, label in [("nat_udp_flow_ns_per_packet", "masquerade's cost per established packet, over tracking alone"),
                     ("nat_udp_new_ns_per_packet", "masquerade's cost per new connection, over tracking alone")]:
        base = m.replace("nat_", "")
        a = None if s("nf_conntrack", m) is None or s("nf_conntrack", base) is None else s("nf_conntrack", m) - s("nf_conntrack", base)
        b = None if s("rust_conntrack", m) is None or s("rust_conntrack", base) is None else s("rust_conntrack", m) - s("rust_conntrack", base)
        lines.append(f"| {label} | {fmt(a)} | {fmt(b)} | {fmt(ratio(b, a), 2)} |")

    lines += ["", "## Memory at 100k connections", "", "| | nf_conntrack | rust_conntrack | rust / nf_conntrack |", "|---|---|---|---|"]
    for m, label in [("slab_object_size", "slab object size, bytes"),
                     ("slab_object_size_tcp", "slab object size of a TCP connection (window state), bytes"),
                     ("slab_bytes_per_connection", "slab bytes per connection"),
                     ("memory_bytes_per_connection", "memory used per connection (MemAvailable)")]:
        a, b = s("nf_conntrack", m), s("rust_conntrack", m)
        r = ratio(b, a)
        lines.append(f"| {label} | {fmt(a)} | {fmt(b)} | {verdict(r, 0.75) if m in ('slab_bytes_per_connection', 'slab_object_size_tcp') else fmt(r, 2)} |")

    lines += ["", "## Memory per idle namespace (kernel bytes: slab, per-CPU, vmalloc, stacks, page tables; 1,000 namespaces)", "",
              "| | none | nf_conntrack | rust_conntrack | rust / nf_conntrack |", "|---|---|---|---|---|"]
    n0, n1, n2 = (s(c, "netns_kernel_bytes") for c in ("none", "nf_conntrack", "rust_conntrack"))
    lines.append(f"| a namespace | {fmt(n0)} | {fmt(n1)} | {fmt(n2)} | {fmt(ratio(n2, n1), 2)} |")
    a = None if n0 is None or n1 is None else n1 - n0
    b = None if n0 is None or n2 is None else n2 - n0
    lines.append(f"| the tracker's part (over none) | | {fmt(a)} | {fmt(b)} | {verdict(ratio(b, a), 1.0)} |")
    lines.append(f"| the tracker's part for 1,000 namespaces, KiB | | {fmt(None if a is None else a * 1000 // 1024)} | {fmt(None if b is None else b * 1000 // 1024)} | |")

    lines += ["", "## Scale, counted (instructions per packet of an established flow)", "",
              "| live connections | nf_conntrack | rust_conntrack | rust / nf_conntrack |", "|---|---|---|---|"]
    for k in ["1k", "100k", "1m"]:
        a, b = s("nf_conntrack", f"icount_lookup_ns_per_packet_{k}"), s("rust_conntrack", f"icount_lookup_ns_per_packet_{k}")
        lines.append(f"| {k.upper() if k == '1m' else k} | {fmt(a)} | {fmt(b)} | {fmt(ratio(b, a), 2)} |")
    for c in ["nf_conntrack", "rust_conntrack"]:
        lines.append(f"| {c}: 1M / 1k | | | {verdict(ratio(s(c, 'icount_lookup_ns_per_packet_1m'), s(c, 'icount_lookup_ns_per_packet_1k')), 1.5)} |")
    lines += ["", "## Scale in real time (under TCG; ns per packet of an established flow, median of three)", "",
              "| live connections | nf_conntrack | rust_conntrack | rust / nf_conntrack |", "|---|---|---|---|"]
    for k in ["1k", "100k", "1m"]:
        a, b = s("nf_conntrack", f"lookup_ns_per_packet_{k}"), s("rust_conntrack", f"lookup_ns_per_packet_{k}")
        lines.append(f"| {k.upper() if k == '1m' else k} | {fmt(a)} | {fmt(b)} | {fmt(ratio(b, a), 2)} |")
    for c in ["nf_conntrack", "rust_conntrack"]:
        lines.append(f"| {c}: 1M / 1k | | | {verdict(ratio(s(c, 'lookup_ns_per_packet_1m'), s(c, 'lookup_ns_per_packet_1k')), 1.5)} |")
    lines += ["", "Real-time figures under TCG vary from run to run by tens of percent; the counted ones "
              "above do not, but count no cache misses."]
    for title, p, baseline in [("expiring 1M connections, real time", "", 30),
                               ("expiring 1M connections, counted (1 ms = a million instructions)", "icount_", 10)]:
        lines += ["", f"| {title} | nf_conntrack | rust_conntrack | rust / nf_conntrack |", "|---|---|---|---|"]
        for m, label in [("expiry_ms_after_refresh", "time until the table is empty, ms"),
                         ("expiry_longest_pause_us", "longest pause seen by a spinning task, µs"),
                         ("expiry_pauses_over_1ms", "pauses over 1 ms"),
                         ("idle_longest_pause_us", f"baseline, nothing expiring for {baseline} s: longest pause, µs"),
                         ("idle_pauses_over_1ms", "baseline: pauses over 1 ms"),
                         ("entries_left", "entries left when the wait ended")]:
            a, b = s("nf_conntrack", p + m), s("rust_conntrack", p + m)
            # No ratio to zero: both measured, nf_conntrack's is none at all.
            r = "–" if a == 0 and b is not None else fmt(ratio(b, a), 2)
            lines.append(f"| {label} | {fmt(a)} | {fmt(b)} | {r} |")
    if svg_plot(samples, results / "lookup.svg"):
        lines += ["", "![lookup cost against table size](lookup.svg)"]
    if wall is not None:
        lines += ["", f"Wall time of the two boots: {wall // 60} min {wall % 60} s."]
    (results / "summary.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
