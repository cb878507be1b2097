"""Per-version figures of scripts/regression-demo's runs.

    summary.py RESULTS_TSV BIN_DIR

RESULTS_TSV has one row per run (version, run, verdict, p50_ms, max_ms, msgs_per_op, dir);
BIN_DIR/<version>/VERSION names each version's build. Prints each version's runs and the
medians, then how the slower version's medians compare with the baseline's.
"""

import csv
import statistics
import sys

FIGURES = (("p50_ms", "stable p50 ms"), ("max_ms", "stable max ms"), ("msgs_per_op", "msgs/op"))


def num(v):
    try:
        return float(v)
    except ValueError:
        return None


def main():
    results, bins = sys.argv[1], sys.argv[2]
    with open(results) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    medians = {}
    for version in ("baseline", "slower"):
        rs = [r for r in rows if r["version"] == version]
        with open(f"{bins}/{version}/VERSION") as f:
            print(f"{version} ({f.read().strip()}): {' '.join(r['verdict'] for r in rs)}")
        for key, label in FIGURES:
            vals = [r[key] for r in rs]
            nums = [x for x in map(num, vals) if x is not None]
            med = statistics.median(nums) if nums else None
            medians[(version, key)] = med
            shown = "-" if med is None else f"{med:g}"
            print(f"  {label:<14} {'  '.join(f'{v:>6}' for v in vals)}   median {shown}")
    parts = []
    for key, label in FIGURES:
        b, s = medians[("baseline", key)], medians[("slower", key)]
        if b and s is not None:
            parts.append(f"{label} x{s / b:.2f}")
    if parts:
        print("slower / baseline medians: " + ", ".join(parts))


if __name__ == "__main__":
    main()
