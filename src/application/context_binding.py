"""A context variable bound to a value for a block, then restored: per request or per job."""

from __future__ import annotations

from contextvars import ContextVar, Token
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")


class bound(Generic[T]):
    """`with bound(variable, value) as value:` the variable holds `value` in the block (and in
    what it starts), then what it held before.

    A class rather than a generator context manager: it is entered once per request."""

    __slots__ = ("_token", "_value", "_variable")

    def __init__(self, variable: ContextVar[T | None], value: T) -> None:
        self._variable = variable
        self._value = value
        self._token: Token[T | None] | None = None

    def __enter__(self) -> T:
        self._token = self._variable.set(self._value)
        return self._value

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._token is not None:
            self._variable.reset(self._token)
