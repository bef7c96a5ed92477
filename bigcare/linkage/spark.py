"""The trained model on Splink's Spark backend, for a city-scale batch (README "Record linkage
on Spark"). pyspark is the optional `spark` extra: it is imported only when these are called.
"""

import copy
import functools
import operator
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from splink import Linker

from bigcare.linkage import engine

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from splink import SparkAPI

PAIR_COLUMNS = ("unique_id_l", "unique_id_r", "match_probability", "match_weight", "corroborated")


def to_spark_settings(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The model's Splink JSON with every SQL condition marked with the dialect it was written
    in, so Splink translates it for Spark. Saved JSON records the dialect of blocking rules
    but not of comparison levels, and Spark would read DuckDB's "name_jamo_l" as a string
    literal instead of a column."""
    settings = copy.deepcopy(dict(spec))
    dialect = settings.get("sql_dialect", "duckdb")
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level["sql_condition"] != "ELSE":  # not SQL; sqlglot cannot parse it alone
                level.setdefault("base_dialect_str", dialect)
    settings["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": rule, "sql_dialect": dialect}
        if isinstance(rule, str)
        else {"sql_dialect": dialect, **rule}
        for rule in settings["blocking_rules_to_generate_predictions"]
    ]
    return settings


def spark_api(spark: "SparkSession") -> "SparkAPI":
    """Splink's Spark backend without its jar of similarity UDFs: the comparisons use only
    levenshtein, substr and length, which Spark SQL has built in."""
    from splink import SparkAPI

    return SparkAPI(spark_session=spark, register_udfs_automatically=False)


def predict_on_spark(
    spark: "SparkSession",
    model: engine.Model,
    frame_df: "DataFrame",
    threshold: float,
    *,
    db_api: "SparkAPI | None" = None,
) -> "DataFrame":
    """Scored candidate pairs within `frame_df` (columns of engine.FRAME_SCHEMA) at or above
    `threshold`, with the same columns, pairs and probabilities as
    engine.Scorer(model, frame).within()."""
    from pyspark.sql import functions as F

    if db_api is None:
        db_api = spark_api(spark)
    linker = Linker(
        db_api.register(frame_df), to_spark_settings(model.spec), log_level=engine.SPLINK_LOG_LEVEL
    )
    pairs = linker.inference.predict(threshold_match_probability=threshold).as_spark_dataframe()
    # engine.Scorer's corroboration flag: without it a pair above the upper threshold is only
    # ever reviewed, so clustering must see it here too.
    agree = functools.reduce(
        operator.or_,
        (
            F.coalesce(F.col(f"l.{c}") == F.col(f"r.{c}"), F.lit(False))
            for c in engine.CORROBORATING
        ),
    )
    return (
        pairs.alias("p")
        .join(frame_df.alias("l"), F.col("l.unique_id") == F.col("p.unique_id_l"))
        .join(frame_df.alias("r"), F.col("r.unique_id") == F.col("p.unique_id_r"))
        .select(*(F.col(f"p.{c}") for c in PAIR_COLUMNS[:-1]), agree.alias("corroborated"))
    )
