"""Sealed (encrypted) columns and key rotation: re-seal every value under the current key."""

from sqlalchemy import MetaData, func, select, update
from sqlmodel import Session

from bigcare.privacy.crypto import Keyring


def sealed_columns(metadata: MetaData) -> list[tuple[str, str, str, str | None]]:
    """(table, column, context, blind-index column) for every column marked as sealed."""
    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            context = column.info.get("sealed")
            if context:
                found.append((table.name, column.name, context, column.info.get("blind_index")))
    return found


def reseal_all(
    session: Session, *, metadata: MetaData, keyring: Keyring, batch_size: int = 1000
) -> dict[str, int]:
    """Re-encrypt every sealed value under the current key and recompute blind indexes.
    Returns rows changed per table.column. Rows already under the current key are skipped,
    so an interrupted rotation can simply be run again."""
    changed: dict[str, int] = {}
    # A plain prefix comparison, not LIKE: "_" in a key id is a LIKE wildcard, and SQLite's
    # LIKE ignores case.
    current = f"v1:{keyring.current_id}:"
    for table_name, column_name, context, index_column in sealed_columns(metadata):
        table = metadata.tables[table_name]
        column, pk = table.c[column_name], next(iter(table.primary_key.columns))
        count, last = 0, None
        while True:
            query = (
                select(pk, column)
                .where(column.is_not(None), func.substr(column, 1, len(current)) != current)
                .order_by(pk)
                .limit(batch_size)
            )
            if last is not None:
                query = query.where(pk > last)
            rows = session.execute(query).all()
            if not rows:
                break
            for key, token in rows:
                plain = keyring.open(token, context=context)
                values = {column_name: keyring.seal(plain, context=context)}
                if index_column:
                    values[index_column] = keyring.blind_index(plain, context=context)
                session.execute(update(table).where(pk == key).values(**values))
                count += 1
                last = key
        changed[f"{table_name}.{column_name}"] = count
    session.flush()
    return changed
