"""Benchmark circle forming (bot/matching/circles.py) on seeded synthetic workspaces.

    .venv/bin/python bench/circles.py --sizes 1000 10000 --small 16 20 24 --runs 3

Large cohorts: the time of `form_circles` (candidate graph, greedy circles, local search
with its budget) and its score as a share of `star_bound`, an upper bound on ANY grouping
(each member's best possible share over every allowed partner: computable at 10k, but
loose: on small cohorts the true optimum itself sits 10-25 % below it).
Small cohorts (--small): the same local search against the set partition's LP relaxation
over every allowed circle (a much tighter bound, computable to a few dozen members), and
the exact milp optimum where HiGHS proves one in time. Each run uses its own seed.
Targets (issue 15): 1,000 members < 10 s, 10,000 < 60 s, within 5 % of the bound.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import report  # noqa: E402
from bench.synthetic import generate_workspace  # noqa: E402
from bot.matching import Weights  # noqa: E402
from bot.matching.circles import form_circles, lp_bound, star_bound  # noqa: E402

W = Weights()


def _coverage(profiles, groups) -> float:
    """Share of placed members for whom someone else in their circle offers a wanted skill."""
    by_id = {p.member_id: p for p in profiles}
    covered = placed = 0
    for group in groups:
        for m in group:
            placed += 1
            others = set().union(*(by_id[o].offers for o in group if o != m))
            covered += bool(by_id[m].wants & others)
    return covered / placed if placed else 0.0


def large(n: int, runs: int, size: int, policy: str, budget: float | None) -> None:
    seconds, shares, placed, cover = [], [], [], []
    for run in range(runs):
        ws = generate_workspace(n, seed=run)
        started = time.perf_counter()
        result = form_circles(ws.profiles, W, group_size=size, recent_pairs=ws.recent_pairs, odd_policy=policy,
                              time_limit=budget)
        seconds.append(time.perf_counter() - started)
        bound = star_bound(ws.profiles, W, group_size=size)
        shares.append(100 * result.total_score / bound)
        placed.append(100 * (n - len(result.waiting)) / n)
        cover.append(100 * _coverage(ws.profiles, result.groups))
    print(f"| {n:,} | {size} | {report.spread(seconds)} s | {report.spread(shares, '.1f')} % of the star bound "
          f"| {report.spread(placed, '.1f')} % | {report.spread(cover, '.1f')} % |", flush=True)


def small(n: int, runs: int, size: int, policy: str, budget: float) -> None:
    shares, exact_shares, seconds = [], [], []
    for run in range(runs):
        ws = generate_workspace(n, seed=run)
        started = time.perf_counter()
        result = form_circles(ws.profiles, W, group_size=size, recent_pairs=ws.recent_pairs, odd_policy=policy,
                              method="local", time_limit=budget)
        seconds.append(time.perf_counter() - started)
        bound = lp_bound(ws.profiles, W, placed=n - len(result.waiting), group_size=size,
                         recent_pairs=ws.recent_pairs, odd_policy=policy)
        shares.append(100 * result.total_score / bound)
        if n <= 16:
            exact = form_circles(ws.profiles, W, group_size=size, recent_pairs=ws.recent_pairs, odd_policy=policy,
                                 method="exact")
            if exact.method == "exact":
                exact_shares.append(100 * exact.total_score / bound)
    exact_text = f"{report.spread(exact_shares, '.1f')} %" if exact_shares else "–"
    print(f"| {n} | {size} | {report.spread(seconds)} s | {report.spread(shares, '.1f')} % of the LP bound "
          f"| exact milp: {exact_text} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--small", type=int, nargs="*", default=[16, 20, 24])
    parser.add_argument("--group-size", type=int, default=4)
    parser.add_argument("--policy", choices=["trio", "wait"], default="trio", help="leftovers join (trio) or wait")
    parser.add_argument("--budget", type=float, default=None, help="local search seconds (default: by cohort size)")
    parser.add_argument("--small-budget", type=float, default=1.0)
    report.add_runs_argument(parser)
    args = parser.parse_args()
    print(report.header(db="none (pure algorithm, no database)", runs=args.runs))
    print(f"group size {args.group_size}, leftovers: {'join a circle' if args.policy == 'trio' else 'wait'}")
    if args.sizes:
        print("\n| members | size | time | score | placed | covered |\n|---|---|---|---|---|---|")
        for n in args.sizes:
            large(n, args.runs, args.group_size, args.policy, args.budget)
    if args.small:
        print(f"\nsmall cohorts, local search for {args.small_budget} s:\n"
              "| members | size | time | score | exact optimum |\n|---|---|---|---|---|")
        for n in args.small:
            small(n, args.runs, args.group_size, args.policy, args.small_budget)
    print(report.footer())


if __name__ == "__main__":
    main()
