"""Benchmark the matching engine on seeded synthetic workspaces.

    .venv/bin/python bench/matching.py --sizes 1000 5000 10000 20000

Each size runs in a fresh subprocess so peak RSS belongs to that size only.
Per size: time of candidate-graph build and of solving (method "auto"),
tracemalloc peaks, process peak RSS; quality of the engine's matching as a
share of (a) the exact blossom optimum on the same candidate graph (when
n <= --exact-max) and (b) the LP upper bound: the fractional-matching LP
(degree constraints only, odd-set constraints omitted) on the same candidate
graph with the cardinality-first objective, minus the bonus for the pairs we
matched; optionally cross-checked with HiGHS. Figures are shown next to a
random pairing (what a naive "shuffle and pair" bot does).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import report  # noqa: E402
from bench.synthetic import generate_workspace  # noqa: E402
from bot.matching import (  # noqa: E402
    Weights,
    build_candidate_graph,
    cohort_figures,
    is_allowed,
    match_cohort,
    matching_weight,
    score_pair,
    solve_indices,
)
from bench.fullgraph import dual_bound, full_exact, full_lp_bound, half_edge_bound  # noqa: E402
from bot.matching.decompose import DECOMPOSE_ABOVE, PART_SIZE  # noqa: E402
from bot.matching.solve import engine_settings  # noqa: E402
from bot.matching.graph import RECENT_PENALTY  # noqa: E402


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def _traced_peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def _random_pairing(ws, seed: int):
    ids = [p.member_id for p in ws.profiles]
    random.Random(seed).shuffle(ids)
    groups = [tuple(sorted(ids[i:i + 2])) for i in range(0, len(ids) - 1, 2)]
    by_id = {p.member_id: p for p in ws.profiles}
    w = Weights()
    scores = [score_pair(by_id[a], by_id[b], w) for a, b in groups]
    blocked = sum(not is_allowed(by_id[a], by_id[b]) for a, b in groups)
    repeats = sum(frozenset(g) in ws.recent_pairs for g in groups)
    return groups, float(np.mean(scores)), blocked, repeats


def run_size(n: int, seed: int, k: int, full_exact_max: int, cg_rounds: int, bound_kind: str = "dual",
             decompose_above: int | None = DECOMPOSE_ABOVE, part_size: int = PART_SIZE,
             engine_only: bool = False) -> dict:
    ws = generate_workspace(n, seed)
    w = Weights()
    k = k or engine_settings(n)[0]
    row: dict = dict(n=n)
    if not engine_only:  # the whole-cohort candidate graph and one solve, timed apart
        graph, t_build = _timed(lambda: build_candidate_graph(ws.profiles, w, recent_pairs=ws.recent_pairs, k=k))
        sol, t_solve = _timed(lambda: solve_indices(graph, method="auto"))
        row.update(edges=graph.num_edges, t_build=t_build, t_solve=t_solve,
                   sparse_weight=matching_weight(graph, sol.pairs) / 100, sparse_pairs=len(sol.pairs))
    result, t_cohort = _timed(lambda: match_cohort(ws.profiles, w, recent_pairs=ws.recent_pairs, k=k,
                                                   odd_policy="wait", decompose_above=decompose_above,
                                                   part_size=part_size))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if not engine_only:
        mem_build = _traced_peak_mb(lambda: build_candidate_graph(ws.profiles, w, recent_pairs=ws.recent_pairs, k=k))
        mem_solve = _traced_peak_mb(lambda: solve_indices(graph, method="auto"))
        row.update(mem_build=mem_build, mem_solve=mem_solve)
    # The engine's own objective, in points: scores minus the penalty of each repeat it had to use.
    pairs = len(result.groups)
    ours = result.total_score - RECENT_PENALTY * len(result.repeats)
    row.update(method=result.method, t_cohort=t_cohort, rss=rss_mb, pairs=pairs, weight=ours)
    if engine_only and (bound_kind != "none" or n <= full_exact_max):  # the references start from it
        graph = build_candidate_graph(ws.profiles, w, recent_pairs=ws.recent_pairs, k=30 if bound_kind == "half" else k)
    if bound_kind != "none":
        if bound_kind == "dual":
            (bound, left), t_bound = _timed(lambda: dual_bound(graph, pairs, rounds=cg_rounds))
        elif bound_kind == "half":
            bound, t_bound = _timed(lambda: half_edge_bound(graph, pairs))
        else:
            bound, t_bound = _timed(lambda: full_lp_bound(graph, pairs, rounds=cg_rounds))
        row.update(full_bound=bound, t_bound=t_bound, vs_full_bound=ours / bound, bound_kind=bound_kind)
    if n <= full_exact_max:
        (ex_pairs, ex_weight), t_exact = _timed(lambda: full_exact(graph))
        row.update(full_exact=ex_weight, full_exact_pairs=ex_pairs, t_full_exact=t_exact,
                   vs_full_exact=ours / ex_weight)
    by_id = {p.member_id: p for p in ws.profiles}
    groups, rnd_mean, rnd_blocked, rnd_repeats = _random_pairing(ws, seed)
    f, rf = result.figures, cohort_figures(ws.profiles, groups)
    row.update(mean_score=result.total_score / max(1, pairs),
               two_way=f.share_two_way, cross=f.share_cross_department, matched=f.share_matched,
               gap=f.mean_experience_gap, repeats=len(result.repeats),
               blocked=sum(not is_allowed(by_id[a], by_id[b]) for a, b in result.groups),
               rnd_mean_score=rnd_mean, rnd_two_way=rf.share_two_way, rnd_cross=rf.share_cross_department,
               rnd_matched=rf.share_matched, rnd_gap=rf.mean_experience_gap, rnd_blocked=rnd_blocked,
               rnd_repeats=rnd_repeats)
    return row


def _print_rows(sizes: list[list[dict]]) -> None:
    """One row per size: times and memory as median (min–max) of the runs; quality and
    figures from the first run (the engine is deterministic for a seed)."""
    print("\nSpeed and memory (one whole-cohort candidate graph: build + solve; match_cohort is the engine:"
          " column generation, full-graph check, and the decomposition above its threshold)")
    print("| n | edges | method | build s | solve s | build + solve s | match_cohort s | build MB | solve MB | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for runs in sizes:
        r = runs[0]

        def s(key: str, fmt: str = ".2f") -> str:
            if key not in r:
                return "-"
            return report.spread([run[key] for run in runs], fmt)  # noqa: B023 - used at once

        engine = report.spread([run["t_build"] + run["t_solve"] for run in runs]) if "t_build" in r else "-"
        print(f"| {r['n']} | {r.get('edges', '-')} | {r['method']} | {s('t_build')} | {s('t_solve')} | {engine} | "
              f"{s('t_cohort')} | {s('mem_build', '.0f')} | {s('mem_solve', '.0f')} | {s('rss', '.0f')} |")
    print("\nQuality against the FULL allowed graph (points; match_cohort, odd one out waiting)")
    print("| n | pairs | engine weight | full-graph exact (s) | engine/exact | full-graph bound (s) | engine/bound |")
    print("|---|---|---|---|---|---|---|")
    for runs in sizes:
        r = runs[0]
        exact = f"{r['full_exact']:.0f} ({r['t_full_exact']:.0f})" if "full_exact" in r else "-"
        ratio = f"{r['vs_full_exact']:.5f}" if "full_exact" in r else "-"
        bound = f"{r['bound_kind']}: {r['full_bound']:.0f} ({r['t_bound']:.0f})" if "full_bound" in r else "-"
        vs = f"{r['vs_full_bound']:.5f}" if "full_bound" in r else "-"
        print(f"| {r['n']} | {r['pairs']} | {r['weight']:.0f} | {exact} | {ratio} | {bound} | {vs} |")
    print("\nFigures: engine vs random pairing")
    print("| n | mean pair score | two-way | cross-dept | matched | mean exp gap | blocked pairs | repeats |")
    print("|---|---|---|---|---|---|---|---|")
    for runs in sizes:
        r = runs[0]
        print(f"| {r['n']} | {r['mean_score']:.1f} vs {r['rnd_mean_score']:.1f} | "
              f"{r['two_way']:.1%} vs {r['rnd_two_way']:.1%} | {r['cross']:.1%} vs {r['rnd_cross']:.1%} | "
              f"{r['matched']:.1%} vs {r['rnd_matched']:.1%} | {r['gap']:.2f} vs {r['rnd_gap']:.2f} | "
              f"{r['blocked']} vs {r['rnd_blocked']} | {r['repeats']} vs {r['rnd_repeats']} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000, 20000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--k", type=int, default=0,
                    help="candidates per person (default 0: the engine's own for the size, `engine_settings`)")
    ap.add_argument("--full-exact-max", type=int, default=1000,
                    help="largest n for the exact optimum on the full graph (n^2/2 edges; 15 s at 1k)")
    ap.add_argument("--cg-rounds", type=int, default=3, help="column-generation rounds of the full-graph LP bound")
    ap.add_argument("--bound", choices=("dual", "lp", "half", "none"), default="dual",
                    help="dual: the engine's LP duals priced exactly on the full graph (fast); lp: HiGHS (slow);"
                         " half: each person's best full-graph pair, halved and summed (no LP; looser);"
                         " none: no bound (100k: the whole-cohort bound takes longer than a lock hold)")
    ap.add_argument("--decompose-above", type=int, default=DECOMPOSE_ABOVE,
                    help=f"decompose cohorts above this size (default {DECOMPOSE_ABOVE}; 0: always, -1: never)")
    ap.add_argument("--part-size", type=int, default=PART_SIZE, help=f"members per part (default {PART_SIZE})")
    ap.add_argument("--engine-only", action="store_true",
                    help="time match_cohort alone (no separate whole-cohort build and solve): its own peak RSS")
    report.add_runs_argument(ap)
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker is not None:
        above = None if args.decompose_above < 0 else args.decompose_above
        print(json.dumps(run_size(args.worker, args.seed, args.k, args.full_exact_max, args.cg_rounds, args.bound,
                                  above, args.part_size, args.engine_only)))
        return
    print(report.header(db="none (the engine alone)", runs=args.runs))
    sizes = []
    for n in args.sizes:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(n), "--seed", str(args.seed),
               "--k", str(args.k), "--full-exact-max", str(args.full_exact_max), "--cg-rounds", str(args.cg_rounds), "--bound", args.bound,
               "--decompose-above", str(args.decompose_above), "--part-size", str(args.part_size)]
        cmd += ["--engine-only"] if args.engine_only else []
        runs = []
        for _ in range(args.runs):  # each run in a fresh process: peak memory is the run's own
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            runs.append(json.loads(out.strip().splitlines()[-1]))
            print(f"n={n} done: match_cohort {runs[-1]['t_cohort']:.2f} s", file=sys.stderr)
        sizes.append(runs)
    _print_rows(sizes)
    print(report.footer())


if __name__ == "__main__":
    main()
