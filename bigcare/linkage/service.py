"""Linking source records into persons: incremental runs over pending records, full re-runs
that keep person ids stable, the golden record with provenance, and the events that record
every change of who is who."""

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from bigcare.db import KST, bulk_insert, utcnow
from bigcare.facilities.models import Facility, SourceRecord
from bigcare.linkage import engine, golden, normalize
from bigcare.linkage.cluster import Clustering, Edge, cluster, ordered
from bigcare.linkage.models import (
    LinkConstraint,
    LinkEvent,
    LinkModel,
    Person,
    PersonField,
    RecordLink,
    ReviewItem,
)

log = logging.getLogger(__name__)

LINKABLE = ("accepted", "warned")
LINKER = "linker"
# Pairs scored below this are dropped before clustering: far below the lower threshold,
# they can neither link nor make a cluster incoherent that other rules would accept.
EVIDENCE_FLOOR = 0.001

# The parsed columns survivorship and matching read from a source record.
_FIELDS = (
    "name",
    "rrn_sealed",
    "rrn_index",
    "rrn_masked",
    "birth_date",
    "sex",
    "phone",
    "home_phone",
    "address",
    "gu_code",
    "dong_code",
    "road",
    "building_no",
    "lot_no",
    "legal_dong",
    "unit",
    "client_id",
)


@dataclass(frozen=True)
class Thresholds:
    """Match probability at or above `upper` links automatically; between `lower` and
    `upper` a caseworker reviews; below `lower` the records stay different persons."""

    upper: float
    lower: float


@dataclass
class LinkReport:
    records: int = 0
    nodes: int = 0
    persons_created: int = 0
    records_linked: int = 0
    review_items: int = 0
    waiting: int = 0  # records of a new person with no dong yet: linked once placed
    pairs_scored: int = 0
    refused: int = 0
    model_version: str = ""
    trained: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    # Persons whose records changed: households and cases are brought up to date for these.
    persons: set[int] = field(default_factory=set)


@dataclass
class Node:
    """Rows of one facility client with identical match keys: linked as one."""

    node_id: int
    record_ids: list[int]
    keys: dict[str, object]
    dong_code: str


def _node_key(row: SourceRecord, keys: dict[str, object]) -> tuple[object, ...] | int:
    # A facility's service rows repeat the client's record; without a client id each row
    # stands alone (two clients with identical keys would otherwise become one).
    if not row.client_id:
        return row.id or 0
    return (row.facility_code, row.client_id, *keys.values())


def build_nodes(rows: Iterable[SourceRecord]) -> list[Node]:
    """Collapse rows into linkage nodes, each named by its smallest record id."""
    nodes: dict[object, Node] = {}
    for row in sorted(rows, key=lambda r: r.id or 0):
        keys = normalize.node_keys(row.model_dump(include=set(_FIELDS)))
        key = _node_key(row, keys)
        node = nodes.get(key)
        if node is None:
            nodes[key] = Node(row.id or 0, [row.id or 0], keys, row.dong_code or "")
        else:
            node.record_ids.append(row.id or 0)
    return list(nodes.values())


def _frame(nodes: Sequence[Node]) -> pa.Table:
    return engine.frame({"unique_id": n.node_id, **n.keys} for n in nodes)


def _index_frame(session: Session) -> tuple[pa.Table, dict[int, int]]:
    """The linked nodes (one row each) and node → person."""
    columns = [col(RecordLink.node_id), col(RecordLink.person_id)] + [
        getattr(RecordLink, c) for c in engine.KEY_COLUMNS
    ]
    rows = session.exec(
        select(*columns).where(RecordLink.record_id == RecordLink.node_id)  # type: ignore[call-overload]
    ).all()
    person_of = {r[0]: r[1] for r in rows}
    table = pa.table(
        {
            "unique_id": pa.array([r[0] for r in rows], pa.int64()),
            **{
                name: pa.array([r[i + 2] for r in rows], engine.FRAME_SCHEMA.field(name).type)
                for i, name in enumerate(engine.KEY_COLUMNS)
            },
        },
        schema=engine.FRAME_SCHEMA,
    )
    return table, person_of


def current_model(session: Session, *, nodes: int = 0) -> engine.Model | None:
    """The newest model; None when there is none, or when it was made from fewer records
    than training needs and there are enough now (so the prior gives way to a trained one)."""
    row = session.exec(select(LinkModel).order_by(col(LinkModel.id).desc())).first()
    if row is None:
        return None
    if row.records < engine.MIN_TRAINING_NODES <= nodes:
        return None
    return engine.Model(spec=row.spec, version=row.version)


def save_model(session: Session, model: engine.Model, records: int) -> None:
    if session.exec(select(LinkModel).where(LinkModel.version == model.version)).first():
        return
    session.add(LinkModel(version=model.version, spec=model.spec, records=records))
    session.flush()


def pending_rows(session: Session, limit: int | None = None) -> list[SourceRecord]:
    """Usable rows not linked yet: accepted or warned, with a name. A row still waiting for
    its dong links to a person found elsewhere; alone it waits until a caseworker places it."""
    query = (
        select(SourceRecord)
        .outerjoin(RecordLink, col(RecordLink.record_id) == SourceRecord.id)
        .where(
            col(RecordLink.record_id).is_(None),
            col(SourceRecord.status).in_(LINKABLE),
            col(SourceRecord.name).is_not(None),
        )
        .order_by(col(SourceRecord.id))
    )
    if limit:
        query = query.limit(limit)
    return list(session.exec(query).all())


def _constraints(session: Session) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Manual decisions as node pairs (records map to their node)."""
    rows = session.exec(select(LinkConstraint)).all()
    must = [(c.record_id, c.other_record_id) for c in rows if c.kind == "must"]
    cannot = [(c.record_id, c.other_record_id) for c in rows if c.kind == "cannot"]
    return must, cannot


def edges_of(pairs: pa.Table) -> list[Edge]:
    """Scored pairs (engine.Scorer output) as edges for clustering."""
    left = pairs.column("unique_id_l").to_pylist()
    right = pairs.column("unique_id_r").to_pylist()
    prob = pairs.column("match_probability").to_pylist()
    agree = pairs.column("corroborated").to_pylist()
    return [Edge(*row) for row in zip(left, right, prob, agree, strict=True)]


def link_pending(
    session: Session,
    *,
    thresholds: Thresholds,
    actor_label: str = LINKER,
    retrain: bool = False,
    progress: Callable[[str], None] | None = None,
) -> LinkReport:
    """Link every pending record: against the persons that exist (predict_between) and
    among themselves (predict_within). Existing persons are never renumbered or merged
    automatically; a record that fits two of them goes to review."""
    report = LinkReport()
    say = progress or (lambda _: None)
    started = time.perf_counter()
    rows = pending_rows(session)
    report.records = len(rows)
    if not rows:
        return report
    nodes = build_nodes(rows)
    report.nodes = len(nodes)
    new = _frame(nodes)
    index, person_of = _index_frame(session)
    report.timings["load"] = time.perf_counter() - started

    model = None if retrain else current_model(session, nodes=index.num_rows + new.num_rows)
    if model is None:
        say("모형 학습")
        t = time.perf_counter()
        model = engine.train(pa.concat_tables([index, new]))
        save_model(session, model, index.num_rows + new.num_rows)
        report.trained = True
        report.timings["train"] = time.perf_counter() - t
    report.model_version = model.version

    say("후보 쌍 비교")
    t = time.perf_counter()
    scorer = engine.Scorer(model, index, extra=new)
    pairs = [scorer.within(new, threshold=EVIDENCE_FLOOR)]
    if index.num_rows:
        pairs.append(scorer.between(new, threshold=EVIDENCE_FLOOR))
    scored = pa.concat_tables(pairs)
    report.pairs_scored = scored.num_rows
    report.timings["score"] = time.perf_counter() - t

    say("묶음 만들기")
    t = time.perf_counter()
    edges = edges_of(scored)
    involved = {n.node_id for n in nodes}
    involved |= {e.right for e in edges if e.right in person_of}
    involved |= {e.left for e in edges if e.left in person_of}
    node_of_record = _node_of_records(session, nodes)
    must, cannot = _constraints(session)
    must_nodes = _map_pairs(must, node_of_record)
    cannot_nodes = _map_pairs(cannot, node_of_record)
    # Constraint partners already linked must be in the graph to be honoured.
    for a, b in must_nodes + cannot_nodes:
        for n in (a, b):
            if n in person_of:
                involved.add(n)
    rrn_of = {n.node_id: n.keys.get("rrn_index") for n in nodes}
    rrn_of.update(_rrn_of_nodes(session, involved - set(rrn_of)))
    fixed = {n: person_of[n] for n in involved if n in person_of}
    clustering = cluster(
        sorted(involved),
        edges,
        upper=thresholds.upper,
        lower=thresholds.lower,
        rrn_index=rrn_of,
        fixed=fixed,
        must=[p for p in must_nodes if p[0] in involved and p[1] in involved],
        cannot=cannot_nodes,
    )
    report.refused = clustering.refused
    report.timings["cluster"] = time.perf_counter() - t

    say("대상자 기록 저장")
    t = time.perf_counter()
    best = _best_edge(edges)
    by_cluster: dict[int, list[int]] = defaultdict(list)
    for node, key in clustering.cluster_of.items():
        by_cluster[key].append(node)
    node_by_id = {n.node_id: n for n in nodes}
    facility_type = _facility_types(session)
    touched: set[int] = set()
    link_rows: list[dict[str, Any]] = []
    for key in sorted(by_cluster):
        members = by_cluster[key]
        fresh = [node_by_id[n] for n in sorted(members) if n in node_by_id]
        if not fresh:
            continue
        persons = {fixed[n] for n in members if n in fixed}
        if not persons and not any(n.dong_code for n in fresh):
            report.waiting += sum(len(n.record_ids) for n in fresh)
            continue
        if persons:
            person_id = min(persons)
            kind = "link"
        else:
            person = Person(name="", dong_code=next(n.dong_code for n in fresh if n.dong_code))
            session.add(person)
            session.flush()
            person_id = person.id or 0
            report.persons_created += 1
            kind = "create"
        record_ids: list[int] = []
        top = 0.0
        for node in fresh:
            p = best.get(node.node_id, 0.0) if len(members) > 1 else None
            decision = "auto" if len(members) > 1 else "new"
            top = max(top, p or 0.0)
            for record_id in node.record_ids:
                link_rows.append(_link_row(node, record_id, person_id, decision, p, model))
                record_ids.append(record_id)
        report.records_linked += len(record_ids)
        session.add(
            LinkEvent(
                kind=kind,
                person_id=person_id,
                record_ids=record_ids,
                probability=top or None,
                model_version=model.version,
                actor_label=actor_label,
                reason="자동 연계" if kind == "link" else "새 대상자",
            )
        )
        touched.add(person_id)
    bulk_insert(session, RecordLink.__table__, link_rows)  # type: ignore[attr-defined]
    report.review_items = _add_reviews(session, scorer, model, clustering, nodes)
    refresh_golden(session, touched, facility_type=facility_type)
    report.persons = touched
    report.timings["write"] = time.perf_counter() - t
    return report


def rebuild(
    session: Session,
    *,
    thresholds: Thresholds,
    actor_label: str = LINKER,
    retrain: bool = False,
) -> LinkReport:
    """Link every record again from scratch (after retraining, or to check a run is
    reproducible) while keeping person ids: each new cluster takes the person that holds most
    of its records; only clusters no person holds get new ids, and a person left without
    records is retired into the one that took them. Manual decisions are honoured."""
    report = LinkReport()
    rows = list(
        session.exec(
            select(SourceRecord)
            .where(col(SourceRecord.status).in_(LINKABLE), col(SourceRecord.name).is_not(None))
            .order_by(col(SourceRecord.id))
        )
    )
    report.records = len(rows)
    if not rows:
        return report
    nodes = build_nodes(rows)
    report.nodes = len(nodes)
    frame = _frame(nodes)
    model = None if retrain else current_model(session, nodes=frame.num_rows)
    if model is None:
        model = engine.train(frame)
        save_model(session, model, frame.num_rows)
        report.trained = True
    report.model_version = model.version
    scorer = engine.Scorer(model, frame)
    edges = edges_of(scorer.within(threshold=EVIDENCE_FLOOR))
    report.pairs_scored = len(edges)
    node_of_record = {r: n.node_id for n in nodes for r in n.record_ids}
    must, cannot = _constraints(session)
    clustering = cluster(
        [n.node_id for n in nodes],
        edges,
        upper=thresholds.upper,
        lower=thresholds.lower,
        rrn_index={n.node_id: n.keys.get("rrn_index") for n in nodes},
        must=_map_pairs(must, node_of_record),
        cannot=_map_pairs(cannot, node_of_record),
    )
    report.refused = clustering.refused
    current = dict(session.exec(select(RecordLink.record_id, RecordLink.person_id)).all())
    by_cluster: dict[int, list[Node]] = defaultdict(list)
    for node in nodes:
        by_cluster[clustering.cluster_of[node.node_id]].append(node)
    # Who keeps which id: the largest share first, ties to the older person.
    claims = sorted(
        (-count, person, key)
        for key, members in by_cluster.items()
        for person, count in _person_counts(members, current).items()
    )
    person_of_cluster: dict[int, int] = {}
    taken: set[int] = set()
    for _, person, key in claims:
        if key not in person_of_cluster and person not in taken:
            person_of_cluster[key] = person
            taken.add(person)
    best = _best_edge(edges)
    touched: set[int] = set()
    changed: list[dict[str, Any]] = []
    for key in sorted(by_cluster):
        members = by_cluster[key]
        person_id = person_of_cluster.get(key)
        if person_id is None:
            dong = next((n.dong_code for n in members if n.dong_code), None)
            if dong is None:
                report.waiting += sum(len(n.record_ids) for n in members)
                continue
            person = Person(name="", dong_code=dong)
            session.add(person)
            session.flush()
            person_id = person.id or 0
            report.persons_created += 1
        moved = [r for n in members for r in n.record_ids if current.get(r) != person_id]
        if not moved:
            continue
        for node in members:
            for record_id in node.record_ids:
                if current.get(record_id) == person_id:
                    continue
                alone = len(members) == 1
                p = None if alone else best.get(node.node_id)
                decision = "new" if alone else "auto"
                changed.append(_link_row(node, record_id, person_id, decision, p, model))
        touched.add(person_id)
        touched.update(current[r] for r in moved if r in current)
        session.add(
            LinkEvent(
                kind="link",
                person_id=person_id,
                record_ids=sorted(moved),
                model_version=model.version,
                actor_label=actor_label,
                reason="전체 다시 연계",
            )
        )
    changed_ids = [row["record_id"] for row in changed]
    for start in range(0, len(changed_ids), 1000):
        chunk = changed_ids[start : start + 1000]
        session.exec(delete(RecordLink).where(col(RecordLink.record_id).in_(chunk)))  # type: ignore[call-overload]
    bulk_insert(session, RecordLink.__table__, changed)  # type: ignore[attr-defined]
    report.records_linked = len(changed)
    _retire_empty(session, touched, actor_label)
    report.review_items = _add_reviews(session, scorer, model, clustering, nodes)
    refresh_golden(session, touched)
    report.persons = touched
    return report


def _link_row(
    node: Node,
    record_id: int,
    person_id: int,
    decision: str,
    probability: float | None,
    model: engine.Model,
) -> dict[str, Any]:
    """One record_link row: the record's person, the decision, and the node's match keys."""
    return {
        "record_id": record_id,
        "node_id": node.node_id,
        "person_id": person_id,
        "decision": decision,
        "probability": probability,
        "model_version": model.version,
        "linked_at": utcnow(),
        **node.keys,
    }


def _person_counts(members: list[Node], current: dict[int, int]) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for node in members:
        for record_id in node.record_ids:
            if record_id in current:
                counts[current[record_id]] += 1
    return counts


def _retire_empty(session: Session, person_ids: set[int], actor_label: str) -> None:
    """Persons a re-run left without records: retired, never deleted (links and the access
    log still name them)."""
    for person_id in sorted(person_ids):
        holds = session.exec(select(func.count()).where(RecordLink.person_id == person_id)).one()
        person = session.get(Person, person_id)
        if holds or person is None or person.status != "active":
            continue
        person.status = "merged"
        person.updated_at = utcnow()
        session.add(person)
        session.add(
            LinkEvent(
                kind="retire",
                person_id=person_id,
                actor_label=actor_label,
                reason="다시 연계한 결과 기록이 모두 다른 대상자로 옮겨짐",
            )
        )


def link_after_import(session: Session, *, thresholds: Thresholds) -> LinkReport | None:
    """Link what an import just made linkable, inside a savepoint: if linking fails the
    import still stands and its rows wait for the next run (`bigcare link`)."""
    try:
        with session.begin_nested():
            report = link_pending(session, thresholds=thresholds, actor_label="linker:import")
    except Exception:
        log.exception("linking after import failed; rows stay pending for `bigcare link`")
        return None
    log.info(
        "linked %d records after import: %d new persons, %d review items",
        report.records_linked,
        report.persons_created,
        report.review_items,
    )
    return report


def _best_edge(edges: list[Edge]) -> dict[int, float]:
    best: dict[int, float] = {}
    for e in edges:
        for n in (e.left, e.right):
            if e.probability > best.get(n, 0.0):
                best[n] = e.probability
    return best


def _node_of_records(session: Session, nodes: Sequence[Node]) -> dict[int, int]:
    out = {r: n.node_id for n in nodes for r in n.record_ids}
    for record_id, node_id in session.exec(select(RecordLink.record_id, RecordLink.node_id)):
        out.setdefault(record_id, node_id)
    return out


def _map_pairs(pairs: list[tuple[int, int]], node_of: dict[int, int]) -> list[tuple[int, int]]:
    return [
        ordered(node_of[a], node_of[b])
        for a, b in pairs
        if a in node_of and b in node_of and node_of[a] != node_of[b]
    ]


def _rrn_of_nodes(session: Session, nodes: set[int]) -> dict[int, str | None]:
    if not nodes:
        return {}
    rows = session.exec(
        select(RecordLink.node_id, RecordLink.rrn_index).where(
            col(RecordLink.node_id).in_(sorted(nodes)), RecordLink.record_id == RecordLink.node_id
        )
    ).all()
    return dict(rows)


def _facility_types(session: Session) -> dict[str, str]:
    return dict(session.exec(select(Facility.code, Facility.type_code)).all())


def _keys_of(session: Session, node_ids: Iterable[int], nodes: Sequence[Node]) -> dict[int, dict]:
    out = {n.node_id: {"unique_id": n.node_id, **n.keys} for n in nodes}
    missing = sorted(set(node_ids) - set(out))
    if missing:
        rows = session.exec(select(RecordLink).where(col(RecordLink.record_id).in_(missing)))
        for r in rows:
            out[r.node_id] = {
                "unique_id": r.node_id,
                **{c: getattr(r, c) for c in engine.KEY_COLUMNS},
            }
    return out


def _add_reviews(
    session: Session,
    scorer: engine.Scorer,
    model: engine.Model,
    clustering: Clustering,
    nodes: Sequence[Node],
) -> int:
    review = clustering.review
    if not review:
        return 0
    keys = _keys_of(session, {n for e in review for n in (e.left, e.right)}, nodes)
    dong_of = dict(
        session.exec(
            select(SourceRecord.id, SourceRecord.dong_code).where(
                col(SourceRecord.id).in_(sorted(keys))
            )
        ).all()
    )
    # A pair asked about before (decided or not) is not asked again: decisions are kept as
    # constraints, and an open question stays open.
    existing = {ordered(r.record_id, r.other_record_id) for r in session.exec(select(ReviewItem))}
    added = 0
    for e in review:
        a, b = ordered(e.left, e.right)
        if (a, b) in existing:
            continue
        existing.add((a, b))
        dong = dong_of.get(b) or dong_of.get(a)
        if not dong:
            continue  # nobody's queue yet: asked again once a dong is assigned
        evidence = scorer.explain(keys[a], keys[b])
        weight = sum(item.weight for item in evidence)
        session.add(
            ReviewItem(
                record_id=b,  # the newer record is the one under review
                other_record_id=a,
                dong_code=dong,
                probability=e.probability,
                match_weight=weight,
                evidence=[item.__dict__ for item in evidence],
                model_version=model.version,
                reason=clustering.reasons.get((a, b), "uncertain"),
            )
        )
        added += 1
    session.flush()
    return added


# --- golden record ----------------------------------------------------------------------


def refresh_golden(
    session: Session, person_ids: Iterable[int], *, facility_type: dict[str, str] | None = None
) -> None:
    """Recompute the golden fields and their provenance of these persons."""
    ids = sorted(set(person_ids))
    if not ids:
        return
    types = facility_type or _facility_types(session)
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        records: dict[int, list[golden.Source]] = defaultdict(list)
        rows = session.exec(
            select(RecordLink.person_id, SourceRecord)
            .join(SourceRecord, col(SourceRecord.id) == RecordLink.record_id)
            .where(col(RecordLink.person_id).in_(chunk))
        ).all()
        for person_id, rec in rows:
            seen = rec.service_date or rec.received_at.astimezone(KST).date()
            records[person_id].append(
                golden.Source(
                    record_id=rec.id or 0,
                    facility_code=rec.facility_code,
                    facility_type=types.get(rec.facility_code, ""),
                    seen=seen,
                    fields=rec.model_dump(include=set(_FIELDS)),
                )
            )
        session.exec(delete(PersonField).where(col(PersonField.person_id).in_(chunk)))  # type: ignore[call-overload]
        for person_id in chunk:
            _apply_golden(session, person_id, records.get(person_id, []))
    session.flush()


def _apply_golden(session: Session, person_id: int, sources: list[golden.Source]) -> None:
    person = session.get(Person, person_id)
    if person is None:
        return
    if not sources:
        return
    chosen = golden.choose(sources)
    values: dict[str, Any] = {"updated_at": utcnow()}
    for name, choice in chosen.items():
        if name == "rrn":
            values["rrn_sealed"], values["rrn_index"], values["rrn_masked"] = choice.value
        elif name == "address":
            values["dong_code"], values["address"] = choice.value
        else:
            values[name] = choice.value
        session.add(
            PersonField(
                person_id=person_id,
                field=name,
                value=choice.shown[:300],
                record_id=choice.source.record_id,
                facility_code=choice.source.facility_code,
                rule=choice.rule,
                support=choice.support,
            )
        )
    for key, value in values.items():
        setattr(person, key, value)
    session.add(person)


# Kept for the routes: a person's source records with the decision that linked each.
@dataclass
class LinkedRecord:
    record: SourceRecord
    link: RecordLink
    facility: Facility


def person_records(session: Session, person_id: int) -> list[LinkedRecord]:
    rows = session.exec(
        select(SourceRecord, RecordLink, Facility)
        .join(RecordLink, col(RecordLink.record_id) == SourceRecord.id)
        .join(Facility, col(Facility.code) == SourceRecord.facility_code)
        .where(RecordLink.person_id == person_id)
        .order_by(col(SourceRecord.id))
    ).all()
    return [LinkedRecord(r, link, f) for r, link, f in rows]
