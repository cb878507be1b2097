"""Links into the dashboard for scripts/regression-demo.

    links.py BASE_URL RESULTS_TSV

Waits until the dashboard at BASE_URL lists the demo's runs (the rows of RESULTS_TSV), then
prints the runs list, the trend of their test, each run's regression verdict, and a compare
of the first regressed run with the baseline run the dashboard picked for it.
"""

import csv
import json
import sys
import time
import urllib.parse
import urllib.request


def folder(path):
    return str(path).rstrip("/").rsplit("/", 1)[-1]


def fetch_runs(base, mine, tries=150):
    """The dashboard's rows of our runs; waits for all of them (ingestion is in the background)."""
    runs = []
    for _ in range(tries):
        try:
            with urllib.request.urlopen(base + "/api/runs?workload=broadcast", timeout=5) as r:
                got = json.load(r)
            got = got.get("runs", []) if isinstance(got, dict) else got
            runs = [r for r in got if folder(r.get("id", "")) in mine]
            if len(runs) >= len(mine):
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    return runs


def main():
    base, results = sys.argv[1], sys.argv[2]
    with open(results) as f:
        mine = {folder(r["dir"]): r for r in csv.DictReader(f, delimiter="\t")}
    runs = fetch_runs(base, mine)
    q = lambda s: urllib.parse.quote(str(s), safe="")
    print(f"  runs:              {base}/")
    keys = {r.get("test_key") for r in runs if r.get("test_key")}
    if len(keys) == 1:
        print(f"  trend of the test: {base}/trend?test={q(keys.pop())}")
    else:
        print(f"  trend:             {base}/trend?workload=broadcast")
    compare = None
    for r in sorted(runs, key=lambda r: str(r.get("id"))):
        row = mine[folder(r["id"])]
        j = r.get("regression")
        j = j if isinstance(j, dict) else {}
        status = j.get("status", "not judged")
        on = ", ".join((j.get("regressed_on") or [])[:3])
        print(f"    {row['version']:<8} run {row['run']}: {status}{' on ' + on if on else ''}")
        if compare is None and status == "regressed" and j.get("baseline"):
            compare = f"{base}/compare?a={q(j['baseline'])}&b={q(r['id'])}"
    if compare:
        print(f"  what changed:      {compare}")
    else:
        print("  compare: tick a baseline run and a slower run in the runs list, then Compare")


if __name__ == "__main__":
    main()
