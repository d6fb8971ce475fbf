"""Benchmark: the whole demo program (`app.py demo`) at a given size, timed end to end.

Each run is a fresh process running `app.py demo --json` (a temporary SQLite
file, the fake Slack, the simulated people), so a run's time includes start-up
and teardown as a person running the demo sees it.

    .venv/bin/python bench/demo.py --members 1000 --weeks 12 --runs 3
    .venv/bin/python bench/demo.py --members 40 --weeks 12 --seeds 1 2 3 --runs 1

Prints wall time (and the demo's own figure for the program it played), the
pairings and their two-way share, per seed.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import report  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PLAYED = re.compile(r"in ([0-9.]+) s\.")


def run_once(members: int, weeks: int, seed: int) -> dict[str, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "demo", "--members", str(members), "--weeks", str(weeks),
         "--seed", str(seed), "--json"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the demo failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    played = PLAYED.search(done.stderr)
    two_way = result["figures"]["two_way"]
    return {"wall": wall, "played": float(played.group(1)) if played else float("nan"),
            "pairings": two_way["whole"] or 0, "two_way": two_way["part"] or 0,
            "problems": len(result["problems"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    report.add_runs_argument(parser)
    args = parser.parse_args()
    print(report.header(db="SQLite (the demo's own temporary file)", runs=args.runs))
    print("| members | weeks | seed | wall s | demo's own s | pairings | two-way | problems |")
    print("|---|---|---|---|---|---|---|---|")
    for seed in args.seeds:
        runs = [run_once(args.members, args.weeks, seed) for _ in range(args.runs)]
        r = runs[0]  # the same seed plays the same program: pairings and shares are the same
        print(f"| {args.members} | {args.weeks} | {seed} | {report.spread([x['wall'] for x in runs], '.1f')} "
              f"| {report.spread([x['played'] for x in runs], '.1f')} | {r['pairings']:.0f} "
              f"| {r['two_way']:.0f} ({r['two_way'] / max(r['pairings'], 1):.0%}) "
              f"| {sum(x['problems'] for x in runs):.0f} |", flush=True)
    print(report.footer())


if __name__ == "__main__":
    main()
