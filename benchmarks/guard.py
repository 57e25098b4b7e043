"""Benchmark guard: fail when a ratio target of the traversal or DCI issues is no longer met.

Run the suite for real, then the guard on its JSON::

    .venv/bin/python -m pytest benchmarks --benchmark-json=bench.json
    .venv/bin/python -m benchmarks.guard bench.json

Every benchmark records ``ratio`` and ``target`` (a ratio measured within one run, never an absolute time) or
``growth_mib`` and ``limit_mib`` in its ``extra_info``; the guard prints each and exits 1 if any misses. A fast
probe's benchmark may add ``accuracy_gap`` / ``accuracy_gap_limit`` (held-out accuracy against the reference
probe's) and ``dc_gap`` / ``dc_gap_limit`` (the larger of its D and C gaps to the reference's); either over its
limit fails too. A store benchmark's failure line names the machine's write speed for new files
(``new_file_mb_per_s``), so a slow disk can be told apart from a slow writer.
"""

import json
import sys
from pathlib import Path


def check(results: dict) -> tuple[list[str], list[str]]:
    """``(lines, failures)`` for a pytest-benchmark JSON document."""
    lines, failures = [], []
    for bench in results.get("benchmarks", []):
        info = bench.get("extra_info", {})
        name = info.get("ratio_name", bench["name"])
        if "ratio" in info and "target" in info:
            ok = info["ratio"] >= info["target"]
            line = f"{'ok  ' if ok else 'FAIL'} {name}: {info['ratio']:.2f}x (target >= {info['target']}x)"
            if not ok and "new_file_mb_per_s" in info:
                line += f"; new files written at {info['new_file_mb_per_s']} MB/s here"
        elif "growth_mib" in info:
            ok = info["growth_mib"] < info["limit_mib"]
            line = f"{'ok  ' if ok else 'FAIL'} {name}: +{info['growth_mib']:.1f} MiB (limit {info['limit_mib']} MiB)"
        else:
            continue
        if "accuracy_gap" in info and info["accuracy_gap"] > info["accuracy_gap_limit"]:
            ok, line = False, line.replace("ok  ", "FAIL") + f"; held-out accuracy gap {info['accuracy_gap']:.4f} too large"
        if "dc_gap" in info and info["dc_gap"] > info["dc_gap_limit"]:
            ok, line = False, (line.replace("ok  ", "FAIL") + f"; D/C gap {info['dc_gap']:.4f} over "
                                                                 f"{info['dc_gap_limit']}")
        lines.append(line)
        if not ok:
            failures.append(line)
    return lines, failures


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m benchmarks.guard BENCH.json", file=sys.stderr)
        return 2
    results = json.loads(Path(argv[0]).read_text())
    lines, failures = check(results)
    print("\n".join(lines) or "no ratio benchmarks in this file")
    return 1 if failures or not lines else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
