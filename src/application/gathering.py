"""Awaiting several layers at once, where one failing must not stop the others."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import TypeVar

T = TypeVar("T")


async def settle_all(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """Await every one concurrently; once all are done, raise the first failure if any."""
    outcomes = await asyncio.gather(*awaitables, return_exceptions=True)
    settled: list[T] = []
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
        settled.append(outcome)
    return settled
