"""Log lines: JSON by default (one object per line), or readable text with LOG_FORMAT=console.

Every line carries the correlation ID of the request or job it was written for, and whatever
`extra` fields its caller gave (route, status, durationMs, timings, ...).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from functools import lru_cache
from typing import TextIO

from application.correlation import current_correlation_id

TRACE = 5
_RESERVED = {
    *vars(logging.LogRecord("", 0, "", 0, "", None, None)),
    "message",
    "asctime",
    "color_message",  # uvicorn's coloured copy of the message
}


# A line is written per request: the parts that repeat are made once (the second of the
# timestamp, the lower-case level, the JSON encoder), not per line.
_encode = json.JSONEncoder(default=str, ensure_ascii=False).encode
_second: list[object] = [-1, ""]


def _timestamp(record: logging.LogRecord) -> str:
    """`2026-11-28T12:00:00.123Z` (UTC, milliseconds) of the record's time."""
    created = record.created
    second = int(created)
    # as datetime does: the microsecond rounded (into the next second, if so), then cut
    microsecond = round((created - second) * 1_000_000)
    if microsecond >= 1_000_000:
        second, microsecond = second + 1, microsecond - 1_000_000
    if _second[0] != second:
        moment = datetime.fromtimestamp(second, UTC)
        _second[0], _second[1] = second, moment.strftime("%Y-%m-%dT%H:%M:%S.")
    return f"{_second[1]}{microsecond // 1000:03d}Z"


@lru_cache(maxsize=64)
def _level(name: str) -> str:
    return name.lower()


def _extras(record: logging.LogRecord) -> dict[str, object]:
    return {
        key: value for key, value in vars(record).items() if key not in _RESERVED and key[0] != "_"
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp, level, logger, message, correlationId, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "timestamp": _timestamp(record),
            "level": _level(record.levelname),
            "logger": record.name,
            "message": record.getMessage(),
        }
        correlation_id = current_correlation_id()
        if correlation_id is not None:
            entry["correlationId"] = correlation_id
        entry.update(_extras(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _encode(entry)


class ConsoleFormatter(logging.Formatter):
    """`2026-11-28T12:00:00.123Z INFO media_stream.access [id] message key=value ...`."""

    def format(self, record: logging.LogRecord) -> str:
        correlation_id = current_correlation_id()
        parts = [_timestamp(record), f"{record.levelname:<7}", record.name]
        if correlation_id is not None:
            parts.append(f"[{correlation_id}]")
        message = record.getMessage()
        parts.append(message)
        # extras already spelled out in the message (method, path, status, ...) are not repeated
        parts.extend(
            f"{key}={value}" for key, value in _extras(record).items() if str(value) not in message
        )
        text = " ".join(parts)
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def level_number(level: str) -> int:
    """The logging level of a LOG_LEVEL value (`trace` is below `debug`)."""
    return TRACE if level == "trace" else logging.getLevelName(level.upper())


def configure_logging(level: str, log_format: str, stream: TextIO | None = None) -> None:
    """Send every logger's lines (uvicorn's included) to one handler; safe to call again."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "media_stream", False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.media_stream = True  # type: ignore[attr-defined]
    handler.setFormatter(ConsoleFormatter() if log_format == "console" else JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level_number(level))
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).setLevel(level_number(level))
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)  # we write our own access log
    logging.addLevelName(TRACE, "TRACE")
