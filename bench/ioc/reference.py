"""Reference for bench/ioc/run: the same imports and lookups in Python (ipaddress + bisect), and the ratios.

Reads the Rust figures from DIR/rust.txt and the inputs the Rust benchmark wrote to DIR (IPsum probe addresses,
the synthetic lists). The reference's lookup is a plain bisect over range starts (it ignores nested ranges),
so it does less than canhgac's; the ratio is conservative.
"""

import bisect
import ipaddress
import os
import random
import sys
import time
from pathlib import Path

LOOKUPS = 1_000_000


def shared_data() -> Path:
    env = os.environ.get("CANHGAC_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def parse_line(line: str):
    line = line.strip()
    if not line or line[0] in "#;":
        return None
    token = line.split("#")[0].split(";")[0].split()[0]
    if "/" in token:
        net = ipaddress.ip_network(token, strict=False)
        return int(net.network_address), int(net.broadcast_address)
    if token.count(":") == 1 and "." in token:
        token = token.split(":")[0]
    a = int(ipaddress.ip_address(token))
    return a, a


def load(text: str):
    t = time.perf_counter()
    ranges = [r for r in map(parse_line, text.splitlines()) if r is not None]
    t_import = time.perf_counter() - t
    t = time.perf_counter()
    ranges.sort()
    starts = [r[0] for r in ranges]
    ends = [r[1] for r in ranges]
    t_build = time.perf_counter() - t
    return ranges, starts, ends, t_import, t_build


def lookups_per_sec(starts, ends, probes):
    # CPU time, like the Rust benchmark's lookup rates.
    t = time.process_time()
    hits = 0
    for a in probes:
        i = bisect.bisect_right(starts, a) - 1
        if i >= 0 and a <= ends[i]:
            hits += 1
    return len(probes) / (time.process_time() - t), hits


def rust_figures(path: Path):
    figures = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and "." in parts[0]:
            try:
                figures[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return figures


def main():
    out = Path(sys.argv[1])
    rust = rust_figures(out / "rust.txt")
    rows = []

    ipsum = shared_data() / "ip-blocklists" / "ipsum" / "ipsum.txt"
    ranges, starts, ends, t_import, t_build = load(ipsum.read_text())
    probes = [int(ipaddress.IPv4Address(l)) for l in (out / "ipsum-probes.txt").read_text().split()[:LOOKUPS]]
    rate, _ = lookups_per_sec(starts, ends, probes)
    rows += [
        ("ipsum.import_ms", t_import * 1000, "lower"),
        ("ipsum.build_ms", t_build * 1000, "lower"),
        ("ipsum.lookups_per_sec", rate, "higher"),
    ]

    rng = random.Random(7)
    for lines in (500_000, 1_000_000):
        path = out / f"synthetic-{lines}.txt"
        ranges, starts, ends, t_import, t_build = load(path.read_text())
        probes = [rng.choice(starts) if i % 2 == 0 else rng.getrandbits(32) for i in range(LOOKUPS)]
        rate, _ = lookups_per_sec(starts, ends, probes)
        rows += [
            (f"list{lines}.import_ms", t_import * 1000, "lower"),
            (f"list{lines}.build_ms", t_build * 1000, "lower"),
            (f"list{lines}.lookups_per_sec", rate, "higher"),
        ]

    print()
    print(f"{'figure':<32} {'canhgac':>14} {'python':>14} {'canhgac faster by':>18}")
    for name, py, better in rows:
        rs = rust.get(name)
        if rs is None:
            continue
        ratio = py / rs if better == "lower" else rs / py
        print(f"{name:<32} {rs:>14,.1f} {py:>14,.1f} {ratio:>17.1f}x")


if __name__ == "__main__":
    main()
