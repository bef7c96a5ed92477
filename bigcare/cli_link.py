"""`bigcare link` (link every pending source record into persons) and `bigcare bench linkage`
(BigCare's linkage against the baselines on a labelled file)."""

import functools
import json
import os
import platform
import resource
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from bigcare import cli_admin, cli_intake
from bigcare.auth import audit
from bigcare.cases import linking as cases_linking
from bigcare.config import get_settings
from bigcare.db import make_engine
from bigcare.linkage import baselines, bench, service
from bigcare.synth import linkage_file

console = Console()
METHODS = ("bigcare", "exact_key", "splink_default")
METHOD_LABELS = {
    "bigcare": "BigCare (한국형 비교·일관성 검사)",
    "exact_key": "기준선 (a) 정확 일치: 주민번호 전체 또는 이름+생년월일",
    "splink_default": "기준선 (b) Splink 기본 비교 (원자료)",
}


def run_link(
    url: str, *, retrain: bool = False, rebuild: bool = False, quiet: bool = False
) -> service.LinkReport:
    """Link every pending record (or, with rebuild, every record again) in one transaction,
    with a progress line per stage."""
    settings = get_settings()
    thresholds = service.Thresholds(settings.link_upper, settings.link_lower)
    engine = make_engine(url)
    try:
        with Session(engine) as session, console.status("동일인 연계 준비") as status:
            if rebuild:
                status.update("동일인 연계: 모든 기록 다시 연계")
                report = service.rebuild(
                    session,
                    thresholds=thresholds,
                    actor_label=cli_admin.cli_label(),
                    retrain=retrain,
                )
            else:
                report = service.link_pending(
                    session,
                    thresholds=thresholds,
                    actor_label=cli_admin.cli_label(),
                    retrain=retrain,
                    progress=lambda stage: (
                        None if quiet else status.update(f"동일인 연계: {stage}")
                    ),
                )
            status.update("가구 구성: 연계가 바뀐 대상자의 가구")
            cases_linking.after_link(session, report)
            audit.record(
                session,
                actor=None,
                actor_label=cli_admin.cli_label(),
                action="linkage.run",
                target=(
                    f"기록 {report.records_linked}건 연계, 새 대상자 {report.persons_created}명, "
                    f"검토 {report.review_items}건"
                ),
            )
            session.commit()
    finally:
        engine.dispose()
    return report


def print_report(report: service.LinkReport) -> None:
    if not report.records_linked:
        waiting = f" (행정동을 기다리는 기록 {report.waiting:,}건)" if report.waiting else ""
        console.print(f"연계할 새 기록이 없습니다{waiting}.", highlight=False)
        return
    stages = ", ".join(f"{k} {v:.1f}초" for k, v in report.timings.items())
    console.print(
        f"기록 {report.records:,}건({report.nodes:,}개 묶음)을 연계했습니다: "
        f"새 대상자 {report.persons_created:,}명, 연계된 기록 {report.records_linked:,}건, "
        f"검토할 쌍 {report.review_items:,}건, 행정동이 정해지지 않아 기다리는 기록 "
        f"{report.waiting:,}건. 모형 {report.model_version}"
        f"{' (새로 학습)' if report.trained else ''}. {stages}",
        highlight=False,
    )


def link_command(
    retrain: Annotated[
        bool, typer.Option("--retrain", help="연계 모형을 지금 자료로 다시 학습")
    ] = False,
    rebuild: Annotated[
        bool,
        typer.Option("--rebuild", help="모든 기록을 처음부터 다시 연계 (대상자 번호는 유지)"),
    ] = False,
) -> None:
    """받은 자료 중 아직 연계되지 않은 기록을 기존 대상자와 잇거나 새 대상자로 만듭니다."""
    settings = get_settings()
    cli_admin.require_current_schema(settings.database_url)
    print_report(run_link(settings.database_url, retrain=retrain, rebuild=rebuild))


@functools.wraps(cli_intake.import_command)
def import_command(*args: Any, **kwargs: Any) -> None:
    # `bigcare import`, then link what it received (BIGCARE_LINK_AFTER_IMPORT, on by default),
    # as the web and API doors do.
    cli_intake.import_command(*args, **kwargs)
    settings = get_settings()
    if settings.link_after_import:
        print_report(run_link(settings.database_url))


# --- benchmark -------------------------------------------------------------------------------


@cli_intake.bench_app.command("linkage-one", hidden=True)
def bench_linkage_one(method: str, data: Path, latency: bool = False) -> None:
    """(내부용) 한 방법으로 파일 하나를 연계하고 결과를 JSON으로 출력합니다."""
    rows, truth = bench.read_rows(data)
    ids = [r["record_id"] for r in rows]
    settings = get_settings()
    started = time.perf_counter()
    out = bench.Outcome(method=method, records=len(rows))
    if method == "bigcare":
        t = time.perf_counter()
        frame = bench.normalise(rows)
        out.timings["normalise"] = time.perf_counter() - t
        clusters, review, info = bench.run_bigcare(
            frame, service.Thresholds(settings.link_upper, settings.link_lower)
        )
        out.timings.update(info["timings"])
        persons = bench.write_persons(frame, clusters)
        out.timings["write"] = persons["seconds"]
        out.review = review
        out.extra = {"pairs_scored": info["pairs_scored"], "refused": info["refused"]}
        out.extra["persons"] = persons
        out.seconds = sum(out.timings.values())
        out.extra["blocking"] = bench.blocking_counts(frame)
        out.extra["pair_completeness"] = bench.pair_completeness(frame, [truth[i] for i in ids])
        if latency:
            out.extra["latency"] = bench.single_record_latency(info["model"], frame)
    elif method == "exact_key":
        frame = bench.normalise(rows)
        started = time.perf_counter()
        found = baselines.exact_key(
            [
                {**r, "birth_date_iso": b or r["birth_date"]}
                for r, b in zip(rows, frame.column("birth_date").to_pylist(), strict=True)
            ]
        )
        clusters = {i: found[ids[i]] for i in range(len(ids))}
        out.seconds = time.perf_counter() - started
    else:
        import pyarrow as pa

        result = baselines.splink_default(pa.Table.from_pylist(rows))
        clusters = {i: result.clusters[ids[i]] for i in range(len(ids))}
        out.review = result.review_count
        out.seconds = time.perf_counter() - started
        out.extra["blocking"] = [("rrn | name+birth | phone", result.blocked_pairs.num_rows)]
    figures = bench.score(truth, ids, clusters)
    out.precision, out.recall, out.f1, out.bcubed_f1 = (
        figures["precision"],
        figures["recall"],
        figures["f1"],
        figures["bcubed_f1"],
    )
    out.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out.to_json(), ensure_ascii=False))


@cli_intake.bench_app.command("linkage")
def bench_linkage(
    data: Annotated[
        Path | None, typer.Option(help="LINKAGE_FORMAT.md 형식의 정답 포함 CSV")
    ] = None,
    generate: Annotated[int, typer.Option(help="--data 대신 이만큼 기록을 만들어 씀")] = 20_000,
    methods: Annotated[str, typer.Option(help="쉼표로 구분: bigcare,exact_key,splink_default")] = (
        ",".join(METHODS)
    ),
    latency: Annotated[
        bool, typer.Option("--latency/--no-latency", help="새 기록 1건 연계 지연 측정")
    ] = True,
) -> None:
    """BigCare의 동일인 연계와 기준선들을 같은 파일로 돌려 정확도·시간·메모리를 비교합니다."""
    chosen = [m.strip() for m in methods.split(",") if m.strip()]
    console.print(
        "명령: bigcare bench linkage "
        + (f"--data {data}" if data else f"--generate {generate}")
        + f" --methods {','.join(chosen)}"
    )
    console.print(
        f"기계: {platform.machine()}, CPU {os.cpu_count()}개, Python {platform.python_version()}"
    )
    settings = get_settings()
    console.print(f"임계값: 자동 연계 ≥ {settings.link_upper}, 검토 ≥ {settings.link_lower}")
    with tempfile.TemporaryDirectory(prefix="bigcare-bench-") as folder:
        if data is None:
            data = Path(folder) / "linkage.csv"
            t = time.perf_counter()
            linkage_file.write_linkage_csv(data, records=generate)
            console.print(f"자료: 합성 기록 {generate:,}건 생성 ({time.perf_counter() - t:.1f}초)")
        results = [_bench_child(m, data, latency) for m in chosen]
    table = Table(title="동일인 연계 벤치마크")
    for heading in (
        "방법",
        "기록",
        "정밀도",
        "재현율",
        "F1",
        "B-cubed F1",
        "검토 쌍",
        "시간(초)",
        "최대 메모리(MB)",
    ):
        table.add_column(heading, justify="right" if heading != "방법" else "left")
    for r in results:
        table.add_row(
            METHOD_LABELS.get(r["method"], r["method"]),
            f"{r['records']:,}",
            f"{r['precision']:.4f}",
            f"{r['recall']:.4f}",
            f"{r['f1']:.4f}",
            f"{r['bcubed_f1']:.4f}",
            f"{r['review']:,}",
            f"{r['seconds']:.1f}",
            f"{r['peak_rss_mb']:,.0f}",
        )
    console.print(table)
    for r in results:
        if r["timings"]:
            stages = ", ".join(f"{k} {v:.1f}초" for k, v in r["timings"].items())
            console.print(f"{r['method']} 단계별: {stages}", highlight=False)
        for rule, pairs in r["extra"].get("blocking", []):
            console.print(f"{r['method']} 블로킹 {rule}: 후보 쌍 {pairs:,}", highlight=False)
        if "pair_completeness" in r["extra"]:
            console.print(
                f"{r['method']} 쌍 완전성(정답 쌍 중 후보로 잡힌 비율): "
                f"{r['extra']['pair_completeness']:.4f}, 비교한 쌍 {r['extra']['pairs_scored']:,}, "
                f"일관성 검사로 거부한 연결 {r['extra']['refused']:,}",
                highlight=False,
            )
        if "latency" in r["extra"]:
            lat = r["extra"]["latency"]
            console.print(
                f"{r['method']} 새 기록 1건을 기존 {lat['index_records']:,}건에 연계: "
                f"p50 {lat['p50_ms']:.0f} ms, p95 {lat['p95_ms']:.0f} ms",
                highlight=False,
            )


def _bench_child(method: str, data: Path, latency: bool) -> dict:
    args = ["linkage-one", method, str(data), *(["--latency"] if latency else [])]
    return cli_intake.run_bench_child(method, *args)
