"""The correlation ID of the work in progress, carried by a context variable.

The HTTP layer binds it for each request; log lines, outgoing origin requests and jobs read it.
Tasks created while it is bound (and `asyncio.to_thread` calls) inherit it.
"""

from __future__ import annotations

from contextvars import ContextVar

from application.context_binding import bound

_current: ContextVar[str | None] = ContextVar("media_stream_correlation_id", default=None)


def current_correlation_id() -> str | None:
    """The correlation ID bound in this context, or None outside any request or job."""
    return _current.get()


def correlation_scope(correlation_id: str) -> bound[str]:
    """Bind `correlation_id` for the block (and what it starts), then restore the previous one."""
    return bound(_current, correlation_id)
