"""The AccessIndex port over memory, SQLite and PostgreSQL: the same answers from all three,
and every migration up, down and up again on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from adapters.memory.access_index import MemoryAccessIndex
from adapters.sql import Migrations, SqlAccessIndex
from adapters.sql.access_index import make_engine
from application.errors import AccessIndexUnavailable
from application.ports.access_index import AccessBatch, AccessIndex, Hits
from domain.request import ResultKey
from domain.storage import StoredResult, popularity
from tests.support.postgres import private_database

pytestmark = pytest.mark.integration
HALF_LIFE = 3600.0


def key(tenant: str, n: int) -> ResultKey:
    return ResultKey(tenant, f"{n:064x}")


def row(k: ResultKey, size: int = 100, at: float = 1000.0, fmt: str = "webp") -> StoredResult:
    return StoredResult(k, fmt, size, created_at=at, last_access_at=at, source="a.jpg")


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with private_database() as url:
        yield url


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'index.sqlite3'}"


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AccessIndex]:
    if request.param == "memory":
        yield MemoryAccessIndex()
        return
    url = (
        sqlite_url(tmp_path)
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    engine = make_engine(url)
    migrations = Migrations(engine)
    migrations.downgrade("base") if migrations.current() else None
    migrations.upgrade()
    sql = SqlAccessIndex(engine)
    yield sql
    asyncio.run(sql.close())


def run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run(coroutine)


def test_a_store_then_hits_make_one_row_with_counts_and_decayed_popularity(
    index: AccessIndex,
) -> None:
    k = key("acme", 1)

    async def scenario() -> StoredResult | None:
        await index.record(AccessBatch(1000.0, [row(k)]), HALF_LIFE)
        await index.record(AccessBatch(1000.0, hits={k: Hits(3, 1001.0)}), HALF_LIFE)
        await index.record(AccessBatch(1000.0 + HALF_LIFE, hits={k: Hits(1, 4600.0)}), HALF_LIFE)
        return await index.get(k)

    stored = run(scenario())

    assert stored is not None
    assert (stored.access_count, stored.last_access_at, stored.size) == (4, 4600.0, 100)
    assert (stored.format, stored.source) == ("webp", "a.jpg")
    # 3 hits one half-life ago count 1.5, the fresh one 1
    assert popularity(stored.heat, 1000.0 + HALF_LIFE, HALF_LIFE) == pytest.approx(2.5)


def test_storing_again_replaces_the_file_facts_and_keeps_the_counts(index: AccessIndex) -> None:
    k = key("acme", 2)

    async def scenario() -> StoredResult | None:
        await index.record(AccessBatch(1000.0, [row(k)], {k: Hits(2, 1000.0)}), HALF_LIFE)
        await index.record(AccessBatch(2000.0, [row(k, size=7, at=2000.0, fmt="avif")]), HALF_LIFE)
        return await index.get(k)

    stored = run(scenario())

    assert stored is not None
    assert (stored.size, stored.format, stored.created_at, stored.access_count) == (
        7,
        "avif",
        2000.0,
        2,
    )


def test_hits_of_unknown_results_make_no_row(index: AccessIndex) -> None:
    k = key("acme", 3)

    run(index.record(AccessBatch(1000.0, hits={k: Hits(5, 1000.0)}), HALF_LIFE))

    assert run(index.get(k)) is None


def test_top_ranks_by_decayed_popularity_and_honours_the_minimum(index: AccessIndex) -> None:
    old, fresh, once = key("acme", 4), key("acme", 5), key("beta", 6)

    async def scenario() -> tuple[list[ResultKey], list[ResultKey]]:
        await index.record(AccessBatch(0.0, [row(old), row(fresh), row(once)]), HALF_LIFE)
        await index.record(AccessBatch(0.0, hits={old: Hits(8, 0.0)}), HALF_LIFE)
        # five half-lives later 8 old hits are worth 0.25: three fresh ones win
        later = 5 * HALF_LIFE
        await index.record(
            AccessBatch(later, hits={fresh: Hits(3, later), once: Hits(1, later)}), HALF_LIFE
        )
        return await index.top(10), await index.top(10, min_count=3)

    ranked, frequent = run(scenario())

    assert ranked == [fresh, once, old]
    assert frequent == [fresh, old]


def test_pages_walk_every_row_in_key_order(index: AccessIndex) -> None:
    keys = [key(tenant, n) for tenant in ("beta", "acme") for n in range(5)]
    run(index.record(AccessBatch(1.0, [row(k) for k in keys]), HALF_LIFE))

    async def walk() -> list[ResultKey]:
        seen: list[ResultKey] = []
        after = None
        while page := await index.page(after, 3):
            seen.extend(r.key for r in page)
            after = page[-1].key
        return seen

    assert run(walk()) == sorted(keys, key=lambda k: (k.tenant, k.digest))


def test_usage_sums_bytes_and_files_by_tenant_and_format(index: AccessIndex) -> None:
    rows = [row(key("acme", 1), 10), row(key("acme", 2), 5, fmt="avif"), row(key("beta", 3), 1)]
    rows.append(row(key("acme", 4), 20))
    run(index.record(AccessBatch(1.0, rows), HALF_LIFE))

    usage = {(g.tenant, g.format): (g.bytes, g.files) for g in run(index.usage())}

    assert usage == {("acme", "avif"): (5, 1), ("acme", "webp"): (30, 2), ("beta", "webp"): (1, 1)}


def test_remove_skips_rows_used_since_the_cut_and_answers_what_it_removed(
    index: AccessIndex,
) -> None:
    cold, hot, absent = key("acme", 1), key("acme", 2), key("acme", 3)

    async def scenario() -> list[ResultKey]:
        await index.record(AccessBatch(100.0, [row(cold, at=100.0), row(hot, at=100.0)]), HALF_LIFE)
        await index.record(AccessBatch(500.0, hits={hot: Hits(1, 500.0)}), HALF_LIFE)
        return await index.remove([cold, hot, absent], unused_before=400.0)

    assert run(scenario()) == [cold]
    assert run(index.get(cold)) is None
    assert run(index.get(hot)) is not None


def test_forgetting_a_tenant_deletes_only_its_rows(index: AccessIndex) -> None:
    run(index.record(AccessBatch(1.0, [row(key("acme", 1)), row(key("beta", 1))]), HALF_LIFE))

    assert run(index.forget_tenant("acme")) == 1
    assert run(index.get(key("acme", 1))) is None
    assert run(index.get(key("beta", 1))) is not None


def test_an_index_without_its_schema_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    index = SqlAccessIndex(make_engine(sqlite_url(tmp_path)))
    with pytest.raises(AccessIndexUnavailable):
        run(index.usage())
    run(index.close())


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_every_migration_goes_up_down_and_up_again(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = sqlite_url(tmp_path) if database == "sqlite" else request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    migrations = Migrations(engine)
    if migrations.current():
        migrations.downgrade("base")
    revisions = Migrations.revisions()
    try:
        assert revisions[-1] == Migrations.head()
        for previous, revision in zip(["base", *revisions], revisions, strict=False):
            migrations.upgrade(revision)
            assert migrations.current() == revision
            migrations.downgrade(previous)
            assert migrations.current() == (None if previous == "base" else previous)
            migrations.upgrade(revision)
        columns = {c["name"] for c in inspect(engine).get_columns("stored_results")}
        assert {"tenant", "digest", "heat", "cost_seconds", "access_count"} <= columns
        migrations.downgrade("base")
        assert "stored_results" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
