"""`bigcare bench linkage` runs BigCare and both baselines on one labelled file, each in its own
process, and prints every figure the issue names. A small file: the figures come from the
real pipeline, the test only checks they are there and sane (timing belongs to the bench)."""

import os
import re
import subprocess
import sys
from pathlib import Path

from bigcare.synth import linkage_file


def test_bench_linkage_prints_bigcare_and_both_baselines(tmp_path: Path) -> None:
    data = tmp_path / "labelled.csv"
    linkage_file.write_linkage_csv(data, records=3_000, seed=3)
    run = subprocess.run(
        [sys.executable, "-m", "bigcare.cli", "bench", "linkage", "--data", str(data)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("BIGCARE_")},
            "COLUMNS": "250",  # one table row per line
        },
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    assert "명령: bigcare bench linkage --data" in out and "CPU" in out
    rows = {
        method: re.search(rf"{re.escape(label)}.*", out)
        for method, label in (
            ("bigcare", "BigCare"),
            ("exact", "기준선 (a)"),
            ("splink", "기준선 (b)"),
        )
    }
    assert all(rows.values()), out
    figures = {
        method: [float(x) for x in re.findall(r"\b[01]\.\d{4}\b", match.group(0))]  # type: ignore[union-attr]
        for method, match in rows.items()
    }
    # precision, recall, F1, B-cubed F1 for each; BigCare beats exact keys on recall and
    # default Splink on precision, as on the large runs.
    assert all(len(f) == 4 for f in figures.values()), figures
    assert figures["bigcare"][0] >= 0.99 and figures["bigcare"][2] >= 0.95
    assert figures["bigcare"][1] > figures["exact"][1]
    assert figures["bigcare"][0] > figures["splink"][0]
    assert "블로킹 rrn_index" in out and "쌍 완전성" in out
    assert re.search(r"새 기록 1건을 기존 [\d,]+건에 연계: p50 \d+ ms", out)
