#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turns the samples of `make profile` into profile.md: instructions per TCP round trip (or, for
`make profile WHAT=expiry`, per expired connection), by function, under each configuration.

    profile_report.py RESULTS_DIR

profile.log holds "PROFILE <config> <unit> <N> period <P>" and then
"PROFILE <config> <samples> <symbol> <module>" lines. A sample stands for PERIOD instructions.
"""
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

CONFIGS = ["floor", "nf_conntrack", "rust_conntrack"]
TOP = 30


def demangle(names):
    """Rust symbols as rustfilt spells them, when it is installed."""
    tool = shutil.which("rustfilt")
    if not tool or not names:
        return {n: n for n in names}
    out = subprocess.run([tool], input="\n".join(names), capture_output=True, text=True)
    plain = out.stdout.splitlines()
    if out.returncode != 0 or len(plain) != len(names):
        return {n: n for n in names}
    return dict(zip(names, plain))


TITLES = {
    "trips": ("Where a TCP round trip's instructions go",
              "Instructions per 64-byte round trip over veth"),
    "connections": ("Where the expiry of a connection's instructions go",
                    "Instructions per connection while a million expire at once, everything the "
                    "guest ran until the table was empty divided by the connections"),
}


def load(path):
    scale = {}
    unit = "trips"
    cost = defaultdict(lambda: defaultdict(float))
    failed = set()
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) < 3 or parts[0] != "PROFILE" or parts[1] not in CONFIGS:
            continue
        config = parts[1]
        if parts[2] == "failed":
            failed.add(config)
        elif parts[2] in TITLES and len(parts) == 6:
            unit = parts[2]
            scale[config] = int(parts[5]) / int(parts[3])
        elif len(parts) == 5 and parts[2].isdigit() and config in scale:
            sym = f"{parts[3]} {parts[4]}"
            cost[config][sym] += int(parts[2]) * scale[config]
    return cost, failed, unit


def main():
    results = Path(sys.argv[1])
    cost, failed, unit = load(results / "profile.log")
    configs = [c for c in CONFIGS if c in cost or c in failed]
    names = demangle(sorted({s.split(" ")[0] for c in cost.values() for s in c}))
    title, what = TITLES[unit]
    lines = [f"# {title}", ""]
    lines.append(f"{what}, sampled by `perf record` in a guest whose clock counts instructions")
    lines.append("(`make profile`).")
    lines.append("")
    lines.append("| | " + " | ".join(configs) + " |")
    lines.append("|---|" + "---:|" * len(configs))
    total = [sum(cost[c].values()) if c in cost else None for c in configs]
    lines.append("| all | " + " | ".join(f"{t:.0f}" if t else "-" for t in total) + " |")
    for module in ("[rust_conntrack]", "[nf_conntrack]", "[nf_tables]"):
        row = [sum(v for s, v in cost[c].items() if s.endswith(" " + module)) for c in configs]
        if any(row):
            lines.append(f"| in {module} | " + " | ".join(f"{v:.0f}" for v in row) + " |")
    lines.append("")
    syms = {s for c in cost.values() for s in c}

    def delta(s):
        return cost["rust_conntrack"].get(s, 0) - cost["nf_conntrack"].get(s, 0)

    lines.append(f"The {TOP} functions whose cost differs most between the trackers:")
    lines.append("")
    lines.append("| function | module | " + " | ".join(configs) + " | rust - nf |")
    lines.append("|---|---|" + "---:|" * (len(configs) + 1))
    for s in sorted(syms, key=lambda s: -abs(delta(s)))[:TOP]:
        sym, module = s.split(" ", 1)
        cells = [f"{cost[c].get(s, 0):.0f}" for c in configs]
        name = names.get(sym, sym).replace("|", "\\|")
        lines.append(f"| `{name}` | {module} | " + " | ".join(cells) + f" | {delta(s):+.0f} |")
    if failed:
        lines.append("")
        lines.append("Failed to configure: " + ", ".join(sorted(failed)))
    (results / "profile.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
