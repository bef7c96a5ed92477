"""The Splink 5 model: Korean-aware comparisons, blocking, unsupervised training, prediction.

Works on Arrow tables of match keys (see FRAME_SCHEMA) and knows nothing of the app
database, so the same model runs on DuckDB here and on Splink's Spark backend at city scale
(`linkage/spark.py`; README "Record linkage on Spark").
"""

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.exceptions import SplinkException

# Splink logs every SQL step at INFO and untrained levels as warnings (levels a small batch
# never observes keep their defaults); the app reports what it did in its own words.
SPLINK_LOG_LEVEL = logging.ERROR
log = logging.getLogger(__name__)

# One row per linkage node (a facility's record of a person). Never the RRN itself: the
# keyed blind index stands in for it, so equal numbers compare equal without being readable.
FRAME_SCHEMA = pa.schema(
    [
        ("unique_id", pa.int64()),
        ("name_jamo", pa.string()),
        ("surname", pa.string()),
        ("rrn_index", pa.string()),
        ("rrn_front7", pa.string()),
        ("birth_date", pa.string()),
        ("birth_year", pa.int32()),
        ("sex", pa.string()),
        ("phone_last8", pa.string()),
        ("home_last8", pa.string()),
        ("dong", pa.string()),
        ("road_building", pa.string()),
        ("lot", pa.string()),
        ("unit", pa.string()),
        ("area", pa.string()),
        ("gu", pa.string()),
    ]
)
KEY_COLUMNS = tuple(FRAME_SCHEMA.names[1:])

# Korean labels shown on the review page's weight bars, by comparison output column.
COMPARISON_LABELS = {
    "name": "성명",
    "rrn": "주민등록번호",
    "birth": "생년월일",
    "sex": "성별",
    "phone": "전화번호",
    "address": "주소",
}


def _both(column: str) -> str:
    return f'"{column}_l" IS NOT NULL AND "{column}_r" IS NOT NULL'


def _level(sql: str, label: str) -> cll.CustomLevel:
    return cll.CustomLevel(sql, label_for_charts=label, base_dialect_str="duckdb")


def comparisons() -> list[cl.CustomComparison]:
    """The comparisons, most specific level first. Names compare as jamo, so one slip of a
    vowel or 받침 (ㅐ/ㅔ, 영희/영히) is one edit; anything further is disagreement, which
    counts heavily: family members share address, phone and surname, twins a birth date."""
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_description=COMPARISON_LABELS["name"],
        comparison_levels=[
            cll.NullLevel("name_jamo"),
            cll.ExactMatchLevel("name_jamo", term_frequency_adjustments=True).configure(
                label_for_charts="성명 일치"
            ),
            cll.LevenshteinLevel("name_jamo", 1).configure(label_for_charts="자모 한 글자 차이"),
            # Given name right, surname written differently (이/리, 류/유) or left out.
            _level(
                'substr("name_jamo_l", length("name_jamo_l") - length("name_jamo_r") + 1)'
                ' = "name_jamo_r" OR substr("name_jamo_r", length("name_jamo_r")'
                ' - length("name_jamo_l") + 1) = "name_jamo_l"',
                "이름만 일치",
            ).configure(m_probability=0.005),
            cll.ElseLevel().configure(label_for_charts="성명 다름"),
        ],
    )
    # Full numbers are compared through their keyed index; front 7 digits (birth + sex) come
    # from full and masked numbers alike.
    rrn = cl.CustomComparison(
        output_column_name="rrn",
        comparison_description=COMPARISON_LABELS["rrn"],
        comparison_levels=[
            cll.NullLevel("rrn_front7"),
            _level(f'{_both("rrn_index")} AND "rrn_index_l" = "rrn_index_r"', "번호 전체 일치"),
            _level(
                f'{_both("rrn_index")} AND "rrn_front7_l" = "rrn_front7_r"',
                "앞 7자리 같고 뒷자리 다름",
            ).configure(m_probability=0.01),
            cll.ExactMatchLevel("rrn_front7").configure(label_for_charts="앞 7자리 일치"),
            _level(
                f"{_both('rrn_index')}",
                "번호 다름",
            ),
            cll.ElseLevel().configure(label_for_charts="앞 7자리 다름"),
        ],
    )
    # Birth date and sex count only where the RRN could not be compared: the RRN front
    # already holds both, and counting them twice would double the evidence.
    rrn_compared = _both("rrn_front7")
    birth = cl.CustomComparison(
        output_column_name="birth",
        comparison_description=COMPARISON_LABELS["birth"],
        comparison_levels=[
            _level(
                f'"birth_date_l" IS NULL OR "birth_date_r" IS NULL OR ({rrn_compared})',
                "비교 안 함",
            ).configure(is_null_level=True),
            cll.ExactMatchLevel("birth_date").configure(
                label_for_charts="생년월일 일치", m_probability=0.9
            ),
            _level(
                'substr("birth_date_l", 1, 4) = substr("birth_date_r", 1, 4)'
                ' AND substr("birth_date_l", 6, 2) = substr("birth_date_r", 9, 2)'
                ' AND substr("birth_date_l", 9, 2) = substr("birth_date_r", 6, 2)',
                "월·일 뒤바뀜",
            ).configure(m_probability=0.01),
            cll.LevenshteinLevel("birth_date", 1).configure(
                label_for_charts="한 자리 차이", m_probability=0.04
            ),
            cll.ExactMatchLevel("birth_year").configure(
                label_for_charts="출생연도만 일치", m_probability=0.02
            ),
            cll.ElseLevel().configure(label_for_charts="생년월일 다름", m_probability=0.03),
        ],
    )
    sex = cl.CustomComparison(
        output_column_name="sex",
        comparison_description=COMPARISON_LABELS["sex"],
        comparison_levels=[
            _level(
                f'"sex_l" IS NULL OR "sex_r" IS NULL OR ({rrn_compared})', "비교 안 함"
            ).configure(is_null_level=True),
            cll.ExactMatchLevel("sex").configure(label_for_charts="성별 일치", m_probability=0.98),
            cll.ElseLevel().configure(label_for_charts="성별 다름", m_probability=0.02),
        ],
    )
    # A mobile is personal; a home line is shared by the household, so it is weaker.
    phone = cl.CustomComparison(
        output_column_name="phone",
        comparison_description=COMPARISON_LABELS["phone"],
        comparison_levels=[
            _level(
                '("phone_last8_l" IS NULL AND "home_last8_l" IS NULL)'
                ' OR ("phone_last8_r" IS NULL AND "home_last8_r" IS NULL)',
                "비교 안 함",
            ).configure(is_null_level=True),
            cll.ExactMatchLevel("phone_last8").configure(label_for_charts="휴대전화 일치"),
            _level(
                '"home_last8_l" = "home_last8_r" OR "phone_last8_l" = "home_last8_r"'
                ' OR "home_last8_l" = "phone_last8_r"',
                "집 전화 일치",
            ),
            cll.ElseLevel().configure(label_for_charts="전화번호 다름"),
        ],
    )
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_description=COMPARISON_LABELS["address"],
        comparison_levels=[
            # Without a geocoder a road address often resolves to no dong; the street and
            # building still compare.
            _level(
                '("dong_l" IS NULL AND "road_building_l" IS NULL AND "lot_l" IS NULL'
                ' AND "gu_l" IS NULL) OR ("dong_r" IS NULL AND "road_building_r" IS NULL'
                ' AND "lot_r" IS NULL AND "gu_r" IS NULL)',
                "비교 안 함",
            ).configure(is_null_level=True),
            _level(
                '("road_building_l" = "road_building_r" OR "lot_l" = "lot_r")'
                ' AND "unit_l" = "unit_r"',
                "건물·호수 일치",
            ),
            _level('"road_building_l" = "road_building_r" OR "lot_l" = "lot_r"', "같은 건물"),
            cll.ExactMatchLevel("dong").configure(label_for_charts="같은 행정동"),
            cll.ExactMatchLevel("area").configure(label_for_charts="같은 법정동"),
            cll.ExactMatchLevel("gu").configure(label_for_charts="같은 구"),
            _level(
                f"({_both('road_building')}) OR ({_both('lot')}) OR ({_both('dong')})",
                "주소 다름",
            ),
            # One written as a road address, the other as a lot number, neither resolved to
            # a dong: not a disagreement, just nothing to compare.
            cll.ElseLevel().configure(label_for_charts="주소 형식이 달라 비교 못 함"),
        ],
    )
    return [name, rrn, birth, sex, phone, address]


# Candidate pairs: records agreeing on all columns of at least one rule. Never a name
# alone: 김민준 repeats thousands of times in Seoul (a name-only block on 1M records gave
# 467M pairs).
BLOCKING_KEYS: tuple[tuple[str, ...], ...] = (
    ("rrn_index",),
    ("rrn_front7",),
    ("birth_date", "dong"),
    ("name_jamo", "birth_year"),
    ("name_jamo", "dong"),
    ("phone_last8",),
    ("surname", "birth_date"),
)


# What must agree, besides name and birth date, for a pair to link without a person looking
# at it: among a million records two people with one name born on one day are common.
CORROBORATING = (
    "rrn_index",
    "phone_last8",
    "home_last8",
    "road_building",
    "lot",
    "dong",
    "area",
    "gu",
)


def blocking_rules() -> list[Any]:
    return [block_on(*columns) for columns in BLOCKING_KEYS]


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=blocking_rules(),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
        additional_columns_to_retain=[],
    )


@dataclass(frozen=True)
class Model:
    """A trained model: Splink's JSON and a version derived from it, recorded on every
    link decision so a decision can be traced to the parameters that made it."""

    spec: dict[str, Any]
    version: str

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> "Model":
        # Splink stamps each Linker with a random id; it says nothing about the parameters,
        # and would give the same model a new version on every run.
        # DuckDB's parallel sums differ in the last bits from run to run: 12 significant
        # digits keep one trained model one version.
        spec = _rounded({k: v for k, v in spec.items() if k != "linker_uid"})
        text = json.dumps(spec, sort_keys=True, ensure_ascii=False)
        return cls(spec=spec, version=hashlib.sha256(text.encode()).hexdigest()[:12])


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def frame(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Match-key rows (unique_id plus KEY_COLUMNS) as an Arrow table Splink can register."""
    return pa.Table.from_pylist(list(rows), schema=FRAME_SCHEMA)


def _linker(table: pa.Table, spec: Mapping[str, Any] | SettingsCreator) -> Linker:
    db_api = DuckDBAPI()
    return Linker(db_api.register(table), spec, log_level=SPLINK_LOG_LEVEL)


# Share of true pairs the two rules below find, measured on generated data (bench linkage).
LAMBDA_RECALL = 0.8
# Below this many nodes EM has too few pairs to learn from: the prior model links instead,
# and the first run with enough records trains (service.link_pending).
MIN_TRAINING_NODES = 1_000
# Blockings for EM: each leaves the other comparisons free to vary.
EM_BLOCKINGS = (("rrn_front7",), ("name_jamo", "birth_year"), ("birth_date", "dong"))

# (m, u) per level label: rounded from the model trained on 1,000,000 generated records, for
# the prior model (and as EM's starting point is Splink's own business).
PRIOR: dict[str, tuple[float, float]] = {
    "성명 일치": (0.915, 0.0007),
    "자모 한 글자 차이": (0.045, 0.0016),
    "이름만 일치": (0.002, 0.00001),
    "성명 다름": (0.04, 0.9977),
    "번호 전체 일치": (0.18, 0.000001),
    "앞 7자리 같고 뒷자리 다름": (0.044, 0.000012),
    "앞 7자리 일치": (0.78, 0.000018),
    "번호 다름": (0.002, 0.32),
    "앞 7자리 다름": (0.002, 0.68),
    "생년월일 일치": (0.9, 0.000072),
    "월·일 뒤바뀜": (0.01, 0.00002),
    "한 자리 차이": (0.04, 0.0019),
    "출생연도만 일치": (0.02, 0.0236),
    "생년월일 다름": (0.03, 0.9744),
    "성별 일치": (0.998, 0.49),
    "성별 다름": (0.002, 0.51),
    "휴대전화 일치": (0.92, 0.00001),
    "집 전화 일치": (0.3, 0.0001),
    "전화번호 다름": (0.08, 0.99989),
    "건물·호수 일치": (0.4, 0.000001),
    "같은 건물": (0.08, 0.000175),
    "같은 행정동": (0.027, 0.00015),
    "같은 법정동": (0.05, 0.002),
    "같은 구": (0.2, 0.04),
    "주소 다름": (0.065, 0.6),
    "주소 형식이 달라 비교 못 함": (0.178, 0.357645),
}
PRIOR_LAMBDA = 1e-5


def prior_model() -> Model:
    """The model used until there are enough records to train one."""
    spec = settings().create_settings_dict(sql_dialect_str="duckdb")
    spec["probability_two_random_records_match"] = PRIOR_LAMBDA
    for comparison in spec["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                level["m_probability"], level["u_probability"] = PRIOR[level["label_for_charts"]]
            # In a handful of records every name looks common: no frequency adjustment.
            level.pop("tf_adjustment_column", None)
            level.pop("tf_adjustment_weight", None)
    return Model.from_spec(spec)


def train(table: pa.Table, *, seed: int = 20261125, max_pairs: float = 2e6) -> Model:
    """Fellegi–Sunter parameters without labels: λ from pairs that are surely the same
    person, u by random sampling, m by EM. Too few records: the prior model."""
    if table.num_rows < MIN_TRAINING_NODES:
        return prior_model()
    linker = _linker(table, settings())
    # λ from a full RRN, or name and birth date exactly. Masked numbers are common, so the
    # full RRN alone finds only about a tenth of the true pairs and would leave λ (and every
    # match probability) far too low.
    linker.training.estimate_probability_two_random_records_match(
        [block_on("rrn_index"), block_on("name_jamo", "birth_date")], recall=LAMBDA_RECALL
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    for columns in EM_BLOCKINGS:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*columns), estimate_without_term_frequencies=True
            )
        except (SplinkException, ValueError) as exc:
            # A file without RRNs, or without dongs, leaves that blocking empty (or a level
            # unobserved until it underflows); the other blockings still estimate every
            # comparison it would have.
            log.info("EM blocking %s skipped: %s", "+".join(columns), type(exc).__name__)
    return Model.from_spec(_floor_m(linker.misc.save_model_to_json()))


# No level is impossible for a true match: people move and facilities keep old addresses,
# numbers get mistyped. Without a floor EM drives such levels to ~0 and one stale field
# vetoes everything else; at the floor a disagreement still weighs about -9.
M_FLOOR = 0.002


def _floor_m(spec: dict[str, Any]) -> dict[str, Any]:
    for comparison in spec["comparisons"]:
        for level in comparison["comparison_levels"]:
            m = level.get("m_probability")
            if m is not None and m < M_FLOOR:
                level["m_probability"] = M_FLOOR
    return spec


class Scorer:
    """A trained model bound to an index of existing records in DuckDB, so new records are
    scored against it (predict_between) without registering the index again. `extra`
    (records being linked now) counts towards the name frequencies but is not indexed."""

    def __init__(self, model: Model, index: pa.Table, *, extra: pa.Table | None = None) -> None:
        self.model = model
        self.db_api = DuckDBAPI()
        self.index = self.db_api.register(index)
        self._base = (
            self.index if extra is None else self.db_api.register(pa.concat_tables([index, extra]))
        )
        self.linker = Linker(self._base, dict(model.spec), log_level=SPLINK_LOG_LEVEL)
        # Name frequencies from every record: 김민준 agreeing says less than 남궁옥분.
        self.linker.table_management.compute_tf_table("name_jamo")
        self._lookup: str | None = None

    def within(self, table: pa.Table | None = None, *, threshold: float) -> pa.Table:
        """Scored candidate pairs among `table` (default: the index itself)."""
        sdf = self.index if table is None else self.db_api.register(table)
        result = self.linker.inference.predict_within(sdf, threshold_match_probability=threshold)
        return self._corroborate(result.physical_name)

    def between(self, table: pa.Table, *, threshold: float) -> pa.Table:
        """Scored candidate pairs between `table` (left) and the index (right)."""
        left = self.db_api.register(table)
        result = self.linker.inference.predict_between(
            left, self.index, threshold_match_probability=threshold
        )
        return self._corroborate(result.physical_name, left=left.physical_name)

    def _corroborate(self, predictions: str, left: str | None = None) -> pa.Table:
        """The pairs with whether anything beyond name and birth date agrees."""
        agree = " OR ".join(f'coalesce(l."{c}" = r."{c}", false)' for c in CORROBORATING)
        base = self._base.physical_name
        left = left or base
        return self.db_api.duckdb_con.sql(
            "SELECT p.unique_id_l, p.unique_id_r, p.match_probability, p.match_weight, "  # noqa: S608 (Splink's own table names)
            f"{agree} AS corroborated FROM {predictions} p "
            f"JOIN {left} l ON l.unique_id = p.unique_id_l "
            f"JOIN {base} r ON r.unique_id = p.unique_id_r"
        ).to_arrow_table()

    def link_one(self, record: Mapping[str, Any], *, threshold: float) -> pa.Table:
        """Scored pairs between one new record and the index, for a caseworker waiting on
        a page: each blocking rule is an indexed lookup in a copy of the index (built on the
        first call) instead of a join over all of it; then Splink scores the few candidates."""
        lookup = self._lookup_table()
        selects, params = [], []
        for columns in BLOCKING_KEYS:
            values = [record.get(c) for c in columns]
            if all(v is not None for v in values):
                where = " AND ".join(f'"{c}" = ?' for c in columns)
                selects.append(f"SELECT * FROM {lookup} WHERE {where}")  # noqa: S608 (our column names; values are bound)
                params.extend(values)
        if not selects:
            return _pairs(None)
        found = self.db_api.duckdb_con.sql(" UNION ".join(selects), params=params).to_arrow_table()
        if found.num_rows == 0:
            return _pairs(None)
        scored = self.linker.inference.score_pairs([dict(record)], found.to_pylist())
        table = scored.as_pyarrow_table()
        table = table.filter(pa.compute.greater_equal(table["match_probability"], threshold))
        others = {r["unique_id"]: r for r in found.to_pylist()}
        agree = [
            any(
                record.get(c) is not None and record.get(c) == others[uid].get(c)
                for c in CORROBORATING
            )
            for uid in table["unique_id_r"].to_pylist()
        ]
        return _pairs(table).append_column("corroborated", pa.array(agree, pa.bool_()))

    def _lookup_table(self) -> str:
        # A registered Arrow table is a view, and DuckDB indexes only base tables.
        if self._lookup is None:
            name = f"bigcare_lookup_{id(self)}"
            con = self.db_api.duckdb_con
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM {self.index.physical_name}")  # noqa: S608
            for column in sorted({columns[0] for columns in BLOCKING_KEYS}):
                con.execute(f'CREATE INDEX {name}_{column} ON {name} ("{column}")')
            self._lookup = name
        return self._lookup

    def explain(self, left: Mapping[str, Any], right: Mapping[str, Any]) -> list["Evidence"]:
        """Each comparison's level and match weight for one pair (the review page's bars),
        as Splink computed them, term-frequency adjustment included."""
        row = self.linker.inference.score_pair(dict(left), dict(right)).as_record_list()[0]
        return evidence(self.model.spec, row)


@dataclass(frozen=True)
class Evidence:
    comparison: str  # output column: name, rrn, ...
    label: str  # 성명
    level: str  # 자모 한 글자 차이
    weight: float  # log2 Bayes factor; 0 for a level that was not compared


def evidence(spec: Mapping[str, Any], row: Mapping[str, Any]) -> list[Evidence]:
    """Per-comparison weights from a row of score_pair (gamma_* and mw_* columns)."""
    out = []
    for comparison in spec["comparisons"]:
        column = comparison["output_column_name"]
        gamma = row.get(f"gamma_{column}")
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        label, weight = "비교 안 함", 0.0
        if gamma is not None and gamma >= 0:
            # Splink numbers the non-null levels from the most specific down to 0 (else).
            label = levels[len(levels) - 1 - gamma].get("label_for_charts", "")
            weight = (row.get(f"mw_{column}") or 0.0) + (row.get(f"mw_tf_adj_{column}") or 0.0)
        out.append(Evidence(column, COMPARISON_LABELS.get(column, column), label, weight))
    return out


def _pairs(result: Any) -> pa.Table:
    if result is None:
        return pa.table(
            {
                "unique_id_l": pa.array([], pa.int64()),
                "unique_id_r": pa.array([], pa.int64()),
                "match_probability": pa.array([], pa.float64()),
                "match_weight": pa.array([], pa.float64()),
            }
        )
    table = result if isinstance(result, pa.Table) else result.as_pyarrow_table()
    return table.select([c for c in table.column_names if c in _PAIR_COLUMNS])


_PAIR_COLUMNS = {"unique_id_l", "unique_id_r", "match_probability", "match_weight"}
