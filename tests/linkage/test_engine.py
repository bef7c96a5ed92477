"""The model's version names its parameters: the same records train to the same version, so
the version recorded on a link decision says which parameters made it."""

from pathlib import Path

from bigcare.linkage import bench, engine
from bigcare.synth.linkage_file import write_linkage_csv


def test_the_same_records_train_to_the_same_model_version(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    write_linkage_csv(path, records=2_000, seed=2)
    rows, _truth = bench.read_rows(path)
    frame = bench.normalise(rows, workers=1)
    first, second = engine.train(frame), engine.train(frame)
    assert first.version == second.version
    assert "linker_uid" not in first.spec
    # Fewer records than training needs: the prior, which has a version of its own.
    assert engine.train(frame.slice(0, 10)).version == engine.prior_model().version != first.version
