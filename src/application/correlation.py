"""The correlation ID of the work in progress, carried by a context variable.

The HTTP layer binds it for each request; log lines, outgoing origin requests and jobs read it.
Tasks created while it is bound (and `asyncio.to_thread` calls) inherit it.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from types import TracebackType

_current: ContextVar[str | None] = ContextVar("media_stream_correlation_id", default=None)


def current_correlation_id() -> str | None:
    """The correlation ID bound in this context, or None outside any request or job."""
    return _current.get()


class correlation_scope:
    """Bind `correlation_id` for the block (and what it starts), then restore the previous one.

    A class rather than a generator context manager: it is entered once per request."""

    __slots__ = ("_id", "_token")

    def __init__(self, correlation_id: str) -> None:
        self._id = correlation_id
        self._token: Token[str | None] | None = None

    def __enter__(self) -> str:
        self._token = _current.set(self._id)
        return self._id

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._token is not None:
            _current.reset(self._token)
