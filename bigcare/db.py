"""Database engine, the request session, and what every table shares."""

import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from sqlalchemy import JSON, Engine, Table, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, SQLModel

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

# Stable constraint names, so Alembic can drop and alter them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
log = logging.getLogger(__name__)

# WAL lets the web server read while a batch writes; FULL because a lost welfare record
# costs more than the fsync.
SQLITE_PRAGMAS = {
    "journal_mode": "WAL",
    "foreign_keys": "ON",
    "synchronous": "FULL",
    "busy_timeout": "10000",
}


# Seoul time: what users read and what "today" means for ages and deadlines.
KST = ZoneInfo("Asia/Seoul")


def utcnow() -> datetime:
    """Now, timezone-aware UTC: the only clock the models use."""
    return datetime.now(UTC)


def seoul_today() -> date:
    """Today's date in Seoul: what deadlines, ages and "today's checks" count from."""
    return utcnow().astimezone(KST).date()


def aware(value: datetime) -> datetime:
    """A stored time as aware UTC: SQLite hands timezone-aware columns back naive (in UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def is_sqlite(url: str) -> bool:
    """True when the URL names an SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Python 3.11's sqlite3 opens transactions lazily and breaks SAVEPOINT; take over
    # BEGIN ourselves (see _begin_sqlite) so transactions behave as on PostgreSQL.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for name, value in SQLITE_PRAGMAS.items():
        cursor.execute(f"PRAGMA {name}={value}")
    cursor.close()


def _begin_sqlite(connection: Any) -> None:
    # IMMEDIATE: take the write lock at BEGIN. Nearly every request writes (an access-log
    # row for each read), and a deferred transaction that read first and then writes after
    # another commit fails at once with "database is locked" (busy_timeout cannot help a
    # stale snapshot). Queued at BEGIN instead, requests wait their turn for a few ms.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Alembic's filter: the SQLite full-text tables (person_fts and its shadow tables) are
    made by the migration itself and have no model."""
    return not (type_ == "table" and name is not None and name.startswith("person_fts"))


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for SQLite (pragmas set on every connection) or PostgreSQL (psycopg 3)."""
    # Bound values (names, RRNs) stay out of error messages and logs unless echo is on for
    # debugging on synthetic data.
    hide = not echo
    if is_sqlite(url):
        engine = create_engine(
            url, echo=echo, hide_parameters=hide, connect_args={"check_same_thread": False}
        )
        event.listen(engine, "connect", _set_sqlite_pragmas)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    return create_engine(
        url, echo=echo, hide_parameters=hide, pool_pre_ping=True, pool_size=10, max_overflow=10
    )


# session.info key: work that must be kept even when the request fails (the access-log row
# of a refused or out-of-scope attempt), redone after the rollback.
KEEP_AFTER_ROLLBACK = "bigcare_keep_after_rollback"


def keep_after_rollback(session: Session, redo: Callable[[Session], object]) -> None:
    """Redo `redo(session)` and commit it if this unit of work is rolled back."""
    session.info.setdefault(KEEP_AFTER_ROLLBACK, []).append(redo)


# Work done on a session just before its unit commits (the access log chains its rows then);
# higher layers register here, since this module imports none of them.
BEFORE_COMMIT: list[Callable[[Session], None]] = []


def before_commit(session: Session) -> None:
    """Run the registered before-commit work on this session."""
    for hook in BEFORE_COMMIT:
        hook(session)


def unit_of_work(session: Session, *, nested: bool = False) -> Iterator[Session]:
    """Commit when the caller's work returns; roll back if it raises, keeping what must stay.
    nested=True runs the unit in a SAVEPOINT (tests: one request inside the test's transaction)."""

    def begin() -> Session | SessionTransaction:
        return session.begin_nested() if nested else session

    unit = begin()
    try:
        yield session
        before_commit(session)
        unit.commit()
    except BaseException:
        unit.rollback()
        if redo := session.info.pop(KEEP_AFTER_ROLLBACK, []):
            kept = begin()
            try:
                for step in redo:
                    step(session)
                before_commit(session)
                kept.commit()
            except Exception:
                kept.rollback()
                log.exception("could not keep the access-log rows of a failed request")
        raise
    finally:
        session.info.pop(KEEP_AFTER_ROLLBACK, None)


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: committed when the route returns, rolled back if it raises."""
    with Session(request.app.state.engine) as session:
        yield from unit_of_work(session)


# scope="function": commit before the response leaves, so the browser's next request (after
# a redirect) always sees what this one wrote.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def alembic_config(url: str, connection: Any = None) -> "AlembicConfig":
    """Alembic's config for this database; with `connection`, migrations run on it."""
    from alembic.config import Config as AlembicConfig

    from bigcare.config import ALEMBIC_INI, MIGRATIONS_DIR

    config = AlembicConfig(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows of one table in the session's transaction, as fast as each database
    allows: COPY on PostgreSQL, one prepared executemany on SQLite. Every row has the same
    keys. (SQLAlchemy's generic executemany spends more time binding than the insert takes.)"""
    if not rows:
        return
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    connection = session.connection()
    dialect = connection.dialect
    quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    target = dialect.identifier_preparer.format_table(table)
    if dialect.name == "postgresql":
        # COPY adapts dates, times and booleans itself; JSON goes as its text.
        as_json = [isinstance(c.type, JSON) for c in columns]
        driver = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(f"COPY {target} ({quoted}) FROM STDIN") as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(
                    [
                        json.dumps(value, ensure_ascii=False) if j and value is not None else value
                        for value, j in zip(row.values(), as_json, strict=True)
                    ]
                )
        return
    processors = [
        (i, p)
        for i, c in enumerate(columns)
        if (p := c.type._cached_bind_processor(dialect)) is not None
    ]
    converted = []
    for row in rows:
        values = list(row.values())
        for i, process in processors:
            if values[i] is not None:
                values[i] = process(values[i])
        converted.append(tuple(values))
    marks = ", ".join("?" for _ in names)
    # Table and column names come from the metadata, quoted by the dialect; values are bound.
    statement = f"INSERT INTO {target} ({quoted}) VALUES ({marks})"  # noqa: S608
    connection.exec_driver_sql(statement, converted)
