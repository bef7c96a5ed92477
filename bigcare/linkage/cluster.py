"""Scored pairs → clusters, without chaining a household into one person.

Connected components (Splink's, in DuckDB) over the pairs above the upper threshold is the
first pass. It is fast but trusting: one wrong link between a mother and a daughter who
share address and phone would pull both into one person, and their records with them. So
every cluster of more than one node is checked for coherence before it is accepted: no
scored pair inside it below the lower threshold (the model saw them and said "different"),
no two different full RRNs, no cannot-link decision, no two existing persons. A cluster that
fails is rebuilt greedily, strongest pair first, refusing any union that would break one
of those rules; the refused pairs go to clerical review instead.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pyarrow as pa
from splink import DuckDBAPI
from splink.clustering import cluster_pairwise_predictions_at_threshold

Pair = tuple[int, int]


def ordered(a: int, b: int) -> Pair:
    return (a, b) if a < b else (b, a)


@dataclass(frozen=True)
class Edge:
    left: int
    right: int
    probability: float
    # Something beyond name and birth date agrees; without it a pair is only ever reviewed.
    corroborated: bool = True

    def links(self, upper: float) -> bool:
        return self.probability >= upper and self.corroborated


@dataclass
class Clustering:
    """Node → cluster (keyed by its smallest node id), and the pairs for review: the best
    uncertain or refused pair between two clusters, one per pair of clusters."""

    cluster_of: dict[int, int]
    review: list[Edge] = field(default_factory=list)
    # Pairs above the upper threshold that the coherence check refused.
    refused: int = 0
    # Why each review pair was not linked: conflict (it would have put a cluster in
    # contradiction), uncorroborated (nothing but name and birth date agrees), uncertain.
    reasons: dict[Pair, str] = field(default_factory=dict)
    rebuilt_clusters: int = 0


class _Groups:
    """Union-find whose roots carry what the coherence rules need about their members."""

    def __init__(self, nodes: Iterable[int]) -> None:
        self.parent = {n: n for n in nodes}
        self.members = {n: [n] for n in self.parent}

    def find(self, node: int) -> int:
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra].extend(self.members.pop(rb))


class Rules:
    """What may never end up in one cluster."""

    def __init__(
        self,
        *,
        lower: float,
        scored: Mapping[Pair, float],
        rrn_index: Mapping[int, str | None],
        fixed: Mapping[int, int],
        cannot: set[Pair],
    ) -> None:
        self.lower = lower
        self.scored = scored
        self.rrn_index = rrn_index
        self.fixed = fixed
        self.cannot = cannot

    def clash(self, a: list[int], b: list[int]) -> bool:
        """Whether the members of two groups may not be one person."""
        persons_a = {self.fixed[n] for n in a if n in self.fixed}
        persons_b = {self.fixed[n] for n in b if n in self.fixed}
        if persons_a and persons_b and persons_a != persons_b:
            return True
        rrn_a = {self.rrn_index[n] for n in a if self.rrn_index.get(n)}
        rrn_b = {self.rrn_index[n] for n in b if self.rrn_index.get(n)}
        if rrn_a and rrn_b and rrn_a.isdisjoint(rrn_b):
            return True
        for x in a:
            for y in b:
                pair = ordered(x, y)
                if pair in self.cannot:
                    return True
                p = self.scored.get(pair)
                if p is not None and p < self.lower:
                    return True
        return False


def _components(nodes: list[int], edges: list[Edge], upper: float) -> dict[int, int]:
    """Splink's connected components over the edges at or above `upper`."""
    strong = [e for e in edges if e.links(upper)]
    if not strong:
        return {n: n for n in nodes}
    db_api = DuckDBAPI()
    result = cluster_pairwise_predictions_at_threshold(
        pa.table({"unique_id": pa.array(nodes, pa.int64())}),
        pa.table(
            {
                "unique_id_l": pa.array([e.left for e in strong], pa.int64()),
                "unique_id_r": pa.array([e.right for e in strong], pa.int64()),
                "match_probability": pa.array([e.probability for e in strong], pa.float64()),
            }
        ),
        db_api,
        node_id_column_name="unique_id",
        threshold_match_probability=upper,
    ).as_pyarrow_table()
    ids = result.column("unique_id").to_pylist()
    clusters = result.column("cluster_id").to_pylist()
    return dict(zip(ids, clusters, strict=True))


def cluster(
    nodes: list[int],
    edges: list[Edge],
    *,
    upper: float,
    lower: float,
    rrn_index: Mapping[int, str | None],
    fixed: Mapping[int, int] | None = None,
    must: Iterable[Pair] = (),
    cannot: Iterable[Pair] = (),
) -> Clustering:
    """Cluster `nodes` from scored `edges` (every scored pair, also the low ones: they are
    the evidence that two records differ). `fixed` maps nodes already belonging to a person
    to that person: two persons are never merged automatically. `must`/`cannot` are manual
    decisions and always win over the model."""
    fixed = dict(fixed or {})
    cannot_set = {ordered(a, b) for a, b in cannot}
    scored: dict[Pair, float] = {}
    for e in edges:
        key = ordered(e.left, e.right)
        scored[key] = max(e.probability, scored.get(key, 0.0))
    # Records already one person stay one; manual same-person decisions join too.
    joins = [Edge(a, b, 1.0) for a, b in must]
    by_person: dict[int, list[int]] = defaultdict(list)
    for node, person in fixed.items():
        by_person[person].append(node)
    for members in by_person.values():
        first = min(members)
        joins += [Edge(first, n, 1.0) for n in members if n != first]
    first_pass = _components(nodes, joins + edges, upper)

    members_of: dict[int, list[int]] = defaultdict(list)
    for node, cid in first_pass.items():
        members_of[cid].append(node)
    rules = Rules(lower=lower, scored=scored, rrn_index=rrn_index, fixed=fixed, cannot=cannot_set)
    cluster_of: dict[int, int] = {}
    result = Clustering(cluster_of)
    incoherent: list[list[int]] = []
    for members in members_of.values():
        if len(members) > 1 and _incoherent(members, rules):
            incoherent.append(members)
        else:
            key = min(members)
            for n in members:
                cluster_of[n] = key

    if incoherent:
        inside = {n for members in incoherent for n in members}
        candidates = sorted(
            (e for e in joins + edges if e.left in inside and e.links(upper)),
            key=lambda e: (-e.probability, *ordered(e.left, e.right)),
        )
        groups = _Groups(inside)
        manual_pairs = _as_pairs(joins)
        for e in candidates:
            ra, rb = groups.find(e.left), groups.find(e.right)
            if ra == rb:
                continue
            manual = e.probability == 1.0 and ordered(e.left, e.right) in manual_pairs
            if not manual and rules.clash(groups.members[ra], groups.members[rb]):
                result.refused += 1
                result.reasons[ordered(e.left, e.right)] = "conflict"
                continue
            groups.union(ra, rb)
        for members in groups.members.values():
            key = min(members)
            for n in members:
                cluster_of[n] = key
        result.rebuilt_clusters = len(incoherent)

    result.review = _review(edges, cluster_of, lower=lower, cannot=cannot_set)
    for e in result.review:
        pair = ordered(e.left, e.right)
        if pair not in result.reasons:
            strong = e.probability >= upper
            result.reasons[pair] = "uncorroborated" if strong else "uncertain"
    return result


def _as_pairs(edges: list[Edge]) -> set[Pair]:
    return {ordered(e.left, e.right) for e in edges}


def _incoherent(members: list[int], rules: Rules) -> bool:
    if len({rules.fixed[n] for n in members if n in rules.fixed}) > 1:
        return True
    if len({rules.rrn_index[n] for n in members if rules.rrn_index.get(n)}) > 1:
        return True
    for i, x in enumerate(members):
        for y in members[i + 1 :]:
            pair = ordered(x, y)
            if pair in rules.cannot:
                return True
            p = rules.scored.get(pair)
            if p is not None and p < rules.lower:
                return True
    return False


def _review(
    edges: list[Edge], cluster_of: Mapping[int, int], *, lower: float, cannot: set[Pair]
) -> list[Edge]:
    """The best pair at or above `lower` between each two clusters that stayed apart."""
    best: dict[Pair, Edge] = {}
    for e in edges:
        if e.probability < lower:
            continue
        ca, cb = cluster_of.get(e.left), cluster_of.get(e.right)
        if ca is None or cb is None or ca == cb or ordered(e.left, e.right) in cannot:
            continue
        key = ordered(ca, cb)
        if key not in best or e.probability > best[key].probability:
            best[key] = e
    return sorted(best.values(), key=lambda e: (-e.probability, e.left, e.right))
