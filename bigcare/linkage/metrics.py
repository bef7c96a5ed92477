"""Linkage quality against a ground truth: pairwise and B-cubed scores, pair completeness.

Everything is counted from the contingency table (true person × predicted cluster), never by
listing pairs, so a million records score in seconds. Records are those of `truth`; a record
missing from `predicted` counts as a cluster of its own, predicted ids without a truth are
ignored.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Scores:
    """Pairwise precision, recall and F1 with the pair counts behind them."""

    precision: float
    recall: float
    f1: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int


@dataclass(frozen=True)
class BCubed:
    """B-cubed precision, recall and F1 (per-record averages)."""

    precision: float
    recall: float
    f1: float


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _f1(precision: float, recall: float) -> float:
    total = precision + recall
    return 2 * precision * recall / total if total else 0.0


def _contingency(
    truth: Mapping[str, str], predicted: Mapping[str, str | int]
) -> tuple[Counter[object], Counter[object], Counter[tuple[object, object]]]:
    """Sizes of true clusters, of predicted clusters and of their intersections."""
    cells: Counter[tuple[object, object]] = Counter()
    for record, person in truth.items():
        # A tuple key can never collide with a real cluster id of str or int.
        cluster = predicted.get(record, ("unclustered", record))
        cells[person, cluster] += 1
    true_sizes: Counter[object] = Counter()
    predicted_sizes: Counter[object] = Counter()
    for (person, cluster), n in cells.items():
        true_sizes[person] += n
        predicted_sizes[cluster] += n
    return true_sizes, predicted_sizes, cells


def pairwise(truth: Mapping[str, str], predicted: Mapping[str, str | int]) -> Scores:
    """Precision and recall over record pairs put in one cluster; 1.0 when there is nothing
    to get wrong (no predicted pairs for precision, no true pairs for recall)."""
    true_sizes, predicted_sizes, cells = _contingency(truth, predicted)
    true_pairs = sum(_pairs(n) for n in true_sizes.values())
    predicted_pairs = sum(_pairs(n) for n in predicted_sizes.values())
    correct = sum(_pairs(n) for n in cells.values())
    precision = correct / predicted_pairs if predicted_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    return Scores(
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
        true_pairs=true_pairs,
        predicted_pairs=predicted_pairs,
        correct_pairs=correct,
    )


def bcubed(truth: Mapping[str, str], predicted: Mapping[str, str | int]) -> BCubed:
    """B-cubed: each record's share of its predicted cluster that is truly its person
    (precision) and of its person that is in its cluster (recall), averaged over records."""
    true_sizes, predicted_sizes, cells = _contingency(truth, predicted)
    records = len(truth)
    if not records:
        return BCubed(precision=1.0, recall=1.0, f1=1.0)
    # The n records of a cell each score n / cluster size: n² / size per cell.
    precision = sum(n * n / predicted_sizes[c] for (_, c), n in cells.items()) / records
    recall = sum(n * n / true_sizes[p] for (p, _), n in cells.items()) / records
    return BCubed(precision=precision, recall=recall, f1=_f1(precision, recall))


def true_pair_count(truth: Mapping[str, str]) -> int:
    """Number of record pairs that describe the same person."""
    return sum(_pairs(n) for n in Counter(truth.values()).values())


def pair_completeness(
    truth: Mapping[str, str], candidate_pairs: Iterable[tuple[str, str]]
) -> float:
    """Share of the true matching pairs found among candidate (blocked) pairs; either order,
    repeats and pairs with unknown records count once or not at all. 1.0 with no true pairs."""
    total = true_pair_count(truth)
    if not total:
        return 1.0
    found: set[tuple[str, str]] = set()
    for left, right in candidate_pairs:
        person = truth.get(left)
        if person is not None and left != right and truth.get(right) == person:
            found.add((left, right) if left < right else (right, left))
    return len(found) / total
