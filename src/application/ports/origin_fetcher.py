"""Port: fetch the bytes of an original from the shop's origin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from domain.request import ImageSource


@dataclass(frozen=True, slots=True)
class Original:
    """The bytes of an original as the origin sent them, with the type it claimed."""

    data: bytes
    claimed_type: str = ""


class OriginFetcher(Protocol):
    """Fetches an original's bytes or raises an `OriginError`; never returns a partial body."""

    async def fetch(self, source: ImageSource) -> Original: ...

    async def close(self) -> None: ...
