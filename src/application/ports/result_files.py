"""Port: the result files on this machine's disk, as files (for cleanup, eviction, reconcile)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from domain.request import ResultKey


@dataclass(frozen=True, slots=True)
class ResultFile:
    """A result file: its key, size in bytes and modification time (epoch seconds)."""

    key: ResultKey
    size: int
    modified_at: float


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What a result file's header says: its format and when it was produced."""

    format: str
    produced_at: float
    size: int


class ResultFiles(Protocol):
    """Lists, reads the headers of and removes result files; blocking, run it off the loop.

    `remove` unlinks: a request already reading the file keeps reading it whole.
    """

    def results(self) -> Iterator[ResultFile]:
        """Every result file, in no order."""
        ...

    def temporary(self) -> Iterator[tuple[str, float]]:
        """Every temporary file (an interrupted write): its path and modification time."""
        ...

    def facts(self, key: ResultKey) -> FileFacts | None:
        """The header of `key`'s file, or None when it is missing or not a whole entry."""
        ...

    def size(self, key: ResultKey) -> int | None:
        """The size in bytes of `key`'s file, None when there is none."""
        ...

    def remove(self, key: ResultKey) -> int:
        """Unlink `key`'s file; answer the bytes freed (0 when it was already gone)."""
        ...

    def remove_temporary(self, path: str) -> int:
        """Unlink a temporary file `temporary` listed; answer the bytes freed."""
        ...
