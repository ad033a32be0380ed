"""Health: the indicators, the summary, and `/health` answers with their details."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from adapters.localdir.health import LocalDirectoryOriginIndicator
from adapters.memory import MemoryOriginFetcher, MemoryResultCache
from adapters.memory.health import MemoryResultCacheIndicator
from adapters.memory.metrics import MemoryMetrics
from adapters.memory.system import FixedDiskSpace, FixedProcessStats
from adapters.pillow.health import PillowCodecsIndicator
from adapters.system import ProcfsProcessStats, StatvfsDiskSpace, WritableDirectoryIndicator
from application.health import CheckHealth, worst
from application.health_indicators import (
    ConfiguredOriginIndicator,
    DiskSpaceIndicator,
    MemoryIndicator,
    UsageLimits,
)
from application.ports.health import HealthIndicator, HealthReport, HealthStatus
from application.ports.process_stats import ProcessSnapshot
from domain.formats import OutputFormat
from domain.policy import HostAllowList
from domain.request import ResultKey
from domain.result import ImageResult
from entrypoints.composition import Container
from entrypoints.http.app import make_app
from tests.support import images
from tests.support.node import node

T = TypeVar("T")
GIB = 2**30
LIMITS = UsageLimits(warn_percent=90, down_percent=98)


def run(awaitable: Coroutine[object, object, T]) -> T:
    return asyncio.run(awaitable)


class Scripted(HealthIndicator):
    """An indicator that answers a given report, raises, or takes its time."""

    def __init__(
        self,
        name: str,
        report: HealthReport | None = None,
        error: Exception | None = None,
        delay: float = 0.0,
    ) -> None:
        self._name = name
        self._report = report or HealthReport(HealthStatus.UP)
        self._error = error
        self._delay = delay

    @property
    def name(self) -> str:
        return self._name

    async def check(self) -> HealthReport:
        await asyncio.sleep(self._delay)
        if self._error is not None:
            raise self._error
        return self._report


# -- indicators -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("free", "status"),
    [(50 * GIB, HealthStatus.UP), (8 * GIB, HealthStatus.WARN), (1 * GIB, HealthStatus.DOWN)],
)
def test_disk_space_turns_warn_then_down_as_the_disk_fills(
    free: int, status: HealthStatus, tmp_path: Path
) -> None:
    disk = FixedDiskSpace(total=100 * GIB, free=free)

    report = run(DiskSpaceIndicator(disk, tmp_path / "cache", lambda: LIMITS).check())

    assert report.status is status
    assert report.details["freeBytes"] == free
    assert report.details["usedPercent"] == pytest.approx(100 * (100 * GIB - free) / (100 * GIB))
    assert disk.paths == [tmp_path / "cache"]


def test_disk_limits_are_read_at_every_check(tmp_path: Path) -> None:
    limits = [UsageLimits(90, 98)]
    indicator = DiskSpaceIndicator(FixedDiskSpace(total=100, free=15), tmp_path, lambda: limits[0])

    before = run(indicator.check()).status
    limits[0] = UsageLimits(80, 98)

    assert (before, run(indicator.check()).status) == (HealthStatus.UP, HealthStatus.WARN)


def test_memory_compares_resident_memory_with_the_limit() -> None:
    process = FixedProcessStats(
        ProcessSnapshot(
            rss_bytes=96, virtual_bytes=200, memory_limit_bytes=100, cpu_seconds=1, threads=2
        )
    )

    report = run(MemoryIndicator(process, lambda: LIMITS).check())

    assert report.status is HealthStatus.WARN
    assert report.details == {
        "rssBytes": 96,
        "limitBytes": 100,
        "usedPercent": 96.0,
        "warnPercent": 90,
        "downPercent": 98,
    }


def test_the_memory_cache_reports_its_occupancy_and_hit_ratio() -> None:
    cache = MemoryResultCache(max_bytes=1000, max_keys=10)
    run(cache.get(ResultKey("acme", "0" * 64)))

    report = run(MemoryResultCacheIndicator(cache, max_bytes=1000, max_keys=10).check())

    assert report.status is HealthStatus.UP
    assert report.details["misses"] == 1
    assert report.details["hitRatio"] == 0.0
    assert report.details["maxBytes"] == 1000


def test_the_memory_cache_warns_once_filled_past_its_warning_threshold() -> None:
    cache = MemoryResultCache(max_bytes=1000, max_keys=10)
    for index in range(8):
        run(
            cache.put(
                ResultKey("acme", f"{index:064d}"), ImageResult.of(b"x" * 10, OutputFormat.PNG, 0)
            )
        )

    at_80 = MemoryResultCacheIndicator(cache, max_bytes=1000, max_keys=10, warn_percent=80)
    at_90 = MemoryResultCacheIndicator(cache, max_bytes=1000, max_keys=10, warn_percent=90)
    never = run(MemoryResultCacheIndicator(cache, max_bytes=1000, max_keys=10).check())

    assert run(at_80.check()).status is HealthStatus.WARN  # 8 of 10 entries
    assert run(at_90.check()).status is HealthStatus.UP
    assert never.status is HealthStatus.UP
    assert never.details["fillPercent"] == 80.0


def test_codecs_are_down_naming_a_missing_one() -> None:
    present = run(PillowCodecsIndicator().check())
    without_avif = run(PillowCodecsIndicator(check=lambda feature: feature != "avif").check())

    assert present.status is HealthStatus.UP
    assert {present.details[name] for name in ("jpeg", "png", "webp", "avif")} == {True}
    assert without_avif.status is HealthStatus.DOWN
    assert without_avif.details["missing"] == "avif"
    assert without_avif.details["avif"] is False


def test_a_directory_origin_is_up_while_its_directory_exists(tmp_path: Path) -> None:
    indicator = LocalDirectoryOriginIndicator(tmp_path / "originals")

    missing = run(indicator.check())
    (tmp_path / "originals").mkdir()
    present = run(indicator.check())

    assert missing.status is HealthStatus.DOWN
    assert "missing" in str(missing.details["error"])
    assert present.status is HealthStatus.UP


def test_an_http_origin_outside_the_allow_list_is_down() -> None:
    allowed = ConfiguredOriginIndicator("shop.example", HostAllowList.of(["shop.example"]))
    refused = ConfiguredOriginIndicator("evil.example", HostAllowList.of(["shop.example"]))

    assert run(allowed.check()).status is HealthStatus.UP
    report = run(refused.check())
    assert report.status is HealthStatus.DOWN
    assert report.details["allowed"] is False


def test_storage_is_down_when_the_cache_directory_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")  # root may write anywhere, but not into a file

    not_yet = run(WritableDirectoryIndicator(tmp_path / "cache").check())
    refused = run(WritableDirectoryIndicator(blocker / "cache").check())

    assert not_yet == HealthReport(HealthStatus.UP, {"exists": False, "writable": True})
    assert refused.status is HealthStatus.DOWN
    assert refused.details["writable"] is False


def test_real_system_adapters_answer_plausible_figures(tmp_path: Path) -> None:
    usage = run(StatvfsDiskSpace().usage(tmp_path / "not" / "made" / "yet"))
    snapshot = ProcfsProcessStats().snapshot()

    assert usage.total > 0
    assert usage.used + usage.free <= usage.total
    assert 0 < snapshot.rss_bytes <= snapshot.virtual_bytes
    assert snapshot.threads >= 1
    assert snapshot.cpu_seconds > 0
    assert snapshot.memory_limit_bytes >= snapshot.rss_bytes


def test_a_cgroup_memory_limit_wins_over_the_machine_memory(tmp_path: Path) -> None:
    limit = tmp_path / "memory.max"
    limit.write_text("536870912\n")
    unlimited = tmp_path / "unlimited.max"
    unlimited.write_text("max\n")

    assert ProcfsProcessStats(cgroup_limits=(limit,)).snapshot().memory_limit_bytes == 2**29
    machine = ProcfsProcessStats(cgroup_limits=(unlimited,)).snapshot().memory_limit_bytes
    assert machine > 2**29


# -- the summary ------------------------------------------------------------------------------


def test_the_worst_status_wins() -> None:
    assert worst([]) is HealthStatus.UP
    assert worst([HealthStatus.UP, HealthStatus.WARN]) is HealthStatus.WARN
    assert worst([HealthStatus.WARN, HealthStatus.DOWN, HealthStatus.UP]) is HealthStatus.DOWN


def test_a_failing_or_slow_indicator_is_down_and_the_others_still_report() -> None:
    check = CheckHealth(
        [
            Scripted("fine", HealthReport(HealthStatus.UP, {"n": 1})),
            Scripted("broken", error=OSError("disk gone")),
            Scripted("slow", delay=5),
        ],
        timeout=lambda: 0.05,
    )

    summary = run(check())

    assert summary.status is HealthStatus.DOWN
    assert summary.checks["fine"] == HealthReport(HealthStatus.UP, {"n": 1})
    assert summary.checks["broken"].details == {"error": "OSError"}
    assert summary.checks["slow"].status is HealthStatus.DOWN
    assert "timed out" in str(summary.checks["slow"].details["error"])
    assert check.names == ["fine", "broken", "slow"]


def test_indicator_names_are_unique() -> None:
    with pytest.raises(ValueError, match="disk"):
        CheckHealth([Scripted("disk"), Scripted("disk")], timeout=lambda: 1)


# -- over HTTP, with the container's indicators ------------------------------------------------


@pytest.fixture
def disk() -> FixedDiskSpace:
    return FixedDiskSpace(total=100 * GIB, free=50 * GIB)


@pytest.fixture
def container(disk: FixedDiskSpace, tmp_path: Path) -> Iterator[Container]:
    container = node(tmp_path / "cache", metrics=MemoryMetrics())
    with container.operations.disk_space.override(providers.Object(disk)):
        yield container


def test_health_answers_every_indicator_with_200_while_all_are_up(container: Container) -> None:
    with TestClient(app=make_app(container)) as client:
        response = client.get("/health")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "up"
    assert set(body["checks"]) == {
        "disk",
        "storage",
        "memory",
        "memory_cache",
        "codecs",
        "origin",
        "performance",
        "cache",
        "redis",
        "breaker",
        "storage_usage",
        "access_index",
        "queue",
    }
    assert body["checks"]["disk"]["details"]["freeBytes"] == 50 * GIB
    assert body["checks"]["queue"]["details"]["broker"] == "memory"
    assert body["checks"]["queue"]["details"]["pregenerateWaiting"] == 0
    assert response.headers["cache-control"] == "no-store"


def test_a_full_disk_makes_health_503_with_the_failing_indicator_named(
    container: Container, disk: FixedDiskSpace
) -> None:
    disk.fill(0)
    with TestClient(app=make_app(container)) as client:
        health = client.get("/health")
        dependencies = client.get("/health/dependencies")
        ready = client.get("/health/ready")

    assert health.status_code == dependencies.status_code == 503
    for body in (health.json(), dependencies.json()):
        assert body["status"] == "down"
        assert body["checks"]["disk"]["status"] == "down"
        assert body["checks"]["disk"]["details"]["freeBytes"] == 0
        assert body["checks"]["disk"]["details"]["usedPercent"] == 100.0
        assert body["checks"]["codecs"]["status"] == "up"
    assert ready.status_code == 200  # readiness never depends on the indicators


def test_a_nearly_full_disk_is_a_warning_with_200(
    container: Container, disk: FixedDiskSpace
) -> None:
    disk.fill(5 * GIB)
    with TestClient(app=make_app(container)) as client:
        response = client.get("/health")

    assert response.status_code == 200
    assert response.json()["status"] == "warn"
    assert response.json()["checks"]["disk"]["status"] == "warn"


def test_detailed_health_is_refused_to_outside_addresses(container: Container) -> None:
    with TestClient(app=make_app(container)) as client:
        response = client.get("/health/detailed", headers={"X-Correlation-ID": "outside-1"})

    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"
    assert response.json()["correlationId"] == "outside-1"
    assert "checks" not in response.json()


def test_an_indicator_is_one_registration_in_the_container(tmp_path: Path) -> None:
    container = node(tmp_path)
    container.operations.health_indicators.add_args(
        providers.Object(Scripted("mailer", HealthReport(HealthStatus.DOWN, {"error": "refused"})))
    )

    with TestClient(app=make_app(container)) as client:
        response = client.get("/health")

    assert response.status_code == 503
    assert response.json()["checks"]["mailer"] == {
        "status": "down",
        "details": {"error": "refused"},
    }


def test_images_still_work_when_health_is_down(
    container: Container, disk: FixedDiskSpace, tmp_path: Path
) -> None:
    disk.fill(0)
    origin = MemoryOriginFetcher({"media/acme/uploads/a.jpg": images.jpeg(80, 60)})
    url = "/media_stream-image/media/acme/uploads/a.jpg/40/30/cover/center/transparent/0/80.png"
    with (
        container.origin.built_fetcher.override(providers.Object(origin)),
        TestClient(app=make_app(container)) as client,
    ):
        response = client.get(url)

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
