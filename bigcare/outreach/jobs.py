"""Planning as jobs: one center-week per job, with plain arguments and a plain result, so the
same function runs in a process pool today and as a task on a queue (procrastinate) later.
Centers share nothing while planning, so they run side by side."""

import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from datetime import date
from functools import cache

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bigcare import db
from bigcare.auth.service import Actor
from bigcare.db import make_engine
from bigcare.outreach import crisis, places, rules, service, targets
from bigcare.outreach.models import WeekPlan
from bigcare.privacy.crypto import Keyring

LOCKED_ATTEMPTS = 4


@dataclass
class Prepared:
    """What choosing the targets found before planning."""

    added: int = 0
    closed: int = 0
    signals: int = 0


def prepare(
    session: Session, *, keyring: Keyring, today: date, dong_codes: Iterable[str] | None
) -> Prepared:
    """Before planning: the rules seeded, crisis signals read from newly linked agency rows,
    every rule's targets refreshed and the households placed on the map."""
    codes = list(dong_codes) if dong_codes is not None else None
    rules.seed_rules(session)
    signals = crisis.collect_crisis_signals(session, keyring=keyring, today=today)
    refreshed = targets.refresh_targets(session, today=today, dong_codes=codes)
    places.place_households(session, dong_codes=codes)
    return Prepared(added=refreshed.added, closed=refreshed.closed, signals=signals)


def replan_center(
    session: Session,
    *,
    plan_id: int,
    actor: Actor,
    keyring: Keyring,
    today: date,
    seconds: float = 1.0,
) -> WeekPlan:
    """다시 계획 from the schedule page: new crisis signals and rule targets of the center
    first (a new urgent household), then the warm re-plan of the rest of the week."""
    plan = service.get_plan(session, plan_id)
    service.check_center_scope(session, actor=actor, dong_code=plan.dong_code)
    prepare(session, keyring=keyring, today=today, dong_codes=[plan.dong_code])
    return service.replan_week(session, plan_id=plan_id, actor=actor, today=today, seconds=seconds)


@dataclass
class CenterResult:
    """What one center's planning job reports back."""

    dong_code: str
    week: str
    plan_id: int | None = None
    visits: int = 0
    must_total: int = 0
    must_planned: int = 0
    unplanned: int = 0
    travel_min: int = 0
    work_min: int = 0
    seconds: float = 0.0
    error: str | None = None


@cache
def _engine(url: str) -> Engine:
    # One engine per worker process, reused by its jobs.
    return make_engine(url)


def plan_center(url: str, dong_code: str, week: str, today: str, seconds: float) -> dict:
    """Plan one center's week in its own transaction (the job body)."""
    result = CenterResult(dong_code=dong_code, week=week)
    for attempt in range(1, LOCKED_ATTEMPTS + 1):
        try:
            _plan_one(url, result, today=date.fromisoformat(today), seconds=seconds)
            result.error = None
            break
        except OperationalError as exc:
            # SQLite has one writer: now and then a job is told "database is locked" at
            # BEGIN although the other worker's transactions last well under a second.
            # The job did nothing yet, so it is simply tried again.
            result.error = f"{type(exc).__name__}: {exc}"[:300]
            if not (db.is_sqlite(url) and "locked" in str(exc)) or attempt == LOCKED_ATTEMPTS:
                break
            time.sleep(0.2 * attempt)
        except Exception as exc:  # a job reports its failure; the others go on
            result.error = f"{type(exc).__name__}: {exc}"[:300]
            break
    return asdict(result)


def _plan_one(url: str, result: CenterResult, *, today: date, seconds: float) -> None:
    with Session(_engine(url)) as session:
        plan = service.plan_week(
            session,
            dong_code=result.dong_code,
            week=result.week,
            actor=None,
            today=today,
            seconds=seconds,
        )
        # Read before the commit: afterwards each attribute would be read again.
        result.plan_id = plan.id
        result.visits = plan.visits_planned
        result.must_total, result.must_planned = plan.must_total, plan.must_planned
        result.unplanned = plan.targets_unplanned
        result.travel_min, result.work_min = plan.travel_min, plan.work_min
        result.seconds = plan.solver_seconds
        session.commit()


def plan_centers(
    url: str,
    *,
    dong_codes: Iterable[str],
    week: str,
    today: date,
    seconds: float,
    workers: int | None = None,
    progress: Callable[[CenterResult], None] | None = None,
) -> list[CenterResult]:
    """Plan many centers, `workers` at a time (default: every core)."""
    codes = list(dong_codes)
    workers = workers or os.cpu_count() or 1
    results: list[CenterResult] = []
    if workers == 1 or len(codes) == 1:
        for code in codes:
            r = CenterResult(**plan_center(url, code, week, today.isoformat(), seconds))
            results.append(r)
            if progress:
                progress(r)
        return results
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [
            pool.submit(plan_center, url, code, week, today.isoformat(), seconds) for code in codes
        ]
        for future in as_completed(futures):
            r = CenterResult(**future.result())
            results.append(r)
            if progress:
                progress(r)
    return sorted(results, key=lambda r: r.dong_code)
