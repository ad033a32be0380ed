"""What a result being stored was made from and what making it cost, for the access index.

`ServeImage` stores a fresh result inside `producing(source, cost)`; the layer that records
stores reads `current()`. Tasks started inside the block (the layers' writes) see it too.
Outside one (a copy between layers, a warm-up) nothing is known: `current()` is None.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Provenance:
    """The origin path a result was made from and the seconds fetching and rendering took."""

    source: str
    cost_seconds: float


_current: ContextVar[Provenance | None] = ContextVar("media_stream_provenance", default=None)


@contextmanager
def producing(source: str, cost_seconds: float) -> Iterator[None]:
    token = _current.set(Provenance(source, max(0.0, cost_seconds)))
    try:
        yield
    finally:
        _current.reset(token)


def current() -> Provenance | None:
    return _current.get()
