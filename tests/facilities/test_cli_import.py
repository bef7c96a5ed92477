"""`bigcare import`, `bigcare generate` and `bigcare bench import` run as an operator runs
them: each in its own process, on a database of its own, killed mid-file and run again."""

import csv
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from alembic import command as alembic_command
from openpyxl import load_workbook
from sqlalchemy import create_engine, text
from sqlmodel import Session

from bigcare.auth.service import operator_actor
from bigcare.config import SEED_DIR
from bigcare.db import alembic_config, make_engine
from bigcare.districts import service as districts_service
from bigcare.facilities import intake, normalize
from bigcare.facilities import service as facilities_service
from bigcare.privacy.crypto import Keyring
from bigcare.privacy.rrn import RRN_PATTERN
from bigcare.synth import exports as synth_exports
from tests.conftest import POSTGRES_ADMIN_URL, ScratchDatabases, TestDatabase

# Large enough that the import is still running well after its first checkpoint (a chunk is
# 2,000 rows) on the fastest machine, small enough to stay well under a minute on PostgreSQL.
KILL_ROWS = 30_000
SMALL_ROWS = 500
RUN_TIMEOUT = 180  # seconds for one CLI run to finish on a busy shared machine
KILL_WAIT = 60  # seconds to wait for the first checkpoint before giving up

RESUMED = "이어 받았습니다"
DUPLICATE = "이미 받은 파일입니다"
MAPPED = "확정해 처리했습니다"
NEEDS_MAPPING = "열 매핑을 확정해야 처리합니다"
NOT_RECEIVED = "파일을 받지 않았습니다"


# --- databases, facilities and the command ---------------------------------------------------


@pytest.fixture(scope="module")
def cli_url(database: TestDatabase, scratch_databases: ScratchDatabases) -> str:
    """A database of the run's kind that only these commands write to (they commit, so the
    rolled-back test database is no place for them): migrated, districts and types seeded.
    Each test adds its own facility, so tests do not see each other's batches."""
    url = scratch_databases.new(database.kind)
    alembic_command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            districts_service.seed_districts(
                session, csv_path=SEED_DIR / districts_service.DONGS_CSV
            )
            facilities_service.seed_types(session, csv_path=SEED_DIR / facilities_service.TYPES_CSV)
            session.commit()
    finally:
        engine.dispose()
    return url


def _create_facility(
    url: str,
    *,
    code: str | None = None,
    type_code: str = "SENIOR_WELFARE",
    dong_code: str = "1123068",
) -> str:
    code = code or f"FC{secrets.token_hex(4)}"
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            facilities_service.create_facility(
                session, code=code, name="시험노인복지관", type_code=type_code, dong_code=dong_code
            )
            session.commit()
    finally:
        engine.dispose()
    return code


@pytest.fixture
def facility(cli_url: str) -> str:
    """A new senior welfare center at 개포1동, committed; its code."""
    return _create_facility(cli_url)


def _env(url: str | None, keyring: Keyring | None) -> dict[str, str]:
    """The environment of an operator's shell: only our database and key, wide lines."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIGCARE_")}
    env["COLUMNS"] = "200"  # Rich wraps at 80 columns without a terminal
    if url is not None:
        env["BIGCARE_DATABASE_URL"] = url
    if keyring is not None:
        env["BIGCARE_DATA_KEY"] = keyring.serialize()
    return env


def _bigcare(
    *args: str, cwd: Path, url: str | None = None, keyring: Keyring | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `bigcare ARGS` to completion in its own process (in `cwd`, so no stray .env or
    key file is picked up)."""
    return subprocess.run(
        [sys.executable, "-m", "bigcare.cli", *args],
        env=_env(url, keyring),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )


def _query(url: str, sql: str, **params: Any) -> list[Any]:
    """Rows as another process sees them. A plain engine: BigCare's SQLite engine begins
    every transaction IMMEDIATE, which would take the write lock from the import."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params))
    finally:
        engine.dispose()


BATCH_COLUMNS = (
    "id, status, file_sha256, rows_read, rows_accepted, rows_warned, rows_quarantined, "
    "rows_pending, rows_blank, checkpoint, error"
)


def _batches(url: str, facility: str) -> list[Any]:
    return _query(
        url,
        f"SELECT {BATCH_COLUMNS} FROM import_batch WHERE facility_code = :f ORDER BY id",
        f=facility,
    )


def _stored(url: str, batch_id: int) -> Any:
    """What source_record holds for a batch: rows, distinct row numbers, lowest, highest."""
    return _query(
        url,
        "SELECT count(*) AS n, count(DISTINCT row_number) AS distinct_numbers, "
        "min(row_number) AS first, max(row_number) AS last "
        "FROM source_record WHERE batch_id = :b",
        b=batch_id,
    )[0]


def _statuses(url: str, batch_id: int) -> dict[str, int]:
    return dict(
        _query(
            url,
            "SELECT status, count(*) FROM source_record WHERE batch_id = :b GROUP BY status",
            b=batch_id,
        )
    )


def _assert_counts_match_rows(url: str, batch: Any) -> None:
    """The batch's counters are what its stored rows say, and they add up."""
    assert batch.rows_read == (
        batch.rows_accepted + batch.rows_warned + batch.rows_quarantined + batch.rows_pending
    )
    by_status = _statuses(url, batch.id)
    assert by_status.get("accepted", 0) == batch.rows_accepted
    assert by_status.get("warned", 0) == batch.rows_warned
    assert by_status.get("quarantined", 0) == batch.rows_quarantined
    assert by_status.get("pending", 0) == batch.rows_pending
    assert sum(by_status.values()) == batch.rows_read


# --- what the files hold -------------------------------------------------------------------


def _csv_rows(path: Path, encoding: str) -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as f:
        return list(csv.reader(f))


def _data_rows_csv(path: Path, encoding: str = "cp949") -> int:
    """Data rows of a CSV: every row after the header that is not blank."""
    return sum(1 for row in _csv_rows(path, encoding)[1:] if any(c.strip() for c in row))


def _data_rows_xlsx(path: Path) -> int:
    workbook = load_workbook(path, read_only=True)
    try:
        rows = workbook.worksheets[0].iter_rows(min_row=2, values_only=True)
        return sum(1 for row in rows if any(str(c).strip() for c in row if c is not None))
    finally:
        workbook.close()


def _personal_values_of_bench(path: Path) -> set[str]:
    """Names, RRNs and phone numbers in a bench file."""
    rows = _csv_rows(path, "cp949")
    header = rows[0]
    wanted = [header.index(h) for h in ("성명", "주민번호", "연락처", "집전화")]
    return {row[i] for row in rows[1:] for i in wanted if len(row[i]) >= 2}


def _assert_no_personal_data(result: subprocess.CompletedProcess[str], values: set[str]) -> None:
    """The command printed no RRN-shaped number and none of the file's names, RRNs, phones."""
    for stream in (result.stdout, result.stderr):
        found = RRN_PATTERN.search(stream)
        assert found is None, "an RRN-shaped number reached the command's output"
        leaked = sorted(v for v in values if v in stream)
        assert not leaked, f"{len(leaked)} personal values reached the command's output"


@pytest.fixture(scope="module")
def small_bench(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "clients.csv"
    synth_exports.write_bench_csv(path, rows=SMALL_ROWS)
    return path


# --- killed mid-file, run again ------------------------------------------------------------


def _wait_for_first_checkpoint(url: str, facility: str, child: subprocess.Popen[bytes]) -> None:
    """Return once the import has committed at least one chunk and is still receiving."""
    deadline = time.monotonic() + KILL_WAIT
    while time.monotonic() < deadline:
        if child.poll() is not None:
            pytest.fail(
                f"the import ended (exit {child.returncode}) before its first checkpoint was "
                "seen: make KILL_ROWS larger"
            )
        found = _batches(url, facility)
        if found and found[0].status == "receiving" and found[0].checkpoint > 0:
            return
        time.sleep(0.02)
    pytest.fail(f"no checkpoint within {KILL_WAIT} s")


@contextmanager
def _import_stopped_after_first_checkpoint(
    args: list[str], *, url: str, facility: str, keyring: Keyring, cwd: Path, signum: int
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """Start `bigcare ARGS`, send `signum` to it once a chunk is committed, and yield the
    process (ended) and its output file. The import's worker processes share its process
    group; whatever is left of the group is killed afterwards, so a test never leaves
    processes behind."""
    output = cwd / f"stopped-{secrets.token_hex(2)}.out"
    with output.open("w") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "bigcare.cli", *args],
            env=_env(url, keyring),
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            try:
                _wait_for_first_checkpoint(url, facility, child)
                os.kill(child.pid, signum)
            finally:
                if child.poll() is None and signum != signal.SIGKILL:
                    time.sleep(0.5)  # give a handled signal its chance
                if child.poll() is None:
                    child.kill()
                child.wait(timeout=30)
            yield child, output
        finally:
            with suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)


def test_import_killed_mid_file_resumes_to_exactly_one_copy(
    cli_url: str, facility: str, keyring: Keyring, tmp_path: Path
) -> None:
    path = tmp_path / "clients.csv"
    synth_exports.write_bench_csv(path, rows=KILL_ROWS)
    data_rows = _data_rows_csv(path)
    assert data_rows == KILL_ROWS
    args = ["import", str(path), "--facility", facility, "--accept-suggested"]
    with _import_stopped_after_first_checkpoint(
        args, url=cli_url, facility=facility, keyring=keyring, cwd=tmp_path, signum=signal.SIGKILL
    ) as (child, output):
        assert child.returncode == -signal.SIGKILL, (
            "the import finished before it was killed: make KILL_ROWS larger"
        )
        first_output = output.read_text()

    (killed,) = _batches(cli_url, facility)
    stored = _stored(cli_url, killed.id)
    assert killed.status == "receiving"
    assert 0 < killed.rows_read < data_rows
    # Exactly the checkpoint's worth of rows: no chunk half-stored, no counter ahead of rows.
    assert stored.n == stored.distinct_numbers == killed.rows_read
    assert stored.first == 2 and stored.last == killed.checkpoint  # row 1 is the header
    assert killed.rows_read + killed.rows_blank == killed.checkpoint - 1
    _assert_counts_match_rows(cli_url, killed)
    # Right after the kill the batch looks busy: a second run must not join a live import.
    busy = _bigcare(*args, cwd=tmp_path, url=cli_url, keyring=keyring)
    assert busy.returncode == 1 and "지금 받고 있습니다" in busy.stdout
    time.sleep(intake.RECEIVING_LEASE.total_seconds())

    second = _bigcare(*args, cwd=tmp_path, url=cli_url, keyring=keyring)

    assert second.returncode == 0, second.stdout + second.stderr
    assert RESUMED in second.stdout
    (batch,) = _batches(cli_url, facility)  # the same batch, not a second copy
    assert batch.id == killed.id and batch.file_sha256 == killed.file_sha256
    assert batch.status == "done"
    stored = _stored(cli_url, batch.id)
    assert stored.n == stored.distinct_numbers == batch.rows_read == data_rows
    assert (stored.first, stored.last) == (2, data_rows + 1) == (2, batch.checkpoint)
    assert batch.rows_pending == 0 and batch.rows_blank == 0
    assert batch.rows_read == batch.rows_accepted + batch.rows_warned + batch.rows_quarantined
    _assert_counts_match_rows(cli_url, batch)
    assert f"읽은 행 {data_rows:,}" in second.stdout
    personal = _personal_values_of_bench(path)
    _assert_no_personal_data(second, personal)
    _assert_no_personal_data(subprocess.CompletedProcess(args, 0, first_output, ""), personal)


def test_import_killed_while_waiting_for_a_mapping_then_accepted_parses_every_row(
    cli_url: str, facility: str, keyring: Keyring, tmp_path: Path
) -> None:
    path = tmp_path / "clients.csv"
    synth_exports.write_bench_csv(path, rows=KILL_ROWS)
    args = ["import", str(path), "--facility", facility]
    with _import_stopped_after_first_checkpoint(
        args, url=cli_url, facility=facility, keyring=keyring, cwd=tmp_path, signum=signal.SIGKILL
    ) as (child, _):
        assert child.returncode == -signal.SIGKILL, "finished before it was killed"
    (killed,) = _batches(cli_url, facility)
    assert killed.status == "receiving" and killed.rows_pending == killed.rows_read > 0
    time.sleep(intake.RECEIVING_LEASE.total_seconds())

    result = _bigcare(*args, "--accept-suggested", cwd=tmp_path, url=cli_url, keyring=keyring)

    assert result.returncode == 0, result.stdout + result.stderr
    (batch,) = _batches(cli_url, facility)
    assert batch.rows_read == KILL_ROWS
    _assert_counts_match_rows(cli_url, batch)
    # Done means every row was parsed; otherwise the batch must still wait for its mapping.
    assert batch.status == "mapping" or batch.rows_pending == 0, (
        f"status {batch.status} with {batch.rows_pending} rows pending"
    )


# --- the same file again, the mapping, refused files ----------------------------------------


def test_import_same_file_again_is_a_no_op_that_says_so(
    cli_url: str, facility: str, keyring: Keyring, small_bench: Path, tmp_path: Path
) -> None:
    args = ["import", str(small_bench), "--facility", facility, "--accept-suggested"]
    first = _bigcare(*args, cwd=tmp_path, url=cli_url, keyring=keyring)
    assert first.returncode == 0, first.stdout + first.stderr
    (batch,) = _batches(cli_url, facility)

    again = _bigcare(*args, cwd=tmp_path, url=cli_url, keyring=keyring)

    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{DUPLICATE} (묶음 #{batch.id})" in again.stdout
    assert RESUMED not in again.stdout
    assert _batches(cli_url, facility) == [batch]
    assert _stored(cli_url, batch.id).n == batch.rows_read == SMALL_ROWS
    personal = _personal_values_of_bench(small_bench)
    _assert_no_personal_data(first, personal)
    _assert_no_personal_data(again, personal)


def test_import_without_a_mapping_waits_then_accept_suggested_parses(
    cli_url: str, facility: str, keyring: Keyring, small_bench: Path, tmp_path: Path
) -> None:
    args = ["import", str(small_bench), "--facility", facility]
    waiting = _bigcare(*args, cwd=tmp_path, url=cli_url, keyring=keyring)

    assert waiting.returncode == 0, waiting.stdout + waiting.stderr
    assert NEEDS_MAPPING in waiting.stdout
    for line in ("성명 → 성명", "주민번호 → 주민등록번호", "이용일 → 제공일", "비고 → 원본만 보관"):
        assert line in waiting.stdout
    assert "--accept-suggested" in waiting.stdout
    (batch,) = _batches(cli_url, facility)
    assert batch.status == "mapping"
    assert batch.rows_pending == batch.rows_read == SMALL_ROWS
    assert batch.rows_accepted == batch.rows_warned == batch.rows_quarantined == 0
    assert _statuses(cli_url, batch.id) == {"pending": SMALL_ROWS}
    assert f"/imports/{batch.id}/mapping" in waiting.stdout
    assert not _query(cli_url, "SELECT 1 FROM column_mapping WHERE facility_code = :f", f=facility)

    parsed = _bigcare(*args, "--accept-suggested", cwd=tmp_path, url=cli_url, keyring=keyring)

    assert parsed.returncode == 0, parsed.stdout + parsed.stderr
    assert f"#{batch.id}를 짐작한 열 매핑으로 {MAPPED}" in parsed.stdout
    (done,) = _batches(cli_url, facility)
    assert done.id == batch.id and done.status == "done"
    assert done.rows_pending == 0
    assert done.rows_read == SMALL_ROWS
    assert done.rows_read == done.rows_accepted + done.rows_warned + done.rows_quarantined
    _assert_counts_match_rows(cli_url, done)
    assert _stored(cli_url, done.id).n == SMALL_ROWS
    # The suggestion became the facility's confirmed mapping, for its next file.
    assert _query(cli_url, "SELECT 1 FROM column_mapping WHERE facility_code = :f", f=facility)
    personal = _personal_values_of_bench(small_bench)
    _assert_no_personal_data(waiting, personal)
    _assert_no_personal_data(parsed, personal)


def _confirm_mapping(url: str, facility: str, header: list[str], **choices: str | None) -> None:
    """Give the facility a confirmed mapping: the name-based suggestion, with `choices`."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            columns = intake.validate_mapping(
                header, {**normalize.suggest_mapping(header), **choices}
            )
            intake.save_mapping(
                session,
                actor=operator_actor("test", permissions=frozenset({"import.upload"})),
                facility_code=facility,
                columns=columns,
            )
            session.commit()
    finally:
        engine.dispose()


def test_import_waiting_lists_the_mapping_accept_suggested_applies(
    cli_url: str, facility: str, keyring: Keyring, small_bench: Path, tmp_path: Path
) -> None:
    rows = _csv_rows(small_bench, "cp949")
    header = rows[0]
    # The facility keeps its home phones as received only; its new file has one more column.
    _confirm_mapping(cli_url, facility, header, 집전화=None)
    path = tmp_path / "with_new_column.csv"
    with path.open("w", encoding="cp949", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(
            [[*header, "담당자메모"], *([*row, "메모"] for row in rows[1:])]
        )
    args = ["import", str(path), "--facility", facility]
    waiting = _bigcare(*args, cwd=tmp_path, url=cli_url, keyring=keyring)
    assert waiting.returncode == 0 and NEEDS_MAPPING in waiting.stdout, waiting.stdout

    parsed = _bigcare(*args, "--accept-suggested", cwd=tmp_path, url=cli_url, keyring=keyring)

    assert parsed.returncode == 0 and MAPPED in parsed.stdout, parsed.stdout
    (mapping,) = _query(
        cli_url, "SELECT mapping FROM import_batch WHERE facility_code = :f", f=facility
    )[0]
    applied = mapping if isinstance(mapping, dict) else json.loads(mapping)
    assert applied["집전화"] is None  # the confirmed choice was applied ...
    assert "집전화 → 원본만 보관" in waiting.stdout  # ... so that is what the operator was shown


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.csv", b"", "빈 파일입니다"),
        ("scan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "PDF 파일은"),
    ],
    ids=["empty", "pdf"],
)
def test_import_refused_file_exits_1_and_keeps_no_rows(
    cli_url: str,
    facility: str,
    keyring: Keyring,
    tmp_path: Path,
    name: str,
    content: bytes,
    reason: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    result = _bigcare(
        "import", str(path), "--facility", facility, "--accept-suggested",
        cwd=tmp_path, url=cli_url, keyring=keyring,
    )  # fmt: skip

    assert result.returncode == 1, result.stdout + result.stderr
    assert NOT_RECEIVED in result.stdout and reason in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    (batch,) = _batches(cli_url, facility)
    assert batch.status == "refused" and reason in batch.error
    assert batch.rows_read == batch.rows_blank == batch.checkpoint == 0
    assert _stored(cli_url, batch.id).n == 0


# --- a generated city, through the CLI --------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """A small synthetic Seoul made by `bigcare generate`, and what the command printed."""
    out_dir = tmp_path_factory.mktemp("world") / "world"
    result = _bigcare(
        "generate", str(out_dir), "--persons", "1500", "--facilities", "40", "--seed", "7",
        cwd=out_dir.parent,
    )  # fmt: skip
    return out_dir, result


SUMMARY = re.compile(
    r"사람 1,500명, 가구 [\d,]+, 시설 (\d+)곳, 시설 파일 (\d+)개 \(([\d,]+)행\), 쌍둥이 \d+쌍"
)


def test_generate_writes_a_small_world_and_prints_its_summary(
    world: tuple[Path, subprocess.CompletedProcess],
) -> None:
    out_dir, result = world
    assert result.returncode == 0, result.stdout + result.stderr
    summary = SUMMARY.search(result.stdout)
    assert summary is not None, result.stdout
    facilities, files, rows = int(summary[1]), int(summary[2]), int(summary[3].replace(",", ""))
    assert facilities == files >= 40
    listed = list(csv.DictReader((out_dir / "facilities.csv").open(encoding="utf-8")))
    assert len(listed) == facilities
    exports = sorted((out_dir / "exports").iterdir())
    assert {p.name for p in exports} == {f"{f['code']}.{f['export_format']}" for f in listed}
    truth = list(csv.DictReader((out_dir / "truth" / "records.csv").open(encoding="utf-8")))
    assert len(truth) == rows
    assert (out_dir / "truth" / "persons.csv").exists()
    assert "truth/" in result.stdout
    _assert_no_personal_data(result, _world_people(out_dir))


def _world_people(out_dir: Path) -> set[str]:
    with (out_dir / "truth" / "persons.csv").open(encoding="utf-8") as f:
        return {
            value
            for person in csv.DictReader(f)
            for value in (person["name"], person["rrn"], person["phone"], person["home_phone"])
            if len(value) >= 2
        }


def _biggest_export(out_dir: Path, export_format: str) -> dict[str, str]:
    """The facility (not a crisis agency) with the most rows in a file of this format."""
    with (out_dir / "truth" / "records.csv").open(encoding="utf-8") as f:
        rows: dict[str, int] = {}
        for record in csv.DictReader(f):
            rows[record["file"]] = rows.get(record["file"], 0) + 1
    with (out_dir / "facilities.csv").open(encoding="utf-8") as f:
        candidates = [
            fac
            for fac in csv.DictReader(f)
            if fac["export_format"] == export_format and fac["type_code"] != "CRISIS_AGENCY"
        ]
    return max(candidates, key=lambda fac: rows.get(f"exports/{fac['code']}.{export_format}", 0))


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_generated_export_imports_through_the_cli(
    cli_url: str,
    keyring: Keyring,
    world: tuple[Path, subprocess.CompletedProcess],
    tmp_path: Path,
    export_format: str,
) -> None:
    out_dir, generated = world
    assert generated.returncode == 0, generated.stdout + generated.stderr
    fac = _biggest_export(out_dir, export_format)
    path = out_dir / "exports" / f"{fac['code']}.{export_format}"
    if export_format == "csv":
        data_rows = _data_rows_csv(path, fac["encoding"])
    else:
        data_rows = _data_rows_xlsx(path)
    assert data_rows > 0
    code = _create_facility(
        cli_url, code=fac["code"], type_code=fac["type_code"], dong_code=fac["dong_code"]
    )

    result = _bigcare(
        "import", str(path), "--facility", code, "--accept-suggested",
        cwd=tmp_path, url=cli_url, keyring=keyring,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    (batch,) = _batches(cli_url, code)
    assert batch.status == "done"
    assert batch.rows_read == data_rows == _stored(cli_url, batch.id).n
    assert batch.rows_read == batch.rows_accepted + batch.rows_warned + batch.rows_quarantined
    _assert_counts_match_rows(cli_url, batch)
    assert f"읽은 행 {data_rows:,}" in result.stdout
    _assert_no_personal_data(result, _world_people(out_dir))


# --- the benchmark --------------------------------------------------------------------------

BENCH_ROWS = 3000
BENCH_FIGURES = re.compile(
    r"^(?P<kind>sqlite|postgresql)\s+(?:작업 프로세스 (?P<workers>\d+): )?"
    r"(?P<rows>[\d,]+)행 (?P<seconds>[\d.]+)초 = (?P<rate>[\d,]+)행/초, "
    r"최대 메모리\(RSS[^)]*\) (?P<rss>\d+) MB · "
    r"정상 (?P<accepted>[\d,]+) 경고 (?P<warned>[\d,]+) 오류 (?P<quarantined>[\d,]+)$",
    re.MULTILINE,
)


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def test_bench_import_prints_command_size_speed_and_memory(
    database: TestDatabase, tmp_path: Path
) -> None:
    args = ["bench", "import", "--rows", str(BENCH_ROWS), "--database", database.kind]
    if database.kind == "postgresql":
        args += ["--pg-url", POSTGRES_ADMIN_URL]

    result = _bigcare(*args, cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    command = f"명령: bigcare bench import --rows {BENCH_ROWS} --database {database.kind}"
    assert re.search(f"^{re.escape(command)}( |$)", out, re.MULTILINE), out
    assert re.search(r"^기계: .+, CPU \d+개, Python 3\.\d+", out, re.MULTILINE)
    assert f"자료: CP949 CSV {BENCH_ROWS:,}행, " in out
    (figures,) = BENCH_FIGURES.finditer(out)  # one line per database: serial by default
    assert figures["kind"] == database.kind
    assert _number(figures["rows"]) == BENCH_ROWS
    assert (
        _number(figures["accepted"]) + _number(figures["warned"]) + _number(figures["quarantined"])
        == BENCH_ROWS
    )
    assert float(figures["seconds"]) > 0 and _number(figures["rate"]) > 0
    assert _number(figures["rss"]) > 0
    _assert_no_personal_data(result, set())
