"""Phase timings, the correlation context variable, and the log formats that carry them."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
import time
from datetime import UTC, datetime

import pytest

from application.correlation import correlation_scope, current_correlation_id
from application.timing import PhaseTimings, record, recording, timed
from entrypoints.logs import ConsoleFormatter, JsonFormatter, configure_logging, level_number


def test_phases_recorded_inside_a_recording_add_up_in_order() -> None:
    with recording() as timings:
        record("fetch", 0.010)
        record("decode", 0.004)
        record("fetch", 0.005)

    assert timings.phases() == pytest.approx({"fetch": 0.015, "decode": 0.004})
    assert list(timings.phases()) == ["fetch", "decode"]


def test_recording_outside_a_request_is_a_no_op_and_bad_phases_are_dropped() -> None:
    record("fetch", 1.0)  # nobody is recording: nothing happens, nothing raises
    with recording() as timings:
        record("has space", 1.0)
        record("x" * 33, 1.0)
        record("negative", -1.0)
        record("ok_phase-1", 0.5)

    assert timings.phases() == {"ok_phase-1": 0.5}


def test_timed_measures_the_block_awaits_included() -> None:
    async def slow() -> PhaseTimings:
        with recording() as timings, timed("transform"):
            await asyncio.sleep(0.02)
        return timings

    timings = asyncio.run(slow())

    assert 0.015 <= timings.phases()["transform"] < 1.0


def test_tasks_and_threads_started_in_a_request_record_into_it() -> None:
    async def request() -> PhaseTimings:
        with recording() as timings:
            await asyncio.create_task(_record_async("cache"))
            await asyncio.to_thread(record, "encode", 0.25)
        return timings

    assert asyncio.run(request()).phases() == {"cache": 0.125, "encode": 0.25}


async def _record_async(phase: str) -> None:
    record(phase, 0.125)


def test_concurrent_requests_keep_their_own_timings_and_ids() -> None:
    async def request(name: str, delay: float) -> tuple[str | None, dict[str, float]]:
        with correlation_scope(name), recording() as timings:
            await asyncio.sleep(delay)
            record(name, delay)
            return current_correlation_id(), timings.phases()

    async def both() -> list[tuple[str | None, dict[str, float]]]:
        return await asyncio.gather(request("one", 0.02), request("two", 0.01))

    assert asyncio.run(both()) == [("one", {"one": 0.02}), ("two", {"two": 0.01})]
    assert current_correlation_id() is None


def test_server_timing_lists_every_phase_then_total_in_milliseconds() -> None:
    timings = PhaseTimings()
    timings.record("fetch", 0.0123)
    timings.record("encode", 0.002)

    assert timings.server_timing(0.02) == "fetch;dur=12.3, encode;dur=2.0, total;dur=20.0"
    assert PhaseTimings().server_timing(0.001) == "total;dur=1.0"


def _record(message: str, **extra: object) -> logging.LogRecord:
    record_ = logging.LogRecord("media_stream.access", logging.INFO, __file__, 1, message, (), None)
    record_.created = time.mktime((2026, 11, 28, 12, 0, 0, 0, 0, -1))
    for key, value in extra.items():
        setattr(record_, key, value)
    return record_


def test_json_lines_carry_the_correlation_id_and_the_extras() -> None:
    with correlation_scope("req-42"):
        line = JsonFormatter().format(_record("GET / 200", route="/", status=200, durationMs=1.5))

    entry = json.loads(line)
    assert entry["level"] == "info"
    assert entry["logger"] == "media_stream.access"
    assert entry["message"] == "GET / 200"
    assert entry["correlationId"] == "req-42"
    assert (entry["route"], entry["status"], entry["durationMs"]) == ("/", 200, 1.5)
    assert entry["timestamp"].endswith("Z")
    assert "args" not in entry
    assert "msg" not in entry


def test_json_lines_include_the_exception() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logger = logging.getLogger("test.json")
        failing = logger.makeRecord(
            "test.json", logging.ERROR, __file__, 1, "failed", (), exc_info=sys.exc_info()
        )

    entry = json.loads(JsonFormatter().format(failing))

    assert "RuntimeError: boom" in entry["exception"]
    assert "correlationId" not in entry  # outside any request


def test_console_lines_are_readable() -> None:
    with correlation_scope("abc"):
        line = ConsoleFormatter().format(_record("GET / 200", status=200, route="/{page}"))

    assert line.endswith(" INFO    media_stream.access [abc] GET / 200 route=/{page}")  # no status=


def test_configure_logging_installs_one_handler_and_can_switch_format() -> None:
    root = logging.getLogger()
    before_level, before = root.level, list(root.handlers)
    stream = io.StringIO()
    try:
        configure_logging("debug", "console", stream)
        configure_logging("warning", "json", stream)
        logging.getLogger("test.switch").warning("switched")
        logging.getLogger("test.switch").info("not shown")

        ours = [handler for handler in root.handlers if getattr(handler, "media_stream", False)]
        assert len(ours) == 1
        assert root.level == logging.WARNING
        [line] = stream.getvalue().splitlines()
        assert json.loads(line)["message"] == "switched"
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)
        root.setLevel(before_level)


def test_trace_is_below_debug() -> None:
    assert level_number("trace") < logging.DEBUG == level_number("debug")


@pytest.mark.parametrize(
    "created", [1764774000.0, 1764774000.1229999, 1764774000.9994999, 1764774000.9999996]
)
def test_a_json_line_is_stamped_as_datetime_would_stamp_it(created: float) -> None:
    record = logging.LogRecord("media_stream.access", logging.INFO, "", 0, "hit", None, None)
    record.created = created

    line = json.loads(JsonFormatter().format(record))

    expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    assert line["timestamp"] == expected.replace("+00:00", "Z")
    assert line["level"] == "info"
