"""Port: short leases that let one worker at a time, on any node, do a named piece of work."""

from __future__ import annotations

from typing import Protocol


class WorkLeases(Protocol):
    """Grants a name to one holder at a time until released or expired.

    Fails open: when the store cannot be reached, `acquire` grants (the caller works alone,
    uncoordinated), `renew` answers True and `is_held` False, so nobody waits on a lost store.
    """

    async def acquire(self, name: str, seconds: float) -> str | None:
        """A token when `name` is now held by the caller for `seconds`, None when taken."""
        ...

    async def renew(self, name: str, token: str, seconds: float) -> bool:
        """Extend the caller's lease to `seconds` from now; False when it was lost."""
        ...

    async def release(self, name: str, token: str) -> None:
        """Give the lease up if the caller still holds it."""
        ...

    async def is_held(self, name: str) -> bool:
        """Whether anybody holds `name` now."""
        ...
