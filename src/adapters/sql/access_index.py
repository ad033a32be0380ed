"""The access index in SQL: SQLite (WAL) by default, PostgreSQL for nodes sharing one (ADR 22)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import (
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry

from adapters.sql.schema import stored_results as table
from application.errors import AccessIndexUnavailable
from application.ports.access_index import AccessBatch, AccessIndex, Hits, UsageGroup
from domain.request import ResultKey
from domain.storage import StoredResult, heated

T = TypeVar("T")
log = logging.getLogger(__name__)
CHUNK = 500
_COLUMNS = (
    table.c.tenant,
    table.c.digest,
    table.c.format,
    table.c.size,
    table.c.created_at,
    table.c.last_access_at,
    table.c.access_count,
    table.c.heat,
    table.c.cost_seconds,
    table.c.source,
)


def engine_url(url: str) -> str:
    """`url` with the driver this adapter uses: psycopg 3 for a plain `postgresql://`."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file is put in WAL mode with a busy timeout, so the server
    and a CLI command can use it at once."""
    engine = create_engine(engine_url(url), pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: Any, record: ConnectionPoolEntry) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class SqlAccessIndex(AccessIndex):
    """`stored_results` through SQLAlchemy Core, each call in one worker thread of its own.

    One thread keeps this process's writes to a SQLite file in order and the event loop free.
    Hit counts are read and rewritten under `SELECT ... FOR UPDATE` (PostgreSQL; SQLite
    serialises writers), in key order so two nodes' batches cannot deadlock. Driver errors
    become `AccessIndexUnavailable`.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="access-index")

    @property
    def engine(self) -> Engine:
        return self._engine

    async def record(self, batch: AccessBatch, half_life: float) -> None:
        await self._run(lambda: self._record(batch, half_life))

    async def get(self, key: ResultKey) -> StoredResult | None:
        def read() -> StoredResult | None:
            with self._engine.connect() as connection:
                row = connection.execute(select(*_COLUMNS).where(_is(key))).first()
            return None if row is None else _stored(row)

        return await self._run(read)

    async def page(self, after: ResultKey | None, limit: int) -> list[StoredResult]:
        query = select(*_COLUMNS).order_by(table.c.tenant, table.c.digest).limit(max(limit, 0))
        if after is not None:
            query = query.where(
                tuple_(table.c.tenant, table.c.digest) > tuple_(after.tenant, after.digest)
            )
        return await self._run(lambda: [_stored(row) for row in self._all(query)])

    async def top(self, limit: int, min_count: int = 1) -> list[ResultKey]:
        query = (
            select(table.c.tenant, table.c.digest)
            .where(table.c.access_count >= min_count)
            .order_by(table.c.heat.desc(), table.c.tenant, table.c.digest)
            .limit(max(limit, 0))
        )
        return await self._run(lambda: [ResultKey(t, d) for t, d in self._all(query)])

    async def usage(self) -> list[UsageGroup]:
        query = (
            select(table.c.tenant, table.c.format, func.sum(table.c.size), func.count())
            .group_by(table.c.tenant, table.c.format)
            .order_by(table.c.tenant, table.c.format)
        )
        return await self._run(
            lambda: [UsageGroup(t, f, int(s or 0), int(n)) for t, f, s, n in self._all(query)]
        )

    async def remove(
        self, keys: Sequence[ResultKey], *, unused_before: float | None = None
    ) -> list[ResultKey]:
        def remove() -> list[ResultKey]:
            removed: list[ResultKey] = []
            with self._engine.begin() as connection:
                for chunk in _chunks(sorted(set(keys), key=_order)):
                    query = delete(table).where(_among(chunk))
                    if unused_before is not None:
                        query = query.where(
                            and_(
                                table.c.created_at < unused_before,
                                table.c.last_access_at < unused_before,
                            )
                        )
                    rows = connection.execute(query.returning(table.c.tenant, table.c.digest))
                    removed.extend(ResultKey(t, d) for t, d in rows)
            return removed

        return await self._run(remove)

    async def forget_tenant(self, tenant: str) -> int:
        def forget() -> int:
            with self._engine.begin() as connection:
                result = connection.execute(delete(table).where(table.c.tenant == tenant))
            return int(result.rowcount)

        return await self._run(forget)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._engine.dispose)
        self._thread.shutdown(wait=True)

    async def _run(self, work: Callable[[], T]) -> T:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._thread, work)
        except SQLAlchemyError as exc:
            raise AccessIndexUnavailable(f"the access index failed: {exc}") from exc

    def _all(self, query: Any) -> list[Any]:
        with self._engine.connect() as connection:
            return list(connection.execute(query))

    def _record(self, batch: AccessBatch, half_life: float) -> None:
        with self._engine.begin() as connection:
            self._store(connection, batch.stores)
            hits = sorted(batch.hits.items(), key=lambda item: _order(item[0]))
            for chunk in _chunks(hits):
                self._count(connection, dict(chunk), batch.at, half_life)

    def _store(self, connection: Connection, stores: Sequence[StoredResult]) -> None:
        if not stores:
            return
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        latest = {stored.key: stored for stored in stores}  # one row per key and statement
        for chunk in _chunks(sorted(latest.values(), key=lambda s: _order(s.key))):
            insert = dialect.insert(table).values([_values(stored) for stored in chunk])
            kept = {name: insert.excluded[name] for name in _FILE_FACTS}
            connection.execute(
                insert.on_conflict_do_update(index_elements=["tenant", "digest"], set_=kept)
            )

    def _count(
        self, connection: Connection, hits: dict[ResultKey, Hits], at: float, half_life: float
    ) -> None:
        query = (
            select(table.c.tenant, table.c.digest, table.c.heat, table.c.last_access_at)
            .where(_among(list(hits)))
            .order_by(table.c.tenant, table.c.digest)
            .with_for_update()
        )
        changes = []
        for tenant, digest, heat, last_at in connection.execute(query):
            counted = hits[ResultKey(tenant, digest)]
            changes.append(
                {
                    "b_tenant": tenant,
                    "b_digest": digest,
                    "b_count": counted.count,
                    "b_last": max(float(last_at), counted.last_at),
                    "b_heat": heated(float(heat), counted.count, at, half_life),
                }
            )
        if not changes:
            return
        connection.execute(
            update(table)
            .where(table.c.tenant == bindparam("b_tenant"), table.c.digest == bindparam("b_digest"))
            .values(
                access_count=table.c.access_count + bindparam("b_count"),
                last_access_at=bindparam("b_last"),
                heat=bindparam("b_heat"),
            ),
            changes,
        )


_FILE_FACTS = ("format", "size", "created_at", "cost_seconds", "source")


def _values(stored: StoredResult) -> dict[str, object]:
    return {
        "tenant": stored.key.tenant,
        "digest": stored.key.digest,
        "format": stored.format,
        "size": stored.size,
        "created_at": stored.created_at,
        "last_access_at": stored.last_access_at,
        "access_count": stored.access_count,
        "heat": stored.heat,
        "cost_seconds": stored.cost_seconds,
        "source": stored.source,
    }


def _stored(row: Sequence[Any]) -> StoredResult:
    tenant, digest, fmt, size, created, last, count, heat, cost, source = row
    return StoredResult(
        ResultKey(tenant, digest),
        fmt,
        int(size),
        float(created),
        float(last),
        int(count),
        float(heat),
        float(cost),
        source,
    )


def _is(key: ResultKey) -> Any:
    return and_(table.c.tenant == key.tenant, table.c.digest == key.digest)


def _among(keys: Sequence[ResultKey]) -> Any:
    return tuple_(table.c.tenant, table.c.digest).in_([(k.tenant, k.digest) for k in keys])


def _order(key: ResultKey) -> tuple[str, str]:
    return key.tenant, key.digest


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
