"""`bigcare bench linkage`: BigCare's linkage and the baselines on one labelled file in the
format of ../shared/bench/LINKAGE_FORMAT.md. Each method runs in its own process (see
cli_link) so wall time and peak memory are its own; the truth column is read only to score.
"""

import csv
import multiprocessing
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from bigcare.facilities import address, normalize, parsing
from bigcare.linkage import engine, metrics
from bigcare.linkage import normalize as link_normalize
from bigcare.linkage.cluster import cluster
from bigcare.linkage.service import EVIDENCE_FLOOR, Thresholds, edges_of
from bigcare.privacy.crypto import Keyring

FIELDS = ("name", "rrn", "birth_date", "sex", "phone", "address")
TODAY = date(2026, 11, 25)
_CHUNK = 20_000


@dataclass
class Outcome:
    """What one method printed: the figures the issue asks for."""

    method: str
    records: int
    precision: float = 0.0
    recall: float = 0.0
    f1: float = 0.0
    bcubed_f1: float = 0.0
    review: int = 0
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def read_rows(path: Path) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The records (without the truth) and record id → true person id."""
    rows: list[dict[str, str]] = []
    truth: dict[str, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            record_id = row["record_id"]
            truth[record_id] = row.get("true_person_id", "")
            rows.append({"record_id": record_id, **{k: (row.get(k) or "").strip() for k in FIELDS}})
    return rows, truth


_GAZETTEER: address.Gazetteer | None = None
_KEYRING: Keyring | None = None


def _init_worker(key: str) -> None:
    global _GAZETTEER, _KEYRING
    from bigcare.config import SEED_DIR
    from bigcare.districts.service import DONGS_CSV, read_dongs_csv

    _GAZETTEER = address.Gazetteer(
        [(d.code, d.gu_code, d.gu_name, d.name) for d in read_dongs_csv(SEED_DIR / DONGS_CSV)]
    )
    _KEYRING = Keyring.parse(key)


def _keys_chunk(chunk: list[tuple[int, dict[str, str]]]) -> list[dict[str, object]]:
    assert _GAZETTEER is not None and _KEYRING is not None
    out = []
    for uid, row in chunk:
        parsed = normalize.parse_record(row, gazetteer=_GAZETTEER, today=TODAY)
        # The importer's own columns (RRN sealed and indexed), so the bench links exactly
        # what an import would have stored.
        fields = parsing.record_fields(parsed, _KEYRING)
        out.append({"unique_id": uid, **link_normalize.node_keys(fields)})
    return out


def _chunks(rows: Sequence[dict[str, str]]) -> Iterator[list[tuple[int, dict[str, str]]]]:
    for start in range(0, len(rows), _CHUNK):
        yield list(enumerate(rows[start : start + _CHUNK], start=start))


def normalise(rows: Sequence[dict[str, str]], *, workers: int = 2) -> pa.Table:
    """Parse every record with the importer's own parsers, then derive the match keys;
    in `workers` processes. A throwaway key indexes the RRNs (they never leave the run)."""
    key = Keyring.generate().serialize()
    if workers <= 1:
        _init_worker(key)
        parts = [_keys_chunk(c) for c in _chunks(rows)]
    else:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(workers, initializer=_init_worker, initargs=(key,)) as pool:
            parts = pool.map(_keys_chunk, _chunks(rows))
    return engine.frame(row for part in parts for row in part)


def run_bigcare(frame: pa.Table, thresholds: Thresholds) -> tuple[dict[int, int], int, dict]:
    """Train, score, cluster: node → cluster, review count, timings."""
    timings: dict[str, float] = {}
    t = time.perf_counter()
    model = engine.train(frame)
    timings["train"] = time.perf_counter() - t
    t = time.perf_counter()
    scorer = engine.Scorer(model, frame)
    pairs = scorer.within(threshold=EVIDENCE_FLOOR)
    timings["score"] = time.perf_counter() - t
    t = time.perf_counter()
    rrn = frame.column("rrn_index").to_pylist()
    clustering = cluster(
        list(range(frame.num_rows)),
        edges_of(pairs),
        upper=thresholds.upper,
        lower=thresholds.lower,
        rrn_index=dict(enumerate(rrn)),
    )
    timings["cluster"] = time.perf_counter() - t
    info = {"pairs_scored": pairs.num_rows, "refused": clustering.refused, "model": model}
    return clustering.cluster_of, len(clustering.review), {"timings": timings, **info}


def blocking_counts(frame: pa.Table) -> list[tuple[str, int]]:
    """Candidate pairs each blocking rule produces alone (before de-duplication)."""
    con = duckdb.connect()
    con.register("f", frame)
    out = []
    for columns in engine.BLOCKING_KEYS:
        keys = ", ".join(columns)
        where = " AND ".join(f"{c} IS NOT NULL" for c in columns)
        n = con.sql(
            f"SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM "  # noqa: S608 (our own column names)
            f"(SELECT count(*) AS n FROM f WHERE {where} GROUP BY {keys})"
        ).fetchall()
        out.append((" + ".join(columns), int(n[0][0]) if n else 0))
    return out


def pair_completeness(frame: pa.Table, truth_ids: Sequence[str]) -> float:
    """Share of true matching pairs that at least one blocking rule brings together."""
    con = duckdb.connect()
    con.register("f", frame.append_column("person", pa.array(list(truth_ids), pa.string())))
    any_rule = " OR ".join(
        "(" + " AND ".join(f"l.{c} = r.{c}" for c in columns) + ")"
        for columns in engine.BLOCKING_KEYS
    )
    row = con.sql(
        "SELECT count(*), count(*) FILTER (WHERE "  # noqa: S608 (our own column names)
        f"{any_rule}) FROM f l JOIN f r ON l.person = r.person AND l.unique_id < r.unique_id"
    ).fetchall()
    total, found = (int(row[0][0]), int(row[0][1])) if row else (0, 0)
    return found / total if total else 1.0


def single_record_latency(model: engine.Model, frame: pa.Table, samples: int = 50) -> dict:
    """Link one new record against all the others: p50/p95 over `samples` records."""
    rest = frame.slice(0, frame.num_rows - samples)
    scorer = engine.Scorer(model, rest)
    scorer.link_one(frame.slice(0, 1).to_pylist()[0], threshold=EVIDENCE_FLOOR)  # warm-up
    times = []
    for i in range(frame.num_rows - samples, frame.num_rows):
        t = time.perf_counter()
        scorer.link_one(frame.slice(i, 1).to_pylist()[0], threshold=EVIDENCE_FLOOR)
        times.append(time.perf_counter() - t)
    times.sort()
    return {
        "index_records": rest.num_rows,
        "p50_ms": statistics.median(times) * 1000,
        "p95_ms": times[int(len(times) * 0.95) - 1] * 1000,
    }


def score(truth: dict[str, str], ids: Sequence[str], clusters: dict[int, int]) -> dict:
    predicted = {ids[i]: c for i, c in clusters.items()}
    pw = metrics.pairwise(truth, predicted)
    b3 = metrics.bcubed(truth, predicted)
    return {"precision": pw.precision, "recall": pw.recall, "f1": pw.f1, "bcubed_f1": b3.f1}


def write_persons(frame: pa.Table, clusters: dict[int, int]) -> dict[str, float]:
    """Write one person per cluster that has a dong (the app's own table, bulk insert) into a
    fresh SQLite database; the schema is made before the clock starts."""
    import unicodedata

    from alembic import command as alembic_command
    from sqlmodel import Session

    from bigcare.config import SEED_DIR
    from bigcare.db import alembic_config, bulk_insert, make_engine, utcnow
    from bigcare.districts import service as districts_service
    from bigcare.linkage.models import Person

    with tempfile.TemporaryDirectory(prefix="bigcare-bench-") as folder:
        url = f"sqlite:///{folder}/persons.db"
        alembic_command.upgrade(alembic_config(url), "head")
        db_engine = make_engine(url)
        with Session(db_engine) as session:
            districts_service.seed_districts(
                session, csv_path=SEED_DIR / districts_service.DONGS_CSV
            )
            session.commit()
            started = time.perf_counter()
            names = frame.column("name_jamo").to_pylist()
            dongs = frame.column("dong").to_pylist()
            births = frame.column("birth_date").to_pylist()
            sexes = frame.column("sex").to_pylist()
            first: dict[int, int] = {}
            dong_of: dict[int, str] = {}
            for node in sorted(clusters):
                key = clusters[node]
                first.setdefault(key, node)
                if dongs[node] and key not in dong_of:
                    dong_of[key] = dongs[node]
            now = utcnow()
            rows = [
                {
                    "id": i,
                    "name": unicodedata.normalize("NFC", names[node] or "")[:40],
                    "dong_code": dong_of[key],
                    "birth_date": date.fromisoformat(births[node]) if births[node] else None,
                    "sex": sexes[node],
                    "status": "active",
                    "created_at": now,
                    "updated_at": now,
                }
                for i, (key, node) in enumerate(sorted(first.items()), start=1)
                if key in dong_of
            ]
            bulk_insert(session, Person.__table__, rows)  # type: ignore[attr-defined]
            session.commit()
            seconds = time.perf_counter() - started
        db_engine.dispose()
    return {"persons": len(rows), "seconds": seconds}
