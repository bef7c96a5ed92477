"""Linkage metrics: pairwise, B-cubed and pair completeness on hand-computed examples."""

from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bigcare.linkage.metrics import bcubed, pair_completeness, pairwise, true_pair_count

# a, b, c are one person; d is another. Predicted: {a, b} and {c, d}.
TRUTH = {"a": "P1", "b": "P1", "c": "P1", "d": "P2"}
PREDICTED = {"a": "K1", "b": "K1", "c": "K2", "d": "K2"}


def test_pairwise_split_and_merge():
    # True pairs ab, ac, bc (3); predicted ab, cd (2); correct ab (1).
    # P = 1/2, R = 1/3, F1 = 2·(1/6)/(5/6) = 2/5.
    scores = pairwise(TRUTH, PREDICTED)
    assert (scores.true_pairs, scores.predicted_pairs, scores.correct_pairs) == (3, 2, 1)
    assert scores.precision == pytest.approx(1 / 2)
    assert scores.recall == pytest.approx(1 / 3)
    assert scores.f1 == pytest.approx(2 / 5)


def test_bcubed_split_and_merge():
    # Per record, precision = |cluster ∩ person| / |cluster|, recall = ... / |person|:
    #   a: 2/2, 2/3   b: 2/2, 2/3   c: 1/2, 1/3   d: 1/2, 1/1
    # P = (1 + 1 + 1/2 + 1/2)/4 = 3/4, R = (2/3 + 2/3 + 1/3 + 1)/4 = 2/3,
    # F1 = 2·(1/2)/(3/4 + 2/3) = 1/(17/12) = 12/17.
    scores = bcubed(TRUTH, PREDICTED)
    assert scores.precision == pytest.approx(3 / 4)
    assert scores.recall == pytest.approx(2 / 3)
    assert scores.f1 == pytest.approx(12 / 17)


def test_scores_record_missing_from_prediction_is_its_own_cluster():
    # b unclustered; a and c (different persons) in cluster 1. Pairs: true ab, predicted ac,
    # none correct → P = R = F1 = 0.
    # B-cubed (precision, recall): a 1/2, 1/2   b 1/1, 1/2   c 1/2, 1/1
    # → P = (1/2 + 1 + 1/2)/3 = 2/3, R = (1/2 + 1/2 + 1)/3 = 2/3.
    truth = {"a": "P1", "b": "P1", "c": "P2"}
    predicted: dict[str, str | int] = {"a": 1, "c": 1, "zz": 1}  # zz has no truth: ignored
    scores = pairwise(truth, predicted)
    assert (scores.precision, scores.recall, scores.f1) == (0.0, 0.0, 0.0)
    assert scores.predicted_pairs == 1
    b3 = bcubed(truth, predicted)
    assert b3.precision == pytest.approx(2 / 3)
    assert b3.recall == pytest.approx(2 / 3)


def test_scores_all_singletons_have_perfect_precision():
    singletons = {record: record for record in TRUTH}
    scores = pairwise(TRUTH, singletons)
    assert (scores.precision, scores.recall, scores.predicted_pairs) == (1.0, 0.0, 0)
    # B-cubed recall: a, b, c each 1/3, d 1 → (1 + 1)/4 = 1/2.
    b3 = bcubed(TRUTH, singletons)
    assert (b3.precision, b3.recall) == (1.0, pytest.approx(1 / 2))


def test_scores_empty_input_are_perfect():
    assert pairwise({}, {}).f1 == 1.0
    assert bcubed({}, {}).f1 == 1.0
    assert pair_completeness({}, [("a", "b")]) == 1.0


def test_pair_completeness_counts_each_true_pair_once():
    # True pairs: ab, ac, bc (P1) and de (P2) → 4.
    truth = {"a": "P1", "b": "P1", "c": "P1", "d": "P2", "e": "P2", "f": "P3"}
    candidates = [
        ("a", "b"),
        ("b", "a"),  # the same pair again
        ("c", "a"),
        ("a", "d"),  # not a match
        ("d", "e"),
        ("x", "y"),  # unknown records
        ("f", "f"),  # not a pair
    ]
    assert true_pair_count(truth) == 4
    assert pair_completeness(truth, candidates) == pytest.approx(3 / 4)
    assert pair_completeness(truth, iter(candidates)) == pytest.approx(3 / 4)


def _brute_force(truth: dict[str, str], predicted: dict[str, str | int]) -> tuple[int, int, int]:
    records = sorted(truth)
    true = {(a, b) for a, b in combinations(records, 2) if truth[a] == truth[b]}
    pred = {(a, b) for a, b in combinations(records, 2) if predicted[a] == predicted[b]}
    return len(true), len(pred), len(true & pred)


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), max_size=25))
def test_pairwise_matches_pair_enumeration(labels: list[tuple[int, int]]):
    truth = {f"r{i}": f"P{t}" for i, (t, _) in enumerate(labels)}
    predicted: dict[str, str | int] = {f"r{i}": p for i, (_, p) in enumerate(labels)}
    scores = pairwise(truth, predicted)
    expected = _brute_force(truth, predicted)
    assert (scores.true_pairs, scores.predicted_pairs, scores.correct_pairs) == expected
