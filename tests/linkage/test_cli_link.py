"""`bigcare import` links what it received, `bigcare link` has nothing left to do, and
`bigcare link --rebuild` links everything again from scratch without renumbering anyone —
on a model trained on the file itself, in a process of its own, on both databases."""

import subprocess
import sys
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from bigcare.db import make_engine
from bigcare.facilities import service as facilities_service
from bigcare.privacy.crypto import Keyring
from bigcare.synth import exports as synth_exports
from tests.facilities.test_cli_import import _env, cli_url  # noqa: F401 (a fixture)

ROWS = 3_000


KEYRING = Keyring.generate("link1")


def _bigcare(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bigcare.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=_env(url, KEYRING),
    )


def _assignments(url: str) -> list[tuple[int, int]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT record_id, person_id FROM record_link ORDER BY record_id")
            )
            return [(r[0], r[1]) for r in rows]
    finally:
        engine.dispose()


def test_import_links_and_a_rebuild_keeps_every_person_id(
    cli_url: str,  # noqa: F811 (the fixture above)
    tmp_path: Path,
) -> None:
    engine = make_engine(cli_url)
    with Session(engine) as session:
        facilities_service.create_facility(
            session,
            code="LINK01",
            name="연계 시험 노인종합복지관",
            type_code="SENIOR_WELFARE",
            dong_code="1123068",
        )
        session.commit()
    engine.dispose()
    path = tmp_path / "clients.csv"
    synth_exports.write_bench_csv(path, rows=ROWS, seed=7)

    received = _bigcare(cli_url, "import", str(path), "--facility", "LINK01", "--accept-suggested")
    assert received.returncode == 0, received.stderr[-2000:]
    assert "연계했습니다" in received.stdout and "새 대상자" in received.stdout
    first = _assignments(cli_url)
    persons = {p for _, p in first}
    # A senior center lists each client once per service: far fewer persons than rows.
    assert 0 < len(persons) < len(first) <= ROWS

    again = _bigcare(cli_url, "link")
    assert again.returncode == 0 and "연계할 새 기록이 없습니다" in again.stdout

    rebuilt = _bigcare(cli_url, "link", "--rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    assert _assignments(cli_url) == first
