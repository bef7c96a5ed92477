"""The model trained on DuckDB gives the same scored pairs on Splink's Spark backend (a local
session), read from Parquet as a city batch would be. Needs the `spark` extra and Java 17."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bigcare.linkage import bench, engine
from bigcare.linkage import spark as linkage_spark
from bigcare.synth.linkage_file import write_linkage_csv

pytestmark = pytest.mark.slow

THRESHOLD = 0.001


@pytest.fixture(scope="module")
def frame(tmp_path_factory: pytest.TempPathFactory) -> pa.Table:
    path = tmp_path_factory.mktemp("spark") / "records.csv"
    write_linkage_csv(path, records=2_000, seed=1)
    rows, _truth = bench.read_rows(path)
    return bench.normalise(rows, workers=1)


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    # Skipped here, not at import, so `-m "not slow"` deselects it and a full run without
    # the extra reports the skip (which fails a CI run) instead of dropping the file silently.
    sql = pytest.importorskip("pyspark.sql")
    session = (
        sql.SparkSession.builder.master("local[2]")
        .appName("bigcare-test")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    # Splink writes its intermediate tables as Parquet under the checkpoint directory.
    session.sparkContext.setCheckpointDir(str(tmp_path_factory.mktemp("checkpoints")))
    yield session
    session.stop()


def _by_pair(rows: list[dict[str, Any]]) -> dict[tuple[int, int], tuple[float, float, bool]]:
    return {
        (r["unique_id_l"], r["unique_id_r"]): (
            r["match_probability"],
            r["match_weight"],
            r["corroborated"],
        )
        for r in rows
    }


def test_spark_predicts_the_same_pairs_as_duckdb(spark: Any, frame: pa.Table, tmp_path: Path):
    model = engine.train(frame)
    expected = _by_pair(engine.Scorer(model, frame).within(threshold=THRESHOLD).to_pylist())

    pq.write_table(frame, tmp_path / "frame.parquet")
    frame_df = spark.read.parquet(str(tmp_path / "frame.parquet"))
    pairs_df = linkage_spark.predict_on_spark(spark, model, frame_df, THRESHOLD)
    got = _by_pair([row.asDict() for row in pairs_df.collect()])

    assert len(expected) > 100  # a sample with real matches in it, not a vacuous comparison
    assert got.keys() == expected.keys()
    for pair, (probability, weight, corroborated) in expected.items():
        assert got[pair][0] == pytest.approx(probability, abs=1e-9)
        assert got[pair][1] == pytest.approx(weight, abs=1e-9)
        assert got[pair][2] is corroborated
