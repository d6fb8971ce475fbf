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
from bot.matching.solve import CARD_BONUS  # noqa: E402


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


def _highs_bound(graph) -> float:
    """Same LP with scipy's HiGHS (slow; a cross-check of the assignment solve)."""
    from scipy import sparse
    from scipy.optimize import linprog

    m = graph.num_edges
    a = sparse.csc_matrix((np.ones(2 * m), (np.concatenate([graph.u, graph.v]), np.tile(np.arange(m), 2))),
                          shape=(graph.n, m))
    res = linprog(-(graph.weight + float(CARD_BONUS)), A_ub=a, b_ub=np.ones(graph.n), bounds=(0, 1), method="highs")
    return -res.fun


def run_size(n: int, seed: int, k: int, exact_max: int, highs_max: int) -> dict:
    ws = generate_workspace(n, seed)
    w = Weights()
    graph, t_build = _timed(lambda: build_candidate_graph(ws.profiles, w, recent_pairs=ws.recent_pairs, k=k))
    sol, t_solve = _timed(lambda: solve_indices(graph, method="auto"))
    result, t_cohort = _timed(lambda: match_cohort(ws.profiles, w, recent_pairs=ws.recent_pairs, k=k))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mem_build = _traced_peak_mb(lambda: build_candidate_graph(ws.profiles, w, recent_pairs=ws.recent_pairs, k=k))
    mem_solve = _traced_peak_mb(lambda: solve_indices(graph, method="auto"))
    ours = matching_weight(graph, sol.pairs)
    lp = sol if sol.lp_bound is not None else solve_indices(graph, method="lp")
    row = dict(n=n, edges=graph.num_edges, method=sol.method, t_build=t_build, t_solve=t_solve,
               t_cohort=t_cohort, mem_build=mem_build, mem_solve=mem_solve, rss=rss_mb,
               pairs=len(sol.pairs), weight=ours / 100, lp_bound=lp.lp_bound / 100, odd=lp.odd_cycles,
               vs_bound=ours / lp.lp_bound, lp_weight=matching_weight(graph, lp.pairs) / 100)
    if n <= exact_max:
        exact, t_exact = _timed(lambda: solve_indices(graph, method="exact"))
        row.update(t_exact=t_exact, exact_weight=matching_weight(graph, exact.pairs) / 100,
                   exact_pairs=len(exact.pairs))
    if n <= highs_max:
        row["highs_bound"] = (_highs_bound(graph) - CARD_BONUS * len(sol.pairs)) / 100
    groups, rnd_mean, rnd_blocked, rnd_repeats = _random_pairing(ws, seed)
    f, rf = result.figures, cohort_figures(ws.profiles, groups)
    row.update(mean_score=result.total_score / max(1, sum(len(g) * (len(g) - 1) // 2 for g in result.groups)),
               two_way=f.share_two_way, cross=f.share_cross_department, matched=f.share_matched,
               gap=f.mean_experience_gap, repeats=len(result.repeats),
               rnd_mean_score=rnd_mean, rnd_two_way=rf.share_two_way, rnd_cross=rf.share_cross_department,
               rnd_matched=rf.share_matched, rnd_gap=rf.mean_experience_gap, rnd_blocked=rnd_blocked,
               rnd_repeats=rnd_repeats)
    return row


def _print_rows(rows: list[dict]) -> None:
    print("\nSpeed and memory (engine = build + solve, method auto)")
    print("| n | edges | method | build s | solve s | engine s | match_cohort s | build MB | solve MB | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['n']} | {r['edges']} | {r['method']} | {r['t_build']:.2f} | {r['t_solve']:.2f} | "
              f"{r['t_build'] + r['t_solve']:.2f} | {r['t_cohort']:.2f} | {r['mem_build']:.0f} | "
              f"{r['mem_solve']:.0f} | {r['rss']:.0f} |")
    print("\nQuality (total weight, points; same candidate graph)")
    print("| n | engine | exact (time s) | engine/exact | LP method/exact | LP bound | engine/bound | HiGHS bound |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        exact = f"{r['exact_weight']:.0f} ({r['t_exact']:.1f})" if "exact_weight" in r else "-"
        ratio = f"{r['weight'] / r['exact_weight']:.5f}" if "exact_weight" in r else "-"
        lp_ratio = f"{r['lp_weight'] / r['exact_weight']:.5f}" if "exact_weight" in r else "-"
        highs = f"{r['highs_bound']:.1f}" if "highs_bound" in r else "-"
        print(f"| {r['n']} | {r['weight']:.0f} | {exact} | {ratio} | {lp_ratio} | {r['lp_bound']:.1f} | "
              f"{r['vs_bound']:.5f} | {highs} |")
    print("\nFigures: engine vs random pairing")
    print("| n | mean pair score | two-way | cross-dept | matched | mean exp gap | blocked pairs | repeats |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['n']} | {r['mean_score']:.1f} vs {r['rnd_mean_score']:.1f} | "
              f"{r['two_way']:.1%} vs {r['rnd_two_way']:.1%} | {r['cross']:.1%} vs {r['rnd_cross']:.1%} | "
              f"{r['matched']:.1%} vs {r['rnd_matched']:.1%} | {r['gap']:.2f} vs {r['rnd_gap']:.2f} | "
              f"0 vs {r['rnd_blocked']} | {r['repeats']} vs {r['rnd_repeats']} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000, 20000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--k", type=int, default=30)
    ap.add_argument("--exact-max", type=int, default=10000, help="largest n for the (slow) exact reference")
    ap.add_argument("--highs-max", type=int, default=2000, help="largest n for the HiGHS cross-check")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker is not None:
        print(json.dumps(run_size(args.worker, args.seed, args.k, args.exact_max, args.highs_max)))
        return
    rows = []
    for n in args.sizes:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(n), "--seed", str(args.seed),
               "--k", str(args.k), "--exact-max", str(args.exact_max), "--highs-max", str(args.highs_max)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
        print(f"n={n} done: engine {rows[-1]['t_build'] + rows[-1]['t_solve']:.2f} s", file=sys.stderr)
    _print_rows(rows)


if __name__ == "__main__":
    main()
