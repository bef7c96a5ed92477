"""Baseline linkers for the linkage benchmark: exact keys, and Splink with default settings.

Both read the raw LINKAGE_FORMAT columns (never true_person_id) and return record id →
cluster id, to be scored with bigcare.linkage.metrics beside BigCare's own linkage.
"""

import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

Rows = pa.Table | Sequence[Mapping[str, object]]

# What Splink may see: the truth column is left out on purpose.
SPLINK_COLUMNS = ("record_id", "name", "rrn", "birth_date", "sex", "phone", "address")
MATCH_THRESHOLD = 0.95  # pairs at or above are linked
REVIEW_THRESHOLD = 0.5  # pairs from here up to MATCH_THRESHOLD would go to a clerk

_NOT_DIGIT = re.compile(r"\D")
_SPACE = re.compile(r"\s+")


class SplinkResult(NamedTuple):
    """Clusters, clerical-review pair count and every blocked pair with its probability."""

    clusters: dict[str, str]
    review_count: int  # pairs in [REVIEW_THRESHOLD, MATCH_THRESHOLD) left in different clusters
    blocked_pairs: pa.Table  # record_id_l, record_id_r, match_probability


def _column(rows: Rows, name: str) -> list[object]:
    if isinstance(rows, pa.Table):
        if name not in rows.column_names:
            return [None] * rows.num_rows
        return rows.column(name).to_pylist()
    return [row.get(name) for row in rows]


def _full_rrn(value: object) -> str | None:
    """The 13 digits of an unmasked RRN; a masked one ("800101-1******") has fewer."""
    digits = _NOT_DIGIT.sub("", str(value or ""))
    return digits if len(digits) == 13 else None


def _name_birth(name: object, birth: object) -> tuple[str, str] | None:
    clean = unicodedata.normalize("NFC", _SPACE.sub("", str(name or "")))
    birth_text = str(birth or "").strip()
    return (clean, birth_text) if clean and birth_text else None


def exact_key(rows: Rows) -> dict[str, str]:
    """Link records sharing a full RRN, or sharing name and birth date (the parsed
    `birth_date_iso` column where there is one, else the raw text); transitively."""
    ids = [str(r) for r in _column(rows, "record_id")]
    births = _column(rows, "birth_date")
    if isinstance(rows, pa.Table) and "birth_date_iso" in rows.column_names:
        births = _column(rows, "birth_date_iso")
    elif not isinstance(rows, pa.Table) and any("birth_date_iso" in row for row in rows):
        births = [row.get("birth_date_iso") for row in rows]

    parent = list(range(len(ids)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]  # path halving keeps the trees flat
            i = parent[i]
        return i

    first: dict[object, int] = {}
    keys = zip(_column(rows, "rrn"), _column(rows, "name"), births, strict=True)
    for i, (rrn, name, birth) in enumerate(keys):
        for key in (("rrn", _full_rrn(rrn)), ("name_birth", _name_birth(name, birth))):
            if key[1] is None:
                continue
            j = first.setdefault(key, i)
            a, b = find(i), find(j)
            if a != b:
                parent[max(a, b)] = min(a, b)  # the earliest record names the cluster
    return {record: ids[find(i)] for i, record in enumerate(ids)}


def _splink_input(table: pa.Table) -> pa.Table:
    """The raw columns as strings, blanks as nulls (an empty string would block everyone)."""
    columns = {}
    for name in SPLINK_COLUMNS:
        values = pc.utf8_trim_whitespace(table.column(name).cast(pa.string()))
        columns[name] = pc.if_else(pc.equal(values, ""), None, values)
    return pa.table(columns)


def splink_default(table: pa.Table, *, max_pairs: float = 1e6, seed: int = 1) -> SplinkResult:
    """Splink 5 (DuckDB) with off-the-shelf comparisons on the raw text: u by random
    sampling, m by two EM sessions, pairs scored from 0.5 and clustered at 0.95."""
    # Imported here: Splink and DuckDB are heavy and only the benchmark needs them.
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[
            cl.NameComparison("name"),
            cl.ExactMatch("rrn"),
            # DateOfBirthComparison parses one format only and nulls the rest; the raw
            # dates come in five, so compare them as text.
            cl.LevenshteinAtThresholds("birth_date"),
            cl.ExactMatch("sex"),
            cl.ExactMatch("phone"),
            cl.LevenshteinAtThresholds("address"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("rrn"),
            block_on("name", "birth_date"),
            block_on("phone"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db = DuckDBAPI()
    linker = Linker(db.register(_splink_input(table)), settings, log_level=logging.WARNING)
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("rrn"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("name", "birth_date")
    )
    # Scored without a threshold so that every blocked pair is kept (pair completeness).
    predictions = linker.inference.predict(warning_mode="never")
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, MATCH_THRESHOLD
    )
    # Straight to Arrow: as_pyarrow_table() goes through Python tuples, slow on millions.
    # The table names are Splink's own, not input.
    con = db.duckdb_con
    pairs = con.sql(
        f"select record_id_l, record_id_r, match_probability from {predictions.physical_name}"  # noqa: S608
    ).to_arrow_table()
    ids = con.sql(
        f"select record_id, cluster_id from {clustered.physical_name}"  # noqa: S608
    ).to_arrow_table()
    clusters = dict(
        zip(ids.column(0).to_pylist(), map(str, ids.column(1).to_pylist()), strict=True)
    )
    probability = pairs.column("match_probability")
    review = pairs.filter(
        pc.and_(
            pc.greater_equal(probability, REVIEW_THRESHOLD),
            pc.less(probability, MATCH_THRESHOLD),
        )
    )
    review_count = sum(
        clusters[left] != clusters[right]
        for left, right in zip(
            review.column(0).to_pylist(), review.column(1).to_pylist(), strict=True
        )
    )
    return SplinkResult(clusters=clusters, review_count=review_count, blocked_pairs=pairs)
