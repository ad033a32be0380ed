"""Conditional requests: when a client's copy is still good (`304 Not Modified`)."""

from __future__ import annotations

from datetime import UTC
from email.utils import parsedate_to_datetime


def is_not_modified(
    etag: str, produced_at: int, if_none_match: str | None, if_modified_since: str | None
) -> bool:
    """RFC 9110: `If-None-Match` (weak comparison, `*`, lists) wins; else `If-Modified-Since`."""
    if if_none_match is not None:
        return _matches_any(etag, if_none_match)
    if if_modified_since is not None:
        since = _parse_http_date(if_modified_since)
        return since is not None and produced_at <= since
    return False


def _matches_any(etag: str, header: str) -> bool:
    if header.strip() == "*":
        return True
    wanted = _opaque(etag)
    return any(_opaque(candidate) == wanted for candidate in header.split(","))


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def _parse_http_date(text: str) -> int | None:
    try:
        moment = parsedate_to_datetime(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
