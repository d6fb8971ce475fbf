"""Tandem matching engine: pure, deterministic, no database and no Slack.

score_pair   -> how good one pair is (score.py)
build_candidate_graph -> sparse graph of allowed candidates (graph.py)
solve_matching / match_cohort -> whole-cohort matching (solve.py)
partition / match_large -> past DECOMPOSE_ABOVE members: parts by skill community,
    experience, time zone and goals, seams stitched (decompose.py)
pair_reasons / reasons_for -> human explanations (reasons.py)
"""

from .graph import CandidateGraph, build_candidate_graph
from .reasons import format_reasons, group_reasons, pair_reasons, reasons_for
from .score import (
    MatchProfile,
    ProfileArrays,
    Weights,
    exchange_kind,
    is_allowed,
    is_two_way,
    score_pair,
    working_hours_overlap,
)
from .solve import (
    EXACT_MAX_NODES,
    CohortFigures,
    MatchResult,
    Solution,
    cohort_figures,
    match_cohort,
    matching_weight,
    solve_indices,
    solve_matching,
)

__all__ = [
    "EXACT_MAX_NODES",
    "CandidateGraph",
    "CohortFigures",
    "MatchProfile",
    "MatchResult",
    "ProfileArrays",
    "Solution",
    "Weights",
    "build_candidate_graph",
    "cohort_figures",
    "exchange_kind",
    "format_reasons",
    "group_reasons",
    "is_allowed",
    "is_two_way",
    "match_cohort",
    "matching_weight",
    "pair_reasons",
    "reasons_for",
    "score_pair",
    "solve_indices",
    "solve_matching",
    "working_hours_overlap",
]
